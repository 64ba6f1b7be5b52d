package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/store"
)

// Instants stored from any zone compare and order as instants on both
// databases (SQLite keeps them as UTC text in one format).
func TestTimesCompareAsInstants(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		ctx := context.Background()
		d, err := store.Open(ctx, store.Options{URL: db.URL})
		require.NoError(t, err)
		defer d.Close()
		column := "datetime" // what ent declares on SQLite
		if db.Name == "postgres" {
			column = "timestamp with time zone"
		}
		_, err = d.SQL.ExecContext(ctx, `CREATE TABLE instants (id INTEGER, at `+column+`)`)
		require.NoError(t, err)
		berlin, err := time.LoadLocation("Europe/Berlin")
		require.NoError(t, err)
		base := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // DST switch day
		values := []time.Time{
			base.Add(2 * time.Hour).In(berlin),                        // 2
			base.In(time.FixedZone("X", -7*3600)),                     // 0
			base.Add(time.Hour + 500*time.Millisecond).In(berlin),     // 1
			base.Add(3*time.Hour + 123456789*time.Nanosecond).Local(), // 3
		}
		for i, v := range values {
			_, err = d.SQL.ExecContext(ctx, "INSERT INTO instants (id, at) VALUES ("+string(rune('0'+i))+", "+placeholder(db)+")", v)
			require.NoError(t, err)
		}
		rows, err := d.SQL.QueryContext(ctx, "SELECT id, at FROM instants WHERE at >= "+placeholder(db)+" ORDER BY at", base.Add(time.Minute))
		require.NoError(t, err)
		defer rows.Close()
		var order []int
		for rows.Next() {
			var id int
			var at time.Time
			require.NoError(t, rows.Scan(&id, &at))
			order = append(order, id)
			require.Less(t, at.Sub(values[id]).Abs(), time.Microsecond, "%v != %v", at, values[id])
		}
		require.Equal(t, []int{2, 0, 3}, order)
	})
}

func placeholder(db lanestest.Database) string {
	if db.Name == "postgres" {
		return "$1"
	}
	return "?"
}
