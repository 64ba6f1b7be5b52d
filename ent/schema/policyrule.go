package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant"
)

// PolicyRule is one casbin policy line of a tenant's domain: the tenant's
// override of a default (a portal feature granted to or denied for a
// status). The domain of the rule is the row's tenant_id; the wildcard
// domain's defaults live in code (the workflow templates).
type PolicyRule struct {
	ent.Schema
}

// Mixin of the PolicyRule.
func (PolicyRule) Mixin() []ent.Mixin {
	return []ent.Mixin{
		pulid.MixinWithPrefix("pol_"),
		// Which features a status unlocks is no secret to customers: the
		// portal shows it. Customers read the rules; only admins write them.
		TenantMixin{Customers: tenant.CustomerScope{Access: tenant.CustomerShared}},
		TimeMixin{},
	}
}

// Fields of the PolicyRule.
func (PolicyRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("ptype").Default("p").MaxLen(8),
		field.String("subject").NotEmpty().MaxLen(200).Comment("e.g. status:website/lead"),
		field.String("object").NotEmpty().MaxLen(200).Comment("e.g. feature:WISHES"),
		field.String("action").NotEmpty().MaxLen(50).Comment("e.g. use"),
		field.Enum("effect").Values("allow", "deny"),
	}
}

// Indexes of the PolicyRule.
func (PolicyRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "ptype", "subject", "object", "action").Unique()}
}

// Annotations of the PolicyRule.
func (PolicyRule) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
