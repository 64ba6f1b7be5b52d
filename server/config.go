package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lanes-dev/lanes/sdk"
)

// options are the server's settings: each flag defaults to its LANES_*
// environment variable, so both spell the same thing.
type options struct {
	addr            string
	demo            bool
	shutdownTimeout time.Duration
	jwtPublicKeys   string
	cfg             sdk.Config
}

func parseOptions(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("lanes", flag.ContinueOnError)
	c := &o.cfg
	var jwtSecret, cors, signingKey, proxies string
	fs.StringVar(&o.addr, "addr", env("LANES_ADDR", ":8080"), "listen address (LANES_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("LANES_DATABASE_URL", ""), "postgres://... or sqlite:<path>; empty: SQLite in the data dir (LANES_DATABASE_URL)")
	fs.StringVar(&c.DataDir, "data-dir", env("LANES_DATA_DIR", "./data"), "directory of the embedded SQLite database (LANES_DATA_DIR)")
	fs.StringVar(&c.PlatformKey, "platform-key", env("LANES_PLATFORM_KEY", ""), "bootstrap platform API key (LANES_PLATFORM_KEY)")
	fs.StringVar(&jwtSecret, "jwt-secret", env("LANES_JWT_SECRET", ""), "HS256 secret for member JWTs (LANES_JWT_SECRET)")
	fs.StringVar(&o.jwtPublicKeys, "jwt-public-keys", env("LANES_JWT_PUBLIC_KEYS", ""), "PEM public keys for RS256/EdDSA member JWTs, inline or a file path (LANES_JWT_PUBLIC_KEYS)")
	fs.StringVar(&c.JWT.Algorithm, "jwt-alg", env("LANES_JWT_ALG", ""), "pinned JWT algorithm: HS256, RS256 or EdDSA (LANES_JWT_ALG)")
	fs.StringVar(&c.JWT.Issuer, "jwt-issuer", env("LANES_JWT_ISSUER", ""), "required JWT iss (LANES_JWT_ISSUER)")
	fs.StringVar(&c.JWT.Audience, "jwt-audience", env("LANES_JWT_AUDIENCE", ""), "required JWT aud (LANES_JWT_AUDIENCE)")
	fs.BoolVar(&c.Dev, "dev", envBool("LANES_DEV"), "development mode: playground and introspection (LANES_DEV)")
	fs.StringVar(&cors, "cors-origins", env("LANES_CORS_ORIGINS", ""), "comma-separated browser origins allowed to call the API (LANES_CORS_ORIGINS)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", envInt64("LANES_MAX_BODY_BYTES", 1<<20), "request body limit in bytes (LANES_MAX_BODY_BYTES)")
	fs.IntVar(&c.MaxQueryDepth, "max-query-depth", int(envInt64("LANES_MAX_QUERY_DEPTH", 12)), "maximum GraphQL selection depth (LANES_MAX_QUERY_DEPTH)")
	fs.IntVar(&c.MaxQueryComplexity, "max-query-complexity", int(envInt64("LANES_MAX_QUERY_COMPLEXITY", 10000)), "maximum GraphQL complexity (LANES_MAX_QUERY_COMPLEXITY)")
	fs.IntVar(&c.MaxQueryTokens, "max-query-tokens", int(envInt64("LANES_MAX_QUERY_TOKENS", 10000)), "maximum tokens of a GraphQL document (LANES_MAX_QUERY_TOKENS)")
	fs.IntVar(&c.MaxMutations, "max-mutations", int(envInt64("LANES_MAX_MUTATIONS", 20)), "maximum mutations in one GraphQL request (LANES_MAX_MUTATIONS)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", envDuration("LANES_REQUEST_TIMEOUT", 30*time.Second), "per-request timeout (LANES_REQUEST_TIMEOUT)")
	fs.Float64Var(&c.RateLimit, "rate-limit", envFloat("LANES_RATE_LIMIT", 100), "requests per second per credential; negative disables (LANES_RATE_LIMIT)")
	fs.IntVar(&c.RateBurst, "rate-burst", int(envInt64("LANES_RATE_BURST", 200)), "rate limit burst (LANES_RATE_BURST)")
	fs.IntVar(&c.AuthFailureLimit, "auth-failure-limit", int(envInt64("LANES_AUTH_FAILURE_LIMIT", 20)), "failed authentications per minute per client address and per credential prefix (LANES_AUTH_FAILURE_LIMIT)")
	fs.StringVar(&proxies, "trusted-proxies", env("LANES_TRUSTED_PROXIES", ""), "comma-separated proxy addresses or CIDR prefixes whose X-Forwarded-For is believed (LANES_TRUSTED_PROXIES)")
	fs.BoolVar(&c.WebhookAllowLoopback, "webhook-allow-loopback", envBool("LANES_WEBHOOK_ALLOW_LOOPBACK"), "allow http:// webhook endpoints on loopback addresses, for development (LANES_WEBHOOK_ALLOW_LOOPBACK)")
	fs.IntVar(&c.WebhookWorkers, "webhook-workers", int(envInt64("LANES_WEBHOOK_WORKERS", 10)), "concurrent webhook deliveries of this process; negative: none (other replicas deliver) (LANES_WEBHOOK_WORKERS)")
	fs.DurationVar(&c.WebhookRetryMin, "webhook-retry-min", envDuration("LANES_WEBHOOK_RETRY_MIN", 5*time.Second), "delay before a failed webhook delivery's first retry; each next one doubles, up to an hour (LANES_WEBHOOK_RETRY_MIN)")
	fs.StringVar(&c.BlobURL, "blob-url", env("LANES_BLOB_URL", ""), "blob store of uploaded files (gocloud.dev URL); empty: <data-dir>/blobs (LANES_BLOB_URL)")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", envInt64("LANES_MAX_UPLOAD_BYTES", 25<<20), "largest uploaded file (LANES_MAX_UPLOAD_BYTES)")
	fs.StringVar(&c.PortalURL, "portal-url", env("LANES_PORTAL_URL", ""), "page that accepts portal invitations (LANES_PORTAL_URL; default: the console's /portal/accept where the server is reached)")
	fs.DurationVar(&c.InvitationTTL, "invitation-ttl", envDuration("LANES_INVITATION_TTL", 7*24*time.Hour), "lifetime of portal invitations (LANES_INVITATION_TTL)")
	fs.DurationVar(&c.SessionTTL, "session-ttl", envDuration("LANES_SESSION_TTL", 30*24*time.Hour), "lifetime of portal sessions (LANES_SESSION_TTL)")
	fs.StringVar(&signingKey, "signing-key", env("LANES_SIGNING_KEY", ""), "key signing file download links; replicas share it (LANES_SIGNING_KEY)")
	fs.StringVar(&c.StripeKey, "stripe-key", env("LANES_STRIPE_KEY", ""), "Stripe secret key for payment links (LANES_STRIPE_KEY)")
	fs.StringVar(&c.StripeAPIBase, "stripe-api-base", env("LANES_STRIPE_API_BASE", ""), "another Stripe API, e.g. a local stripe-mock (LANES_STRIPE_API_BASE)")
	fs.StringVar(&c.StripeWebhookSecret, "stripe-webhook-secret", env("LANES_STRIPE_WEBHOOK_SECRET", ""), "secret verifying Stripe webhooks at /webhooks/stripe (LANES_STRIPE_WEBHOOK_SECRET)")
	fs.StringVar(&c.SurveyURL, "survey-url", env("LANES_SURVEY_URL", ""), "page where customers answer NPS surveys (LANES_SURVEY_URL; default: the console's /survey where the server is reached)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", envDuration("LANES_SHUTDOWN_TIMEOUT", 20*time.Second), "grace period for in-flight requests on SIGINT/SIGTERM")
	fs.BoolVar(&o.demo, "demo", false, "development mode with a seeded demo tenant; prints credentials")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	c.JWT.Secret = []byte(jwtSecret)
	c.SigningKey = []byte(signingKey)
	if o.jwtPublicKeys != "" {
		pem, err := readInlineOrFile(o.jwtPublicKeys)
		if err != nil {
			return nil, err
		}
		c.JWT.PublicKeysPEM = pem
	}
	c.CORSOrigins = splitList(cors)
	c.TrustedProxies = splitList(proxies)
	if o.demo {
		c.Dev = true
	}
	return o, nil
}

// splitList splits a comma-separated setting, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// readInlineOrFile returns PEM given inline, or the contents of the file
// the value names.
func readInlineOrFile(v string) ([]byte, error) {
	if strings.Contains(v, "-----BEGIN") {
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("read JWT public keys: %w", err)
	}
	return b, nil
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func envBool(key string) bool {
	b, _ := strconv.ParseBool(os.Getenv(key))
	return b
}

func envInt64(key string, def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv(key), 10, 64); err == nil {
		return n
	}
	return def
}

func envFloat(key string, def float64) float64 {
	if n, err := strconv.ParseFloat(os.Getenv(key), 64); err == nil {
		return n
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}
