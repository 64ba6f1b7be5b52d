package sdk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets
	_ "gocloud.dev/blob/memblob"  // mem:// buckets (tests)
)

// openBucket opens the blob store of uploaded files: cfg.BlobURL, or a
// blobs directory next to the embedded database.
func openBucket(ctx context.Context, cfg Config) (*blob.Bucket, error) {
	u := cfg.BlobURL
	if u == "" {
		dir := cfg.DataDir
		if dir == "" {
			dir = "data"
		}
		abs, err := filepath.Abs(filepath.Join(dir, "blobs"))
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(abs, 0o750); err != nil {
			return nil, fmt.Errorf("create blob directory: %w", err)
		}
		u = "file://" + filepath.ToSlash(abs)
	}
	b, err := blob.OpenBucket(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", u, err)
	}
	return b, nil
}
