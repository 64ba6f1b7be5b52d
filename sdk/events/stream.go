package events

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/event"
	entproject "github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	enttenant "github.com/lanes-dev/lanes/ent/tenant"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant"
)

// How live streams work. Every committed event reaches this process as a
// signal "tenant T's log is at seq S": from its own commits (Committed)
// and, on PostgreSQL, from other replicas (NOTIFY lanes_events, sent by
// the statement that writes the events). One dispatcher reads each
// tenant's new events once, from the table, for all of the tenant's
// subscriptions, and hands them to each that wants them. A subscription
// first replays, from the table, what came after its position; live
// events it already replayed are skipped, so it sees every event once, in
// seq order.

// EventsChannel is the PostgreSQL channel of committed events (payload:
// "<tenant id>:<seq>").
const EventsChannel = "lanes_events"

// Live is an event as streams deliver it: the event and, where the
// subscription asked for it, its project now.
type Live struct {
	ID         pulid.ID
	Seq        int64
	Type       string
	OccurredAt time.Time
	Actor      string
	Data       map[string]any
	ProjectID  *pulid.ID
	// Project is the project as it is now (nil without WithProjects, or
	// when there is none).
	Project *ent.Project
}

// SubscribeOptions choose what a subscription receives.
type SubscribeOptions struct {
	// After is the event to resume after (nil: from now on).
	After *pulid.ID
	// Match keeps the events it returns true for (nil: all).
	Match func(*Live) bool
	// WithProjects loads each event's project as it is now.
	WithProjects bool
}

// Limits of subscriptions.
const (
	// subscriptionBuffer is how many events a subscription may have
	// waiting; a subscriber that falls further behind is ended (ErrLagged)
	// and resumes with After.
	subscriptionBuffer = 1024
	// replayPage is how many events a replay reads at a time.
	replayPage = 200
)

// Errors of subscriptions.
var (
	// ErrLagged ends a subscription whose reader fell behind; resume with
	// After the last event received.
	ErrLagged = errcode.New(errcode.Unavailable, "the subscription fell behind: resume after the last event received")
	// ErrAfterNotFound: After names no event of the tenant.
	ErrAfterNotFound = errcode.New(errcode.NotFound, "event not found")
)

// Subscription is a live stream of a tenant's events.
type Subscription struct {
	// C delivers the events, in seq order, each once; it is closed when
	// the subscription ends (its context ended, or Err says why).
	C <-chan *Live

	out     chan *Live
	stream  *stream
	tenant  pulid.ID
	opts    SubscribeOptions
	mu      sync.Mutex
	queue   []*Live
	wake    chan struct{}
	err     error
	lagged  bool
	stopped chan struct{}
}

// Err is why C was closed: nil when the context ended, ErrLagged, or a
// database error.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// stream is the dispatcher of a Log's live events.
type stream struct {
	log *Log

	mu      sync.Mutex
	feeds   map[pulid.ID]*feed
	pending map[pulid.ID]int64
	kick    chan struct{}
	started sync.Once
}

// feed is one tenant's subscriptions and how far the dispatcher read.
type feed struct {
	seq  int64
	subs map[*Subscription]struct{}
}

func newStream(l *Log) *stream {
	return &stream{log: l, feeds: map[pulid.ID]*feed{}, pending: map[pulid.ID]int64{}, kick: make(chan struct{}, 1)}
}

// Signal tells live streams that the tenant's log is at seq: called for
// this process's commits, and by the PostgreSQL listener for other
// replicas'. It does not block.
func (l *Log) Signal(tenantID pulid.ID, seq int64) {
	st := l.stream
	st.mu.Lock()
	if _, watched := st.feeds[tenantID]; watched && seq > st.pending[tenantID] {
		st.pending[tenantID] = seq
	}
	st.mu.Unlock()
	select {
	case st.kick <- struct{}{}:
	default:
	}
}

// Resync makes every watched tenant's feed read to the end of its log
// (after the PostgreSQL listener reconnects: notices sent meanwhile are
// lost).
func (l *Log) Resync() {
	st := l.stream
	st.mu.Lock()
	for id := range st.feeds {
		st.pending[id] = math.MaxInt64
	}
	st.mu.Unlock()
	select {
	case st.kick <- struct{}{}:
	default:
	}
}

// StreamOptions choose what Stream delivers.
type StreamOptions struct {
	// After is the last event the embedder handled: the stream resumes
	// after it (nil: from now on). Keep it with the work it did, and
	// events are delivered at least once across restarts.
	After *pulid.ID
	// Types keeps only these types (empty: all).
	Types []string
}

// Stream is the embedding platform's event stream: the tenant's events,
// in order, from After on, to the platform and ADMIN or OWNER members
// (others FORBIDDEN), until ctx ends or Err says why it stopped (ErrLagged:
// the reader fell behind; resume after the last event handled).
func (l *Log) Stream(ctx context.Context, opts StreamOptions) (*Subscription, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	if err := l.authz.Require(a, policies.ReadEvents); err != nil {
		return nil, err
	}
	for i, t := range opts.Types {
		if !Known(Type(t)) {
			return nil, errcode.Invalid("types", fmt.Sprintf("types[%d] is not an event type", i))
		}
	}
	sub := SubscribeOptions{After: opts.After}
	if len(opts.Types) > 0 {
		sub.Match = func(e *Live) bool { return slices.Contains(opts.Types, e.Type) }
	}
	return l.Subscribe(ctx, sub)
}

// Subscribe streams the tenant of ctx's events, for callers the caller's
// service has authorised (this checks only the tenant). The stream
// resumes after opts.After, else starts now; it ends with ctx.
func (l *Log) Subscribe(ctx context.Context, opts SubscribeOptions) (*Subscription, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	l.stream.started.Do(func() { go l.stream.dispatch(l.ctx) })
	t, err := l.client.Tenant.Query().Where(enttenant.ID(a.TenantID)).Select(enttenant.FieldLastEventSeq).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: subscribe: %w", err)
	}
	cursor := t.LastEventSeq
	if opts.After != nil {
		e, err := l.client.Event.Query().Where(event.ID(*opts.After)).Select(event.FieldSeq).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, ErrAfterNotFound.With("id", *opts.After)
		}
		if err != nil {
			return nil, fmt.Errorf("events: resume after %s: %w", *opts.After, err)
		}
		cursor = e.Seq
	}
	out := make(chan *Live)
	s := &Subscription{C: out, out: out, stream: l.stream, tenant: a.TenantID, opts: opts, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	l.stream.add(s, t.LastEventSeq)
	// It ends with ctx, or when the log closes.
	subCtx, cancel := context.WithCancel(ctx)
	stopOnClose := context.AfterFunc(l.ctx, cancel)
	go func() {
		defer cancel()
		defer stopOnClose()
		s.run(tenant.Background(l.ctx, a.TenantID, "events"), subCtx.Done(), cursor)
	}()
	return s, nil
}

func (st *stream) add(s *Subscription, last int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.feeds[s.tenant]
	if !ok {
		// The first subscription of the tenant: the dispatcher reads what
		// comes after the log's end (subscriptions replay the rest).
		f = &feed{seq: last, subs: map[*Subscription]struct{}{}}
		st.feeds[s.tenant] = f
	}
	f.subs[s] = struct{}{}
}

func (st *stream) remove(s *Subscription) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.feeds[s.tenant]
	if !ok {
		return
	}
	delete(f.subs, s)
	if len(f.subs) == 0 {
		delete(st.feeds, s.tenant)
		delete(st.pending, s.tenant)
	}
}

// dispatch reads the signalled tenants' new events, once for all their
// subscriptions.
func (st *stream) dispatch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-st.kick:
		}
		st.mu.Lock()
		work := st.pending
		st.pending = map[pulid.ID]int64{}
		from := map[pulid.ID]int64{}
		for id, seq := range work {
			if f, ok := st.feeds[id]; ok && seq > f.seq {
				from[id] = f.seq
			}
		}
		st.mu.Unlock()
		for id, after := range from {
			bg := tenant.Background(ctx, id, "events")
			for {
				batch, err := st.log.read(bg, after, replayPage, false)
				if err != nil {
					st.log.logger.Warn("live events: read", "tenant", id, "err", err)
					break // the next signal reads them
				}
				if len(batch) == 0 {
					break
				}
				after = batch[len(batch)-1].Seq
				st.fanOut(bg, id, batch)
			}
		}
	}
}

// fanOut hands a batch to the tenant's subscriptions, with the projects
// loaded (once) if any of them wants them: the events are shared, and
// not changed once handed out.
func (st *stream) fanOut(ctx context.Context, id pulid.ID, batch []*Live) {
	st.mu.Lock()
	f, ok := st.feeds[id]
	if !ok {
		st.mu.Unlock()
		return
	}
	f.seq = max(f.seq, batch[len(batch)-1].Seq)
	subs := make([]*Subscription, 0, len(f.subs))
	projects := false
	for s := range f.subs {
		subs = append(subs, s)
		projects = projects || s.opts.WithProjects
	}
	st.mu.Unlock()
	if projects {
		if err := st.log.loadProjects(ctx, batch); err != nil {
			st.log.logger.Warn("live events: load projects", "tenant", id, "err", err)
		}
	}
	for _, s := range subs {
		s.push(batch)
	}
}

// push queues live events for the subscription's goroutine.
func (s *Subscription) push(batch []*Live) {
	s.mu.Lock()
	if len(s.queue)+len(batch) > subscriptionBuffer {
		s.lagged = true
	} else {
		s.queue = append(s.queue, batch...)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run replays what came after cursor, then passes live events on, until
// done or a failure.
func (s *Subscription) run(ctx context.Context, done <-chan struct{}, cursor int64) {
	defer close(s.out)
	defer s.stream.remove(s)
	send := func(e *Live) bool {
		if e.Seq <= cursor {
			return true // replayed already
		}
		cursor = e.Seq
		if s.opts.Match != nil && !s.opts.Match(e) {
			return true
		}
		select {
		case s.out <- e:
			return true
		case <-done:
			return false
		}
	}
	// Replay to the end of the log; live events queued meanwhile that it
	// covered are skipped by send.
	for {
		batch, err := s.stream.log.read(ctx, cursor, replayPage, s.opts.WithProjects)
		if err != nil {
			s.fail(err)
			return
		}
		for _, e := range batch {
			if !send(e) {
				return
			}
		}
		if len(batch) < replayPage {
			break
		}
	}
	for {
		select {
		case <-done:
			return
		case <-s.wake:
		}
		s.mu.Lock()
		queue, lagged := s.queue, s.lagged
		s.queue = nil
		s.mu.Unlock()
		if lagged {
			s.fail(ErrLagged)
			return
		}
		for _, e := range queue {
			if !send(e) {
				return
			}
		}
	}
}

func (s *Subscription) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// read returns up to limit of the tenant of ctx's events after seq, in
// order.
func (l *Log) read(ctx context.Context, after int64, limit int, withProjects bool) ([]*Live, error) {
	rows, err := l.client.Event.Query().
		Where(event.SeqGT(after)).
		Order(ent.Asc(event.FieldSeq)).
		Limit(limit).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: read after %d: %w", after, err)
	}
	out := make([]*Live, len(rows))
	for i, e := range rows {
		out[i] = &Live{ID: e.ID, Seq: e.Seq, Type: e.Type, OccurredAt: e.OccurredAt, Actor: e.Actor, Data: e.Data, ProjectID: e.ProjectID}
	}
	if withProjects {
		if err := l.loadProjects(ctx, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadProjects gives events their projects as they are now, with their
// statuses, in one query, before the events are handed out.
func (l *Log) loadProjects(ctx context.Context, batch []*Live) error {
	var ids []pulid.ID
	for _, e := range batch {
		if e.ProjectID != nil && e.Project == nil && !slices.Contains(ids, *e.ProjectID) {
			ids = append(ids, *e.ProjectID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	projects, err := l.client.Project.Query().Where(entproject.IDIn(ids...)).WithStatus().WithWorkflow().All(ctx)
	if err != nil {
		return fmt.Errorf("events: load projects: %w", err)
	}
	byID := make(map[pulid.ID]*ent.Project, len(projects))
	for _, p := range projects {
		byID[p.ID] = p
	}
	for _, e := range batch {
		if e.ProjectID != nil && e.Project == nil {
			e.Project = byID[*e.ProjectID]
		}
	}
	return nil
}
