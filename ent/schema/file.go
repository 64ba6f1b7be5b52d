package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant"
)

// File is an upload of the portal's file manager; its bytes live in the
// blob store under BlobKey.
type File struct {
	ent.Schema
}

// Mixin of the File.
func (File) Mixin() []ent.Mixin {
	return []ent.Mixin{
		pulid.MixinWithPrefix("fil_"),
		TenantMixin{Customers: tenant.CustomerScope{Access: tenant.CustomerOwnProjects, Writable: true}},
		TimeMixin{},
	}
}

// Fields of the File.
func (File) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("name").NotEmpty().MaxLen(255).Immutable(),
		field.Int64("size").NonNegative().Immutable(),
		field.String("content_type").NotEmpty().MaxLen(255).Immutable(),
		field.String("blob_key").NotEmpty().Immutable().Annotations(entgql.Skip()),
		field.String("uploaded_by").Immutable().Annotations(entgql.Skip()),
	}
}

// Edges of the File.
func (File) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("project", Project.Type).Field("project_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
	}
}

// Indexes of the File.
func (File) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "project_id", "created_at")}
}

// Annotations of the File.
func (File) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
