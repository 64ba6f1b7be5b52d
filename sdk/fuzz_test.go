package sdk_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// maxFuzzResponse bounds any answer: the fuzzing tenant holds a handful of
// projects, so a larger response means some input is amplified.
const maxFuzzResponse = 1 << 20

// FuzzGraphQL sends documents and variables through the real handler, as
// each kind of caller, by POST and by GET, and fails on a panic, an
// INTERNAL or uncoded error, a 5xx other than a retryable 503, a timeout,
// an answer that is not a GraphQL response, or one over maxFuzzResponse.
// The variables are spliced into the body as they are, so the body's
// parsing is fuzzed too. Seeds: every operation of the contract with
// variables that reach the resolvers, and the hostile documents of the
// hardening tests.
//
// It runs on SQLite, on PostgreSQL when LANES_TEST_DATABASE_URL is set:
//
//	go test -run '^$' -fuzz '^FuzzGraphQL$' -fuzztime 30s ./sdk/
func FuzzGraphQL(f *testing.F) {
	databaseURL := lanestest.SQLiteURL(f)
	if os.Getenv(lanestest.EnvPostgresURL) != "" {
		databaseURL = lanestest.PostgresURL(f)
	}
	s := sdktest.Start(f, databaseURL, func(c *sdk.Config) {
		c.RequestTimeout = 10 * time.Second
		// Wrong tokens are what a fuzzer sends; the failure limit would
		// soon answer RATE_LIMITED to everything.
		c.AuthFailureLimit = 1 << 30
	})
	s.CreateTenant(f, "fuzz")
	owner := s.AddMember(f, "fuzz", "fuzz-owner", "OWNER")
	callers := []lanestest.Client{
		s.Anonymous,
		s.AddMember(f, "fuzz", "fuzz-viewer", "VIEWER"),
		s.AddMember(f, "fuzz", "fuzz-member", "MEMBER"),
		s.AddMember(f, "fuzz", "fuzz-admin", "ADMIN"),
		owner,
		s.PlatformIn("fuzz"),
	}
	var projects []string
	for _, title := range []string{"Bakery", "Florist", "Garage"} {
		var out struct{ CreateProject struct{ ID string } }
		sdktest.Op(f, owner, "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": title}}).Decode(f, &out)
		projects = append(projects, out.CreateProject.ID)
	}
	var lead struct{ CreateProject struct{ ID string } }
	sdktest.Op(f, owner, "CreateProject", map[string]any{"input": map[string]any{"workflow": "leads", "title": "Lead"}}).Decode(f, &lead)

	// Each seed as the owner and as one more caller in turn (by GET every
	// other time): the fuzzer varies the caller from there.
	for i, seed := range fuzzSeeds(projects[0], lead.CreateProject.ID) {
		f.Add(seed.query, seed.variables, uint8(4))
		f.Add(seed.query, seed.variables, uint8(i%len(callers)|(i%2)<<7))
	}

	f.Fuzz(func(t *testing.T, query, variables string, caller uint8) {
		c := callers[int(caller&0x7f)%len(callers)]
		var req *http.Request
		var err error
		if caller&0x80 != 0 {
			// GET: the query string carries both, as it arrives.
			q := url.Values{"query": {query}, "variables": {variables}}
			req, err = http.NewRequest(http.MethodGet, c.URL+"?"+q.Encode(), nil)
		} else {
			doc, _ := json.Marshal(query)
			body := `{"query":` + string(doc) + `,"variables":` + variables + `}`
			req, err = http.NewRequest(http.MethodPost, c.URL, strings.NewReader(body))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
			}
		}
		if err != nil {
			t.Skip("not a request:", err)
		}
		for k, vs := range c.Headers {
			req.Header[k] = vs
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("no response: %v", err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(res.Body, maxFuzzResponse+1))
		if err != nil {
			t.Fatalf("read response: %v", err)
		}
		if len(raw) > maxFuzzResponse {
			t.Fatalf("response over %d bytes (HTTP %d) to a %d-byte document", maxFuzzResponse, res.StatusCode, len(query))
		}
		if problem := checkFuzzResponse(res.StatusCode, raw); problem != "" {
			t.Fatalf("%s\nHTTP %d: %.2000s", problem, res.StatusCode, raw)
		}
	})
}

// checkFuzzResponse says what is wrong with an answer, or "".
func checkFuzzResponse(status int, raw []byte) string {
	var r lanestest.Response
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&r); err != nil {
		return "not a GraphQL response: " + err.Error()
	}
	if len(r.Data) == 0 && len(r.Errors) == 0 {
		return "neither data nor errors"
	}
	for _, e := range r.Errors {
		code := errcode.Code(e.Code())
		switch {
		case code == "":
			return fmt.Sprintf("an error without a code: %q", e.Message)
		case !code.Known():
			return fmt.Sprintf("an unknown code %s", code)
		case code == errcode.Internal:
			return fmt.Sprintf("INTERNAL: %q", e.Message)
		case code == errcode.Timeout:
			return "the request timed out: some input is too slow"
		}
	}
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable:
		return "a server error"
	case status == http.StatusServiceUnavailable && !retryable(r.Errors):
		return "503 without a retryable code"
	}
	return ""
}

func retryable(errs []lanestest.Error) bool {
	for _, e := range errs {
		if errcode.Code(e.Code()).Retryable() {
			return true
		}
	}
	return false
}

type fuzzSeed struct{ query, variables string }

// fuzzSeeds are the contract's operations with variables that reach the
// resolvers (and with none), and the hardening tests' hostile documents.
func fuzzSeeds(project, lead string) []fuzzSeed {
	vars := map[string]map[string]any{
		"CreateTenant":     {"input": map[string]any{"slug": "fuzz-2", "name": "Fuzz 2"}},
		"AddMember":        {"input": map[string]any{"externalId": "fuzz-new", "name": "New", "role": "MEMBER"}},
		"StatusFeatures":   {"workflow": "website"},
		"SetStatusEnabled": {"workflow": "website", "status": "interest", "enabled": true},
		"UpdateStatus":     {"input": map[string]any{"workflow": "website", "status": "interest", "name": "Interested"}},
		"SetPortalFeature": {"workflow": "website", "status": "interest", "feature": "WISHES", "enabled": true},
		"CreateProject":    {"input": map[string]any{"workflow": "website", "title": "Fuzzed", "customer": map[string]any{"name": "C", "email": "c@example.com"}}},
		"MoveProject":      {"input": map[string]any{"id": project, "to": "interest", "reason": "r", "note": "n"}},
		"AdvanceProject":   {"id": project},
		"Board":            {"workflow": "website", "first": 5},
		"BoardColumn":      {"workflow": "website", "status": "lead", "first": 2},
		"BoardTime":        {"workflow": "website", "first": 5},
		"Project":          {"id": project},
		"ProjectPortal":    {"id": project},
		"ProjectTime":      {"id": project},
		"ProjectDeal":      {"id": lead},
		"Projects":         {"first": 5, "where": map[string]any{"or": []any{map[string]any{"title": "Bakery"}, map[string]any{"not": map[string]any{"archived": true}}}}},
		"AcceptLead":       {"id": lead},
		"DeclineLead":      {"id": lead, "reason": "BUDGET_TOO_LOW", "note": "n"},
		"SetProgress":      {"id": lead, "progress": "p", "note": "n"},
		"SecureProject":    {"id": lead},
		"SubmitSurvey":     {"token": "srv_nope", "score": 9, "comment": "c"},
		"StartTimer":       {"projectId": project, "note": "n"},
		"AddTimeEntry":     {"input": map[string]any{"projectId": project, "startedAt": "2026-01-01T10:00:00Z", "endedAt": "2026-01-01T11:00:00Z"}},
		"TimeReport":       {"input": map[string]any{"from": "2025-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z", "groupBy": []any{"STATUS", "MEMBER", "DAY"}}},
		"InviteCustomer":   {"input": map[string]any{"projectId": project, "email": "c@example.com"}},
		"CreateAutomation": {"input": map[string]any{"workflow": "website", "status": "interest", "on": "ENTER", "todos": []any{map[string]any{"title": "T", "blocking": true}}}},
		"CompleteProject":  {"input": map[string]any{"id": lead, "finalDealValue": map[string]any{"amount": 1000, "currency": "EUR"}, "note": "n"}},
		"PinFeedback":      {"input": map[string]any{"projectId": project, "pageUrl": "https://example.com/", "selector": "#a", "x": 0.5, "y": 0.5, "comment": "c"}},
		"AcceptInvitation": {"token": "inv_nope"},
		"SubmitWishes":     {"projectId": project, "answers": map[string]any{"colour": "blue"}},
		"UpdateMyData":     {"input": map[string]any{"name": "N"}},
	}
	var seeds []fuzzSeed
	for _, name := range contract.OperationNames() {
		doc := contract.MustOperation(name)
		seeds = append(seeds, fuzzSeed{doc, "{}"})
		if v, ok := vars[name]; ok {
			b, err := json.Marshal(v)
			if err != nil {
				panic(err)
			}
			seeds = append(seeds, fuzzSeed{doc, string(b)})
		}
	}
	for _, doc := range []string{
		doublingFragments(24),
		`{ workflows { ` + nested(4, "statuses { workflow", "key") + strings.Repeat(" }", 4) + ` } }`,
		`{ a: board(workflow: "website") { columns { status { key } } } b: board(workflow: "website") { columns { status { key } } } }`,
		"{ viewer { " + strings.Repeat("kind ", 300) + "} }",
		"{ viewer { kind " + strings.Repeat("@unknown ", 50) + "} }",
		"query { projects(first: 10, where: " + strings.Repeat("{not: ", 20) + `{title: "Bakery"}` + strings.Repeat("}", 20) + ") { totalCount } }",
		`query { projects(first: 10, where: {not: {}}) { totalCount } }`,
		`query { projects(first: 10, where: {or: [{}]}) { totalCount } }`,
		"query { project(id: \"prj_\u0000\") { id } }",
		`query { nodes(ids: ["` + project + `", "` + lead + `", "x"]) { id ... on Project { title } } }`,
		`{ __schema { types { name fields { name } } } }`,
		`mutation { a: createProject(input: {workflow: "website", title: "A"}) { id } b: createProject(input: {workflow: "website", title: "B"}) { id } }`,
		`mutation { a: acceptInvitation(token: "x") { token } b: acceptInvitation(token: "y") { token } }`,
		`query A { viewer { kind } } query B { viewer { kind } }`,
		`{`,
		``,
	} {
		seeds = append(seeds, fuzzSeed{doc, "{}"}, fuzzSeed{doc, "null"})
	}
	// Bodies whose variables are not what they should be.
	for _, v := range []string{`[]`, `"x"`, `{"id": "\u0000"}`, "{\"id\": \"\xff\"}", `{`, `{"input": {"title": 1e400}}`} {
		seeds = append(seeds, fuzzSeed{contract.MustOperation("Project"), v})
	}
	return seeds
}
