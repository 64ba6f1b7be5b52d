package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// APIKey is a platform credential (X-Api-Key). Only the SHA-256 of the
// secret is stored; keys are high-entropy random strings, so a fast hash is
// the right tool (no password stretching needed).
type APIKey struct {
	ent.Schema
}

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("key_"), TimeMixin{}}
}

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		field.String("secret_hash").
			Unique().
			Sensitive().
			NotEmpty().
			Comment("hex SHA-256 of the key"),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Policy of the APIKey: only SystemContext (credential lookup, bootstrap)
// reads or writes keys.
func (APIKey) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// Annotations of the APIKey.
func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
