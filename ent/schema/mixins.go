package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/lanes-dev/lanes/ent/intercept"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant"
)

// textBytes is the byte bound of a free-text column for a limit in
// characters: four bytes per character (UTF-8's longest), so every value
// within the limit fits. The limits themselves are checked once, by the
// domain service that writes the field (sdk/internal/validate, where a
// test keeps the two in step).
func textBytes(chars int) int { return 4 * chars }

// TenantMixin makes a schema tenant-scoped: a required, immutable tenant
// edge (tenant_id column, indexed), and the rules that confine every query
// and mutation to the actor's tenant (see package tenant). Customers
// (portal sessions) see nothing of the type unless Customers opens a part.
type TenantMixin struct {
	mixin.Schema
	Customers tenant.CustomerScope
}

// Fields of the TenantMixin.
func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String(tenant.TenantColumn).
			GoType(pulid.ID("")).
			Immutable().
			Annotations(entgql.Skip()),
	}
}

// Edges of the TenantMixin.
func (TenantMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("tenant", Tenant.Type).
			Field(tenant.TenantColumn).
			Unique().
			Required().
			Immutable().
			Annotations(entgql.Skip()),
	}
}

// Indexes of the TenantMixin.
func (TenantMixin) Indexes() []ent.Index {
	return []ent.Index{index.Fields(tenant.TenantColumn)}
}

// Hooks of the TenantMixin.
func (TenantMixin) Hooks() []ent.Hook {
	return []ent.Hook{tenant.SetTenantOnCreate()}
}

// Interceptors of the TenantMixin.
func (m TenantMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{
		tenant.FilterQueries(adaptQuery),
		tenant.FilterCustomers(adaptQuery, m.Customers),
	}
}

// Policy of the TenantMixin.
func (m TenantMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{tenant.DenyWithoutTenant()},
		Mutation: privacy.MutationPolicy{
			tenant.DenyWithoutTenant(),
			tenant.FilterMutationsByTenant(),
			tenant.FilterCustomerMutations(m.Customers),
		},
	}
}

// adaptQuery lets package tenant add predicates to any generated query.
func adaptQuery(q ent.Query) (tenant.Wherer, error) { return intercept.NewQuery(q) }

// TimeMixin adds created_at and updated_at.
type TimeMixin struct {
	mixin.Schema
}

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Default(time.Now).
			Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").
			Default(time.Now).
			UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}
