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

// Payment is money for a secured project: a payment link the customer pays
// through a provider (Stripe), or the platform's revenue share the partner
// paid.
type Payment struct {
	ent.Schema
}

// Mixin of the Payment.
func (Payment) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("pay_"), TenantMixin{}, TimeMixin{}}
}

// Fields of the Payment.
func (Payment) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.Enum("kind").Values("PAYMENT_LINK", "REVENUE_SHARE").Immutable().
			Annotations(entgql.Type("PaymentKind")),
		field.String("provider").NotEmpty().MaxLen(50).Immutable(),
		field.String("external_id").Optional().Nillable().Immutable().MaxLen(255).
			Comment("The provider's ID (a Stripe payment link); unique per provider."),
		field.String("url").Optional().Nillable().Immutable().MaxLen(2000),
		field.Int64("amount").Positive().Immutable().Annotations(entgql.Skip()).
			Comment("Minor units (cents)."),
		field.String("currency").NotEmpty().MaxLen(3).Immutable().Annotations(entgql.Skip()),
		field.Enum("status").Values("OPEN", "PAID", "VOID").Default("OPEN").
			Annotations(entgql.Type("PaymentStatus")),
		field.Time("paid_at").Optional().Nillable(),
		field.String("reference").Optional().Nillable().Immutable().MaxLen(textBytes(255)),
		field.String("description").Optional().Nillable().Immutable().MaxLen(textBytes(500)),
	}
}

// Edges of the Payment.
func (Payment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("project", Project.Type).Field("project_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
	}
}

// Indexes of the Payment.
func (Payment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "project_id"),
		index.Fields("provider", "external_id").Unique().
			Annotations(entsql.IndexWhere("external_id IS NOT NULL")),
	}
}

// Annotations of the Payment.
func (Payment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
