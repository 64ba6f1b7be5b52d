package graph_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/lanes-dev/lanes/graph"
	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/graph/generated"
)

// pendingOperations are the operations of operations.graphql that later
// issues implement, with the issue that builds each (14 shaping
// workflows and the detail view, 16 billable time and the portal). Every
// other operation must validate against the schema. Remove an entry when its
// issue lands.
var pendingOperations = map[string]int{
	"SetRate":                16,
	"LockTimeEntries":        16,
	"MyTimeEntries":          16,
	"FinishFeedback":         16,
	"RevokeCustomerSessions": 16,
}

// pendingRootFields are the contract's root fields not in the schema yet,
// with their issues.
var pendingRootFields = map[string]int{
	"Query.myTimeEntries":             16,
	"Mutation.setRate":                16,
	"Mutation.lockTimeEntries":        16,
	"Mutation.finishFeedback":         16,
	"Mutation.revokeCustomerSessions": 16,
}

func projectSchema(t *testing.T) *ast.Schema {
	t.Helper()
	return generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{}}).Schema()
}

func TestContractOperationsValidate(t *testing.T) {
	schema := projectSchema(t)
	names := contract.OperationNames()
	if len(names) < 40 {
		t.Fatalf("found only %d operations in operations.graphql", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			op := contract.MustOperation(name)
			_, errs := gqlparser.LoadQuery(schema, op)
			if issue, pending := pendingOperations[name]; pending {
				if errs == nil {
					t.Logf("%s validates already; remove it from pendingOperations once issue %d lands", name, issue)
				}
				return
			}
			if errs != nil {
				t.Fatalf("operation %s does not validate against the schema: %v", name, errs)
			}
		})
	}
	for name := range pendingOperations {
		if _, err := contract.Operation(name); err != nil {
			t.Errorf("pendingOperations names an unknown operation: %v", err)
		}
	}
}

// TestContractSchemaCompatible checks that every root field, input and enum
// of the contract that the schema has is there with the contract's names
// and types (extend, never rename), and that any missing root field is
// pending.
func TestContractSchemaCompatible(t *testing.T) {
	schema := projectSchema(t)
	doc, err := parser.ParseSchema(&ast.Source{Name: "contract.graphqls", Input: contract.Schema})
	if err != nil {
		t.Fatalf("parse contract: %v", err)
	}
	defs := append(append(ast.DefinitionList{}, doc.Definitions...), doc.Extensions...)
	for _, def := range defs {
		switch {
		case def.Name == "Query" || def.Name == "Mutation" || def.Name == "Subscription":
			checkRootFields(t, schema, def)
		case def.Kind == ast.Enum:
			checkEnum(t, schema, def)
		case def.Kind == ast.InputObject:
			checkInput(t, schema, def)
		case def.Kind == ast.Scalar:
			if _, ok := schema.Types[def.Name]; !ok && def.Name != "Map" && def.Name != "Upload" {
				t.Errorf("scalar %s is missing", def.Name)
			}
		}
	}
}

func checkRootFields(t *testing.T, schema *ast.Schema, def *ast.Definition) {
	t.Helper()
	var root *ast.Definition
	switch def.Name {
	case "Query":
		root = schema.Query
	case "Mutation":
		root = schema.Mutation
	case "Subscription":
		root = schema.Subscription
	}
	for _, f := range def.Fields {
		key := def.Name + "." + f.Name
		var got *ast.FieldDefinition
		if root != nil {
			got = root.Fields.ForName(f.Name)
		}
		if got == nil {
			if _, pending := pendingRootFields[key]; !pending {
				t.Errorf("root field %s is missing and not pending", key)
			}
			continue
		}
		if _, pending := pendingRootFields[key]; pending {
			t.Errorf("root field %s exists; remove it from pendingRootFields", key)
		}
		if got.Type.String() != f.Type.String() {
			t.Errorf("%s returns %s, the contract says %s", key, got.Type, f.Type)
		}
		for _, a := range f.Arguments {
			ga := got.Arguments.ForName(a.Name)
			if ga == nil {
				t.Errorf("%s lacks argument %s", key, a.Name)
				continue
			}
			if ga.Type.String() != a.Type.String() {
				t.Errorf("%s(%s:) is %s, the contract says %s", key, a.Name, ga.Type, a.Type)
			}
		}
		for _, ga := range got.Arguments {
			if f.Arguments.ForName(ga.Name) == nil && ga.Type.NonNull && ga.DefaultValue == nil {
				t.Errorf("%s adds a required argument %s", key, ga.Name)
			}
		}
	}
}

func checkEnum(t *testing.T, schema *ast.Schema, def *ast.Definition) {
	t.Helper()
	got, ok := schema.Types[def.Name]
	if !ok {
		return // an enum of a later issue
	}
	want := append(enumValues(def), enumExtensions[def.Name]...)
	sort.Strings(want)
	if have := enumValues(got); !slices.Equal(have, want) {
		t.Errorf("enum %s has %v, the contract and its named extensions say %v", def.Name, have, want)
	}
}

// enumExtensions are the values the schema adds to the contract's enums,
// each on purpose (extend, never rename).
var enumExtensions = map[string][]string{
	// Automations on the customer's activity (issue 14).
	"AutomationTrigger": {"WISHES_SUBMITTED", "FILE_UPLOADED", "FEEDBACK_PINNED"},
	// The time report by status category (issue 14).
	"TimeGroup": {"CATEGORY"},
}

func enumValues(def *ast.Definition) []string {
	var vs []string
	for _, v := range def.EnumValues {
		vs = append(vs, v.Name)
	}
	sort.Strings(vs)
	return vs
}

func checkInput(t *testing.T, schema *ast.Schema, def *ast.Definition) {
	t.Helper()
	got, ok := schema.Types[def.Name]
	if !ok {
		return // an input of a later issue
	}
	for _, f := range def.Fields {
		gf := got.Fields.ForName(f.Name)
		if gf == nil {
			t.Errorf("input %s lacks field %s", def.Name, f.Name)
			continue
		}
		if gf.Type.String() != f.Type.String() {
			t.Errorf("input %s.%s is %s, the contract says %s", def.Name, f.Name, gf.Type, f.Type)
		}
	}
	for _, gf := range got.Fields {
		if def.Fields.ForName(gf.Name) == nil && gf.Type.NonNull && gf.DefaultValue == nil {
			t.Errorf("input %s adds a required field %s", def.Name, gf.Name)
		}
	}
}

// TestContractInSync keeps graph/contract equal to ../shared/api when the
// shared folder is next to the checkout (it is not in a bare clone).
func TestContractInSync(t *testing.T) {
	shared := filepath.Join("..", "..", "shared", "api")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("no %s next to this checkout", shared)
	}
	for _, name := range []string{"contract.graphqls", "operations.graphql"} {
		want, err := os.ReadFile(filepath.Join(shared, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("contract", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("graph/contract/%s differs from %s; copy it again", name, filepath.Join(shared, name))
		}
	}
}
