package sdk

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBoundMessage(t *testing.T) {
	long := strings.Repeat("k", 5000)
	cut := strings.Repeat("k", maxEchoed) + "…"
	for _, tc := range []struct{ in, want string }{
		{`Cannot query field "viewr" on type "Query".`, `Cannot query field "viewr" on type "Query".`},
		{`Cannot query field "` + long + `" on type "Query".`, `Cannot query field "` + cut + `" on type "Query".`},
		{`String cannot represent a non string value: ` + long, `String cannot represent a non string value: ` + cut},
		{`Unexpected String "` + strings.Repeat("a b ", 500) + `"`, `Unexpected String "` + strings.Repeat("a b ", 25) + `…"`},
		{strings.Repeat("word ", 500), strings.Repeat("word ", 200) + "…"},
		{`"` + strings.Repeat("é", 150) + `"`, `"` + strings.Repeat("é", maxEchoed) + `…"`},
	} {
		require.Equal(t, tc.want, boundMessage(tc.in))
	}
}

func TestWithoutSuggestions(t *testing.T) {
	for in, want := range map[string]string{
		`Unknown argument "ky" on field "Query.workflow". Did you mean "key"?`:                       `Unknown argument "ky" on field "Query.workflow".`,
		`Value "OTHR" does not exist in "DeclineReason!" enum. Did you mean the enum value "OTHER"?`: `Value "OTHR" does not exist in "DeclineReason!" enum.`,
		`Unknown type "Strin". Did you mean "String" or "Int"?`:                                      `Unknown type "Strin".`,
		`Cannot query field "viewr" on type "Query".`:                                                `Cannot query field "viewr" on type "Query".`,
	} {
		require.Equal(t, want, withoutSuggestions(in))
	}
}
