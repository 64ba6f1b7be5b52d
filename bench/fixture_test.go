// Package bench_test holds Lanes' in-process benchmarks: the real gqlgen
// executor behind the real HTTP handler, on the generated dataset, each
// beside a reference that does the same work with hand-written SQL through
// pgx. They run on SQLite always and on PostgreSQL when
// LANES_BENCH_DATABASE_URL names a server; LANES_BENCH_SIZES picks the
// dataset sizes (default tiny, so that CI's single run stays quick).
// TestWorstCaseDocuments, the package's test, serves the worst-case
// documents of the complexity limit (bench/worstcase) that
// BenchmarkWorstCase measures. docs/benchmarks.md says how to run them and
// what they showed.
package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/bench/dataset"
	"github.com/lanes-dev/lanes/bench/internal/sqlcount"
	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// Environment of the benchmarks.
const (
	envPostgres  = "LANES_BENCH_DATABASE_URL" // PostgreSQL administrative URL
	envSizes     = "LANES_BENCH_SIZES"        // comma-separated: tiny, S, L
	envDatabases = "LANES_BENCH_DATABASES"    // comma-separated: sqlite, postgres (default: both that are available)
)

// fixture is an open Lanes on a prepared dataset.
type fixture struct {
	kind     string // sqlite or postgres
	size     dataset.Size
	manifest *dataset.Manifest
	lanes    *sdk.Lanes
	handler  http.Handler
	stmts    *sqlcount.Counter
	// pool is a native pgx pool on the same database (PostgreSQL only),
	// for the references.
	pool *pgxpool.Pool
}

// forEachDataset runs fn as sub-benchmarks per database and size.
func forEachDataset(b *testing.B, fn func(b *testing.B, f *fixture)) {
	kinds := map[string]string{"sqlite": ""}
	if u := os.Getenv(envPostgres); u != "" {
		kinds["postgres"] = u
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		admin, ok := kinds[kind]
		if !ok || !wanted(envDatabases, kind) {
			continue
		}
		b.Run(kind, func(b *testing.B) {
			for _, size := range benchSizes(b) {
				b.Run("size="+size.Name, func(b *testing.B) { fn(b, open(b, kind, admin, size)) })
			}
		})
	}
}

// wanted reports whether the comma-separated list in env names name (an
// unset list names everything).
func wanted(env, name string) bool {
	list := os.Getenv(env)
	return list == "" || slices.Contains(strings.Split(list, ","), name)
}

func benchSizes(b *testing.B) []dataset.Size {
	names := os.Getenv(envSizes)
	if names == "" {
		names = "tiny"
	}
	var out []dataset.Size
	for _, name := range strings.Split(names, ",") {
		s, err := dataset.SizeNamed(strings.TrimSpace(name))
		require.NoError(b, err)
		out = append(out, s)
	}
	return out
}

// open prepares the dataset (cached across runs) and opens Lanes on it
// with a statement counter, closed when the benchmark ends.
func open(b *testing.B, kind, admin string, size dataset.Size) *fixture {
	b.Helper()
	ctx := context.Background()
	m, err := dataset.Prepare(ctx, dataset.PrepareOptions{Size: size, Seed: dataset.DefaultSeed, PostgresAdminURL: admin, Logf: b.Logf})
	require.NoError(b, err)
	f := (&fixture{kind: kind, size: size, manifest: m}).reopen(b, nil)
	if kind == "postgres" {
		// The references use the database as Lanes does (sdk/store):
		// prepared statements with PostgreSQL's plan cache, custom plans
		// for the report (referenceReport).
		f.pool, err = pgxpool.New(ctx, m.DatabaseURL)
		require.NoError(b, err)
		b.Cleanup(f.pool.Close)
	}
	return f
}

// reopen opens another Lanes on the fixture's dataset, its configuration
// changed by configure (optional).
func (f *fixture) reopen(b *testing.B, configure func(*sdk.Config)) *fixture {
	b.Helper()
	g := &fixture{kind: f.kind, size: f.size, manifest: f.manifest, pool: f.pool, stmts: &sqlcount.Counter{}}
	cfg := dataset.Config(f.manifest.DatabaseURL, f.manifest.Seed)
	cfg.DataDir = b.TempDir()
	cfg.WrapDriver = g.stmts.Wrap
	cfg.RateLimit = -1 // one credential sends everything here
	// The events benchmarks' receivers are on 127.0.0.1; every instance on
	// a dataset works the same webhook queue, so all allow them.
	cfg.WebhookAllowLoopback = true
	cfg.MaxOpenConns = 16
	if configure != nil {
		configure(&cfg)
	}
	var err error
	g.lanes, err = sdk.Open(context.Background(), cfg)
	require.NoError(b, err)
	b.Cleanup(func() { _ = g.lanes.Close() })
	g.handler = g.lanes.Handler()
	return g
}

// memberToken mints a JWT for the tenant's first staff member.
func (f *fixture) memberToken(b *testing.B, t dataset.Tenant) string {
	b.Helper()
	tok, err := auth.MintHS256([]byte(f.manifest.JWTSecret), t.Slug, t.Staff()[0].ExternalID, 24*time.Hour)
	require.NoError(b, err)
	return tok
}

// request is a prepared contract operation.
type request struct {
	op   string
	body []byte
	auth string
}

func newRequest(b *testing.B, bearer, op string, vars map[string]any) request {
	b.Helper()
	body, err := json.Marshal(map[string]any{"operationName": op, "query": contract.MustOperation(op), "variables": vars})
	require.NoError(b, err)
	return request{op: op, body: body, auth: "Bearer " + bearer}
}

// serve runs the request through the handler and fails the benchmark on
// any error; it returns the response body.
func (f *fixture) serve(b *testing.B, r request) []byte {
	req := httptest.NewRequest(http.MethodPost, sdk.GraphQLPath, bytes.NewReader(r.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", r.auth)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	body := rec.Body.Bytes()
	if rec.Code != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) {
		b.Fatalf("%s: %d %s", r.op, rec.Code, body[:min(len(body), 400)])
	}
	return body
}

// benchServe measures r through the handler: time and allocations per
// op, latency percentiles and SQL statements per op.
func (f *fixture) benchServe(b *testing.B, r request) {
	var lat latencies
	before := f.stmts.Snapshot()
	b.ReportAllocs()
	for b.Loop() {
		lat.time(func() { f.serve(b, r) })
	}
	f.reportStatements(b, before, len(lat))
	lat.report(b)
}

// latencies collects per-operation durations and reports percentiles.
type latencies []time.Duration

func (l *latencies) time(fn func()) {
	start := time.Now()
	fn()
	*l = append(*l, time.Since(start))
}

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	b.ReportMetric(l.percentile(0.50), "p50-µs")
	b.ReportMetric(l.percentile(0.99), "p99-µs")
}

// percentile returns the q-quantile in microseconds (nearest rank).
func (l latencies) percentile(q float64) float64 {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1))].Microseconds())
}

// reportStatements reports the statements and database round trips per
// operation counted since before.
func (f *fixture) reportStatements(b *testing.B, before sqlcount.Snapshot, ops int) {
	if ops > 0 {
		d := f.stmts.Snapshot().Sub(before)
		b.ReportMetric(float64(d.Statements)/float64(ops), "stmts/op")
		b.ReportMetric(float64(d.RoundTrips)/float64(ops), "roundtrips/op")
	}
}

func mustPostgres(b *testing.B, f *fixture) {
	if f.pool == nil {
		b.Skip("the pgx reference needs PostgreSQL (" + envPostgres + ")")
	}
}

func tenantID(f *fixture, i int) string { return f.manifest.Tenants[i].ID }

func fatalIf(b *testing.B, err error, what string) {
	if err != nil {
		b.Fatal(fmt.Errorf("%s: %w", what, err))
	}
}
