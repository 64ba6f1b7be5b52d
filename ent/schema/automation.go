package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/schema/schematype"
)

// Automation creates to-dos on every project that enters (or leaves) a
// status, in the same transaction as the move.
type Automation struct {
	ent.Schema
}

// Mixin of the Automation.
func (Automation) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("aut_"), TenantMixin{}, TimeMixin{}}
}

// Fields of the Automation.
func (Automation) Fields() []ent.Field {
	return []ent.Field{
		field.String("workflow_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("status_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.Enum("trigger").
			Values("ENTER", "LEAVE", "WISHES_SUBMITTED", "FILE_UPLOADED", "FEEDBACK_PINNED").
			Comment("ENTER and LEAVE fire on moves; the others on the customer's activity in the portal while the project is in the status.").
			Annotations(entgql.Type("AutomationTrigger")),
		field.JSON("todos", []schematype.TodoTemplate{}).
			Annotations(entgql.Skip()),
	}
}

// Edges of the Automation.
func (Automation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("workflow", Workflow.Type).Field("workflow_id").Unique().Required().Immutable(),
		edge.To("status", Status.Type).Field("status_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Automation.
func (Automation) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "status_id", "trigger")}
}

// Annotations of the Automation.
func (Automation) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
