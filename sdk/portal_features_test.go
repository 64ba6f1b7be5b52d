package sdk_test

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// rowCount counts the rows of a table.
func rowCount(t *testing.T, s *sdktest.Server, table string) int {
	t.Helper()
	var n int
	require.NoError(t, s.Lanes.DB().QueryRow("SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// blobCount counts the files in the test server's blob directory.
func blobCount(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(path, ".attrs") && filepath.Ext(path) != ".db" &&
			!strings.Contains(path, "lanes.db") {
			n++
		}
		return err
	}))
	return n
}

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)

func TestPortalFeatureMutations(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		blobs := t.TempDir()
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) {
			c.BlobURL = "file://" + filepath.ToSlash(blobs)
			c.MaxUploadBytes = 4096
		})
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Site", map[string]any{"customer": map[string]any{"name": "Cara", "company": "Cara Co"}})
		customer := customerFor(t, s, a, p.ID, "cara@example.com")
		at := func(status string) { require.Empty(t, move(t, a.member, p.ID, status).Errors) }

		wishes := func(answers map[string]any) *lanestest.Response {
			return sdktest.Op(t, customer, "SubmitWishes", map[string]any{"projectId": p.ID, "answers": answers})
		}
		feedback := func(in map[string]any) *lanestest.Response {
			in["projectId"] = p.ID
			return sdktest.Op(t, customer, "PinFeedback", map[string]any{"input": in})
		}
		myData := func(in map[string]any) *lanestest.Response {
			return sdktest.Op(t, customer, "UpdateMyData", map[string]any{"input": in})
		}
		pin := map[string]any{"pageUrl": "https://cara.example/about", "selector": "#team h2", "x": 0.25, "y": 0.5, "comment": "Bigger photo please"}

		t.Run("locked: FEATURE_LOCKED, nothing written", func(t *testing.T) {
			at("creation") // F D E: no wishes, no feedback
			requireCode(t, wishes(map[string]any{"colors": "blue"}), "FEATURE_LOCKED")
			requireCode(t, feedback(pin), "FEATURE_LOCKED")
			at("lead") // F W: no my data
			requireCode(t, myData(map[string]any{"phone": "123"}), "FEATURE_LOCKED")
			require.NoError(t, setFeatureErr(t, a.admin, "website", "lead", "FILE_MANAGER", false))
			requireCode(t, upload(t, customer, p.ID, "logo.png", pngBytes, "image/png"), "FEATURE_LOCKED")
			require.Zero(t, rowCount(t, s, "wish_submissions"))
			require.Zero(t, rowCount(t, s, "files"))
			require.Zero(t, blobCount(t, blobs), "no file in the blob store")
			require.Equal(t, 0, len(readPortal(t, customer).Portal.Projects[0].Feedback))
			require.Equal(t, "", readPortal(t, customer).Portal.Customer.Phone)
			require.NoError(t, setFeatureErr(t, a.admin, "website", "lead", "FILE_MANAGER", true))
		})

		t.Run("wishes: latest wins, history kept", func(t *testing.T) {
			at("lead")
			type submitted struct {
				SubmitWishes struct{ Answers map[string]any }
			}
			var first, second submitted
			wishes(map[string]any{"colors": "blue", "pages": []any{"home", "about"}}).Decode(t, &first)
			require.Equal(t, []any{"home", "about"}, first.SubmitWishes.Answers["pages"])
			wishes(map[string]any{"colors": "green"}).Decode(t, &second)
			require.Equal(t, map[string]any{"colors": "green"}, second.SubmitWishes.Answers)
			require.Equal(t, "green", readPortal(t, customer).Portal.Projects[0].Wishes.Answers["colors"])
			var pp struct {
				Node struct {
					Wishes struct{ Answers map[string]any }
				}
			}
			sdktest.Op(t, a.member, "ProjectPortal", map[string]any{"id": p.ID}).Decode(t, &pp)
			require.Equal(t, "green", pp.Node.Wishes.Answers["colors"])
			require.Equal(t, 2, rowCount(t, s, "wish_submissions"))
			requireCode(t, wishes(map[string]any{"big": strings.Repeat("x", 70_000)}), "VALIDATION")
			requireCode(t, wishes(map[string]any{" ": 1}), "VALIDATION")
			requireCode(t, sdktest.Op(t, customer, "SubmitWishes", map[string]any{"projectId": p.ID, "answers": "not an object"}), "VALIDATION")
			require.Equal(t, 2, rowCount(t, s, "wish_submissions"))
		})

		t.Run("files: sniffed, sanitised, bounded, downloadable by members", func(t *testing.T) {
			at("lead")
			var out struct {
				UploadFile struct {
					ID, Name, ContentType string
					Size                  int
				}
			}
			res := upload(t, customer, p.ID, `..\..\evil/../"logo".png`, pngBytes, "text/html")
			res.Decode(t, &out)
			require.Regexp(t, `^fil_`, out.UploadFile.ID)
			require.Equal(t, "_logo_.png", out.UploadFile.Name)
			require.Equal(t, "image/png", out.UploadFile.ContentType, "sniffed, not declared")
			require.Equal(t, len(pngBytes), out.UploadFile.Size)
			require.Equal(t, 1, blobCount(t, blobs))

			// Too large for the file limit: VALIDATION; over the request
			// limit: 413. Nothing stays behind.
			requireCode(t, upload(t, customer, p.ID, "big.bin", bytes.Repeat([]byte("a"), 5000), "application/octet-stream"), "VALIDATION")
			huge := upload(t, customer, p.ID, "huge.bin", bytes.Repeat([]byte("a"), 2<<20), "application/octet-stream")
			require.Equal(t, http.StatusRequestEntityTooLarge, huge.Status)
			require.Equal(t, 1, blobCount(t, blobs))
			require.Equal(t, 1, rowCount(t, s, "files"))

			// Members see the file with a download link.
			var pp struct {
				Node struct {
					Files []struct{ ID, Name, ContentType, URL string }
				}
			}
			sdktest.Op(t, a.member, "ProjectPortal", map[string]any{"id": p.ID}).Decode(t, &pp)
			require.Len(t, pp.Node.Files, 1)
			link := s.HTTP.URL + pp.Node.Files[0].URL
			got, err := http.Get(link)
			require.NoError(t, err)
			body, _ := io.ReadAll(got.Body)
			got.Body.Close()
			require.Equal(t, http.StatusOK, got.StatusCode)
			require.Equal(t, pngBytes, body)
			require.Equal(t, "image/png", got.Header.Get("Content-Type"))
			require.Equal(t, `attachment; filename=_logo_.png`, got.Header.Get("Content-Disposition"))
			require.Equal(t, "nosniff", got.Header.Get("X-Content-Type-Options"))
			for _, bad := range []string{
				strings.Replace(link, "sig=", "sig=x", 1),
				strings.Replace(link, "exp=", "exp=1", 1),
				strings.Replace(link, pp.Node.Files[0].ID, "fil_01M81ZB4AWFM36ZJQAFGN9D9EZ", 1),
			} {
				res, err := http.Get(bad)
				require.NoError(t, err)
				res.Body.Close()
				require.Equal(t, http.StatusForbidden, res.StatusCode, bad)
			}
			require.Len(t, readPortal(t, customer).Portal.Projects[0].Files, 1)
		})

		t.Run("feedback: a pinned to-do in the current status", func(t *testing.T) {
			at("feedback")
			var out struct {
				PinFeedback struct {
					ID, Title string
					Done      bool
				}
			}
			feedback(pin).Decode(t, &out)
			require.Regexp(t, `^tod_`, out.PinFeedback.ID)
			require.Equal(t, "Bigger photo please", out.PinFeedback.Title)
			for name, in := range map[string]map[string]any{
				"not a URL":     {"pageUrl": "javascript:alert(1)", "comment": "x"},
				"x out of 0..1": {"pageUrl": "https://cara.example", "x": 1.5, "comment": "x"},
				"no comment":    {"pageUrl": "https://cara.example", "comment": " "},
			} {
				t.Run(name, func(t *testing.T) { requireCode(t, feedback(in), "VALIDATION") })
			}
			view := readPortal(t, customer)
			require.Len(t, view.Portal.Projects[0].Feedback, 1)
			v := view.Portal.Projects[0]
			require.Equal(t, "Bigger photo please", v.Feedback[0].Title)
			todos := viewTodos(t, a.member, p.ID)
			require.Len(t, todos, 1)
			require.Equal(t, "feedback", todos[0].Status.Key)
		})

		t.Run("my data", func(t *testing.T) {
			at("preparation")
			var out struct {
				UpdateMyData struct{ ID, Name, Company, Email, Phone string }
			}
			myData(map[string]any{"name": "Cara Baker", "phone": "+49 30 1234", "company": ""}).Decode(t, &out)
			require.Equal(t, "Cara Baker", out.UpdateMyData.Name)
			require.Equal(t, "+49 30 1234", out.UpdateMyData.Phone)
			require.Equal(t, "", out.UpdateMyData.Company)
			require.Equal(t, "cara@example.com", out.UpdateMyData.Email)
			requireCode(t, myData(map[string]any{"email": "nope"}), "VALIDATION")
			requireCode(t, myData(map[string]any{"name": ""}), "VALIDATION")
			require.Equal(t, "Cara Baker", readPortal(t, customer).Portal.Customer.Name)
			var pv projectView
			sdktest.Op(t, a.member, "Project", map[string]any{"id": p.ID}).Decode(t, &pv)
			require.Equal(t, "Cara Baker", pv.Node.Customer.Name)
		})
	})
}

func setFeatureErr(t *testing.T, c lanestest.Client, workflow, status, feature string, enabled bool) error {
	t.Helper()
	res := setFeature(t, c, workflow, status, feature, enabled)
	if len(res.Errors) > 0 {
		return errorString(res.Errors[0].Message)
	}
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

func viewTodos(t *testing.T, c lanestest.Client, id string) []struct {
	ID       string
	Title    string
	Done     bool
	Blocking bool
	Status   struct{ Key string }
} {
	return view(t, c, id).Node.Todos
}
