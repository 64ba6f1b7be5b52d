package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// CustomerReview is the partner's private review of a completed project's
// customer: one per project, never visible to the customer (customers have
// no access to the type at all).
type CustomerReview struct {
	ent.Schema
}

// Mixin of the CustomerReview.
func (CustomerReview) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("rev_"), TenantMixin{}, TimeMixin{}}
}

// Fields of the CustomerReview.
func (CustomerReview) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Unique().Immutable().Annotations(entgql.Skip()),
		field.Int("rating").Min(1).Max(5),
		field.String("comment").Optional().Nillable().MaxLen(textBytes(10_000)),
		field.String("author").Annotations(entgql.Skip()),
	}
}

// Edges of the CustomerReview.
func (CustomerReview) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("project", Project.Type).Field("project_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
	}
}

// Annotations of the CustomerReview.
func (CustomerReview) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
