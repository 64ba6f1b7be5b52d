package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"entgo.io/contrib/entgql"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	entwebhook "github.com/lanes-dev/lanes/ent/webhook"
	"github.com/lanes-dev/lanes/ent/webhookdelivery"
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
	// Postgres: endpoint changes are announced to other replicas
	// (ChangeChannel).
	Postgres bool
}

// ChangeChannel is the PostgreSQL channel of endpoint changes (payload:
// the tenant ID): replicas drop the endpoints they cached for the relay.
const ChangeChannel = "lanes_webhooks"

// Service manages the webhook endpoints of the caller's tenant: the
// platform and ADMIN or OWNER members; others are FORBIDDEN.
type Service struct {
	cfg  Config
	http *http.Client
	// deliverer is told of endpoints to deliver to at once (set by
	// NewDeliverer; nil when nothing delivers).
	deliverer *Deliverer
}

// NewService returns the webhook service.
func NewService(cfg Config) *Service {
	return &Service{cfg: cfg, http: newHTTPClient(cfg.AllowLoopback)}
}

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
		// A new endpoint receives the events committed from now on.
		seq, err := lastEventSeq(ctx, c)
		if err != nil {
			return err
		}
		w, err := c.Webhook.Create().
			SetDeliveredSeq(seq).
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
		return s.endpointsChanged(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// endpointsChanged makes the relay reload the tenant's endpoints once the
// change commits: here at once, on other replicas through NOTIFY (sent in
// the change's transaction, so only if it commits).
func (s *Service) endpointsChanged(ctx context.Context, c *ent.Client) error {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return err
	}
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		return fmt.Errorf("webhook change of %s outside a transaction", a.TenantID)
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			s.Forget(a.TenantID)
			return err
		})
	})
	if s.cfg.Postgres {
		if _, err := c.ExecContext(ctx, "SELECT pg_notify($1, $2)", ChangeChannel, string(a.TenantID)); err != nil {
			return fmt.Errorf("notify webhook change: %w", err)
		}
	}
	return nil
}

// Forget drops the relay's cached endpoints of a tenant (another replica
// changed them); ForgetAll those of every tenant (after missing notices).
func (s *Service) Forget(tenantID pulid.ID) {
	if s.deliverer != nil {
		s.deliverer.endpoints.drop(tenantID)
	}
}

// ForgetAll: see Forget.
func (s *Service) ForgetAll() {
	if s.deliverer != nil {
		s.deliverer.endpoints.dropAll()
	}
}

// Update changes an endpoint's URL, event types, description or whether
// it is enabled. An endpoint enabled again receives the events committed
// from then on, not those of the time it was disabled; a new URL is tried
// at once, without waiting for a backoff the old one earned.
func (s *Service) Update(ctx context.Context, in UpdateInput) (*ent.Webhook, error) {
	var (
		out  *ent.Webhook
		kick bool
	)
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
			if u.String() != w.URL {
				upd.SetURL(u.String()).ClearNextAttemptAt()
				kick = true
			}
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
			if *in.Enabled && !w.Enabled {
				seq, err := lastEventSeq(ctx, c)
				if err != nil {
					return err
				}
				upd.SetDeliveredSeq(seq).ClearDisabledReason().
					SetFailures(0).ClearFailingSince().ClearNextAttemptAt().ClearRetryJob()
			}
		}
		if out, err = upd.Save(ctx); err != nil {
			return err
		}
		return s.endpointsChanged(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	if kick && out.Enabled && s.deliverer != nil {
		// The sweep would find it too, later.
		if err := s.deliverer.enqueue(ctx, out.TenantID, out.ID, out.DeliveredSeq+1); err != nil {
			return nil, fmt.Errorf("webhook %s: enqueue delivery: %w", out.ID, err)
		}
	}
	return out, nil
}

// lastEventSeq is the seq of the caller's tenant's last event.
func lastEventSeq(ctx context.Context, c *ent.Client) (int64, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return 0, err
	}
	return events.LastSeq(ctx, c, a.TenantID)
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
		if _, err := c.WebhookDelivery.Delete().Where(webhookdelivery.WebhookID(w.ID)).Exec(ctx); err != nil {
			return fmt.Errorf("delete webhook deliveries: %w", err)
		}
		if err := c.Webhook.DeleteOne(w).Exec(ctx); err != nil {
			return err
		}
		return s.endpointsChanged(ctx, c)
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

// ErrEventNotFound: redeliverEvent named no event of the tenant.
var ErrEventNotFound = errcode.New(errcode.NotFound, "event not found")

// record stores one attempt.
// attemptOf is one attempt to deliver an event, to record.
type attemptOf struct {
	eventID pulid.ID
	attempt int
	outcome outcome
}

// recordAll records a drain's attempts to an endpoint in one statement.
func (s *Service) recordAll(ctx context.Context, webhookID pulid.ID, attempts []attemptOf) error {
	if len(attempts) == 0 {
		return nil
	}
	creates := make([]*ent.WebhookDeliveryCreate, len(attempts))
	for i, a := range attempts {
		creates[i] = s.deliveryOf(s.cfg.Client, webhookID, a.eventID, a.attempt, a.outcome, false)
	}
	if err := s.cfg.Client.WebhookDelivery.CreateBulk(creates...).Exec(ctx); err != nil {
		return fmt.Errorf("record %d deliveries to %s: %w", len(attempts), webhookID, err)
	}
	return nil
}

func (s *Service) deliveryOf(c *ent.Client, webhookID, eventID pulid.ID, attempt int, o outcome, redelivery bool) *ent.WebhookDeliveryCreate {
	return c.WebhookDelivery.Create().
		SetWebhookID(webhookID).
		SetEventID(eventID).
		SetAttempt(attempt).
		SetNillableStatusCode(o.statusCode).
		SetSucceeded(o.succeeded).
		SetDurationMs(int(o.duration.Milliseconds())).
		SetNillableError(o.err).
		SetNillableResponse(o.response).
		SetRedelivery(redelivery)
}

func (s *Service) recordWith(ctx context.Context, c *ent.Client, webhookID, eventID pulid.ID, attempt int, o outcome, redelivery bool, out **ent.WebhookDelivery) error {
	d, err := s.deliveryOf(c, webhookID, eventID, attempt, o, redelivery).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("record delivery of %s to %s: %w", eventID, webhookID, err)
	}
	if out != nil {
		*out = d
	}
	return nil
}

// Redeliver sends one event to an endpoint again, now, whatever its
// filter or state, and returns the attempt (recorded with the others;
// the endpoint's ordered deliveries are not affected).
func (s *Service) Redeliver(ctx context.Context, webhookID, eventID pulid.ID) (*ent.WebhookDelivery, error) {
	c := s.cfg.Client
	w, err := s.load(ctx, c, webhookID)
	if err != nil {
		return nil, err
	}
	if err := validate.String("eventId", string(eventID)); err != nil {
		return nil, err
	}
	e, err := c.Event.Get(ctx, eventID)
	if ent.IsNotFound(err) {
		return nil, ErrEventNotFound.With("id", eventID)
	}
	if err != nil {
		return nil, fmt.Errorf("load event %s: %w", eventID, err)
	}
	secrets, err := s.SigningSecrets(ctx, c, w.ID)
	if err != nil {
		return nil, err
	}
	prior, err := c.WebhookDelivery.Query().
		Where(webhookdelivery.WebhookID(w.ID), webhookdelivery.EventID(e.ID)).
		Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	o := s.attempt(ctx, w.URL, secrets, e)
	var out *ent.WebhookDelivery
	// Recorded even when the caller has gone: the attempt was made.
	if err := s.recordWith(context.WithoutCancel(ctx), c, w.ID, e.ID, prior+1, o, true, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Page sizes of an endpoint's deliveries.
const (
	DefaultDeliveriesPage = 20
	MaxDeliveriesPage     = 100
)

// Deliveries returns a page of an endpoint's attempts, newest first.
func (s *Service) Deliveries(ctx context.Context, w *ent.Webhook, first *int, after *ent.Cursor) (*ent.WebhookDeliveryConnection, error) {
	if err := s.require(ctx); err != nil {
		return nil, err
	}
	n, err := validate.Page(first, DefaultDeliveriesPage, MaxDeliveriesPage)
	if err != nil {
		return nil, err
	}
	page, err := s.cfg.Client.WebhookDelivery.Query().
		Where(webhookdelivery.WebhookID(w.ID)).
		Paginate(ctx, after, &n, nil, nil,
			ent.WithWebhookDeliveryOrder(&ent.WebhookDeliveryOrder{Direction: entgql.OrderDirectionDesc, Field: ent.WebhookDeliveryOrderFieldAt}))
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", w.ID, err)
	}
	return page, nil
}
