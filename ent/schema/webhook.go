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

// Webhook is an endpoint a tenant's admins register to receive its events
// (Standard Webhooks). Its signing secrets are WebhookSecrets, never read
// through GraphQL: the secret is shown once, when it is made.
type Webhook struct {
	ent.Schema
}

// Mixin of the Webhook.
func (Webhook) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("whk_"), TenantMixin{}, TimeMixin{}}
}

// Fields of the Webhook.
func (Webhook) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxLen(textBytes(2000)),
		field.Strings("events").Optional().
			Comment("Event types delivered; empty: all."),
		field.String("description").Optional().Nillable().MaxLen(textBytes(500)),
		field.Bool("enabled").Default(true),
	}
}

// Edges of the Webhook.
func (Webhook) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("secrets", WebhookSecret.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip()),
	}
}

// Annotations of the Webhook.
func (Webhook) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// WebhookSecret is one signing secret of a webhook. Rotation adds a new one
// and gives the current ones an end: until then deliveries carry both
// signatures.
type WebhookSecret struct {
	ent.Schema
}

// Mixin of the WebhookSecret.
func (WebhookSecret) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("whs_"), TenantMixin{}}
}

// Fields of the WebhookSecret.
func (WebhookSecret) Fields() []ent.Field {
	return []ent.Field{
		field.String("webhook_id").GoType(pulid.ID("")).Immutable(),
		field.String("secret").Sensitive().NotEmpty().Immutable().
			Comment("whsec_ + base64 of 32 random bytes: the signing key, kept to sign."),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at").Optional().Nillable().
			Comment("When a rotated secret stops signing; nil: current."),
	}
}

// Edges of the WebhookSecret.
func (WebhookSecret) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("webhook", Webhook.Type).Ref("secrets").Field("webhook_id").Unique().Required().Immutable(),
	}
}

// Indexes of the WebhookSecret.
func (WebhookSecret) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "webhook_id")}
}

// Annotations of the WebhookSecret.
func (WebhookSecret) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
