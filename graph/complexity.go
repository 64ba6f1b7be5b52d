package graph

import (
	"entgo.io/contrib/entgql"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/graph/generated"
)

// defaultPageSize is the cost assumed for a connection without first/last.
const defaultPageSize = 50

// SetComplexity makes paged fields cost their page size times their
// children, so a query asking for large pages of nested data is refused.
func SetComplexity(c *generated.ComplexityRoot) {
	c.Query.Projects = func(child int, _ *entgql.Cursor[pulid.ID], first *int, _ *entgql.Cursor[pulid.ID], last *int, _ []*ent.ProjectOrder, _ *ent.ProjectWhereInput) int {
		return 1 + child*pageSize(first, last)
	}
}

func pageSize(first, last *int) int {
	switch {
	case first != nil && *first > 0:
		return *first
	case last != nil && *last > 0:
		return *last
	}
	return defaultPageSize
}
