package tenancy

import (
	"context"
	"fmt"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant"
)

// Viewer returns the caller; anonymous callers are UNAUTHENTICATED.
func (s *Service) Viewer(ctx context.Context) (tenant.Actor, error) {
	return tenant.Require(ctx)
}

// ViewerTenant returns the tenant the caller acts in, or nil for the
// platform without X-Tenant.
func (s *Service) ViewerTenant(ctx context.Context) (*ent.Tenant, error) {
	a, err := tenant.Require(ctx)
	if err != nil || !a.HasTenant() {
		return nil, err
	}
	return s.Tenant(ctx)
}

// ViewerMember returns the calling member, or nil for other actors.
func (s *Service) ViewerMember(ctx context.Context) (*ent.Member, error) {
	a, err := tenant.Require(ctx)
	if err != nil || a.MemberID == "" {
		return nil, err
	}
	return s.client.Member.Get(ctx, a.MemberID)
}

// ViewerCustomer returns the calling customer, or nil for other actors.
func (s *Service) ViewerCustomer(ctx context.Context) (*ent.Customer, error) {
	a, err := tenant.Require(ctx)
	if err != nil || a.CustomerID == "" {
		return nil, err
	}
	return s.client.Customer.Get(ctx, a.CustomerID)
}

// MaxNodes bounds one nodes(ids) call.
const MaxNodes = 100

// Node returns the object of the caller's tenant with the ID, or nil when
// there is none: unknown, malformed, or another tenant's (no existence leak).
func (s *Service) Node(ctx context.Context, id pulid.ID) (ent.Noder, error) {
	if err := s.canReadNodes(ctx); err != nil {
		return nil, err
	}
	return s.node(ctx, id)
}

// Nodes is Node for several IDs; the result has one entry per ID, nil where
// Node would return nil.
func (s *Service) Nodes(ctx context.Context, ids []pulid.ID) ([]ent.Noder, error) {
	if err := s.canReadNodes(ctx); err != nil {
		return nil, err
	}
	if len(ids) > MaxNodes {
		return nil, errcode.Invalid("ids", fmt.Sprintf("at most %d ids per call", MaxNodes))
	}
	out := make([]ent.Noder, len(ids))
	for i, id := range ids {
		n, err := s.node(ctx, id)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// nodePermissions are the types whose nodes need more than reading
// projects: the event log and webhook endpoints are the admins'.
var nodePermissions = map[string]policies.Permission{
	"evt_": policies.ReadEvents,
	"whk_": policies.ManageWebhooks,
	"whd_": policies.ManageWebhooks,
}

func (s *Service) node(ctx context.Context, id pulid.ID) (ent.Noder, error) {
	if p, ok := nodePermissions[id.Prefix()]; ok {
		a, err := tenant.RequireStaff(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.authz.Require(a, p); err != nil {
			return nil, err
		}
	}
	n, err := s.client.Noder(ctx, id, ent.WithNodeType(ent.IDToType))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", id, err)
	}
	return n, nil
}

// canReadNodes: node lookups are the partner's private view, for members
// and the platform inside a tenant.
func (s *Service) canReadNodes(ctx context.Context) error {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return err
	}
	return s.authz.Require(a, policies.ReadProjects)
}
