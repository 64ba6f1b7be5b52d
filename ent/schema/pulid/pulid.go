// Package pulid implements prefixed, sortable, random identifiers:
// a short type prefix followed by a ULID, e.g. "prj_01J9Z3...".
//
// The prefix names the entity type, so a global node(id) lookup goes straight
// to the right table, and the 80 random bits of the ULID make IDs unguessable
// across tenants. ULIDs sort by creation time, which keeps B-tree inserts local.
package pulid

import (
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/oklog/ulid/v2"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// ID is a prefixed ULID. The zero value is the empty string.
type ID string

// New returns a fresh ID with the given prefix (including its trailing "_").
// ulid.Make is safe for concurrent use and monotonic within a millisecond.
func New(prefix string) ID {
	return ID(prefix + ulid.Make().String())
}

// Prefix returns the type prefix of the ID ("prj_"), or "" when it has none.
func (id ID) Prefix() string {
	i := strings.IndexByte(string(id), '_')
	if i < 0 {
		return ""
	}
	return string(id[:i+1])
}

// Valid reports whether the ID is a prefix followed by a well-formed ULID.
func (id ID) Valid() bool {
	p := id.Prefix()
	if p == "" {
		return false
	}
	_, err := ulid.ParseStrict(string(id[len(p):]))
	return err == nil
}

// String implements fmt.Stringer.
func (id ID) String() string { return string(id) }

// MaxLen bounds the IDs UnmarshalGQL accepts: Lanes' IDs are a short
// prefix and 26 characters of ULID (the id columns hold at most 40).
const MaxLen = 64

// Refusals of IDs no object can have. They name no field: the GraphQL
// error's path names the argument; a Go caller knows what it passed.
var (
	// ErrInvalid: NUL characters or invalid UTF-8 (PostgreSQL would refuse
	// the ID outright).
	ErrInvalid = errcode.New(errcode.Validation, "not a valid ID: an ID is valid UTF-8 without NUL characters (U+0000)")
	// ErrTooLong: longer than MaxLen.
	ErrTooLong = errcode.New(errcode.Validation, fmt.Sprintf("not a valid ID: an ID has at most %d characters", MaxLen))
)

// UnmarshalGQL implements graphql.Unmarshaler. An ID no object can have is
// VALIDATION; any other unknown ID is left for the lookup to answer
// NOT_FOUND.
func (id *ID) UnmarshalGQL(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case ID:
		s = string(v)
	default:
		return errcode.New(errcode.Validation, fmt.Sprintf("an ID must be a string, not %T", v))
	}
	switch {
	case len(s) > MaxLen:
		return ErrTooLong
	case !clean(s):
		return ErrInvalid
	}
	*id = ID(s)
	return nil
}

// clean reports whether s is valid UTF-8 without NUL characters.
func clean(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// MarshalGQL implements graphql.Marshaler.
func (id ID) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(id)))
}

// Scan implements sql.Scanner.
func (id *ID) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*id = ID(v)
	case []byte:
		*id = ID(v)
	case nil:
		*id = ""
	default:
		return fmt.Errorf("pulid: cannot scan %T", src)
	}
	return nil
}

// Value implements driver.Valuer. It refuses what PostgreSQL would
// (NUL characters, invalid UTF-8) with ErrInvalid, so an ID from a Go
// caller that no row can have is VALIDATION on every database, never a
// driver error.
func (id ID) Value() (driver.Value, error) {
	if !clean(string(id)) {
		return nil, ErrInvalid
	}
	return string(id), nil
}

// Annotation records the prefix of a schema, so code generation can map
// prefixes back to node types.
type Annotation struct {
	Prefix string
}

// Name implements schema.Annotation.
func (Annotation) Name() string { return "PULID" }

// Mixin gives a schema its prefixed ID field.
type Mixin struct {
	mixin.Schema
	prefix string
}

// MixinWithPrefix returns the ID mixin for a type whose IDs start with prefix
// (for example "prj_").
func MixinWithPrefix(prefix string) Mixin {
	return Mixin{prefix: prefix}
}

// Fields implements ent.Mixin.
func (m Mixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").
			GoType(ID("")).
			MaxLen(40).
			NotEmpty().
			Immutable().
			DefaultFunc(func() ID { return New(m.prefix) }),
	}
}

// Annotations implements ent.Mixin.
func (m Mixin) Annotations() []schema.Annotation {
	return []schema.Annotation{Annotation{Prefix: m.prefix}}
}
