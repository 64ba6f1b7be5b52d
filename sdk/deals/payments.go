package deals

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/payment"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant"
)

// CreatePaymentLinkInput is the input of CreatePaymentLink.
type CreatePaymentLinkInput struct {
	ProjectID   pulid.ID
	Amount      Money
	Description *string
}

// CreatePaymentLink creates a real payment link with the configured
// provider for a secured project, and records it as an OPEN payment; it
// turns PAID when the provider's signed webhook says so.
func (s *Service) CreatePaymentLink(ctx context.Context, in CreatePaymentLinkInput) (*ent.Payment, error) {
	c := s.cfg.Client
	_, p, err := s.begin(ctx, c, in.ProjectID)
	if err != nil {
		return nil, err
	}
	if err := workflow.Frozen(p); err != nil {
		return nil, err
	}
	amount, err := validMoney("amount", in.Amount)
	if err != nil {
		return nil, err
	}
	description, err := validate.Optional("description", in.Description, validate.MaxDescription)
	if err != nil {
		return nil, err
	}
	if ok, err := s.payable(ctx, c, p); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrNotPayable
	}
	if s.cfg.Provider == nil {
		return nil, ErrNoPaymentProvider
	}
	id := pulid.New("pay_")
	req := PaymentLinkRequest{PaymentID: id, TenantID: p.TenantID, ProjectID: p.ID, Amount: amount, Description: p.Title}
	if description != nil {
		req.Description = *description
	}
	link, err := s.cfg.Provider.CreatePaymentLink(ctx, req)
	if err != nil {
		return nil, s.providerError(ctx, p.ID, err)
	}
	var out *ent.Payment
	err = entx.WithTx(ctx, c, func(ctx context.Context, c *ent.Client) error {
		// The status may have changed during the provider call.
		locked, err := c.Project.Get(ctx, p.ID)
		if err != nil {
			return err
		}
		if ok, err := s.payable(ctx, c, locked); err != nil {
			return err
		} else if !ok {
			return ErrNotPayable
		}
		out, err = c.Payment.Create().
			SetID(id).
			SetProjectID(p.ID).
			SetKind(payment.KindPAYMENT_LINK).
			SetProvider(s.cfg.Provider.Name()).
			SetExternalID(link.ExternalID).
			SetURL(link.URL).
			SetAmount(amount.Amount).
			SetCurrency(amount.Currency).
			SetNillableDescription(description).
			Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// providerError is what the caller learns of a failed payment link: the
// provider's code (a refusal with its reason, an outage) when its error
// carries one, the request's own cancellation or deadline as it is, and
// ErrProvider (INTERNAL) for anything else.
func (s *Service) providerError(ctx context.Context, projectID pulid.ID, err error) error {
	name := s.cfg.Provider.Name()
	if _, ok := errcode.As(err); !ok && ctx.Err() == nil {
		return fmt.Errorf("%w: %s: %w", ErrProvider, name, err)
	}
	err = fmt.Errorf("payment link of project %s: %s: %w", projectID, name, err)
	if errcode.CodeOf(err) != errcode.Internal {
		logger := s.cfg.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.WarnContext(ctx, "payment provider failed", "provider", name, "project", projectID,
			"code", errcode.CodeOf(err), "err", err)
	}
	return err
}

// RecordRevenueShareInput is the input of RecordRevenueSharePayment.
type RecordRevenueShareInput struct {
	ProjectID pulid.ID
	Amount    Money
	Reference *string
}

// RecordRevenueSharePayment records the platform's revenue share the
// partner paid, as a PAID payment of a secured project.
func (s *Service) RecordRevenueSharePayment(ctx context.Context, in RecordRevenueShareInput) (*ent.Payment, error) {
	var out *ent.Payment
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		_, p, err := s.begin(ctx, c, in.ProjectID)
		if err != nil {
			return err
		}
		if err := workflow.Frozen(p); err != nil {
			return err
		}
		amount, err := validMoney("amount", in.Amount)
		if err != nil {
			return err
		}
		reference, err := validate.Optional("reference", in.Reference, validate.MaxReference)
		if err != nil {
			return err
		}
		if ok, err := s.payable(ctx, c, p); err != nil {
			return err
		} else if !ok {
			return ErrNotPayable
		}
		out, err = c.Payment.Create().
			SetProjectID(p.ID).
			SetKind(payment.KindREVENUE_SHARE).
			SetProvider("manual").
			SetAmount(amount.Amount).
			SetCurrency(amount.Currency).
			SetStatus(payment.StatusPAID).
			SetPaidAt(time.Now()).
			SetNillableReference(reference).
			Save(ctx)
		if err != nil {
			return err
		}
		return s.record(ctx, c, events.PaymentPaid, p.ID, "payment", paymentData(out))
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// MarkPaid marks the provider's payment paid: the effect of its verified
// webhook, run as the payment's tenant. Replays change nothing; unknown
// payments are ignored (the provider may notify about other links).
func (s *Service) MarkPaid(ctx context.Context, provider, externalID string, paidAt time.Time) (*ent.Payment, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return nil, err
	}
	var out *ent.Payment
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		p, err := c.Payment.Query().
			Where(payment.Provider(provider), payment.ExternalID(externalID)).
			Only(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		out = p
		if p.Status == payment.StatusPAID {
			return nil
		}
		// Only the notice that changes the row records payment.paid.
		n, err := c.Payment.Update().
			Where(payment.ID(p.ID), payment.StatusEQ(payment.StatusOPEN)).
			SetStatus(payment.StatusPAID).
			SetPaidAt(paidAt).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("mark payment %s paid: %w", p.ID, err)
		}
		if out, err = c.Payment.Get(ctx, p.ID); err != nil || n == 0 {
			return err // paid (or voided) meanwhile
		}
		return s.record(ctx, c, events.PaymentPaid, out.ProjectID, "payment", paymentData(out))
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// Payments lists a project's payments, oldest first (members).
func (s *Service) Payments(ctx context.Context, p *ent.Project) ([]*ent.Payment, error) {
	if _, err := tenant.RequireStaff(ctx); err != nil {
		return nil, err
	}
	return s.cfg.Client.Payment.Query().
		Where(payment.ProjectID(p.ID)).
		Order(ent.Asc(payment.FieldCreatedAt), ent.Asc(payment.FieldID)).
		All(ctx)
}

// ProviderName is the configured payment provider ("" for none).
func (s *Service) ProviderName() string {
	if s.cfg.Provider == nil {
		return ""
	}
	return strings.ToLower(s.cfg.Provider.Name())
}
