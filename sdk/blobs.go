package sdk

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"  // file:// buckets
	_ "gocloud.dev/blob/memblob" // mem:// buckets (tests)
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
		path := filepath.ToSlash(abs)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path // file:///c:/data/blobs on Windows
		}
		u = (&url.URL{Scheme: fileblob.Scheme, Path: path}).String()
	}
	u, err := tempFilesInBucket(u)
	if err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", u, err)
	}
	b, err := blob.OpenBucket(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", u, err)
	}
	return b, nil
}

// tempFilesInBucket makes a file:// bucket write its temporary files next
// to their final path (fileblob's no_tmp_dir) instead of in os.TempDir:
// fileblob renames a finished temporary file into place, and a rename
// across file systems (a data directory on another mount than /tmp) fails
// with "invalid cross-device link". The URL's own query parameters stay as
// given, an explicit no_tmp_dir included; other schemes are untouched.
func tempFilesInBucket(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, err
	}
	if u.Scheme != fileblob.Scheme {
		return raw, nil
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return raw, err
	}
	if _, ok := q["no_tmp_dir"]; ok {
		return raw, nil
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "no_tmp_dir=1"
	return u.String(), nil
}
