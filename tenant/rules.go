package tenant

import (
	"context"
	"fmt"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// TenantColumn is the column every tenant-scoped table carries.
const TenantColumn = "tenant_id"

// The ent rules below work on the generated queries and mutations through
// these small interfaces, so this package needs no generated code.
type (
	// Wherer is a query or mutation that takes storage-level predicates.
	Wherer interface {
		WhereP(...func(*sql.Selector))
	}
	// QueryAdapter gives a generated query the Wherer interface (the
	// schema passes ent/intercept.NewQuery; generated queries have no
	// untyped WhereP of their own).
	QueryAdapter func(ent.Query) (Wherer, error)
	tenantSetter interface {
		TenantID() (pulid.ID, bool)
		SetTenantID(pulid.ID)
	}
)

// DenyWithoutTenant is the privacy rule of tenant-scoped schemas for queries
// and mutations: a context without an actor inside a tenant is denied.
// (SystemContext never reaches it: ent honours the context decision first.)
func DenyWithoutTenant() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if a, ok := FromContext(ctx); ok && a.HasTenant() {
			return privacy.Skip
		}
		return privacy.Denyf("no tenant in context")
	})
}

// FilterMutationsByTenant is the privacy rule that confines updates and
// deletes to the actor's tenant (the row must match id AND tenant_id, else
// ent reports not found), and refuses to create a row in another tenant.
func FilterMutationsByTenant() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		a, ok := FromContext(ctx)
		if !ok || !a.HasTenant() {
			return privacy.Denyf("no tenant in context")
		}
		if m.Op().Is(ent.OpCreate) {
			if ts, ok := m.(tenantSetter); ok {
				if id, set := ts.TenantID(); set && id != a.TenantID {
					return privacy.Denyf("create in another tenant")
				}
			}
			return privacy.Skip
		}
		w, ok := m.(Wherer)
		if !ok {
			return privacy.Denyf("mutation %T cannot be filtered by tenant", m)
		}
		w.WhereP(sql.FieldEQ(TenantColumn, a.TenantID))
		return privacy.Skip
	})
}

// FilterQueries is the query interceptor of tenant-scoped schemas: it adds
// tenant_id = <actor's tenant> to every query and every step of a graph
// traversal (edges, eager loading, counts). Together with DenyWithoutTenant
// no query can see another tenant's rows.
func FilterQueries(adapt QueryAdapter) ent.Interceptor {
	return filterQueries(adapt, TenantColumn)
}

// filterQueries adds column = <actor's tenant> to every query and traversal.
func filterQueries(adapt QueryAdapter, column string) ent.Interceptor {
	return ent.TraverseFunc(func(ctx context.Context, q ent.Query) error {
		if IsSystem(ctx) {
			return nil
		}
		a, ok := FromContext(ctx)
		if !ok || !a.HasTenant() {
			return privacy.Denyf("no tenant in context")
		}
		w, err := adapt(q)
		if err != nil {
			return fmt.Errorf("tenant: filter %T: %w", q, err)
		}
		w.WhereP(sql.FieldEQ(column, a.TenantID))
		return nil
	})
}

// SetTenantOnCreate is the hook of tenant-scoped schemas that stamps new rows
// with the actor's tenant. A read filter alone would not do it.
func SetTenantOnCreate() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if !m.Op().Is(ent.OpCreate) {
				return next.Mutate(ctx, m)
			}
			ts, ok := m.(tenantSetter)
			if !ok {
				return nil, fmt.Errorf("tenant: mutation %T has no tenant field", m)
			}
			if _, set := ts.TenantID(); !set {
				a, ok := FromContext(ctx)
				if !ok || !a.HasTenant() {
					return nil, privacy.Denyf("no tenant in context")
				}
				ts.SetTenantID(a.TenantID)
			}
			return next.Mutate(ctx, m)
		})
	}
}

// FilterTenantRows is the query interceptor of the Tenant schema itself: an
// actor sees only the row of its own tenant.
func FilterTenantRows(adapt QueryAdapter) ent.Interceptor {
	return filterQueries(adapt, "id")
}

// FilterTenantMutations confines updates of the Tenant schema to the actor's
// own tenant row.
func FilterTenantMutations() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		a, ok := FromContext(ctx)
		if !ok || !a.HasTenant() {
			return privacy.Denyf("no tenant in context")
		}
		w, ok := m.(Wherer)
		if !ok {
			return privacy.Denyf("mutation %T cannot be filtered", m)
		}
		w.WhereP(sql.FieldEQ("id", a.TenantID))
		return privacy.Skip
	})
}

// AllowPlatformCreate lets the platform (API key) create tenants.
func AllowPlatformCreate() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
		if a, ok := FromContext(ctx); ok && a.Kind == KindPlatform {
			return privacy.Allow
		}
		return privacy.Denyf("only the platform creates tenants")
	})
}
