package sdk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// benchProjects is the number of website projects the board benchmark
// seeds: tiny by default so `go test -bench . -benchtime 1x` stays fast;
// LANES_BENCH_PROJECTS=20000 measures the board.
func benchProjects() int {
	if n, err := strconv.Atoi(os.Getenv("LANES_BENCH_PROJECTS")); err == nil && n > 0 {
		return n
	}
	return 13 * 5
}

// graphqlRequest builds a POST of a contract operation with a member token.
func graphqlRequest(b *testing.B, token, op string, vars map[string]any) func() *http.Request {
	body := fmt.Sprintf(`{"operationName":%q,"query":%q,"variables":%s}`, op, contract.MustOperation(op), mustJSON(b, vars))
	return func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, sdk.GraphQLPath, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
}

func mustJSON(b *testing.B, v any) string {
	out, err := json.Marshal(v)
	require.NoError(b, err)
	return string(out)
}

// reportPercentiles adds p50 and p99 (in microseconds) to a benchmark.
func reportPercentiles(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	p := func(q float64) float64 {
		return float64(samples[int(q*float64(len(samples)-1))].Microseconds())
	}
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
}

// BenchmarkBoard serves the Board operation (first 20 per column) through
// the real handler for a tenant with LANES_BENCH_PROJECTS website projects.
func BenchmarkBoard(b *testing.B) {
	lanestest.ForEachBenchDatabase(b, func(b *testing.B, db lanestest.Database) {
		s := sdktest.Start(b, db.URL)
		s.CreateTenant(b, "bench")
		s.AddMember(b, "bench", "bencher", "MEMBER")
		seedColumns(b, s.Lanes, "bench", benchProjects()/13)
		settle(b, s, db)
		token, err := auth.MintHS256([]byte(sdktest.JWTSecret), "bench", "bencher", time.Hour)
		require.NoError(b, err)
		req := graphqlRequest(b, token, "Board", map[string]any{"workflow": "website", "first": 20})
		h := s.Lanes.Handler()
		samples := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			start := time.Now()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req())
			samples = append(samples, time.Since(start))
			if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
				b.Fatalf("board: %d %s", rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
			}
		}
		reportPercentiles(b, samples)
	})
}

// BenchmarkMoveProject moves random projects of a pool to random statuses
// through the handler: serially, and from 8 concurrent clients.
func BenchmarkMoveProject(b *testing.B) {
	lanestest.ForEachBenchDatabase(b, func(b *testing.B, db lanestest.Database) {
		s := sdktest.Start(b, db.URL, func(c *sdk.Config) { c.MaxOpenConns = 16 })
		s.CreateTenant(b, "bench")
		s.AddMember(b, "bench", "bencher", "MEMBER")
		seedColumns(b, s.Lanes, "bench", 20)
		ctx, err := s.Lanes.AsPlatform(context.Background(), "bench")
		require.NoError(b, err)
		ids, err := s.Lanes.Client().Project.Query().IDs(ctx)
		require.NoError(b, err)
		token, err := auth.MintHS256([]byte(sdktest.JWTSecret), "bench", "bencher", time.Hour)
		require.NoError(b, err)
		statuses := []string{"lead", "interest", "preparation", "approval", "assign", "creation", "audit", "feedback", "revision", "publish", "change", "done", "redesign"}
		h := s.Lanes.Handler()
		moveOnce := func(r *rand.Rand) {
			id := ids[r.IntN(len(ids))]
			body := fmt.Sprintf(`{"operationName":"MoveProject","query":%q,"variables":{"input":{"id":%q,"to":%q}}}`,
				contract.MustOperation("MoveProject"), id, statuses[r.IntN(len(statuses))])
			req := httptest.NewRequest(http.MethodPost, sdk.GraphQLPath, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
				b.Errorf("move: %d %s", rec.Code, rec.Body.String())
			}
		}
		b.Run("serial", func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			for b.Loop() {
				moveOnce(r)
			}
		})
		b.Run("clients=8", func(b *testing.B) {
			var seed atomic.Uint64
			b.SetParallelism(max(1, 8/runtimeProcs()))
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				r := rand.New(rand.NewPCG(seed.Add(1), 7))
				for pb.Next() {
					moveOnce(r)
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "moves/s")
		})
		n, err := s.Lanes.Client().Project.Query().Where(project.VersionGT(1)).Count(ctx)
		require.NoError(b, err)
		require.Positive(b, n)
	})
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// settle brings a freshly seeded PostgreSQL database to the state a live
// one is in (visibility map set, statistics gathered), as autovacuum would.
func settle(b *testing.B, s *sdktest.Server, db lanestest.Database) {
	if db.Name != "postgres" {
		return
	}
	_, err := s.Lanes.DB().Exec("VACUUM ANALYZE")
	require.NoError(b, err)
}
