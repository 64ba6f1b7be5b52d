package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"entgo.io/ent/privacy"
	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/sdk/errcode"
)

func TestErrorPresenter(t *testing.T) {
	var logs bytes.Buffer
	present := ErrorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	cases := []struct {
		name    string
		err     error
		code    string
		message string
		ext     map[string]any
	}{
		{"domain error keeps code and details", fmt.Errorf("disable: %w", errcode.New(errcode.StatusInUse, "status in use").With("projectCount", 3)), "STATUS_IN_USE", "status in use", map[string]any{"projectCount": 3}},
		{"validation names the field", errcode.Invalid("email", "bad email"), "VALIDATION", "bad email", map[string]any{"field": "email"}},
		{"privacy denial is not found", fmt.Errorf("query: %w", privacy.Deny), "NOT_FOUND", "not found", nil},
		{"internal error hides internals", errors.New("pq: relation \"secret_table\" does not exist at 10.0.0.3"), "INTERNAL", "internal error", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := present(ctx, tc.err)
			require.Equal(t, tc.code, got.Extensions["code"])
			require.Equal(t, tc.message, got.Message)
			for k, v := range tc.ext {
				require.Equal(t, v, got.Extensions[k])
			}
		})
	}
	require.Contains(t, logs.String(), "secret_table", "the original of an INTERNAL error is logged")

	// gqlgen wraps resolver errors with the field's path: still INTERNAL.
	fieldCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "startTimer"}}})
	wrapped := gqlerror.WrapPath(graphql.GetPath(fieldCtx), errors.New("pq: duplicate key value violates unique constraint"))
	got := present(fieldCtx, wrapped)
	require.Equal(t, "INTERNAL", got.Extensions["code"])
	require.Equal(t, "internal error", got.Message)
	// An argument's coercion error has the argument below the field: VALIDATION.
	argCtx := graphql.WithPathContext(fieldCtx, graphql.NewPathWithField("answers"))
	got = present(fieldCtx, gqlerror.WrapPath(graphql.GetPath(argCtx), errors.New("string is not a map")))
	require.Equal(t, "VALIDATION", got.Extensions["code"])
	require.Equal(t, "string is not a map", got.Message)
}

func TestClassifyEntErrors(t *testing.T) {
	nf := &ent.NotFoundError{}
	code, _, _ := classify(fmt.Errorf("get: %w", nf))
	require.Equal(t, errcode.NotFound, code)
	code, _, _ = classify(&ent.ConstraintError{})
	require.Equal(t, errcode.Conflict, code)
	code, _, details := classify(&ent.ValidationError{Name: "title"})
	require.Equal(t, errcode.Validation, code)
	require.Equal(t, "title", details["field"])
}
