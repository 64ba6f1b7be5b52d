package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/webhook"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// arrivals is a webhook receiver on 127.0.0.1 that notes when each
// project version's project.moved arrived.
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time
	wake chan struct{}
}

func newArrivals(b *testing.B) (*arrivals, string) {
	a := &arrivals{at: map[string]time.Time{}, wake: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(r.Body)
		var p struct {
			Type string
			Data struct {
				Project struct {
					ID      string
					Version int
				}
			}
		}
		_ = json.Unmarshal(body, &p)
		a.mu.Lock()
		a.at[versionKey(p.Data.Project.ID, p.Data.Project.Version)] = now
		a.mu.Unlock()
		select {
		case a.wake <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	return a, srv.URL + "/hook"
}

func versionKey(id string, version int) string { return fmt.Sprintf("%s@%d", id, version) }

// withEndpoint registers a webhook endpoint of the fixture's first tenant
// (removed when the benchmark ends: the dataset is reused).
func withEndpoint(b *testing.B, f *fixture, url string) {
	ctx, err := f.lanes.AsPlatform(context.Background(), f.manifest.Tenants[0].Slug)
	require.NoError(b, err)
	w, err := f.lanes.Webhooks.Create(ctx, webhook.CreateInput{URL: url, Events: []string{"project.moved"}})
	require.NoError(b, err)
	b.Cleanup(func() { _, _ = f.lanes.Webhooks.Delete(ctx, w.ID) })
}

// removeEndpoints deletes the endpoints an interrupted run left in the
// (reused) dataset, so that "no endpoint" means none.
func removeEndpoints(b *testing.B, f *fixture) {
	ctx, err := f.lanes.AsPlatform(context.Background(), f.manifest.Tenants[0].Slug)
	require.NoError(b, err)
	hooks, err := f.lanes.Webhooks.List(ctx)
	require.NoError(b, err)
	for _, w := range hooks {
		_, err := f.lanes.Webhooks.Delete(ctx, w.ID)
		require.NoError(b, err)
	}
}

// BenchmarkEvents measures what events cost and how fast they arrive:
// moves with and without one webhook endpoint and one live subscriber
// (the outbox write is in every move either way), and the time from a
// move's commit (its answer) to the webhook's arrival at 100 moves/s.
func BenchmarkEvents(b *testing.B) {
	forEachDataset(b, func(b *testing.B, plain *fixture) {
		t := plain.manifest.Tenants[0]
		removeEndpoints(b, plain)
		move := func(f *fixture, token string) func(*testing.B, *rand.Rand) {
			return func(b *testing.B, r *rand.Rand) {
				f.serve(b, newRequest(b, token, "MoveProject", map[string]any{"input": map[string]any{
					"id": t.WebsiteProjects[r.IntN(len(t.WebsiteProjects))], "to": websiteStatuses[r.IntN(len(websiteStatuses))],
				}}))
			}
		}
		b.Run("moves/no-endpoint/clients=8", func(b *testing.B) {
			runParallel(b, move(plain, plain.memberToken(b, t)))
		})
		b.Run("moves/webhook+subscriber/clients=8", func(b *testing.B) {
			f := plain
			_, url := newArrivals(b)
			withEndpoint(b, f, url)
			ctx, err := f.lanes.AsPlatform(context.Background(), t.Slug)
			require.NoError(b, err)
			watch, cancel := context.WithCancel(ctx)
			b.Cleanup(cancel)
			stream, err := f.lanes.Events.Stream(watch, events.StreamOptions{})
			require.NoError(b, err)
			go func() {
				for range stream.C {
				}
			}()
			runParallel(b, move(f, f.memberToken(b, t)))
		})
		b.Run("moves/interleaved/clients=8", func(b *testing.B) {
			// Rounds of both, alternating which goes first, so that the
			// machine's drift (large here) falls on both alike.
			f := plain
			token := f.memberToken(b, t)
			op := move(f, token)
			var plainRate, eventsRate []float64
			rounds := 0
			for b.Loop() {
				rounds++
				withEvents := func() float64 {
					_, url := newArrivals(b)
					ctx, err := f.lanes.AsPlatform(context.Background(), t.Slug)
					require.NoError(b, err)
					w, err := f.lanes.Webhooks.Create(ctx, webhook.CreateInput{URL: url, Events: []string{"project.moved"}})
					require.NoError(b, err)
					defer func() { _, _ = f.lanes.Webhooks.Delete(ctx, w.ID) }()
					watch, cancel := context.WithCancel(ctx)
					defer cancel()
					stream, err := f.lanes.Events.Stream(watch, events.StreamOptions{})
					require.NoError(b, err)
					go func() {
						for range stream.C {
						}
					}()
					return movesPerSecond(b, op, interleavedRound)
				}
				if rounds%2 == 1 {
					plainRate = append(plainRate, movesPerSecond(b, op, interleavedRound))
					eventsRate = append(eventsRate, withEvents())
				} else {
					eventsRate = append(eventsRate, withEvents())
					plainRate = append(plainRate, movesPerSecond(b, op, interleavedRound))
				}
			}
			slices.Sort(plainRate)
			slices.Sort(eventsRate)
			none, with := plainRate[len(plainRate)/2], eventsRate[len(eventsRate)/2]
			b.ReportMetric(none, "no-endpoint-moves/s")
			b.ReportMetric(with, "webhook+subscriber-moves/s")
			b.ReportMetric(with/none, "ratio")
		})
		b.Run("commit-to-webhook/"+strconv.Itoa(eventsPerSecond())+"-per-s", func(b *testing.B) {
			f := plain
			got, url := newArrivals(b)
			withEndpoint(b, f, url)
			token := f.memberToken(b, t)
			r := rand.New(rand.NewPCG(3, 4))
			committed := map[string]time.Time{}
			// A move to the status a project is in changes nothing and
			// sends nothing: only version changes are waited for.
			ctx, err := f.lanes.AsPlatform(context.Background(), t.Slug)
			require.NoError(b, err)
			versions := map[string]int{}
			projects, err := f.lanes.Client().Project.Query().All(ctx)
			require.NoError(b, err)
			for _, p := range projects {
				versions[string(p.ID)] = p.Version
			}
			tick := time.NewTicker(time.Second / time.Duration(eventsPerSecond()))
			defer tick.Stop()
			for b.Loop() {
				<-tick.C
				id := t.WebsiteProjects[r.IntN(len(t.WebsiteProjects))]
				body := f.serve(b, newRequest(b, token, "MoveProject", map[string]any{"input": map[string]any{
					"id": id, "to": websiteStatuses[r.IntN(len(websiteStatuses))],
				}}))
				var out struct {
					Data struct{ MoveProject struct{ Version int } }
				}
				require.NoError(b, json.Unmarshal(body, &out))
				if v := out.Data.MoveProject.Version; v > versions[id] {
					versions[id] = v
					committed[versionKey(id, v)] = time.Now()
				}
			}
			// Wait for every delivery (signals, bounded).
			deadline := time.After(2 * time.Minute)
			for {
				got.mu.Lock()
				n := 0
				for k := range committed {
					if _, ok := got.at[k]; ok {
						n++
					}
				}
				got.mu.Unlock()
				if n == len(committed) {
					break
				}
				select {
				case <-got.wake:
				case <-deadline:
					b.Fatalf("%d of %d moves delivered", n, len(committed))
				}
			}
			var lat latencies
			for k, at := range committed {
				lat = append(lat, max(0, got.at[k].Sub(at)))
			}
			lat.report(b)
		})
	})
}

// BenchmarkSubscriptions opens n live subscriptions of one tenant (the
// Go stream the boardEvents subscription is built on) and measures the
// time from a move's commit to its arrival at every one of them, and the
// memory (heap and goroutine stacks) each idle subscription holds.
func BenchmarkSubscriptions(b *testing.B) {
	forEachDataset(b, func(b *testing.B, f *fixture) {
		t := f.manifest.Tenants[0]
		for _, n := range []int{1000, 10000} {
			b.Run("subscribers="+strconv.Itoa(n), func(b *testing.B) {
				ctx, err := f.lanes.AsPlatform(context.Background(), t.Slug)
				require.NoError(b, err)
				watch, cancel := context.WithCancel(ctx)
				defer cancel()
				var before runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				subs := make([]*events.Subscription, n)
				for i := range subs {
					subs[i], err = f.lanes.Events.Stream(watch, events.StreamOptions{Types: []string{"project.moved"}})
					require.NoError(b, err)
				}
				var after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&after)
				perSubscriber := (float64(after.HeapInuse+after.StackInuse) - float64(before.HeapInuse+before.StackInuse)) / float64(n) / 1024

				// One project of its own, moved back and forth: every move
				// changes its status, so every move is an event.
				token := f.memberToken(b, t)
				p, err := f.lanes.Workflows.CreateProject(ctx, workflow.CreateProjectInput{Workflow: "website", Title: "Subscriptions benchmark"})
				require.NoError(b, err)
				var lat latencies
				i := 0
				for b.Loop() {
					i++
					f.serve(b, newRequest(b, token, "MoveProject", map[string]any{"input": map[string]any{
						"id": string(p.ID), "to": []string{"interest", "preparation"}[i%2],
					}}))
					committed := time.Now()
					for _, s := range subs {
						<-s.C
						lat = append(lat, time.Since(committed))
					}
				}
				lat.report(b)
				// After the loop: b.Loop's first call drops earlier metrics.
				b.ReportMetric(perSubscriber, "KB/subscriber")
			})
		}
	})
}

// eventsPerSecond is the pace of commit-to-webhook
// (LANES_BENCH_EVENTS_PER_S, default 100).
func eventsPerSecond() int {
	if n, err := strconv.Atoi(os.Getenv("LANES_BENCH_EVENTS_PER_S")); err == nil && n > 0 {
		return n
	}
	return 100
}

// interleavedRound is how long each round of moves/interleaved runs.
const interleavedRound = 2 * time.Second

// movesPerSecond runs op from moveClients clients for d and returns
// their throughput.
func movesPerSecond(b *testing.B, op func(*testing.B, *rand.Rand), d time.Duration) float64 {
	var done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := range moveClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 11))
			for time.Now().Before(deadline) {
				op(b, r)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds()
}
