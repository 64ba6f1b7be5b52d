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
		field.String("disabled_reason").Optional().Nillable().MaxLen(textBytes(500)).
			Comment("Why Lanes disabled the endpoint (it failed for days); cleared when it is enabled again."),
		field.Time("failing_since").Optional().Nillable().
			Comment("Start of the current run of failed deliveries; nil while deliveries succeed."),
		field.Time("next_attempt_at").Optional().Nillable().
			Comment("When a failing endpoint is tried again (exponential backoff)."),
		// Delivery state (sdk/webhook's Deliverer), not part of the API.
		field.Int64("delivered_seq").Default(0).
			Comment("The tenant's events up to this seq are delivered or skipped (filtered, muted).").
			Annotations(entgql.Skip()),
		field.Int("failures").Default(0).NonNegative().
			Comment("Failed attempts at the endpoint's oldest undelivered event.").
			Annotations(entgql.Skip()),
		field.Int64("wake_seq").Default(0).
			Comment("The highest seq a delivery job asked for while another held the lease: the holder drains through it before letting go.").
			Annotations(entgql.Skip()),
		field.Int64("lease_job").Optional().Nillable().
			Comment("The River job draining the endpoint now: one at a time keeps deliveries in order.").
			Annotations(entgql.Skip()),
		field.Time("lease_until").Optional().Nillable().
			Comment("When the lease lapses if its holder is gone.").
			Annotations(entgql.Skip()),
		field.Int64("retry_job").Optional().Nillable().
			Comment("The River job that retries after a failure; during the backoff only it drains.").
			Annotations(entgql.Skip()),
	}
}

// Edges of the Webhook.
func (Webhook) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("secrets", WebhookSecret.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip()),
		edge.To("deliveries", WebhookDelivery.Type).
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

// WebhookDelivery is one attempt to deliver an event to a webhook: what
// the receiver answered, how long it took, or why it failed.
type WebhookDelivery struct {
	ent.Schema
}

// Mixin of the WebhookDelivery.
func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("whd_"), TenantMixin{}}
}

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.String("webhook_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("event_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.Int("attempt").Positive().Immutable().
			Comment("1 for the first attempt of this event at this endpoint, 2 for its first retry, ..."),
		field.Int("status_code").Optional().Nillable().Immutable().
			Comment("The receiver's HTTP status; nil when there was no answer."),
		field.Bool("succeeded").Immutable(),
		field.Time("at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("AT")),
		field.Int("duration_ms").NonNegative().Immutable(),
		field.String("error").Optional().Nillable().MaxLen(textBytes(1000)).Immutable().
			Comment("Why the attempt failed: no connection, a timeout, a refused address, a non-2xx status."),
		field.String("response").Optional().Nillable().MaxLen(textBytes(1000)).Immutable().
			Comment("The start of the receiver's answer, for debugging."),
		field.Bool("redelivery").Default(false).Immutable().
			Comment("Sent by redeliverEvent rather than by the queue."),
	}
}

// Edges of the WebhookDelivery.
func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("webhook", Webhook.Type).Ref("deliveries").Field("webhook_id").Unique().Required().Immutable().
			Annotations(entgql.Skip()),
		edge.To("event", Event.Type).Field("event_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the WebhookDelivery: an endpoint's attempts, newest first.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "webhook_id", "at")}
}

// Annotations of the WebhookDelivery.
func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
