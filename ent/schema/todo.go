package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant"
)

// Todo is a checklist item of a project, created in (and belonging to) one
// status; a blocking one keeps the project in that status until done.
type Todo struct {
	ent.Schema
}

// Mixin of the Todo.
func (Todo) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("tod_"), TenantMixin{Customers: tenant.CustomerScope{
		// Customers see and write their feedback, never the team's checklists.
		Access: tenant.CustomerOwnProjects, Writable: true, Only: sql.FieldEQ("kind", "FEEDBACK"),
	}}, TimeMixin{}}
}

// Fields of the Todo.
func (Todo) Fields() []ent.Field {
	return []ent.Field{
		field.String("project_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("status_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("automation_id").GoType(pulid.ID("")).Optional().Nillable().Comment("The automation that made it; cleared when the automation is deleted.").Annotations(entgql.Skip()),
		field.String("title").NotEmpty().MaxLen(textBytes(500)),
		field.Bool("blocking").Default(false).Immutable(),
		field.Bool("done").Default(false),
		field.Time("done_at").Optional().Nillable(),
		field.String("assignee_id").GoType(pulid.ID("")).Optional().Nillable().Annotations(entgql.Skip()).
			Comment("The member who is to do it."),
		field.Time("due_at").Optional().Nillable(),
		field.Enum("kind").
			Values("CHECKLIST", "FEEDBACK").
			Default("CHECKLIST").
			Immutable().
			Comment("CHECKLIST: the team's to-dos; FEEDBACK: pinned by the customer in the portal."),
		field.String("page_url").Optional().Nillable().Immutable().MaxLen(textBytes(2000)),
		field.String("selector").Optional().Nillable().Immutable().MaxLen(textBytes(1000)),
		field.Float("x").Optional().Nillable().Immutable(),
		field.Float("y").Optional().Nillable().Immutable(),
		field.String("author").Optional().Immutable().Annotations(entgql.Skip()).
			Comment("Who created it: platform, member:<id>, customer:<id> or automation."),
	}
}

// Edges of the Todo.
func (Todo) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("project", Project.Type).Ref("todos").Field("project_id").Unique().Required().Immutable(),
		edge.To("status", Status.Type).Field("status_id").Unique().Required().Immutable(),
		edge.To("automation", Automation.Type).Field("automation_id").Unique().Annotations(entgql.Skip()),
		edge.To("assignee", Member.Type).Field("assignee_id").Unique(),
	}
}

// Indexes of the Todo.
func (Todo) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "project_id", "done")}
}

// Annotations of the Todo.
func (Todo) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
