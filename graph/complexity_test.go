package graph_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"github.com/lanes-dev/lanes/graph"
	"github.com/lanes-dev/lanes/graph/contract"
)

// The cost model (complexity.go), priced by hand: each list and page at its
// size, the board, boardColumn and timeReport at their weights, each ID of
// nodes at its lookup.
func TestOperationCost(t *testing.T) {
	schema := projectSchema(t)
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		{"fields", `{ viewer { kind role } }`, nil, 3},
		{"an assumed list", `{ workflows { key statuses { key } } }`, nil, 1 + 5*(1+1+15*1)},
		// A page: its edges (each edge, its node and the node's fields) page
		// size times, the rest once.
		{"a page", `{ projects(first: 10) { totalCount edges { node { id } } } }`, nil, 1 + 1 + 10*(1+1+1)},
		{"the default page", `{ projects { edges { node { id } } } }`, nil, 1 + 50*(1+1+1)},
		{"a page from a variable", `query($n: Int) { projects(first: $n) { edges { cursor } } }`, map[string]any{"n": int64(7)}, 1 + 7*(1+1)},
		{"the board loads its columns' first cards", `{ board(workflow: "website") { columns { status { key } } } }`, nil, 300 + 1 + 15*(1+1)},
		{"a board's cards", `{ board(workflow: "website") { columns { projects(first: 5) { edges { node { id } } } } } }`, nil, 300 + 1 + 15*(1+5*(1+1+1))},
		{"a column", `{ boardColumn(workflow: "website", status: "lead") { totalCount } }`, nil, 20 + 1},
		{"each ID is a lookup", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{"a", "b", "c"}}, 1 + 3*(10+1)},
		{"a report and its rows at their maximum", `{ timeReport(input: {groupBy: [DAY]}) { totalSeconds rows { day seconds } } }`, nil, 5000 + 1 + 1 + 400*2},
		{"what @include and @skip leave out costs nothing", `query($by: Boolean!, $not: Boolean!) { timeReport(input: {groupBy: [DAY]}) { rows { day @include(if: $by) status @skip(if: $not) { key } ... on TimeReportRow @include(if: $not) { seconds } } } }`,
			map[string]any{"by": false, "not": true}, 5000 + 1 + 400*1},
		{"what they keep costs as much", `query($by: Boolean!, $not: Boolean!) { timeReport(input: {groupBy: [DAY]}) { rows { day @include(if: $by) status @skip(if: $not) { key } ... on TimeReportRow @include(if: $not) { seconds } } } }`,
			map[string]any{"by": true, "not": false}, 5000 + 1 + 400*(1+1+1)},
		{"all of it", `query($by: Boolean!, $not: Boolean!) { timeReport(input: {groupBy: [DAY]}) { rows { day @include(if: $by) status @skip(if: $not) { key } ... on TimeReportRow @include(if: $not) { seconds } } } }`,
			map[string]any{"by": true, "not": true}, 5000 + 1 + 400*(1+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(schema, tc.query)
			require.Nil(t, errs)
			require.Equal(t, tc.want, graph.OperationCost(doc.Operations[0], tc.vars))
		})
	}
}

// The contract's reads stay under the default limit (10,000) with the
// page sizes README names; the board and the report cost what README says.
func TestContractOperationCosts(t *testing.T) {
	schema := projectSchema(t)
	vars := map[string]any{"first": int64(20)}
	costs := map[string]int{}
	for _, name := range contract.OperationNames() {
		if _, pending := pendingOperations[name]; pending {
			continue
		}
		doc, errs := gqlparser.LoadQuery(schema, contract.MustOperation(name))
		require.Nil(t, errs, name)
		costs[name] = graph.OperationCost(doc.Operations[0], vars)
		require.LessOrEqual(t, costs[name], 10_000, name)
	}
	require.Equal(t, 4354, costs["Board"], "README: about 4,400 at 20 cards per column")
	require.Equal(t, 9402, costs["TimeReport"], "README: about 9,400")
}
