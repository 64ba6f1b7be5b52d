// Package entx holds small helpers the domain services share around ent:
// their transactions, and the classification of ent's and the databases'
// errors into contract codes (errors.go).
package entx

import (
	"context"
	"errors"
	"fmt"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/sdk/errcode"
)

// WithTx runs fn in a transaction and commits when fn returns nil. When ctx
// already carries a transaction (ent.NewTxContext), fn joins it and the
// owner of that transaction decides about commit.
//
// The error is classified (errcode.Classify): a domain error comes back as
// fn returned it, any other (ent's, the database's) as an *errcode.Error
// with its contract code that wraps it, so SDK callers never see a raw ent
// error from a mutation.
//
// When fn panics, or ends its goroutine (runtime.Goexit), the transaction
// is rolled back before the panic goes on: no connection stays taken and
// SQLite's single writer is free again.
//
// Domain services own their transaction boundaries, so the Go SDK and the
// GraphQL API get the same atomicity; the GraphQL response is rendered after
// commit, which keeps SQLite's single writer free while fields resolve.
func WithTx(ctx context.Context, client *ent.Client, fn func(ctx context.Context, c *ent.Client) error) error {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return errcode.Classify(fn(ctx, tx.Client()))
	}
	return errcode.Classify(withNewTx(ctx, client, fn))
}

func withNewTx(ctx context.Context, client *ent.Client, fn func(ctx context.Context, c *ent.Client) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	finished := false
	defer func() {
		if !finished {
			// fn panicked or called runtime.Goexit: nothing recovers here,
			// the panic goes on once the transaction is gone.
			_ = tx.Rollback()
		}
	}()
	err = fn(ent.NewTxContext(ctx, tx), tx.Client())
	finished = true
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		// A commit hook (the event log's write) may fail before the
		// commit itself: the transaction is still open then.
		_ = tx.Rollback()
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
