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
)

// TimeEntry is time a member spent on a project, in the status the project
// was in. A running timer is an entry without ended_at; the database keeps
// at most one per member.
type TimeEntry struct {
	ent.Schema
}

// Mixin of the TimeEntry.
func (TimeEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("tim_"), TenantMixin{}, TimeMixin{}}
}

// Fields of the TimeEntry.
func (TimeEntry) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("member_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("status_id").GoType(pulid.ID("")).Annotations(entgql.Skip()),
		field.Time("started_at").Annotations(entgql.OrderField("STARTED_AT")),
		field.Time("ended_at").Optional().Nillable(),
		field.Int("seconds").Default(0).NonNegative().
			Comment("Duration once stopped; 0 while running."),
		field.String("note").Optional().Nillable().MaxLen(textBytes(10_000)),
		field.Bool("billable").Default(true),
	}
}

// Edges of the TimeEntry.
func (TimeEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("project", Project.Type).Field("project_id").Unique().Required().Immutable(),
		edge.To("member", Member.Type).Field("member_id").Unique().Required().Immutable(),
		edge.To("status", Status.Type).Field("status_id").Unique().Required(),
	}
}

// Indexes of the TimeEntry.
func (TimeEntry) Indexes() []ent.Index {
	return []ent.Index{
		// Reports and a project's tracked time.
		index.Fields("tenant_id", "project_id", "started_at"),
		// Reports over a period, per tenant.
		index.Fields("tenant_id", "started_at"),
		// One running timer per member, enforced by the database.
		index.Fields("member_id").
			Unique().
			StorageKey("time_entries_one_running_per_member").
			Annotations(entsql.IndexWhere("ended_at IS NULL")),
	}
}

// Annotations of the TimeEntry.
func (TimeEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
