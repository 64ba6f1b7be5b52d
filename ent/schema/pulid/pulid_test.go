package pulid

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/errcode"
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

func TestUnmarshalGQLRefusesWhatNoIDHolds(t *testing.T) {
	for _, ok := range []any{"prj_01J9Z3QK8V2M4N6P8R0T2W4Y6A", "garbage", "", ID("prj_x")} {
		var id ID
		require.NoError(t, id.UnmarshalGQL(ok), ok)
	}
	for name, bad := range map[string]any{
		"NUL":        "prj_\x00",
		"not UTF-8":  "prj_\xff",
		"too long":   "prj_" + string(slices.Repeat([]byte("A"), MaxLen)),
		"over limit": string(slices.Repeat([]byte("a"), MaxLen+1)),
		"number":     42,
	} {
		var id ID
		err := id.UnmarshalGQL(bad)
		require.Error(t, err, name)
		require.Equal(t, errcode.Validation, errcode.CodeOf(err), name)
		require.Empty(t, id, name)
	}
}

func TestValueRefusesWhatPostgreSQLRefuses(t *testing.T) {
	v, err := ID("prj_01J9Z3QK8V2M4N6P8R0T2W4Y6A").Value()
	require.NoError(t, err)
	require.Equal(t, "prj_01J9Z3QK8V2M4N6P8R0T2W4Y6A", v)
	for _, bad := range []ID{"prj_\x00", "prj_\xff\xfe"} {
		_, err := bad.Value()
		require.ErrorIs(t, err, ErrInvalid)
		require.Equal(t, errcode.Validation, errcode.CodeOf(err))
	}
}
