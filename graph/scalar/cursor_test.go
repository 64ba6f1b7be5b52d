package scalar_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/graph/scalar"
)

// Cursors must stay byte for byte what entgql writes: clients hold them
// between requests, and entgql decodes them.
func TestCursorMatchesEntgql(t *testing.T) {
	for _, c := range []ent.Cursor{
		{ID: pulid.ID("prj_01J9Z3QK8V2M4N6P8R0T2W4Y6A")},
		{ID: pulid.ID("prj_01J9Z3QK8V2M4N6P8R0T2W4Y6A"), Value: "a0V"},
		{ID: pulid.ID("tim_01J9Z3QK8V2M4N6P8R0T2W4Y6B"), Value: int64(1234567)},
		{ID: pulid.ID("")},
	} {
		var want, got bytes.Buffer
		c.MarshalGQL(&want)
		scalar.MarshalCursor(c).MarshalGQL(&got)
		require.Equal(t, want.String(), got.String())

		back, err := scalar.UnmarshalCursor(got.String()[1 : got.Len()-1])
		require.NoError(t, err)
		require.Equal(t, c.ID, back.ID)
	}
	_, err := scalar.UnmarshalCursor("not base64 msgpack!")
	require.Error(t, err)
	_, err = scalar.UnmarshalCursor(42)
	require.Error(t, err)
}

func BenchmarkMarshalCursor(b *testing.B) {
	c := ent.Cursor{ID: pulid.ID("prj_01J9Z3QK8V2M4N6P8R0T2W4Y6A"), Value: "a0V"}
	for _, run := range []struct {
		name    string
		marshal func(io.Writer)
	}{
		{"lanes", func(w io.Writer) { scalar.MarshalCursor(c).MarshalGQL(w) }},
		{"entgql", c.MarshalGQL},
	} {
		b.Run(run.name, func(b *testing.B) {
			var w bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				run.marshal(&w)
			}
		})
	}
}
