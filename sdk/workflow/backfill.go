package workflow

import (
	"context"
	"database/sql"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/lanes-dev/lanes/ent/status"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
)

// BackfillCategories gives the statuses installed before statuses had a
// category the category their template gives them now (the column arrived
// with IN_PROGRESS everywhere). Run once, right after the migration that
// adds the column; it works across tenants, so it is plain SQL.
func BackfillCategories(ctx context.Context, db *sql.DB, dialect string, templates map[string]Template) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("backfill status categories: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	b := entsql.Dialect(dialect)
	for _, key := range sortedKeys(templates) {
		for _, st := range templates[key].Statuses {
			if status.Category(st.Category) == status.DefaultCategory {
				continue
			}
			workflows := b.Select(entworkflow.FieldID).From(b.Table(entworkflow.Table)).Where(entsql.EQ(entworkflow.FieldTemplate, key))
			query, args := b.Update(status.Table).
				Set(status.FieldCategory, st.Category).
				Where(entsql.And(entsql.EQ(status.FieldKey, st.Key), entsql.In(status.FieldWorkflowID, workflows))).
				Query()
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return fmt.Errorf("backfill the category of %s/%s: %w", key, st.Key, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("backfill status categories: %w", err)
	}
	return nil
}
