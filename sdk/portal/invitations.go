package portal

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/origin"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// InviteCustomerInput is the input of InviteCustomer.
type InviteCustomerInput struct {
	ProjectID pulid.ID
	Email     string
}

// Invitation is an invitation just made: Token and URL are shown once
// (only the token's hash is stored).
type Invitation struct {
	*ent.Invitation
	Token string
	URL   string
}

// InviteCustomer invites the project's customer into the portal: a random
// single-use token, stored hashed, valid InvitationTTL. A project without a
// customer gets one with the e-mail address.
func (s *Service) InviteCustomer(ctx context.Context, in InviteCustomerInput) (*Invitation, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	var out *Invitation
	err = entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		p, err := c.Project.Get(ctx, in.ProjectID)
		if ent.IsNotFound(err) {
			return ErrProjectNotFound.With("id", in.ProjectID)
		}
		if err != nil {
			return fmt.Errorf("load project %s: %w", in.ProjectID, err)
		}
		if err := s.cfg.Authz.Require(a, policies.InviteCustomers); err != nil {
			return err
		}
		if err := workflow.Frozen(p); err != nil {
			return err
		}
		email, err := validate.Email("email", in.Email)
		if err != nil {
			return err
		}
		customerID, err := s.customerFor(ctx, c, p, email)
		if err != nil {
			return err
		}
		token := auth.NewSecret(auth.InvitationTokenPrefix)
		inv, err := c.Invitation.Create().
			SetProjectID(p.ID).
			SetCustomerID(customerID).
			SetEmail(email).
			SetTokenHash(auth.HashSecret(token)).
			SetExpiresAt(time.Now().Add(s.cfg.InvitationTTL)).
			SetInvitedBy(a.Label()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("create invitation: %w", err)
		}
		out = &Invitation{Invitation: inv, Token: token, URL: s.invitationURL(ctx, token)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Invitation = out.Invitation.Unwrap()
	return out, nil
}

// customerFor returns the project's customer, giving the project one (with
// the address) when it has none; a customer without an address gets it.
func (s *Service) customerFor(ctx context.Context, c *ent.Client, p *ent.Project, email string) (pulid.ID, error) {
	if p.CustomerID != nil {
		cu, err := c.Customer.Get(ctx, *p.CustomerID)
		if err != nil {
			return "", fmt.Errorf("load customer of %s: %w", p.ID, err)
		}
		if cu.Email == nil {
			if err := c.Customer.UpdateOne(cu).SetEmail(email).Exec(ctx); err != nil {
				return "", fmt.Errorf("set customer email: %w", err)
			}
		}
		return cu.ID, nil
	}
	cu, err := c.Customer.Create().SetName(validate.Truncate(email, validate.MaxName)).SetEmail(email).Save(ctx)
	if err != nil {
		return "", fmt.Errorf("create customer: %w", err)
	}
	if err := c.Project.UpdateOne(p).SetCustomerID(cu.ID).AddVersion(1).Exec(ctx); err != nil {
		return "", fmt.Errorf("link customer: %w", err)
	}
	return cu.ID, nil
}

// invitationURL is the link a customer opens: the configured page, else
// the console's accept page where the request was served.
func (s *Service) invitationURL(ctx context.Context, token string) string {
	page := origin.Link(ctx, s.cfg.PortalURL, "/portal/accept")
	u, err := url.Parse(page)
	if err != nil {
		return "?token=" + url.QueryEscape(token)
	}
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// AcceptInvitation turns an invitation token into a portal session token
// (anonymous: the token is the credential). A used, expired or unknown
// token is TOKEN_INVALID.
func (s *Service) AcceptInvitation(ctx context.Context, token string) (*auth.Session, error) {
	return s.cfg.Authn.AcceptInvitation(ctx, token, s.cfg.SessionTTL)
}
