package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	entwebhook "github.com/lanes-dev/lanes/ent/webhook"
	"github.com/lanes-dev/lanes/ent/webhooksecret"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// Limits of webhook endpoints.
const (
	// MaxPerTenant bounds a tenant's endpoints (and so the webhooks list).
	MaxPerTenant = 20
	// RotationOverlap is how long a rotated secret keeps signing beside
	// the new one.
	RotationOverlap = 24 * time.Hour
	// SecretPrefix starts every signing secret (Standard Webhooks).
	SecretPrefix = "whsec_"
)

// Errors of the webhook service.
var (
	ErrNotFound = errcode.New(errcode.NotFound, "webhook not found")
	ErrTooMany  = errcode.New(errcode.Validation, fmt.Sprintf("a tenant has at most %d webhooks", MaxPerTenant))
)

// Config wires the service.
type Config struct {
	Client *ent.Client
	Authz  policies.Roles
	// AllowLoopback lets webhooks use http:// to loopback addresses
	// (LANES_WEBHOOK_ALLOW_LOOPBACK; development and tests).
	AllowLoopback bool
}

// Service manages the webhook endpoints of the caller's tenant: the
// platform and ADMIN or OWNER members; others are FORBIDDEN.
type Service struct{ cfg Config }

// NewService returns the webhook service.
func NewService(cfg Config) *Service { return &Service{cfg: cfg} }

// AllowLoopback reports whether loopback targets are allowed.
func (s *Service) AllowLoopback() bool { return s.cfg.AllowLoopback }

// CreateInput is the input of Create.
type CreateInput struct {
	URL string
	// Events are the event types delivered; empty: all.
	Events      []string
	Description *string
}

// UpdateInput is the input of Update; nil fields stay.
type UpdateInput struct {
	ID          pulid.ID
	URL         *string
	Events      []string
	Enabled     *bool
	Description *string
}

// Secret returns the signing secret a webhook was just given by Create or
// RotateSecret ("" for a webhook read any other way: a secret is shown
// once).
func Secret(w *ent.Webhook) string {
	for _, sec := range w.Edges.Secrets {
		if sec.ExpiresAt == nil {
			return sec.Secret
		}
	}
	return ""
}

// Create registers an endpoint; the returned webhook carries its secret
// (Secret), the only time it is shown.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.Webhook, error) {
	var out *ent.Webhook
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		if err := s.require(ctx); err != nil {
			return err
		}
		u, err := CheckURL("url", in.URL, s.cfg.AllowLoopback)
		if err != nil {
			return err
		}
		types, err := eventTypes(in.Events)
		if err != nil {
			return err
		}
		description, err := validate.Optional("description", in.Description, validate.MaxDescription)
		if err != nil {
			return err
		}
		n, err := c.Webhook.Query().Count(ctx)
		if err != nil {
			return fmt.Errorf("count webhooks: %w", err)
		}
		if n >= MaxPerTenant {
			return ErrTooMany.With("limit", MaxPerTenant)
		}
		w, err := c.Webhook.Create().
			SetURL(u.String()).
			SetEvents(types).
			SetNillableDescription(description).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		sec, err := newSecret(ctx, c, w.ID)
		if err != nil {
			return err
		}
		w.Edges.Secrets = []*ent.WebhookSecret{sec}
		out = w
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes an endpoint's URL, event types, description or whether
// it is enabled.
func (s *Service) Update(ctx context.Context, in UpdateInput) (*ent.Webhook, error) {
	var out *ent.Webhook
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		w, err := s.load(ctx, c, in.ID)
		if err != nil {
			return err
		}
		upd := c.Webhook.UpdateOne(w)
		if in.URL != nil {
			u, err := CheckURL("url", *in.URL, s.cfg.AllowLoopback)
			if err != nil {
				return err
			}
			upd.SetURL(u.String())
		}
		if in.Events != nil {
			types, err := eventTypes(in.Events)
			if err != nil {
				return err
			}
			upd.SetEvents(types)
		}
		if in.Description != nil {
			description, err := validate.Optional("description", in.Description, validate.MaxDescription)
			if err != nil {
				return err
			}
			if description == nil {
				upd.ClearDescription()
			} else {
				upd.SetDescription(*description)
			}
		}
		if in.Enabled != nil {
			upd.SetEnabled(*in.Enabled)
		}
		out, err = upd.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes an endpoint and its secrets.
func (s *Service) Delete(ctx context.Context, id pulid.ID) (pulid.ID, error) {
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		w, err := s.load(ctx, c, id)
		if err != nil {
			return err
		}
		if _, err := c.WebhookSecret.Delete().Where(webhooksecret.WebhookID(w.ID)).Exec(ctx); err != nil {
			return fmt.Errorf("delete webhook secrets: %w", err)
		}
		return c.Webhook.DeleteOne(w).Exec(ctx)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// RotateSecret gives an endpoint a new secret, returned with it (Secret);
// the current ones keep signing for RotationOverlap, so receivers can
// switch without losing a delivery.
func (s *Service) RotateSecret(ctx context.Context, id pulid.ID) (*ent.Webhook, error) {
	var out *ent.Webhook
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		w, err := s.load(ctx, c, id)
		if err != nil {
			return err
		}
		if _, err := c.WebhookSecret.Update().
			Where(webhooksecret.WebhookID(w.ID), webhooksecret.ExpiresAtIsNil()).
			SetExpiresAt(time.Now().Add(RotationOverlap)).
			Save(ctx); err != nil {
			return fmt.Errorf("end current secrets: %w", err)
		}
		sec, err := newSecret(ctx, c, w.ID)
		if err != nil {
			return err
		}
		w.Edges.Secrets = []*ent.WebhookSecret{sec}
		out = w
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// List returns the tenant's endpoints, oldest first, without secrets.
func (s *Service) List(ctx context.Context) ([]*ent.Webhook, error) {
	if err := s.require(ctx); err != nil {
		return nil, err
	}
	return s.cfg.Client.Webhook.Query().
		Order(ent.Asc(entwebhook.FieldCreatedAt), ent.Asc(entwebhook.FieldID)).
		Limit(MaxPerTenant).
		All(ctx)
}

// SigningSecrets returns the secrets that sign a delivery now: the current
// one and rotated ones still in their overlap.
func (s *Service) SigningSecrets(ctx context.Context, c *ent.Client, webhookID pulid.ID) ([]string, error) {
	secs, err := c.WebhookSecret.Query().
		Where(webhooksecret.WebhookID(webhookID), webhooksecret.Or(webhooksecret.ExpiresAtIsNil(), webhooksecret.ExpiresAtGT(time.Now()))).
		Order(ent.Desc(webhooksecret.FieldCreatedAt)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load webhook secrets: %w", err)
	}
	out := make([]string, len(secs))
	for i, sec := range secs {
		out[i] = sec.Secret
	}
	return out, nil
}

// require checks the credentials, then the role.
func (s *Service) require(ctx context.Context) error {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return s.cfg.Authz.Require(a, policies.ManageWebhooks)
}

// load reads a webhook of the caller's tenant, after the credentials and
// before the role (the contract's order).
func (s *Service) load(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Webhook, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	w, err := c.Webhook.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, ErrNotFound.With("id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load webhook %s: %w", id, err)
	}
	if err := s.cfg.Authz.Require(a, policies.ManageWebhooks); err != nil {
		return nil, err
	}
	return w, nil
}

func newSecret(ctx context.Context, c *ent.Client, webhookID pulid.ID) (*ent.WebhookSecret, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	sec, err := c.WebhookSecret.Create().
		SetWebhookID(webhookID).
		SetSecret(SecretPrefix + base64.StdEncoding.EncodeToString(key)).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("store webhook secret: %w", err)
	}
	return sec, nil
}

// eventTypes checks an events filter: known types, each once; nil: all.
func eventTypes(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for i, t := range in {
		if !events.Known(events.Type(t)) {
			return nil, errcode.Invalid("events", fmt.Sprintf("events[%d] is not an event type", i))
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}
