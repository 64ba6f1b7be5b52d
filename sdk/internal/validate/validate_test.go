package validate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/predicate"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
)

// requireInvalid checks a VALIDATION error naming field whose message
// contains want.
func requireInvalid(t *testing.T, err error, field, want string) {
	t.Helper()
	e, ok := errcode.As(err)
	require.True(t, ok, "want a VALIDATION error, got %v", err)
	require.Equal(t, errcode.Validation, e.Code)
	require.Equal(t, field, e.Details["field"], e.Message)
	require.Contains(t, e.Message, want)
}

func TestText(t *testing.T) {
	clef := "𝄞" // four bytes, one character
	for _, tc := range []struct {
		name, in string
		limit    int
		want     string // "" accepts
	}{
		{"ascii at the limit", strings.Repeat("a", 10), 10, ""},
		{"four-byte characters at the limit", strings.Repeat(clef, 10), 10, ""},
		{"one over", strings.Repeat("a", 11), 10, "at most 10 characters"},
		{"four-byte characters over", strings.Repeat(clef, 11), 10, "at most 10 characters"},
		{"NUL", "a\x00b", 10, "NUL"},
		{"invalid UTF-8", "a\xffb", 10, "UTF-8"},
		{"lone surrogate bytes", "\xed\xa0\x80", 10, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validate.Text("title", tc.in, tc.limit)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			requireInvalid(t, err, "title", tc.want)
		})
	}
}

func TestRequiredAndOptional(t *testing.T) {
	got, err := validate.Required("name", "  Bea  ", 3)
	require.NoError(t, err)
	require.Equal(t, "Bea", got)
	_, err = validate.Required("name", " \t ", 3)
	requireInvalid(t, err, "name", "blank")
	_, err = validate.Required("name", "Beatrice", 3)
	requireInvalid(t, err, "name", "at most 3 characters")

	for _, blank := range []*string{nil, ptr(""), ptr("   ")} {
		got, err := validate.Optional("note", blank, 3)
		require.NoError(t, err)
		require.Nil(t, got)
	}
	n, err := validate.Optional("note", ptr(" ok "), 3)
	require.NoError(t, err)
	require.Equal(t, "ok", *n)
	_, err = validate.Optional("note", ptr("a\x00"), 3)
	requireInvalid(t, err, "note", "NUL")
}

func TestEmail(t *testing.T) {
	for _, bad := range []string{"bea\x00@example.com", "bea\xff@example.com", strings.Repeat("a", 310) + "@example.com", "not an address"} {
		_, err := validate.Email("email", bad)
		requireInvalid(t, err, "email", "")
	}
	got, err := validate.Email("email", " bea@example.com ")
	require.NoError(t, err)
	require.Equal(t, "bea@example.com", got)
}

func TestTruncate(t *testing.T) {
	require.Equal(t, "ab", validate.Truncate("ab", 3))
	require.Equal(t, "𝄞𝄞", validate.Truncate("𝄞𝄞𝄞", 2))
	require.Equal(t, "", validate.Truncate("abc", 0))
}

// nestNot wraps a condition in n nots: n+1 levels.
func nestNot(n int) *ent.ProjectWhereInput {
	w := &ent.ProjectWhereInput{Title: ptr("x")}
	for range n {
		w = &ent.ProjectWhereInput{Not: w}
	}
	return w
}

func TestFilter(t *testing.T) {
	many := func(n int) []*ent.ProjectWhereInput {
		out := make([]*ent.ProjectWhereInput, n)
		for i := range out {
			out[i] = &ent.ProjectWhereInput{Title: ptr("x")}
		}
		return out
	}
	ids := func(n int) []pulid.ID {
		out := make([]pulid.ID, n)
		for i := range out {
			out[i] = pulid.New("prj_")
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		where any
		field string // "" accepts
		want  string
	}{
		{"nil", (*ent.ProjectWhereInput)(nil), "", ""},
		{"empty at the top is no filter", &ent.ProjectWhereInput{}, "", ""},
		{"a condition", &ent.ProjectWhereInput{TitleContains: ptr("bake"), Archived: ptr(false)}, "", ""},
		{"empty lists are no conditions", &ent.ProjectWhereInput{Title: ptr("x"), Or: []*ent.ProjectWhereInput{}, IDIn: []pulid.ID{}}, "", ""},
		{"flags", &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{CompletedAtIsNil: true}}, "", ""},
		{"times", &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{CreatedAtGT: ptr(time.Now())}}, "", ""},
		{"custom predicates count", &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{Predicates: []predicate.Project{project.Archived(true)}}}, "", ""},
		{"not {}", &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{}}, "where.not", "empty filter at where.not"},
		{"or [{}]", &ent.ProjectWhereInput{Or: []*ent.ProjectWhereInput{{Title: ptr("x")}, {}}}, "where.or[1]", "empty filter"},
		{"and [{}]", &ent.ProjectWhereInput{And: []*ent.ProjectWhereInput{{}}}, "where.and[0]", "empty filter"},
		{"and [nil]", &ent.ProjectWhereInput{And: []*ent.ProjectWhereInput{nil}}, "where.and[0]", "empty filter"},
		{"not {or: []}", &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{Or: []*ent.ProjectWhereInput{}}}, "where.not", "empty filter"},
		{"hasCustomerWith [{}]", &ent.ProjectWhereInput{HasCustomerWith: []*ent.CustomerWhereInput{{}}}, "where.hasCustomerWith[0]", "empty filter"},
		{"customer not {}", &ent.ProjectWhereInput{HasCustomerWith: []*ent.CustomerWhereInput{{Not: &ent.CustomerWhereInput{}}}}, "where.hasCustomerWith[0].not", "empty filter"},
		{"member not {}", &ent.MemberWhereInput{Not: &ent.MemberWhereInput{}}, "where.not", "empty filter"},
		{"member or [{}]", &ent.MemberWhereInput{Or: []*ent.MemberWhereInput{{}}}, "where.or[0]", "empty filter"},
		{"8 levels", nestNot(7), "", ""},
		{"9 levels", nestNot(8), "where", "filter nests deeper than 8 levels"},
		{"3,000 levels", nestNot(3000), "where", "filter nests deeper than 8 levels"},
		{"depth through the customer edge", &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{
			HasCustomerWith: []*ent.CustomerWhereInput{{Not: &ent.CustomerWhereInput{Not: &ent.CustomerWhereInput{Name: ptr("x")}}}},
		}}}}}}}, "where", "deeper than 8"},
		{"100 conditions", &ent.ProjectWhereInput{Or: many(100)}, "", ""},
		{"101 conditions", &ent.ProjectWhereInput{Or: many(100), Title: ptr("x")}, "where", "filter has more than 100 conditions"},
		{"2,000-way or", &ent.ProjectWhereInput{Or: many(2000)}, "where", "more than 100 conditions"},
		{"member 2,000-way or", &ent.MemberWhereInput{Or: func() []*ent.MemberWhereInput {
			out := make([]*ent.MemberWhereInput, 2000)
			for i := range out {
				out[i] = &ent.MemberWhereInput{Name: ptr("x")}
			}
			return out
		}()}, "where", "more than 100 conditions"},
		{"100 values", &ent.ProjectWhereInput{IDIn: ids(100)}, "", ""},
		{"101 values", &ent.ProjectWhereInput{IDIn: ids(101)}, "where.idIn", "where.idIn lists more than 100 values"},
		{"101 values not in", &ent.ProjectWhereInput{Not: &ent.ProjectWhereInput{TitleNotIn: make([]string, 101)}}, "where.not.titleNotIn", "more than 100 values"},
		{"customer values", &ent.ProjectWhereInput{HasCustomerWith: []*ent.CustomerWhereInput{{EmailIn: make([]string, 101)}}}, "where.hasCustomerWith[0].emailIn", "more than 100 values"},
		{"NUL", &ent.ProjectWhereInput{TitleContains: ptr("a\x00")}, "where.titleContains", "NUL"},
		{"NUL in an ID", &ent.ProjectWhereInput{ID: ptr(pulid.ID("prj_\x00"))}, "where.id", "NUL"},
		{"NUL in a list", &ent.ProjectWhereInput{TitleIn: []string{"ok", "a\x00"}}, "where.titleIn", "NUL"},
		{"invalid UTF-8 deep down", &ent.ProjectWhereInput{HasCustomerWith: []*ent.CustomerWhereInput{{NameHasPrefix: ptr("\xff")}}}, "where.hasCustomerWith[0].nameHasPrefix", "UTF-8"},
		{"long string", &ent.ProjectWhereInput{TitleContains: ptr(strings.Repeat("a", validate.MaxFilterText+1))}, "where.titleContains", "at most 1000 characters"},
		{"enum value", &ent.ProjectWhereInput{ArchiveReason: ptr(project.ArchiveReason("X\x00"))}, "where.archiveReason", "NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validate.Filter("where", tc.where)
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			requireInvalid(t, err, tc.field, tc.want)
		})
	}
	require.Error(t, validate.Filter("where", &struct{ Title string }{}), "only where filters")
}

// Everything Filter accepts, ent turns into a predicate.
func TestFilterAcceptsOnlyWhatEntBuilds(t *testing.T) {
	for _, w := range []*ent.ProjectWhereInput{
		nestNot(7),
		{Or: []*ent.ProjectWhereInput{{Title: ptr("a")}, {Not: &ent.ProjectWhereInput{ArchivedNEQ: ptr(true)}}}},
		{HasCustomerWith: []*ent.CustomerWhereInput{{Or: []*ent.CustomerWhereInput{{EmailIsNil: true}}}}},
	} {
		require.NoError(t, validate.Filter("where", w))
		_, err := w.P()
		require.NoError(t, err)
	}
}

func TestJSON(t *testing.T) {
	deep := func(n int) any {
		var v any = "x"
		for range n {
			v = []any{v}
		}
		return v
	}
	for _, tc := range []struct {
		name string
		v    any
		want string // "" accepts
	}{
		{"plain", map[string]any{"colour": "blue", "pages": []any{"home", 3.0, true, nil}}, ""},
		{"NUL in a value", map[string]any{"a": "x\x00"}, "NUL"},
		{"NUL in a nested key", map[string]any{"a": map[string]any{"k\x00": 1.0}}, "NUL"},
		{"invalid UTF-8 in a key", map[string]any{"\xff": "x"}, "UTF-8"},
		{"invalid UTF-8 in a list", map[string]any{"a": []any{"ok", "\xfe"}}, "UTF-8"},
		{"typed values too", map[string]any{"a": []string{"ok", "x\x00"}}, "NUL"},
		{"at the depth limit", map[string]any{"a": deep(validate.MaxJSONDepth - 2)}, ""},
		{"too deep", map[string]any{"a": deep(validate.MaxJSONDepth)}, "nests deeper than 32 levels"},
		{"too large", map[string]any{"a": strings.Repeat("x", 100)}, "at most 64 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validate.JSON("answers", tc.v, 64)
			if tc.name != "too large" {
				err = validate.JSON("answers", tc.v, 1<<20)
			}
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			requireInvalid(t, err, "answers", tc.want)
			require.NotContains(t, err.Error(), "\x00", "user data is not echoed")
		})
	}
}

func ptr[T any](v T) *T { return &v }
