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
	"github.com/lanes-dev/lanes/tenant"
)

// Workflow is a tenant's copy of a workflow template: its mode and, for
// STRICT workflows, the declared transitions.
type Workflow struct {
	ent.Schema
}

// Mixin of the Workflow.
func (Workflow) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("wf_"), TenantMixin{Customers: tenant.CustomerScope{Access: tenant.CustomerShared}}, TimeMixin{}}
}

// Fields of the Workflow.
func (Workflow) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().MaxLen(63).Immutable(),
		field.String("name").NotEmpty().MaxLen(200),
		field.Enum("mode").Values("FREE", "STRICT").Immutable(),
		field.Int("position").Default(0),
		field.String("template").
			Optional().
			Immutable().
			Comment("The template this workflow was installed from.").
			Annotations(entgql.Skip()),
		field.JSON("transitions", []schematype.Transition{}).
			Optional().
			Comment("Declared transitions of a STRICT workflow.").
			Annotations(entgql.Skip()),
		field.String("default_status").
			Optional().
			Comment("Key of the status new projects start in; empty: the first enabled status (STRICT: the first status of its transitions).").
			Annotations(entgql.Skip()),
		field.JSON("progress", &schematype.Progress{}).
			Optional().
			Comment("Progress updates the workflow offers, if any.").
			Annotations(entgql.Skip()),
	}
}

// Edges of the Workflow.
func (Workflow) Edges() []ent.Edge {
	return []ent.Edge{
		// Exposed through a hand-written field with includeDisabled.
		edge.To("statuses", Status.Type).Annotations(entgql.Skip()),
		edge.To("projects", Project.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of the Workflow.
func (Workflow) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "key").Unique()}
}

// Annotations of the Workflow.
func (Workflow) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
