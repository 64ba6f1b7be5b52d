package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"

	"github.com/lanes-dev/lanes/sdk"
)

// EnvDir overrides where prepared datasets are kept (default: the user's
// cache directory, lanes-bench).
const EnvDir = "LANES_BENCH_DIR"

// Dir is where prepared datasets are kept.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set %s): %w", EnvDir, err)
	}
	return filepath.Join(base, "lanes-bench"), nil
}

// PrepareOptions say which dataset to prepare where.
type PrepareOptions struct {
	Size Size
	Seed uint64
	// PostgresAdminURL, when set, puts the dataset in a PostgreSQL database
	// of its own (lanes_bench_<size>_<seed>_v<version>) on that server;
	// otherwise in a SQLite file in Dir.
	PostgresAdminURL string
	Logf             func(format string, args ...any)
}

// Prepare returns the manifest of a database holding the dataset,
// generating it on first use: a cached database of the same size, seed and
// version is reused (generating S takes minutes, L much longer).
func Prepare(ctx context.Context, opts PrepareOptions) (*Manifest, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("lanes_bench_%s_%d_v%d", lower(opts.Size.Name), opts.Seed, Version)
	var dbURL, manifestPath string
	var reset func() error
	if opts.PostgresAdminURL != "" {
		u, err := url.Parse(opts.PostgresAdminURL)
		if err != nil {
			return nil, fmt.Errorf("parse PostgreSQL URL: %w", err)
		}
		u.Path = "/" + name
		dbURL = u.String()
		manifestPath = filepath.Join(dir, fmt.Sprintf("%s_%s.json", strings.NewReplacer(":", "_", "/", "_").Replace(u.Host), name))
		reset = func() error { return recreateDatabase(ctx, opts.PostgresAdminURL, name) }
	} else {
		file := filepath.Join(dir, name+".db")
		dbURL = "sqlite:" + file
		manifestPath = file + ".json"
		reset = func() error { return removeSQLite(file) }
	}
	if m, err := ReadManifest(manifestPath); err == nil && m.Version == Version && m.DatabaseURL == dbURL && exists(ctx, m) {
		return m, nil
	}
	if err := reset(); err != nil {
		return nil, err
	}
	m, err := generateInto(ctx, dbURL, opts)
	if err != nil {
		return nil, err
	}
	return m, WriteManifest(manifestPath, m)
}

// generateInto opens the database at dbURL (empty), generates the dataset
// and returns its manifest.
func generateInto(ctx context.Context, dbURL string, opts PrepareOptions) (*Manifest, error) {
	cfg := Config(dbURL, opts.Seed)
	dataDir, err := os.MkdirTemp("", "lanes-bench-gen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dataDir)
	cfg.DataDir = dataDir
	l, err := sdk.Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dbURL, err)
	}
	defer l.Close()
	m, err := Generate(ctx, l, Options{Size: opts.Size, Seed: opts.Seed, Logf: opts.Logf})
	if err != nil {
		return nil, err
	}
	m.DatabaseURL = dbURL
	return m, nil
}

// GenerateInto generates the dataset into the (empty) database at dbURL.
func GenerateInto(ctx context.Context, dbURL string, size Size, seed uint64, logf func(string, ...any)) (*Manifest, error) {
	return generateInto(ctx, dbURL, PrepareOptions{Size: size, Seed: seed, Logf: logf})
}

// exists tells whether the manifest's database still holds its tenants:
// the same IDs, not only as many (another manifest may have regenerated
// the database since).
func exists(ctx context.Context, m *Manifest) bool {
	cfg := Config(m.DatabaseURL, m.Seed)
	if strings.HasPrefix(m.DatabaseURL, "sqlite:") {
		if _, err := os.Stat(strings.TrimPrefix(m.DatabaseURL, "sqlite:")); err != nil {
			return false
		}
	}
	dataDir, err := os.MkdirTemp("", "lanes-bench-check-")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dataDir)
	cfg.DataDir = dataDir
	l, err := sdk.Open(ctx, cfg)
	if err != nil {
		return false
	}
	defer l.Close()
	var n int
	if err := l.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM tenants").Scan(&n); err != nil || n != len(m.Tenants) || n == 0 {
		return false
	}
	query := "SELECT COUNT(*) FROM tenants WHERE id = ? AND slug = ?"
	if l.Dialect() == dialect.Postgres {
		query = "SELECT COUNT(*) FROM tenants WHERE id = $1 AND slug = $2"
	}
	for _, t := range []Tenant{m.Tenants[0], m.Tenants[len(m.Tenants)-1]} {
		if err := l.DB().QueryRowContext(ctx, query, t.ID, t.Slug).Scan(&n); err != nil || n != 1 {
			return false
		}
	}
	return true
}

// recreateDatabase drops and creates a benchmark database (only ever one
// named lanes_bench_..., made by Prepare).
func recreateDatabase(ctx context.Context, adminURL, name string) error {
	if !strings.HasPrefix(name, "lanes_bench_") {
		return fmt.Errorf("refusing to recreate %s", name)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}

func removeSQLite(file string) error {
	for _, suffix := range []string{"", "-wal", "-shm", ".json"} {
		if err := os.Remove(file + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// ReadManifest reads a manifest file.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	return &m, nil
}

// WriteManifest writes a manifest file (credentials inside: 0600).
func WriteManifest(path string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
