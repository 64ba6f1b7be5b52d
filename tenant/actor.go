// Package tenant knows who is calling: the Actor in the context, and the
// rules that confine every ent query and mutation to the actor's tenant.
//
// It depends only on ent's core packages, never on the generated client, so
// the ent schemas can import it without a generation cycle.
package tenant

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant/role"
)

// Kind is the kind of caller.
type Kind string

// The actor kinds of the contract (ActorKind).
const (
	KindPlatform Kind = "PLATFORM"
	KindMember   Kind = "MEMBER"
	KindCustomer Kind = "CUSTOMER"
	// KindSystem is Lanes itself acting on a verified outside notice (a
	// payment provider's webhook, a survey token); it never authenticates
	// a request.
	KindSystem Kind = "SYSTEM"
)

// Actor is the authenticated caller of one request.
type Actor struct {
	Kind Kind
	// TenantID is the tenant the actor acts in; empty for the platform
	// before it names a tenant with X-Tenant.
	TenantID pulid.ID
	// MemberID is set for members.
	MemberID pulid.ID
	// CustomerID is set for customers (portal sessions).
	CustomerID pulid.ID
	// Role is the member's stored role; OWNER for the platform in a tenant;
	// empty for customers.
	Role role.Role
	// Credential identifies the credential that authenticated the actor
	// (an API key ID, a member ID, a session ID), for rate limits and logs.
	Credential string
	// ExpiresAt is when the credential stops being valid (a JWT's exp, a
	// portal session's end); zero for API keys. Long-lived connections
	// close then.
	ExpiresAt time.Time
}

// Label is how history and events name the actor: member:<id>,
// customer:<id>, or platform.
func (a Actor) Label() string {
	switch a.Kind {
	case KindMember:
		return "member:" + string(a.MemberID)
	case KindCustomer:
		return "customer:" + string(a.CustomerID)
	case KindSystem:
		return "system"
	}
	return "platform"
}

// HasTenant reports whether the actor acts inside a tenant.
func (a Actor) HasTenant() bool { return a.TenantID != "" }

// IsStaff reports whether the actor works for the tenant (platform or member),
// as opposed to a customer.
func (a Actor) IsStaff() bool {
	return a.HasTenant() && (a.Kind == KindPlatform || a.Kind == KindMember)
}

type actorKey struct{}

// NewContext returns a context carrying the actor.
func NewContext(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// FromContext returns the actor in ctx, if any.
func FromContext(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// ErrUnauthenticated is returned when a call needs credentials it lacks.
var ErrUnauthenticated = errcode.New(errcode.Unauthenticated, "authentication required")

// ErrForbidden is returned when the actor's role does not allow a call.
var ErrForbidden = errcode.New(errcode.Forbidden, "not allowed for this role")

// Require returns the actor in ctx, or ErrUnauthenticated.
func Require(ctx context.Context) (Actor, error) {
	a, ok := FromContext(ctx)
	if !ok {
		return Actor{}, ErrUnauthenticated
	}
	return a, nil
}

// RequireTenant returns the actor in ctx when it acts inside a tenant; the
// platform without X-Tenant and anonymous callers get ErrUnauthenticated.
func RequireTenant(ctx context.Context) (Actor, error) {
	a, ok := FromContext(ctx)
	if !ok || !a.HasTenant() {
		return Actor{}, errcode.New(errcode.Unauthenticated, "a tenant is required: send X-Tenant with the API key, or a member token")
	}
	return a, nil
}

// RequireStaff returns the actor when it is the platform or a member inside a
// tenant. Customers get ErrForbidden (the order of checks of the contract:
// credentials first, then role).
func RequireStaff(ctx context.Context) (Actor, error) {
	a, err := RequireTenant(ctx)
	if err != nil {
		return a, err
	}
	if !a.IsStaff() {
		return a, ErrForbidden
	}
	return a, nil
}

// MarshalGQL implements graphql.Marshaler (ActorKind).
func (k Kind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL implements graphql.Unmarshaler (ActorKind).
func (k *Kind) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch Kind(s) {
	case KindPlatform, KindMember, KindCustomer:
		*k = Kind(s)
		return nil
	}
	return fmt.Errorf("%v is not a valid ActorKind", v)
}

// Within returns a context acting in tenantID: the platform may act in any
// tenant (as OWNER), everyone else only in their own. Another tenant is
// reported as not found, so its existence does not leak.
func Within(ctx context.Context, tenantID pulid.ID) (context.Context, error) {
	a, err := Require(ctx)
	if err != nil {
		return ctx, err
	}
	switch {
	case a.TenantID == tenantID:
		return ctx, nil
	case a.Kind == KindPlatform:
		a.TenantID, a.Role = tenantID, role.Owner
		return NewContext(ctx, a), nil
	}
	return ctx, errcode.New(errcode.NotFound, "tenant not found")
}
