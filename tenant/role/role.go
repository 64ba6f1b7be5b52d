// Package role defines the roles a member holds in a tenant. It is its own
// package so the ent schema can store the type without importing package
// tenant into generated code (ent generates a package named tenant too).
package role

import (
	"fmt"
	"io"
	"strconv"
)

// Role is a member's role in a tenant.
type Role string

// The roles of the contract (MemberRole), most powerful first.
const (
	Owner  Role = "OWNER"
	Admin  Role = "ADMIN"
	Member Role = "MEMBER"
	Viewer Role = "VIEWER"
)

// Values lists the roles; ent uses it for the enum column.
func (Role) Values() []string {
	return []string{string(Owner), string(Admin), string(Member), string(Viewer)}
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	switch r {
	case Owner, Admin, Member, Viewer:
		return true
	}
	return false
}

// String implements fmt.Stringer.
func (r Role) String() string { return string(r) }

// MarshalGQL implements graphql.Marshaler.
func (r Role) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (r *Role) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !Role(s).Valid() {
		return fmt.Errorf("%v is not a valid MemberRole", v)
	}
	*r = Role(s)
	return nil
}
