package events

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/event"
	entproject "github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
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
	// subscriptionChannel is how many events C holds: enough for a
	// reader that keeps up, small for a subscription that is idle.
	subscriptionChannel = 8
	// replayPage is how many events a replay reads at a time.
	replayPage = 200
	// Coalesce is the least time between two reads of the log by one
	// reader of live events (the dispatcher here, a webhook drain): under
	// a steady flow of changes one read takes several events, for at most
	// this much more latency.
	Coalesce = 10 * time.Millisecond
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
//
// An idle subscription has no goroutine of its own: the dispatcher hands
// live events straight to C. A goroutine runs only while there is more
// than C holds: the replay at the start, and a reader that fell behind
// (until it catches up or is ended, ErrLagged).
type Subscription struct {
	// C delivers the events, in seq order, each once; it is closed when
	// the subscription ends (its context ended, or Err says why).
	C <-chan *Live

	out    chan *Live
	stream *stream
	tenant pulid.ID
	opts   SubscribeOptions
	// stopped is closed when the subscription ends; the catch-up
	// goroutine, if running, closes out then.
	stopped chan struct{}
	stop    []func() bool
	// notify, when set, is told of every event handed to C and of C's
	// closing (Notify).
	notify atomic.Pointer[func()]

	mu sync.Mutex
	// cursor is the last seq handed to C or skipped, while no catch-up
	// runs (the catch-up keeps its own meanwhile).
	cursor int64
	// catchingUp: a goroutine is sending what C could not hold, and
	// queue is what it has still to send (live events, in order).
	catchingUp bool
	queue      []*Live
	ended      bool
	closed     bool
	err        error
}

// Notify registers f to be called whenever C has been given an event or
// has been closed, and calls it once now: a reader can then drain C with
// non-blocking receives in a goroutine it starts only when told, instead
// of one blocked on C for the subscription's life. f must not block; it
// may be called from several goroutines at once (the dispatcher and a
// catch-up).
func (s *Subscription) Notify(f func()) {
	s.notify.Store(&f)
	f()
}

// tell calls the Notify function, if any. Never under s.mu.
func (s *Subscription) tell() {
	if f := s.notify.Load(); f != nil {
		(*f)()
	}
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
	last, err := LastSeq(ctx, l.client, a.TenantID)
	if err != nil {
		return nil, fmt.Errorf("events: subscribe: %w", err)
	}
	cursor := last
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
	out := make(chan *Live, subscriptionChannel)
	s := &Subscription{C: out, out: out, stream: l.stream, tenant: a.TenantID, opts: opts, stopped: make(chan struct{}), catchingUp: true}
	l.stream.add(s, last)
	// It ends with ctx, or when the log closes.
	end := func() { s.end(nil) }
	s.mu.Lock()
	s.stop = []func() bool{context.AfterFunc(ctx, end), context.AfterFunc(l.ctx, end)}
	if s.ended { // ctx had ended already
		for _, stop := range s.stop {
			stop()
		}
	}
	s.mu.Unlock()
	go s.catchUp(tenant.Background(l.ctx, a.TenantID, "events"), cursor, true)
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
	var lastRead time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-st.kick:
		}
		if !Pause(ctx, lastRead) {
			return
		}
		lastRead = time.Now()
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

// push hands live events to the subscription: straight to C while it
// has room, else to the catch-up goroutine's queue (started if need be);
// a queue past subscriptionBuffer ends the subscription (ErrLagged).
// Called by the dispatcher only, so it never blocks.
func (s *Subscription) push(batch []*Live) {
	s.mu.Lock()
	told := s.pushLocked(batch)
	s.mu.Unlock()
	if told {
		s.tell()
	}
}

// pushLocked is push under s.mu; it reports whether C was given an event
// or closed.
func (s *Subscription) pushLocked(batch []*Live) bool {
	if s.ended {
		return false
	}
	sent := false
	for i, e := range batch {
		if s.catchingUp {
			if len(s.queue)+len(batch)-i > subscriptionBuffer {
				s.endLocked(ErrLagged)
				return true
			}
			s.queue = append(s.queue, batch[i:]...)
			return sent
		}
		if !s.wants(&s.cursor, e) {
			continue
		}
		select {
		case s.out <- e:
			sent = true
		default:
			// The catch-up takes over from e, which it sends first.
			s.catchingUp = true
			s.queue = append(s.queue, e)
			go s.catchUp(nil, e.Seq-1, false)
		}
	}
	return sent
}

// wants advances cursor past e and says whether e is the subscriber's:
// new and matching.
func (s *Subscription) wants(cursor *int64, e *Live) bool {
	if e.Seq <= *cursor {
		return false // handed out already
	}
	*cursor = e.Seq
	return s.opts.Match == nil || s.opts.Match(e)
}

// catchUp sends, blocking, what C could not take at once: first (replay)
// the log after cursor, from the table, then the queue, until the queue
// is empty and live events can go straight to C again.
func (s *Subscription) catchUp(ctx context.Context, cursor int64, replay bool) {
	send := func(e *Live) bool {
		if !s.wants(&cursor, e) {
			return true
		}
		select {
		case s.out <- e:
			s.tell()
			return true
		case <-s.stopped:
			return false
		}
	}
	// Replay to the end of the log; live events queued meanwhile that it
	// covered are skipped by send.
	for replay {
		batch, err := s.stream.log.read(ctx, cursor, replayPage, s.opts.WithProjects)
		if err != nil {
			s.end(err)
			s.closeOut()
			return
		}
		for _, e := range batch {
			if !send(e) {
				s.closeOut()
				return
			}
		}
		replay = len(batch) == replayPage
	}
	for {
		s.mu.Lock()
		queue := s.queue
		s.queue = nil
		if len(queue) == 0 || s.ended {
			// Hand back and, if ended, close C under the same lock: once
			// catchingUp is false, a new catch-up may own C.
			s.catchingUp = false
			s.cursor = cursor
			closing := s.ended && !s.closed
			if closing {
				s.closed = true
				close(s.out)
			}
			s.mu.Unlock()
			if closing {
				s.tell()
			}
			return
		}
		s.mu.Unlock()
		for _, e := range queue {
			if !send(e) {
				s.closeOut()
				return
			}
		}
	}
}

// end ends the subscription (err: why, nil when its context ended).
func (s *Subscription) end(err error) {
	s.mu.Lock()
	s.endLocked(err)
	s.mu.Unlock()
	s.tell()
}

func (s *Subscription) endLocked(err error) {
	if s.ended {
		return
	}
	s.ended, s.err = true, err
	close(s.stopped)
	for _, stop := range s.stop {
		stop()
	}
	// Off the dispatcher's list (it never holds its lock while taking
	// s.mu).
	s.stream.remove(s)
	if !s.catchingUp {
		s.closed = true
		close(s.out)
	}
}

// closeOut closes C once the catch-up goroutine, its last sender, is done.
func (s *Subscription) closeOut() {
	s.mu.Lock()
	s.catchingUp = false
	closing := s.ended && !s.closed
	if closing {
		s.closed = true
		close(s.out)
	}
	s.mu.Unlock()
	if closing {
		s.tell()
	}
}

// read returns up to limit of the tenant of ctx's events after seq, in
// order.
func (l *Log) read(ctx context.Context, after int64, limit int, withProjects bool) ([]*Live, error) {
	rows, err := l.after(after, limit).All(ctx)
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

// Pause waits until Coalesce has passed since the last read; false when
// ctx ended first.
func Pause(ctx context.Context, lastRead time.Time) bool {
	wait := Coalesce - time.Since(lastRead)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
