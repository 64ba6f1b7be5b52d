package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// ProgressUpdate is one setProgress on a project (partner leads): the
// trail "Contacted → Call booked → Proposal sent", not only the latest.
type ProgressUpdate struct {
	ent.Schema
}

// Mixin of the ProgressUpdate.
func (ProgressUpdate) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("prg_"), TenantMixin{}}
}

// Fields of the ProgressUpdate.
func (ProgressUpdate) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Immutable(),
		field.String("key").NotEmpty().MaxLen(63).Immutable(),
		field.String("note").Optional().Nillable().Immutable().MaxLen(textBytes(10_000)),
		field.String("actor").Immutable(),
		field.Time("at").Default(time.Now).Immutable(),
	}
}

// Edges of the ProgressUpdate.
func (ProgressUpdate) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("project", Project.Type).Field("project_id").Unique().Required().Immutable(),
	}
}

// Indexes of the ProgressUpdate.
func (ProgressUpdate) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "project_id", "at")}
}

// Annotations of the ProgressUpdate.
func (ProgressUpdate) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
