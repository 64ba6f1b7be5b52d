package deals

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/customerreview"
	"github.com/lanes-dev/lanes/ent/payment"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/survey"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/origin"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// CompleteProjectInput is the input of CompleteProject.
type CompleteProjectInput struct {
	ID             pulid.ID
	FinalDealValue Money
	Note           *string
}

// CompleteProject completes a secured project: it needs a paid payment
// (PAYMENT_REQUIRED otherwise) and a final deal value; it records the
// value, takes the workflow's "complete" transition (history, version) and
// opens the customer's NPS survey, all in one transaction.
func (s *Service) CompleteProject(ctx context.Context, in CompleteProjectInput) (*ent.Project, error) {
	var out *ent.Project
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		_, p, err := s.begin(ctx, c, in.ID)
		if err != nil {
			return err
		}
		value, err := validMoney("finalDealValue", in.FinalDealValue)
		if err != nil {
			return err
		}
		paid, err := c.Payment.Query().
			Where(payment.ProjectID(p.ID), payment.StatusEQ(payment.StatusPAID)).
			Exist(ctx)
		if err != nil {
			return fmt.Errorf("check payments: %w", err)
		}
		verified := workflow.Verified{"finalDealValue"}
		if paid {
			verified = append(verified, "payment")
		}
		moved, err := s.cfg.Engine.TransitionTx(ctx, c, p.ID, "complete", workflow.ActionInput{Note: in.Note}, verified)
		if e, ok := errcode.As(err); ok && errors.Is(err, workflow.ErrNeedUnmet) && e.Details["need"] == "payment" {
			return ErrPaymentRequired
		}
		if err != nil {
			return err
		}
		now := time.Now()
		out, err = c.Project.UpdateOne(moved).
			SetFinalDealAmount(value.Amount).
			SetFinalDealCurrency(value.Currency).
			SetCompletedAt(now).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("record deal value: %w", err)
		}
		id := pulid.New("svy_")
		return c.Survey.Create().
			SetID(id).
			SetProjectID(p.ID).
			SetTokenHash(auth.HashSecret(auth.SurveyToken(s.cfg.SurveyKey, string(id)))).
			SetSentAt(now).
			Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// FinalDealValue returns the project's final deal value, if completed.
func FinalDealValue(p *ent.Project) *Money {
	if p.FinalDealAmount == nil || p.FinalDealCurrency == nil {
		return nil
	}
	return &Money{Amount: *p.FinalDealAmount, Currency: *p.FinalDealCurrency}
}

// Survey returns a project's NPS survey (members), or nil.
func (s *Service) Survey(ctx context.Context, p *ent.Project) (*ent.Survey, error) {
	if _, err := tenant.RequireStaff(ctx); err != nil {
		return nil, err
	}
	sv, err := s.cfg.Client.Survey.Query().Where(survey.ProjectID(p.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return sv, err
}

// SurveyURL is the link to a survey for the platform to send: its page
// (the configured one, else the console's survey page where the request
// was served) with the survey's token.
func (s *Service) SurveyURL(ctx context.Context, sv *ent.Survey) string {
	token := auth.SurveyToken(s.cfg.SurveyKey, string(sv.ID))
	u, err := url.Parse(origin.Link(ctx, s.cfg.SurveyURL, "/survey"))
	if err != nil {
		return "?token=" + url.QueryEscape(token)
	}
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// SubmitSurvey records the customer's answer (anonymous: the token is the
// credential): a score 0..10 and a comment, once.
func (s *Service) SubmitSurvey(ctx context.Context, token string, score int, comment *string) (*ent.Survey, error) {
	if score < 0 || score > 10 {
		return nil, errcode.Invalid("score", "score must be between 0 and 10")
	}
	comment, err := validate.Optional("comment", comment, validate.MaxText)
	if err != nil {
		return nil, err
	}
	var out *ent.Survey
	err = entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		sv, err := s.cfg.Authn.AnswerSurvey(ctx, c, token, score, comment)
		if err != nil {
			return err
		}
		out = sv
		// The token is the credential: Lanes records the answer in the
		// survey's tenant.
		ctx = tenant.NewContext(ctx, tenant.Actor{Kind: tenant.KindSystem, TenantID: sv.TenantID, Credential: "survey:" + string(sv.ID)})
		return s.record(ctx, c, events.SurveyAnswered, sv.ProjectID, "survey", map[string]any{"id": sv.ID, "score": sv.Score, "comment": sv.Comment})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NPS is the Net Promoter Score of a tenant's answered surveys.
type NPS struct {
	// Score is promoters minus detractors in percent of the responses;
	// nil without responses.
	Score                                      *float64
	Responses, Promoters, Passives, Detractors int
}

// TenantNPS computes the NPS of a tenant the caller acts in, in one
// grouped query.
func (s *Service) TenantNPS(ctx context.Context, tenantID pulid.ID) (*NPS, error) {
	ctx, err := tenant.Within(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if _, err := tenant.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var rows []struct {
		Promoters  int `json:"promoters"`
		Passives   int `json:"passives"`
		Detractors int `json:"detractors"`
	}
	err = s.cfg.Client.Survey.Query().
		Where(survey.AnsweredAtNotNil()).
		Modify(func(sel *sql.Selector) {
			score := sel.C(survey.FieldScore)
			sel.Select().
				AppendSelectExprAs(sql.Raw("COALESCE(SUM(CASE WHEN "+score+" >= 9 THEN 1 ELSE 0 END), 0)"), "promoters").
				AppendSelectExprAs(sql.Raw("COALESCE(SUM(CASE WHEN "+score+" IN (7, 8) THEN 1 ELSE 0 END), 0)"), "passives").
				AppendSelectExprAs(sql.Raw("COALESCE(SUM(CASE WHEN "+score+" <= 6 THEN 1 ELSE 0 END), 0)"), "detractors")
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("nps: %w", err)
	}
	out := &NPS{}
	if len(rows) == 1 {
		out.Promoters, out.Passives, out.Detractors = rows[0].Promoters, rows[0].Passives, rows[0].Detractors
	}
	out.Responses = out.Promoters + out.Passives + out.Detractors
	if out.Responses > 0 {
		score := float64(out.Promoters-out.Detractors) * 100 / float64(out.Responses)
		out.Score = &score
	}
	return out, nil
}

// ReviewCustomerInput is the input of ReviewCustomer.
type ReviewCustomerInput struct {
	ProjectID pulid.ID
	Rating    int
	Comment   *string
}

// ReviewCustomer records the partner's private review of a completed
// project's customer (members; one per project, a second call updates it).
// Customers cannot read reviews at all.
func (s *Service) ReviewCustomer(ctx context.Context, in ReviewCustomerInput) (*ent.CustomerReview, error) {
	var out *ent.CustomerReview
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		a, p, err := s.begin(ctx, c, in.ProjectID)
		if err != nil {
			return err
		}
		if a.Kind != tenant.KindMember && a.Kind != tenant.KindPlatform {
			return tenant.ErrForbidden
		}
		if in.Rating < 1 || in.Rating > 5 {
			return errcode.Invalid("rating", "rating must be between 1 and 5")
		}
		comment, err := validate.Optional("comment", in.Comment, validate.MaxText)
		if err != nil {
			return err
		}
		if p.CompletedAt == nil {
			return ErrNotCompleted
		}
		existing, err := c.CustomerReview.Query().Where(customerreview.ProjectID(p.ID)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			out, err = c.CustomerReview.Create().
				SetProjectID(p.ID).SetRating(in.Rating).SetNillableComment(comment).SetAuthor(a.Label()).
				Save(ctx)
			return err
		case err != nil:
			return err
		}
		upd := c.CustomerReview.UpdateOne(existing).SetRating(in.Rating).SetAuthor(a.Label())
		if comment == nil {
			upd.ClearComment()
		} else {
			upd.SetComment(*comment)
		}
		out, err = upd.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// Review returns the partner's review of a project's customer (members).
func (s *Service) Review(ctx context.Context, p *ent.Project) (*ent.CustomerReview, error) {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Authz.Require(a, policies.ReadProjects); err != nil {
		return nil, err
	}
	r, err := s.cfg.Client.CustomerReview.Query().Where(customerreview.ProjectID(p.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return r, err
}
