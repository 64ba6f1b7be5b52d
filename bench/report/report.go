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

type report struct {
	Date     time.Time         `json:"date"`
	Machine  machine.Machine   `json:"machine"`
	Settings map[string]string `json:"settings"`
	Rounds   []results         `json:"rounds"`
	Medians  results           `json:"medians"`
	Targets  []check           `json:"targets"`
}

func (r report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// markdown renders the targets table, then every benchmark's medians.
func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Go benchmarks, %s, medians of %s interleaved rounds (benchtime %s)\n\n",
		r.Date.Format("2006-01-02"), r.Settings["rounds"], r.Settings["benchtime"])
	fmt.Fprintf(&b, "Machine: %s\n\n", r.Machine)
	b.WriteString("| Target | Database | Size | Measured | Limit | Met |\n|---|---|---|---|---|---|\n")
	for _, c := range r.Targets {
		op := "≥"
		if c.AtMost {
			op = "≤"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s %s | %s |\n", c.Target, c.Database, c.Size,
			formatValue(c.Value, c.Unit), op, formatValue(c.Limit, c.Unit), yesNo(c.Met))
	}
	b.WriteString("\n| Benchmark | ns/op | p50 µs | p99 µs | stmts/op | round trips/op | ops/s | B/op | allocs/op |\n|---|---|---|---|---|---|---|---|---|\n")
	names := make([]string, 0, len(r.Medians))
	for name := range r.Medians {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		m := r.Medians[name]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(name, "Benchmark"),
			cell(m, "ns/op"), cell(m, "p50-µs"), cell(m, "p99-µs"), cell(m, "stmts/op"), cell(m, "roundtrips/op"),
			cell(m, "ops/s"), cell(m, "B/op"), cell(m, "allocs/op"))
	}
	return b.String()
}

func cell(m map[string]float64, unit string) string {
	v, ok := m[unit]
	if !ok {
		return ""
	}
	return formatValue(v, unit)
}

func formatValue(v float64, unit string) string {
	switch {
	case unit == "×":
		return fmt.Sprintf("%.2f×", v)
	case v >= 100 || v == float64(int64(v)):
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func yesNo(met bool) string {
	if met {
		return "yes"
	}
	return "**no**"
}
