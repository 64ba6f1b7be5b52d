package tenant

import (
	"context"

	"entgo.io/ent/privacy"
)

// SystemContext returns a context that bypasses every privacy rule and the
// tenant filter. It exists for the few operations that must look across
// tenants before an actor is known: resolving credentials (API key, member,
// portal token lookups) and the platform's createTenant.
//
// It is the only place in Lanes that grants a privacy bypass; a test keeps
// it that way (TestSystemContextCallers).
func SystemContext(parent context.Context) context.Context {
	return privacy.DecisionContext(context.WithValue(parent, systemKey{}, true), privacy.Allow)
}

type systemKey struct{}

// IsSystem reports whether ctx was made by SystemContext.
func IsSystem(ctx context.Context) bool {
	v, _ := ctx.Value(systemKey{}).(bool)
	return v
}
