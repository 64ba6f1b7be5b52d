package store

import (
	"context"
	"database/sql"
	"errors"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
)

// driver is the ent driver Lanes runs on: on PostgreSQL it applies
// WithCustomPlans to the statements ent and Lanes' raw SQL run; on both
// databases it keeps each result's column types for all its rows, and it
// gives the failures a caller may retry their code (retryable).
type driver struct {
	dialect.Driver
	postgres bool
}

func (d driver) Query(ctx context.Context, query string, args, v any) error {
	args = planArgsOf(ctx, d.postgres, args)
	if err := d.Driver.Query(ctx, query, args, v); err != nil {
		return retryable(err)
	}
	keepColumnTypes(v)
	return nil
}

func (d driver) Exec(ctx context.Context, query string, args, v any) error {
	args = planArgsOf(ctx, d.postgres, args)
	return retryable(d.Driver.Exec(ctx, query, args, v))
}

func (d driver) Tx(ctx context.Context) (dialect.Tx, error) {
	t, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, retryable(err)
	}
	return tx{Tx: t, postgres: d.postgres}, nil
}

// BeginTx keeps transaction options (isolation, read-only) working.
func (d driver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return d.Tx(ctx)
	}
	t, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, retryable(err)
	}
	return tx{Tx: t, postgres: d.postgres}, nil
}

// QueryContext and ExecContext serve ent's raw SQL (the execquery feature).
func (d driver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return rawQuery(ctx, d.Driver, d.postgres, query, args)
}

func (d driver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return rawExec(ctx, d.Driver, d.postgres, query, args)
}

type tx struct {
	dialect.Tx
	postgres bool
}

func (t tx) Query(ctx context.Context, query string, args, v any) error {
	args = planArgsOf(ctx, t.postgres, args)
	if err := t.Tx.Query(ctx, query, args, v); err != nil {
		return retryable(err)
	}
	keepColumnTypes(v)
	return nil
}

func (t tx) Exec(ctx context.Context, query string, args, v any) error {
	args = planArgsOf(ctx, t.postgres, args)
	return retryable(t.Tx.Exec(ctx, query, args, v))
}

func (t tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return rawQuery(ctx, t.Tx, t.postgres, query, args)
}

func (t tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return rawExec(ctx, t.Tx, t.postgres, query, args)
}

// rawSQL is what ent's execquery feature asks of a driver or transaction.
type rawSQL interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func rawQuery(ctx context.Context, target any, postgres bool, query string, args []any) (*sql.Rows, error) {
	raw, ok := target.(rawSQL)
	if !ok {
		return nil, errRawSQL
	}
	rows, err := raw.QueryContext(ctx, query, planArgs(ctx, postgres, args)...)
	return rows, retryable(err)
}

func rawExec(ctx context.Context, target any, postgres bool, query string, args []any) (sql.Result, error) {
	raw, ok := target.(rawSQL)
	if !ok {
		return nil, errRawSQL
	}
	res, err := raw.ExecContext(ctx, query, planArgs(ctx, postgres, args)...)
	return res, retryable(err)
}

// keepColumnTypes makes a result's column types computed once: ent asks
// database/sql for them on every row that has a column of its own (a
// count a query adds to its rows), and database/sql builds them anew each
// time (measured: a twentieth of a board's CPU time).
func keepColumnTypes(v any) {
	if rows, ok := v.(*entsql.Rows); ok && rows.ColumnScanner != nil {
		rows.ColumnScanner = &columnTypesOnce{ColumnScanner: rows.ColumnScanner}
	}
}

type columnTypesOnce struct {
	entsql.ColumnScanner
	types []*sql.ColumnType
}

func (r *columnTypesOnce) ColumnTypes() ([]*sql.ColumnType, error) {
	if r.types == nil {
		types, err := r.ColumnScanner.ColumnTypes()
		if err != nil {
			return nil, err
		}
		r.types = types
	}
	return r.types, nil
}

// NextResultSet forgets the column types: the next result has its own.
func (r *columnTypesOnce) NextResultSet() bool {
	r.types = nil
	return r.ColumnScanner.NextResultSet()
}

// retryable returns a database failure the caller may retry (the database
// unreachable, busy or out of time: UNAVAILABLE, TIMEOUT) as an
// *errcode.Error that wraps it, so every read and write of every service
// carries the code in its chain (errors.As), the SDK's callers' included;
// other errors stay as the driver returned them, for ent to interpret
// (constraint violations) and errcode.From to classify at the edges.
func retryable(err error) error {
	if err == nil {
		return nil
	}
	var coded *errcode.Error
	if errors.As(err, &coded) {
		return err
	}
	if e := entx.Classify(err); e != nil && e.Code.Retryable() {
		return e.WithCause(err)
	}
	return err
}
