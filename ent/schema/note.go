package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant"
)

// Note is a message of the team on a project (the seed's "Messages"):
// internal, or shared with the customer, who reads it in the portal.
type Note struct {
	ent.Schema
}

// Mixin of the Note.
func (Note) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("not_"), TenantMixin{Customers: tenant.CustomerScope{
		// Customers read the notes shared with them, never internal ones.
		Access: tenant.CustomerOwnProjects, Only: sql.FieldEQ("shared", true),
	}}, TimeMixin{}}
}

// Fields of the Note.
func (Note) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("author_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("body").NotEmpty().MaxLen(textBytes(10_000)),
		field.Bool("shared").Default(false).Comment("Shared with the customer: shown in the portal."),
	}
}

// Edges of the Note.
func (Note) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("project", Project.Type).Field("project_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
		edge.To("author", Member.Type).Field("author_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Note.
func (Note) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "project_id", "created_at")}
}

// Annotations of the Note.
func (Note) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
