package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	entwebhook "github.com/lanes-dev/lanes/ent/webhook"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/tenant"
)

// How deliveries flow. The event log is the outbox: a change writes its
// events in its own transaction, and nothing else. River jobs are not
// inserted in that transaction because ent's generated Tx does not hand
// out its *sql.Tx (River's drivers need one), and an insert per matching
// endpoint would add round trips to every change (a move stays within
// six). Instead, after each commit the log tells this process (Committed),
// which inserts one River job per matching endpoint; a periodic sweep, and
// one at start, insert jobs for endpoints that are behind their tenant's
// log, so an event committed just before the process died is delivered
// after it restarts.
//
// A job drains one endpoint: the events after its delivered_seq, in seq
// order, one at a time. Only the holder of the endpoint's lease drains it,
// which keeps deliveries in order; a job that finds the lease taken asks
// the holder (wake_seq) to drain through its seq before letting go, and is
// done. A failed attempt gives the endpoint a backoff (next_attempt_at)
// and makes its job the only one that drains it until then (retry_job):
// that job snoozes for the backoff, and others finding the endpoint
// backing off leave their events to it.

// River job kinds and the queue of deliveries.
const (
	deliverKind = "lanes.webhook.deliver"
	sweepKind   = "lanes.webhook.sweep"
	queueName   = "lanes_webhooks"
)

// Timing of deliveries.
const (
	// DefaultRetryMin is the first retry's delay (LANES_WEBHOOK_RETRY_MIN).
	DefaultRetryMin = 5 * time.Second
	// DefaultMaxBackoff bounds the delay between two attempts.
	DefaultMaxBackoff = time.Hour
	// DefaultDisableAfter is how long an endpoint may fail before it is
	// disabled.
	DefaultDisableAfter = 72 * time.Hour
	// leaseFor is how long a drain holds an endpoint without renewing
	// (each attempt renews it, and an attempt takes at most 10 s).
	leaseFor = 30 * time.Second
	// drainBudget bounds one job's work; a longer backlog continues in a
	// new job.
	drainBudget = 2 * time.Minute
	// batchSize is how many events a drain reads at a time.
	batchSize = 100
	// renewEvery is how often a drain saves its progress, renewing the
	// lease, while it delivers a batch.
	renewEvery = 5 * time.Second
	// reloadEvery is how many events a drain delivers between two reads
	// of its endpoint.
	reloadEvery = 100
	// lingerFor is how long a drain that caught up waits for this
	// process's next events before it lets the endpoint go: under a
	// steady flow of changes one job delivers them all, instead of a
	// River job, a lease and its release per event.
	lingerFor = 500 * time.Millisecond
	// sweepEvery is how often endpoints behind their log are looked for.
	sweepEvery = 30 * time.Second
)

type deliverArgs struct {
	Tenant  pulid.ID `json:"tenant"`
	Webhook pulid.ID `json:"webhook"`
	// Seq: the job is done once the endpoint is delivered through it.
	Seq int64 `json:"seq"`
	// Sweep is set by the sweep that made the job (its time), so that a
	// job with the same seq left running by a process that died does not
	// hold it back as a duplicate.
	Sweep int64 `json:"sweep,omitempty"`
}

func (deliverArgs) Kind() string { return deliverKind }

func (deliverArgs) InsertOpts() river.InsertOpts {
	// The same endpoint and seq twice is one job, while it has not run
	// (a completed one must not stop a later sweep's).
	return river.InsertOpts{Queue: queueName, MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

type sweepArgs struct{}

func (sweepArgs) Kind() string { return sweepKind }

func (sweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueName, MaxAttempts: 3}
}

// DeliveryConfig wires a Deliverer.
type DeliveryConfig struct {
	// DB is the pool River works on (the same database as the client).
	DB      *sql.DB
	Dialect string
	Events  *events.Log
	Logger  *slog.Logger
	// RetryMin is the first retry's delay; each next one doubles, up to
	// MaxBackoff.
	RetryMin   time.Duration
	MaxBackoff time.Duration
	// DisableAfter is how long an endpoint may fail before it is disabled.
	DisableAfter time.Duration
	// Workers bounds concurrent deliveries of this process (default 10);
	// negative: this process delivers nothing, only enqueues (other
	// replicas deliver).
	Workers int
}

// Deliverer delivers every tenant's events to its webhook endpoints, with
// River for the jobs, their retries and their recovery.
type Deliverer struct {
	svc   *Service
	cfg   DeliveryConfig
	river *river.Client[*sql.Tx]

	// endpoints caches each tenant's enabled endpoints for the relay.
	endpoints endpointCache

	// draining are the endpoints this process drains now, with the
	// highest seq committed here since: the relay tells a running drain
	// instead of inserting a job per event (a drain lets go only when
	// it has caught up with it).
	drainingMu sync.Mutex
	draining   map[pulid.ID]*drainState
	// stopping ends lingering drains when the deliverer stops.
	stopping <-chan struct{}

	mu      sync.Mutex
	pending map[pulid.ID]events.Committed
	kick    chan struct{}
	stop    context.CancelFunc
	relayed chan struct{}
}

// MigrateQueue creates or updates River's tables (run by the store's
// migration, under its lock on PostgreSQL).
func MigrateQueue(ctx context.Context, db *sql.DB, dia string) error {
	m, err := rivermigrate.New(queueDriver(db, dia), &rivermigrate.Config{Logger: quiet(slog.Default())})
	if err != nil {
		return fmt.Errorf("webhook queue: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("webhook queue: migrate: %w", err)
	}
	return nil
}

// queueDriver is River's driver for the pool: database/sql on both
// databases, so River shares Lanes' pool and driver.
func queueDriver(db *sql.DB, dia string) riverdriver.Driver[*sql.Tx] {
	if dia == dialect.Postgres {
		return riverdatabasesql.New(db)
	}
	return riversqlite.New(db)
}

// NewDeliverer returns the deliverer of the service's endpoints; Start
// starts it.
func NewDeliverer(svc *Service, cfg DeliveryConfig) (*Deliverer, error) {
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = DefaultRetryMin
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.RetryMin)
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = DefaultDisableAfter
	}
	if cfg.Workers == 0 {
		cfg.Workers = 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d := &Deliverer{svc: svc, cfg: cfg, pending: map[pulid.ID]events.Committed{}, kick: make(chan struct{}, 1), draining: map[pulid.ID]*drainState{}}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &deliverWorker{d: d}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &sweepWorker{d: d}); err != nil {
		return nil, err
	}
	rc := &river.Config{
		Workers: workers,
		Logger:  quiet(cfg.Logger),
	}
	if cfg.Workers > 0 {
		rc.Queues = map[string]river.QueueConfig{queueName: {MaxWorkers: cfg.Workers}}
		rc.FetchCooldown = 5 * time.Millisecond
		rc.JobTimeout = drainBudget + 2*AttemptTimeout
		// A job of a process that died is worked again after this.
		rc.RescueStuckJobsAfter = drainBudget + 3*AttemptTimeout
		rc.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(sweepEvery),
				func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil },
				&river.PeriodicJobOpts{ID: sweepKind}),
		}
	}
	client, err := river.NewClient(queueDriver(cfg.DB, cfg.Dialect), rc)
	if err != nil {
		return nil, fmt.Errorf("webhook queue: %w", err)
	}
	d.river = client
	svc.deliverer = d
	return d, nil
}

// Start starts the workers and the relay from the event log, then looks
// once for endpoints left behind (by a process that stopped before its
// jobs were inserted).
func (d *Deliverer) Start(ctx context.Context) error {
	working := d.cfg.Workers > 0
	if working {
		// River stops when Start's context ends: Stop ends it instead.
		if err := d.river.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("webhook queue: start: %w", err)
		}
	}
	relayCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stop = stop
	d.stopping = relayCtx.Done()
	d.relayed = make(chan struct{})
	d.cfg.Events.OnCommit(d.committed)
	go d.relay(relayCtx)
	if !working {
		return nil
	}
	go func() {
		if err := d.sweep(relayCtx); err != nil && relayCtx.Err() == nil {
			d.cfg.Logger.Warn("webhook sweep at start", "err", err)
		}
	}()
	return nil
}

// Stop stops inserting and working jobs, letting running attempts finish
// until ctx ends (then they are cancelled and retried by the next start).
func (d *Deliverer) Stop(ctx context.Context) error {
	if d.stop == nil {
		return nil
	}
	d.stop()
	<-d.relayed
	if d.cfg.Workers < 0 {
		return nil
	}
	err := d.river.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = d.river.StopAndCancel(context.WithoutCancel(ctx))
	}
	return err
}

// committed is the event log's signal after a commit: it must not block.
func (d *Deliverer) committed(c events.Committed) {
	d.mu.Lock()
	p, ok := d.pending[c.Tenant]
	if !ok {
		p = events.Committed{Tenant: c.Tenant}
	}
	p.Seq = max(p.Seq, c.Seq)
	for _, t := range c.Types {
		if !slices.Contains(p.Types, t) {
			p.Types = append(p.Types, t)
		}
	}
	d.pending[c.Tenant] = p
	d.mu.Unlock()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// relay inserts the jobs of committed events, a batch at a time: commits
// that arrive while it inserts are merged into the next batch.
func (d *Deliverer) relay(ctx context.Context) {
	defer close(d.relayed)
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		}
		d.mu.Lock()
		batch := d.pending
		d.pending = map[pulid.ID]events.Committed{}
		d.mu.Unlock()
		var jobs []river.InsertManyParams
		for _, c := range batch {
			hooks, err := d.enabledEndpoints(ctx, c.Tenant)
			if err != nil {
				// The sweep inserts these jobs later.
				d.cfg.Logger.Warn("webhook relay", "tenant", c.Tenant, "err", err)
				continue
			}
			for _, w := range hooks {
				if wantsAny(w.Events, c.Types) && !d.tellDrain(w.ID, c.Seq) {
					jobs = append(jobs, river.InsertManyParams{Args: deliverArgs{Tenant: c.Tenant, Webhook: w.ID, Seq: c.Seq}})
				}
			}
		}
		if len(jobs) > 0 {
			if _, err := d.river.InsertMany(ctx, jobs); err != nil && ctx.Err() == nil {
				d.cfg.Logger.Warn("webhook relay", "jobs", len(jobs), "err", err)
			}
		}
	}
}

// enabledEndpoints are the tenant's enabled endpoints (their IDs and
// filters), cached: a move costs no lookup of them.
func (d *Deliverer) enabledEndpoints(ctx context.Context, tenantID pulid.ID) ([]*ent.Webhook, error) {
	if hooks, ok := d.endpoints.get(tenantID); ok {
		return hooks, nil
	}
	gen := d.endpoints.generation()
	hooks, err := d.svc.cfg.Client.Webhook.Query().
		Where(entwebhook.Enabled(true)).
		Select(entwebhook.FieldID, entwebhook.FieldEvents).
		All(systemContext(ctx, tenantID))
	if err != nil {
		return nil, err
	}
	d.endpoints.put(tenantID, hooks, gen)
	return hooks, nil
}

// endpointCache holds each tenant's enabled endpoints for endpointsTTL, or
// until a change drops them. A put that raced with a drop is not kept.
type endpointCache struct {
	mu      sync.Mutex
	gen     uint64
	tenants map[pulid.ID]cachedEndpoints
}

type cachedEndpoints struct {
	hooks []*ent.Webhook
	until time.Time
}

const (
	// endpointsTTL bounds how stale the relay's view can be when a
	// change notice is missed (SQLite replicas; the sweep delivers what a
	// stale view left out).
	endpointsTTL = 10 * time.Second
	// maxCachedTenants bounds the cache (it starts over beyond).
	maxCachedTenants = 10000
)

func (c *endpointCache) get(id pulid.ID) ([]*ent.Webhook, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.tenants[id]
	if !ok || time.Now().After(e.until) {
		return nil, false
	}
	return e.hooks, true
}

func (c *endpointCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *endpointCache) put(id pulid.ID, hooks []*ent.Webhook, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.tenants == nil || len(c.tenants) >= maxCachedTenants {
		c.tenants = map[pulid.ID]cachedEndpoints{}
	}
	c.tenants[id] = cachedEndpoints{hooks: hooks, until: time.Now().Add(endpointsTTL)}
}

func (c *endpointCache) drop(id pulid.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.tenants, id)
}

func (c *endpointCache) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.tenants = nil
}

// enqueue asks for a drain of one endpoint through seq now (after it
// was changed: a new URL, enabled again).
func (d *Deliverer) enqueue(ctx context.Context, tenantID, webhookID pulid.ID, seq int64) error {
	_, err := d.river.Insert(ctx, deliverArgs{Tenant: tenantID, Webhook: webhookID, Seq: seq}, nil)
	return err
}

// sweep inserts a job for every enabled endpoint behind its tenant's log,
// across tenants.
func (d *Deliverer) sweep(ctx context.Context) error {
	ctx = tenant.MarkBackground(ctx)
	sweep := time.Now().UnixNano()
	w, t := entsql.Table(entwebhook.Table), entsql.Table("tenants").As("t")
	q, args := entsql.Dialect(d.cfg.Dialect).
		Select(w.C(entwebhook.FieldID), w.C(entwebhook.FieldTenantID), t.C("last_event_seq")).
		From(w).
		Join(t).On(w.C(entwebhook.FieldTenantID), t.C("id")).
		Where(entsql.And(
			entsql.EQ(w.C(entwebhook.FieldEnabled), true),
			entsql.ColumnsLT(w.C(entwebhook.FieldDeliveredSeq), t.C("last_event_seq")),
		)).Query()
	rows, err := d.svc.cfg.Client.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("webhook sweep: %w", err)
	}
	var jobs []river.InsertManyParams
	for rows.Next() {
		var a deliverArgs
		if err := rows.Scan(&a.Webhook, &a.Tenant, &a.Seq); err != nil {
			rows.Close()
			return fmt.Errorf("webhook sweep: %w", err)
		}
		a.Sweep = sweep
		jobs = append(jobs, river.InsertManyParams{Args: a})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("webhook sweep: %w", err)
	}
	if len(jobs) == 0 {
		return nil
	}
	if _, err := d.river.InsertMany(ctx, jobs); err != nil {
		return fmt.Errorf("webhook sweep: insert %d jobs: %w", len(jobs), err)
	}
	return nil
}

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	d *Deliverer
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error { return w.d.sweep(ctx) }

type deliverWorker struct {
	river.WorkerDefaults[deliverArgs]
	d *Deliverer
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	return w.d.work(systemContext(ctx, job.Args.Tenant), job.ID, job.Args)
}

// work delivers the endpoint through args.Seq: by draining it when the
// lease is free, else by leaving it to the holder.
func (d *Deliverer) work(ctx context.Context, jobID int64, args deliverArgs) error {
	for range 3 {
		w, err := d.svc.cfg.Client.Webhook.Get(ctx, args.Webhook)
		if ent.IsNotFound(err) {
			return nil // deleted
		}
		if err != nil {
			return fmt.Errorf("load webhook %s: %w", args.Webhook, err)
		}
		if !w.Enabled {
			return nil
		}
		now := time.Now().UTC()
		retrying := w.RetryJob != nil && *w.RetryJob == jobID
		if !retrying {
			if w.DeliveredSeq >= args.Seq {
				return nil
			}
			if w.NextAttemptAt != nil && now.Before(*w.NextAttemptAt) {
				return nil // the retrying job delivers it after the backoff
			}
		}
		leased, err := d.acquire(ctx, w, jobID, now)
		if err != nil {
			return err
		}
		if leased {
			return d.drain(ctx, jobID, w.ID)
		}
		asked, err := d.askHolder(ctx, w.ID, args.Seq, now)
		if err != nil || asked {
			return err
		}
		// The lease was let go meanwhile, or a backoff began: look again.
	}
	return river.JobSnooze(time.Second)
}

// update runs one conditional UPDATE of a webhook's delivery state (raw,
// so that updated_at keeps meaning a change by an admin) and reports
// whether it applied.
func (d *Deliverer) update(ctx context.Context, id pulid.ID, set func(*entsql.UpdateBuilder), where ...*entsql.Predicate) (bool, error) {
	return d.updateWith(ctx, d.svc.cfg.Client, id, set, where...)
}

func (d *Deliverer) updateWith(ctx context.Context, c *ent.Client, id pulid.ID, set func(*entsql.UpdateBuilder), where ...*entsql.Predicate) (bool, error) {
	a, _ := tenant.FromContext(ctx)
	u := entsql.Dialect(d.cfg.Dialect).Update(entwebhook.Table)
	set(u)
	u.Where(entsql.And(append([]*entsql.Predicate{
		entsql.EQ(entwebhook.FieldID, string(id)),
		entsql.EQ(entwebhook.FieldTenantID, string(a.TenantID)),
	}, where...)...))
	q, qargs := u.Query()
	res, err := c.ExecContext(ctx, q, qargs...)
	if err != nil {
		return false, fmt.Errorf("webhook %s: update delivery state: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("webhook %s: update delivery state: %w", id, err)
	}
	return n == 1, nil
}

func leaseFree(now time.Time) *entsql.Predicate {
	return entsql.Or(entsql.IsNull(entwebhook.FieldLeaseUntil), entsql.LT(entwebhook.FieldLeaseUntil, now))
}

func leaseHeldBy(jobID int64) *entsql.Predicate {
	return entsql.EQ(entwebhook.FieldLeaseJob, jobID)
}

// acquire takes the endpoint's lease: free (or lapsed), or this job's
// still (River runs a job again after an error it could not clean up
// after, the database being away), and not backing off unless this is the
// retrying job.
func (d *Deliverer) acquire(ctx context.Context, w *ent.Webhook, jobID int64, now time.Time) (bool, error) {
	return d.update(ctx, w.ID, func(u *entsql.UpdateBuilder) {
		u.Set(entwebhook.FieldLeaseJob, jobID).Set(entwebhook.FieldLeaseUntil, now.Add(leaseFor))
	},
		entsql.EQ(entwebhook.FieldEnabled, true),
		entsql.Or(leaseFree(now), leaseHeldBy(jobID)),
		entsql.Or(entsql.IsNull(entwebhook.FieldNextAttemptAt), entsql.LTE(entwebhook.FieldNextAttemptAt, now), entsql.EQ(entwebhook.FieldRetryJob, jobID)),
	)
}

// askHolder makes the lease's holder drain through seq before it lets
// go; false when there is no holder any more.
func (d *Deliverer) askHolder(ctx context.Context, id pulid.ID, seq int64, now time.Time) (bool, error) {
	held := entsql.And(entsql.NotNull(entwebhook.FieldLeaseJob), entsql.GTE(entwebhook.FieldLeaseUntil, now))
	asked, err := d.update(ctx, id, func(u *entsql.UpdateBuilder) { u.Set(entwebhook.FieldWakeSeq, seq) },
		held, entsql.LT(entwebhook.FieldWakeSeq, seq))
	if err != nil || asked {
		return asked, err
	}
	// Asked already, by a job with a later seq?
	w, err := d.svc.cfg.Client.Webhook.Get(ctx, id)
	if ent.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("load webhook %s: %w", id, err)
	}
	return w.LeaseJob != nil && w.LeaseUntil != nil && !w.LeaseUntil.Before(now) && w.WakeSeq >= seq, nil
}

// drain delivers the endpoint's events in order until none is left, while
// it holds the lease. When it fails (the database is away), it lets the
// lease go if it can, so that River's retry, or another job, goes on
// without waiting for the lease to lapse.
func (d *Deliverer) drain(ctx context.Context, jobID int64, id pulid.ID) (err error) {
	defer func() {
		var snooze *river.JobSnoozeError
		if err == nil || errors.As(err, &snooze) {
			return
		}
		// The database may be back in a moment (a restart): try for a
		// few seconds, then leave the lease to lapse.
		release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for {
			if _, err := d.update(release, id, func(u *entsql.UpdateBuilder) {
				u.SetNull(entwebhook.FieldLeaseJob).SetNull(entwebhook.FieldLeaseUntil)
			}, leaseHeldBy(jobID)); err == nil {
				return
			}
			select {
			case <-release.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	d.drainStarts(id)
	defer d.drainEnds(id)
	var secrets []string
	deadline := time.Now().Add(drainBudget)
	// The endpoint is read again after it caught up, and every
	// reloadEvery events: in between, each progress UPDATE checks the
	// lease, and a change of URL, filter or enabled applies from the next
	// read.
	var w *ent.Webhook
	sinceLoad := 0
	var lastRead time.Time
	for {
		if w == nil || sinceLoad >= reloadEvery {
			if w, err = d.svc.cfg.Client.Webhook.Get(ctx, id); ent.IsNotFound(err) {
				return nil
			} else if err != nil {
				return fmt.Errorf("load webhook %s: %w", id, err)
			}
			sinceLoad = 0
			if w.LeaseJob == nil || *w.LeaseJob != jobID || !w.Enabled {
				return nil // lost the lease (lapsed and taken) or disabled
			}
		}
		if !events.Pause(ctx, lastRead) {
			return ctx.Err()
		}
		batch, err := d.next(ctx, w.DeliveredSeq)
		lastRead = time.Now()
		if len(batch) == batchSize {
			lastRead = time.Time{} // a backlog: read on at once
		}
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			if d.linger(ctx, id, w.DeliveredSeq, deadline) {
				continue // told of more in this process
			}
			released, err := d.update(ctx, id, func(u *entsql.UpdateBuilder) {
				u.SetNull(entwebhook.FieldLeaseJob).SetNull(entwebhook.FieldLeaseUntil)
			}, leaseHeldBy(jobID), entsql.ColumnsLTE(entwebhook.FieldWakeSeq, entwebhook.FieldDeliveredSeq))
			if err != nil || released {
				return err
			}
			// Asked for more meanwhile (or the lease is gone: the load
			// tells).
			w = nil
			d.drainStarts(id)
			continue
		}
		if secrets == nil {
			// Once per drain: a rotated secret keeps signing for a day.
			if secrets, err = d.svc.SigningSecrets(ctx, d.svc.cfg.Client, id); err != nil {
				return err
			}
		}
		// Successes are recorded and the progress saved together, once
		// per batch (or every renewEvery, to keep the lease): a crash in
		// between sends them again, with the same webhook-id.
		through := w.DeliveredSeq
		var succeeded []attemptOf
		renewed := time.Now()
		save := func() (bool, error) {
			if err := d.svc.recordAll(ctx, w.ID, succeeded); err != nil {
				return false, err
			}
			succeeded = succeeded[:0]
			renewed = time.Now()
			return d.advance(ctx, jobID, id, through)
		}
		for _, e := range batch {
			if !wants(w.Events, e.Type) || e.Silenced {
				through = e.Seq
				continue
			}
			o := d.svc.attempt(ctx, w.URL, secrets, e.Event)
			if !o.succeeded {
				if err := d.svc.recordAll(ctx, w.ID, append(succeeded, attemptOf{e.ID, w.Failures + 1, o})); err != nil {
					return err
				}
				return d.failed(ctx, jobID, w, through)
			}
			succeeded = append(succeeded, attemptOf{e.ID, w.Failures + 1, o})
			through = e.Seq
			w.Failures, w.FailingSince = 0, nil
			if time.Since(renewed) >= renewEvery {
				if held, err := save(); err != nil || !held {
					return err
				}
			}
		}
		held, err := save()
		if err != nil || !held {
			return err
		}
		w.DeliveredSeq = through
		sinceLoad += len(batch)
		if time.Now().After(deadline) {
			// Let a new job go on, so no job runs into its timeout.
			if err := d.enqueue(ctx, w.TenantID, id, through+1); err != nil {
				return err
			}
			_, err := d.update(ctx, id, func(u *entsql.UpdateBuilder) {
				u.SetNull(entwebhook.FieldLeaseJob).SetNull(entwebhook.FieldLeaseUntil)
			}, leaseHeldBy(jobID))
			return err
		}
	}
}

// drainState is what this process's drain of an endpoint was told.
type drainState struct {
	// wanted is the highest seq committed here since the drain started.
	wanted int64
	// wake tells a lingering drain that wanted moved.
	wake chan struct{}
}

// drainStarts notes that this process drains the endpoint.
func (d *Deliverer) drainStarts(id pulid.ID) {
	d.drainingMu.Lock()
	defer d.drainingMu.Unlock()
	if _, ok := d.draining[id]; !ok {
		d.draining[id] = &drainState{wake: make(chan struct{}, 1)}
	}
}

// drainEnds forgets a drain that stopped.
func (d *Deliverer) drainEnds(id pulid.ID) {
	d.drainingMu.Lock()
	defer d.drainingMu.Unlock()
	delete(d.draining, id)
}

// tellDrain tells this process's drain of the endpoint, if there is one,
// that the log is at seq; false when there is none (a job is needed).
func (d *Deliverer) tellDrain(id pulid.ID, seq int64) bool {
	d.drainingMu.Lock()
	defer d.drainingMu.Unlock()
	st, ok := d.draining[id]
	if !ok {
		return false
	}
	if seq > st.wanted {
		st.wanted = seq
		select {
		case st.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// linger waits, after the drain delivered through delivered, until it is
// told of more (true), or for lingerFor, the job's deadline or the
// deliverer's stop; then, told of nothing, it stops taking tells (the
// relay inserts jobs again, which ask the lease's holder through
// wake_seq) and returns false. Drains linger only while they keep at
// most half of the workers, so that other endpoints' jobs are not held
// up.
func (d *Deliverer) linger(ctx context.Context, id pulid.ID, delivered int64, deadline time.Time) bool {
	d.drainingMu.Lock()
	st := d.draining[id]
	if st == nil {
		d.drainingMu.Unlock()
		return false
	}
	wait := min(lingerFor, time.Until(deadline))
	if st.wanted > delivered || 2*len(d.draining) > d.cfg.Workers {
		wait = 0
	}
	d.drainingMu.Unlock()
	if wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-st.wake:
		case <-timer.C:
		case <-ctx.Done():
		case <-d.stopping:
		}
		timer.Stop()
	}
	d.drainingMu.Lock()
	defer d.drainingMu.Unlock()
	if st.wanted > delivered {
		return true
	}
	delete(d.draining, id)
	return false
}

// next reads the events after seq, each with whether it is silenced
// (an archived project delivers nothing after its project.archived).
// Silenced events are read too, so that progress moves past them.
func (d *Deliverer) next(ctx context.Context, seq int64) ([]events.Logged, error) {
	return d.cfg.Events.After(ctx, seq, batchSize)
}

// advance records progress through seq (and that the endpoint answers),
// renewing the lease; false when the lease was lost.
func (d *Deliverer) advance(ctx context.Context, jobID int64, id pulid.ID, seq int64) (bool, error) {
	return d.update(ctx, id, func(u *entsql.UpdateBuilder) {
		u.Set(entwebhook.FieldDeliveredSeq, seq).
			Set(entwebhook.FieldLeaseUntil, time.Now().UTC().Add(leaseFor)).
			Set(entwebhook.FieldFailures, 0).
			SetNull(entwebhook.FieldFailingSince).
			SetNull(entwebhook.FieldNextAttemptAt).
			SetNull(entwebhook.FieldRetryJob)
	}, leaseHeldBy(jobID))
}

// failed records a failed attempt: the endpoint backs off and this job
// retries it after the backoff, or, failing for DisableAfter, the
// endpoint is disabled.
func (d *Deliverer) failed(ctx context.Context, jobID int64, w *ent.Webhook, through int64) error {
	now := time.Now().UTC()
	failures := w.Failures + 1
	since := now
	if w.FailingSince != nil {
		since = w.FailingSince.UTC()
	}
	if now.Sub(since) >= d.cfg.DisableAfter {
		reason := fmt.Sprintf("Lanes disabled this endpoint: its deliveries failed for %s, since %s.", d.cfg.DisableAfter, since.Format(time.RFC3339))
		// Disabled and told (webhook.disabled: the admins are notified)
		// together.
		return entx.WithTx(ctx, d.svc.cfg.Client, func(ctx context.Context, c *ent.Client) error {
			disabled, err := d.updateWith(ctx, c, w.ID, func(u *entsql.UpdateBuilder) {
				u.Set(entwebhook.FieldEnabled, false).Set(entwebhook.FieldDisabledReason, reason).
					Set(entwebhook.FieldDeliveredSeq, through).Set(entwebhook.FieldFailures, failures).
					SetNull(entwebhook.FieldNextAttemptAt).SetNull(entwebhook.FieldRetryJob).
					SetNull(entwebhook.FieldLeaseJob).SetNull(entwebhook.FieldLeaseUntil)
			}, leaseHeldBy(jobID))
			if err != nil || !disabled {
				return err
			}
			d.endpoints.drop(w.TenantID)
			d.cfg.Logger.Warn("webhook endpoint disabled", "tenant", w.TenantID, "webhook", w.ID, "failing_since", since)
			_, err = d.cfg.Events.Record(ctx, events.Event{Type: events.WebhookDisabled, Data: map[string]any{
				"webhook": map[string]any{"id": w.ID, "url": w.URL},
				"reason":  reason,
			}})
			return err
		})
	}
	backoff := d.backoff(failures)
	_, err := d.update(ctx, w.ID, func(u *entsql.UpdateBuilder) {
		u.Set(entwebhook.FieldDeliveredSeq, through).Set(entwebhook.FieldFailures, failures).
			Set(entwebhook.FieldFailingSince, since).Set(entwebhook.FieldNextAttemptAt, now.Add(backoff)).
			Set(entwebhook.FieldRetryJob, jobID).
			SetNull(entwebhook.FieldLeaseJob).SetNull(entwebhook.FieldLeaseUntil)
	}, leaseHeldBy(jobID))
	if err != nil {
		return err
	}
	return river.JobSnooze(backoff)
}

// backoff is the delay after the n-th failure in a row: RetryMin, then
// doubling up to MaxBackoff, less up to a tenth at random so that
// endpoints failing together do not retry together.
func (d *Deliverer) backoff(n int) time.Duration {
	delay := d.cfg.MaxBackoff
	if n <= 30 {
		delay = min(d.cfg.RetryMin<<(n-1), d.cfg.MaxBackoff)
	}
	return delay - time.Duration(rand.Int64N(int64(delay/10)+1))
}

// wants reports whether an endpoint with the types filter takes events of
// type t (an empty filter takes all).
func wants(filter []string, t string) bool {
	return len(filter) == 0 || slices.Contains(filter, t)
}

func wantsAny(filter []string, types []events.Type) bool {
	for _, t := range types {
		if wants(filter, string(t)) {
			return true
		}
	}
	return false
}

// systemContext acts as Lanes' background work inside one tenant.
func systemContext(ctx context.Context, tenantID pulid.ID) context.Context {
	return tenant.Background(ctx, tenantID, "webhooks")
}

// quiet passes on River's warnings and errors, not its routine.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(minLevel{Handler: l.Handler(), min: slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
