package graph

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/lanes-dev/lanes/sdk/timetrack"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// An operation's cost is the number of values its response can hold: the
// sum of its fields' costs, where a field costs its weight (1 unless
// fieldWeights says more) plus its children's cost times the number of
// elements it returns:
//   - a page (a field with first/last: the projects connections) returns
//     its page size of edges (defaultPageSizes' when the caller gives no
//     size); its other children (totalCount, pageInfo) count once;
//   - nodes(ids) the number of IDs;
//   - any other list what listSizes assumes, defaultListSize otherwise;
//     where the engine has a maximum (a report's rows), that maximum;
//   - lists of introspection 1: the schema bounds them;
//   - a selection that @skip or @include leaves out nothing.
//
// Each element of a list in elementWeights costs that much more than its
// children: work the engine does per element whatever is selected.
//
// So every list is priced, the ones added later included, and a limit on
// the cost bounds the values, and so the work and memory, of a response.
// bench/worstcase writes, for every list and page, the document the
// default limit admits that asks the most of it; bench's
// TestWorstCaseDocuments serves them and BenchmarkWorstCase measures them
// (docs/benchmarks.md).

// fieldWeights are fields whose own work is more than a field's: the board
// loads the first page of every column whatever the selection (about 15
// columns of 20 cards, as boardColumn loads one); a time report aggregates
// every time entry of its period, which no document bounds, so that it
// costs half the default limit: one report per document.
var fieldWeights = map[string]int{
	"Query.board":       15 * workflow.DefaultColumnPage,
	"Query.boardColumn": workflow.DefaultColumnPage,
	"Query.timeReport":  5000,
}

// elementWeights are lists whose every element is work of its own: each ID
// of nodes is a lookup, and the objects its selection reaches are loaded
// per ID rather than for the whole list.
var elementWeights = map[string]int{
	"Query.nodes": 10,
}

// listSizes are the sizes assumed for lists without page arguments: what a
// tenant typically has, or what the engine returns at most.
var listSizes = map[string]int{
	"Query.workflows":           5,
	"Tenant.workflows":          5,
	"Workflow.statuses":         15,
	"Board.columns":             15,
	"Project.steps":             15,
	"Project.timeInStatus":      15,
	"Project.trackedByStatus":   15,
	"Project.history":           20,
	"Project.todos":             10,
	"Project.files":             10,
	"Project.payments":          5,
	"Portal.projects":           5,
	"PortalProject.files":       10,
	"PortalProject.feedback":    10,
	"TimeReport.rows":           timetrack.MaxReportRows,
	"TimeReport.cycleTimes":     20,
	"Query.members":             50,
	"Workflow.automations":      20,
	"Automation.todos":          workflow.MaxAutomationTodos,
	"Query.transitionPreviews":  workflow.MaxStatuses,
	"StatusPreview.reasons":     8,
	"TransitionPreview.reasons": 8,
}

const defaultListSize = 20

// defaultPageSizes are the page sizes of connections asked for without
// first or last (the engine's defaults); others: defaultPageSize.
var defaultPageSizes = map[string]int{"BoardColumn.projects": workflow.DefaultColumnPage}

const defaultPageSize = workflow.DefaultProjectPage

// coster prices the fields of one operation with its variables, each
// fragment once.
type coster struct {
	vars map[string]any
	memo map[string]int
	// introspects is set when the operation asks for __schema or __type.
	introspects bool
}

func newCoster(vars map[string]any) *coster {
	return &coster{vars: vars, memo: map[string]int{}}
}

// OperationCost is the cost of a validated operation with its variables.
func OperationCost(op *ast.OperationDefinition, vars map[string]any) int {
	return newCoster(vars).selectionSet(op.SelectionSet)
}

func (c *coster) selectionSet(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if c.included(s.Directives) {
				total = saturatingAdd(total, c.field(s))
			}
		case *ast.InlineFragment:
			if c.included(s.Directives) {
				total = saturatingAdd(total, c.selectionSet(s.SelectionSet))
			}
		case *ast.FragmentSpread:
			if c.included(s.Directives) {
				total = saturatingAdd(total, c.fragment(s))
			}
		}
	}
	return total
}

// included reports whether a selection is in the response: not skipped
// (@skip(if: true)) and not left out (@include(if: false)), with the
// operation's variables. What the response leaves out costs nothing.
func (c *coster) included(ds ast.DirectiveList) bool {
	if d := ds.ForName("skip"); d != nil {
		if v, _ := d.ArgumentMap(c.vars)["if"].(bool); v {
			return false
		}
	}
	if d := ds.ForName("include"); d != nil {
		if v, ok := d.ArgumentMap(c.vars)["if"].(bool); ok && !v {
			return false
		}
	}
	return true
}

func (c *coster) fragment(s *ast.FragmentSpread) int {
	if cost, ok := c.memo[s.Name]; ok {
		return cost
	}
	if s.Definition == nil {
		return 0
	}
	c.memo[s.Name] = 0 // a cycle (refused by validation) adds nothing
	cost := c.selectionSet(s.Definition.SelectionSet)
	c.memo[s.Name] = cost
	return cost
}

func (c *coster) field(f *ast.Field) int {
	if f.Name == "__schema" || f.Name == "__type" {
		c.introspects = true
	}
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 1
	}
	key := f.ObjectDefinition.Name + "." + f.Name
	weight := max(fieldWeights[key], 1)
	if page, ok := c.pageSize(f, key); ok {
		return saturatingAdd(weight, c.page(f.SelectionSet, page))
	}
	children := saturatingAdd(elementWeights[key], c.selectionSet(f.SelectionSet))
	return saturatingAdd(weight, saturatingMul(c.elements(f, key), children))
}

// page prices a connection's selection: its edges (or nodes) size times,
// the rest once; fragments on the connection as if they were edges.
func (c *coster) page(set ast.SelectionSet, size int) int {
	total := 0
	for _, sel := range set {
		var cost int
		switch s := sel.(type) {
		case *ast.Field:
			cost = c.field(s)
			if s.Name == "edges" || s.Name == "nodes" {
				cost = saturatingMul(size, cost)
			}
		case *ast.InlineFragment:
			cost = saturatingMul(size, c.selectionSet(s.SelectionSet))
		case *ast.FragmentSpread:
			cost = saturatingMul(size, c.fragment(s))
		}
		total = saturatingAdd(total, cost)
	}
	return total
}

// pageSize is the page a paged field (one with first or last) returns.
func (c *coster) pageSize(f *ast.Field, key string) (int, bool) {
	if f.Definition.Arguments.ForName("first") == nil && f.Definition.Arguments.ForName("last") == nil {
		return 0, false
	}
	args := f.ArgumentMap(c.vars)
	for _, name := range []string{"first", "last"} {
		if n, ok := intArg(args[name]); ok {
			return max(n, 1), true
		}
	}
	if n, ok := defaultPageSizes[key]; ok {
		return n, true
	}
	return defaultPageSize, true
}

// elements is how many objects of its type a field returns.
func (c *coster) elements(f *ast.Field, key string) int {
	parent := f.ObjectDefinition.Name
	if f.Definition.Type.Elem == nil || strings.HasSuffix(parent, "Connection") || strings.HasPrefix(parent, "__") {
		return 1
	}
	if f.Definition.Arguments.ForName("ids") != nil {
		if ids, ok := f.ArgumentMap(c.vars)["ids"].([]any); ok {
			return max(len(ids), 1)
		}
	}
	if n, ok := listSizes[key]; ok {
		return n
	}
	return defaultListSize
}

// intArg reads an Int argument as gqlparser hands it over (inline: int64;
// from variables: json.Number, int64 or int).
func intArg(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), true
	case int:
		return n, true
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}
