package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/bench/dataset"
	"github.com/lanes-dev/lanes/bench/worstcase"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/timetrack"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// worstCaseDocuments are the worst-case documents (bench/worstcase) for
// the dataset's first tenant: its website workflow and "lead" column, its
// open website projects, the 90 days of time entries before the anchor
// grouped by STATUS and MEMBER (at most 18 × 20 rows at any size: the
// most rows a report of the dataset holds within timetrack.MaxReportRows).
func worstCaseDocuments(tb testing.TB, m *dataset.Manifest) []worstcase.Document {
	tb.Helper()
	t := m.Tenants[0]
	docs, err := worstcase.Generate(worstcase.Schema(), worstcase.Args{
		Workflow: "website", Status: "lead", ProjectIDs: t.WebsiteProjects,
		From: m.Anchor.Add(-90 * 24 * time.Hour), To: m.Anchor, ReportGroupBy: []string{"STATUS", "MEMBER"},
	}, worstcase.DefaultLimits)
	require.NoError(tb, err)
	return docs
}

// worstCaseRequest is a document as the weakest caller who may send it
// sends it: the first tenant's VIEWER, or a customer of its portal.
func worstCaseRequest(tb testing.TB, m *dataset.Manifest, d worstcase.Document) request {
	tb.Helper()
	t := m.Tenants[0]
	body, err := json.Marshal(map[string]any{"query": d.Query, "variables": d.Variables})
	require.NoError(tb, err)
	if d.Role == worstcase.Customer {
		return request{op: d.Name, body: body, auth: "Bearer " + t.Portal[0].Token}
	}
	i := slices.IndexFunc(t.Members, func(mem dataset.Member) bool { return mem.Role == string(d.Role) })
	require.GreaterOrEqual(tb, i, 0, "the tenant has a %s", d.Role)
	tok, err := auth.MintHS256([]byte(m.JWTSecret), t.Slug, t.Members[i].ExternalID, 24*time.Hour)
	require.NoError(tb, err)
	return request{op: d.Name, body: body, auth: "Bearer " + tok}
}

// worstCaseResponse is what the checks read of a response.
type worstCaseResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// postWorstCase sends a request through the handler and decodes the
// response.
func postWorstCase(tb testing.TB, h http.Handler, r request) (int, worstCaseResponse, []byte) {
	req := httptest.NewRequest(http.MethodPost, sdk.GraphQLPath, bytes.NewReader(r.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", r.auth)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.Bytes()
	var res worstCaseResponse
	if err := json.Unmarshal(body, &res); err != nil {
		tb.Fatalf("%s: %d, not JSON: %.400s", r.op, rec.Code, body)
	}
	return rec.Code, res, body
}

// serveWorstCase serves a worst-case document and checks what the limits
// promise for any document they admit: the document was admitted (no
// QUERY_TOO_COMPLEX), it ran to its end within the request timeout (no
// TIMEOUT, which the handler answers at the deadline), nothing failed (no
// INTERNAL, no error at all: the documents ask for data the caller may
// read) and data came back. It returns the response body.
func serveWorstCase(tb testing.TB, h http.Handler, r request) []byte {
	status, res, body := postWorstCase(tb, h, r)
	for _, e := range res.Errors {
		code, _ := e.Extensions["code"].(string)
		switch errcode.Code(code) {
		case errcode.QueryTooComplex:
			tb.Fatalf("%s: refused by the limits, so it tests nothing: %s", r.op, e.Message)
		case errcode.Timeout:
			tb.Fatalf("%s: did not finish within the request timeout: %s", r.op, e.Message)
		}
		tb.Fatalf("%s: %s %s %v at %v", r.op, code, e.Message, e.Extensions, e.Path)
	}
	if status != http.StatusOK || len(res.Data) == 0 || string(res.Data) == "null" {
		tb.Fatalf("%s: %d without data: %.400s", r.op, status, body)
	}
	return body
}

// Every worst-case document of the schema (bench/worstcase: each list and
// page from each root field, aliased or nested up to the limits) is
// admitted and answered in full within the request timeout, as the weakest
// role that may send it, on the tiny dataset generated into a fresh
// database: SQLite, and PostgreSQL with LANES_TEST_DATABASE_URL (lanestest).
// A report of more rows than a report holds is refused instead.
// BenchmarkWorstCase says how long and how much memory each takes.
func TestWorstCaseDocuments(t *testing.T) {
	size, err := dataset.SizeNamed("tiny")
	require.NoError(t, err)
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		ctx := context.Background()
		m, err := dataset.GenerateInto(ctx, db.URL, size, dataset.DefaultSeed, func(string, ...any) {})
		require.NoError(t, err)
		cfg := dataset.Config(db.URL, m.Seed)
		cfg.DataDir = t.TempDir()
		cfg.RateLimit = -1 // one caller sends every document
		l, err := sdk.Open(ctx, cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = l.Close() })
		h := l.Handler()
		docs := worstCaseDocuments(t, m)
		require.NotEmpty(t, docs)
		for _, d := range docs {
			t.Run(d.Name, func(t *testing.T) {
				require.LessOrEqual(t, d.Cost, worstcase.DefaultLimits.Complexity)
				serveWorstCase(t, h, worstCaseRequest(t, m, d))
			})
		}
		t.Run("a report of more rows than it may hold", func(t *testing.T) {
			// By all four dimensions the first tenant's 90 days have about a
			// row per entry: refused, not served.
			r := worstCaseRequest(t, m, worstcase.Document{Name: "report over the rows", Role: worstcase.Viewer, Query: fmt.Sprintf(
				`{ timeReport(input: {from: %q, to: %q, groupBy: [STATUS, PROJECT, MEMBER, DAY]}) { rows { seconds } } }`,
				m.Anchor.Add(-90*24*time.Hour).Format(time.RFC3339), m.Anchor.Format(time.RFC3339))})
			_, res, body := postWorstCase(t, h, r)
			require.Len(t, res.Errors, 1, "%s", body)
			require.Equal(t, string(errcode.Validation), res.Errors[0].Extensions["code"])
			require.Equal(t, "groupBy", res.Errors[0].Extensions["field"])
			require.EqualValues(t, timetrack.MaxReportRows, res.Errors[0].Extensions["limit"])
		})
	})
}

// BenchmarkWorstCase serves every worst-case document (bench/worstcase)
// for the first tenant, as TestWorstCaseDocuments does: time, allocations
// and SQL statements per document, and the response's size (resp-bytes)
// and cost. go run ./bench/report skips it unless -worstcase.
func BenchmarkWorstCase(b *testing.B) {
	forEachDataset(b, func(b *testing.B, f *fixture) {
		docs := worstCaseDocuments(b, f.manifest)
		warm := map[worstcase.Role]bool{}
		for _, d := range docs {
			// Warm: the tenant's configuration and each role's credential.
			if !warm[d.Role] {
				warm[d.Role] = true
				serveWorstCase(b, f.handler, worstCaseRequest(b, f.manifest, d))
			}
		}
		for _, d := range docs {
			r := worstCaseRequest(b, f.manifest, d)
			b.Run(d.Name, func(b *testing.B) {
				var body []byte
				n := 0
				before := f.stmts.Snapshot()
				b.ReportAllocs()
				for b.Loop() {
					body = serveWorstCase(b, f.handler, r)
					n++
				}
				f.reportStatements(b, before, n)
				b.ReportMetric(float64(len(body)), "resp-bytes")
				b.ReportMetric(float64(d.Cost), "cost")
			})
		}
	})
}
