package sdk

import (
	"log/slog"
	"time"

	"entgo.io/ent/dialect"

	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/deals"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// Config configures an embedded Lanes. The zero value runs on an SQLite
// database in ./data with production defaults for every limit.
type Config struct {
	// DatabaseURL: postgres://... for PostgreSQL (pgx v5), sqlite:<path> or
	// file:<path> for SQLite; empty: SQLite file lanes.db in DataDir.
	DatabaseURL string
	// DataDir holds the default SQLite database (default "./data").
	DataDir string
	// MaxOpenConns bounds the database pool (default 20).
	MaxOpenConns int
	// WrapDriver, when set, wraps the database driver (tracing, statement
	// counting; see lanestest.StatementCounter).
	WrapDriver func(dialect.Driver) dialect.Driver

	// PlatformKey, when set, is stored as a platform API key at startup
	// (LANES_PLATFORM_KEY), so a fresh server can be driven by scripts.
	PlatformKey string
	// JWT configures member tokens (LANES_JWT_SECRET / LANES_JWT_PUBLIC_KEYS).
	JWT auth.JWTConfig

	// Dev enables the GraphQL playground and introspection (--demo, LANES_DEV=1).
	Dev bool
	// Demo, in development mode with an HS256 JWT secret, lets the
	// console sign in as the demo tenant's members (--demo).
	Demo *DemoSignIn
	// CORSOrigins lists browser origins allowed to call the API ("*": any).
	CORSOrigins []string

	// MaxBodyBytes limits a GraphQL request body (default 1 MiB); larger: 413.
	MaxBodyBytes int64
	// MaxQueryDepth and MaxQueryComplexity bound an operation
	// (defaults 12 and 10,000: complexity.go in graph); beyond: QUERY_TOO_COMPLEX.
	MaxQueryDepth      int
	MaxQueryComplexity int
	// MaxQueryTokens bounds the tokens of a GraphQL document (default
	// 10,000); beyond: QUERY_TOO_COMPLEX.
	MaxQueryTokens int
	// MaxMutations bounds the root fields of one mutation operation
	// (default 20); each counts against the rate limit.
	MaxMutations int
	// RequestTimeout bounds one HTTP request (default 30s).
	RequestTimeout time.Duration
	// RateLimit is requests per second per credential (default 100) with
	// RateBurst (default 200); a negative RateLimit disables limiting.
	RateLimit float64
	RateBurst int
	// AuthFailureLimit is how many failed authentications (bad keys,
	// tokens, JWTs, invitation and survey tokens) a client address, and a
	// credential prefix, may have per minute (default 20); beyond:
	// RATE_LIMITED.
	AuthFailureLimit int
	// TrustedProxies lists the proxies (IP addresses or CIDR prefixes)
	// whose X-Forwarded-For names the client address; from anyone else
	// the header is ignored.
	TrustedProxies []string
	// WebhookAllowLoopback lets webhook endpoints be http:// URLs of
	// loopback addresses (development and tests); otherwise only https://
	// to public addresses.
	WebhookAllowLoopback bool
	// WebhookRetryMin is the delay before a failed delivery's first retry
	// (LANES_WEBHOOK_RETRY_MIN, default 5 s); each next one doubles, up to
	// an hour. An endpoint failing for WebhookDisableAfter (default 3
	// days) is disabled and its tenant's owners are notified.
	WebhookRetryMin     time.Duration
	WebhookDisableAfter time.Duration
	// WebhookWorkers bounds this process's concurrent deliveries (default
	// 10); negative: it delivers nothing itself and leaves the jobs it
	// enqueues to replicas that do.
	WebhookWorkers int

	// BlobURL is where uploaded files go (gocloud.dev/blob URL, e.g.
	// file:///var/lib/lanes/blobs or s3://bucket); empty: the blobs
	// directory in DataDir. A file:// bucket keeps its temporary files in
	// its own directory (no_tmp_dir=1 unless the URL sets no_tmp_dir), so
	// it may be on another file system than os.TempDir.
	BlobURL string
	// MaxUploadBytes bounds one uploaded file (default 25 MiB).
	MaxUploadBytes int64
	// PortalURL is the page that accepts portal invitations; invitation
	// URLs are it with ?token=... (default: the console's page
	// /portal/accept where the inviting request was served).
	PortalURL string
	// InvitationTTL (default 7 days) and SessionTTL (default 30 days) bound
	// portal invitations and sessions.
	InvitationTTL time.Duration
	SessionTTL    time.Duration
	// SigningKey signs file download URLs. Empty: a random key made on
	// first start and kept in the database, shared by every replica.
	SigningKey []byte
	// PolicyCacheTenants bounds the tenants whose feature decisions are
	// cached (default 10,000); PolicyCacheTTL bounds how long (default 5
	// minutes; on PostgreSQL changes reach every replica at once anyway).
	PolicyCacheTenants int
	PolicyCacheTTL     time.Duration
	// ConfigCacheTenants bounds the tenants whose workflows (statuses,
	// transitions, automations) are cached (default 10,000); ConfigCacheTTL
	// bounds how long (default 1 minute; on PostgreSQL changes reach every
	// replica at once anyway).
	ConfigCacheTenants int
	ConfigCacheTTL     time.Duration

	// Roles replaces Lanes' role table (OWNER, ADMIN, MEMBER, VIEWER as the
	// contract describes them, enforced through casbin) with the embedding
	// platform's own decisions. Tenant isolation does not depend on it.
	Roles policies.Roles

	// StripeKey enables payment links through Stripe (LANES_STRIPE_KEY);
	// StripeAPIBase points at another Stripe API, e.g. a local stripe-mock;
	// StripeWebhookSecret verifies Stripe's webhooks at /webhooks/stripe.
	StripeKey           string
	StripeAPIBase       string
	StripeWebhookSecret string
	// Payments replaces the payment provider (Stripe by default).
	Payments deals.PaymentProvider
	// SurveyURL is the page where customers answer the NPS survey;
	// ?token= is appended (default: the console's page /survey where the
	// request reading the link was served).
	SurveyURL string

	// Templates adds workflow templates to the built-in ones (or replaces
	// one with the same key).
	Templates []workflow.Template

	// Logger receives the server's logs (default slog.Default()).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxQueryDepth <= 0 {
		c.MaxQueryDepth = 12
	}
	if c.MaxQueryComplexity <= 0 {
		c.MaxQueryComplexity = 10000
	}
	if c.MaxQueryTokens <= 0 {
		c.MaxQueryTokens = 10000
	}
	if c.MaxMutations <= 0 {
		c.MaxMutations = 20
	}
	if c.AuthFailureLimit <= 0 {
		c.AuthFailureLimit = 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.RateLimit == 0 {
		c.RateLimit = 100
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 200
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 25 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
