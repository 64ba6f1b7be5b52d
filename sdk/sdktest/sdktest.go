// Package sdktest starts a real Lanes (sdk.Open + Handler behind httptest)
// for end-to-end tests, on the database a lanestest helper provides.
package sdktest

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// PlatformKey and JWTSecret are the credentials of a test server.
const (
	PlatformKey = "lk_test-platform-key-0123456789"
	JWTSecret   = "test-jwt-secret-0123456789-abcdefghijklmnop"
)

// Server is a running Lanes.
type Server struct {
	Lanes *sdk.Lanes
	HTTP  *httptest.Server
	// Anonymous sends requests without credentials.
	Anonymous lanestest.Client
	// Platform sends the platform API key without X-Tenant.
	Platform lanestest.Client
}

// Start opens Lanes on the database URL with test credentials and serves it.
// Options may adjust the configuration. Everything closes with the test.
func Start(t testing.TB, databaseURL string, options ...func(*sdk.Config)) *Server {
	t.Helper()
	blobs := t.TempDir()
	cfg := sdk.Config{
		DatabaseURL:  databaseURL,
		DataDir:      blobs,
		BlobURL:      "file://" + filepath.ToSlash(blobs),
		PlatformKey:  PlatformKey,
		JWT:          auth.JWTConfig{Secret: []byte(JWTSecret)},
		RateLimit:    -1,
		MaxOpenConns: 8,
	}
	for _, o := range options {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := sdk.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("sdk.Open: %v", err)
	}
	srv := httptest.NewServer(l.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := l.Close(); err != nil {
			t.Errorf("close lanes: %v", err)
		}
	})
	anon := lanestest.Client{URL: srv.URL + sdk.GraphQLPath}
	return &Server{
		Lanes:     l,
		HTTP:      srv,
		Anonymous: anon,
		Platform:  anon.With(auth.HeaderAPIKey, PlatformKey),
	}
}

// PlatformIn sends the platform key acting in a tenant (X-Tenant).
func (s *Server) PlatformIn(tenantRef string) lanestest.Client {
	return s.Platform.With(auth.HeaderTenant, tenantRef)
}

// Member sends a member JWT (HS256, valid an hour) for the external ID in
// the tenant.
func (s *Server) Member(t testing.TB, tenantRef, externalID string) lanestest.Client {
	t.Helper()
	token, err := auth.MintHS256([]byte(JWTSecret), tenantRef, externalID, time.Hour)
	if err != nil {
		t.Fatalf("mint token: %v", err)
	}
	return s.Anonymous.With(auth.HeaderAuthorization, "Bearer "+token)
}

// Op runs a named operation of operations.graphql.
func Op(t testing.TB, c lanestest.Client, name string, vars map[string]any) *lanestest.Response {
	t.Helper()
	return c.Do(t, contract.MustOperation(name), vars, name)
}

// Send runs a named operation of operations.graphql without a testing.T,
// for goroutines (which must not fail the test themselves).
func Send(c lanestest.Client, name string, vars map[string]any) (*lanestest.Response, error) {
	return c.Send(contract.MustOperation(name), vars, name)
}

// CreateTenant creates a tenant through the CreateTenant operation.
func (s *Server) CreateTenant(t testing.TB, slug string) string {
	t.Helper()
	var out struct {
		CreateTenant struct{ ID string } `json:"createTenant"`
	}
	Op(t, s.Platform, "CreateTenant", map[string]any{"input": map[string]any{"slug": slug, "name": slug + " agency"}}).Decode(t, &out)
	return out.CreateTenant.ID
}

// AddMember adds a member through the AddMember operation and returns a
// client acting as it.
func (s *Server) AddMember(t testing.TB, tenantSlug, externalID, role string) lanestest.Client {
	t.Helper()
	res := Op(t, s.PlatformIn(tenantSlug), "AddMember", map[string]any{"input": map[string]any{
		"externalId": externalID, "name": externalID, "role": role,
	}})
	if len(res.Errors) > 0 {
		t.Fatalf("add member %s: %+v", externalID, res.Errors)
	}
	return s.Member(t, tenantSlug, externalID)
}

// OpSource returns the source of a named operation of operations.graphql.
func OpSource(name string) string { return contract.MustOperation(name) }
