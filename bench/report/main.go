// Command report runs Lanes' Go benchmarks in interleaved rounds and
// reports the medians against the speed targets (docs/benchmarks.md):
//
//	go run ./bench/report -sizes S,L -postgres postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//
// Each round runs every benchmark once (go test -bench, one process per
// round), so slow drifts of a shared machine hit all of them alike; the
// ratios compare measurements of the same round's data. Results go to a
// JSON file and a markdown table, which is also printed.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/lanes-dev/lanes/bench/internal/machine"
)

// settings are the command's flags.
type settings struct {
	sizes     string
	postgres  string
	rounds    int
	benchtime string
	out       string
	markdown  string
	worstCase bool
}

func main() {
	var s settings
	flag.StringVar(&s.sizes, "sizes", "S,L", "dataset sizes (tiny, S, L)")
	flag.StringVar(&s.postgres, "postgres", os.Getenv("LANES_BENCH_DATABASE_URL"), "PostgreSQL administrative URL (default $LANES_BENCH_DATABASE_URL); empty: SQLite only")
	flag.IntVar(&s.rounds, "rounds", 3, "interleaved rounds; the report holds medians")
	flag.StringVar(&s.benchtime, "benchtime", "2s", "go test -benchtime of each benchmark in a round")
	flag.StringVar(&s.out, "out", "bench-report.json", "JSON results")
	flag.StringVar(&s.markdown, "markdown", "bench-report.md", "markdown report")
	flag.BoolVar(&s.worstCase, "worstcase", false, "also run BenchmarkWorstCase (the worst-case documents of the complexity limit; skipped by default)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, s); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, s settings) error {
	var rounds []results
	for i := range s.rounds {
		log.Printf("round %d of %d", i+1, s.rounds)
		r, err := runRound(ctx, s)
		if err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		rounds = append(rounds, r)
	}
	medians := median(rounds)
	checks := evaluate(medians, strings.Split(s.sizes, ","))
	rep := report{
		Date: time.Now().UTC(), Machine: machine.Describe(), Settings: s.describe(),
		Rounds: rounds, Medians: medians, Targets: checks,
	}
	if err := rep.writeJSON(s.out); err != nil {
		return err
	}
	md := rep.markdown()
	fmt.Print(md)
	return os.WriteFile(s.markdown, []byte(md), 0o644)
}

func (s settings) describe() map[string]string {
	db := "sqlite"
	if s.postgres != "" {
		db = "sqlite,postgres"
	}
	return map[string]string{"sizes": s.sizes, "databases": db, "rounds": fmt.Sprint(s.rounds), "benchtime": s.benchtime,
		"worstcase": fmt.Sprint(s.worstCase)}
}
