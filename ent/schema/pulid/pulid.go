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

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/oklog/ulid/v2"
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

// UnmarshalGQL implements graphql.Unmarshaler.
func (id *ID) UnmarshalGQL(v any) error {
	switch s := v.(type) {
	case string:
		*id = ID(s)
	case ID:
		*id = s
	default:
		return fmt.Errorf("pulid: ID must be a string, got %T", v)
	}
	return nil
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

// Value implements driver.Valuer.
func (id ID) Value() (driver.Value, error) { return string(id), nil }

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
