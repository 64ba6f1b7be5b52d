package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// PostgreSQL plans: pgx prepares every statement once per connection, and
// after five runs PostgreSQL may switch a prepared statement to a generic
// plan that ignores its arguments. For the hot paths that is what we want:
// a board or a move is planned once instead of on every call (planning the
// board's per-column union took longer than running it). For the few
// statements whose best plan depends on how much of the table the tenant
// owns, a generic plan is ruinous (measured: a time report over a tenant
// ten times the average went from 0.19 s to 2 s): those run with a context
// from WithCustomPlans.

var errRawSQL = errors.New("store: the database driver does not run raw SQL")

type customPlansKey struct{}

// WithCustomPlans marks the statements run with the returned context as
// planned for the arguments of each call (PostgreSQL; SQLite has no plan
// cache to speak of). Use it for aggregations whose cost follows the size
// of the tenant: reports, exports.
func WithCustomPlans(ctx context.Context) context.Context {
	return context.WithValue(ctx, customPlansKey{}, true)
}

func customPlans(ctx context.Context) bool {
	v, _ := ctx.Value(customPlansKey{}).(bool)
	return v
}

// planArgs puts (on PostgreSQL) pgx's per-query execution mode in front of the arguments
// of a statement run with custom plans: an unnamed statement, which
// PostgreSQL plans for the arguments it is bound with (its description
// stays cached, so this costs no round trip).
func planArgs(ctx context.Context, postgres bool, args []any) []any {
	if !postgres || !customPlans(ctx) {
		return args
	}
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

// planArgsOf applies planArgs to ent's statement arguments ([]any).
func planArgsOf(ctx context.Context, postgres bool, args any) any {
	if a, ok := args.([]any); ok {
		return planArgs(ctx, postgres, a)
	}
	return args
}
