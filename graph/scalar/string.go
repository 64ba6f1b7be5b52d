package scalar

import (
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// Refusals of String arguments. The error's path names the argument (or
// the input field) that held the string.
var (
	ErrNUL        = errcode.New(errcode.Validation, "a string must not contain NUL characters (U+0000)")
	ErrNotUTF8    = errcode.New(errcode.Validation, "a string must be valid UTF-8")
	errNotAString = errcode.New(errcode.Validation, "not a string")
)

// MarshalString writes a String exactly as gqlgen does.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString reads a String argument or variable as gqlgen does, and
// refuses what no database stores: NUL characters (PostgreSQL rejects
// them) and invalid UTF-8. Every String of the schema, inline or in
// variables, at any depth of an input, comes through here, before any
// resolver runs.
func UnmarshalString(v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", errNotAString
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", ErrNUL
	}
	if !utf8.ValidString(s) {
		return "", ErrNotUTF8
	}
	return s, nil
}
