package dataset_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/bench/dataset"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
)

// The generator writes the same content (IDs and tokens aside) for the
// same seed, on SQLite as on PostgreSQL.
func TestGenerateIsDeterministic(t *testing.T) {
	size, err := dataset.SizeNamed("tiny")
	require.NoError(t, err)
	digests := map[string]string{}
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		m, err := dataset.GenerateInto(context.Background(), db.URL, size, 7, t.Logf)
		require.NoError(t, err)
		require.Len(t, m.Tenants, size.Tenants)
		require.Equal(t, size.TimeEntries, m.Rows["time_entries"])
		for _, tn := range m.Tenants {
			require.Len(t, tn.Members, size.MembersPerTenant)
			require.Len(t, tn.Portal, size.PortalSessions)
			require.NotEmpty(t, tn.WebsiteProjects)
		}
		digests[db.Name] = digest(t, db.URL, m.Seed)
	})
	// Without PostgreSQL (its subtest skipped) there is nothing to compare;
	// lanestest makes the skip fatal where PostgreSQL is required.
	if pg, ok := digests["postgres"]; ok {
		require.Equal(t, digests["sqlite"], pg, "SQLite and PostgreSQL hold the same data")
	}
}

func TestSizes(t *testing.T) {
	for _, name := range []string{"tiny", "S", "s", "L"} {
		_, err := dataset.SizeNamed(name)
		require.NoError(t, err, name)
	}
	_, err := dataset.SizeNamed("XL")
	require.Error(t, err)
}

// digest hashes what the generator decided, leaving out IDs: per tenant,
// each project's title, status, rank and version, and the time entries'
// totals by status and member.
func digest(t *testing.T, url string, seed uint64) string {
	cfg := dataset.Config(url, seed)
	cfg.DataDir = t.TempDir()
	l, err := sdk.Open(context.Background(), cfg)
	require.NoError(t, err)
	defer l.Close()
	var lines []string
	write := func(rows *sql.Rows, err error) {
		require.NoError(t, err)
		defer rows.Close()
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			lines = append(lines, fmt.Sprintln(vals...))
		}
		require.NoError(t, rows.Err())
	}
	// Values cast to what both drivers scan alike; lines sorted in Go, as
	// the databases' collations differ.
	write(l.DB().Query(`SELECT t.slug, p.title, s.key, p.rank, p.version, CASE WHEN p.archived THEN 1 ELSE 0 END
		FROM projects p JOIN tenants t ON t.id = p.tenant_id JOIN statuses s ON s.id = p.status_id`))
	write(l.DB().Query(`SELECT t.slug, s.key, m.external_id, COUNT(*), CAST(SUM(e.seconds) AS BIGINT)
		FROM time_entries e JOIN tenants t ON t.id = e.tenant_id JOIN statuses s ON s.id = e.status_id
		JOIN members m ON m.id = e.member_id
		GROUP BY t.slug, s.key, m.external_id`))
	write(l.DB().Query(`SELECT t.slug, COUNT(*) FROM status_changes c JOIN tenants t ON t.id = c.tenant_id
		GROUP BY t.slug`))
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "")))
	return hex.EncodeToString(sum[:])
}

// A cached manifest whose database was regenerated since (by another
// cache directory) is not reused: its IDs would be gone.
func TestPrepareNoticesARegeneratedDatabase(t *testing.T) {
	admin := lanestest.PostgresURL(t) // any database of the server will do
	size, err := dataset.SizeNamed("tiny")
	require.NoError(t, err)
	const seed = 11
	t.Cleanup(func() { dropBenchDatabase(t, admin, fmt.Sprintf("lanes_bench_tiny_%d_v%d", seed, dataset.Version)) })
	prepare := func(dir string) *dataset.Manifest {
		t.Setenv(dataset.EnvDir, dir)
		m, err := dataset.Prepare(context.Background(), dataset.PrepareOptions{Size: size, Seed: seed, PostgresAdminURL: admin})
		require.NoError(t, err)
		return m
	}
	first, second := t.TempDir(), t.TempDir()
	m1 := prepare(first)
	require.Equal(t, m1.Tenants[0].ID, prepare(first).Tenants[0].ID, "a valid cache is reused")
	m2 := prepare(second) // regenerates the database
	require.NotEqual(t, m1.Tenants[0].ID, m2.Tenants[0].ID)
	m3 := prepare(first)
	require.NotEqual(t, m1.Tenants[0].ID, m3.Tenants[0].ID, "the first cache's manifest is stale: regenerated")
	require.Equal(t, m3.Tenants[0].ID, prepare(first).Tenants[0].ID, "and reused from then on")
}

func dropBenchDatabase(t *testing.T, admin, name string) {
	conn, err := pgx.Connect(context.Background(), admin)
	if err != nil {
		t.Logf("drop %s: %v", name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Logf("drop %s: %v", name, err)
	}
}
