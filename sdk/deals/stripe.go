package deals

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
)

// Stripe is the built-in payment provider: a Stripe Price and a Payment
// Link per payment, with the payment's IDs as metadata (copied by Stripe to
// the checkout sessions the link creates).
//
// Stripe's refusals reach the caller as ErrProviderRefused (VALIDATION)
// with Stripe's message, its outages, rate limits and unreachable network
// as ErrProviderUnavailable (UNAVAILABLE); a refused key is INTERNAL.
//
// Payment Links take inline price_data in the API stripe-go v82 speaks,
// which would make the link in one request, but stripe-mock v0.190.0 (the
// tests' Stripe) requires line_items[].price; so a Price comes first and
// is deactivated again when its link fails (Stripe prices cannot be
// deleted).
type Stripe struct {
	client *stripe.Client
}

// NewStripe returns the Stripe provider with the secret key; apiBase, when
// set, points it at another API (a local stripe-mock).
func NewStripe(key, apiBase string) *Stripe {
	var opts []stripe.ClientOption
	if apiBase != "" {
		backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
			URL:               stripe.String(strings.TrimRight(apiBase, "/")),
			MaxNetworkRetries: stripe.Int64(1),
		})
		opts = append(opts, stripe.WithBackends(&stripe.Backends{API: backend, Connect: backend, Uploads: backend, MeterEvents: backend}))
	}
	return &Stripe{client: stripe.NewClient(key, opts...)}
}

// Name implements PaymentProvider.
func (*Stripe) Name() string { return "stripe" }

// CreatePaymentLink implements PaymentProvider.
func (s *Stripe) CreatePaymentLink(ctx context.Context, req PaymentLinkRequest) (*PaymentLink, error) {
	metadata := map[string]string{
		"lanes_payment": string(req.PaymentID),
		"lanes_tenant":  string(req.TenantID),
		"lanes_project": string(req.ProjectID),
	}
	price, err := s.client.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency:    stripe.String(strings.ToLower(req.Amount.Currency)),
		UnitAmount:  stripe.Int64(req.Amount.Amount),
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String(req.Description)},
		Metadata:    metadata,
	})
	if err != nil {
		return nil, stripeError("create price", err)
	}
	link, err := s.client.V1PaymentLinks.Create(ctx, &stripe.PaymentLinkCreateParams{
		LineItems: []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1)}},
		Metadata:  metadata,
	})
	if err != nil {
		err = stripeError("create payment link", err)
		if derr := s.deactivatePrice(ctx, price.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, err
	}
	return &PaymentLink{ExternalID: link.ID, URL: link.URL}, nil
}

// priceCleanupTimeout bounds the deactivation of a Price whose link failed.
const priceCleanupTimeout = 15 * time.Second

// deactivatePrice archives the Price made for a link that failed, so that
// no sellable Price of a payment that does not exist stays behind. It runs
// even when the request was cancelled meanwhile.
func (s *Stripe) deactivatePrice(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), priceCleanupTimeout)
	defer cancel()
	if _, err := s.client.V1Prices.Update(ctx, id, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
		return fmt.Errorf("stripe: deactivate price %s of the failed payment link: %w", id, err)
	}
	return nil
}

// stripeError gives a Stripe failure its contract code: a refusal of the
// request (invalid_request_error, card_error) is the caller's to correct
// and carries Stripe's message; Stripe's own failures, its rate limits and
// a network that does not reach it may pass; a key Stripe refuses is
// Lanes' configuration (INTERNAL, logged). The request's own cancellation
// or deadline stays what it is.
func stripeError(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("stripe: %s: %w", op, err)
		}
		// Connection refused or reset, TLS, an answer that is not Stripe's.
		return fmt.Errorf("stripe: %s: %w: %w", op, ErrProviderUnavailable, err)
	}
	switch {
	case se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode >= http.StatusInternalServerError ||
		se.Type == stripe.ErrorTypeAPI:
		return fmt.Errorf("stripe: %s: %w: %w", op, ErrProviderUnavailable, err)
	case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
		return fmt.Errorf("stripe: %s: %w", op, err)
	case se.Type == stripe.ErrorTypeInvalidRequest || se.Type == stripe.ErrorTypeCard:
		refused := ErrProviderRefused.With("provider", "stripe")
		if se.Msg != "" {
			refused = refused.WithMessage("%s", se.Msg)
		}
		if field, ok := stripeFields[paramName(se.Param)]; ok {
			refused = refused.With("field", field)
		}
		if se.Code != "" {
			refused = refused.With("providerCode", string(se.Code))
		}
		return fmt.Errorf("stripe: %s: %w: %w", op, refused, err)
	}
	return fmt.Errorf("stripe: %s: %w", op, err)
}

// stripeFields maps the Stripe parameters Lanes fills from the input to
// the input's fields.
var stripeFields = map[string]string{
	"unit_amount": "amount.amount",
	"currency":    "amount.currency",
	"name":        "description",
}

// paramName is the last name of a Stripe parameter path such as
// line_items[0][price_data][unit_amount].
func paramName(param string) string {
	param = strings.TrimSuffix(param, "]")
	if i := strings.LastIndex(param, "["); i >= 0 {
		return param[i+1:]
	}
	return param
}
