// Command seed loads the benchmark dataset into a database.
//
//	go run ./bench/seed -size S                      # SQLite, cached in $LANES_BENCH_DIR
//	go run ./bench/seed -size S -postgres URL        # a database of its own on that server
//	go run ./bench/seed -size S -database-url URL -manifest m.json   # into an empty database
//
// It prints the manifest's path: the database URL and the credentials the
// server must be started with (LANES_PLATFORM_KEY, LANES_JWT_SECRET).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/lanes-dev/lanes/bench/dataset"
)

func main() {
	size := flag.String("size", "S", "dataset size: tiny, S or L")
	seed := flag.Uint64("seed", dataset.DefaultSeed, "generator seed")
	postgres := flag.String("postgres", os.Getenv("LANES_BENCH_DATABASE_URL"), "PostgreSQL administrative URL: the dataset gets a database of its own there (default $LANES_BENCH_DATABASE_URL)")
	databaseURL := flag.String("database-url", "", "generate into this empty database instead of a cached one")
	manifest := flag.String("manifest", "", "with -database-url: where to write the manifest (default lanes-bench-<size>.json)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *size, *seed, *postgres, *databaseURL, *manifest); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, sizeName string, seed uint64, postgres, databaseURL, manifestPath string) error {
	size, err := dataset.SizeNamed(sizeName)
	if err != nil {
		return err
	}
	started := time.Now()
	logf := func(format string, args ...any) { log.Printf(format, args...) }
	if databaseURL != "" {
		m, err := dataset.GenerateInto(ctx, databaseURL, size, seed, logf)
		if err != nil {
			return err
		}
		if manifestPath == "" {
			manifestPath = fmt.Sprintf("lanes-bench-%s.json", size.Name)
		}
		if err := dataset.WriteManifest(manifestPath, m); err != nil {
			return err
		}
		report(m, manifestPath, started)
		return nil
	}
	m, err := dataset.Prepare(ctx, dataset.PrepareOptions{Size: size, Seed: seed, PostgresAdminURL: postgres, Logf: logf})
	if err != nil {
		return err
	}
	dir, _ := dataset.Dir()
	report(m, dir, started)
	return nil
}

func report(m *dataset.Manifest, where string, started time.Time) {
	fmt.Printf("dataset %s (seed %d) in %s after %s\n", m.Size, m.Seed, m.DatabaseURL, time.Since(started).Round(time.Second))
	fmt.Printf("rows: %v\n", m.Rows)
	fmt.Printf("manifest: %s\n", where)
	fmt.Printf("serve it: LANES_DATABASE_URL=%q LANES_PLATFORM_KEY=%q LANES_JWT_SECRET=%q go run ./server\n", m.DatabaseURL, m.PlatformKey, m.JWTSecret)
}
