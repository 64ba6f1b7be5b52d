package sdk

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/lanes-dev/lanes/graph"
	"github.com/lanes-dev/lanes/graph/generated"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// GraphQLPath is where the GraphQL API is served.
const GraphQLPath = "/graphql"

func (l *Lanes) newHandler() http.Handler {
	mux := http.NewServeMux()
	api := l.graphQLRequest(l.authenticate(l.rateLimit(l.graphQLServer())))
	mux.Handle(GraphQLPath, l.cors(api))
	mux.Handle("GET "+l.signer.Path+"{tenant}/{file}", l.rateLimit(http.HandlerFunc(l.serveFile)))
	mux.HandleFunc("POST "+StripeWebhookPath, l.stripeWebhook)
	mux.Handle("GET "+TimeExportPath, l.cors(l.withTimeout(l.authenticate(l.rateLimit(http.HandlerFunc(l.exportTime))))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", l.ready)
	mux.HandleFunc("GET /{$}", l.home)
	return mux
}

func (l *Lanes) graphQLServer() *handler.Server {
	cfg := generated.Config{Resolvers: &graph.Resolver{
		Client:         l.db.Client,
		Tenancy:        l.Tenants,
		Engine:         l.Workflows,
		CustomerPortal: l.Portal,
		Time:           l.Time,
		Deals:          l.Deals,
	}}
	graph.SetComplexity(&cfg.Complexity)
	srv := handler.New(generated.NewExecutableSchema(cfg))
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
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if l.cfg.Dev {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(&graph.QueryLimits{MaxDepth: l.cfg.MaxQueryDepth, MaxComplexity: l.cfg.MaxQueryComplexity})
	srv.AroundOperations(graph.WithRequestMemo)
	srv.AroundResponses(observeResponse)
	srv.SetErrorPresenter(graph.ErrorPresenter(l.cfg.Logger))
	srv.SetRecoverFunc(graph.RecoverFunc(l.cfg.Logger))
	return srv
}

// websocketInit authenticates a WebSocket from its connection_init payload
// when the upgrade request carried no credentials (browsers cannot set
// headers on a WebSocket).
func (l *Lanes) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if _, ok := tenant.FromContext(ctx); ok {
		return ctx, &payload, nil
	}
	actor, ok, err := l.authn.Authenticate(ctx, auth.CredentialsFromMap(payload))
	if err != nil {
		return ctx, nil, err
	}
	if ok {
		ctx = tenant.NewContext(ctx, actor)
	}
	return ctx, &payload, nil
}

func (l *Lanes) websocketOrigins() []string {
	var patterns []string
	for _, o := range l.cfg.CORSOrigins {
		patterns = append(patterns, hostOf(o))
	}
	return patterns
}

func (l *Lanes) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := l.db.Ping(ctx); err != nil {
		l.cfg.Logger.WarnContext(ctx, "readyz: database unreachable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// home serves the playground in development mode; in production it says
// where the API is.
func (l *Lanes) home(w http.ResponseWriter, r *http.Request) {
	if l.cfg.Dev {
		playground.Handler("Lanes", GraphQLPath).ServeHTTP(w, r)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"graphql": GraphQLPath})
}
