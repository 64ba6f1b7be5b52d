// Package entx holds small helpers the domain services share around ent.
package entx

import (
	"context"
	"errors"
	"fmt"

	"github.com/lanes-dev/lanes/ent"
)

// WithTx runs fn in a transaction and commits when fn returns nil. When ctx
// already carries a transaction (ent.NewTxContext), fn joins it and the
// owner of that transaction decides about commit.
//
// Domain services own their transaction boundaries, so the Go SDK and the
// GraphQL API get the same atomicity; the GraphQL response is rendered after
// commit, which keeps SQLite's single writer free while fields resolve.
func WithTx(ctx context.Context, client *ent.Client, fn func(ctx context.Context, c *ent.Client) error) error {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return fn(ctx, tx.Client())
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	txCtx := ent.NewTxContext(ctx, tx)
	if err := fn(txCtx, tx.Client()); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
