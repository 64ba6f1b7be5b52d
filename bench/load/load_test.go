package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/lanes-dev/lanes/bench/internal/machine"
)

func TestPercentile(t *testing.T) {
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{hundred, 0.50, 50 * time.Millisecond},
		{hundred, 0.90, 90 * time.Millisecond},
		{hundred, 0.99, 99 * time.Millisecond},
		{hundred, 1, 100 * time.Millisecond},
		{hundred[:3], 0.50, 2 * time.Millisecond},
		{hundred[:3], 0.99, 3 * time.Millisecond},
		{hundred[:1], 0.01, time.Millisecond},
		{nil, 0.50, 0},
	} {
		if got := percentile(tc.values, tc.q); got != tc.want {
			t.Errorf("percentile(%d values, %v) = %v, want %v", len(tc.values), tc.q, got, tc.want)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		want   float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
		{nil, 0},
	} {
		if got := median(tc.values); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.values, got, tc.want)
		}
	}
}

func TestMedianMetricsTakesEachMetricOnItsOwn(t *testing.T) {
	got := medianMetrics([]metrics{
		{Throughput: 100, P99Ms: 9, RSSMB: 50},
		{Throughput: 300, P99Ms: 1, RSSMB: 70},
		{Throughput: 200, P99Ms: 5, RSSMB: 60},
	})
	want := metrics{Throughput: 200, P99Ms: 5, RSSMB: 60}
	if got != want {
		t.Errorf("medianMetrics = %+v, want %+v", got, want)
	}
}

func TestParseCPUTicks(t *testing.T) {
	// A command name with spaces and parentheses; utime 1234, stime 567.
	stat := "4242 (lanes (srv) x) S 1 4242 4242 0 -1 4194560 2170 0 0 0 1234 567 0 0 20 0 9 0 98765 1258291200 9000 18446744073709551615\n"
	got, err := parseCPUTicks(stat)
	if err != nil {
		t.Fatal(err)
	}
	if got != 1234+567 {
		t.Errorf("parseCPUTicks = %d, want %d", got, 1234+567)
	}
	for _, bad := range []string{"4242 lanes S 1", "4242 (lanes) S 1 2 3", "4242 (lanes) S 1 4242 4242 0 -1 4194560 2170 0 0 0 x 567"} {
		if _, err := parseCPUTicks(bad); err == nil {
			t.Errorf("parseCPUTicks(%q) succeeded", bad)
		}
	}
}

func TestResponseError(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  vegeta.Result
		want string
	}{
		{"data", vegeta.Result{Code: 200, Body: []byte(`{"data":{"board":{"columns":[]}}}`)}, ""},
		{"data naming errors", vegeta.Result{Code: 200, Body: []byte(`{"data":{"title":"\"errors\""},"errors":[]}`)}, ""},
		{"GraphQL error", vegeta.Result{Code: 200, Body: []byte(`{"errors":[{"message":"no timer is running","path":["stopTimer"],"extensions":{"code":"NOT_FOUND"}}],"data":null}`)},
			"[stopTimer]: no timer is running (NOT_FOUND)"},
		{"HTTP status", vegeta.Result{Code: 429, Error: "429 Too Many Requests", Body: []byte("slow down\n")}, "HTTP 429: slow down"},
		{"no response", vegeta.Result{Error: "connection refused"}, "connection refused"},
	} {
		if got := responseError(&tc.res); got != tc.want {
			t.Errorf("%s: responseError = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTallyMetrics(t *testing.T) {
	tl := tally{elapsed: 2 * time.Second}
	for i := range 10 {
		res := vegeta.Result{Code: 200, Latency: time.Duration(i+1) * time.Millisecond, Body: []byte(`{"data":{}}`)}
		if i < 2 {
			res.Code = 500
		}
		tl.add(&res)
	}
	m := tl.metrics(500*time.Millisecond, 2048)
	want := metrics{Requests: 10, Throughput: 5, P50Ms: 5, P90Ms: 9, P99Ms: 10, Errors: 2, ErrorRate: 0.2,
		ServerCPUSeconds: 0.5, ServerCPUMsPerRequest: 50, ServerCPUCores: 0.25, RSSMB: 2}
	if m != want {
		t.Errorf("metrics = %+v\nwant      %+v", m, want)
	}
	if len(tl.errorSamples) != 1 {
		t.Errorf("error samples = %q, want the one distinct message", tl.errorSamples)
	}
}

func TestMarkdown(t *testing.T) {
	res := &results{
		Machine:  machine.Machine{CPUs: 2, CPUModel: "AMD EPYC"},
		Database: "sqlite",
		Size:     "S",
		Settings: settingsReport{Duration: "10s", Rounds: 3},
		Cells: []*cell{
			{Workload: "board", Clients: 4, Median: metrics{Throughput: 164.34, P50Ms: 22.531, P90Ms: 37.37, P99Ms: 55.5, ServerCPUMsPerRequest: 5.814, RSSMB: 60.04}},
			{Workload: "move", Clients: 1, Median: metrics{Throughput: 976.2, Errors: 3, ErrorRate: 0.0015, RSSMB: 58.9}},
		},
		Memory: memory{RSSAfterWarmupMB: 59.7, AnonAfterWarmupMB: 21.2, FileAfterWarmupMB: 38.5, TenantGrowth: &tenantGrowth{RSSFirstTenantMB: 54.4, RSSAllTenantsMB: 56.1, AddedTenants: 9, KBPerTenant: 193.4}},
	}
	want := `Lanes load, dataset S on sqlite: medians of 3 round(s) of 10s per cell (AMD EPYC, 2 CPUs)

| workload | clients | req/s | p50 ms | p90 ms | p99 ms | errors | CPU ms/req | RSS MB |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| board | 4 | 164.3 | 22.53 | 37.37 | 55.50 | 0 | 5.81 | 60.0 |
| move | 1 | 976.2 | 0.00 | 0.00 | 0.00 | 3 (0.15%) | 0.00 | 58.9 |

Server RSS after warm-up: 59.7 MB (anonymous 21.2 MB, executable's file-backed pages 38.5 MB)
Server RSS growth per added active tenant: 193 KB (54.4 MB with 1 tenant, 56.1 MB with 10)
`
	if got := markdown(res); got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

// testTenant is a tenant of n staff members for the workload tests.
func testTenant(slug string, n int) *tenantClient {
	t := &tenantClient{slug: slug, portal: []string{"Bearer portal-" + slug}, projects: []string{"prj_" + slug}}
	for i := range n {
		id := fmt.Sprintf("%s-m%d", slug, i)
		t.staff = append(t.staff, &memberClient{id: id, tenant: t, auth: "Bearer " + id})
	}
	return t
}

func TestTimersAlternatePerMember(t *testing.T) {
	w, err := newWorkload("timers", []*tenantClient{testTenant("a", 2)}, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	started := map[string]bool{}
	for range 20 {
		c := w.next()
		if c.lease == "" || c.auth != "Bearer "+c.lease {
			t.Fatalf("call %+v does not lend its member", c)
		}
		wantOp := opStartTimer
		if started[c.lease] {
			wantOp = opStopTimer
		}
		if c.op != wantOp {
			t.Fatalf("member %s got %s, want %s", c.lease, c.op.name, wantOp.name)
		}
		started[c.lease] = !started[c.lease]
		w.giveBack(c.lease)
	}
}

func TestTimersWaitForALentMember(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, err := newWorkload("timers", []*tenantClient{testTenant("a", 1)}, rand.NewPCG(1, 2))
		if err != nil {
			t.Fatal(err)
		}
		first := w.next()
		second := make(chan call, 1)
		go func() { second <- w.next() }()
		synctest.Wait() // the second caller is blocked for good, or has its call
		select {
		case c := <-second:
			t.Fatalf("the member was lent twice: %s then %s", first.op.name, c.op.name)
		default:
		}
		w.giveBack(first.lease)
		if c := <-second; c.op != opStopTimer {
			t.Errorf("after %s came %s, want StopTimer", first.op.name, c.op.name)
		}
	})
}

func TestLeaseReturnerGivesTheMemberBack(t *testing.T) {
	w, err := newWorkload("timers", []*tenantClient{testTenant("a", 1)}, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	var target vegeta.Target
	if err := w.targeter("http://lanes.test")(&target); err != nil {
		t.Fatal(err)
	}
	req, err := target.Request()
	if err != nil {
		t.Fatal(err)
	}
	answer := roundTripFunc(func(*http.Request) (*http.Response, error) { return &http.Response{StatusCode: 200}, nil })
	if _, err := (leaseReturner{workload: w, next: answer}).RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if len(w.idle) != 1 || len(w.lent) != 0 {
		t.Errorf("after the response %d members idle, %d lent; want 1, 0", len(w.idle), len(w.lent))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTargetIsAContractRequest(t *testing.T) {
	w, err := newWorkload("move", []*tenantClient{testTenant("a", 1)}, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	var target vegeta.Target
	if err := w.targeter("http://lanes.test")(&target); err != nil {
		t.Fatal(err)
	}
	var body struct {
		OperationName string `json:"operationName"`
		Query         string `json:"query"`
		Variables     struct {
			Input struct{ ID, To string }
		} `json:"variables"`
	}
	if err := json.Unmarshal(target.Body, &body); err != nil {
		t.Fatal(err)
	}
	if target.URL != "http://lanes.test/graphql" || target.Header.Get("Authorization") != "Bearer a-m0" || target.Header.Get(leaseHeader) != "" {
		t.Errorf("target %s with headers %v", target.URL, target.Header)
	}
	if body.OperationName != "MoveProject" || !strings.HasPrefix(body.Query, "mutation MoveProject(") ||
		body.Variables.Input.ID != "prj_a" || body.Variables.Input.To == "" {
		t.Errorf("body %s", target.Body)
	}
}

func TestMixedSharesAddUpTo100(t *testing.T) {
	total := 0
	for _, s := range mixedShares {
		total += s.percent
	}
	if total != 100 {
		t.Errorf("mixed shares add up to %d", total)
	}
}

func TestParseSettings(t *testing.T) {
	s, err := parseSettings([]string{"-size", "tiny", "-postgres", "postgres://localhost/x", "-concurrency", "2, 8", "-workloads", "board,mixed"})
	if err != nil {
		t.Fatal(err)
	}
	if s.out != "bench-results-tiny-postgres.json" || s.markdown != "bench-results-tiny-postgres.md" {
		t.Errorf("output files %s, %s", s.out, s.markdown)
	}
	if len(s.concurrency) != 2 || s.concurrency[1] != 8 || len(s.workloads) != 2 || s.workloads[1] != "mixed" {
		t.Errorf("concurrency %v, workloads %v", s.concurrency, s.workloads)
	}
	for _, bad := range [][]string{{"-size", "XL"}, {"-concurrency", "0"}, {"-workloads", "board,upload"}, {"-rounds", "0"}} {
		if _, err := parseSettings(bad); err == nil {
			t.Errorf("parseSettings(%q) succeeded", bad)
		}
	}
}
