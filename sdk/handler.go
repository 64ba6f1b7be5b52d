package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lanes-dev/lanes/graph"
	"github.com/lanes-dev/lanes/graph/generated"
	"github.com/lanes-dev/lanes/graph/live"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// GraphQLPath is where the GraphQL API is served.
const GraphQLPath = "/graphql"

func (l *Lanes) newHandler() http.Handler {
	mux := http.NewServeMux()
	api := l.graphQLRequest(l.authenticate(l.graphQLServer()))
	mux.Handle(GraphQLPath, l.cors(api))
	mux.Handle("GET "+l.signer.Path+"{tenant}/{file}", l.rateLimit(http.HandlerFunc(l.serveFile)))
	mux.HandleFunc("POST "+StripeWebhookPath, l.stripeWebhook)
	mux.Handle("GET "+TimeExportPath, l.cors(l.withTimeout(l.authenticate(l.rateLimit(http.HandlerFunc(l.exportTime))))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", l.ready)
	mux.HandleFunc("GET /console/demo", l.demoMembers)
	mux.Handle("POST /console/demo/sign-in", l.rateLimit(http.HandlerFunc(l.demoSignIn)))
	mux.HandleFunc("GET /playground", l.playground)
	// Everything else is the console (its pages route in the browser).
	mux.Handle("/", l.console)
	return l.withClientAddress(l.withOrigin(mux))
}

func (l *Lanes) graphQLServer() *handler.Server {
	cfg := generated.Config{Resolvers: &graph.Resolver{
		Client:         l.db.Client,
		Tenancy:        l.Tenants,
		Engine:         l.Workflows,
		CustomerPortal: l.Portal,
		Time:           l.Time,
		Deals:          l.Deals,
		EventLog:       l.Events,
		Webhooks:       l.Webhooks,
		Notifications:  l.Notifications,
	}}
	srv := handler.New(generated.NewExecutableSchema(cfg))
	l.live = live.New(live.Config{
		Init: func(ctx context.Context, payload map[string]any) (context.Context, error) {
			ctx, _, err := l.websocketInit(ctx, payload)
			return ctx, err
		},
		Scope:         liveScope,
		Present:       graph.ErrorPresenter(l.cfg.Logger),
		AcceptOptions: websocket.AcceptOptions{OriginPatterns: l.websocketOrigins()},
		PingInterval:  15 * time.Second,
		RenderTimeout: l.cfg.RequestTimeout,
		ReadLimit:     l.cfg.MaxBodyBytes,
		Logger:        l.cfg.Logger,
	})
	// graphql-transport-ws; gqlgen's transport serves the older graphql-ws.
	srv.AddTransport(l.live)
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		InitFunc:              l.websocketInit,
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: websocket.AcceptOptions{OriginPatterns: l.websocketOrigins()},
		},
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: l.uploadRequestLimit(), MaxMemory: 4 << 20})
	srv.AddTransport(transport.POST{})
	queries := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(queries)
	srv.SetParserTokenLimit(l.cfg.MaxQueryTokens)
	// "Did you mean" suggestions describe the schema: development only.
	srv.SetDisableSuggestion(!l.cfg.Dev)
	if l.cfg.Dev {
		srv.Use(extension.Introspection{})
	}
	// Persisted queries first: the limits measure the query they stand for.
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(&graph.QueryLimits{
		MaxDepth:           l.cfg.MaxQueryDepth,
		MaxComplexity:      l.cfg.MaxQueryComplexity,
		MaxTokens:          l.cfg.MaxQueryTokens,
		MaxOperations:      maxOperations,
		MaxFields:          maxFields,
		MaxAliases:         maxAliases,
		MaxFragmentSpreads: maxFragmentSpreads,
		MaxDirectives:      maxDirectives,
		MaxRepeats:         maxRepeats,
		MaxMutations:       l.cfg.MaxMutations,
		MaxCredentialCalls: maxCredentialCalls,
		AllowIntrospection: l.cfg.Dev,
		Admit:              l.admit,
		AdmitCredentials:   l.admitCredentials,
		Cache:              queries,
	})
	srv.AroundOperations(graph.WithRequestMemo)
	srv.AroundOperations(l.boundOperation)
	srv.AroundResponses(l.observeResponse)
	srv.SetErrorPresenter(graph.ErrorPresenter(l.cfg.Logger))
	srv.SetRecoverFunc(graph.RecoverFunc(l.cfg.Logger))
	return srv
}

// Limits of a GraphQL document beyond the configurable ones (README,
// "Limits"): generous for any document a client writes by hand or
// generates, small enough that validating one costs little.
const (
	maxOperations      = 20
	maxFields          = 2000
	maxAliases         = 200
	maxFragmentSpreads = 200
	maxDirectives      = 100
	maxRepeats         = 20
	maxCredentialCalls = 1
)

// boundOperation gives a WebSocket query or mutation the request timeout
// an HTTP request has (graphQLRequest); subscriptions live on. Past the
// deadline gqlgen would end the operation without a word: the client gets
// TIMEOUT instead.
func (l *Lanes) boundOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if isBoundedRequest(ctx) || graphql.GetOperationContext(ctx).Operation.Operation == ast.Subscription {
		return next(ctx)
	}
	bounded, cancel := context.WithTimeout(ctx, l.cfg.RequestTimeout)
	responses := next(bounded)
	answered := false
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		switch {
		case resp != nil:
			answered = true
		case !answered && errors.Is(bounded.Err(), context.DeadlineExceeded):
			answered = true
			e := gqlerror.Errorf("%s", errRequestTimeout.Message)
			e.Extensions = map[string]any{"code": string(errcode.Timeout)}
			return &graphql.Response{Errors: gqlerror.List{e}}
		default:
			cancel()
		}
		return resp
	}
}

// liveScope is who reads, as far as a subscription's renderings can
// differ by reader: the tenant, the kind of caller and the role. No field
// reachable from a subscription depends on which member reads; one that
// did would have to add the member here.
func liveScope(ctx context.Context) string {
	a, _ := tenant.FromContext(ctx)
	return string(a.TenantID) + "/" + string(a.Kind) + "/" + string(a.Role)
}

// websocketInit authenticates a WebSocket from its connection_init payload
// when the upgrade request carried no credentials (browsers cannot set
// headers on a WebSocket), within the same failure budgets as HTTP. The
// connection closes when its credential expires, and the acknowledgement
// carries nothing (never the credential back).
func (l *Lanes) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	actor, ok := tenant.FromContext(ctx)
	if !ok {
		var err error
		actor, ok, err = l.authenticateCredentials(ctx, auth.CredentialsFromMap(payload))
		if err != nil {
			return ctx, nil, err
		}
		if ok {
			ctx = tenant.NewContext(ctx, actor)
		}
	}
	if ok && !actor.ExpiresAt.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, actor.ExpiresAt)
		context.AfterFunc(ctx, cancel) // released with the connection
		ctx = transport.AppendCloseReason(ctx, "the credential expired")
	}
	return ctx, nil, nil
}

func (l *Lanes) websocketOrigins() []string {
	var patterns []string
	for _, o := range l.cfg.CORSOrigins {
		patterns = append(patterns, hostOf(o))
	}
	return patterns
}

// readyTimeout bounds /readyz: a database that does not answer a trivial
// statement within it is not ready.
const readyTimeout = 2 * time.Second

// ready answers /readyz: 200 when the database answers a statement (not
// just a ping) within readyTimeout, else 503 at that deadline, even when
// the database or its driver hangs.
func (l *Lanes) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := l.readiness.check(ctx, l.db.Check); err != nil {
		l.cfg.Logger.WarnContext(ctx, "readyz: database unavailable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// readiness runs one database check at a time for /readyz. A probe waits
// for the running check or for its own deadline, whichever comes first,
// so it answers in time even when the driver ignores its context; the
// probes of a hung database share one check instead of piling up
// goroutines stuck in the driver.
type readiness struct {
	mu      sync.Mutex
	running *readyCheck
}

type readyCheck struct {
	done chan struct{}
	err  error // set before done is closed
}

func (rd *readiness) check(ctx context.Context, check func(context.Context) error) error {
	rd.mu.Lock()
	c := rd.running
	if c == nil {
		c = &readyCheck{done: make(chan struct{})}
		rd.running = c
		// The check outlives a probe that gives up: it has a deadline of
		// its own.
		checkCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
		go func() {
			defer cancel()
			c.err = check(checkCtx)
			rd.mu.Lock()
			rd.running = nil
			rd.mu.Unlock()
			close(c.done)
		}()
	}
	rd.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return fmt.Errorf("no answer within %s: %w", readyTimeout, ctx.Err())
	}
}
