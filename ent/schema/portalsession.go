package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// PortalSession is a customer's portal login, made by accepting an
// invitation. Only the SHA-256 of its token is stored.
type PortalSession struct {
	ent.Schema
}

// Mixin of the PortalSession.
func (PortalSession) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("pss_"), TenantMixin{}, TimeMixin{}}
}

// Fields of the PortalSession.
func (PortalSession) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").GoType(pulid.ID("")).Immutable(),
		field.String("invitation_id").GoType(pulid.ID("")).Immutable(),
		field.String("token_hash").Unique().Sensitive().Immutable(),
		field.Time("expires_at"),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Edges of the PortalSession.
func (PortalSession) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required().Immutable(),
		edge.To("invitation", Invitation.Type).Field("invitation_id").Unique().Required().Immutable(),
	}
}

// Annotations of the PortalSession.
func (PortalSession) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
