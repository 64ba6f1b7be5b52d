package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/lanes-dev/lanes/bench/internal/machine"
)

// results is what a run measured, as written to the JSON file.
type results struct {
	Machine  machine.Machine `json:"machine"`
	Database string          `json:"database"`
	Size     string          `json:"size"`
	Date     time.Time       `json:"date"`
	Settings settingsReport  `json:"settings"`
	Cells    []*cell         `json:"cells"`
	Memory   memory          `json:"memory"`
}

type settingsReport struct {
	Duration    string   `json:"duration"`
	Warmup      string   `json:"warmup"`
	Rounds      int      `json:"rounds"`
	Concurrency []int    `json:"concurrency"`
	Workloads   []string `json:"workloads"`
	Seed        uint64   `json:"seed"`
}

// cell is one workload at one number of clients.
type cell struct {
	Workload string `json:"workload"`
	Clients  int    `json:"clients"`
	// Median holds each metric's median over the rounds.
	Median       metrics   `json:"median"`
	Rounds       []metrics `json:"rounds"`
	ErrorSamples []string  `json:"error_samples,omitempty"`
}

// metrics are the measures of one cell in one round (floats, because
// medians of counts may fall between two).
type metrics struct {
	Requests              float64 `json:"requests"`
	Throughput            float64 `json:"throughput_rps"`
	P50Ms                 float64 `json:"p50_ms"`
	P90Ms                 float64 `json:"p90_ms"`
	P99Ms                 float64 `json:"p99_ms"`
	Errors                float64 `json:"errors"`
	ErrorRate             float64 `json:"error_rate"`
	ServerCPUSeconds      float64 `json:"server_cpu_seconds"`
	ServerCPUMsPerRequest float64 `json:"server_cpu_ms_per_request"`
	// ServerCPUCores is the server's CPU utilisation: CPU seconds per
	// second of the workload (1 = one core busy).
	ServerCPUCores float64 `json:"server_cpu_cores"`
	RSSMB          float64 `json:"server_rss_mb"`
}

type memory struct {
	RSSAfterWarmupMB float64 `json:"rss_after_warmup_mb"`
	// The RSS after warm-up split: anonymous memory (heap, stacks, SQLite's
	// page cache) and the executable's file-backed pages.
	AnonAfterWarmupMB float64       `json:"rss_anon_after_warmup_mb"`
	FileAfterWarmupMB float64       `json:"rss_file_after_warmup_mb"`
	TenantGrowth      *tenantGrowth `json:"tenant_growth,omitempty"`
}

// tenantGrowth is how a fresh server's RSS grows as tenants become active.
type tenantGrowth struct {
	RSSFirstTenantMB float64 `json:"rss_first_tenant_mb"`
	RSSAllTenantsMB  float64 `json:"rss_all_tenants_mb"`
	AddedTenants     int     `json:"added_tenants"`
	KBPerTenant      float64 `json:"rss_growth_per_added_tenant_kb"`
	// Errors counts failed requests while warming up and activating
	// tenants (expected 0).
	Errors int `json:"errors"`
}

func newResults(s settings, seed uint64) *results {
	return &results{
		Machine:  machine.Describe(),
		Database: s.database(),
		Size:     s.size,
		Date:     time.Now().UTC(),
		Settings: settingsReport{
			Duration:    s.duration.String(),
			Warmup:      s.warmup.String(),
			Rounds:      s.rounds,
			Concurrency: s.concurrency,
			Workloads:   s.workloads,
			Seed:        seed,
		},
	}
}

// addRound records a round's metrics and keeps new error messages.
func (c *cell) addRound(m metrics, errorSamples []string) {
	c.Rounds = append(c.Rounds, m)
	for _, msg := range errorSamples {
		if len(c.ErrorSamples) < maxErrorSamples && !slices.Contains(c.ErrorSamples, msg) {
			c.ErrorSamples = append(c.ErrorSamples, msg)
		}
	}
	c.Median = medianMetrics(c.Rounds)
}

// medianMetrics takes the median of each metric over the rounds on its
// own (so the medians may come from different rounds).
func medianMetrics(rounds []metrics) metrics {
	of := func(field func(metrics) float64) float64 {
		values := make([]float64, len(rounds))
		for i, r := range rounds {
			values[i] = field(r)
		}
		return median(values)
	}
	return metrics{
		Requests:              of(func(m metrics) float64 { return m.Requests }),
		Throughput:            of(func(m metrics) float64 { return m.Throughput }),
		P50Ms:                 of(func(m metrics) float64 { return m.P50Ms }),
		P90Ms:                 of(func(m metrics) float64 { return m.P90Ms }),
		P99Ms:                 of(func(m metrics) float64 { return m.P99Ms }),
		Errors:                of(func(m metrics) float64 { return m.Errors }),
		ErrorRate:             of(func(m metrics) float64 { return m.ErrorRate }),
		ServerCPUSeconds:      of(func(m metrics) float64 { return m.ServerCPUSeconds }),
		ServerCPUMsPerRequest: of(func(m metrics) float64 { return m.ServerCPUMsPerRequest }),
		ServerCPUCores:        of(func(m metrics) float64 { return m.ServerCPUCores }),
		RSSMB:                 of(func(m metrics) float64 { return m.RSSMB }),
	}
}

// writeJSON writes the results to path.
func writeJSON(path string, res *results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// markdown renders the medians as a table, followed by the memory measures.
func markdown(res *results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Lanes load, dataset %s on %s: medians of %d round(s) of %s per cell (%s, %d CPUs)\n\n",
		res.Size, res.Database, res.Settings.Rounds, res.Settings.Duration, res.Machine.CPUModel, res.Machine.CPUs)
	b.WriteString("| workload | clients | req/s | p50 ms | p90 ms | p99 ms | errors | CPU ms/req | RSS MB |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range res.Cells {
		m := c.Median
		fmt.Fprintf(&b, "| %s | %d | %.1f | %.2f | %.2f | %.2f | %s | %.2f | %.1f |\n",
			c.Workload, c.Clients, m.Throughput, m.P50Ms, m.P90Ms, m.P99Ms, errorsCell(m), m.ServerCPUMsPerRequest, m.RSSMB)
	}
	fmt.Fprintf(&b, "\nServer RSS after warm-up: %.1f MB (anonymous %.1f MB, executable's file-backed pages %.1f MB)\n",
		res.Memory.RSSAfterWarmupMB, res.Memory.AnonAfterWarmupMB, res.Memory.FileAfterWarmupMB)
	if g := res.Memory.TenantGrowth; g != nil {
		fmt.Fprintf(&b, "Server RSS growth per added active tenant: %.0f KB (%.1f MB with 1 tenant, %.1f MB with %d)\n",
			g.KBPerTenant, g.RSSFirstTenantMB, g.RSSAllTenantsMB, g.AddedTenants+1)
	}
	return b.String()
}

func errorsCell(m metrics) string {
	if m.Errors == 0 {
		return "0"
	}
	return fmt.Sprintf("%g (%.2f%%)", m.Errors, 100*m.ErrorRate)
}
