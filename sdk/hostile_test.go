package sdk_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// doublingFragments spreads each fragment of n twice in the one before:
// expanded, the document has 2^n fields.
func doublingFragments(n int) string {
	var b strings.Builder
	b.WriteString("query { viewer { ...F0 } }\n")
	for i := range n {
		if i == n-1 {
			fmt.Fprintf(&b, "fragment F%d on Viewer { kind }\n", i)
		} else {
			fmt.Fprintf(&b, "fragment F%d on Viewer { ...F%d ...F%d }\n", i, i+1, i+1)
		}
	}
	return b.String()
}

// nested nests fields n times inside one another, ending in leaf.
func nested(n int, open, leaf string) string {
	return strings.Repeat(open+" { ", n) + leaf + strings.Repeat(" }", n)
}

// Small documents that used to hold a core for seconds or exhaust memory
// are refused before anything executes, with QUERY_TOO_COMPLEX (or
// VALIDATION) and a short answer, as anonymous or low-privilege callers.
func TestHostileDocuments(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")

		aliases := func(n int, field string) string {
			var b strings.Builder
			b.WriteString("{ ")
			for i := range n {
				fmt.Fprintf(&b, "a%d: %s ", i, field)
			}
			b.WriteString("}")
			return b.String()
		}
		operations := func(n int) string {
			var b strings.Builder
			for i := range n {
				fmt.Fprintf(&b, "query Q%d { viewer { kind } }\n", i)
			}
			return b.String()
		}
		directives := func(n int) string {
			return "{ viewer { kind " + strings.Repeat("@unknown ", n) + "} }"
		}
		for _, tc := range []struct {
			name   string
			query  string
			caller lanestest.Client
			code   string
			says   string
		}{
			{"24 doubling fragments", doublingFragments(24), s.Anonymous, "QUERY_TOO_COMPLEX", "fragments expanded"},
			{"40 doubling fragments", doublingFragments(40), s.Anonymous, "QUERY_TOO_COMPLEX", "fragments expanded"},
			{"workflows, statuses, workflow five times", `{ workflows { ` + nested(4, "statuses { workflow", "key") + strings.Repeat(" }", 4) + ` } }`, a.viewer, "QUERY_TOO_COMPLEX", "complexity"},
			{"four copies of that", aliases(4, `workflows { `+nested(4, "statuses { workflow", "key")+strings.Repeat(" }", 4)+` }`), a.viewer, "QUERY_TOO_COMPLEX", "complexity"},
			{"100 aliased boards", aliases(100, `board(workflow: "website") { columns { status { key } } }`), a.viewer, "QUERY_TOO_COMPLEX", "complexity"},
			{"one field 11,000 times (55 KB)", "{ viewer { " + strings.Repeat("kind ", 11000) + "} }", s.Anonymous, "QUERY_TOO_COMPLEX", "tokens"},
			{"one field 2,500 times", "{ viewer { " + strings.Repeat("kind ", 2500) + "} }", s.Anonymous, "QUERY_TOO_COMPLEX", "2501 fields"},
			{"one field 1,000 times", "{ viewer { " + strings.Repeat("kind ", 1000) + "} }", s.Anonymous, "QUERY_TOO_COMPLEX", `"kind" 1000 times`},
			{"one field through fragments", "{ viewer { ...A ...A2 } } fragment A on Viewer { " + strings.Repeat("kind ", 15) + "} fragment A2 on Viewer { " + strings.Repeat("kind ", 15) + "}", s.Anonymous, "QUERY_TOO_COMPLEX", `"kind" 30 times`},
			{"too deep", "{ " + nested(20, "viewer { tenant { workflows { statuses { workflow", "key") + strings.Repeat(" } } } }", 20) + " }", s.Anonymous, "QUERY_TOO_COMPLEX", "levels deep"},
			{"too many operations", operations(50), s.Anonymous, "QUERY_TOO_COMPLEX", "operations"},
			{"too many aliases", aliases(300, "__typename"), s.Anonymous, "QUERY_TOO_COMPLEX", "aliases"},
			{"too many directives", directives(500), s.Anonymous, "QUERY_TOO_COMPLEX", "directives"},
			{"unknown directives", directives(90), s.Anonymous, "VALIDATION", "Unknown directive"},
			{"introspection in production", `{ __schema { types { name } } }`, a.admin, "VALIDATION", "introspection is off"},
			{"deep introspection", "{ __schema { types { " + nested(30, "fields { type", "name") + strings.Repeat(" }", 30) + " } } }", s.Anonymous, "QUERY_TOO_COMPLEX", "levels deep"},
			{"suggestions are off", `{ viewr { kind } }`, s.Anonymous, "VALIDATION", `Cannot query field "viewr"`},
			{"argument suggestions are off", `{ workflow(ky: "website") { key } }`, a.viewer, "VALIDATION", `Unknown argument "ky"`},
			{"type suggestions are off", `query($w: Strin!) { workflow(key: $w) { key } }`, a.viewer, "VALIDATION", `Unknown type "Strin"`},
			{"enum suggestions are off", `mutation { declineLead(id: "prj_x", reason: OTHR) { id } }`, a.viewer, "VALIDATION", `Value "OTHR"`},
			{"input field suggestions are off", `mutation { createProject(input: {workflow: "website", title: "x", titl: "x"}) { id } }`, a.viewer, "VALIDATION", `"titl"`},
			{"a long name is cut", "{ " + strings.Repeat("k", 200_000) + " }", s.Anonymous, "VALIDATION", `Cannot query field "kkkk`},
			{"a long value is cut", `{ workflow(key: ` + strings.Repeat("1", 200_000) + `) { key } }`, s.Anonymous, "VALIDATION", "non string value: 111"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := tc.caller.Do(t, tc.query, nil)
				require.NotEmpty(t, res.Errors)
				require.LessOrEqual(t, len(res.Errors), 20, "errors are capped")
				require.Equal(t, tc.code, res.Errors[0].Code(), "%+v", res.Errors[0])
				require.Contains(t, res.Errors[0].Message, tc.says)
				require.NotContains(t, res.Errors[0].Message, "Did you mean")
				require.Less(t, len(res.Errors[0].Message), 300, "the document is not echoed")
				require.Equal(t, "null", strings.TrimSpace(string(orNull(res.Data))))
			})
		}

		t.Run("many errors are capped", func(t *testing.T) {
			var b strings.Builder
			b.WriteString("{ viewer { ")
			for i := range 150 {
				fmt.Fprintf(&b, "unknown%d ", i)
			}
			b.WriteString("} }")
			res := s.Anonymous.Do(t, b.String(), nil)
			require.Len(t, res.Errors, 20)
			require.Contains(t, res.Errors[19].Message, "(and 130 more errors)")
		})
	})
}

func orNull(raw []byte) []byte {
	if len(raw) == 0 {
		return []byte("null")
	}
	return raw
}

// Writes and token guesses count one by one, however they are batched.
func TestBatchedWritesCount(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) {
			c.RateLimit = 0.001 // no refill during the test
			c.RateBurst = 30
			c.MaxMutations = 20
		})
		a := newTeam(t, s, "alpha")
		creates := func(n int) string {
			var b strings.Builder
			b.WriteString("mutation { ")
			for i := range n {
				fmt.Fprintf(&b, `p%d: createProject(input: {workflow: "website", title: "P%d"}) { id } `, i, i)
			}
			b.WriteString("}")
			return b.String()
		}
		res := a.member.Do(t, creates(21), nil)
		require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, res.Codes(), "%+v", res.Errors)
		require.Contains(t, res.Errors[0].Message, "21 mutations")

		// The member has 30 tokens: the refused request spent 1, twenty
		// writes 20, ten more would need 10 of the 9 left.
		res = a.member.Do(t, creates(20), nil)
		require.Empty(t, res.Errors)
		res = a.member.Do(t, creates(10), nil)
		require.Equal(t, http.StatusTooManyRequests, res.Status)
		require.Equal(t, []string{"RATE_LIMITED"}, res.Codes())

		guesses := `mutation { a: acceptInvitation(token: "x") { token } b: acceptInvitation(token: "y") { token } }`
		res = s.Anonymous.Do(t, guesses, nil)
		require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, res.Codes())
		require.Contains(t, res.Errors[0].Message, "token-credential calls")
		surveys := `mutation { a: submitSurvey(token: "x", score: 9) { score } b: submitSurvey(token: "y", score: 9) { score } }`
		res = s.Anonymous.Do(t, surveys, nil)
		require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, res.Codes())
	})
}

// The contract's own operations pass the default limits with the page
// sizes its comments name.
func TestContractOperationsPassDefaultLimits(t *testing.T) {
	s := sdktest.Start(t, lanestest.SQLiteURL(t))
	a := newTeam(t, s, "alpha")
	vars := map[string]any{
		"workflow": "website", "status": "lead", "first": 20, "id": "prj_00000000000000000000000000",
		"projectId": "prj_00000000000000000000000000", "to": "interest", "input": map[string]any{"groupBy": []string{"STATUS", "MEMBER"}},
	}
	checked := 0
	for _, name := range contract.OperationNames() {
		if !strings.HasPrefix(strings.TrimSpace(sdktest.OpSource(name)), "query") {
			continue
		}
		checked++
		for _, e := range sdktest.Op(t, a.admin, name, vars).Errors {
			require.NotEqual(t, "QUERY_TOO_COMPLEX", e.Code(), "%s: %s", name, e.Message)
		}
	}
	require.Greater(t, checked, 15)
}

// introspectionQuery is graphql-js' getIntrospectionQuery(), which GraphiQL
// (the development playground) sends.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// In development mode the playground's introspection passes the default
// limits; in production it is a coded refusal, not INTERNAL.
func TestIntrospection(t *testing.T) {
	lanestest.ForEachDatabase(t, testIntrospection)
}

func testIntrospection(t *testing.T, db lanestest.Database) {
	for _, dev := range []bool{true, false} {
		s := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) { c.Dev = dev })
		res := s.Anonymous.Do(t, introspectionQuery, nil, "IntrospectionQuery")
		if dev {
			require.Empty(t, res.Errors)
			require.Contains(t, string(res.Data), `"queryType":{"name":"Query"}`)
			res = s.Anonymous.Do(t, `{ viewr { kind } }`, nil)
			require.Contains(t, res.Errors[0].Message, "Did you mean", "suggestions help in development")
			continue
		}
		require.Equal(t, []string{"VALIDATION"}, res.Codes())
		require.Equal(t, http.StatusOK, res.Status)
	}
}

// A projects page without a size is the default page, not the whole
// tenant; larger pages than the maximum are refused.
func TestProjectsPageIsBounded(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		for i := range workflow.DefaultProjectPage + 1 {
			create(t, a.member, "website", fmt.Sprintf("P%d", i))
		}
		var page struct {
			Projects struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
				PageInfo   struct{ HasNextPage bool }
			}
		}
		sdktest.Op(t, a.member, "Projects", nil).Decode(t, &page)
		require.Equal(t, workflow.DefaultProjectPage+1, page.Projects.TotalCount)
		require.Len(t, page.Projects.Edges, workflow.DefaultProjectPage)
		require.True(t, page.Projects.PageInfo.HasNextPage)
		requireCode(t, sdktest.Op(t, a.member, "Projects", map[string]any{"first": workflow.MaxProjectPage + 1}), "VALIDATION")
	})
}
