// Package auth turns request credentials into a tenant.Actor: the platform's
// API key (X-Api-Key, optionally X-Tenant), a member's JWT, or a customer's
// portal session token; and it exchanges invitation tokens for portal
// sessions. Secrets are stored as SHA-256 hashes only.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/apikey"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/predicate"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	enttenant "github.com/lanes-dev/lanes/ent/tenant"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// Header names of the credentials.
const (
	HeaderAPIKey        = "X-Api-Key"
	HeaderTenant        = "X-Tenant"
	HeaderAuthorization = "Authorization"
)

// Errors of authentication. All are UNAUTHENTICATED and say nothing about
// which part of a credential was wrong.
var (
	ErrInvalidAPIKey   = errcode.New(errcode.Unauthenticated, "invalid API key")
	ErrInvalidToken    = errcode.New(errcode.Unauthenticated, "invalid or expired token")
	ErrUnknownTenant   = errcode.New(errcode.Unauthenticated, "unknown tenant")
	ErrTwoCredentials  = errcode.New(errcode.Unauthenticated, "send either X-Api-Key or Authorization, not both")
	ErrMalformedHeader = errcode.New(errcode.Unauthenticated, "Authorization must be 'Bearer <token>'")
)

// Credentials are what a request presents.
type Credentials struct {
	APIKey string
	Bearer string
	Tenant string
	// malformed is set when an Authorization header was not a Bearer token.
	malformed bool
}

// CredentialsFromHeader reads the credential headers.
func CredentialsFromHeader(h http.Header) Credentials {
	c := Credentials{
		APIKey: strings.TrimSpace(h.Get(HeaderAPIKey)),
		Tenant: strings.TrimSpace(h.Get(HeaderTenant)),
	}
	if v := strings.TrimSpace(h.Get(HeaderAuthorization)); v != "" {
		scheme, token, ok := strings.Cut(v, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != "" {
			c.Bearer = strings.TrimSpace(token)
		} else {
			c.malformed = true
		}
	}
	return c
}

// CredentialsFromMap reads credentials from a WebSocket connection_init
// payload, whose keys mirror the HTTP headers.
func CredentialsFromMap(m map[string]any) Credentials {
	h := http.Header{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			h.Set(k, s)
		}
	}
	return CredentialsFromHeader(h)
}

// Secret is the presented secret (the API key or the bearer token), for
// the budgets of failed authentications.
func (c Credentials) Secret() string {
	if c.APIKey != "" {
		return c.APIKey
	}
	return c.Bearer
}

// Empty reports whether no credential was presented (an anonymous call).
func (c Credentials) Empty() bool { return c.APIKey == "" && c.Bearer == "" && !c.malformed }

// Authenticator verifies credentials.
type Authenticator struct {
	client  *ent.Client
	jwt     *jwtVerifier
	members *memberCache
}

// New returns an Authenticator over the client. A zero JWTConfig disables
// member tokens.
func New(client *ent.Client, cfg JWTConfig) (*Authenticator, error) {
	v, err := newJWTVerifier(cfg)
	if err != nil {
		return nil, err
	}
	return &Authenticator{client: client, jwt: v, members: newMemberCache()}, nil
}

// Authenticate returns the actor the credentials prove. ok is false for an
// anonymous call (no credentials); bad credentials are an error.
func (a *Authenticator) Authenticate(ctx context.Context, c Credentials) (actor tenant.Actor, ok bool, err error) {
	switch {
	case c.Empty():
		return tenant.Actor{}, false, nil
	case c.malformed:
		return tenant.Actor{}, false, ErrMalformedHeader
	case c.APIKey != "" && c.Bearer != "":
		return tenant.Actor{}, false, ErrTwoCredentials
	case c.APIKey != "":
		actor, err = a.platform(ctx, c.APIKey, c.Tenant)
	case strings.HasPrefix(c.Bearer, PortalTokenPrefix):
		actor, err = a.portalActor(ctx, c.Bearer)
	default:
		actor, err = a.member(ctx, c.Bearer)
	}
	if err != nil {
		return tenant.Actor{}, false, err
	}
	return actor, true, nil
}

func (a *Authenticator) platform(ctx context.Context, key, tenantRef string) (tenant.Actor, error) {
	k, err := a.lookupAPIKey(ctx, key)
	if err != nil {
		return tenant.Actor{}, err
	}
	credential := "key:" + string(k.ID)
	if tenantRef == "" {
		return tenant.Actor{Kind: tenant.KindPlatform, Credential: credential}, nil
	}
	return a.PlatformActor(ctx, tenantRef, credential)
}

// PlatformActor returns the platform acting as OWNER in the tenant named by
// slug or ID. The Go SDK uses it for embedders, who hold the platform's
// trust by holding the SDK.
func (a *Authenticator) PlatformActor(ctx context.Context, tenantRef, credential string) (tenant.Actor, error) {
	if !validRef(tenantRef) {
		return tenant.Actor{}, ErrUnknownTenant
	}
	t, err := a.client.Tenant.Query().
		Where(tenantMatches(tenantRef)).
		Only(tenant.SystemContext(ctx))
	if ent.IsNotFound(err) {
		return tenant.Actor{}, ErrUnknownTenant
	}
	if err != nil {
		return tenant.Actor{}, fmt.Errorf("resolve tenant: %w", err)
	}
	return tenant.Actor{Kind: tenant.KindPlatform, TenantID: t.ID, Role: role.Owner, Credential: credential}, nil
}

// maxRefBytes bounds the tenant references and external IDs looked up:
// slugs have at most 63 characters, IDs 40, external IDs 200 (of at most
// four bytes each).
const maxRefBytes = 800

// validRef reports whether a tenant reference or external ID from a
// credential (JWT claims, X-Tenant, the Go SDK's AsMember) can name
// anything: not too long, valid UTF-8 and without NUL characters, which
// PostgreSQL would refuse. Anything else names no one (UNAUTHENTICATED),
// without a query.
func validRef(s string) bool {
	return len(s) <= maxRefBytes && utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// tenantMatches selects a tenant by ID ("ten_...") or slug.
func tenantMatches(ref string) predicate.Tenant {
	return enttenant.Or(enttenant.ID(pulid.ID(ref)), enttenant.Slug(ref))
}

func (a *Authenticator) lookupAPIKey(ctx context.Context, key string) (*ent.APIKey, error) {
	hash := HashSecret(key)
	k, err := a.client.APIKey.Query().
		Where(apikey.SecretHash(hash), apikey.RevokedAtIsNil()).
		Only(tenant.SystemContext(ctx))
	if ent.IsNotFound(err) {
		return nil, ErrInvalidAPIKey
	}
	if err != nil {
		return nil, fmt.Errorf("look up API key: %w", err)
	}
	// The index lookup already matched the hash; compare again in constant
	// time so no code path compares secrets byte by byte.
	if subtle.ConstantTimeCompare([]byte(k.SecretHash), []byte(hash)) != 1 {
		return nil, ErrInvalidAPIKey
	}
	return k, nil
}

func (a *Authenticator) member(ctx context.Context, token string) (tenant.Actor, error) {
	if a.jwt == nil {
		return tenant.Actor{}, ErrInvalidToken
	}
	claims, err := a.jwt.verify(token)
	if err != nil {
		return tenant.Actor{}, ErrInvalidToken
	}
	actor, err := a.MemberActor(ctx, claims.TenantRef, claims.Subject)
	if errors.Is(err, ErrUnknownMember) {
		return tenant.Actor{}, ErrInvalidToken
	}
	if claims.ExpiresAt != nil {
		actor.ExpiresAt = claims.ExpiresAt.Time
	}
	return actor, err
}

// ErrUnknownMember: no member with that external ID in that tenant.
var ErrUnknownMember = errcode.New(errcode.Unauthenticated, "unknown member")

// MemberActor returns the member with the external ID in the tenant named by
// slug or ID, with its stored role: one query, then reused for a while
// (memberCacheTTL).
func (a *Authenticator) MemberActor(ctx context.Context, tenantRef, externalID string) (tenant.Actor, error) {
	if !validRef(tenantRef) || !validRef(externalID) {
		return tenant.Actor{}, ErrUnknownMember
	}
	if actor, ok := a.members.get(tenantRef, externalID); ok {
		return actor, nil
	}
	gen := a.members.gen()
	actor, err := a.lookupMember(ctx, tenantRef, externalID)
	if err == nil {
		a.members.put(tenantRef, externalID, actor, gen)
	}
	return actor, err
}

// ForgetMember drops a member's cached actor (its role changed, or it was
// removed): the next request resolves it again.
func (a *Authenticator) ForgetMember(memberID string) { a.members.forget(memberID) }

// MembersChannel is the PostgreSQL channel of member changes (role,
// removal); the payload is the member ID.
const MembersChannel = "lanes_members"

func (a *Authenticator) lookupMember(ctx context.Context, tenantRef, externalID string) (tenant.Actor, error) {
	m, err := a.client.Member.Query().
		Where(member.ExternalID(externalID), member.RemovedAtIsNil(), member.HasTenantWith(tenantMatches(tenantRef))).
		Only(tenant.SystemContext(ctx))
	if ent.IsNotFound(err) || ent.IsNotSingular(err) {
		return tenant.Actor{}, ErrUnknownMember
	}
	if err != nil {
		return tenant.Actor{}, fmt.Errorf("resolve member: %w", err)
	}
	return tenant.Actor{
		Kind:       tenant.KindMember,
		TenantID:   m.TenantID,
		MemberID:   m.ID,
		Role:       m.Role, // the stored role wins over any claim
		Credential: "member:" + string(m.ID),
	}, nil
}

// HashSecret returns the hex SHA-256 under which keys and tokens are stored.
// They are 256-bit random strings, so a fast hash suffices.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// MinAPIKeyLength is the shortest API key Lanes accepts from configuration.
const MinAPIKeyLength = 16

// EnsureAPIKey stores a platform API key (the bootstrap key from
// LANES_PLATFORM_KEY) unless it is already stored.
func EnsureAPIKey(ctx context.Context, client *ent.Client, name, key string) error {
	if len(key) < MinAPIKeyLength {
		return fmt.Errorf("platform key must be at least %d characters", MinAPIKeyLength)
	}
	ctx = tenant.SystemContext(ctx)
	hash := HashSecret(key)
	exists, err := client.APIKey.Query().Where(apikey.SecretHash(hash)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("look up platform key: %w", err)
	}
	if exists {
		return nil
	}
	err = client.APIKey.Create().SetName(name).SetSecretHash(hash).Exec(ctx)
	if err != nil && !ent.IsConstraintError(err) { // another replica stored it first
		return fmt.Errorf("store platform key: %w", err)
	}
	return nil
}

// NewSecret returns a random 256-bit secret with the given prefix, for API
// keys, invitation and session tokens.
func NewSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}
