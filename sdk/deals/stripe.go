package deals

import (
	"context"
	"fmt"
	"strings"

	"github.com/stripe/stripe-go/v82"
)

// Stripe is the built-in payment provider: a Stripe Price and a Payment
// Link per payment, with the payment's IDs as metadata (copied by Stripe to
// the checkout sessions the link creates).
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
		return nil, fmt.Errorf("stripe: create price: %w", err)
	}
	link, err := s.client.V1PaymentLinks.Create(ctx, &stripe.PaymentLinkCreateParams{
		LineItems: []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1)}},
		Metadata:  metadata,
	})
	if err != nil {
		return nil, fmt.Errorf("stripe: create payment link: %w", err)
	}
	return &PaymentLink{ExternalID: link.ID, URL: link.URL}, nil
}
