package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant"
)

// The swarm: BenchmarkBoardEventsWebSocket runs this test binary again as
// a child process that opens the connections, so that the server's
// memory per connection is the server's alone. The child learns what to
// do from these variables and reports on file descriptor 3.
const (
	envSwarmURL   = "LANES_SWARM_URL"
	envSwarmToken = "LANES_SWARM_TOKEN"
	envSwarmAfter = "LANES_SWARM_AFTER"
	envSwarmConns = "LANES_SWARM_CONNECTIONS"
)

// BenchmarkBoardEventsWebSocket opens n boardEvents subscriptions over
// graphql-transport-ws, one connection each, to a real server on
// 127.0.0.1, and measures the time from a move's commit to its arrival
// at every connection, and the server's memory (heap and goroutine
// stacks) per idle connection.
func BenchmarkBoardEventsWebSocket(b *testing.B) {
	forEachDataset(b, func(b *testing.B, f *fixture) {
		t := f.manifest.Tenants[0]
		srv := httptest.NewServer(f.handler)
		b.Cleanup(srv.Close)
		token := f.memberToken(b, t)
		ctx, err := f.lanes.AsPlatform(context.Background(), t.Slug)
		require.NoError(b, err)
		p, err := f.lanes.Workflows.CreateProject(ctx, workflow.CreateProjectInput{Workflow: "website", Title: "WebSocket benchmark"})
		require.NoError(b, err)
		// Moves alternate between two statuses across the runs: a move to
		// the status a project is in records no event.
		i := 0
		for _, n := range []int{1000, 10000} {
			b.Run("connections="+strconv.Itoa(n), func(b *testing.B) {
				after := lastEvent(b, ctx, f.lanes)
				var before runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				goroutines := runtime.NumGoroutine()
				sw := startSwarm(b, srv.URL+sdk.GraphQLPath, token, after, n)
				move := func() time.Time {
					i++
					f.serve(b, newRequest(b, token, "MoveProject", map[string]any{"input": map[string]any{
						"id": string(p.ID), "to": []string{"interest", "preparation"}[i%2],
					}}))
					return time.Now()
				}
				// The first move reaches every connection once its
				// subscription is set up (after: nothing is missed).
				move()
				sw.arrivals(b)
				var idle runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&idle)
				perConnection := (float64(idle.HeapInuse+idle.StackInuse) - float64(before.HeapInuse+before.StackInuse)) / float64(n) / 1024
				goroutinesPerConnection := float64(runtime.NumGoroutine()-goroutines) / float64(n)

				var lat latencies
				for b.Loop() {
					committed := move()
					for _, at := range sw.arrivals(b) {
						lat = append(lat, time.Unix(0, at).Sub(committed))
					}
				}
				lat.report(b)
				b.ReportMetric(perConnection, "KB/connection")
				b.ReportMetric(goroutinesPerConnection, "goroutines/connection")
			})
		}
	})
}

// lastEvent is the ID of the tenant of ctx's newest event.
func lastEvent(b *testing.B, ctx context.Context, l *sdk.Lanes) string {
	b.Helper()
	a, err := tenant.RequireTenant(ctx)
	require.NoError(b, err)
	seq, err := events.LastSeq(ctx, l.Client(), a.TenantID)
	require.NoError(b, err)
	last, err := l.Events.After(ctx, seq-1, 1)
	require.NoError(b, err)
	require.Len(b, last, 1)
	return string(last[0].ID)
}

// swarm is the child process holding the connections.
type swarm struct {
	n       int
	reports *bufio.Reader
}

func startSwarm(b *testing.B, url, token, after string, n int) *swarm {
	b.Helper()
	r, w, err := os.Pipe()
	require.NoError(b, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSwarm$", "-test.bench=^$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envSwarmURL+"="+url, envSwarmToken+"="+token, envSwarmAfter+"="+after, envSwarmConns+"="+strconv.Itoa(n))
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(b, cmd.Start())
	require.NoError(b, w.Close())
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = r.Close()
	})
	sw := &swarm{n: n, reports: bufio.NewReaderSize(r, 1<<20)}
	line, err := sw.reports.ReadString('\n')
	require.NoError(b, err, "the swarm did not start")
	require.Equal(b, "ready\n", line)
	return sw
}

// arrivals waits for the next event to reach every connection and
// returns when it arrived at each (Unix nanoseconds).
func (sw *swarm) arrivals(b *testing.B) []int64 {
	b.Helper()
	out := make([]int64, sw.n)
	require.NoError(b, binary.Read(sw.reports, binary.LittleEndian, out), "the swarm stopped")
	return out
}

// TestSwarm is the swarm's side of BenchmarkBoardEventsWebSocket; run
// otherwise, it has nothing to do.
func TestSwarm(t *testing.T) {
	url := os.Getenv(envSwarmURL)
	if url == "" {
		t.Skip("the swarm of BenchmarkBoardEventsWebSocket (run by it)")
	}
	n, err := strconv.Atoi(os.Getenv(envSwarmConns))
	require.NoError(t, err)
	out := os.NewFile(3, "reports")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Every connection tells when each event arrived; the collector
	// reports an event once all n have it.
	type arrival struct {
		conn int
		id   string
		at   int64
	}
	arrived := make(chan arrival, n)
	conns := make([]*websocket.Conn, n)
	var dialing sync.WaitGroup
	errs := make(chan error, n)
	limit := make(chan struct{}, 64)
	for i := range conns {
		dialing.Add(1)
		limit <- struct{}{}
		go func() {
			defer dialing.Done()
			defer func() { <-limit }()
			c, err := subscribeSwarm(ctx, url, os.Getenv(envSwarmToken), os.Getenv(envSwarmAfter))
			if err != nil {
				errs <- fmt.Errorf("connection %d: %w", i, err)
				return
			}
			conns[i] = c
		}()
	}
	dialing.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i, c := range conns {
		go func() {
			for {
				id, err := nextEvent(ctx, c)
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						// Said at once: the benchmark waits for this
						// connection's arrivals until it is killed.
						fmt.Fprintf(os.Stderr, "swarm: connection %d: %v\n", i, err)
						t.Errorf("connection %d: %v", i, err)
					}
					return
				}
				arrived <- arrival{conn: i, id: id, at: time.Now().UnixNano()}
			}
		}()
	}
	_, err = io.WriteString(out, "ready\n")
	require.NoError(t, err)
	pending := map[string][]int64{}
	for a := range arrived {
		at := pending[a.id]
		if at == nil {
			at = make([]int64, 0, n)
		}
		at = append(at, a.at)
		if len(at) < n {
			pending[a.id] = at
			continue
		}
		delete(pending, a.id)
		slices.Sort(at)
		if err := binary.Write(out, binary.LittleEndian, at); err != nil {
			return // the benchmark is done
		}
	}
}

type swarmMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribeSwarm opens one connection and subscribes to the website
// board after the given event.
func subscribeSwarm(ctx context.Context, url, token, after string) (*websocket.Conn, error) {
	dial, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dial, "ws"+strings.TrimPrefix(url, "http"), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := wsjson.Write(dial, c, swarmMessage{Type: "connection_init", Payload: init}); err != nil {
		return nil, err
	}
	var ack swarmMessage
	if err := wsjson.Read(dial, c, &ack); err != nil {
		return nil, err
	}
	if ack.Type != "connection_ack" {
		return nil, fmt.Errorf("connection_init answered %s: %s", ack.Type, ack.Payload)
	}
	query, _ := json.Marshal(map[string]any{
		"query": contract.MustOperation("BoardEvents"), "operationName": "BoardEvents",
		"variables": map[string]any{"workflow": "website", "after": after},
	})
	return c, wsjson.Write(dial, c, swarmMessage{ID: "1", Type: "subscribe", Payload: query})
}

// nextEvent waits for the connection's next board event and returns its
// ID. It reads the ID out of the bytes instead of decoding the message:
// the swarm shares the machine with the server it measures.
func nextEvent(ctx context.Context, c *websocket.Conn) (string, error) {
	idAt := []byte(`"boardEvents":{"id":"`)
	for {
		_, m, err := c.Read(ctx)
		if err != nil {
			return "", err
		}
		switch {
		case bytes.Contains(m, []byte(`"type":"next"`)):
			at := bytes.Index(m, idAt)
			if at < 0 {
				return "", fmt.Errorf("bad event %s", m)
			}
			id, _, ok := bytes.Cut(m[at+len(idAt):], []byte(`"`))
			if !ok {
				return "", fmt.Errorf("bad event %s", m)
			}
			return string(id), nil
		case bytes.Contains(m, []byte(`"type":"ping"`)):
			if err := wsjson.Write(ctx, c, swarmMessage{Type: "pong"}); err != nil {
				return "", err
			}
		case bytes.Contains(m, []byte(`"type":"pong"`)):
		default:
			return "", fmt.Errorf("unexpected %s", m)
		}
	}
}
