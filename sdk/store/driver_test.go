package store

import (
	"database/sql"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"
)

// countingScanner counts how often its column types are built.
type countingScanner struct {
	entsql.ColumnScanner
	builds int
}

func (c *countingScanner) ColumnTypes() ([]*sql.ColumnType, error) {
	c.builds++
	return []*sql.ColumnType{{}}, nil
}

func (c *countingScanner) NextResultSet() bool { return true }

// A result's column types are built once for all its rows, and anew for
// the next result set.
func TestColumnTypesOnce(t *testing.T) {
	inner := &countingScanner{}
	rows := &entsql.Rows{ColumnScanner: inner}
	keepColumnTypes(rows)
	for range 3 {
		types, err := rows.ColumnTypes()
		require.NoError(t, err)
		require.Len(t, types, 1)
	}
	require.Equal(t, 1, inner.builds)
	require.True(t, rows.NextResultSet())
	_, err := rows.ColumnTypes()
	require.NoError(t, err)
	require.Equal(t, 2, inner.builds)

	keepColumnTypes(&entsql.Rows{}) // nothing to wrap
	keepColumnTypes(nil)
}
