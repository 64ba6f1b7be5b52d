package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/store"
)

// Migrating twice is a no-op, and the tenant-scoped foreign keys and byte
// ordered ranks are in place.
func TestMigrate(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		ctx := context.Background()
		d, err := store.Open(ctx, store.Options{URL: db.URL})
		require.NoError(t, err)
		defer d.Close()
		pending, err := d.PendingMigration(ctx)
		require.NoError(t, err)
		require.Contains(t, pending, "CREATE TABLE")
		require.NoError(t, d.Migrate(ctx))
		pending, err = d.PendingMigration(ctx)
		require.NoError(t, err)
		require.Empty(t, pending, "a migrated schema has nothing pending")
		require.NoError(t, d.Migrate(ctx))

		if db.Name == "postgres" {
			var collation string
			require.NoError(t, d.SQL.QueryRowContext(ctx,
				`SELECT collation_name FROM information_schema.columns WHERE table_name = 'projects' AND column_name = 'rank'`).Scan(&collation))
			require.Equal(t, "C", collation)
			var ordered []string
			rows, err := d.SQL.QueryContext(ctx, `SELECT x FROM (VALUES ('a'), ('B'), ('Zz'), ('a0')) v(x) ORDER BY x COLLATE "C"`)
			require.NoError(t, err)
			for rows.Next() {
				var s string
				require.NoError(t, rows.Scan(&s))
				ordered = append(ordered, s)
			}
			require.Equal(t, []string{"B", "Zz", "a", "a0"}, ordered)
		}
	})
}
