// Package store opens the Lanes database (embedded SQLite by default,
// PostgreSQL through pgx v5) and migrates its schema.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver (pure Go)

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/migrate"
	_ "github.com/lanes-dev/lanes/ent/runtime" // schema hooks, policies and interceptors
)

// Options say which database to open.
type Options struct {
	// URL is postgres://... or postgresql://... for PostgreSQL, or
	// sqlite:<path> / file:<path> for SQLite. Empty: SQLite file lanes.db in
	// DataDir.
	URL string
	// DataDir holds the default SQLite database; created when missing.
	DataDir string
	// MaxOpenConns bounds the connection pool (0: a sensible default).
	MaxOpenConns int
	// WrapDriver, when set, wraps the ent driver (statement counting,
	// tracing).
	WrapDriver func(dialect.Driver) dialect.Driver
}

// DB is an open Lanes database.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB
	Dialect string
	// URL is the PostgreSQL URL (for dedicated connections: LISTEN).
	URL string
	// schema migrates on the plain ent driver: ent's schema inspection
	// needs database/sql's own rows, not those of Lanes' driver.
	schema *migrate.Schema
	// driver is the client's driver, WrapDriver's wrapping included.
	driver dialect.Driver
}

// Open opens the database the options name. It does not migrate.
func Open(ctx context.Context, opts Options) (*DB, error) {
	driverName, dsn, dia, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dia, err)
	}
	configurePool(db, dia, opts.MaxOpenConns)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", dia, err)
	}
	base := entsql.OpenDB(dia, db)
	var drv dialect.Driver = driver{Driver: base, postgres: dia == dialect.Postgres}
	if opts.WrapDriver != nil {
		drv = opts.WrapDriver(drv)
	}
	out := &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db, Dialect: dia, schema: migrate.NewSchema(base), driver: drv}
	if dia == dialect.Postgres {
		out.URL = dsn
	}
	return out, nil
}

func resolve(opts Options) (driverName, dsn, dia string, err error) {
	u := strings.TrimSpace(opts.URL)
	switch {
	case u == "":
		dir := opts.DataDir
		if dir == "" {
			dir = "data"
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", "", "", fmt.Errorf("store: create data dir %s: %w", dir, err)
		}
		return "sqlite", sqliteDSN(filepath.Join(dir, "lanes.db")), dialect.SQLite, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "pgx", u, dialect.Postgres, nil
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if path == "" {
			return "", "", "", errors.New("store: sqlite URL without a path")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return "", "", "", fmt.Errorf("store: create directory of %s: %w", path, err)
		}
		return "sqlite", sqliteDSN(path), dialect.SQLite, nil
	case strings.HasPrefix(u, "file:"):
		return "sqlite", withSQLitePragmas(u), dialect.SQLite, nil
	}
	return "", "", "", fmt.Errorf("store: unsupported database URL %q (want postgres://..., sqlite:<path> or file:<path>)", redact(u))
}

// sqliteDSN turns a file path into a modernc DSN with Lanes' pragmas.
func sqliteDSN(path string) string {
	return withSQLitePragmas("file:" + path)
}

// withSQLitePragmas adds what Lanes needs from SQLite unless the DSN says
// otherwise: foreign keys on, WAL (readers never block the writer), a busy
// timeout instead of immediate SQLITE_BUSY, and BEGIN IMMEDIATE so a
// transaction takes the write lock up front instead of failing to upgrade.
func withSQLitePragmas(dsn string) string {
	base, rawQuery, _ := strings.Cut(dsn, "?")
	q, _ := url.ParseQuery(rawQuery)
	have := strings.Join(q["_pragma"], ",")
	for _, p := range []struct{ name, value string }{
		{"foreign_keys", "foreign_keys(1)"},
		{"journal_mode", "journal_mode(WAL)"},
		{"busy_timeout", "busy_timeout(10000)"},
		{"synchronous", "synchronous(NORMAL)"},
	} {
		if !strings.Contains(have, p.name) {
			q.Add("_pragma", p.value)
		}
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	// Times are written in UTC in one fixed format, so that comparing and
	// ordering them as text (SQLite has no time type) is comparing instants.
	if q.Get("_time_format") == "" {
		q.Set("_time_format", "sqlite")
	}
	if q.Get("_timezone") == "" {
		q.Set("_timezone", "UTC")
	}
	return base + "?" + q.Encode()
}

func configurePool(db *sql.DB, dia string, maxOpen int) {
	if maxOpen <= 0 {
		maxOpen = 20
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if dia == dialect.Postgres {
		db.SetConnMaxLifetime(30 * time.Minute)
	}
}

// redact hides a password in a URL for error messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Backfill is a data migration that goes with a schema change: Due, asked
// before the schema changes, says whether it must run; Run runs after.
type Backfill struct {
	Due func(ctx context.Context) (bool, error)
	Run func(ctx context.Context) error
}

// Migrate brings the schema up to date, then runs more migrations of
// tables ent does not own (River's). On PostgreSQL an advisory lock
// serialises replicas that start at the same time.
func (d *DB) Migrate(ctx context.Context, more ...func(context.Context) error) error {
	return d.MigrateWith(ctx, nil, more...)
}

// MigrateWith is Migrate with backfills, inside the same lock: a replica
// that starts meanwhile neither runs one twice nor skips one.
func (d *DB) MigrateWith(ctx context.Context, backfills []Backfill, more ...func(context.Context) error) error {
	if d.Dialect == dialect.Postgres {
		conn, err := d.SQL.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		defer conn.Close()
		const lockKey = 0x4c414e4553 // "LANES"
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey)
		}()
	}
	var due []Backfill
	for _, b := range backfills {
		ok, err := b.Due(ctx)
		if err != nil {
			return fmt.Errorf("store: backfill: %w", err)
		}
		if ok {
			due = append(due, b)
		}
	}
	if err := d.schema.Create(ctx, d.migrateOptions()...); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, b := range due {
		if err := b.Run(ctx); err != nil {
			return fmt.Errorf("store: backfill: %w", err)
		}
	}
	for _, m := range more {
		if err := m(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (d *DB) migrateOptions() []schema.MigrateOption {
	return []schema.MigrateOption{
		migrate.WithForeignKeys(true),
		schema.WithDiffHook(tenantForeignKeys),
		schema.WithDiffHook(byteOrderedRanks(d.Dialect)),
	}
}

// PendingMigration returns the SQL Migrate would run now (empty when the
// schema is up to date).
func (d *DB) PendingMigration(ctx context.Context) (string, error) {
	var b strings.Builder
	if err := d.schema.WriteTo(ctx, &b, d.migrateOptions()...); err != nil {
		return "", fmt.Errorf("store: plan migration: %w", err)
	}
	var stmts []string
	for _, line := range strings.Split(b.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" && line != "BEGIN;" && line != "COMMIT;" {
			stmts = append(stmts, line)
		}
	}
	return strings.Join(stmts, "\n"), nil
}

// Ping checks that the database answers (readiness).
func (d *DB) Ping(ctx context.Context) error { return d.SQL.PingContext(ctx) }

// Check runs a trivial statement the way every query runs, through the
// client's driver (WrapDriver's wrapping included) and the pool: the
// database answers statements, not just pings. Callers bound it with
// ctx's deadline.
func (d *DB) Check(ctx context.Context) error {
	var rows entsql.Rows
	if err := d.driver.Query(ctx, "SELECT 1", []any{}, &rows); err != nil {
		return fmt.Errorf("store: check: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return fmt.Errorf("store: check: no row: %w", errors.Join(rows.Err(), errNoRow))
	}
	return nil
}

var errNoRow = errors.New("SELECT 1 returned nothing")

// Close closes the client and the pool.
func (d *DB) Close() error { return d.Client.Close() }

// HasColumn reports whether a table of the schema has a column: before
// Migrate, whether a data migration that goes with a new column is due.
func (d *DB) HasColumn(ctx context.Context, table, column string) (bool, error) {
	query := "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?"
	if d.Dialect == dialect.Postgres {
		query = "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
	}
	var n int
	if err := d.SQL.QueryRowContext(ctx, query, table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("store: column %s.%s: %w", table, column, err)
	}
	return n > 0, nil
}
