// Command load drives a Lanes server on loopback with closed-loop clients
// and reports throughput, latency percentiles, and the server's CPU time
// and memory per workload.
//
//	go run ./bench/load -size S                          # SQLite
//	go run ./bench/load -size S -postgres URL            # PostgreSQL
//	go run ./bench/load -size tiny -duration 2s -rounds 1 -concurrency 4 -workloads board,mixed
//
// It prepares the benchmark dataset (bench/dataset, cached), builds
// ./server and runs it as a subprocess. Each workload (board, move, timers,
// portal, mixed) runs at each number of clients for -duration after a
// -warmup that is not recorded, in -rounds interleaved rounds; the report
// holds each metric's median over the rounds. Then a fresh server measures
// how its memory grows as tenants become active one after another.
//
// Results go to a JSON file and a markdown table, which is also printed.
// Run it from within the module: it builds the server with the go command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lanes-dev/lanes/bench/dataset"
)

const (
	// firstTenantWarmup is the requests per workload that warm up the fresh
	// server of the tenant-growth measure on the first tenant.
	firstTenantWarmup = 100
	// tenantActivation is the requests per workload that make a tenant
	// active in the tenant-growth measure.
	tenantActivation = 4
)

// activationWorkloads are the workloads that make a tenant active.
var activationWorkloads = []string{"board", "move", "timers", "portal"}

func main() {
	s, err := parseSettings(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = runAndReport(ctx, s)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

func runAndReport(ctx context.Context, s settings) error {
	res, err := run(ctx, s, log.Printf)
	if err != nil {
		return err
	}
	if err := writeJSON(s.out, res); err != nil {
		return err
	}
	table := markdown(res)
	if err := os.WriteFile(s.markdown, []byte(table), 0o644); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	fmt.Print(table)
	log.Printf("results in %s and %s", s.out, s.markdown)
	return nil
}

// settings are the command's flags.
type settings struct {
	size        string
	postgresURL string
	duration    time.Duration
	warmup      time.Duration
	rounds      int
	concurrency []int
	workloads   []string
	out         string
	markdown    string
}

// database names the kind of database the run uses.
func (s settings) database() string {
	if s.postgresURL != "" {
		return "postgres"
	}
	return "sqlite"
}

func parseSettings(args []string) (settings, error) {
	var s settings
	var concurrency, workloads string
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.StringVar(&s.size, "size", "S", "dataset size: tiny, S or L")
	fs.StringVar(&s.postgresURL, "postgres", os.Getenv("LANES_BENCH_DATABASE_URL"), "PostgreSQL administrative URL: the dataset gets a database of its own there (default $LANES_BENCH_DATABASE_URL; empty: SQLite)")
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "measured time of each workload at each concurrency")
	fs.DurationVar(&s.warmup, "warmup", 2*time.Second, "unrecorded time before each measurement")
	fs.IntVar(&s.rounds, "rounds", 3, "interleaved rounds; the report holds the medians")
	fs.StringVar(&concurrency, "concurrency", "1,4", "comma-separated numbers of closed-loop clients")
	fs.StringVar(&workloads, "workloads", strings.Join(workloadNames(), ","), "comma-separated workloads")
	fs.StringVar(&s.out, "out", "", "JSON results (default bench-results-<size>-<database>.json)")
	fs.StringVar(&s.markdown, "markdown", "", "markdown table (default the -out name with .md)")
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	if _, err := dataset.SizeNamed(s.size); err != nil {
		return settings{}, err
	}
	if s.duration <= 0 || s.warmup < 0 || s.rounds < 1 {
		return settings{}, errors.New("-duration and -rounds must be positive, -warmup not negative")
	}
	var err error
	if s.concurrency, err = parseClients(concurrency); err != nil {
		return settings{}, err
	}
	if s.workloads, err = parseWorkloads(workloads); err != nil {
		return settings{}, err
	}
	if s.out == "" {
		s.out = fmt.Sprintf("bench-results-%s-%s.json", s.size, s.database())
	}
	if s.markdown == "" {
		s.markdown = strings.TrimSuffix(s.out, ".json") + ".md"
	}
	return s, nil
}

func parseClients(list string) ([]int, error) {
	var clients []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-concurrency: %q is not a positive number", f)
		}
		clients = append(clients, n)
	}
	return clients, nil
}

func parseWorkloads(list string) ([]string, error) {
	var names []string
	for _, f := range strings.Split(list, ",") {
		name := strings.TrimSpace(f)
		if _, err := workloadKindNamed(name); err != nil {
			return nil, fmt.Errorf("-workloads: %w", err)
		}
		names = append(names, name)
	}
	return names, nil
}

func workloadNames() []string {
	names := make([]string, len(workloadKinds))
	for i, k := range workloadKinds {
		names[i] = k.name
	}
	return names
}

// run prepares the dataset and the server, and measures.
func run(ctx context.Context, s settings, logf func(string, ...any)) (*results, error) {
	size, err := dataset.SizeNamed(s.size)
	if err != nil {
		return nil, err
	}
	m, err := dataset.Prepare(ctx, dataset.PrepareOptions{Size: size, Seed: dataset.DefaultSeed, PostgresAdminURL: s.postgresURL, Logf: logf})
	if err != nil {
		return nil, fmt.Errorf("prepare dataset %s: %w", size.Name, err)
	}
	tenants, err := newTenantClients(m)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lanes-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	logf("building the server")
	bin, err := buildServer(ctx, dir)
	if err != nil {
		return nil, err
	}
	r := &runner{settings: s, manifest: m, tenants: tenants, serverBin: bin, dir: dir, logf: logf}
	res := newResults(s, m.Seed)
	var warm residentMemory
	if res.Cells, warm, err = r.measureWorkloads(ctx); err != nil {
		return nil, err
	}
	res.Memory.RSSAfterWarmupMB, res.Memory.AnonAfterWarmupMB, res.Memory.FileAfterWarmupMB = mb(warm.totalKB), mb(warm.anonKB), mb(warm.fileKB)
	if res.Memory.TenantGrowth, err = r.measureTenantGrowth(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// runner runs the attacks of one run.
type runner struct {
	settings
	manifest  *dataset.Manifest
	tenants   []*tenantClient
	serverBin string
	dir       string
	logf      func(string, ...any)
	// workloadsMade counts the workloads made: each draws from a random
	// stream of its own, so a run's picks follow from its settings.
	workloadsMade uint64
}

func (r *runner) startServer(ctx context.Context) (*server, error) {
	return startServer(ctx, r.serverBin, r.dir, r.manifest)
}

// workload returns a fresh workload of that name over tenants.
func (r *runner) workload(name string, tenants []*tenantClient) (*workload, error) {
	r.workloadsMade++
	return newWorkload(name, tenants, rand.NewPCG(r.manifest.Seed, r.workloadsMade))
}

// measureWorkloads warms a server up with every workload on all tenants,
// reads its resident memory, then measures each cell in each round.
func (r *runner) measureWorkloads(ctx context.Context) (cells []*cell, warm residentMemory, err error) {
	srv, err := r.startServer(ctx)
	if err != nil {
		return nil, warm, err
	}
	defer func() { err = errors.Join(err, srv.stop()) }()
	for _, name := range r.workloads {
		if err := r.warmUp(ctx, srv, name, slices.Max(r.concurrency)); err != nil {
			return nil, warm, err
		}
	}
	if warm, err = srv.resident(); err != nil {
		return nil, warm, err
	}
	for _, name := range r.workloads {
		for _, clients := range r.concurrency {
			cells = append(cells, &cell{Workload: name, Clients: clients})
		}
	}
	for round := 1; round <= r.rounds; round++ {
		if err := r.measureRound(ctx, srv, round, cells); err != nil {
			return nil, warm, err
		}
	}
	return cells, warm, nil
}

func mb(kb uint64) float64 { return float64(kb) / 1024 }

// measureRound measures every cell once.
func (r *runner) measureRound(ctx context.Context, srv *server, round int, cells []*cell) error {
	for _, c := range cells {
		m, errorSamples, err := r.measureCell(ctx, srv, c.Workload, c.Clients)
		if err != nil {
			return fmt.Errorf("round %d, %s with %d clients: %w", round, c.Workload, c.Clients, err)
		}
		c.addRound(m, errorSamples)
		r.logf("round %d: %-6s × %d: %7.1f req/s, p50 %6.2f ms, p99 %6.2f ms, %g errors",
			round, c.Workload, c.Clients, m.Throughput, m.P50Ms, m.P99Ms, m.Errors)
	}
	return nil
}

// warmUp runs a workload for the warm-up time on all tenants, unrecorded
// but for the errors it logs.
func (r *runner) warmUp(ctx context.Context, srv *server, name string, clients int) error {
	if r.warmup == 0 {
		return nil
	}
	w, err := r.workload(name, r.tenants)
	if err != nil {
		return err
	}
	t := attack(ctx, srv, w, clients, closedLoop, r.warmup)
	if t.errors > 0 {
		r.logf("warm-up %s × %d: %d errors, first: %s", name, clients, t.errors, t.errorSamples[0])
	}
	return ctx.Err()
}

// measureCell warms up, then measures one round of a workload at a number
// of clients; it returns the metrics and the first error messages.
func (r *runner) measureCell(ctx context.Context, srv *server, name string, clients int) (metrics, []string, error) {
	if err := r.warmUp(ctx, srv, name, clients); err != nil {
		return metrics{}, nil, err
	}
	w, err := r.workload(name, r.tenants)
	if err != nil {
		return metrics{}, nil, err
	}
	cpuBefore, err := srv.cpuTime()
	if err != nil {
		return metrics{}, nil, err
	}
	t := attack(ctx, srv, w, clients, closedLoop, r.duration)
	cpuAfter, err := srv.cpuTime()
	if err != nil {
		return metrics{}, nil, err
	}
	rss, err := srv.rssKB()
	if err != nil {
		return metrics{}, nil, err
	}
	return t.metrics(cpuAfter-cpuBefore, rss), t.errorSamples, ctx.Err()
}

// measureTenantGrowth starts a fresh server, warms it up on the first
// tenant, then makes the other tenants active one after another: the RSS
// growth per added tenant is what an active tenant costs in memory.
func (r *runner) measureTenantGrowth(ctx context.Context) (g *tenantGrowth, err error) {
	if len(r.tenants) < 2 {
		return nil, nil // no tenant to add
	}
	srv, err := r.startServer(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, srv.stop()) }()
	g = &tenantGrowth{AddedTenants: len(r.tenants) - 1}
	if g.Errors, err = r.activate(ctx, srv, r.tenants[0], firstTenantWarmup); err != nil {
		return nil, err
	}
	before, err := srv.rssKB()
	if err != nil {
		return nil, err
	}
	for _, t := range r.tenants[1:] {
		errs, err := r.activate(ctx, srv, t, tenantActivation)
		if err != nil {
			return nil, err
		}
		g.Errors += errs
	}
	after, err := srv.rssKB()
	if err != nil {
		return nil, err
	}
	g.RSSFirstTenantMB, g.RSSAllTenantsMB = float64(before)/1024, float64(after)/1024
	g.KBPerTenant = (float64(after) - float64(before)) / float64(g.AddedTenants)
	r.logf("tenant growth: %.1f MB with 1 tenant, %.1f MB with %d: %.0f KB per tenant",
		g.RSSFirstTenantMB, g.RSSAllTenantsMB, len(r.tenants), g.KBPerTenant)
	return g, nil
}

// activate sends n requests of each activation workload as one client of
// tenant t, and returns how many failed.
func (r *runner) activate(ctx context.Context, srv *server, t *tenantClient, n uint64) (int, error) {
	errs := 0
	for _, name := range activationWorkloads {
		w, err := r.workload(name, []*tenantClient{t})
		if err != nil {
			return 0, err
		}
		tally := attack(ctx, srv, w, 1, requestCount(n), 0)
		if tally.errors > 0 {
			r.logf("activating %s with %s: %d errors, first: %s", t.slug, name, tally.errors, tally.errorSamples[0])
		}
		errs += tally.errors
	}
	return errs, ctx.Err()
}
