package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// Status is one column of a workflow, configurable by the tenant's admins.
type Status struct {
	ent.Schema
}

// Mixin of the Status.
func (Status) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("sts_"), TenantMixin{Customers: tenant.CustomerScope{Access: tenant.CustomerShared}}, TimeMixin{}}
}

// Fields of the Status.
func (Status) Fields() []ent.Field {
	return []ent.Field{
		field.String("workflow_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("key").NotEmpty().MaxLen(63).Immutable(),
		field.String("name").NotEmpty().MaxLen(textBytes(200)),
		field.Int("position"),
		field.Bool("enabled").Default(true),
		field.Bool("mandatory").Default(false).Immutable(),
		field.String("color").Default("#9e9e9e").MaxLen(32),
		field.Int("wip_limit").
			Optional().
			Nillable().
			NonNegative().
			Comment("Maximum number of active projects in the column; null: no limit."),
		field.Bool("archives").
			Default(false).
			Immutable().
			Comment("Entering this status archives the project (e.g. declined leads).").
			Annotations(entgql.Skip()),
		field.Enum("category").
			Values("LEAD", "OPEN", "IN_PROGRESS", "WAITING", "DONE", "CANCELLED").
			Default("IN_PROGRESS").
			Comment("What kind of stage the status is, for reports and the board's summary: from the template, or chosen by the admin who added the status."),
		field.Bool("custom").
			Default(false).
			Immutable().
			Comment("Added by the tenant's admins (not from the workflow's template): may be deleted while it has never held a project."),
		field.JSON("required_fields", []string{}).
			Optional().
			Comment("Project fields that must be set before a project may enter, e.g. customer.email.").
			Annotations(entgql.Skip()),
		field.JSON("enter_roles", []role.Role{}).
			Optional().
			Comment("Member roles that may move a project into the status; empty: every role that may move.").
			Annotations(entgql.Skip()),
		field.String("advance_to").
			Optional().
			Comment(`Key of the status the "next status" button leads to; empty: none.`).
			Annotations(entgql.Skip()),
	}
}

// Edges of the Status.
func (Status) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workflow", Workflow.Type).
			Ref("statuses").
			Field("workflow_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes of the Status.
func (Status) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workflow_id", "key").Unique()}
}

// Annotations of the Status.
func (Status) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("statuses"),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField),
	}
}
