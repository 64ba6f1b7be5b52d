package store

import (
	atlas "ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/lanes-dev/lanes/tenant"
)

// tenantForeignKeys is a migration diff hook that makes the database itself
// refuse cross-tenant references: every foreign key from a tenant-scoped
// table to another tenant-scoped table becomes a composite key
// (tenant_id, x_id) → (tenant_id, id), backed by a unique (tenant_id, id)
// index on the referenced table. ent's HasXWith predicates are not privacy
// filtered (ent issues 2957, 4509); with these keys a row can only ever
// point at rows of its own tenant, so such predicates cannot reach across.
//
// Composite keys use NO ACTION on delete: SET NULL would null tenant_id too.
func tenantForeignKeys(next schema.Differ) schema.Differ {
	return schema.DiffFunc(func(current, desired *atlas.Schema) ([]atlas.Change, error) {
		for _, t := range desired.Tables {
			scopeForeignKeys(t)
		}
		return next.Diff(current, desired)
	})
}

func scopeForeignKeys(t *atlas.Table) {
	tcol, ok := t.Column(tenant.TenantColumn)
	if !ok {
		return
	}
	for _, fk := range t.ForeignKeys {
		if len(fk.Columns) != 1 || len(fk.RefColumns) != 1 || fk.Columns[0] == tcol {
			continue
		}
		refTenant, ok := fk.RefTable.Column(tenant.TenantColumn)
		if !ok {
			continue
		}
		ensureTenantKey(fk.RefTable, refTenant, fk.RefColumns[0])
		fk.Columns = []*atlas.Column{tcol, fk.Columns[0]}
		fk.RefColumns = []*atlas.Column{refTenant, fk.RefColumns[0]}
		fk.OnDelete = atlas.NoAction
		tcol.ForeignKeys = append(tcol.ForeignKeys, fk)
	}
}

// ensureTenantKey adds a unique (tenant_id, id) index to a referenced table.
func ensureTenantKey(t *atlas.Table, tenantCol, idCol *atlas.Column) {
	name := t.Name + "_tenant_key"
	for _, idx := range t.Indexes {
		if idx.Name == name {
			return
		}
	}
	idx := atlas.NewUniqueIndex(name).AddColumns(tenantCol, idCol)
	t.AddIndexes(idx)
}

// byteOrderedColumns are compared byte-wise by Lanes (fractional-index
// ranks): on PostgreSQL they get COLLATE "C" so that ORDER BY and max()
// follow byte order whatever the database's locale.
var byteOrderedColumns = map[string][]string{"projects": {"rank"}}

func byteOrderedRanks(dia string) schema.DiffHook {
	return func(next schema.Differ) schema.Differ {
		return schema.DiffFunc(func(current, desired *atlas.Schema) ([]atlas.Change, error) {
			if dia == dialect.Postgres {
				for _, t := range desired.Tables {
					for _, name := range byteOrderedColumns[t.Name] {
						if c, ok := t.Column(name); ok {
							c.SetCollation("C")
						}
					}
				}
			}
			return next.Diff(current, desired)
		})
	}
}
