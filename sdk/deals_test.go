package sdk_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

const webhookSecret = "whsec_test_lanes_0123456789"

// stripeEvent builds a checkout.session.completed event for a payment link.
func stripeEvent(t *testing.T, id, paymentLink, paymentStatus string) []byte {
	t.Helper()
	ev := map[string]any{
		"id": id, "object": "event", "type": "checkout.session.completed", "api_version": "2020-08-27",
		"created": time.Now().Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": "cs_test_" + id, "object": "checkout.session", "payment_link": paymentLink,
			"payment_status": paymentStatus, "status": "complete",
		}},
	}
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

// postWebhook sends a webhook body with a signature made with secret.
func postWebhook(t *testing.T, s *sdktest.Server, body []byte, secret string) int {
	t.Helper()
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret})
	req, err := http.NewRequest(http.MethodPost, s.HTTP.URL+sdk.StripeWebhookPath, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", signed.Header)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

type dealView struct {
	Node struct {
		ID       string
		Status   struct{ Key string }
		Payments []struct {
			ID, Kind, Status string
			URL              *string
			Amount           struct {
				Amount   int
				Currency string
			}
		}
		FinalDealValue *struct {
			Amount   int
			Currency string
		}
		Survey *struct {
			ID, URL, SentAt string
			Score           *int
			Comment         *string
			AnsweredAt      *string
		}
		Review *struct {
			Rating  int
			Comment *string
		}
	}
}

func dealOf(t *testing.T, c lanestest.Client, id string) dealView {
	t.Helper()
	var out dealView
	sdktest.Op(t, c, "ProjectDeal", map[string]any{"id": id}).Decode(t, &out)
	return out
}

func money(amount int, currency string) map[string]any {
	return map[string]any{"amount": amount, "currency": currency}
}

// The whole partner-lead lifecycle through the HTTP handler, with a real
// (mock-served) Stripe payment link and a signed webhook.
func TestLeadLifecycleEndToEnd(t *testing.T) {
	stripeBase := sdktest.StripeMock(t)
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) {
			c.StripeKey = "sk_test_lanes"
			c.StripeAPIBase = stripeBase
			c.StripeWebhookSecret = webhookSecret
			c.SurveyURL = "https://platform.example/survey"
		})
		a := newTeam(t, s, "alpha")
		op := func(c lanestest.Client, name string, vars map[string]any) *lanestest.Response {
			return sdktest.Op(t, c, name, vars)
		}
		lead := create(t, a.member, "leads", "Bakery relaunch", map[string]any{"customer": map[string]any{"name": "Bea", "email": "bea@example.com"}})
		require.Equal(t, "new", lead.Status.Key)

		require.Equal(t, "active", moved(t, op(a.member, "AcceptLead", map[string]any{"id": lead.ID}), "acceptLead").Status.Key)
		for _, progress := range []string{"contacted", "call_booked", "proposal_sent"} {
			require.Empty(t, op(a.member, "SetProgress", map[string]any{"id": lead.ID, "progress": progress}).Errors)
		}
		require.Equal(t, "secured", moved(t, op(a.member, "SecureProject", map[string]any{"id": lead.ID}), "secureProject").Status.Key)

		var link struct {
			CreatePaymentLink struct {
				ID, Kind, Status, URL string
				Amount                struct {
					Amount   int
					Currency string
				}
			}
		}
		op(a.member, "CreatePaymentLink", map[string]any{"input": map[string]any{"projectId": lead.ID, "amount": money(250000, "eur"), "description": "Website, first half"}}).Decode(t, &link)
		require.Regexp(t, `^pay_`, link.CreatePaymentLink.ID)
		require.Equal(t, "PAYMENT_LINK", link.CreatePaymentLink.Kind)
		require.Equal(t, "OPEN", link.CreatePaymentLink.Status)
		require.True(t, strings.HasPrefix(link.CreatePaymentLink.URL, "https://"), link.CreatePaymentLink.URL)
		require.Equal(t, 250000, link.CreatePaymentLink.Amount.Amount)
		require.Equal(t, "EUR", link.CreatePaymentLink.Amount.Currency)

		// Not paid yet.
		requireCode(t, op(a.member, "CompleteProject", map[string]any{"input": map[string]any{"id": lead.ID, "finalDealValue": money(500000, "EUR")}}), "PAYMENT_REQUIRED")

		var plink string
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT external_id FROM payments WHERE id = "+placeholders(db)[0], link.CreatePaymentLink.ID).Scan(&plink))
		require.Regexp(t, `^plink_`, plink)
		event := stripeEvent(t, "evt_paid_1", plink, "paid")
		require.Equal(t, http.StatusBadRequest, postWebhook(t, s, event, "whsec_wrong"), "a bad signature is refused")
		require.Equal(t, "OPEN", dealOf(t, a.member, lead.ID).Node.Payments[0].Status, "and writes nothing")
		require.Equal(t, http.StatusOK, postWebhook(t, s, event, webhookSecret))
		require.Equal(t, "PAID", dealOf(t, a.member, lead.ID).Node.Payments[0].Status)
		var paidAt1, paidAt2 time.Time
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT paid_at FROM payments WHERE id = "+placeholders(db)[0], link.CreatePaymentLink.ID).Scan(&paidAt1))
		require.Equal(t, http.StatusOK, postWebhook(t, s, event, webhookSecret), "a replay is acknowledged")
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT paid_at FROM payments WHERE id = "+placeholders(db)[0], link.CreatePaymentLink.ID).Scan(&paidAt2))
		require.True(t, paidAt1.Equal(paidAt2), "and changes nothing")
		require.Equal(t, http.StatusOK, postWebhook(t, s, stripeEvent(t, "evt_other", "plink_not_ours", "paid"), webhookSecret))
		paid := allEvents(t, a.admin, map[string]any{"types": []string{"payment.paid"}})
		require.Len(t, paid, 1, "the replay records no second payment.paid")
		require.Equal(t, "system", paid[0].Actor, "the provider's verified notice")
		require.Equal(t, link.CreatePaymentLink.ID, paid[0].data("payment.id"))
		require.Equal(t, "PAID", paid[0].data("payment.status"))

		var completed struct {
			CompleteProject struct {
				ID             string
				Version        int
				Status         struct{ Key string }
				FinalDealValue struct {
					Amount   int
					Currency string
				}
				Survey struct{ ID, URL, SentAt string }
			}
		}
		op(a.member, "CompleteProject", map[string]any{"input": map[string]any{"id": lead.ID, "finalDealValue": money(500000, "EUR"), "note": "signed"}}).Decode(t, &completed)
		c := completed.CompleteProject
		require.Equal(t, lead.ID, c.ID)
		require.Equal(t, 7, c.Version) // create, accept, three progress updates, secure, complete
		require.Equal(t, "completed", c.Status.Key)
		require.Equal(t, 500000, c.FinalDealValue.Amount)
		require.Regexp(t, `^https://platform.example/survey\?token=lsv_`, c.Survey.URL)
		require.NotEmpty(t, c.Survey.SentAt)

		v := view(t, a.member, lead.ID)
		require.Equal(t, []string{"create:new", "accept:active", "secure:secured", "complete:completed"}, historyActions(v))
		require.Equal(t, "signed", *v.Node.History[3].Note)

		token := strings.TrimPrefix(c.Survey.URL, "https://platform.example/survey?token=")
		var answered struct {
			SubmitSurvey struct {
				Score      int
				Comment    string
				AnsweredAt string
			}
		}
		op(s.Anonymous, "SubmitSurvey", map[string]any{"token": token, "score": 9, "comment": "Great work"}).Decode(t, &answered)
		require.Equal(t, 9, answered.SubmitSurvey.Score)
		requireCode(t, op(s.Anonymous, "SubmitSurvey", map[string]any{"token": token, "score": 3}), "TOKEN_INVALID")

		var review struct {
			ReviewCustomer struct {
				ID      string
				Rating  int
				Comment string
			}
		}
		op(a.member, "ReviewCustomer", map[string]any{"input": map[string]any{"projectId": lead.ID, "rating": 4, "comment": "Paid on time"}}).Decode(t, &review)
		require.Equal(t, 4, review.ReviewCustomer.Rating)
		op(a.admin, "ReviewCustomer", map[string]any{"input": map[string]any{"projectId": lead.ID, "rating": 5}}).Decode(t, &review)
		require.Equal(t, 5, review.ReviewCustomer.Rating, "one review per project, updatable")

		deal := dealOf(t, a.member, lead.ID)
		require.Equal(t, "completed", deal.Node.Status.Key)
		require.Equal(t, 500000, deal.Node.FinalDealValue.Amount)
		require.Equal(t, 9, *deal.Node.Survey.Score)
		require.Equal(t, "Great work", *deal.Node.Survey.Comment)
		require.Equal(t, 5, deal.Node.Review.Rating)
		require.Nil(t, deal.Node.Review.Comment)

		var nps struct {
			Viewer struct {
				Tenant struct {
					Nps struct {
						Score                *float64
						Responses, Promoters int
					}
				}
			}
		}
		a.member.Do(t, `{ viewer { tenant { nps { score responses promoters } } } }`, nil).Decode(t, &nps)
		require.Equal(t, 1, nps.Viewer.Tenant.Nps.Responses)
		require.Equal(t, 100.0, *nps.Viewer.Tenant.Nps.Score)

		// The customer never reaches the review.
		customer := customerFor(t, s, a, lead.ID, "bea@example.com")
		res := op(customer, "ProjectDeal", map[string]any{"id": lead.ID})
		require.NotEmpty(t, res.Errors)
		require.NotContains(t, string(res.Data), "Paid on time")
		ctx := customerContext(t, s, customer)
		_, err := s.Lanes.Client().CustomerReview.Query().All(ctx)
		require.Error(t, err)
		_, err = s.Lanes.Client().Payment.Query().All(ctx)
		require.Error(t, err)
		portal := readPortal(t, customer)
		require.NotContains(t, fmt.Sprint(portal), "Paid on time")
	})
}

// Every refusal of the lifecycle, and the revenue-share path.
func TestDealRefusals(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL) // no payment provider configured
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		op := func(c lanestest.Client, name string, vars map[string]any) *lanestest.Response {
			return sdktest.Op(t, c, name, vars)
		}
		complete := func(c lanestest.Client, id string, value map[string]any) *lanestest.Response {
			return op(c, "CompleteProject", map[string]any{"input": map[string]any{"id": id, "finalDealValue": value}})
		}
		revenue := func(c lanestest.Client, id string, amount map[string]any) *lanestest.Response {
			return op(c, "RecordRevenueSharePayment", map[string]any{"input": map[string]any{"projectId": id, "amount": amount, "reference": "INV-1"}})
		}
		lead := create(t, a.member, "leads", "Lead")
		other := create(t, b.member, "leads", "Theirs")

		// Wrong order.
		requireCode(t, revenue(a.member, lead.ID, money(100, "EUR")), "TRANSITION_NOT_ALLOWED")
		requireCode(t, complete(a.member, lead.ID, money(100, "EUR")), "TRANSITION_NOT_ALLOWED")
		requireCode(t, op(a.member, "ReviewCustomer", map[string]any{"input": map[string]any{"projectId": lead.ID, "rating": 3}}), "TRANSITION_NOT_ALLOWED")
		require.Empty(t, op(a.member, "AcceptLead", map[string]any{"id": lead.ID}).Errors)
		requireCode(t, complete(a.member, lead.ID, money(100, "EUR")), "TRANSITION_NOT_ALLOWED")
		require.Empty(t, op(a.member, "SecureProject", map[string]any{"id": lead.ID}).Errors)

		// Secured: no provider configured, bad money, missing payment.
		requireCode(t, op(a.member, "CreatePaymentLink", map[string]any{"input": map[string]any{"projectId": lead.ID, "amount": money(100, "EUR")}}), "VALIDATION")
		requireCode(t, complete(a.member, lead.ID, money(100, "EUR")), "PAYMENT_REQUIRED")
		requireCode(t, complete(a.member, lead.ID, money(0, "EUR")), "VALIDATION")
		requireCode(t, complete(a.member, lead.ID, money(100, "EURO")), "VALIDATION")
		requireCode(t, complete(a.member, lead.ID, money(-5, "EUR")), "VALIDATION")
		requireCode(t, revenue(a.member, lead.ID, money(100, "XXY")), "VALIDATION")
		requireCode(t, revenue(a.viewer, lead.ID, money(100, "EUR")), "FORBIDDEN")
		requireCode(t, revenue(a.member, other.ID, money(100, "EUR")), "NOT_FOUND")

		// The revenue share counts as a paid payment.
		var paid struct{ RecordRevenueSharePayment struct{ Kind, Status string } }
		revenue(a.member, lead.ID, money(30000, "USD")).Decode(t, &paid)
		require.Equal(t, "REVENUE_SHARE", paid.RecordRevenueSharePayment.Kind)
		require.Equal(t, "PAID", paid.RecordRevenueSharePayment.Status)
		requireCode(t, complete(a.viewer, lead.ID, money(100, "EUR")), "FORBIDDEN")
		require.Empty(t, complete(a.member, lead.ID, money(120000, "usd")).Errors)
		requireCode(t, complete(a.member, lead.ID, money(100, "EUR")), "TRANSITION_NOT_ALLOWED") // once
		requireCode(t, revenue(a.member, lead.ID, money(100, "EUR")), "TRANSITION_NOT_ALLOWED")  // completed

		requireCode(t, op(a.member, "ReviewCustomer", map[string]any{"input": map[string]any{"projectId": lead.ID, "rating": 6}}), "VALIDATION")
		requireCode(t, op(a.viewer, "ReviewCustomer", map[string]any{"input": map[string]any{"projectId": lead.ID, "rating": 3}}), "FORBIDDEN")
		requireCode(t, op(s.Anonymous, "SubmitSurvey", map[string]any{"token": "lsv_unknown", "score": 5}), "TOKEN_INVALID")
		deal := dealOf(t, a.member, lead.ID)
		require.True(t, strings.HasPrefix(deal.Node.Survey.URL, s.HTTP.URL+"/survey?token="), "the console's survey page where the server was reached: %s", deal.Node.Survey.URL)
		token := strings.TrimPrefix(deal.Node.Survey.URL, s.HTTP.URL+"/survey?token=")
		requireCode(t, op(s.Anonymous, "SubmitSurvey", map[string]any{"token": token, "score": 11}), "VALIDATION")
		require.Empty(t, op(s.Anonymous, "SubmitSurvey", map[string]any{"token": token, "score": 2}).Errors)
		requireCode(t, op(s.Anonymous, "SubmitSurvey", map[string]any{"token": token, "score": 10}), "TOKEN_INVALID")

		// A webhook without the secret configured, or malformed: nothing.
		require.Equal(t, http.StatusNotFound, postWebhook(t, s, stripeEvent(t, "evt_x", "plink_x", "paid"), webhookSecret))

		// Declined leads leave the default board; a filter shows them.
		d := create(t, a.member, "leads", "Too cheap")
		require.Empty(t, op(a.member, "DeclineLead", map[string]any{"id": d.ID, "reason": "BUDGET_TOO_LOW"}).Errors)
		require.Empty(t, readBoard(t, a.member, "leads", 10).column("declined"))
		var archived boardView
		a.member.Do(t, `query { board(workflow: "leads", archived: true) { workflow { key name } columns { status { key name color wipLimit } totalCount projects(first: 10) { edges { cursor node { id title version } } pageInfo { hasNextPage endCursor } } } } }`, nil).Decode(t, &archived)
		require.Equal(t, []string{d.ID}, archived.column("declined"))

		// NPS: one detractor.
		var nps struct {
			Viewer struct {
				Tenant struct {
					Nps struct {
						Score                 *float64
						Responses, Detractors int
					}
				}
			}
		}
		a.member.Do(t, `{ viewer { tenant { nps { score responses detractors } } } }`, nil).Decode(t, &nps)
		require.Equal(t, -100.0, *nps.Viewer.Tenant.Nps.Score)
		require.Equal(t, 1, nps.Viewer.Tenant.Nps.Detractors)
	})
}
