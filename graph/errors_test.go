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
	"github.com/jackc/pgx/v5/pgconn"
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
		{"the database down is retryable", fmt.Errorf("list workflows: %w", &pgconn.ConnectError{}), "UNAVAILABLE", "the database is unavailable; retry later", nil},
		{"a statement timeout is TIMEOUT", fmt.Errorf("board: %w", &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}), "TIMEOUT", "a database statement took longer than its time limit; retry later or ask for less", nil},
		{"the request's deadline is TIMEOUT", fmt.Errorf("board: %w", context.DeadlineExceeded), "TIMEOUT", errcode.ErrDeadline.Message, nil},
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

// The presenter uses the one mapping (errcode.From with the classifier
// sdk/internal/entx registers, linked in through the domain services).
func TestClassifyEntErrors(t *testing.T) {
	nf := &ent.NotFoundError{}
	require.Equal(t, errcode.NotFound, classify(fmt.Errorf("get: %w", nf)).Code)
	require.Equal(t, errcode.Conflict, classify(&ent.ConstraintError{}).Code)
	e := classify(&ent.ValidationError{Name: "title"})
	require.Equal(t, errcode.Validation, e.Code)
	require.Equal(t, "title", e.Details["field"])
	require.Equal(t, errcode.Timeout, classify(fmt.Errorf("query: %w", context.DeadlineExceeded)).Code)
	require.Equal(t, errcode.Unavailable, classify(fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P01"})).Code)
}
