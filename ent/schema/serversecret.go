package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// ServerSecret is a random key the servers of one database share (signing
// file links, deriving survey tokens), made on first start so replicas and
// restarts agree without configuration.
type ServerSecret struct {
	ent.Schema
}

// Mixin of the ServerSecret.
func (ServerSecret) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("sec_"), TimeMixin{}}
}

// Fields of the ServerSecret.
func (ServerSecret) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().NotEmpty().Immutable(),
		field.Bytes("value").Sensitive().Immutable(),
	}
}

// Policy of the ServerSecret: SystemContext only.
func (ServerSecret) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// Annotations of the ServerSecret.
func (ServerSecret) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
