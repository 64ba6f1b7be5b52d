package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// Survey is the NPS survey a completed project's customer answers once; the
// link's token is stored hashed.
type Survey struct {
	ent.Schema
}

// Mixin of the Survey.
func (Survey) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("svy_"), TenantMixin{}, TimeMixin{}}
}

// Fields of the Survey.
func (Survey) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Unique().Immutable().Annotations(entgql.Skip()),
		field.String("token_hash").Unique().Sensitive().Immutable().Annotations(entgql.Skip()),
		field.Time("sent_at").Immutable(),
		field.Int("score").Optional().Nillable().Min(0).Max(10),
		field.String("comment").Optional().Nillable().MaxLen(textBytes(10_000)),
		field.Time("answered_at").Optional().Nillable(),
	}
}

// Edges of the Survey.
func (Survey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("project", Project.Type).Field("project_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
	}
}

// Indexes of the Survey.
func (Survey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "answered_at")}
}

// Annotations of the Survey.
func (Survey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
