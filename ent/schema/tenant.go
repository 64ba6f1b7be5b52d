package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant"
)

// Tenant is an agency or partner on the white-label platform; the unit of
// isolation.
type Tenant struct {
	ent.Schema
}

// Mixin of the Tenant.
func (Tenant) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("ten_"), TimeMixin{}}
}

// Fields of the Tenant.
func (Tenant) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").
			Unique().
			NotEmpty().
			MaxLen(63).
			Immutable(),
		field.String("name").
			NotEmpty().
			MaxLen(textBytes(200)),
		field.String("time_zone").
			Default("UTC").
			Comment("IANA time zone for day boundaries in reports."),
		field.Int64("last_event_seq").
			Default(0).
			Comment("The seq of the tenant's latest event; its row is the lock that orders the log (sdk/events).").
			Annotations(entgql.Skip()),
	}
}

// Interceptors of the Tenant.
func (Tenant) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{tenant.FilterTenantRows(adaptQuery)}
}

// Policy of the Tenant: members and the platform in a tenant see only their
// own tenant; only the platform creates tenants; nobody deletes them here.
func (Tenant) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{tenant.DenyWithoutTenant()},
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(tenant.AllowPlatformCreate(), ent.OpCreate),
			privacy.DenyMutationOperationRule(ent.OpDelete | ent.OpDeleteOne),
			tenant.DenyWithoutTenant(),
			tenant.FilterTenantMutations(),
		},
	}
}

// Annotations of the Tenant.
func (Tenant) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
