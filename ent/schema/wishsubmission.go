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
	"github.com/lanes-dev/lanes/tenant"
)

// WishSubmission is one submission of a project's wishes (the customer's
// briefing); the latest one counts, earlier ones stay as history.
type WishSubmission struct {
	ent.Schema
}

// Mixin of the WishSubmission.
func (WishSubmission) Mixin() []ent.Mixin {
	return []ent.Mixin{
		pulid.MixinWithPrefix("wsh_"),
		TenantMixin{Customers: tenant.CustomerScope{Access: tenant.CustomerOwnProjects, Writable: true}},
	}
}

// Fields of the WishSubmission.
func (WishSubmission) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.JSON("answers", map[string]any{}).Immutable(),
		field.Time("submitted_at").Default(time.Now).Immutable(),
		field.String("submitted_by").Immutable().Annotations(entgql.Skip()),
	}
}

// Edges of the WishSubmission.
func (WishSubmission) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("project", Project.Type).Field("project_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
	}
}

// Indexes of the WishSubmission.
func (WishSubmission) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "project_id", "submitted_at")}
}

// Annotations of the WishSubmission.
func (WishSubmission) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
