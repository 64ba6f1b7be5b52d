// Package live serves GraphQL over WebSocket with the graphql-transport-ws
// protocol, at a small cost per connection: tens of thousands of open
// board subscriptions on one server.
//
// gqlgen's own WebSocket transport keeps, per connection, the HTTP
// handler's goroutine (and with it net/http's request and buffers), a
// goroutine waiting for the connection's end and one per subscription
// parked on its channel, and it executes the selection for every event
// and every subscriber. Here a connection has one goroutine, reading; its
// writer runs only while it has something to send; a subscription whose
// resolver supports it (Attach) has no goroutine at all; and each event is
// rendered once for all the subscribers that would get the same bytes
// (render.go).
package live

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	gqlerrcode "github.com/99designs/gqlgen/graphql/errcode"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// Config configures a Transport.
type Config struct {
	// Init authenticates a connection from its connection_init payload
	// and returns the context its operations run in; an error closes the
	// connection (4403). A context with a deadline (a credential that
	// expires) closes the connection at the deadline.
	Init func(ctx context.Context, payload map[string]any) (context.Context, error)
	// Scope names who reads, as far as renderings differ by reader (the
	// tenant and the role): subscribers with equal scopes and operations
	// share each item's rendering.
	Scope func(ctx context.Context) string
	// Present turns an error into the error clients get (the server's
	// error presenter).
	Present graphql.ErrorPresenterFunc
	// AcceptOptions are the WebSocket handshake's (origins).
	AcceptOptions websocket.AcceptOptions
	// InitTimeout is how long a connection may wait before
	// connection_init (4408 after).
	InitTimeout time.Duration
	// PingInterval is how often the server pings an idle connection, so
	// that proxies keep it open.
	PingInterval time.Duration
	// WriteTimeout bounds a write to a client: one that does not read is
	// disconnected.
	WriteTimeout time.Duration
	// RenderTimeout bounds one rendering of an item.
	RenderTimeout time.Duration
	// ReadLimit is the largest message a client may send, in bytes.
	ReadLimit int64
	// MaxOperations is how many operations one connection may have
	// running.
	MaxOperations int
	Logger        *slog.Logger
}

// Transport is a gqlgen transport for graphql-transport-ws. Register it
// before gqlgen's own WebSocket transport, which then serves only the
// older graphql-ws subprotocol.
type Transport struct {
	cfg Config

	mu     sync.Mutex
	conns  map[*conn]struct{}
	groups map[string]*group
	closed bool

	renders counter
}

type counter struct{ n atomic.Int64 }

func (c *counter) add(d int64) { c.n.Add(d) }

// New returns a transport; zero durations and limits get defaults.
func New(cfg Config) *Transport {
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 15 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.RenderTimeout <= 0 {
		cfg.RenderTimeout = 10 * time.Second
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = 1 << 20
	}
	if cfg.MaxOperations <= 0 {
		cfg.MaxOperations = 100
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Scope == nil {
		cfg.Scope = func(context.Context) string { return "" }
	}
	if cfg.Present == nil {
		cfg.Present = graphql.DefaultErrorPresenter
	}
	return &Transport{cfg: cfg, conns: map[*conn]struct{}{}, groups: map[string]*group{}}
}

var _ graphql.Transport = (*Transport)(nil)

// Supports takes WebSocket upgrades that offer graphql-transport-ws.
func (t *Transport) Supports(r *http.Request) bool { return offers(r) }

// Stats are a transport's figures.
type Stats struct {
	// Connections open now.
	Connections int
	// Groups of subscribers sharing renderings now.
	Groups int
	// Renders since the start: executions of a subscription's selection
	// for an item.
	Renders int64
}

// Stats returns the transport's figures now.
func (t *Transport) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Stats{Connections: len(t.conns), Groups: len(t.groups), Renders: t.renders.n.Load()}
}

// Close closes every connection (1001, going away) and refuses new ones.
func (t *Transport) Close() {
	t.mu.Lock()
	t.closed = true
	conns := make([]*conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.StatusGoingAway, "the server is shutting down")
	}
}

// Do upgrades the request and hands the connection to a goroutine of its
// own: the HTTP handler returns, and net/http's request, headers and
// buffers are let go.
func (t *Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	opts := t.cfg.AcceptOptions
	opts.Subprotocols = []string{Subprotocol}
	ws, err := websocket.Accept(leanHijacker{w}, r, &opts)
	if err != nil {
		t.cfg.Logger.DebugContext(r.Context(), "live: WebSocket handshake refused", "err", err)
		return // Accept has answered
	}
	ws.SetReadLimit(t.cfg.ReadLimit)
	// The request's values (the client's address, an actor from its
	// headers), not its end: net/http ends it when Do returns.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &conn{t: t, ws: ws, exec: exec, ctx: ctx, cancel: cancel}
	t.mu.Lock()
	closed := t.closed
	if !closed {
		t.conns[c] = struct{}{}
	}
	t.mu.Unlock()
	if closed {
		cancel()
		_ = ws.Close(websocket.StatusGoingAway, "the server is shutting down")
		return
	}
	go c.serve()
}

// join adds a subscriber to the group its operation and scope call for.
func (t *Transport) join(key string, rc *graphql.OperationContext, ctx context.Context, exec graphql.GraphExecutor) *group {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.groups[key]
	if !ok {
		g = &group{
			key: key, exec: exec, rc: rc, ctx: context.WithoutCancel(ctx),
			timeout: t.cfg.RenderTimeout, present: t.cfg.Present, renders: &t.renders,
		}
		t.groups[key] = g
	}
	g.members++
	return g
}

func (t *Transport) leave(g *group) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g.members--
	if g.members == 0 {
		delete(t.groups, g.key)
	}
}

// conn is one client's connection.
type conn struct {
	t    *Transport
	ws   *websocket.Conn
	exec graphql.GraphExecutor
	// ctx is the connection's context; after connection_init, with the
	// caller. cancel ends it and every operation.
	ctx    context.Context
	cancel context.CancelFunc
	// Read loop only.
	initialised, acknowledged bool

	mu      sync.Mutex
	ops     map[string]*operation
	outbox  [][]byte
	ready   []*operation
	writing bool
	closing bool // a close handshake has started
	closed  bool
	timer   *time.Timer // before connection_init its timeout, then the next ping
}

// operation is one subscribe message's operation.
type operation struct {
	id     string
	idJSON []byte
	// Under the connection's mu.
	cancel  context.CancelFunc
	stopped bool // completed by the client, or ended
	queued  bool // in the connection's ready list
	feed    *feed
	group   *group
	left    bool
}

func (c *conn) serve() {
	defer c.shutdown()
	c.mu.Lock()
	c.timer = time.AfterFunc(c.t.cfg.InitTimeout, func() {
		c.closeWith(closeInitTimeout, "Connection initialisation timeout")
	})
	c.mu.Unlock()
	for {
		// Closing the connection ends the read; no context is needed.
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		m, err := parseMessage(data)
		if typ != websocket.MessageText || err != nil {
			c.closeWith(closeBadRequest, "Invalid message received")
			return
		}
		if !c.handle(m) {
			return
		}
	}
}

// handle acts on one message; false ends the connection.
func (c *conn) handle(m message) bool {
	switch m.Type {
	case typeConnectionInit:
		// Authentication runs deep (tokens, the database): in a goroutine
		// of its own, so that the reader's stack stays as small as an
		// idle connection needs.
		done := make(chan bool, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					c.t.cfg.Logger.ErrorContext(c.ctx, "live: panic in connection_init", "panic", r, "stack", string(debug.Stack()))
					c.closeWith(websocket.StatusInternalError, "Internal server error")
					done <- false
				}
			}()
			done <- c.init(m.Payload)
		}()
		return <-done
	case typePing:
		c.send(msgPong)
	case typePong:
	case typeSubscribe:
		if !c.acknowledged {
			c.closeWith(closeUnauthorized, "Unauthorized")
			return false
		}
		return c.subscribe(m.ID, m.Payload)
	case typeComplete:
		c.complete(m.ID)
	}
	return true
}

func (c *conn) init(raw json.RawMessage) bool {
	if c.initialised {
		c.closeWith(closeTooManyInits, "Too many initialisation requests")
		return false
	}
	c.initialised = true
	c.mu.Lock()
	c.timer.Stop() // received in time: a slow authentication is no timeout
	c.mu.Unlock()
	var payload map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &payload); err != nil {
			c.closeWith(closeBadRequest, "Invalid message received")
			return false
		}
	}
	if c.t.cfg.Init != nil {
		ctx, err := c.t.cfg.Init(c.ctx, payload)
		if err != nil {
			c.closeWith(closeForbidden, "Forbidden: "+c.t.cfg.Present(c.ctx, err).Message)
			return false
		}
		c.mu.Lock()
		c.ctx = ctx
		c.mu.Unlock()
		if _, expires := ctx.Deadline(); expires {
			context.AfterFunc(ctx, func() { c.closeWith(closeForbidden, "Forbidden: the credential expired") })
		}
	}
	c.acknowledged = true
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(c.t.cfg.PingInterval, c.ping)
	c.mu.Unlock()
	c.send(msgAck)
	return true
}

// ping keeps an idle connection open through proxies.
func (c *conn) ping() {
	c.send(msgPing)
	c.mu.Lock()
	if !c.closed {
		c.timer.Reset(c.t.cfg.PingInterval)
	}
	c.mu.Unlock()
}

var errTooManyOperations = errcode.New(errcode.RateLimited, "too many operations on this connection: complete some first")

func (c *conn) subscribe(id string, payload json.RawMessage) bool {
	c.mu.Lock()
	if _, running := c.ops[id]; running {
		c.mu.Unlock()
		c.closeWith(closeDuplicateID, "Subscriber for "+id+" already exists")
		return false
	}
	op := &operation{id: id, idJSON: quoteID(id)}
	if len(c.ops) >= c.t.cfg.MaxOperations {
		c.mu.Unlock()
		payload, _ := json.Marshal(gqlerror.List{c.t.cfg.Present(c.ctx, errTooManyOperations)})
		c.send(encoded(op.idJSON, typeError, payload))
		return true
	}
	if c.ops == nil {
		c.ops = map[string]*operation{}
	}
	c.ops[id] = op
	c.mu.Unlock()
	go c.start(c.ctx, op, payload, graphql.Now())
	return true
}

var errBadPayload = errcode.New(errcode.Validation,
	`the subscribe payload must be {"query": string, "operationName": string, "variables": object, "extensions": object}`)

// start runs an operation: a query or mutation answers once; a
// subscription either is attached (no goroutine from then on) or is read
// through gqlgen until it ends.
func (c *conn) start(ctx context.Context, op *operation, payload json.RawMessage, read time.Time) {
	connection := ctx
	defer func() {
		if r := recover(); r != nil {
			c.t.cfg.Logger.ErrorContext(ctx, "live: panic", "panic", r, "stack", string(debug.Stack()))
			c.sendErrors(op, gqlerror.List{c.t.cfg.Present(ctx, errcode.ErrInternal)})
		}
	}()
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		c.sendErrors(op, gqlerror.List{c.t.cfg.Present(ctx, errBadPayload)})
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: read, End: graphql.Now()}
	ctx = graphql.StartOperationTrace(ctx)
	rc, errs := c.exec.CreateOperationContext(ctx, &params)
	if errs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if gqlerrcode.GetErrorKind(errs) == gqlerrcode.KindProtocol {
			c.sendErrors(op, resp.Errors)
			return
		}
		c.sendResponse(op, resp)
		c.end(op, nil)
		return
	}
	// The operation's lifetime is a context of the connection's alone:
	// what an attached source keeps for its life (its end) holds neither
	// gqlgen's contexts nor the operation's document and variables.
	lifetime, cancel := context.WithCancel(connection)
	if !c.begin(op, cancel) {
		return // completed by the client meanwhile
	}
	ctx = graphql.WithOperationContext(graphql.StartOperationTrace(lifetime), rc)
	subscription := rc.Operation.Operation == ast.Subscription
	var s *slot
	if subscription {
		s = &slot{lifetime: lifetime}
		ctx = context.WithValue(ctx, slotKey{}, s)
	}
	responses, ctx := c.exec.DispatchOperation(ctx, rc)
	if subscription && s.feed != nil {
		c.attach(op, s.feed, c.t.join(groupKey(c.t.cfg.Scope(connection), rc), rc, connection, c.exec))
		return
	}
	for {
		resp := responses(ctx)
		if resp == nil {
			break
		}
		c.sendResponse(op, resp)
	}
	c.end(op, nil)
}

// begin records a started operation's cancel; false if the client
// completed it already.
func (c *conn) begin(op *operation, cancel context.CancelFunc) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if op.stopped || c.closed {
		cancel()
		return false
	}
	op.cancel = cancel
	return true
}

// attach serves an attached source: the source wakes the writer, which
// renders and sends what it finds.
func (c *conn) attach(op *operation, f *feed, g *group) {
	c.mu.Lock()
	op.feed, op.group = f, g
	stopped := op.stopped
	c.mu.Unlock()
	if stopped { // completed meanwhile: its source is closing, unread
		c.release(op)
		return
	}
	f.src.Notify(func() { c.wake(op) })
}

// complete is the client's complete: the operation stops, without a word.
func (c *conn) complete(id string) {
	c.mu.Lock()
	op, ok := c.ops[id]
	if ok {
		delete(c.ops, id)
		c.stopLocked(op)
	}
	c.mu.Unlock()
	if ok {
		c.release(op)
	}
}

// stopLocked marks the operation ended and cancels it (its source, if
// attached, closes and wakes the writer one last time).
func (c *conn) stopLocked(op *operation) {
	op.stopped = true
	if op.cancel != nil {
		op.cancel()
	}
}

// release leaves the operation's group, once, when its source has
// closed or will never be read again.
func (c *conn) release(op *operation) {
	c.mu.Lock()
	g := op.group
	leave := g != nil && !op.left && op.stopped
	if leave {
		op.left = true
	}
	c.mu.Unlock()
	if leave {
		c.t.leave(g)
	}
}

// end ends an operation from the server's side: its error, if any, else
// complete.
func (c *conn) end(op *operation, err error) {
	var msg []byte
	if err != nil {
		payload, _ := json.Marshal(gqlerror.List{c.t.cfg.Present(c.context(), err)})
		msg = encoded(op.idJSON, typeError, payload)
	} else {
		msg = encoded(op.idJSON, typeComplete, nil)
	}
	c.finish(op, msg)
}

// finish removes a running operation, sending its last message.
func (c *conn) finish(op *operation, last []byte) {
	c.mu.Lock()
	running := c.ops[op.id] == op
	if running {
		delete(c.ops, op.id)
		c.stopLocked(op)
		c.enqueueLocked(last)
	}
	op.stopped = true
	c.mu.Unlock()
	c.release(op)
}

// sendErrors ends an operation with an error message.
func (c *conn) sendErrors(op *operation, errs gqlerror.List) {
	payload, _ := json.Marshal(errs)
	c.finish(op, encoded(op.idJSON, typeError, payload))
}

// sendResponse sends one response of a running operation.
func (c *conn) sendResponse(op *operation, resp *graphql.Response) {
	payload, err := json.Marshal(resp)
	if err != nil {
		payload = errorResponse(c.t.cfg.Present(c.context(), err))
	}
	c.mu.Lock()
	if c.ops[op.id] == op {
		c.enqueueLocked(encoded(op.idJSON, typeNext, payload))
	}
	c.mu.Unlock()
}

// context is the connection's context (the caller's once initialised).
func (c *conn) context() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx
}

// closeWith starts the close handshake with a code and reason; the read
// loop then ends and cleans up.
func (c *conn) closeWith(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	started := c.closing || c.closed
	c.closing = true
	c.mu.Unlock()
	if !started {
		go func() { _ = c.ws.Close(code, closeReason(reason)) }()
	}
}

// shutdown releases everything once the read loop has ended.
func (c *conn) shutdown() {
	c.mu.Lock()
	c.closed = true
	closing := c.closing
	ops := c.ops
	c.ops, c.outbox, c.ready = nil, nil, nil
	if c.timer != nil {
		c.timer.Stop()
	}
	for _, op := range ops {
		c.stopLocked(op)
	}
	c.mu.Unlock()
	c.cancel()
	for _, op := range ops {
		c.release(op)
	}
	if !closing {
		_ = c.ws.CloseNow()
	}
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
}
