// Package sdk is the public Go API of Lanes: Open a Lanes on a database,
// serve its GraphQL API with Handler, or call the domain services directly
// as an embedding platform.
package sdk

import (
	"entgo.io/ent/dialect"
	"gocloud.dev/blob"

	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/graph/live"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/deals"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/notifications"
	"github.com/lanes-dev/lanes/sdk/portal"
	"github.com/lanes-dev/lanes/sdk/store"
	"github.com/lanes-dev/lanes/sdk/tenancy"
	"github.com/lanes-dev/lanes/sdk/timetrack"
	"github.com/lanes-dev/lanes/sdk/webhook"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// Lanes is an open Lanes instance.
type Lanes struct {
	// Tenants manages tenants and members.
	Tenants *tenancy.Service
	// Workflows is the workflow engine: statuses, projects, the board.
	Workflows *workflow.Service
	// Portal is the customer portal: invitations, features, wishes, files.
	Portal *portal.Service
	// Time is time tracking: timers, entries, reports.
	Time *timetrack.Service
	// Deals is the partner-lead money end: payments, completion, surveys.
	Deals *deals.Service
	// Events is the event log every change writes to, and its feed.
	Events *events.Log
	// Webhooks manages the tenants' webhook endpoints.
	Webhooks *webhook.Service
	// Notifications is each member's feed of what happened in its tenant.
	Notifications *notifications.Service

	deliverer *webhook.Deliverer
	cfg       Config
	db        *store.DB
	authn     *auth.Authenticator
	authz     policies.Roles
	features  *policies.Features
	bucket    *blob.Bucket
	signer    *portal.Signer
	handler   http.Handler
	// live serves GraphQL over graphql-transport-ws.
	live *live.Transport
	// console serves the console (web/).
	console *console
	limits  *limits
	stop    context.CancelFunc
	// listening is closed once the change listener is connected (at once
	// where there is none: SQLite relies on cache TTLs).
	listening     chan struct{}
	listeningOnce sync.Once
	// readiness runs /readyz's database checks.
	readiness readiness
}

// Open opens (and migrates) the database and wires the services.
func Open(ctx context.Context, cfg Config) (*Lanes, error) {
	cfg = cfg.withDefaults()
	db, err := store.Open(ctx, store.Options{
		URL:          cfg.DatabaseURL,
		DataDir:      cfg.DataDir,
		MaxOpenConns: cfg.MaxOpenConns,
		WrapDriver:   cfg.WrapDriver,
	})
	if err != nil {
		return nil, err
	}
	l, err := wire(ctx, cfg, db)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return l, nil
}

func wire(ctx context.Context, cfg Config, db *store.DB) (*Lanes, error) {
	templates, err := workflow.BuiltinTemplates()
	if err != nil {
		return nil, err
	}
	for _, t := range cfg.Templates {
		if err := t.Validate(); err != nil {
			return nil, err
		}
		templates[t.Key] = t
	}
	// Statuses older than their category column get their template's.
	categories := store.Backfill{
		Due: func(ctx context.Context) (bool, error) {
			has, err := db.HasColumn(ctx, "statuses", "category")
			return !has, err
		},
		Run: func(ctx context.Context) error {
			return workflow.BackfillCategories(ctx, db.SQL, db.Dialect, templates)
		},
	}
	if err := db.MigrateWith(ctx, []store.Backfill{categories}, func(ctx context.Context) error {
		return webhook.MigrateQueue(ctx, db.SQL, db.Dialect)
	}); err != nil {
		return nil, err
	}
	authz, err := roles(cfg)
	if err != nil {
		return nil, err
	}
	authn, err := auth.New(db.Client, cfg.JWT)
	if err != nil {
		return nil, err
	}
	if cfg.PlatformKey != "" {
		if err := auth.EnsureAPIKey(ctx, db.Client, "bootstrap (LANES_PLATFORM_KEY)", cfg.PlatformKey); err != nil {
			return nil, err
		}
	}
	eventLog := events.NewLog(events.Config{Client: db.Client, Authz: authz, Postgres: db.Dialect == dialect.Postgres, Logger: cfg.Logger})
	features, err := policies.NewFeatures(policies.FeaturesConfig{
		Client:   db.Client,
		Defaults: featureDefaults(templates),
		Capacity: cfg.PolicyCacheTenants,
		TTL:      cfg.PolicyCacheTTL,
		Notify:   db.Dialect == dialect.Postgres,
	})
	if err != nil {
		return nil, err
	}
	engine := workflow.NewService(workflow.Config{
		Client: db.Client, Authz: authz, Templates: templates, Dialect: db.Dialect,
		ConfigCacheTenants: cfg.ConfigCacheTenants, ConfigCacheTTL: cfg.ConfigCacheTTL,
		Events: eventLog, Features: features,
	})
	bucket, err := openBucket(ctx, cfg)
	if err != nil {
		return nil, err
	}
	signingKey := cfg.SigningKey
	if len(signingKey) == 0 {
		if signingKey, err = auth.ServerSecret(ctx, db.Client, "signing"); err != nil {
			return nil, err
		}
	}
	surveyKey, err := auth.ServerSecret(ctx, db.Client, "surveys")
	if err != nil {
		return nil, err
	}
	signer := portal.NewSigner(signingKey)
	provider := cfg.Payments
	if provider == nil && cfg.StripeKey != "" {
		provider = deals.NewStripe(cfg.StripeKey, cfg.StripeAPIBase)
	}
	rateLimits, err := newLimits(cfg)
	if err != nil {
		return nil, err
	}
	webhooks := webhook.NewService(webhook.Config{
		Client: db.Client, Authz: authz, AllowLoopback: cfg.WebhookAllowLoopback, Postgres: db.Dialect == dialect.Postgres,
	})
	deliverer, err := webhook.NewDeliverer(webhooks, webhook.DeliveryConfig{
		DB:           db.SQL,
		Dialect:      db.Dialect,
		Events:       eventLog,
		Logger:       cfg.Logger,
		RetryMin:     cfg.WebhookRetryMin,
		DisableAfter: cfg.WebhookDisableAfter,
		Workers:      cfg.WebhookWorkers,
	})
	if err != nil {
		return nil, err
	}
	timeService := timetrack.NewService(db.Client, authz, db.Dialect == dialect.Postgres)
	memberHooks := tenancy.MemberHooks{
		Changed: func(id pulid.ID) { authn.ForgetMember(string(id)) },
		Removing: func(ctx context.Context, c *ent.Client, id pulid.ID) error {
			if err := timeService.StopMemberTimer(ctx, c, id); err != nil {
				return err
			}
			return engine.MemberRemoved(ctx, c, id)
		},
	}
	if db.Dialect == dialect.Postgres {
		memberHooks.Notify = func(ctx context.Context, c *ent.Client, id pulid.ID) error {
			if _, err := c.ExecContext(ctx, "SELECT pg_notify($1, $2)", auth.MembersChannel, string(id)); err != nil {
				return fmt.Errorf("notify member change: %w", err)
			}
			return nil
		}
	}
	l := &Lanes{
		limits:        rateLimits,
		Tenants:       tenancy.NewService(db.Client, authz, engine, db.Dialect == dialect.Postgres, memberHooks),
		Workflows:     engine,
		Events:        eventLog,
		Webhooks:      webhooks,
		deliverer:     deliverer,
		Notifications: notifications.NewService(db.Client, db.Dialect),
		Time:          timeService,
		Deals: deals.NewService(deals.Config{
			Client:    db.Client,
			Authz:     authz,
			Engine:    engine,
			Authn:     authn,
			Provider:  provider,
			SurveyKey: surveyKey,
			SurveyURL: cfg.SurveyURL,
			Logger:    cfg.Logger,
			Events:    eventLog,
		}),
		Portal: portal.NewService(portal.Config{
			Client:         db.Client,
			Authz:          authz,
			Features:       features,
			Authn:          authn,
			Bucket:         bucket,
			Signer:         signer,
			Postgres:       db.Dialect == dialect.Postgres,
			PortalURL:      cfg.PortalURL,
			InvitationTTL:  cfg.InvitationTTL,
			SessionTTL:     cfg.SessionTTL,
			MaxUploadBytes: cfg.MaxUploadBytes,
			Events:         eventLog,
			Statuses:       engine,
			Automations:    engine,
		}),
		cfg:      cfg,
		db:       db,
		authn:    authn,
		authz:    authz,
		features: features,
		bucket:   bucket,
		signer:   signer,

		listening: make(chan struct{}),
	}
	if l.console, err = newConsole(); err != nil {
		return nil, err
	}
	l.handler = l.newHandler()
	if err := deliverer.Start(ctx); err != nil {
		return nil, err
	}
	if db.Dialect != dialect.Postgres {
		l.markListening()
	} else {
		listenCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		l.stop = stop
		go l.listenChanges(listenCtx)
	}
	return l, nil
}

// roles returns the configured role authority, else Lanes' casbin one.
func roles(cfg Config) (policies.Roles, error) {
	if cfg.Roles != nil {
		return cfg.Roles, nil
	}
	return policies.NewAuthorizer()
}

// featureDefaults are the portal features each template status unlocks.
func featureDefaults(templates map[string]workflow.Template) []policies.StatusFeatures {
	var out []policies.StatusFeatures
	for _, t := range templates {
		for _, st := range t.Statuses {
			sf := policies.StatusFeatures{Workflow: t.Key, Status: st.Key}
			for _, f := range st.Features {
				sf.Features = append(sf.Features, policies.Feature(f))
			}
			out = append(out, sf)
		}
	}
	return out
}

// Handler serves the GraphQL API (POST/GET/WebSocket at /graphql), the
// playground at / in development mode, and /healthz and /readyz.
func (l *Lanes) Handler() http.Handler { return l.handler }

// Client is the ent client, for embedders that need raw data access. Its
// privacy rules apply: use a context from AsPlatform or AsMember.
func (l *Lanes) Client() *ent.Client { return l.db.Client }

// Dialect is "sqlite3" or "postgres".
func (l *Lanes) Dialect() string { return l.db.Dialect }

// closeTimeout is how long Close lets running webhook attempts finish.
const closeTimeout = 15 * time.Second

// Close stops background work (running webhook attempts get a few
// seconds; what they leave is retried by the next start) and releases the
// blob store and database.
func (l *Lanes) Close() error {
	if l.stop != nil {
		l.stop()
	}
	l.live.Close()
	l.Events.Close()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return errors.Join(l.deliverer.Stop(ctx), l.bucket.Close(), l.db.Close())
}

// AsPlatform returns a context acting as the platform: inside the tenant
// named by slug or ID (as its OWNER), or outside any tenant when tenantRef
// is empty (to create tenants).
func (l *Lanes) AsPlatform(ctx context.Context, tenantRef string) (context.Context, error) {
	if tenantRef == "" {
		return tenant.NewContext(ctx, tenant.Actor{Kind: tenant.KindPlatform, Credential: "sdk"}), nil
	}
	a, err := l.authn.PlatformActor(ctx, tenantRef, "sdk")
	if err != nil {
		return nil, fmt.Errorf("act as platform in %s: %w", tenantRef, err)
	}
	return tenant.NewContext(ctx, a), nil
}

// AsMember returns a context acting as the member with the external ID in
// the tenant named by slug or ID, with the member's stored role.
func (l *Lanes) AsMember(ctx context.Context, tenantRef, externalID string) (context.Context, error) {
	a, err := l.authn.MemberActor(ctx, tenantRef, externalID)
	if err != nil {
		return nil, fmt.Errorf("act as member %s in %s: %w", externalID, tenantRef, err)
	}
	return tenant.NewContext(ctx, a), nil
}

// DB is the database pool, for embedders' own read-only SQL (reports,
// health checks). It bypasses tenant isolation: scope every query yourself.
func (l *Lanes) DB() *sql.DB { return l.db.SQL }

// AsCredentials returns a context acting as whoever the headers' credentials
// name (X-Api-Key with X-Tenant, or Authorization: Bearer ...), for
// embedders that forward requests of their own.
func (l *Lanes) AsCredentials(ctx context.Context, h http.Header) (context.Context, error) {
	a, ok, err := l.authn.Authenticate(ctx, auth.CredentialsFromHeader(h))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, tenant.ErrUnauthenticated
	}
	return tenant.NewContext(ctx, a), nil
}
