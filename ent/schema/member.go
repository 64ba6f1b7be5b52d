package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant/role"
)

// Member is a user of the embedding platform working in a tenant; the JWT
// 'sub' names it by external ID.
type Member struct {
	ent.Schema
}

// Mixin of the Member.
func (Member) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("mem_"), TenantMixin{}, TimeMixin{}}
}

// Fields of the Member.
func (Member) Fields() []ent.Field {
	return []ent.Field{
		// Exposed as externalId by graph/schema (entgql would say externalID).
		field.String("external_id").
			NotEmpty().
			MaxLen(textBytes(200)).
			Immutable().
			Annotations(entgql.Skip(entgql.SkipType), entgql.OrderField("EXTERNAL_ID")),
		field.String("name").
			NotEmpty().
			MaxLen(textBytes(200)).
			Annotations(entgql.OrderField("NAME")),
		field.String("email").
			Optional().
			Nillable().
			MaxLen(textBytes(320)),
		field.Enum("role").
			GoType(role.Role("")).
			Annotations(entgql.Type("MemberRole")),
		// The notifications feed (sdk/notifications): all up to this seq
		// of the tenant's log were marked read at once, then.
		field.Int64("notifications_read_seq").Default(0).Annotations(entgql.Skip()),
		field.Time("notifications_read_at").Optional().Nillable().Annotations(entgql.Skip()),
		field.Time("removed_at").
			Optional().
			Nillable().
			Comment("When the member was removed from the tenant: their token no longer works; their time entries and history stay theirs."),
	}
}

// Indexes of the Member.
func (Member) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "external_id").Unique()}
}
