package tenancy

import (
	"context"
	"fmt"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// ErrMemberNotFound: no active member of the tenant has the ID.
var ErrMemberNotFound = errcode.New(errcode.NotFound, "member not found")

// MemberHooks are what other parts of Lanes do when a member changes.
type MemberHooks struct {
	// Changed runs after a role change or a removal commits: the member's
	// cached credentials are dropped (here; NOTIFY tells other replicas).
	Changed func(memberID pulid.ID)
	// Notify, on PostgreSQL, sends the change to the other replicas in
	// the change's transaction.
	Notify func(ctx context.Context, c *ent.Client, memberID pulid.ID) error
	// Removing runs in the removal's transaction: the member's running
	// timer stops.
	Removing func(ctx context.Context, c *ent.Client, memberID pulid.ID) error
}

// beginMemberChange loads an active member of the caller's tenant for a
// change (the object, then the role) and, when the change concerns an
// OWNER, checks that the caller may grant OWNER.
func (s *Service) beginMemberChange(ctx context.Context, c *ent.Client, id pulid.ID, newRole *role.Role) (*ent.Member, error) {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	q := c.Member.Query().Where(member.ID(id), member.RemovedAtIsNil())
	if s.postgres {
		// First the member's row, as starting a timer and assigning do:
		// they wait for the change, and see it.
		q.ForUpdate()
	}
	m, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrMemberNotFound.With("id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load member %s: %w", id, err)
	}
	if err := s.authz.Require(a, policies.ManageMembers); err != nil {
		return nil, err
	}
	if m.Role == role.Owner || newRole != nil && *newRole == role.Owner {
		if err := s.authz.Require(a, policies.GrantOwner); err != nil {
			return nil, errcode.New(errcode.Forbidden, "only an OWNER may make or unmake an OWNER")
		}
	}
	return m, nil
}

// keepAnOwner refuses a change that would leave the tenant without an
// active OWNER. On PostgreSQL the OWNERs' rows stay locked until the
// change commits, so two OWNERs demoting each other at once cannot both
// pass.
func (s *Service) keepAnOwner(ctx context.Context, c *ent.Client, m *ent.Member) error {
	if m.Role != role.Owner {
		return nil
	}
	q := c.Member.Query().Where(member.RoleEQ(role.Owner), member.RemovedAtIsNil())
	if s.postgres {
		q.ForUpdate()
	}
	owners, err := q.All(ctx)
	if err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if len(owners) <= 1 {
		return errcode.New(errcode.Validation, "the tenant's last OWNER stays an OWNER: make another member OWNER first").
			With("field", "memberId")
	}
	return nil
}

// memberChanged tells the caches of a committed member change.
func (s *Service) memberChanged(ctx context.Context, c *ent.Client, id pulid.ID) error {
	if tx := ent.TxFromContext(ctx); tx != nil && s.hooks.Changed != nil {
		tx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
				err := next.Commit(ctx, tx)
				s.hooks.Changed(id) // on failure too: the next request resolves it again
				return err
			})
		})
	}
	if s.hooks.Notify != nil {
		return s.hooks.Notify(ctx, c, id)
	}
	return nil
}

// UpdateMemberRole changes a member's role. ADMINs and OWNERs (and the
// platform) may; only OWNERs (and the platform) make or unmake an OWNER;
// the last OWNER stays one. The member's next request has the new role.
func (s *Service) UpdateMemberRole(ctx context.Context, id pulid.ID, newRole role.Role) (*ent.Member, error) {
	if !newRole.Valid() {
		return nil, errcode.Invalid("role", "role must be OWNER, ADMIN, MEMBER or VIEWER")
	}
	var out *ent.Member
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		m, err := s.beginMemberChange(ctx, c, id, &newRole)
		if err != nil {
			return err
		}
		if m.Role == newRole {
			out = m
			return nil
		}
		if newRole != role.Owner {
			if err := s.keepAnOwner(ctx, c, m); err != nil {
				return err
			}
		}
		if out, err = c.Member.UpdateOne(m).SetRole(newRole).Save(ctx); err != nil {
			return fmt.Errorf("role of %s: %w", id, err)
		}
		return s.memberChanged(ctx, c, id)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// RemoveMember removes a member from the tenant: their token stops
// working at once and their running timer stops; their time entries,
// history and notes stay attributed to them. Adding the same externalId
// again brings them back.
func (s *Service) RemoveMember(ctx context.Context, id pulid.ID) (pulid.ID, error) {
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		m, err := s.beginMemberChange(ctx, c, id, nil)
		if err != nil {
			return err
		}
		if err := s.keepAnOwner(ctx, c, m); err != nil {
			return err
		}
		if s.hooks.Removing != nil {
			if err := s.hooks.Removing(ctx, c, id); err != nil {
				return err
			}
		}
		if err := c.Member.UpdateOne(m).SetRemovedAt(s.now()).Exec(ctx); err != nil {
			return fmt.Errorf("remove member %s: %w", id, err)
		}
		return s.memberChanged(ctx, c, id)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
