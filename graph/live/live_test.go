package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	gqlerrcode "github.com/99designs/gqlgen/graphql/errcode"
	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// The transport is tested here against a small executor standing in for
// gqlgen's: a schema of ticks, a subscription resolver that attaches its
// source (or, while rendering, hands over the item), and sources fed by
// hand. The board's subscription through the real server is tested in
// sdk (board_events_test.go).

var testSchema = gqlparser.MustLoadSchema(&ast.Source{Name: "test.graphqls", Input: `
type Query { hello: String }
type Subscription { ticks(after: Int): Tick! }
type Tick { n: Int! label(prefix: String): String }
`})

type tick struct{ n int }

// source is a subscription's source, fed by the test.
type source struct {
	c      chan *tick
	ctx    context.Context
	mu     sync.Mutex
	notify func()
	err    error
}

func (s *source) Notify(f func()) {
	s.mu.Lock()
	s.notify = f
	s.mu.Unlock()
	f()
}

func (s *source) Err() error { return s.err }

func (s *source) tell() {
	s.mu.Lock()
	f := s.notify
	s.mu.Unlock()
	if f != nil {
		f()
	}
}

// push hands an item to the source, as the events dispatcher does.
func (s *source) push(t *tick) {
	s.c <- t
	s.tell()
}

func (s *source) end(err error) {
	s.err = err
	close(s.c)
	s.tell()
}

// executor is the stand-in for gqlgen's executor.
type executor struct {
	mu      sync.Mutex
	sources []*source
	opened  chan *source
}

func newExecutor() *executor { return &executor{opened: make(chan *source, 1000)} }

func (e *executor) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	doc, errs := gqlparser.LoadQuery(testSchema, params.Query)
	if errs != nil {
		for _, err := range errs {
			gqlerrcode.Set(err, gqlerrcode.ValidationFailed)
		}
		return nil, errs
	}
	op := doc.Operations.ForName(params.OperationName)
	vars, err := validator.VariableValues(testSchema, op, params.Variables)
	if err != nil {
		return nil, gqlerror.List{gqlerror.Wrap(err)}
	}
	if params.OperationName == "Refused" {
		return nil, gqlerror.List{{Message: "refused", Extensions: map[string]any{"code": "RATE_LIMITED"}}}
	}
	return &graphql.OperationContext{RawQuery: params.Query, OperationName: params.OperationName, Doc: doc, Operation: op, Variables: vars}, nil
}

func (e *executor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	if rc.Operation.Operation != ast.Subscription {
		return graphql.OneShot(&graphql.Response{Data: json.RawMessage(`{"hello":"world"}`)}), ctx
	}
	// The resolver, as graph's liveEvents does it.
	c, rendering := Rendering[*tick](ctx)
	if !rendering {
		s := &source{c: make(chan *tick, 8), ctx: Lifetime(ctx)}
		e.mu.Lock()
		e.sources = append(e.sources, s)
		e.mu.Unlock()
		Attach(ctx, s.c, s)
		c = s.c
		e.opened <- s
	}
	field := rc.Operation.SelectionSet[0].(*ast.Field)
	return func(ctx context.Context) *graphql.Response {
		var t *tick
		var ok bool
		select {
		case t, ok = <-c:
		case <-ctx.Done():
		}
		if !ok {
			return nil
		}
		out := map[string]any{}
		for _, sel := range field.SelectionSet {
			f := sel.(*ast.Field)
			switch f.Name {
			case "n":
				out[f.Alias] = t.n
			case "label":
				prefix, _ := f.ArgumentMap(rc.Variables)["prefix"].(string)
				out[f.Alias] = fmt.Sprintf("%s%d", prefix, t.n)
			}
		}
		data, _ := json.Marshal(map[string]any{field.Alias: out})
		return &graphql.Response{Data: data}
	}, ctx
}

func (e *executor) DispatchError(ctx context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list}
}

// present gives errcode errors their code, as graph's presenter does.
func present(ctx context.Context, err error) *gqlerror.Error {
	if e := errcode.From(err); e != nil {
		return &gqlerror.Error{Message: e.Message, Extensions: map[string]any{"code": string(e.Code)}}
	}
	return graphql.DefaultErrorPresenter(ctx, err)
}

type scopeKey struct{}

// server starts a transport whose connection_init takes {"role": ...}
// (the scope) and refuses {"role": "nobody"}.
func server(t *testing.T, cfg Config) (*Transport, *executor, string) {
	t.Helper()
	cfg.Init = func(ctx context.Context, payload map[string]any) (context.Context, error) {
		role, _ := payload["role"].(string)
		if role == "nobody" {
			return ctx, errcode.New(errcode.Unauthenticated, "who are you?")
		}
		if ttl, ok := payload["ttl"].(float64); ok {
			ctx, cancel := context.WithTimeout(ctx, time.Duration(ttl)*time.Millisecond)
			context.AfterFunc(ctx, cancel)
			return context.WithValue(ctx, scopeKey{}, role), nil
		}
		return context.WithValue(ctx, scopeKey{}, role), nil
	}
	cfg.Scope = func(ctx context.Context) string { s, _ := ctx.Value(scopeKey{}).(string); return s }
	cfg.Present = present
	tr := New(cfg)
	exec := newExecutor()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !tr.Supports(r) {
			http.Error(w, "not a graphql-transport-ws upgrade", http.StatusBadRequest)
			return
		}
		tr.Do(w, r, exec)
	}))
	t.Cleanup(func() {
		tr.Close()
		srv.Close()
	})
	return tr, exec, "ws" + strings.TrimPrefix(srv.URL, "http")
}

type client struct {
	t    *testing.T
	ctx  context.Context
	conn *websocket.Conn
}

type wire struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func dial(t *testing.T, url string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	return &client{t: t, ctx: ctx, conn: conn}
}

// connect dials and initialises as role.
func connect(t *testing.T, url, role string) *client {
	t.Helper()
	c := dial(t, url)
	c.send(wire{Type: typeConnectionInit, Payload: json.RawMessage(`{"role":"` + role + `"}`)})
	require.Equal(t, typeConnectionAck, c.read().Type)
	return c
}

func (c *client) send(m wire) {
	c.t.Helper()
	require.NoError(c.t, wsjson.Write(c.ctx, c.conn, m))
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	require.NoError(c.t, c.conn.Write(c.ctx, websocket.MessageText, []byte(s)))
}

func (c *client) read() wire {
	c.t.Helper()
	var m wire
	require.NoError(c.t, wsjson.Read(c.ctx, c.conn, &m))
	return m
}

// closed waits for the server to close the connection and returns its
// close code and reason.
func (c *client) closed() (websocket.StatusCode, string) {
	c.t.Helper()
	for {
		var m wire
		err := wsjson.Read(c.ctx, c.conn, &m)
		if err != nil {
			var ce websocket.CloseError
			require.True(c.t, errors.As(err, &ce), "not closed by the server: %v", err)
			return ce.Code, ce.Reason
		}
	}
}

// nothingPending proves that no message is on its way: the server answers
// a ping after what it queued before it.
func (c *client) nothingPending() {
	c.t.Helper()
	c.send(wire{Type: typePing})
	m := c.read()
	require.Equal(c.t, typePong, m.Type, "unexpected %s %s", m.Type, m.Payload)
}

const ticksQuery = `subscription Ticks($after: Int, $prefix: String) { ticks(after: $after) { n label(prefix: $prefix) } }`

func (c *client) subscribe(id string, vars map[string]any) {
	c.t.Helper()
	payload, err := json.Marshal(map[string]any{"query": ticksQuery, "operationName": "Ticks", "variables": vars})
	require.NoError(c.t, err)
	c.send(wire{ID: id, Type: typeSubscribe, Payload: payload})
}

// next reads the next message, which must be a next of id, and returns
// its data.
func (c *client) next(id string) string {
	c.t.Helper()
	m := c.read()
	require.Equal(c.t, typeNext, m.Type, "%s", m.Payload)
	require.Equal(c.t, id, m.ID)
	var resp struct {
		Data   json.RawMessage
		Errors []any
	}
	require.NoError(c.t, json.Unmarshal(m.Payload, &resp))
	require.Empty(c.t, resp.Errors)
	return string(resp.Data)
}

func codeOf(t *testing.T, m wire) string {
	t.Helper()
	var errs []struct{ Extensions map[string]any }
	require.NoError(t, json.Unmarshal(m.Payload, &errs), "%s", m.Payload)
	require.NotEmpty(t, errs)
	code, _ := errs[0].Extensions["code"].(string)
	return code
}

func (e *executor) nextSource(t *testing.T) *source {
	t.Helper()
	select {
	case s := <-e.opened:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no subscription was opened")
		return nil
	}
}

func TestProtocol(t *testing.T) {
	_, _, url := server(t, Config{InitTimeout: 200 * time.Millisecond})
	tests := []struct {
		name   string
		script func(c *client)
		code   websocket.StatusCode
		reason string
	}{
		{"subscribe before connection_init", func(c *client) { c.subscribe("1", nil) }, closeUnauthorized, "Unauthorized"},
		{"connection_init twice", func(c *client) {
			c.send(wire{Type: typeConnectionInit})
			require.Equal(t, typeConnectionAck, c.read().Type)
			c.send(wire{Type: typeConnectionInit})
		}, closeTooManyInits, "Too many initialisation requests"},
		{"no connection_init in time", func(c *client) {}, closeInitTimeout, "Connection initialisation timeout"},
		{"not JSON", func(c *client) { c.sendRaw(`{"type":`) }, closeBadRequest, "Invalid message received"},
		{"unknown type", func(c *client) { c.sendRaw(`{"type":"start","id":"1"}`) }, closeBadRequest, "Invalid message received"},
		{"a server's type", func(c *client) { c.sendRaw(`{"type":"next","id":"1","payload":{}}`) }, closeBadRequest, "Invalid message received"},
		{"subscribe without id", func(c *client) {
			c.send(wire{Type: typeConnectionInit})
			require.Equal(t, typeConnectionAck, c.read().Type)
			c.sendRaw(`{"type":"subscribe","payload":{"query":"{ hello }"}}`)
		}, closeBadRequest, "Invalid message received"},
		{"subscribe with a number as id", func(c *client) { c.sendRaw(`{"type":"subscribe","id":1,"payload":{"query":"{ hello }"}}`) }, closeBadRequest, "Invalid message received"},
		{"subscribe with a list as payload", func(c *client) { c.sendRaw(`{"type":"subscribe","id":"1","payload":[]}`) }, closeBadRequest, "Invalid message received"},
		{"connection_init with a string as payload", func(c *client) { c.sendRaw(`{"type":"connection_init","payload":"x"}`) }, closeBadRequest, "Invalid message received"},
		{"binary message", func(c *client) {
			require.NoError(t, c.conn.Write(c.ctx, websocket.MessageBinary, []byte(`{"type":"ping"}`)))
		}, closeBadRequest, "Invalid message received"},
		{"refused credentials", func(c *client) {
			c.send(wire{Type: typeConnectionInit, Payload: json.RawMessage(`{"role":"nobody"}`)})
		}, closeForbidden, "Forbidden: who are you?"},
		{"a subscriber's id twice", func(c *client) {
			c.send(wire{Type: typeConnectionInit})
			require.Equal(t, typeConnectionAck, c.read().Type)
			c.subscribe("1", nil)
			c.subscribe("1", nil)
		}, closeDuplicateID, "Subscriber for 1 already exists"},
		{"an expired credential", func(c *client) {
			c.send(wire{Type: typeConnectionInit, Payload: json.RawMessage(`{"role":"member","ttl":100}`)})
			require.Equal(t, typeConnectionAck, c.read().Type)
		}, closeForbidden, "Forbidden: the credential expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, url)
			tt.script(c)
			code, reason := c.closed()
			require.Equal(t, tt.code, code)
			require.Equal(t, tt.reason, reason)
		})
	}

	t.Run("ping before and after connection_init", func(t *testing.T) {
		c := dial(t, url)
		c.send(wire{Type: typePing})
		require.Equal(t, typePong, c.read().Type)
		c.send(wire{Type: typeConnectionInit})
		require.Equal(t, typeConnectionAck, c.read().Type)
		c.send(wire{Type: typePing, Payload: json.RawMessage(`{"at":1}`)})
		require.Equal(t, typePong, c.read().Type)
		c.send(wire{Type: typePong}) // a client's heartbeat: no answer
		c.nothingPending()
	})

	t.Run("the server pings", func(t *testing.T) {
		_, _, url := server(t, Config{PingInterval: 50 * time.Millisecond})
		c := connect(t, url, "member")
		require.Equal(t, typePing, c.read().Type)
		require.Equal(t, typePing, c.read().Type)
	})

	t.Run("a duplicate id's reason is cut to what a close frame holds", func(t *testing.T) {
		c := connect(t, url, "member")
		long := strings.Repeat("é", 100)
		c.subscribe(long, nil)
		c.subscribe(long, nil)
		code, reason := c.closed()
		require.Equal(t, closeDuplicateID, code)
		require.LessOrEqual(t, len(reason), maxCloseReason)
		require.True(t, strings.HasPrefix(reason, "Subscriber for éé"))
	})
}

func TestQueriesAndErrors(t *testing.T) {
	_, _, url := server(t, Config{MaxOperations: 2})
	c := connect(t, url, "member")

	c.send(wire{ID: "q", Type: typeSubscribe, Payload: json.RawMessage(`{"query":"query Q { hello }","operationName":"Q"}`)})
	require.Equal(t, `{"hello":"world"}`, c.next("q"))
	require.Equal(t, wire{ID: "q", Type: typeComplete}, c.read())

	// A document that does not validate: an error message, no complete.
	c.send(wire{ID: "bad", Type: typeSubscribe, Payload: json.RawMessage(`{"query":"{ nothing }"}`)})
	m := c.read()
	require.Equal(t, typeError, m.Type)
	require.Equal(t, "bad", m.ID)
	require.Equal(t, "GRAPHQL_VALIDATION_FAILED", codeOf(t, m))

	// Refused before execution for another reason (a rate limit): the
	// errors as a next, then complete.
	c.send(wire{ID: "r", Type: typeSubscribe, Payload: json.RawMessage(`{"query":"query Refused { hello }","operationName":"Refused"}`)})
	m = c.read()
	require.Equal(t, typeNext, m.Type)
	require.Contains(t, string(m.Payload), `"RATE_LIMITED"`)
	require.Equal(t, wire{ID: "r", Type: typeComplete}, c.read())

	// A payload that is no GraphQL request.
	c.send(wire{ID: "p", Type: typeSubscribe, Payload: json.RawMessage(`{"query":1}`)})
	m = c.read()
	require.Equal(t, typeError, m.Type)
	require.Equal(t, "VALIDATION", codeOf(t, m))

	// At most MaxOperations running; an id may be used again once its
	// operation is done.
	c.subscribe("1", nil)
	c.subscribe("2", nil)
	c.subscribe("3", nil)
	m = c.read()
	require.Equal(t, typeError, m.Type)
	require.Equal(t, "3", m.ID)
	require.Equal(t, "RATE_LIMITED", codeOf(t, m))
	c.send(wire{ID: "q", Type: typeSubscribe, Payload: json.RawMessage(`{"query":"{ hello }"}`)})
	m = c.read()
	require.Equal(t, "RATE_LIMITED", codeOf(t, m), "still two running")
	c.send(wire{ID: "1", Type: typeComplete})
	c.send(wire{ID: "q", Type: typeSubscribe, Payload: json.RawMessage(`{"query":"{ hello }"}`)})
	require.Equal(t, `{"hello":"world"}`, c.next("q"))
}

// Subscribers with the same operation and scope share each item's
// rendering; a variable below the root field or another scope makes
// another group; the root field's own arguments do not.
func TestRenderingsAreShared(t *testing.T) {
	tr, exec, url := server(t, Config{})
	type subscriber struct {
		c   *client
		src *source
	}
	subscribe := func(role string, vars map[string]any) subscriber {
		c := connect(t, url, role)
		c.subscribe("s", vars)
		return subscriber{c: c, src: exec.nextSource(t)}
	}
	var same []subscriber
	for i := range 20 {
		same = append(same, subscribe("member", map[string]any{"after": i, "prefix": "#"}))
	}
	otherPrefix := subscribe("member", map[string]any{"prefix": "n="})
	otherRole := subscribe("admin", map[string]any{"prefix": "#"})
	require.Eventually(t, func() bool { return tr.Stats().Groups == 3 }, 10*time.Second, time.Millisecond)

	for n := 1; n <= 3; n++ {
		item := &tick{n: n} // one item handed to every source, as the dispatcher does
		for _, s := range append(same, otherPrefix, otherRole) {
			s.src.push(item)
		}
		for _, s := range same {
			require.Equal(t, fmt.Sprintf(`{"ticks":{"label":"#%d","n":%d}}`, n, n), s.c.next("s"))
		}
		require.Equal(t, fmt.Sprintf(`{"ticks":{"label":"n=%d","n":%d}}`, n, n), otherPrefix.c.next("s"))
		require.Equal(t, fmt.Sprintf(`{"ticks":{"label":"#%d","n":%d}}`, n, n), otherRole.c.next("s"))
		require.Equal(t, int64(3*n), tr.Stats().Renders, "one rendering per group per item")
	}

	// A replayed item (another object with the same content) is rendered
	// for itself.
	same[0].src.push(&tick{n: 3})
	require.Equal(t, `{"ticks":{"label":"#3","n":3}}`, same[0].c.next("s"))
	require.Equal(t, int64(10), tr.Stats().Renders)
}

func TestSourceEnds(t *testing.T) {
	tr, exec, url := server(t, Config{})
	c := connect(t, url, "member")

	c.subscribe("a", nil)
	a := exec.nextSource(t)
	a.push(&tick{n: 1})
	require.Equal(t, `{"ticks":{"label":"1","n":1}}`, c.next("a"))
	a.end(nil)
	require.Equal(t, wire{ID: "a", Type: typeComplete}, c.read())

	c.subscribe("b", nil)
	b := exec.nextSource(t)
	b.push(&tick{n: 2})
	b.end(errcode.New(errcode.Unavailable, "the subscription fell behind"))
	require.Equal(t, `{"ticks":{"label":"2","n":2}}`, c.next("b"), "what was handed out comes first")
	m := c.read()
	require.Equal(t, typeError, m.Type)
	require.Equal(t, "b", m.ID)
	require.Equal(t, "UNAVAILABLE", codeOf(t, m))

	require.Eventually(t, func() bool { return tr.Stats().Groups == 0 }, 10*time.Second, time.Millisecond)
}

// A client's complete stops its subscription: its source's context ends,
// nothing more is sent, and the group is left.
func TestClientCompletes(t *testing.T) {
	tr, exec, url := server(t, Config{})
	c := connect(t, url, "member")
	c.subscribe("1", nil)
	src := exec.nextSource(t)
	src.push(&tick{n: 1})
	require.Equal(t, `{"ticks":{"label":"1","n":1}}`, c.next("1"))
	require.Equal(t, 1, tr.Stats().Groups, "joined before its first item was sent")

	c.send(wire{ID: "1", Type: typeComplete})
	<-src.ctx.Done()
	src.push(&tick{n: 2})
	src.end(nil)
	c.nothingPending()
	require.Eventually(t, func() bool { return tr.Stats().Groups == 0 }, 10*time.Second, time.Millisecond)

	// The id may be used again.
	c.subscribe("1", nil)
	src = exec.nextSource(t)
	src.push(&tick{n: 3})
	require.Equal(t, `{"ticks":{"label":"3","n":3}}`, c.next("1"))
}

// A connection that goes away ends its subscriptions and leaves its
// groups; closing the transport closes every connection (1001).
func TestConnectionsEnd(t *testing.T) {
	tr, exec, url := server(t, Config{})
	gone := connect(t, url, "member")
	gone.subscribe("1", nil)
	src := exec.nextSource(t)
	require.Eventually(t, func() bool { return tr.Stats() == Stats{Connections: 1, Groups: 1} }, 10*time.Second, time.Millisecond)
	gone.conn.CloseNow()
	<-src.ctx.Done()
	require.Eventually(t, func() bool { return tr.Stats() == Stats{} }, 10*time.Second, time.Millisecond)

	staying := connect(t, url, "member")
	staying.subscribe("1", nil)
	exec.nextSource(t)
	tr.Close()
	code, reason := staying.closed()
	require.Equal(t, websocket.StatusGoingAway, code)
	require.Equal(t, "the server is shutting down", reason)
	late := dial(t, url)
	code, _ = late.closed()
	require.Equal(t, websocket.StatusGoingAway, code, "a closed transport takes no connection")
}

// An idle connection with a subscription has one goroutine, its reader:
// no HTTP handler, no writer, nothing parked on the subscription.
func TestIdleSubscriptionsHaveNoGoroutines(t *testing.T) {
	_, exec, url := server(t, Config{})
	const n = 50
	before := runtime.NumGoroutine()
	for range n {
		c := connect(t, url, "member")
		c.subscribe("1", nil)
		src := exec.nextSource(t)
		src.push(&tick{n: 1})
		require.Equal(t, `{"ticks":{"label":"1","n":1}}`, c.next("1"))
	}
	// The writers and the subscribe goroutines have exited once their
	// work was done; the test's clients have none.
	require.Eventually(t, func() bool { return runtime.NumGoroutine()-before <= n+2 }, 10*time.Second, 10*time.Millisecond,
		"goroutines: %d more for %d connections", runtime.NumGoroutine()-before, n)
}

func TestRenderVariables(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `
type Query { x: Int }
type Subscription { ticks(after: Int, every: Int): Tick! }
type Tick { n: Int! label(prefix: String, parts: [String]): String more: Tick }
`})
	tests := []struct {
		query string
		want  []string
	}{
		{`subscription($a: Int) { ticks(after: $a) { n } }`, nil},
		{`subscription($a: Int, $p: String) { ticks(after: $a) { n label(prefix: $p) } }`, []string{"p"}},
		{`subscription($a: Int, $p: String) { ticks(after: $a) { more { label(parts: ["x", $p]) } } }`, []string{"p"}},
		{`subscription($a: Int, $s: Boolean!) { ticks(after: $a) @include(if: $s) { n } }`, []string{"s"}},
		{`subscription($a: Int, $p: String) { ...F } fragment F on Subscription { ticks(after: $a) { ...G } } fragment G on Tick { label(prefix: $p) }`, []string{"p"}},
		{`subscription($a: Int, $s: Boolean!) { ... on Subscription { ticks(after: $a, every: $a) { n @skip(if: $s) } } }`, []string{"s"}},
		{`subscription($a: Int) { ticks(after: $a) { more { label(prefix: "x") } n: label(prefix: "y") } }`, nil},
	}
	for _, tt := range tests {
		doc, errs := gqlparser.LoadQuery(schema, tt.query)
		require.Nil(t, errs, tt.query)
		require.Equal(t, tt.want, renderVariables(doc, doc.Operations[0]), tt.query)
	}
}
