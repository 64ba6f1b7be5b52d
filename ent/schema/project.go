package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant"
)

// Project is a card on the board: it sits in one status of one workflow.
type Project struct {
	ent.Schema
}

// Mixin of the Project.
func (Project) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("prj_"), TenantMixin{Customers: tenant.CustomerScope{Access: tenant.CustomerOwnColumn}}, TimeMixin{}}
}

// Fields of the Project.
func (Project) Fields() []ent.Field {
	return []ent.Field{
		field.String("workflow_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("status_id").GoType(pulid.ID("")).Annotations(entgql.Skip()),
		field.String("customer_id").GoType(pulid.ID("")).Optional().Nillable().Annotations(entgql.Skip()),
		field.String("assignee_id").GoType(pulid.ID("")).Optional().Nillable().Annotations(entgql.Skip()).
			Comment("The member responsible for the project."),
		field.String("title").
			NotEmpty().
			MaxLen(textBytes(200)).
			Annotations(entgql.OrderField("TITLE")),
		field.String("rank").
			NotEmpty().
			MaxLen(255).
			Comment("Fractional index: the card's position in its column.").
			Annotations(entgql.Skip(entgql.SkipType, entgql.SkipWhereInput)),
		field.Int("version").
			Default(1).
			Positive().
			Comment("Bumped by every change; optimistic concurrency."),
		field.Bool("archived").Default(false),
		field.String("archive_note").
			Optional().
			Nillable().
			MaxLen(textBytes(10_000)).
			Annotations(entgql.Skip()),
		field.String("progress_key").
			Optional().
			Nillable().
			MaxLen(63).
			Comment("Latest progress update (partner leads); see the workflow's progress options.").
			Annotations(entgql.Skip()),
		field.String("progress_note").
			Optional().
			Nillable().
			MaxLen(textBytes(10_000)).
			Annotations(entgql.Skip()),
		field.Time("progress_updated_at").
			Optional().
			Nillable().
			Annotations(entgql.Skip()),
		field.Int64("final_deal_amount").
			Optional().
			Nillable().
			Positive().
			Comment("Final deal value in minor units, recorded on completion.").
			Annotations(entgql.Skip()),
		field.String("final_deal_currency").Optional().Nillable().MaxLen(3).Annotations(entgql.Skip()),
		field.Time("completed_at").Optional().Nillable(),
		field.Enum("archive_reason").
			Values("BUDGET_TOO_LOW", "AT_CAPACITY", "SERVICE_NOT_OFFERED", "CUSTOMER_DECLINED", "OTHER").
			Optional().
			Nillable().
			Annotations(entgql.Type("DeclineReason")),
	}
}

// Edges of the Project.
func (Project) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workflow", Workflow.Type).
			Ref("projects").
			Field("workflow_id").
			Unique().
			Required().
			Immutable(),
		edge.To("status", Status.Type).
			Field("status_id").
			Unique().
			Required(),
		edge.To("customer", Customer.Type).
			Field("customer_id").
			Unique(),
		edge.To("assignee", Member.Type).
			Field("assignee_id").
			Unique(),
		edge.To("history", StatusChange.Type).
			Annotations(entgql.Skip()),
		edge.To("todos", Todo.Type).
			Annotations(entgql.Skip()),
	}
}

// Indexes of the Project.
func (Project) Indexes() []ent.Index {
	return []ent.Index{
		// The board: one column's active cards in (rank, id) order, read
		// as an index range with a LIMIT.
		index.Fields("tenant_id", "workflow_id", "status_id", "archived", "rank", "id"),
		// A customer's projects: the portal reads them on every request
		// (without it PostgreSQL filtered all of the tenant's projects).
		index.Fields("tenant_id", "customer_id"),
	}
}

// Annotations of the Project.
func (Project) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
	}
}
