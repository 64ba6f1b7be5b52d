package sdk_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/tenancy"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant/role"
)

// requireCoded asserts that err has the code, as an *errcode.Error in its
// chain (errors.As), and returns it.
func requireCoded(t *testing.T, err error, code errcode.Code) *errcode.Error {
	t.Helper()
	var e *errcode.Error
	require.ErrorAs(t, err, &e, "%v", err)
	require.Equal(t, code, e.Code, "%v", err)
	require.Equal(t, code, errcode.CodeOf(err))
	return e
}

// SDK callers get coded errors from the services, never raw ent errors:
// the same codes GraphQL answers.
func TestSDKErrorsAreCoded(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		l, ctx := s.Lanes, context.Background()
		platform, err := l.AsPlatform(ctx, "")
		require.NoError(t, err)
		for _, slug := range []string{"alpha", "beta"} {
			_, err := l.Tenants.CreateTenant(platform, tenancy.CreateTenantInput{Slug: slug, Name: slug})
			require.NoError(t, err)
			in, err := l.AsPlatform(ctx, slug)
			require.NoError(t, err)
			_, err = l.Tenants.AddMember(in, tenancy.AddMemberInput{ExternalID: slug + "-member", Name: slug, Role: role.Member})
			require.NoError(t, err)
		}
		_, err = l.Tenants.CreateTenant(platform, tenancy.CreateTenantInput{Slug: "alpha", Name: "again"})
		requireCoded(t, err, errcode.Conflict)

		alpha, err := l.AsMember(ctx, "alpha", "alpha-member")
		require.NoError(t, err)
		beta, err := l.AsMember(ctx, "beta", "beta-member")
		require.NoError(t, err)
		theirs, err := l.Workflows.CreateProject(beta, workflow.CreateProjectInput{Workflow: "website", Title: "Beta's"})
		require.NoError(t, err)

		// Another tenant's project does not exist for alpha.
		_, err = l.Workflows.MoveProject(alpha, workflow.MoveProjectInput{ID: theirs.ID, To: "interest"})
		requireCoded(t, err, errcode.NotFound)

		// A read straight from ent: NOT_FOUND by errcode.CodeOf and
		// errcode.As, and ent's error still reachable.
		betaMember, err := l.Tenants.ViewerMember(beta)
		require.NoError(t, err)
		_, err = l.Tenants.Member(alpha, betaMember.ID)
		require.Equal(t, errcode.NotFound, errcode.CodeOf(err))
		e, ok := errcode.As(err)
		require.True(t, ok)
		require.Equal(t, "not found", e.Message)
		require.True(t, ent.IsNotFound(err))

		// Limits count characters, not bytes: 200 two-byte characters are
		// a valid title, 201 are VALIDATION naming the field.
		_, err = l.Workflows.CreateProject(alpha, workflow.CreateProjectInput{Workflow: "website", Title: strings.Repeat("é", 200)})
		require.NoError(t, err)
		_, err = l.Workflows.CreateProject(alpha, workflow.CreateProjectInput{Workflow: "website", Title: strings.Repeat("é", 201)})
		e = requireCoded(t, err, errcode.Validation)
		require.Equal(t, "title", e.Details["field"])

		// NUL is refused by the service on both databases (PostgreSQL's
		// own 22021 is covered in entx), through the SDK and GraphQL.
		_, err = l.Workflows.CreateProject(alpha, workflow.CreateProjectInput{Workflow: "website", Title: "nul\x00title"})
		e = requireCoded(t, err, errcode.Validation)
		require.Equal(t, "title", e.Details["field"])
		requireCode(t, sdktest.Op(t, s.Member(t, "alpha", "alpha-member"), "CreateProject", map[string]any{
			"input": map[string]any{"workflow": "website", "title": "nul\x00title"},
		}), "VALIDATION")
	})
}

// headerRecorder keeps the headers of the last response a client got.
type headerRecorder struct {
	mu     sync.Mutex
	header http.Header
}

func (h *headerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		h.mu.Lock()
		h.header = res.Header.Clone()
		h.mu.Unlock()
	}
	return res, err
}

func (h *headerRecorder) last() http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.header
}

// withHeaders returns a copy of c that records its responses' headers.
func withHeaders(c lanestest.Client) (lanestest.Client, *headerRecorder) {
	rec := &headerRecorder{}
	c.HTTP = &http.Client{Transport: rec}
	return c, rec
}

// requireRetryable asserts a GraphQL answer refused as a whole for a
// retryable reason: 503, Retry-After, every error with the code.
func requireRetryable(t *testing.T, res *lanestest.Response, header http.Header, code string) {
	t.Helper()
	require.Equal(t, http.StatusServiceUnavailable, res.Status, "%+v", res.Errors)
	require.Equal(t, "1", header.Get("Retry-After"))
	require.NotEmpty(t, res.Errors)
	for _, e := range res.Errors {
		require.Equal(t, code, e.Code(), "%+v", e)
		require.NotContains(t, e.Message, "SQLSTATE", "the database's text stays in the log")
	}
}

// restResponse is a REST endpoint's answer.
type restResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r restResponse) code(t *testing.T) string {
	t.Helper()
	var out struct {
		Errors []lanestest.Error `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(r.body, &out), "%s", r.body)
	require.Len(t, out.Errors, 1, "%s", r.body)
	return out.Errors[0].Code()
}

func getURL(t *testing.T, rawURL string, headers http.Header) restResponse {
	t.Helper()
	res, err := fetchURL(rawURL, headers)
	require.NoError(t, err)
	return res
}

// fetchURL is getURL for goroutines: it reports instead of failing.
func fetchURL(rawURL string, headers http.Header) (restResponse, error) {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return restResponse{}, err
	}
	for k, vs := range headers {
		req.Header[k] = vs
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return restResponse{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return restResponse{status: res.StatusCode, header: res.Header, body: body}, err
}

// adminConn connects to the administrative PostgreSQL database, or to
// another database of the same server.
func adminConn(t *testing.T, database string) *pgx.Conn {
	t.Helper()
	u, err := url.Parse(os.Getenv(lanestest.EnvPostgresURL))
	require.NoError(t, err)
	if database != "" {
		u.Path = "/" + database
	}
	conn, err := pgx.Connect(context.Background(), u.String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func databaseName(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	return strings.TrimPrefix(u.Path, "/")
}

// With its database unreachable, Lanes answers UNAVAILABLE with 503 and
// Retry-After everywhere: GraphQL, the REST endpoints (CSV export, file
// links), /readyz and the Go SDK; and it recovers when the database is
// back.
func TestDatabaseDownIsUnavailable(t *testing.T) {
	dbURL := lanestest.PostgresURL(t)
	s := sdktest.Start(t, dbURL)
	tm := newTeam(t, s, "alpha")
	p := create(t, tm.member, "website", "Site")
	customer := customerFor(t, s, tm, p.ID, "cara@example.com")
	upload(t, customer, p.ID, "brief.txt", []byte("hello"), "text/plain").Decode(t, &struct{}{})
	var pp struct {
		Node struct{ Files []struct{ URL string } }
	}
	sdktest.Op(t, tm.member, "ProjectPortal", map[string]any{"id": p.ID}).Decode(t, &pp)
	require.Len(t, pp.Node.Files, 1)
	fileLink := s.HTTP.URL + pp.Node.Files[0].URL
	require.Equal(t, http.StatusOK, getURL(t, fileLink, nil).status)
	exportURL := s.HTTP.URL + sdk.TimeExportPath + "?groupBy=STATUS"
	require.Equal(t, http.StatusOK, getURL(t, exportURL, tm.member.Headers).status)
	// The member's credentials resolve from memory for a while, so the
	// requests below reach the resolvers.
	member, headers := withHeaders(tm.member)
	res := sdktest.Op(t, member, "Workflows", nil)
	require.Equal(t, http.StatusOK, res.Status)
	asMember, err := s.Lanes.AsMember(context.Background(), "alpha", "alpha-member")
	require.NoError(t, err)

	// The database stops accepting connections and drops the pool's.
	name := databaseName(t, dbURL)
	admin := adminConn(t, "")
	ctx := context.Background()
	_, err = admin.Exec(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false")
	require.NoError(t, err)
	reopen := sync.OnceFunc(func() {
		_, err := admin.Exec(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS true")
		assert.NoError(t, err)
	})
	t.Cleanup(reopen)
	_, err = admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)
	require.NoError(t, err)

	res = sdktest.Op(t, member, "Workflows", nil)
	requireRetryable(t, res, headers.last(), "UNAVAILABLE")
	res = sdktest.Op(t, member, "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": "Later"}})
	requireRetryable(t, res, headers.last(), "UNAVAILABLE")
	// A credential that must be looked up: the lookup is what fails.
	platform, platformHeaders := withHeaders(tm.platform)
	res = sdktest.Op(t, platform, "Workflows", nil)
	requireRetryable(t, res, platformHeaders.last(), "UNAVAILABLE")

	for what, link := range map[string]string{"CSV export": exportURL, "file link": fileLink} {
		got := getURL(t, link, tm.member.Headers)
		require.Equal(t, http.StatusServiceUnavailable, got.status, "%s: %s", what, got.body)
		require.Equal(t, "1", got.header.Get("Retry-After"), what)
		require.Equal(t, "UNAVAILABLE", got.code(t), what)
	}

	ready := getURL(t, s.HTTP.URL+"/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, ready.status)
	require.JSONEq(t, `{"status":"database unavailable"}`, string(ready.body))

	_, err = s.Lanes.Workflows.Workflows(asMember)
	requireCoded(t, err, errcode.Unavailable)
	_, err = s.Lanes.Workflows.CreateProject(asMember, workflow.CreateProjectInput{Workflow: "website", Title: "Later"})
	e := requireCoded(t, err, errcode.Unavailable)
	require.True(t, e.Code.Retryable())

	reopen()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		res, err := sdktest.Send(member, "Workflows", nil)
		if assert.NoError(c, err) {
			assert.Equal(c, http.StatusOK, res.Status)
			assert.Empty(c, res.Errors)
		}
	}, 30*time.Second, 50*time.Millisecond, "the pool reconnects once the database is back")
	require.Equal(t, http.StatusOK, getURL(t, s.HTTP.URL+"/readyz", nil).status)
}

// A statement that runs into PostgreSQL's statement_timeout (here: waiting
// for a lock another transaction holds) is TIMEOUT with 503, not INTERNAL.
func TestStatementTimeoutIsTimeout(t *testing.T) {
	dbURL := lanestest.PostgresURL(t)
	s := sdktest.Start(t, dbURL)
	tm := newTeam(t, s, "alpha")
	create(t, tm.member, "website", "Site")
	asMember, err := s.Lanes.AsMember(context.Background(), "alpha", "alpha-member")
	require.NoError(t, err)
	ctx := context.Background()
	name := databaseName(t, dbURL)

	// Another session takes the projects table...
	locker := adminConn(t, name)
	tx, err := locker.Begin(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(ctx) })
	_, err = tx.Exec(ctx, "LOCK TABLE projects IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)
	// ...and Lanes' sessions get a statement timeout: set for the
	// database, it applies to new connections, so the pool's idle ones go.
	_, err = adminConn(t, "").Exec(ctx, "ALTER DATABASE "+name+" SET statement_timeout = '200ms'")
	require.NoError(t, err)
	pool := s.Lanes.DB()
	pool.SetMaxIdleConns(0)
	pool.SetMaxIdleConns(8)

	member, headers := withHeaders(tm.member)
	res := sdktest.Op(t, member, "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": "Blocked"}})
	requireRetryable(t, res, headers.last(), "TIMEOUT")
	res = sdktest.Op(t, member, "Board", map[string]any{"workflow": "website", "first": 5})
	requireRetryable(t, res, headers.last(), "TIMEOUT")

	_, err = s.Lanes.Workflows.CreateProject(asMember, workflow.CreateProjectInput{Workflow: "website", Title: "Blocked"})
	requireCoded(t, err, errcode.Timeout)
	var pg *pgconn.PgError
	require.ErrorAs(t, err, &pg)
	require.Equal(t, "57014", pg.Code, "PostgreSQL cancelled the statement, not Lanes")

	require.NoError(t, tx.Rollback(ctx))
	create(t, tm.member, "website", "Unblocked")
}

// SQLite locked by another connection's write transaction beyond the busy
// timeout: a mutation answers UNAVAILABLE with 503, and works once the lock
// is gone.
func TestSQLiteLockedIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lanes.db")
	s := sdktest.Start(t, "file:"+path+"?_pragma=busy_timeout(50)")
	tm := newTeam(t, s, "alpha")
	create(t, tm.member, "website", "Site")
	asMember, err := s.Lanes.AsMember(context.Background(), "alpha", "alpha-member")
	require.NoError(t, err)

	ctx := context.Background()
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(50)")
	require.NoError(t, err)
	defer other.Close()
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)

	member, headers := withHeaders(tm.member)
	res := sdktest.Op(t, member, "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": "Locked out"}})
	requireRetryable(t, res, headers.last(), "UNAVAILABLE")
	_, err = s.Lanes.Workflows.CreateProject(asMember, workflow.CreateProjectInput{Workflow: "website", Title: "Locked out"})
	requireCoded(t, err, errcode.Unavailable)
	var lite *sqlite.Error
	require.ErrorAs(t, err, &lite)

	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	create(t, tm.member, "website", "Let in")
}

// /readyz asks the database a statement through the same driver as every
// query; when that hangs, even ignoring its context, /readyz still answers
// 503 at its own deadline, and ready again once the database answers.
func TestReadyzAnswersWhenTheDatabaseHangs(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		var hang atomic.Bool
		release := make(chan struct{})
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) {
			c.WrapDriver = func(d dialect.Driver) dialect.Driver {
				return dialect.DebugWithContext(d, func(context.Context, ...any) {
					if hang.Load() {
						<-release // a driver stuck below its context
					}
				})
			}
		})
		unblock := sync.OnceFunc(func() { close(release) })
		t.Cleanup(unblock)
		readyz := s.HTTP.URL + "/readyz"
		require.Equal(t, http.StatusOK, getURL(t, readyz, nil).status)

		hang.Store(true)
		for range 2 { // the second probe finds the first's check still stuck
			got := getURL(t, readyz, nil)
			require.Equal(t, http.StatusServiceUnavailable, got.status)
			require.JSONEq(t, `{"status":"database unavailable"}`, string(got.body))
		}

		hang.Store(false)
		unblock()
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			got, err := fetchURL(readyz, nil)
			if assert.NoError(c, err) {
				assert.Equal(c, http.StatusOK, got.status)
			}
		}, 30*time.Second, 20*time.Millisecond)
	})
}
