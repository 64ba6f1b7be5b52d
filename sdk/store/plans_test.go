package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/store"
)

// Statements are prepared and may settle on PostgreSQL's generic plan;
// those run WithCustomPlans are planned for their own arguments on every
// call and never become prepared statements of the session.
func TestCustomPlans(t *testing.T) {
	ctx := context.Background()
	d, err := store.Open(ctx, store.Options{URL: lanestest.PostgresURL(t), MaxOpenConns: 1})
	require.NoError(t, err)
	defer d.Close()

	const (
		cached = "SELECT count(*) FROM pg_class WHERE relname = $1"
		custom = "SELECT count(*) FROM pg_namespace WHERE nspname = $1"
	)
	run := func(ctx context.Context, query string) {
		for range 8 {
			rows, err := d.Client.QueryContext(ctx, query, "acme")
			require.NoError(t, err)
			require.True(t, rows.Next())
			var n int
			require.NoError(t, rows.Scan(&n))
			require.Zero(t, n)
			require.NoError(t, rows.Close())
		}
	}
	run(ctx, cached)
	run(store.WithCustomPlans(ctx), custom)

	plans := func(query string) (generic, customPlans int, found bool) {
		// One connection: the session that prepared the statements.
		rows, err := d.Client.QueryContext(ctx,
			"SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1", query)
		require.NoError(t, err)
		defer rows.Close()
		if !rows.Next() {
			return 0, 0, false
		}
		require.NoError(t, rows.Scan(&generic, &customPlans))
		return generic, customPlans, true
	}
	generic, customs, found := plans(cached)
	require.True(t, found, "a plain statement is prepared")
	require.Equal(t, 8, generic+customs)
	require.Positive(t, generic, "after five runs PostgreSQL settles on the generic plan")
	_, _, found = plans(custom)
	require.False(t, found, "a statement with custom plans stays unnamed")
}
