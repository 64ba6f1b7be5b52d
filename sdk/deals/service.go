// Package deals is the money end of the partner-lead lifecycle: payment
// links and revenue-share payments of secured projects, completion with the
// final deal value, the customer's NPS survey and the partner's private
// review of the customer.
package deals

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"golang.org/x/text/currency"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// Errors of the deals service.
var (
	ErrProjectNotFound    = errcode.New(errcode.NotFound, "project not found")
	ErrPaymentRequired    = errcode.New(errcode.PaymentRequired, "a paid payment (link paid or revenue share recorded) is needed first")
	ErrNoPaymentProvider  = errcode.New(errcode.Validation, "no payment provider is configured (set LANES_STRIPE_KEY)")
	ErrProvider           = errcode.New(errcode.Internal, "the payment provider failed; try again")
	ErrNotPayable         = errcode.New(errcode.TransitionNotAllowed, "payments are taken for secured projects only")
	ErrNotCompleted       = errcode.New(errcode.TransitionNotAllowed, "customers are reviewed after completion")
	ErrSurveyTokenInvalid = auth.ErrSurveyTokenInvalid
)

// Errors a payment provider returns for the caller to see (see
// PaymentProvider).
var (
	// ErrProviderRefused: the provider refused the request for a reason the
	// caller can correct (an amount below its minimum, a currency it does
	// not take); providers replace the message with their reason.
	ErrProviderRefused = errcode.New(errcode.Validation, "the payment provider refused the payment link")
	// ErrProviderUnavailable: the provider is down, rate limited or out of
	// reach; the same request may succeed later.
	ErrProviderUnavailable = errcode.New(errcode.Unavailable, "the payment provider is unavailable; try again later")
)

// Money is an amount in minor units and an ISO 4217 currency.
type Money struct {
	Amount   int64
	Currency string
}

// validMoney checks a positive amount in a known ISO 4217 currency and
// returns it with the code upper-cased.
func validMoney(field string, m Money) (Money, error) {
	code := strings.ToUpper(strings.TrimSpace(m.Currency))
	if m.Amount <= 0 {
		return m, errcode.Invalid(field+".amount", "the amount must be positive (minor units)")
	}
	if _, err := currency.ParseISO(code); err != nil || len(code) != 3 {
		return m, errcode.Invalid(field+".currency", "the currency must be an ISO 4217 code such as EUR")
	}
	return Money{Amount: m.Amount, Currency: code}, nil
}

// PaymentLinkRequest asks a provider for a payment link.
type PaymentLinkRequest struct {
	// PaymentID, TenantID and ProjectID go to the provider as metadata.
	PaymentID, TenantID, ProjectID pulid.ID
	Amount                         Money
	Description                    string
}

// PaymentLink is a provider's payment link.
type PaymentLink struct {
	ExternalID string
	URL        string
}

// PaymentProvider makes payment links; its paid notifications arrive at
// the provider's webhook. Stripe is built in; a platform plugs its own.
//
// An error of CreatePaymentLink that carries an errcode (ErrProviderRefused
// with the provider's reason, ErrProviderUnavailable, or any other) reaches
// the caller with that code; any other error is ErrProvider (INTERNAL). A
// failed call leaves nothing usable behind at the provider.
type PaymentProvider interface {
	Name() string
	CreatePaymentLink(ctx context.Context, req PaymentLinkRequest) (*PaymentLink, error)
}

// Config are the dependencies of the deals service.
type Config struct {
	Client   *ent.Client
	Authz    policies.Roles
	Engine   *workflow.Service
	Authn    *auth.Authenticator
	Provider PaymentProvider // nil: payment links are refused
	// Logger receives the provider's failures that are not INTERNAL (the
	// caller's error presenter logs those); nil: slog.Default().
	Logger *slog.Logger
	// SurveyKey derives survey tokens (auth.ServerSecret).
	SurveyKey []byte
	// SurveyURL is the page of the embedding platform that takes survey
	// answers; the token is appended as ?token=.
	SurveyURL string
	// Events records payments and survey answers.
	Events *events.Log
}

// Service is the deals domain service.
type Service struct {
	cfg Config
}

// NewService returns the deals service.
func NewService(cfg Config) *Service { return &Service{cfg: cfg} }

// begin loads a project of the caller's tenant and checks that the caller
// may act on projects (objects first, then the role).
func (s *Service) begin(ctx context.Context, c *ent.Client, projectID pulid.ID) (tenant.Actor, *ent.Project, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return a, nil, err
	}
	p, err := c.Project.Get(ctx, projectID)
	if ent.IsNotFound(err) {
		return a, nil, ErrProjectNotFound.With("id", projectID)
	}
	if err != nil {
		return a, nil, fmt.Errorf("load project %s: %w", projectID, err)
	}
	if err := s.cfg.Authz.Require(a, policies.WriteProjects); err != nil {
		return a, nil, err
	}
	return a, p, nil
}

// record records an event of a project's deal: the project as it is, and
// the object under its name.
func (s *Service) record(ctx context.Context, c *ent.Client, typ events.Type, projectID pulid.ID, name string, object map[string]any) error {
	p, err := c.Project.Get(ctx, projectID)
	if err != nil {
		return fmt.Errorf("load project %s: %w", projectID, err)
	}
	project, err := s.cfg.Engine.EventProject(ctx, c, p)
	if err != nil {
		return err
	}
	_, err = s.cfg.Events.Record(ctx, events.Event{Type: typ, Project: p.ID, Data: map[string]any{"project": project, name: object}})
	return err
}

func paymentData(p *ent.Payment) map[string]any {
	return map[string]any{
		"id": p.ID, "kind": p.Kind, "status": p.Status,
		"amount": map[string]any{"amount": p.Amount, "currency": p.Currency},
	}
}

// payable reports whether the project's status is where payments are taken:
// the start of a transition of its workflow that needs a payment.
func (s *Service) payable(ctx context.Context, c *ent.Client, p *ent.Project) (bool, error) {
	w, err := c.Workflow.Get(ctx, p.WorkflowID)
	if err != nil {
		return false, err
	}
	st, err := c.Status.Get(ctx, p.StatusID)
	if err != nil {
		return false, err
	}
	for _, t := range w.Transitions {
		if t.From == st.Key && slices.Contains(t.Needs, "payment") {
			return !p.Archived, nil
		}
	}
	return false, nil
}
