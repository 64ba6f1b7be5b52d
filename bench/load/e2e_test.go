package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunTinyOnSQLite runs the whole command briefly against the tiny
// dataset: every workload must answer without errors.
func TestRunTinyOnSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server")
	}
	dir := t.TempDir()
	s := settings{
		size:        "tiny",
		duration:    300 * time.Millisecond,
		warmup:      100 * time.Millisecond,
		rounds:      1,
		concurrency: []int{4},
		workloads:   workloadNames(),
		out:         filepath.Join(dir, "results.json"),
		markdown:    filepath.Join(dir, "results.md"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := run(ctx, s, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != len(workloadKinds) {
		t.Fatalf("%d cells, want one per workload", len(res.Cells))
	}
	for _, c := range res.Cells {
		if c.Median.Errors != 0 || c.Median.Throughput <= 0 || c.Median.ServerCPUSeconds <= 0 || c.Median.RSSMB <= 0 {
			t.Errorf("%s × %d: %+v, errors %q", c.Workload, c.Clients, c.Median, c.ErrorSamples)
		}
	}
	g := res.Memory.TenantGrowth
	if res.Memory.RSSAfterWarmupMB <= 0 || res.Memory.AnonAfterWarmupMB <= 0 || res.Memory.FileAfterWarmupMB <= 0 || g == nil || g.Errors != 0 || g.AddedTenants != 1 || g.RSSFirstTenantMB <= 0 {
		t.Errorf("memory measures %+v, tenant growth %+v", res.Memory, g)
	}
	if err := writeJSON(s.out, res); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(s.out); err != nil || !strings.Contains(string(b), `"workload": "mixed"`) {
		t.Errorf("JSON results (%v):\n%s", err, b)
	}
}
