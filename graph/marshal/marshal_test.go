package marshal

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
)

func fieldContext(object, field string, parent *graphql.FieldContext) *graphql.FieldContext {
	return &graphql.FieldContext{Object: object, Field: graphql.CollectedField{Field: &ast.Field{Name: field}}, Parent: parent}
}

func TestPreloaded(t *testing.T) {
	column := fieldContext("BoardColumn", "projects", nil)
	query := fieldContext("Query", "projects", nil)
	for _, tc := range []struct {
		name string
		fc   *graphql.FieldContext
		want bool
	}{
		{"no field", nil, false},
		{"board columns", fieldContext("Board", "columns", nil), true},
		{"a board column's cards", fieldContext("ProjectConnection", "edges", column), true},
		{"a project list's cards", fieldContext("ProjectConnection", "edges", query), false},
		{"edges without a parent", fieldContext("ProjectConnection", "edges", nil), false},
		{"another list of the board", fieldContext("Board", "statuses", nil), false},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, preloaded(tc.fc)) })
	}
}

func responseContext(fc *graphql.FieldContext) context.Context {
	quiet := func(_ context.Context, err any) error { return fmt.Errorf("panic: %v", err) }
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, quiet)
	return graphql.WithFieldContext(ctx, fc)
}

// A board's lists are marshalled on the calling goroutine, in order, each
// element with its index in the path; other lists keep gqlgen's goroutines.
func TestSliceInOrder(t *testing.T) {
	ctx := responseContext(fieldContext("Board", "columns", nil))
	var order []int
	ret := Slice(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		order = append(order, i) // no lock: one goroutine
		require.Equal(t, i, *graphql.GetFieldContext(ctx).Index)
		return graphql.MarshalInt(i)
	})
	require.Equal(t, []int{0, 1, 2}, order)
	var out bytes.Buffer
	ret.MarshalGQL(&out)
	require.Equal(t, "[0,1,2]", out.String())

	var calls atomic.Int32
	other := responseContext(fieldContext("Query", "workflows", nil))
	ret = Slice(other, 4, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		calls.Add(1)
		return graphql.MarshalInt(i)
	})
	require.Len(t, ret, 4)
	require.EqualValues(t, 4, calls.Load())
}

// A panicking card nulls the list and reports an error, as gqlgen does.
func TestSliceInOrderRecovers(t *testing.T) {
	ctx := responseContext(fieldContext("Board", "columns", nil))
	ret := Slice(ctx, 2, 0, false, func(_ context.Context, i int) graphql.Marshaler {
		if i == 1 {
			panic("boom")
		}
		return graphql.MarshalInt(i)
	})
	require.Nil(t, ret)
	errs := graphql.GetErrors(ctx)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Message, "boom")
}
