package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/deals"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// fakeStripe is a Stripe API on 127.0.0.1 that refuses as a scenario asks:
// the scenario is the payment link's description, which Lanes sends as
// the name of the Price's product. It keeps the Prices it made.
type fakeStripe struct {
	mu       sync.Mutex
	prices   map[string]*fakePrice
	order    []string
	problems []string // what the handler could not make sense of
}

type fakePrice struct {
	scenario string
	active   bool
}

// stripeRefusal is a Stripe error answer.
type stripeRefusal struct {
	status                     int
	kind, message, param, code string
}

// fakeRefusals: "price: ..." scenarios refuse the Price, "link: ..." ones
// the Payment Link made with it.
var fakeRefusals = map[string]stripeRefusal{
	"price: invalid currency":  {http.StatusBadRequest, "invalid_request_error", "Invalid currency: eur", "currency", ""},
	"link: amount too small":   {http.StatusBadRequest, "invalid_request_error", "Amount must be at least 50 cents", "unit_amount", "amount_too_small"},
	"link: card declined":      {http.StatusPaymentRequired, "card_error", "Your card was declined.", "", "card_declined"},
	"link: stripe is down":     {http.StatusInternalServerError, "api_error", "Something went wrong on Stripe's end.", "", ""},
	"link: rate limited":       {http.StatusTooManyRequests, "invalid_request_error", "Too many requests hit the API too quickly.", "", "rate_limit"},
	"link: key refused":        {http.StatusUnauthorized, "invalid_request_error", "Invalid API Key provided: sk_test_****anes", "", ""},
	"price: stripe overloaded": {http.StatusServiceUnavailable, "api_error", "Stripe is temporarily unavailable.", "", ""},
}

func newFakeStripe() *fakeStripe { return &fakeStripe{prices: map[string]*fakePrice{}} }

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		f.problems = append(f.problems, fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, err))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	switch {
	case r.URL.Path == "/v1/prices":
		scenario := r.PostForm.Get("product_data[name]")
		if strings.HasPrefix(scenario, "price: ") {
			f.refuse(w, scenario)
			return
		}
		id := fmt.Sprintf("price_fake_%d", len(f.order)+1)
		f.prices[id] = &fakePrice{scenario: scenario, active: true}
		f.order = append(f.order, id)
		writeStripe(w, http.StatusOK, map[string]any{"id": id, "object": "price", "active": true})
	case strings.HasPrefix(r.URL.Path, "/v1/prices/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/prices/")
		p, ok := f.prices[id]
		if !ok {
			f.problems = append(f.problems, "update of unknown price "+id)
			writeStripe(w, http.StatusNotFound, map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": "No such price"}})
			return
		}
		if v, ok := r.PostForm["active"]; ok {
			p.active = v[0] == "true"
		}
		writeStripe(w, http.StatusOK, map[string]any{"id": id, "object": "price", "active": p.active})
	case r.URL.Path == "/v1/payment_links":
		p, ok := f.prices[r.PostForm.Get("line_items[0][price]")]
		if !ok {
			f.problems = append(f.problems, "payment link without a known price: "+r.PostForm.Encode())
			writeStripe(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": "No such price"}})
			return
		}
		if strings.HasPrefix(p.scenario, "link: ") {
			f.refuse(w, p.scenario)
			return
		}
		n := len(f.order)
		writeStripe(w, http.StatusOK, map[string]any{
			"id": fmt.Sprintf("plink_fake_%d", n), "object": "payment_link", "active": true,
			"url": fmt.Sprintf("https://buy.stripe.com/test_fake_%d", n),
		})
	default:
		f.problems = append(f.problems, "unexpected "+r.URL.Path)
		http.NotFound(w, r)
	}
}

func (f *fakeStripe) refuse(w http.ResponseWriter, scenario string) {
	e, ok := fakeRefusals[scenario]
	if !ok {
		f.problems = append(f.problems, "unknown scenario "+scenario)
		e = stripeRefusal{status: http.StatusBadRequest, kind: "invalid_request_error", message: "unknown scenario"}
	}
	body := map[string]any{"type": e.kind, "message": e.message}
	if e.param != "" {
		body["param"] = e.param
	}
	if e.code != "" {
		body["code"] = e.code
	}
	w.Header().Set("Stripe-Should-Retry", "false")
	writeStripe(w, e.status, map[string]any{"error": body})
}

func writeStripe(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_fake")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// pricesOf reports the Prices made for a scenario: how many, how many
// still active.
func (f *fakeStripe) pricesOf(scenario string) (made, active int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.prices {
		if p.scenario == scenario {
			made++
			if p.active {
				active++
			}
		}
	}
	return made, active
}

func (f *fakeStripe) unexpected() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.problems...)
}

// securedLead puts a new lead into secured, where payments are taken.
func securedLead(t *testing.T, tm *team) projectRef {
	t.Helper()
	lead := create(t, tm.member, "leads", "Bakery relaunch")
	require.Empty(t, sdktest.Op(t, tm.member, "AcceptLead", map[string]any{"id": lead.ID}).Errors)
	require.Empty(t, sdktest.Op(t, tm.member, "SecureProject", map[string]any{"id": lead.ID}).Errors)
	return lead
}

func createPaymentLink(t *testing.T, c lanestest.Client, projectID, description string) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "CreatePaymentLink", map[string]any{"input": map[string]any{
		"projectId": projectID, "amount": money(250000, "EUR"), "description": description,
	}})
}

// TestStripeRefusals: when Stripe refuses a payment link the partner
// learns why (VALIDATION with Stripe's message, and the input field when
// Stripe names one); Stripe down or rate limited is UNAVAILABLE, a key
// Stripe refuses INTERNAL. No Payment is recorded, and a Price made for a
// link that then failed is deactivated: nothing sellable stays at Stripe.
func TestStripeRefusals(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		fake := newFakeStripe()
		api := httptest.NewServer(fake)
		t.Cleanup(api.Close)
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) {
			c.StripeKey = "sk_test_lanes"
			c.StripeAPIBase = api.URL
		})
		a := newTeam(t, s, "alpha")
		lead := securedLead(t, a)

		for _, tc := range []struct {
			scenario, code, message, field string
			priceMade                      bool
		}{
			{"price: invalid currency", "VALIDATION", "Invalid currency: eur", "amount.currency", false},
			{"link: amount too small", "VALIDATION", "Amount must be at least 50 cents", "amount.amount", true},
			{"link: card declined", "VALIDATION", "Your card was declined.", "", true},
			{"link: stripe is down", "UNAVAILABLE", "the payment provider is unavailable; try again later", "", true},
			{"link: rate limited", "UNAVAILABLE", "the payment provider is unavailable; try again later", "", true},
			{"price: stripe overloaded", "UNAVAILABLE", "the payment provider is unavailable; try again later", "", false},
			{"link: key refused", "INTERNAL", "internal error", "", true},
		} {
			t.Run(tc.scenario, func(t *testing.T) {
				e := requireCode(t, createPaymentLink(t, a.member, lead.ID, tc.scenario), tc.code)
				require.Equal(t, tc.message, e.Message)
				if tc.field != "" {
					require.Equal(t, tc.field, e.Extensions["field"], "%+v", e)
				}
				made, active := fake.pricesOf(tc.scenario)
				if tc.priceMade {
					require.Equal(t, 1, made, "the link was asked for with its price")
				} else {
					require.Zero(t, made)
				}
				require.Zero(t, active, "no price of a failed link stays active")
				require.Zero(t, rowCount(t, s, "payments"), "no payment recorded")
			})
		}

		// The same project gets its link once Stripe agrees; that price
		// stays active.
		var out struct {
			CreatePaymentLink struct{ ID, Status, URL string }
		}
		createPaymentLink(t, a.member, lead.ID, "Website, first half").Decode(t, &out)
		require.Equal(t, "OPEN", out.CreatePaymentLink.Status)
		require.True(t, strings.HasPrefix(out.CreatePaymentLink.URL, "https://buy.stripe.com/"), out.CreatePaymentLink.URL)
		made, active := fake.pricesOf("Website, first half")
		require.Equal(t, 1, made)
		require.Equal(t, 1, active)
		require.Equal(t, 1, rowCount(t, s, "payments"))
		require.Empty(t, fake.unexpected())
	})
}

// TestStripeUnreachable: a Stripe API that cannot be reached is
// UNAVAILABLE, not INTERNAL.
func TestStripeUnreachable(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closed := "http://" + l.Addr().String()
		require.NoError(t, l.Close())
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) {
			c.StripeKey = "sk_test_lanes"
			c.StripeAPIBase = closed
		})
		a := newTeam(t, s, "alpha")
		lead := securedLead(t, a)
		e := requireCode(t, createPaymentLink(t, a.member, lead.ID, "Website"), "UNAVAILABLE")
		require.Equal(t, "the payment provider is unavailable; try again later", e.Message)
		require.Zero(t, rowCount(t, s, "payments"))
	})
}

// failingProvider is a platform's own payment provider that fails.
type failingProvider struct{ err error }

func (failingProvider) Name() string { return "acme-pay" }

func (p failingProvider) CreatePaymentLink(context.Context, deals.PaymentLinkRequest) (*deals.PaymentLink, error) {
	return nil, p.err
}

// TestPaymentProviderErrors: a platform's provider reports a refusal or an
// outage with the deals errors and the partner sees that code; any other
// error stays INTERNAL, its text unseen.
func TestPaymentProviderErrors(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		for i, tc := range []struct {
			err           error
			code, message string
		}{
			{fmt.Errorf("acme: %w", deals.ErrProviderRefused.WithMessage("acme-pay takes 1.00 EUR at least")), "VALIDATION", "acme-pay takes 1.00 EUR at least"},
			{deals.ErrProviderUnavailable, "UNAVAILABLE", "the payment provider is unavailable; try again later"},
			{errors.New("acme: secret internals"), "INTERNAL", "internal error"},
		} {
			t.Run(tc.code, func(t *testing.T) {
				s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.Payments = failingProvider{tc.err} })
				a := newTeam(t, s, fmt.Sprintf("tenant-%d", i)) // one database for every case
				lead := securedLead(t, a)
				e := requireCode(t, createPaymentLink(t, a.member, lead.ID, "Website"), tc.code)
				require.Equal(t, tc.message, e.Message)
			})
		}
	})
}
