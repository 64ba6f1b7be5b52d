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

// StatusChange is one row of a project's history: every status change, in
// any workflow, writes one in the same transaction as the change.
type StatusChange struct {
	ent.Schema
}

// Mixin of the StatusChange.
func (StatusChange) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("chg_"), TenantMixin{}}
}

// Fields of the StatusChange.
func (StatusChange) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("from_status_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.String("to_status_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("action").NotEmpty().MaxLen(32).Immutable().
			Comment("create, move, advance, accept, decline, secure, complete, migrate"),
		field.String("actor").Immutable().
			Comment("Who made the change: platform, member:<id> or customer:<id>."),
		field.Time("at").Default(time.Now).Immutable(),
		field.String("reason").Optional().Nillable().Immutable().MaxLen(textBytes(10_000)),
		field.String("note").Optional().Nillable().Immutable().MaxLen(textBytes(10_000)),
		field.Bool("checklist_overridden").Default(false).Immutable().
			Comment("An ADMIN moved the project on past open blocking to-dos (the reason says why)."),
	}
}

// Edges of the StatusChange.
func (StatusChange) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("project", Project.Type).
			Ref("history").
			Field("project_id").
			Unique().
			Required().
			Immutable(),
		edge.To("from", Status.Type).
			Field("from_status_id").
			Unique().
			Immutable(),
		edge.To("to", Status.Type).
			Field("to_status_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes of the StatusChange.
func (StatusChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "project_id", "at")}
}

// Annotations of the StatusChange.
func (StatusChange) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
