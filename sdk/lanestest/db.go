// Package lanestest helps test code that runs on Lanes' databases: every
// database test runs on SQLite and, when LANES_TEST_DATABASE_URL is set, on
// PostgreSQL too, each test in a fresh database of its own.
package lanestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables the helpers read.
const (
	// EnvPostgresURL names an administrative PostgreSQL URL; each test
	// creates (and drops) a database of its own through it.
	EnvPostgresURL = "LANES_TEST_DATABASE_URL"
	// EnvRequirePostgres makes a missing or unreachable PostgreSQL fatal
	// instead of a skip (set by .ci/run).
	EnvRequirePostgres = "LANES_REQUIRE_POSTGRES"
)

// Database is one database a test runs on.
type Database struct {
	// Name is "sqlite" or "postgres".
	Name string
	// URL opens it (sdk.Config.DatabaseURL, store.Options.URL).
	URL string
}

// ForEachDatabase runs fn as a subtest on a fresh SQLite database and, when
// configured, on a fresh PostgreSQL database.
func ForEachDatabase(t *testing.T, fn func(t *testing.T, db Database)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, Database{Name: "sqlite", URL: SQLiteURL(t)})
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, Database{Name: "postgres", URL: PostgresURL(t)})
	})
}

// SQLiteURL returns the URL of a fresh SQLite database file in the test's
// temporary directory (a real file: WAL and locking behave as in production).
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "lanes.db")
}

// PostgresURL creates a fresh PostgreSQL database for the test, drops it
// when the test ends, and returns its URL. Without LANES_TEST_DATABASE_URL
// the test is skipped, or fails when LANES_REQUIRE_POSTGRES=1.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgresURL)
	if admin == "" {
		missingPostgres(t, EnvPostgresURL+" is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		missingPostgres(t, fmt.Sprintf("cannot connect to %s: %v", EnvPostgresURL, err))
	}
	defer conn.Close(context.Background())

	name := "lanes_test_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, admin, name) })

	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgresURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

func dropDatabase(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Logf("drop test database %s: %v", name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Logf("drop test database %s: %v", name, err)
	}
}

func missingPostgres(t testing.TB, why string) {
	t.Helper()
	if v := strings.TrimSpace(os.Getenv(EnvRequirePostgres)); v == "1" || strings.EqualFold(v, "true") {
		t.Fatalf("PostgreSQL is required (%s=1) but unavailable: %s", EnvRequirePostgres, why)
	}
	t.Skipf("skipping PostgreSQL run: %s", why)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Fresh returns the URL of another fresh database of the same kind, for a
// test that needs a second, differently configured instance.
func (d Database) Fresh(t testing.TB) string {
	t.Helper()
	if d.Name == "postgres" {
		return PostgresURL(t)
	}
	return SQLiteURL(t)
}

// EnvBenchPostgresURL names the administrative PostgreSQL URL benchmarks
// use; without it they run on SQLite only.
const EnvBenchPostgresURL = "LANES_BENCH_DATABASE_URL"

// ForEachBenchDatabase runs fn as a sub-benchmark on a fresh SQLite
// database and, when LANES_BENCH_DATABASE_URL is set, on a fresh PostgreSQL
// database. Benchmarks never fail for a missing PostgreSQL.
func ForEachBenchDatabase(b *testing.B, fn func(b *testing.B, db Database)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, Database{Name: "sqlite", URL: SQLiteURL(b)}) })
	admin := os.Getenv(EnvBenchPostgresURL)
	if admin == "" {
		return
	}
	b.Run("postgres", func(b *testing.B) {
		b.Setenv(EnvPostgresURL, admin)
		b.Setenv(EnvRequirePostgres, "1")
		fn(b, Database{Name: "postgres", URL: PostgresURL(b)})
	})
}
