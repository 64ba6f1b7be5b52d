package sdk

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant"
)

// StripeWebhookPath receives Stripe's events.
const StripeWebhookPath = "/webhooks/stripe"

// maxWebhookBytes bounds a webhook body (Stripe's events are far smaller).
const maxWebhookBytes = 1 << 20

// stripeWebhook verifies Stripe's signature and marks the payment of a
// completed checkout paid. A bad signature is 400 and changes nothing;
// replays and events about unknown links are acknowledged and change
// nothing more.
func (l *Lanes) stripeWebhook(w http.ResponseWriter, r *http.Request) {
	if l.cfg.StripeWebhookSecret == "" {
		writeGraphQLError(w, http.StatusNotFound, errcode.New(errcode.NotFound, "Stripe webhooks are not configured (LANES_STRIPE_WEBHOOK_SECRET)"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	if err != nil {
		writeGraphQLError(w, http.StatusRequestEntityTooLarge, errBodyTooLarge)
		return
	}
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), l.cfg.StripeWebhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		writeGraphQLError(w, http.StatusBadRequest, errcode.New(errcode.Validation, "invalid Stripe signature"))
		return
	}
	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		var session stripe.CheckoutSession
		if err := json.Unmarshal(ev.Data.Raw, &session); err != nil {
			writeGraphQLError(w, http.StatusBadRequest, errcode.New(errcode.Validation, "malformed checkout session"))
			return
		}
		if session.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid || session.PaymentLink == nil {
			break
		}
		if err := l.markStripePaid(r, session.PaymentLink.ID, time.Unix(ev.Created, 0)); err != nil {
			// Stripe retries what is not 2xx: the database down is 503.
			l.writeError(w, r, fmt.Errorf("stripe webhook, event %s: %w", ev.ID, err))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]bool{"received": true})
}

func (l *Lanes) markStripePaid(r *http.Request, paymentLinkID string, at time.Time) error {
	actor, err := l.authn.PaymentActor(r.Context(), "stripe", paymentLinkID)
	if ent.IsNotFound(err) {
		return nil // not one of ours
	}
	if err != nil {
		return err
	}
	_, err = l.Deals.MarkPaid(tenant.NewContext(r.Context(), actor), "stripe", paymentLinkID, at)
	return err
}
