package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/contrib/entgql"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/event"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// Config wires a Log.
type Config struct {
	Client   *ent.Client
	Authz    policies.Roles
	Postgres bool
	Logger   *slog.Logger
}

// Log records events in the changes' transactions and reads them back.
type Log struct {
	client   *ent.Client
	authz    policies.Roles
	postgres bool
	logger   *slog.Logger
	stream   *stream
	// ctx ends with Close: live streams stop.
	ctx   context.Context
	close context.CancelFunc

	mu sync.Mutex
	// pending are the events of open transactions, written by the
	// transaction's commit hook (flush) and forgotten on rollback.
	pending map[*ent.Tx]*batch
	// subscribers learn of every commit that wrote events, after it.
	subscribers []func(Committed)
}

// Committed tells subscribers that a transaction's events of one tenant
// are in the log: through Seq, of these types. It is sent after the
// commit, in this process only; other replicas learn of it from the
// database.
type Committed struct {
	Tenant pulid.ID
	Seq    int64
	Types  []Type
}

// OnCommit calls fn after every commit that wrote events, once per
// tenant, in the committing goroutine: fn must not block.
func (l *Log) OnCommit(fn func(Committed)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.subscribers = append(l.subscribers, fn)
}

// NewLog returns the event log of the client's database.
func NewLog(cfg Config) *Log {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Log{client: cfg.Client, authz: cfg.Authz, postgres: cfg.Postgres, logger: cfg.Logger, pending: map[*ent.Tx]*batch{}, ctx: ctx, close: cancel}
	l.stream = newStream(l)
	return l
}

// Close ends every live subscription.
func (l *Log) Close() { l.close() }

// batch is what one transaction recorded, in order.
type batch struct {
	rows []row
}

type row struct {
	id         pulid.ID
	tenantID   pulid.ID
	typ        Type
	occurredAt time.Time
	actor      string
	project    pulid.ID
	data       []byte
}

// ErrNoTransaction is a programming error: events are recorded only in
// the transaction of the change they describe.
var ErrNoTransaction = errors.New("events: Record outside a transaction (entx.WithTx)")

// Record adds an event to the transaction of ctx, by the actor of ctx. It
// is written just before that transaction commits, with the transaction's
// other events in one statement, so it commits or rolls back with the
// change; its ID is returned at once.
func (l *Log) Record(ctx context.Context, e Event) (pulid.ID, error) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		return "", ErrNoTransaction
	}
	a, ok := tenant.FromContext(ctx)
	if !ok || !a.HasTenant() {
		return "", fmt.Errorf("events: record %s: %w", e.Type, tenant.ErrUnauthenticated)
	}
	if !Known(e.Type) {
		return "", fmt.Errorf("events: unknown type %q", e.Type)
	}
	data, err := json.Marshal(orEmpty(e.Data))
	if err != nil {
		return "", fmt.Errorf("events: encode %s: %w", e.Type, err)
	}
	r := row{
		id:         pulid.New("evt_"),
		tenantID:   a.TenantID,
		typ:        e.Type,
		occurredAt: time.Now().UTC(),
		actor:      a.Label(),
		project:    e.Project,
		data:       data,
	}
	l.mu.Lock()
	b, registered := l.pending[tx]
	if !registered {
		b = &batch{}
		l.pending[tx] = b
	}
	b.rows = append(b.rows, r)
	l.mu.Unlock()
	if !registered {
		tx.OnCommit(l.flushOnCommit)
		tx.OnRollback(l.forgetOnRollback)
	}
	return r.id, nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (l *Log) take(tx *ent.Tx) *batch {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.pending[tx]
	delete(l.pending, tx)
	return b
}

func (l *Log) flushOnCommit(next ent.Committer) ent.Committer {
	return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
		b := l.take(tx)
		if b == nil {
			return next.Commit(ctx, tx)
		}
		committed, err := l.write(ctx, tx.Client(), b.rows)
		if err != nil {
			return err
		}
		if err := next.Commit(ctx, tx); err != nil {
			return err
		}
		l.publish(committed)
		return nil
	})
}

func (l *Log) publish(committed []Committed) {
	l.mu.Lock()
	subscribers := l.subscribers
	l.mu.Unlock()
	for _, c := range committed {
		for _, fn := range subscribers {
			fn(c)
		}
		l.Signal(c.Tenant, c.Seq)
	}
}

func (l *Log) forgetOnRollback(next ent.Rollbacker) ent.Rollbacker {
	return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
		l.take(tx)
		return next.Rollback(ctx, tx)
	})
}

// write inserts a transaction's events, per tenant, each tenant's numbered
// after its last_event_seq. Bumping that counter locks the tenant's row
// until the commit that follows at once, so the tenant's events are
// numbered in commit order: a reader that has seen seq n will never find
// a smaller one committed later. On PostgreSQL the bump, the insert and
// the NOTIFY that tells other replicas (delivered at commit) are one
// statement; SQLite runs one writer at a time and its statements are in
// process, so it takes two.
func (l *Log) write(ctx context.Context, c *ent.Client, rows []row) ([]Committed, error) {
	var out []Committed
	for len(rows) > 0 {
		n := 1
		for n < len(rows) && rows[n].tenantID == rows[0].tenantID {
			n++
		}
		var (
			seq int64
			err error
		)
		if l.postgres {
			seq, err = writePostgres(ctx, c, rows[:n])
		} else {
			seq, err = writeSQLite(ctx, c, rows[:n])
		}
		if err != nil {
			return nil, fmt.Errorf("events: write %d of tenant %s: %w", n, rows[0].tenantID, err)
		}
		out = append(out, committedOf(rows[:n], seq))
		rows = rows[n:]
	}
	return out, nil
}

func committedOf(rows []row, seq int64) Committed {
	c := Committed{Tenant: rows[0].tenantID, Seq: seq}
	for _, r := range rows {
		if !slices.Contains(c.Types, r.typ) {
			c.Types = append(c.Types, r.typ)
		}
	}
	return c
}

// writePostgres returns the last seq written.
func writePostgres(ctx context.Context, c *ent.Client, rows []row) (int64, error) {
	tenantID := rows[0].tenantID
	args := []any{string(tenantID), len(rows)}
	values := make([]string, len(rows))
	for i, r := range rows {
		p := len(args)
		values[i] = fmt.Sprintf("(%d, $%d, $%d, $%d::timestamptz, $%d, $%d, $%d::jsonb)", i+1, p+1, p+2, p+3, p+4, p+5, p+6)
		args = append(args, string(r.id), string(r.typ), r.occurredAt, r.actor, nullable(r.project), string(r.data))
	}
	query := `WITH counter AS (
  UPDATE tenants SET last_event_seq = last_event_seq + $2 WHERE id = $1 RETURNING last_event_seq
), written AS (
  INSERT INTO events (id, tenant_id, seq, type, occurred_at, actor, project_id, data)
  SELECT v.id, $1, counter.last_event_seq - $2 + v.ord, v.type, v.occurred_at, v.actor, v.project_id, v.data
  FROM counter, (VALUES ` + strings.Join(values, ", ") + `) AS v(ord, id, type, occurred_at, actor, project_id, data)
  RETURNING seq
)
SELECT n, seq, pg_notify('` + EventsChannel + `', $1 || ':' || seq) FROM (SELECT count(*) AS n, coalesce(max(seq), 0) AS seq FROM written) AS w`
	rs, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rs.Close()
	var (
		n, seq   int64
		notified any
	)
	if rs.Next() {
		if err := rs.Scan(&n, &seq, &notified); err != nil {
			return 0, err
		}
	}
	if err := rs.Err(); err != nil {
		return 0, err
	}
	if n != int64(len(rows)) {
		return 0, fmt.Errorf("%d rows written, not %d (is the tenant gone?)", n, len(rows))
	}
	return seq, nil
}

// writeSQLite returns the last seq written.
func writeSQLite(ctx context.Context, c *ent.Client, rows []row) (int64, error) {
	tenantID := rows[0].tenantID
	rs, err := c.QueryContext(ctx, `UPDATE tenants SET last_event_seq = last_event_seq + ? WHERE id = ? RETURNING last_event_seq`, len(rows), string(tenantID))
	if err != nil {
		return 0, err
	}
	var seq int64
	found := rs.Next()
	if found {
		err = rs.Scan(&seq)
	}
	err = errors.Join(err, rs.Err(), rs.Close())
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errors.New("no tenant row to number events (is the tenant gone?)")
	}
	args := []any{}
	values := make([]string, len(rows))
	for i, r := range rows {
		values[i] = "(?, ?, ?, ?, ?, ?, ?, ?)"
		args = append(args, string(r.id), string(tenantID), seq-int64(len(rows))+int64(i+1), string(r.typ), r.occurredAt, r.actor, nullable(r.project), string(r.data))
	}
	res, err := c.ExecContext(ctx, `INSERT INTO events (id, tenant_id, seq, type, occurred_at, actor, project_id, data) VALUES `+strings.Join(values, ", "), args...)
	if err != nil {
		return 0, err
	}
	return seq, expectRows(res, len(rows))
}

func nullable(id pulid.ID) any {
	if id == "" {
		return nil
	}
	return string(id)
}

func expectRows(res interface{ RowsAffected() (int64, error) }, want int) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != int64(want) {
		return fmt.Errorf("%d rows written, not %d (is the tenant gone?)", n, want)
	}
	return nil
}

// ListOptions select a page of the tenant's events, oldest first.
type ListOptions struct {
	First *int
	After *ent.Cursor
	// Types keeps only these types (empty: all).
	Types []string
	// Project keeps only this project's events.
	Project *pulid.ID
}

// Page sizes of the event feed.
const (
	DefaultPage = 50
	MaxPage     = 100
)

// List returns a page of the caller's tenant's events, oldest first, for
// the platform and ADMIN or OWNER members; a cursor resumes exactly after
// its event.
func (l *Log) List(ctx context.Context, opts ListOptions) (*ent.EventConnection, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	if err := l.authz.Require(a, policies.ReadEvents); err != nil {
		return nil, err
	}
	first, err := validate.Page(opts.First, DefaultPage, MaxPage)
	if err != nil {
		return nil, err
	}
	q := l.client.Event.Query()
	if len(opts.Types) > 0 {
		for i, t := range opts.Types {
			if !Known(Type(t)) {
				return nil, errcode.Invalid("types", fmt.Sprintf("types[%d] is not an event type", i))
			}
		}
		q.Where(event.TypeIn(opts.Types...))
	}
	if opts.Project != nil {
		if err := validate.String("projectId", string(*opts.Project)); err != nil {
			return nil, err
		}
		q.Where(event.ProjectID(*opts.Project))
	}
	page, err := q.Paginate(ctx, opts.After, &first, nil, nil,
		ent.WithEventOrder(&ent.EventOrder{Direction: entgql.OrderDirectionAsc, Field: ent.EventOrderFieldSeq}))
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return page, nil
}
