package pulid

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNew(t *testing.T) {
	var ids []ID
	for range 1000 {
		id := New("prj_")
		require.Regexp(t, `^prj_[0-9A-HJKMNP-TV-Z]{26}$`, string(id))
		require.True(t, id.Valid())
		require.Equal(t, "prj_", id.Prefix())
		ids = append(ids, id)
	}
	require.True(t, slices.IsSorted(ids), "IDs made in sequence sort in sequence")
	require.Len(t, slices.Compact(slices.Clone(ids)), len(ids))
	for _, bad := range []ID{"", "prj", "prj_", "prj_xyz", "01J9Z3ABCDEFGHJKMNPQRSTVWX"} {
		require.False(t, bad.Valid(), bad)
	}
}
