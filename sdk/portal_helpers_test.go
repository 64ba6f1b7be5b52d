package sdk_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// invite runs InviteCustomer and returns the token.
func invite(t *testing.T, c lanestest.Client, projectID, email string) (token, url string) {
	t.Helper()
	var out struct {
		InviteCustomer struct{ ID, URL, Token, ExpiresAt string }
	}
	sdktest.Op(t, c, "InviteCustomer", map[string]any{"input": map[string]any{"projectId": projectID, "email": email}}).Decode(t, &out)
	require.Regexp(t, `^inv_`, out.InviteCustomer.ID)
	return out.InviteCustomer.Token, out.InviteCustomer.URL
}

// accept runs AcceptInvitation anonymously and returns a client acting as
// the customer.
func accept(t *testing.T, s *sdktest.Server, token string) lanestest.Client {
	t.Helper()
	var out struct {
		AcceptInvitation struct {
			Token    string
			Customer struct{ ID, Name string }
		}
	}
	sdktest.Op(t, s.Anonymous, "AcceptInvitation", map[string]any{"token": token}).Decode(t, &out)
	require.Regexp(t, `^lps_`, out.AcceptInvitation.Token)
	return s.Anonymous.With("Authorization", "Bearer "+out.AcceptInvitation.Token)
}

// customerFor creates a project for a new customer, invites and accepts:
// a client acting as that customer.
func customerFor(t *testing.T, s *sdktest.Server, tm *team, projectID, email string) lanestest.Client {
	t.Helper()
	token, _ := invite(t, tm.member, projectID, email)
	return accept(t, s, token)
}

type portalData struct {
	Portal struct {
		Customer struct{ ID, Name, Company, Email, Phone string }
		Projects []struct {
			ID       string
			Title    string
			Status   struct{ Key, Name string }
			Features []string
			Wishes   *struct {
				Answers     map[string]any
				SubmittedAt string
			}
			Files []struct {
				ID, Name, ContentType string
				Size                  int
			}
			Feedback []struct {
				ID, Title string
				Done      bool
			}
		}
	}
}

func readPortal(t *testing.T, c lanestest.Client) portalData {
	t.Helper()
	var out portalData
	sdktest.Op(t, c, "Portal", nil).Decode(t, &out)
	return out
}

// upload sends the UploadFile operation as a GraphQL multipart request.
func upload(t *testing.T, c lanestest.Client, projectID, name string, content []byte, declaredType string) *lanestest.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	ops, err := json.Marshal(map[string]any{
		"operationName": "UploadFile",
		"query":         contract.MustOperation("UploadFile"),
		"variables":     map[string]any{"projectId": projectID, "file": nil},
	})
	require.NoError(t, err)
	require.NoError(t, w.WriteField("operations", string(ops)))
	require.NoError(t, w.WriteField("map", `{"0":["variables.file"]}`))
	h := textproto.MIMEHeader{}
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name)
	h.Set("Content-Disposition", `form-data; name="0"; filename="`+quoted+`"`)
	h.Set("Content-Type", declaredType)
	part, err := w.CreatePart(h)
	require.NoError(t, err)
	_, err = part.Write(content)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return postRaw(t, c, w.FormDataContentType(), body.Bytes())
}

func postRaw(t *testing.T, c lanestest.Client, contentType string, body []byte) *lanestest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.URL, bytes.NewReader(body))
	require.NoError(t, err)
	for k, vs := range c.Headers {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	out := &lanestest.Response{}
	require.NoError(t, json.Unmarshal(raw, out), "HTTP %d: %s", res.StatusCode, raw)
	out.Status = res.StatusCode
	return out
}
