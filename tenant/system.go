package tenant

import (
	"context"

	"entgo.io/ent/privacy"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
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

// Background returns a context acting as Lanes' own background work (the
// webhook deliveries) inside one tenant: a system actor, with the
// tenant's isolation like any other.
func Background(parent context.Context, tenantID pulid.ID, worker string) context.Context {
	ctx := context.WithValue(parent, backgroundKey{}, true)
	return NewContext(ctx, Actor{Kind: KindSystem, TenantID: tenantID, Credential: worker})
}

// MarkBackground marks ctx as background work without naming a tenant
// (work across tenants, which reads with plain SQL).
func MarkBackground(parent context.Context) context.Context {
	return context.WithValue(parent, backgroundKey{}, true)
}

// IsBackground reports whether ctx is background work: statement counters
// of tests and benchmarks leave it out of the operation they measure.
func IsBackground(ctx context.Context) bool {
	v, _ := ctx.Value(backgroundKey{}).(bool)
	return v
}

type backgroundKey struct{}
