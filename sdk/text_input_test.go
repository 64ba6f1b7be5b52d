package sdk_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/portal"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// projectCount is the tenant's number of projects, as the caller lists them.
func projectCount(t *testing.T, c lanestest.Client) int {
	t.Helper()
	var out struct{ Projects struct{ TotalCount int } }
	sdktest.Op(t, c, "Projects", map[string]any{"first": 1}).Decode(t, &out)
	return out.Projects.TotalCount
}

// NUL characters (which PostgreSQL refuses: INTERNAL before) and invalid
// UTF-8 in any String or ID argument, inline or in variables, at any depth
// of an input, are VALIDATION whose path names the argument; nothing is
// written (SQLite used to store them).
func TestNULInArgumentsIsValidation(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tm := newTeam(t, s, "acme")
		p := create(t, tm.member, "website", "Bakery")
		lead := create(t, tm.member, "leads", "Lead")
		before := projectCount(t, tm.member)

		for _, tc := range []struct {
			name string
			op   string
			vars map[string]any
			path []any
		}{
			{"title", "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": "Bak\x00ery"}}, []any{"createProject", "input", "title"}},
			{"nested input", "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": "Ok", "customer": map[string]any{"name": "Bea\x00"}}}, []any{"createProject", "input", "customer", "name"}},
			{"a key", "CreateProject", map[string]any{"input": map[string]any{"workflow": "website\x00", "title": "Ok"}}, []any{"createProject", "input", "workflow"}},
			{"a move's reason", "MoveProject", map[string]any{"input": map[string]any{"id": p.ID, "to": "interest", "reason": "because\x00"}}, []any{"moveProject", "input", "reason"}},
			{"an argument", "DeclineLead", map[string]any{"id": lead.ID, "reason": "OTHER", "note": "\x00"}, []any{"declineLead", "note"}},
			{"an ID", "Project", map[string]any{"id": "prj_\x00"}, []any{"node", "id"}},
			{"an ID in an input", "MoveProject", map[string]any{"input": map[string]any{"id": p.ID, "to": "interest", "after": "prj_\x00"}}, []any{"moveProject", "input", "after"}},
			{"a filter", "Projects", map[string]any{"first": 5, "where": map[string]any{"titleContains": "a\x00"}}, []any{"projects", "where", "titleContains"}},
			{"a filter's ID list", "Projects", map[string]any{"first": 5, "where": map[string]any{"idIn": []any{p.ID, "prj_\x00"}}}, []any{"projects", "where", "idIn", float64(1)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := requireCode(t, sdktest.Op(t, tm.member, tc.op, tc.vars), "VALIDATION")
				require.Equal(t, tc.path, e.Path)
				require.Regexp(t, "NUL|not a valid ID", e.Message)
			})
		}
		t.Run("inline", func(t *testing.T) {
			for doc, path := range map[string][]any{
				`mutation { createProject(input: {workflow: "website", title: "Bak\u0000ery"}) { id } }`: {"createProject", "input", "title"},
				`{ node(id: "prj_\u0000") { id } }`:                                       {"node", "id"},
				`{ projects(first: 5, where: {titleContains: "\u0000"}) { totalCount } }`: {"projects", "where", "titleContains"},
			} {
				e := requireCode(t, tm.member.Do(t, doc, nil), "VALIDATION")
				require.Equal(t, path, e.Path)
			}
		})
		t.Run("an ID too long to be one", func(t *testing.T) {
			e := requireCode(t, sdktest.Op(t, tm.member, "Project", map[string]any{"id": "prj_" + strings.Repeat("A", 900_000)}), "VALIDATION")
			require.Less(t, len(e.Message)+len(fmt.Sprint(e.Extensions)), 200, "the ID is not echoed")
		})
		require.Equal(t, before, projectCount(t, tm.member), "nothing was written")
		require.Equal(t, "lead", view(t, tm.member, p.ID).Node.Status.Key)
		require.Len(t, view(t, tm.member, lead.ID).Node.History, 1)
	})
}

// Wishes are a JSON object: NUL and invalid UTF-8 in its keys and values,
// at any depth, and nesting deeper than 32 levels are VALIDATION naming
// answers, through GraphQL and the Go SDK (PostgreSQL's jsonb refuses
// \u0000: INTERNAL before).
func TestWishesHoldCleanText(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tm := newTeam(t, s, "acme")
		p := create(t, tm.member, "website", "Site")
		customer := customerFor(t, s, tm, p.ID, "cara@example.com") // lead unlocks WISHES
		deep := any("x")
		for range 40 {
			deep = []any{deep}
		}
		for name, answers := range map[string]map[string]any{
			"NUL in a value":        {"colors": "blue\x00"},
			"NUL in a nested key":   {"pages": map[string]any{"ho\x00me": "yes"}},
			"NUL deep in a list":    {"pages": []any{"home", []any{"about\x00"}}},
			"nested 40 levels deep": {"pages": deep},
		} {
			e := requireCode(t, sdktest.Op(t, customer, "SubmitWishes", map[string]any{"projectId": p.ID, "answers": answers}), "VALIDATION")
			require.Equal(t, "answers", e.Extensions["field"], name)
		}
		ctx := customerContext(t, s, customer)
		for name, answers := range map[string]map[string]any{
			"invalid UTF-8 in a key":   {"\xff": "x"},
			"invalid UTF-8 in a value": {"colors": []string{"blue", "gr\xfeen"}},
		} {
			_, err := s.Lanes.Portal.SubmitWishes(ctx, pulid.ID(p.ID), answers)
			require.Equal(t, errcode.Validation, errcode.CodeOf(err), "%s: %v", name, err)
		}
		require.Zero(t, rowCount(t, s, "wish_submissions"))
		require.Empty(t, sdktest.Op(t, customer, "SubmitWishes", map[string]any{"projectId": p.ID, "answers": map[string]any{"colors": "blue 𝄞", "nested": map[string]any{"ok": []any{1.0, true, nil}}}}).Errors)
	})
}

// hs256 signs a token over raw claims bytes (which may hold invalid UTF-8,
// which no JSON encoder writes).
func hs256(payload string) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, []byte(sdktest.JWTSecret))
	mac.Write([]byte(head))
	return head + "." + enc.EncodeToString(mac.Sum(nil))
}

// Credentials that name a tenant or member with NUL characters or invalid
// UTF-8 (JWT claims, X-Tenant, the Go SDK's AsMember and AsPlatform) name
// no one: UNAUTHENTICATED, never INTERNAL (PostgreSQL refused the lookup).
func TestCredentialsWithUnstorableTextAreUnauthenticated(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		newTeam(t, s, "acme")
		secret := []byte(sdktest.JWTSecret)
		exp := time.Now().Add(time.Hour).Unix()
		for name, token := range map[string]string{
			"NUL in sub":           sign(t, jwt.SigningMethodHS256, secret, claims("acme", "acme-member\x00")),
			"NUL in tid":           sign(t, jwt.SigningMethodHS256, secret, claims("acme\x00", "acme-member")),
			"NUL only":             sign(t, jwt.SigningMethodHS256, secret, claims("\x00", "\x00")),
			"invalid UTF-8 in sub": hs256(fmt.Sprintf(`{"sub":"acme-member%s","tid":"acme","exp":%d}`, "\xff", exp)),
			"invalid UTF-8 in tid": hs256(fmt.Sprintf(`{"sub":"acme-member","tid":"ac%sme","exp":%d}`, "\xc3\x28", exp)),
			"a huge sub":           sign(t, jwt.SigningMethodHS256, secret, claims("acme", strings.Repeat("a", 5000))),
		} {
			t.Run(name, func(t *testing.T) {
				requireCode(t, sdktest.Op(t, bearer(s, token), "Viewer", nil), "UNAUTHENTICATED")
			})
		}
		// The valid token still works.
		kind, res := viewerKind(t, bearer(s, hs256(fmt.Sprintf(`{"sub":"acme-member","tid":"acme","exp":%d}`, exp))))
		require.Equal(t, "MEMBER", kind, "%+v", res.Errors)

		for _, ref := range []string{"ac\xffme", "acme\x00"} {
			req, err := http.NewRequest(http.MethodPost, s.Platform.URL, strings.NewReader(`{"query":"{ viewer { kind } }"}`))
			require.NoError(t, err)
			req.Header = s.PlatformIn(ref).Headers.Clone()
			req.Header.Set("Content-Type", "application/json")
			if strings.Contains(ref, "\x00") {
				// HTTP refuses NUL in headers; the SDK is the way in.
				_, err := s.Lanes.AsPlatform(context.Background(), ref)
				require.Equal(t, errcode.Unauthenticated, errcode.CodeOf(err), "%v", err)
				continue
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusUnauthorized, res.StatusCode, "X-Tenant %q", ref)
			_, err = s.Lanes.AsPlatform(context.Background(), ref)
			require.Equal(t, errcode.Unauthenticated, errcode.CodeOf(err), "%v", err)
		}
		for _, who := range [][2]string{{"acme\x00", "acme-member"}, {"acme", "acme-member\x00"}, {"ac\xffme", "acme-member"}, {"acme", "\xff"}} {
			_, err := s.Lanes.AsMember(context.Background(), who[0], who[1])
			require.Equal(t, errcode.Unauthenticated, errcode.CodeOf(err), "%q: %v", who, err)
		}
	})
}

// The Go SDK refuses unstorable text with VALIDATION, as GraphQL does:
// free text, keys and IDs.
func TestGoSDKRefusesUnstorableText(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tm := newTeam(t, s, "acme")
		p := create(t, tm.member, "website", "Bakery")
		ctx, err := s.Lanes.AsMember(context.Background(), "acme", "acme-member")
		require.NoError(t, err)
		wf := s.Lanes.Workflows
		for name, call := range map[string]func() error{
			"title NUL": func() error {
				_, err := wf.CreateProject(ctx, workflow.CreateProjectInput{Workflow: "website", Title: "Bak\x00ery"})
				return err
			},
			"title invalid UTF-8": func() error {
				_, err := wf.CreateProject(ctx, workflow.CreateProjectInput{Workflow: "website", Title: "Bak\xffery"})
				return err
			},
			"customer company": func() error {
				_, err := wf.CreateProject(ctx, workflow.CreateProjectInput{Workflow: "website", Title: "Ok", Customer: &workflow.CustomerInput{Name: "Bea", Company: ptr("\xc3\x28")}})
				return err
			},
			"reason": func() error {
				_, err := wf.MoveProject(ctx, workflow.MoveProjectInput{ID: pulid.ID(p.ID), To: "interest", Reason: ptr("\x00")})
				return err
			},
			"workflow key": func() error {
				_, err := wf.Workflow(ctx, "web\x00site")
				return err
			},
			"project ID": func() error {
				_, err := wf.MoveProject(ctx, workflow.MoveProjectInput{ID: pulid.ID("prj_\x00"), To: "interest"})
				return err
			},
			"invitation email": func() error {
				_, err := s.Lanes.Portal.InviteCustomer(ctx, portal.InviteCustomerInput{ProjectID: pulid.ID(p.ID), Email: "bea\xff@example.com"})
				return err
			},
		} {
			err := call()
			require.Equal(t, errcode.Validation, errcode.CodeOf(err), "%s: %v", name, err)
		}
		require.Equal(t, 1, projectCount(t, tm.member))
		require.Equal(t, "lead", view(t, tm.member, p.ID).Node.Status.Key)
	})
}

// Invalid UTF-8 anywhere in a request (a GET query string's query,
// variables, operation name or extensions; a POST body's document or
// variables) is VALIDATION with HTTP 400, before any credential or role is
// looked at and without echoing the request.
func TestInvalidUTF8RequestsAreValidation(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tm := newTeam(t, s, "acme")
		before := projectCount(t, tm.member)
		const viewer = "query=%7Bviewer%7Bkind%7D%7D"
		for name, query := range map[string]string{
			"in the document":          "query=%7Bworkflow(key%3A%22%FF%22)%7Bkey%7D%7D",
			"after the document":       viewer + "%FF",
			"only bytes":               "query=%FF%FE",
			"in a variable":            "query=query(%24w%3AString!)%7Bworkflow(key%3A%24w)%7Bkey%7D%7D&variables=%7B%22w%22%3A%22%FF%22%7D",
			"in the operation name":    viewer + "&operationName=%FF",
			"in the extensions":        viewer + "&extensions=%FF",
			"in a mutation's argument": "query=mutation%7BcreateProject(input%3A%7Bworkflow%3A%22website%22%2Ctitle%3A%22%C3%28%22%7D)%7Bid%7D%7D",
		} {
			for _, c := range []lanestest.Client{tm.member, s.Anonymous, s.Anonymous.With("Authorization", "Bearer not-a-jwt")} {
				got := getURL(t, c.URL+"?"+query, c.Headers)
				require.Equal(t, http.StatusBadRequest, got.status, "%s: %s", name, got.body)
				require.Equal(t, "VALIDATION", got.code(t), name)
				require.NotContains(t, string(got.body), "workflow", "%s: the request is not echoed", name)
			}
		}
		for name, body := range map[string]string{
			"in the document": "{\"query\": \"{ workflow(key: \\\"\xff\\\") { key } }\"}",
			"in a variable":   "{\"query\": \"query($w: String!) { workflow(key: $w) { key } }\", \"variables\": {\"w\": \"\xc3\x28\"}}",
		} {
			res := tm.member.Raw(t, []byte(body))
			require.Equal(t, http.StatusBadRequest, res.Status, name)
			require.Equal(t, []string{"VALIDATION"}, res.Codes(), name)
		}
		require.Equal(t, before, projectCount(t, tm.member), "nothing was written")
	})
}
