package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// NotificationRead records that a member read one notification. The
// notifications themselves are not stored: a member's feed is the
// tenant's notifiable events (sdk/notifications), so an event costs no
// write per member.
type NotificationRead struct {
	ent.Schema
}

// Mixin of the NotificationRead.
func (NotificationRead) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("ntr_"), TenantMixin{}}
}

// Fields of the NotificationRead.
func (NotificationRead) Fields() []ent.Field {
	return []ent.Field{
		field.String("member_id").GoType(pulid.ID("")).Immutable(),
		field.String("event_id").GoType(pulid.ID("")).Immutable(),
		field.Time("read_at").Default(time.Now).Immutable(),
	}
}

// Edges of the NotificationRead.
func (NotificationRead) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("event", Event.Type).Field("event_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the NotificationRead: once per member and event.
func (NotificationRead) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "member_id", "event_id").Unique()}
}

// Annotations of the NotificationRead.
func (NotificationRead) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
