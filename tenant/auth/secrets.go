package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/payment"
	"github.com/lanes-dev/lanes/ent/serversecret"
	"github.com/lanes-dev/lanes/ent/survey"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// ServerSecret returns the shared random key of the given name, creating it
// on first use; every server on the database gets the same key.
func ServerSecret(ctx context.Context, client *ent.Client, name string) ([]byte, error) {
	sys := tenant.SystemContext(ctx)
	s, err := client.ServerSecret.Query().Where(serversecret.Name(name)).Only(sys)
	if err == nil {
		return s.Value, nil
	}
	if !ent.IsNotFound(err) {
		return nil, fmt.Errorf("load server secret %s: %w", name, err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	err = client.ServerSecret.Create().SetName(name).SetValue(key).Exec(sys)
	if ent.IsConstraintError(err) { // another server made it first
		return ServerSecret(ctx, client, name)
	}
	if err != nil {
		return nil, fmt.Errorf("create server secret %s: %w", name, err)
	}
	return key, nil
}

// SurveyTokenPrefix starts survey tokens.
const SurveyTokenPrefix = "lsv_"

// SurveyToken derives the token of a survey from the server's key: the link
// can be shown again to members (it is not stored), while only its hash is
// kept for the lookup.
func SurveyToken(key []byte, surveyID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("survey\x00" + surveyID))
	return SurveyTokenPrefix + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ErrSurveyTokenInvalid is an unknown or already answered survey token.
var ErrSurveyTokenInvalid = errcode.New(errcode.TokenInvalid, "the survey link is invalid or was already answered")

// AnswerSurvey records the answer of the survey a token names, once: the
// token is the credential (anonymous call), and a conditional update makes
// a second answer TOKEN_INVALID even under concurrency.
func (a *Authenticator) AnswerSurvey(ctx context.Context, c *ent.Client, token string, score int, comment *string) (*ent.Survey, error) {
	sys := tenant.SystemContext(ctx)
	s, err := c.Survey.Query().Where(survey.TokenHash(HashSecret(token))).Only(sys)
	if ent.IsNotFound(err) {
		return nil, ErrSurveyTokenInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("look up survey: %w", err)
	}
	now := time.Now()
	n, err := c.Survey.Update().
		Where(survey.ID(s.ID), survey.AnsweredAtIsNil()).
		SetScore(score).
		SetNillableComment(comment).
		SetAnsweredAt(now).
		Save(sys)
	if err != nil {
		return nil, fmt.Errorf("answer survey: %w", err)
	}
	if n != 1 {
		return nil, ErrSurveyTokenInvalid
	}
	return c.Survey.Get(sys, s.ID)
}

// PaymentActor returns, for a provider's verified notification about one of
// its payments, an actor in the payment's tenant (the webhook carries no
// tenant credential; the provider's signature is the credential). Unknown
// payments are ent's not found.
func (a *Authenticator) PaymentActor(ctx context.Context, provider, externalID string) (tenant.Actor, error) {
	p, err := a.client.Payment.Query().
		Where(payment.Provider(provider), payment.ExternalID(externalID)).
		Only(tenant.SystemContext(ctx))
	if err != nil {
		return tenant.Actor{}, err
	}
	return tenant.Actor{Kind: tenant.KindSystem, TenantID: p.TenantID, Role: role.Owner, Credential: "webhook:" + provider}, nil
}
