// Package sqlcount counts the SQL statements an ent driver runs, cheaply
// enough to stay on during benchmarks (sdk.Config.WrapDriver = c.Wrap).
package sqlcount

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"

	"entgo.io/ent/dialect"

	"github.com/lanes-dev/lanes/tenant"
)

// Counter counts statements (Exec and Query, inside transactions too) and
// the round trips to the database: the statements plus each transaction's
// BEGIN and its COMMIT or ROLLBACK. Background work (webhook deliveries)
// is counted apart: it is not the cost of the operation measured.
type Counter struct{ n, txEnds, background atomic.Int64 }

// Wrap wraps an ent driver so that its statements are counted.
func (c *Counter) Wrap(d dialect.Driver) dialect.Driver { return &countingDriver{Driver: d, c: c} }

// Snapshot is what a Counter has counted so far.
type Snapshot struct{ Statements, RoundTrips int64 }

// Snapshot returns the statements and round trips counted so far.
func (c *Counter) Snapshot() Snapshot {
	n := c.n.Load()
	return Snapshot{Statements: n, RoundTrips: n + c.txEnds.Load()}
}

// Sub returns what was counted between before and s.
func (s Snapshot) Sub(before Snapshot) Snapshot {
	return Snapshot{Statements: s.Statements - before.Statements, RoundTrips: s.RoundTrips - before.RoundTrips}
}

type countingDriver struct {
	dialect.Driver
	c *Counter
}

func (c *Counter) count(ctx context.Context) {
	if tenant.IsBackground(ctx) {
		c.background.Add(1)
		return
	}
	c.n.Add(1)
}

// Background is how many statements background work ran so far.
func (c *Counter) Background() int64 { return c.background.Load() }

func (d *countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.c.count(ctx)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *countingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.c.count(ctx)
	return d.Driver.Query(ctx, query, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	d.c.txEnds.Add(1) // BEGIN
	return &countingTx{Tx: tx, c: d.c}, nil
}

// BeginTx keeps transaction options (isolation, read-only) working through
// the wrapper, as ent's own debug driver does.
func (d *countingDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
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
	d.c.txEnds.Add(1) // BEGIN
	return &countingTx{Tx: tx, c: d.c}, nil
}

type countingTx struct {
	dialect.Tx
	c *Counter
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.c.count(ctx)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.c.count(ctx)
	return t.Tx.Query(ctx, query, args, v)
}

func (t *countingTx) Commit() error {
	t.c.txEnds.Add(1)
	return t.Tx.Commit()
}

func (t *countingTx) Rollback() error {
	t.c.txEnds.Add(1)
	return t.Tx.Rollback()
}

// rawSQL is what ent's execquery feature asks of a driver or transaction.
type rawSQL interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

var errNoRawSQL = errors.New("sqlcount: the wrapped driver does not run raw SQL")

// ExecContext and QueryContext count and forward the raw SQL Lanes runs
// through ent (cycle times, notifications).
func (d *countingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return countExec(ctx, d.c, d.Driver, query, args)
}

func (d *countingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return countQuery(ctx, d.c, d.Driver, query, args)
}

func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return countExec(ctx, t.c, t.Tx, query, args)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return countQuery(ctx, t.c, t.Tx, query, args)
}

func countExec(ctx context.Context, c *Counter, target any, query string, args []any) (sql.Result, error) {
	raw, ok := target.(rawSQL)
	if !ok {
		return nil, errNoRawSQL
	}
	c.count(ctx)
	return raw.ExecContext(ctx, query, args...)
}

func countQuery(ctx context.Context, c *Counter, target any, query string, args []any) (*sql.Rows, error) {
	raw, ok := target.(rawSQL)
	if !ok {
		return nil, errNoRawSQL
	}
	c.count(ctx)
	return raw.QueryContext(ctx, query, args...)
}
