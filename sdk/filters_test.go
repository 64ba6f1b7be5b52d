package sdk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// nestedNot wraps inner in n nots (n+1 levels).
func nestedNot(n int, inner map[string]any) map[string]any {
	w := inner
	for range n {
		w = map[string]any{"not": w}
	}
	return w
}

func titleIs(title string) map[string]any { return map[string]any{"title": title} }

// ors is an or of n conditions, the last one matching title.
func ors(n int, title string) map[string]any {
	list := make([]any, n)
	for i := range list {
		list[i] = titleIs(fmt.Sprintf("no such project %d", i))
	}
	list[n-1] = titleIs(title)
	return map[string]any{"or": list}
}

// Empty, too deep, too wide and too long filters of projects(where:) are
// VALIDATION with a message saying what is wrong, decided after the
// credentials and before the role check and any statement. (Before: ent's
// "empty predicate" errors and SQLite's "Expression tree is too large" or
// "Recursion limit" were INTERNAL.)
func TestHostileFiltersAreValidation(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		var counter lanestest.StatementCounter
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.WrapDriver = counter.Wrap })
		tm := newTeam(t, s, "acme")
		p := create(t, tm.member, "website", "Bakery", map[string]any{"customer": map[string]any{"name": "Bea", "email": "bea@example.com"}})
		customer := customerFor(t, s, tm, p.ID, "bea@example.com")
		projects := func(c lanestest.Client, where any) *lanestest.Response {
			return sdktest.Op(t, c, "Projects", map[string]any{"first": 10, "where": where})
		}
		require.Empty(t, projects(tm.member, nil).Errors) // the member is resolved and cached

		ids := make([]any, 101)
		for i := range ids {
			ids[i] = p.ID
		}
		for _, tc := range []struct {
			name  string
			where map[string]any
			field string
			msg   string
		}{
			{"not {}", map[string]any{"not": map[string]any{}}, "where.not", "empty filter at where.not"},
			{"or [{}]", map[string]any{"or": []any{titleIs("Bakery"), map[string]any{}}}, "where.or[1]", "empty filter at where.or[1]"},
			{"and [{}]", map[string]any{"and": []any{map[string]any{}}}, "where.and[0]", "empty filter"},
			{"not {or: []}", map[string]any{"not": map[string]any{"or": []any{}}}, "where.not", "empty filter"},
			{"hasCustomerWith [{}]", map[string]any{"hasCustomerWith": []any{map[string]any{}}}, "where.hasCustomerWith[0]", "empty filter"},
			{"customer not {}", map[string]any{"hasCustomerWith": []any{map[string]any{"not": map[string]any{}}}}, "where.hasCustomerWith[0].not", "empty filter"},
			{"3,000 nested not", nestedNot(3000, titleIs("Bakery")), "where", "filter nests deeper than 8 levels"},
			{"2,000-way or", ors(2000, "Bakery"), "where", "filter has more than 100 conditions"},
			{"101 IDs", map[string]any{"idIn": ids}, "where.idIn", "where.idIn lists more than 100 values"},
			{"long string", map[string]any{"titleContains": strings.Repeat("a", 1001)}, "where.titleContains", "at most 1000 characters"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var res *lanestest.Response
				stmts := counter.Record(func() { res = projects(tm.member, tc.where) })
				e := requireCode(t, res, "VALIDATION")
				require.Contains(t, e.Message, tc.msg)
				require.Equal(t, tc.field, e.Extensions["field"])
				require.Equal(t, []any{"projects"}, e.Path)
				require.Empty(t, stmts, "decided before any statement")
				// A customer may not list projects at all (FORBIDDEN), but the
				// filter is refused before the role is looked at.
				requireCode(t, projects(customer, tc.where), "VALIDATION")
				requireCode(t, projects(customer, nil), "FORBIDDEN")
				// Credentials come first.
				requireCode(t, projects(s.Anonymous, tc.where), "UNAUTHENTICATED")
			})
		}

		t.Run("inline literals", func(t *testing.T) {
			for name, c := range map[string]struct{ where, msg string }{
				"not {}":         {`{not: {}}`, "empty filter at where.not"},
				"or [{}]":        {`{or: [{}]}`, "empty filter at where.or[0]"},
				"300 nested not": {strings.Repeat("{not: ", 300) + `{title: "Bakery"}` + strings.Repeat("}", 300), "filter nests deeper than 8 levels"},
				"1,000-way or":   {"{or: [" + strings.Repeat(`{title: "x"}, `, 1000) + "]}", "filter has more than 100 conditions"},
			} {
				res := tm.member.Do(t, "query { projects(first: 10, where: "+c.where+") { totalCount } }", nil)
				e := requireCode(t, res, "VALIDATION")
				require.Contains(t, e.Message, c.msg, name)
			}
			// Larger literals never reach the filter: the document's token
			// limit refuses them while parsing.
			res := tm.member.Do(t, "query { projects(first: 10, where: "+strings.Repeat("{not: ", 3000)+`{title: "Bakery"}`+strings.Repeat("}", 3000)+") { totalCount } }", nil)
			requireCode(t, res, "QUERY_TOO_COMPLEX")
		})

		t.Run("within the limits", func(t *testing.T) {
			// 8 levels: the top, six nots, and an and.
			eight := nestedNot(6, map[string]any{"and": []any{titleIs("Bakery")}})
			hundredIDs := ids[:100]
			for name, where := range map[string]map[string]any{
				"empty at the top is no filter": {},
				"8 levels":                      eight,
				"100 conditions":                ors(100, "Bakery"),
				"100 values":                    {"idIn": hundredIDs},
				"through the customer":          {"hasCustomerWith": []any{map[string]any{"nameContains": "Be", "not": map[string]any{"emailIsNil": true}}}},
				"empty lists are no conditions": {"title": "Bakery", "or": []any{}, "idNotIn": []any{}},
			} {
				var out struct {
					Projects struct{ TotalCount int }
				}
				projects(tm.member, where).Decode(t, &out)
				require.Equal(t, 1, out.Projects.TotalCount, name)
			}
		})

		t.Run("the Go SDK refuses the same filters", func(t *testing.T) {
			ctx, err := s.Lanes.AsMember(context.Background(), "acme", "acme-member")
			require.NoError(t, err)
			deep := &ent.ProjectWhereInput{Title: ptr("Bakery")}
			for range 3000 {
				deep = &ent.ProjectWhereInput{Not: deep}
			}
			for _, where := range []*ent.ProjectWhereInput{
				deep,
				{Not: &ent.ProjectWhereInput{}},
				{HasCustomerWith: []*ent.CustomerWhereInput{{}}},
				{TitleContains: ptr("a\x00")},
				{TitleContains: ptr("\xff")},
			} {
				_, err := s.Lanes.Workflows.ProjectQuery(ctx, where)
				require.Equal(t, errcode.Validation, errcode.CodeOf(err), "%v", err)
			}
			q, err := s.Lanes.Workflows.ProjectQuery(ctx, &ent.ProjectWhereInput{Title: ptr("Bakery")})
			require.NoError(t, err)
			require.Equal(t, 1, q.CountX(ctx))
		})
	})
}

func ptr[T any](v T) *T { return &v }
