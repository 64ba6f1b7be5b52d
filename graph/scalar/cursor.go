// Package scalar marshals GraphQL scalars whose Go types Lanes does not
// own (gqlgen.yml binds them here).
package scalar

import (
	"bytes"
	"encoding/base64"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/lanes-dev/lanes/ent"
)

// MarshalCursor writes a pagination cursor exactly as entgql does (base64
// of its msgpack form) without entgql's per-cursor encoders: a board
// writes hundreds of cursors, and those encoders were a tenth of its
// allocated bytes.
func MarshalCursor(c ent.Cursor) graphql.Marshaler {
	e := cursorEncoders.Get().(*cursorEncoder)
	defer cursorEncoders.Put(e)
	e.packed.Reset()
	if err := e.enc.Encode(c); err != nil {
		// Cursors hold an ID and a scalar order value; they always encode.
		panic("scalar: encode cursor: " + err.Error())
	}
	e.text = base64.RawStdEncoding.AppendEncode(e.text[:0], e.packed.Bytes())
	return graphql.MarshalString(string(e.text))
}

// UnmarshalCursor reads a cursor as entgql does.
func UnmarshalCursor(v any) (ent.Cursor, error) {
	var c ent.Cursor
	err := c.UnmarshalGQL(v)
	return c, err
}

type cursorEncoder struct {
	packed bytes.Buffer
	enc    *msgpack.Encoder
	text   []byte
}

var cursorEncoders = sync.Pool{New: func() any {
	e := &cursorEncoder{}
	e.enc = msgpack.NewEncoder(&e.packed)
	return e
}}
