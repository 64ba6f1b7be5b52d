package sdk_test

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// TestUploadsWriteTemporaryFilesInTheBucket: fileblob writes an upload to a
// temporary file and renames it into the bucket; the file:// buckets Lanes
// opens keep that temporary file in the bucket's own directory, so a data
// directory on another file system than os.TempDir works (a rename across
// file systems fails with "invalid cross-device link"). TMPDIR names a
// directory that does not exist while the file is uploaded: anything
// written through os.TempDir fails. The URL's own query parameters stay in
// force.
func TestUploadsWriteTemporaryFilesInTheBucket(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		for i, tc := range []struct {
			name string
			// config points Lanes at a bucket and returns its directory.
			config func(t *testing.T, c *sdk.Config) string
			attrs  bool
		}{
			{"default: blobs in the data directory", func(t *testing.T, c *sdk.Config) string {
				c.DataDir, c.BlobURL = t.TempDir(), ""
				return filepath.Join(c.DataDir, "blobs")
			}, true},
			{"configured file URL", func(t *testing.T, c *sdk.Config) string {
				dir := t.TempDir()
				c.BlobURL = "file://" + filepath.ToSlash(dir)
				return dir
			}, true},
			{"configured file URL with parameters", func(t *testing.T, c *sdk.Config) string {
				dir := filepath.Join(t.TempDir(), "created", "by", "fileblob")
				c.BlobURL = "file://" + filepath.ToSlash(dir) + "?create_dir=1&metadata=skip"
				return dir
			}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var dir string
				s := sdktest.Start(t, db.URL, func(c *sdk.Config) { dir = tc.config(t, c) })
				a := newTeam(t, s, fmt.Sprintf("tenant-%d", i)) // one database for every case
				p := create(t, a.member, "website", "Site")
				customer := customerFor(t, s, a, p.ID, "cara@example.com")

				t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "does-not-exist"))
				var out struct{ UploadFile struct{ ID string } }
				upload(t, customer, p.ID, "logo.png", pngBytes, "image/png").Decode(t, &out)
				require.Regexp(t, `^fil_`, out.UploadFile.ID)

				var files []string
				require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						files = append(files, filepath.Base(path))
					}
					return err
				}))
				var blobs, attrs int
				for _, f := range files {
					require.False(t, strings.HasSuffix(f, ".tmp"), "temporary file %s left behind", f)
					if strings.HasSuffix(f, ".attrs") {
						attrs++
					} else {
						blobs++
					}
				}
				require.Equal(t, 1, blobs, "%v", files)
				if tc.attrs {
					require.Equal(t, 1, attrs, "%v", files)
				} else {
					require.Zero(t, attrs, "metadata=skip is kept: %v", files)
				}

				var pp struct {
					Node struct{ Files []struct{ ID, URL string } }
				}
				sdktest.Op(t, a.member, "ProjectPortal", map[string]any{"id": p.ID}).Decode(t, &pp)
				require.Len(t, pp.Node.Files, 1)
				require.Equal(t, out.UploadFile.ID, pp.Node.Files[0].ID)
				res, err := http.Get(s.HTTP.URL + pp.Node.Files[0].URL)
				require.NoError(t, err)
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, res.StatusCode, string(body))
				require.Equal(t, pngBytes, body)

				_, err = os.Stat(os.TempDir())
				require.ErrorIs(t, err, fs.ErrNotExist, "os.TempDir was not writable during the upload")
			})
		}
	})
}
