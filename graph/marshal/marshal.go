// Package marshal holds what the generated executor calls instead of
// gqlgen's list marshalling for the lists of the board (graph/gqlgen.go
// swaps it in when generating).
//
// gqlgen marshals every element of a list of objects in a goroutine of its
// own, so that elements whose fields query the database wait side by side.
// A board's columns and cards are loaded in bulk before they are
// marshalled: their fields only read memory, and a goroutine per card buys
// nothing but goroutine starts, stack growth and scheduling (measured:
// about a tenth of a board request's CPU time).
package marshal

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// Slice marshals a list like graphql.MarshalSliceConcurrently, but in
// order on the calling goroutine when the list is a board's columns or a
// board column's cards.
func Slice(ctx context.Context, length int, workerLimit int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if !preloaded(graphql.GetFieldContext(ctx)) {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	return inOrder(ctx, length, omitPanicHandler, marshalElement)
}

// preloaded tells the lists the board loaded in bulk: Board.columns, and
// the edges of a BoardColumn's projects connection.
func preloaded(fc *graphql.FieldContext) bool {
	switch {
	case fc == nil:
		return false
	case fc.Object == "Board" && fc.Field.Name == "columns":
		return true
	case fc.Object == "ProjectConnection" && fc.Field.Name == "edges":
		return fc.Parent != nil && fc.Parent.Object == "BoardColumn"
	}
	return false
}

// inOrder gives each element its field context (the index in the path of
// errors) and, unless omitted, recovers a panic into an error that nulls
// the list, as gqlgen does.
func inOrder(ctx context.Context, length int, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) (ret graphql.Array) {
	ret = make(graphql.Array, length)
	indices := make([]int, length)
	contexts := make([]graphql.FieldContext, length)
	for i := range length {
		indices[i] = i
		contexts[i].Index = &indices[i]
		childCtx := graphql.WithFieldContext(ctx, &contexts[i])
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		if !marshalRecovering(childCtx, i, ret, marshalElement) {
			return nil
		}
	}
	return ret
}

func marshalRecovering(ctx context.Context, i int, ret graphql.Array,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			ok = false
		}
	}()
	ret[i] = marshalElement(ctx, i)
	return true
}
