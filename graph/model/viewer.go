// Package model holds the GraphQL-only types (gqlgen writes models_gen.go).
package model

import (
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// Viewer is the caller; its tenant, member and customer resolve lazily.
type Viewer struct {
	Actor tenant.Actor
}

// Kind is the actor kind.
func (v *Viewer) Kind() tenant.Kind { return v.Actor.Kind }

// Role is the member role, nil for customers and the platform outside a
// tenant.
func (v *Viewer) Role() *role.Role {
	if v.Actor.Role == "" {
		return nil
	}
	r := v.Actor.Role
	return &r
}
