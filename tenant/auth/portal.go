package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/invitation"
	"github.com/lanes-dev/lanes/ent/portalsession"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant"
)

// Token prefixes: they tell the kinds of secrets apart at a glance (and in
// secret scanners).
const (
	InvitationTokenPrefix = "lpi_"
	// PortalTokenPrefix starts every portal session token, which tells it
	// apart from a JWT in the Authorization header.
	PortalTokenPrefix = "lps_"
)

// ErrTokenInvalid is the answer to a used, expired or unknown invitation.
var ErrTokenInvalid = errcode.New(errcode.TokenInvalid, "the invitation is invalid, used or expired")

// portalActor verifies a portal session token and returns its customer.
func (a *Authenticator) portalActor(ctx context.Context, token string) (tenant.Actor, error) {
	hash := HashSecret(token)
	s, err := a.client.PortalSession.Query().
		Where(portalsession.TokenHash(hash), portalsession.RevokedAtIsNil(), portalsession.ExpiresAtGT(time.Now())).
		Only(tenant.SystemContext(ctx))
	if ent.IsNotFound(err) {
		return tenant.Actor{}, ErrInvalidToken
	}
	if err != nil {
		return tenant.Actor{}, fmt.Errorf("look up portal session: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(s.TokenHash), []byte(hash)) != 1 {
		return tenant.Actor{}, ErrInvalidToken
	}
	return tenant.Actor{
		Kind:       tenant.KindCustomer,
		TenantID:   s.TenantID,
		CustomerID: s.CustomerID,
		Credential: "session:" + string(s.ID),
		ExpiresAt:  s.ExpiresAt,
	}, nil
}

// Session is a portal session just opened; Token is shown once.
type Session struct {
	*ent.PortalSession
	Token    string
	Customer *ent.Customer
}

// AcceptInvitation exchanges an invitation token for a portal session: the
// invitation must exist, be unused and unexpired (else TOKEN_INVALID), and
// is used up in the same transaction, so two accepts of one token cannot
// both succeed.
func (a *Authenticator) AcceptInvitation(ctx context.Context, token string, ttl time.Duration) (*Session, error) {
	sys := tenant.SystemContext(ctx)
	tx, err := a.client.Tx(sys)
	if err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	out, err := acceptInvitation(sys, tx.Client(), token, ttl)
	if err != nil {
		return nil, rollback(tx, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	out.Customer = out.Customer.Unwrap()
	out.PortalSession = out.PortalSession.Unwrap()
	return out, nil
}

func acceptInvitation(ctx context.Context, c *ent.Client, token string, ttl time.Duration) (*Session, error) {
	now := time.Now()
	inv, err := c.Invitation.Query().Where(invitation.TokenHash(HashSecret(token))).WithCustomer().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("look up invitation: %w", err)
	}
	if inv.AcceptedAt != nil || !now.Before(inv.ExpiresAt) {
		return nil, ErrTokenInvalid
	}
	used, err := c.Invitation.Update().
		Where(invitation.ID(inv.ID), invitation.AcceptedAtIsNil()).
		SetAcceptedAt(now).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("use invitation: %w", err)
	}
	if used != 1 {
		return nil, ErrTokenInvalid // accepted concurrently
	}
	sessionToken := NewSecret(PortalTokenPrefix)
	s, err := c.PortalSession.Create().
		SetTenantID(inv.TenantID).
		SetCustomerID(inv.CustomerID).
		SetInvitationID(inv.ID).
		SetTokenHash(HashSecret(sessionToken)).
		SetExpiresAt(now.Add(ttl)).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("open portal session: %w", err)
	}
	return &Session{PortalSession: s, Token: sessionToken, Customer: inv.Edges.Customer}, nil
}

func rollback(tx *ent.Tx, err error) error {
	if rerr := tx.Rollback(); rerr != nil {
		return fmt.Errorf("%w (rollback: %v)", err, rerr)
	}
	return err
}
