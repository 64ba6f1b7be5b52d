package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/tenant"
)

// Customer is the tenant's client a project is for.
type Customer struct {
	ent.Schema
}

// Mixin of the Customer.
func (Customer) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("cus_"), TenantMixin{Customers: tenant.CustomerScope{Access: tenant.CustomerOwnRow, Writable: true}}, TimeMixin{}}
}

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(textBytes(200)),
		field.String("company").Optional().Nillable().MaxLen(textBytes(200)),
		field.String("email").Optional().Nillable().MaxLen(textBytes(320)),
		field.String("phone").Optional().Nillable().MaxLen(textBytes(50)),
	}
}

// Annotations of the Customer.
func (Customer) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipOrderField)}
}
