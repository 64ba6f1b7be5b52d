package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// QueryLimits rejects operations nested deeper than MaxDepth or costlier
// than MaxComplexity with QUERY_TOO_COMPLEX, before anything executes.
// Introspection fields (allowed in development mode only) do not count.
type QueryLimits struct {
	MaxDepth      int
	MaxComplexity int
	es            graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &QueryLimits{}

// ExtensionName implements graphql.HandlerExtension.
func (*QueryLimits) ExtensionName() string { return "QueryLimits" }

// Validate implements graphql.HandlerExtension.
func (l *QueryLimits) Validate(es graphql.ExecutableSchema) error {
	l.es = es
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (l *QueryLimits) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if l.MaxDepth > 0 {
		if d := selectionDepth(op.Operation.SelectionSet, map[string]bool{}); d > l.MaxDepth {
			return tooComplex("operation is nested %d levels deep, the limit is %d", d, l.MaxDepth)
		}
	}
	if l.MaxComplexity > 0 {
		if c := complexity.Calculate(ctx, l.es, op.Operation, op.Variables); c > l.MaxComplexity {
			return tooComplex("operation has complexity %d, the limit is %d", c, l.MaxComplexity)
		}
	}
	return nil
}

func tooComplex(format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	e.Extensions = map[string]any{"code": string(errcode.QueryTooComplex)}
	return e
}

// selectionDepth is the deepest field nesting of a selection set, following
// fragments (each fragment at most once per path, so cycles end).
func selectionDepth(set ast.SelectionSet, seen map[string]bool) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + selectionDepth(s.SelectionSet, seen)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			d = selectionDepth(s.Definition.SelectionSet, seen)
			delete(seen, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}
