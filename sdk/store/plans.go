package store

import (
	"context"
	"database/sql"
	"errors"

	"entgo.io/ent/dialect"
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

// planArgs puts pgx's per-query execution mode in front of the arguments
// of a statement run with custom plans: an unnamed statement, which
// PostgreSQL plans for the arguments it is bound with (its description
// stays cached, so this costs no round trip).
func planArgs(ctx context.Context, args []any) []any {
	if !customPlans(ctx) {
		return args
	}
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

// planningDriver is the ent driver of a PostgreSQL database: it applies
// WithCustomPlans to the statements ent and Lanes' raw SQL run.
type planningDriver struct{ dialect.Driver }

func (d planningDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.Driver.Query(ctx, query, planArgsOf(ctx, args), v)
}

func (d planningDriver) Exec(ctx context.Context, query string, args, v any) error {
	return d.Driver.Exec(ctx, query, planArgsOf(ctx, args), v)
}

func (d planningDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return planningTx{tx}, nil
}

// BeginTx keeps transaction options (isolation, read-only) working.
func (d planningDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return d.Tx(ctx)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return planningTx{tx}, nil
}

// QueryContext and ExecContext serve ent's raw SQL (the execquery feature).
func (d planningDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errRawSQL
	}
	return q.QueryContext(ctx, query, planArgs(ctx, args)...)
}

func (d planningDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	e, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errRawSQL
	}
	return e.ExecContext(ctx, query, planArgs(ctx, args)...)
}

type planningTx struct{ dialect.Tx }

func (t planningTx) Query(ctx context.Context, query string, args, v any) error {
	return t.Tx.Query(ctx, query, planArgsOf(ctx, args), v)
}

func (t planningTx) Exec(ctx context.Context, query string, args, v any) error {
	return t.Tx.Exec(ctx, query, planArgsOf(ctx, args), v)
}

func (t planningTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errRawSQL
	}
	return q.QueryContext(ctx, query, planArgs(ctx, args)...)
}

func (t planningTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	e, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errRawSQL
	}
	return e.ExecContext(ctx, query, planArgs(ctx, args)...)
}

// planArgsOf applies planArgs to ent's statement arguments ([]any).
func planArgsOf(ctx context.Context, args any) any {
	if a, ok := args.([]any); ok {
		return planArgs(ctx, a)
	}
	return args
}
