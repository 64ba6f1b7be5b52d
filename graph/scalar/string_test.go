package scalar_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/graph/scalar"
	"github.com/lanes-dev/lanes/sdk/errcode"
)

func TestStringRefusesWhatNoDatabaseStores(t *testing.T) {
	for in, want := range map[any]string{
		"Bakery website": "Bakery website",
		"𝄞 \t\n":         "𝄞 \t\n",
		"":               "",
		42:               "42",
		json.Number("7"): "7",
		true:             "true",
	} {
		got, err := scalar.UnmarshalString(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	for _, tc := range []struct {
		in   any
		want error
	}{
		{"a\x00b", scalar.ErrNUL},
		{"\x00", scalar.ErrNUL},
		{"a\xffb", scalar.ErrNotUTF8},
		{"\xed\xa0\x80", scalar.ErrNotUTF8}, // an encoded surrogate
		{map[string]any{}, nil},
		{[]any{"not", "text"}, nil},
	} {
		_, err := scalar.UnmarshalString(tc.in)
		require.Error(t, err, tc.in)
		require.Equal(t, errcode.Validation, errcode.CodeOf(err))
		if tc.want != nil {
			require.ErrorIs(t, err, tc.want)
		}
	}
}

func TestStringMarshalsAsGqlgen(t *testing.T) {
	for _, s := range []string{"", "plain", "quote \" backslash \\ newline \n tab \t", "\u2028 𝄞"} {
		var want, got bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		scalar.MarshalString(s).MarshalGQL(&got)
		require.Equal(t, want.String(), got.String())
	}
}
