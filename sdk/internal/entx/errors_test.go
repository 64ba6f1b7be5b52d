package entx_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/privacy"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/lanestest"
)

// The classifier's table over the error kinds it knows. Each row's error
// is wrapped once more, as services do.
func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code errcode.Code
	}{
		{"ent not found", &ent.NotFoundError{}, errcode.NotFound},
		{"privacy denial", fmt.Errorf("rule: %w", privacy.Deny), errcode.NotFound},
		{"ent constraint", &ent.ConstraintError{}, errcode.Conflict},
		{"ent validation", &ent.ValidationError{Name: "title"}, errcode.Validation},
		{"connect error", &pgconn.ConnectError{}, errcode.Unavailable},
		{"bad connection", driver.ErrBadConn, errcode.Unavailable},
		{"connection done", sql.ErrConnDone, errcode.Unavailable},
		{"pgx connection closed", pgconn.ErrConnClosed, errcode.Unavailable},
		{"database/sql closed", errors.New("sql: database is closed"), errcode.Unavailable},
		{"connection failure", &pgconn.PgError{Code: "08006"}, errcode.Unavailable},
		{"too many connections", &pgconn.PgError{Code: "53300"}, errcode.Unavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, errcode.Unavailable},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, errcode.Unavailable},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, errcode.Unavailable},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, errcode.Unavailable},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, errcode.Timeout},
		{"lock timeout", &pgconn.PgError{Code: "55P03"}, errcode.Timeout},
		{"string too long", &pgconn.PgError{Code: "22001"}, errcode.Validation},
		{"NUL in text", &pgconn.PgError{Code: "22021"}, errcode.Validation},
		{"invalid text representation", &pgconn.PgError{Code: "22P02"}, errcode.Validation},
		{"other data exception", &pgconn.PgError{Code: "22000"}, errcode.Validation},
		{"statement too complex", &pgconn.PgError{Code: "54001"}, errcode.Validation},
		{"unique violation", &pgconn.PgError{Code: "23505"}, errcode.Conflict},
		{"undefined table is a bug", &pgconn.PgError{Code: "42P01"}, errcode.Internal},
		{"unknown", errors.New("something else"), errcode.Internal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := fmt.Errorf("service: %w", tc.err)
			require.Equal(t, tc.code, errcode.CodeOf(err))
			e := errcode.From(err)
			require.ErrorIs(t, e, tc.err, "the cause stays reachable")
			if tc.code != errcode.Internal {
				require.NotContains(t, e.Message, "service:", "the message is the contract's, not the cause's")
			}
		})
	}
	require.Equal(t, "title", errcode.From(&ent.ValidationError{Name: "title"}).Details["field"])
	require.Nil(t, entx.Classify(errors.New("unknown")), "unknown errors are left to errcode (INTERNAL)")
}

// Real failures of both databases classify: a statement beyond the
// database's limits, a value it refuses, a statement out of time, a
// locked database.
func TestClassifyDatabaseErrors(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		d := openStore(t, db.URL, 4)
		ctx := context.Background()

		deep := "SELECT " + strings.Repeat("1+", 10000) + "1"
		_, err := d.SQL.ExecContext(ctx, deep)
		require.Error(t, err)
		require.Equal(t, errcode.Validation, errcode.CodeOf(err), "%v", err)

		if db.Name == "postgres" {
			var pg *pgconn.PgError
			_, err = d.SQL.ExecContext(ctx, "SELECT $1::text", "nul\x00byte")
			require.ErrorAs(t, err, &pg)
			require.Equal(t, "22021", pg.Code)
			require.Equal(t, errcode.Validation, errcode.CodeOf(err))

			_, err = d.SQL.ExecContext(ctx, "SELECT 'x'::int")
			require.Equal(t, errcode.Validation, errcode.CodeOf(err), "%v", err)

			conn, err := d.SQL.Conn(ctx)
			require.NoError(t, err)
			defer conn.Close()
			_, err = conn.ExecContext(ctx, "SET statement_timeout = '20ms'")
			require.NoError(t, err)
			_, err = conn.ExecContext(ctx, "SELECT pg_sleep(10)")
			require.ErrorAs(t, err, &pg)
			require.Equal(t, "57014", pg.Code)
			require.Equal(t, errcode.Timeout, errcode.CodeOf(err))
			return
		}

		// SQLite: another connection holds the write lock beyond the busy
		// timeout.
		holder, err := sql.Open("sqlite", strings.Replace(db.URL, "sqlite:", "file:", 1))
		require.NoError(t, err)
		defer holder.Close()
		conn, err := holder.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		require.NoError(t, err)
		defer conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck // cleanup

		waiter, err := sql.Open("sqlite", strings.Replace(db.URL, "sqlite:", "file:", 1)+"?_pragma=busy_timeout(20)&_txlock=immediate")
		require.NoError(t, err)
		defer waiter.Close()
		_, err = waiter.BeginTx(ctx, nil)
		var lite *sqlite.Error
		require.ErrorAs(t, err, &lite)
		require.Equal(t, errcode.Unavailable, errcode.CodeOf(err), "%v", err)
	})
}
