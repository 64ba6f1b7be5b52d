package sdk

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTempFilesInBucket(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"file:///srv/lanes/blobs", "file:///srv/lanes/blobs?no_tmp_dir=1"},
		{"file:///srv/lanes/blobs?create_dir=1&metadata=skip", "file:///srv/lanes/blobs?create_dir=1&metadata=skip&no_tmp_dir=1"},
		{"file://./data/blobs", "file://./data/blobs?no_tmp_dir=1"},
		{"file:///srv/a%20b", "file:///srv/a%20b?no_tmp_dir=1"},
		// An explicit choice stays.
		{"file:///srv/blobs?no_tmp_dir=", "file:///srv/blobs?no_tmp_dir="},
		{"file:///srv/blobs?no_tmp_dir=yes", "file:///srv/blobs?no_tmp_dir=yes"},
		// Other drivers are not fileblob.
		{"mem://", "mem://"},
		{"s3://bucket?region=eu-central-1", "s3://bucket?region=eu-central-1"},
	} {
		got, err := tempFilesInBucket(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	_, err := tempFilesInBucket("file:///srv/blobs?bad=%zz")
	require.Error(t, err)
}
