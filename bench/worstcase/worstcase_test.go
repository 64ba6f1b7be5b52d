package worstcase_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/lanes-dev/lanes/bench/worstcase"
)

func testArgs() worstcase.Args {
	ids := make([]string, 150)
	for i := range ids {
		ids[i] = fmt.Sprintf("prj_%026d", i)
	}
	to := time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)
	return worstcase.Args{Workflow: "website", Status: "lead", ProjectIDs: ids, From: to.AddDate(0, 0, -90), To: to, ReportGroupBy: []string{"STATUS", "MEMBER"}}
}

// Every list and page of the schema gets documents, each within the limits
// (Generate checks them with the server's own QueryLimits) and as close to
// the complexity limit as a copy of its route allows.
func TestGenerate(t *testing.T) {
	schema := worstcase.Schema()
	docs, err := worstcase.Generate(schema, testArgs(), worstcase.DefaultLimits)
	require.NoError(t, err)
	names := map[string]bool{}
	covered := map[string]bool{}
	for _, d := range docs {
		require.False(t, names[d.Name], "one document per name: %s", d.Name)
		names[d.Name] = true
		covered[d.Field] = true
		require.LessOrEqual(t, d.Cost, worstcase.DefaultLimits.Complexity, d.Name)
		require.Positive(t, d.Copies, d.Name)
	}
	for _, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(def.Name, "__") || def.Name == "Mutation" || strings.HasSuffix(def.Name, "Connection") {
			continue
		}
		for _, f := range def.Fields {
			many := f.Type.Elem != nil || f.Arguments.ForName("first") != nil
			if many && !covered[def.Name+"."+f.Name] {
				t.Errorf("%s.%s has no worst-case document", def.Name, f.Name)
			}
		}
	}
}
