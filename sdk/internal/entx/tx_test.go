package entx_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	enttenant "github.com/lanes-dev/lanes/ent/tenant"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/store"
	"github.com/lanes-dev/lanes/tenant"
)

// openStore opens a migrated database with a pool of maxOpen connections.
func openStore(t *testing.T, url string, maxOpen int) *store.DB {
	t.Helper()
	ctx := context.Background()
	migrated, err := store.Open(ctx, store.Options{URL: url})
	require.NoError(t, err)
	require.NoError(t, migrated.Migrate(ctx))
	require.NoError(t, migrated.Close())
	d, err := store.Open(ctx, store.Options{URL: url, MaxOpenConns: maxOpen})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// A panic in fn rolls the transaction back and goes on: the connection is
// free again (the pool has only one), SQLite's writer lock and
// PostgreSQL's row locks are released (the next write inserts the same
// unique slug), and the panicking fn's writes are gone.
func TestWithTxRollsBackOnPanic(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		d := openStore(t, db.URL, 1)
		ctx := tenant.SystemContext(context.Background())

		recovered := func() (p any) {
			defer func() { p = recover() }()
			_ = entx.WithTx(ctx, d.Client, func(ctx context.Context, c *ent.Client) error {
				if _, err := c.Tenant.Create().SetSlug("acme").SetName("Acme (panicked)").Save(ctx); err != nil {
					return err
				}
				panic("boom")
			})
			return nil
		}()
		require.Equal(t, "boom", recovered, "the panic goes on to the caller")

		// Were the transaction still open, this would wait for the only
		// connection (or the locks) until the deadline.
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err := entx.WithTx(ctx, d.Client, func(ctx context.Context, c *ent.Client) error {
			_, err := c.Tenant.Create().SetSlug("acme").SetName("Acme").Save(ctx)
			return err
		})
		require.NoError(t, err)
		names, err := d.Client.Tenant.Query().Where(enttenant.Slug("acme")).Select(enttenant.FieldName).Strings(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"Acme"}, names, "the panicking transaction's insert is gone")
	})
}

// WithTx returns errors classified: a domain error as fn returned it, any
// other as an *errcode.Error that wraps it.
func TestWithTxClassifiesErrors(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		d := openStore(t, db.URL, 4)
		ctx := tenant.SystemContext(context.Background())
		create := func(slug string) error {
			return entx.WithTx(ctx, d.Client, func(ctx context.Context, c *ent.Client) error {
				if _, err := c.Tenant.Create().SetSlug(slug).SetName(slug).Save(ctx); err != nil {
					return fmt.Errorf("create tenant %s: %w", slug, err)
				}
				return nil
			})
		}
		require.NoError(t, create("taken"))

		err := create("taken")
		var coded *errcode.Error
		require.ErrorAs(t, err, &coded)
		require.Equal(t, errcode.Conflict, coded.Code)
		require.True(t, ent.IsConstraintError(err), "ent's own checks still see the cause")

		err = create("")
		require.ErrorAs(t, err, &coded)
		require.Equal(t, errcode.Validation, coded.Code)
		require.Equal(t, "slug", coded.Details["field"])
		var validation *ent.ValidationError
		require.ErrorAs(t, err, &validation)

		err = entx.WithTx(ctx, d.Client, func(ctx context.Context, c *ent.Client) error {
			_, err := c.Tenant.Get(ctx, "ten_missing")
			return err
		})
		require.Equal(t, errcode.NotFound, errcode.CodeOf(err))
		require.True(t, ent.IsNotFound(err))

		domain := fmt.Errorf("rule: %w", errcode.New(errcode.WIPLimit, "full"))
		err = entx.WithTx(ctx, d.Client, func(context.Context, *ent.Client) error { return domain })
		require.Same(t, domain, err, "a domain error comes back as it was")

		// Joining an outer transaction classifies too.
		err = entx.WithTx(ctx, d.Client, func(ctx context.Context, c *ent.Client) error {
			inner := entx.WithTx(ctx, c, func(ctx context.Context, c *ent.Client) error {
				_, err := c.Tenant.Get(ctx, "ten_missing")
				return err
			})
			require.ErrorAs(t, inner, &coded)
			return errors.Join(inner)
		})
		require.Equal(t, errcode.NotFound, errcode.CodeOf(err))
	})
}
