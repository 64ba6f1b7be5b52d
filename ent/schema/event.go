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

// Event is one row of the event log (the outbox): every change of interest
// writes one in the change's own transaction (sdk/events), so a committed
// change always has its event and a rolled-back one never does. Events are
// written once and never change.
type Event struct {
	ent.Schema
}

// Mixin of the Event.
func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("evt_"), TenantMixin{}}
}

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("seq").Immutable().Positive().
			Comment("Position in the tenant's log, in commit order (1, 2, ...): feeds resume after it.").
			Annotations(entgql.OrderField("SEQ"), entgql.Skip(entgql.SkipType, entgql.SkipWhereInput)),
		field.String("type").NotEmpty().MaxLen(64).Immutable(),
		field.Time("occurred_at").Default(time.Now).Immutable(),
		field.String("actor").NotEmpty().MaxLen(80).Immutable().
			Comment("platform, member:<id>, customer:<id> or system."),
		field.String("project_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.JSON("data", map[string]any{}).Immutable(),
	}
}

// Edges of the Event.
func (Event) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("project", Project.Type).Field("project_id").Unique().Immutable(),
		edge.From("reads", NotificationRead.Type).Ref("event").Annotations(entgql.Skip()),
	}
}

// Indexes of the Event: the tenant's log in order, per project, and per
// project and type (sdk/events: an event after its project's
// project.archived is silenced, a lookup for every event delivered; a
// partial index of archives would be smaller, but PostgreSQL rewrites its
// condition, so that every migration would see it changed).
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "seq").Unique(),
		index.Fields("tenant_id", "project_id", "seq"),
		index.Fields("tenant_id", "project_id", "type", "seq"),
	}
}

// Annotations of the Event.
func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
