package live

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"
)

// serveWith starts a transport over exec with cfg as given (Init, Scope
// and Present default to server's when nil).
func serveWith(t *testing.T, cfg Config, exec graphql.GraphExecutor) (*Transport, string) {
	t.Helper()
	if cfg.Init == nil {
		cfg.Init = func(ctx context.Context, payload map[string]any) (context.Context, error) {
			role, _ := payload["role"].(string)
			return context.WithValue(ctx, scopeKey{}, role), nil
		}
	}
	cfg.Scope = func(ctx context.Context) string { s, _ := ctx.Value(scopeKey{}).(string); return s }
	cfg.Present = present
	tr := New(cfg)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tr.Do(w, r, exec) }))
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(func() { tr.Close(); srv.Close() })
	return tr, "ws" + strings.TrimPrefix(srv.URL, "http")
}

// smallBuffers gives accepted connections a small kernel send buffer, so
// that a client that does not read is felt at once. (Only that way: a
// small receive buffer on loopback, far below its 64 KB segments, stalls
// the sender on TCP's zero-window probes.)
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// hookedExecutor runs hook before each rendering of an item.
type hookedExecutor struct {
	*executor
	hook func(item *tick)
}

func (e *hookedExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	if item, ok := ctx.Value(renderKey{}).(*tick); ok && e.hook != nil {
		e.hook(item)
	}
	return e.executor.DispatchOperation(ctx, rc)
}

// A rendering slower than WriteTimeout (but well within RenderTimeout)
// must not disconnect a client that reads.
func TestRenderTimeIsNotWriteTime(t *testing.T) {
	exec := &hookedExecutor{executor: newExecutor(), hook: func(*tick) { time.Sleep(300 * time.Millisecond) }}
	_, url := serveWith(t, Config{WriteTimeout: 200 * time.Millisecond, RenderTimeout: 5 * time.Second}, exec)
	c := connect(t, url, "member")
	c.subscribe("1", nil)
	src := exec.nextSource(t)
	src.push(&tick{n: 1})
	require.Equal(t, `{"ticks":{"label":"1","n":1}}`, c.next("1"))
	c.nothingPending() // and still connected
}

// A client that sends and does not read is disconnected (1008) once
// answers pile up, instead of the server queueing them without bound.
func TestOutboxIsBounded(t *testing.T) {
	_, url := serveWith(t, Config{WriteTimeout: time.Minute}, newExecutor())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		Subprotocols: []string{Subprotocol},
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { ws.CloseNow() })
	c := &client{t: t, ctx: ctx, conn: ws}
	c.send(wire{Type: typeConnectionInit})
	require.Equal(t, typeConnectionAck, c.read().Type)
	const pings = 20 * maxOutbox
	for range pings {
		c.sendRaw(`{"type":"ping"}`)
	}
	// Now read: what was queued or in the sockets' buffers, then the close.
	pongs := 0
	for {
		var m wire
		err := wsjson.Read(ctx, ws, &m)
		if err != nil {
			var ce websocket.CloseError
			require.True(t, errors.As(err, &ce), "not closed by the server: %v", err)
			require.Equal(t, websocket.StatusPolicyViolation, ce.Code)
			break
		}
		require.Equal(t, typePong, m.Type)
		pongs++
	}
	require.Less(t, pongs, pings, "every ping was answered: the answers were queued without bound")
}

// The connection_init arrived in time: a slow Init must not close the
// connection with 4408 (graphql-ws closes only if no connection_init
// was received).
func TestSlowInitIsNotAnInitTimeout(t *testing.T) {
	_, url := serveWith(t, Config{
		InitTimeout: 100 * time.Millisecond,
		Init: func(ctx context.Context, _ map[string]any) (context.Context, error) {
			time.Sleep(300 * time.Millisecond)
			return ctx, nil
		},
	}, newExecutor())
	c := dial(t, url)
	c.send(wire{Type: typeConnectionInit})
	require.Equal(t, typeConnectionAck, c.read().Type)
}

// After the client's complete, nothing of that operation is sent: not
// even an item whose rendering started before, which the client would
// take for the next operation with the same id.
func TestNoNextAfterComplete(t *testing.T) {
	rendering, release := make(chan struct{}, 1), make(chan struct{})
	exec := &hookedExecutor{executor: newExecutor(), hook: func(item *tick) {
		if item.n == 1 {
			rendering <- struct{}{}
			<-release
		}
	}}
	_, url := serveWith(t, Config{}, exec)
	c := connect(t, url, "member")
	c.subscribe("1", map[string]any{"prefix": "old:"})
	old := exec.nextSource(t)
	old.push(&tick{n: 1})
	<-rendering
	c.send(wire{ID: "1", Type: typeComplete})
	<-old.ctx.Done()
	c.subscribe("1", map[string]any{"prefix": "new:"})
	exec.nextSource(t)
	close(release)
	c.send(wire{Type: typePing})
	m := c.read()
	require.Equal(t, typePong, m.Type, "after complete: %s %s %s", m.ID, m.Type, m.Payload)
}
