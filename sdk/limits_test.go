package sdk_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

func TestRequestLimits(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) {
			c.MaxBodyBytes = 4096
			c.MaxQueryDepth = 6
			c.MaxQueryComplexity = 1000
		})
		s.CreateTenant(t, "acme")
		member := s.AddMember(t, "acme", "alice", "MEMBER")

		t.Run("oversized body is 413", func(t *testing.T) {
			big := `{"query":"{ viewer { kind } }","variables":{"pad":"` + strings.Repeat("x", 5000) + `"}}`
			res := member.Raw(t, []byte(big))
			require.Equal(t, http.StatusRequestEntityTooLarge, res.Status)
			require.Equal(t, []string{"VALIDATION"}, res.Codes())
		})
		t.Run("oversized chunked body is 413", func(t *testing.T) {
			body := strings.NewReader(`{"query":"{ viewer { kind } }","variables":{"pad":"` + strings.Repeat("x", 5000) + `"}}`)
			req, err := http.NewRequest(http.MethodPost, member.URL, body)
			require.NoError(t, err)
			req.ContentLength = -1 // unknown length: sent chunked
			req.Header = member.Headers.Clone()
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		})
		t.Run("deep query is QUERY_TOO_COMPLEX", func(t *testing.T) {
			deep := `{ workflows { statuses { workflow { statuses { workflow { statuses { workflow { key } } } } } } } }`
			res := member.Do(t, deep, nil)
			require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, res.Codes())
			require.Equal(t, "null", string(res.Data))
		})
		t.Run("deep query through fragments is QUERY_TOO_COMPLEX", func(t *testing.T) {
			deep := `query { workflows { ...W } }
fragment W on Workflow { statuses { workflow { statuses { workflow { ...S } } } } }
fragment S on Workflow { statuses { workflow { key } } }`
			res := member.Do(t, deep, nil)
			require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, res.Codes())
		})
		t.Run("large pages are QUERY_TOO_COMPLEX", func(t *testing.T) {
			res := member.Do(t, `{ projects(first: 1000) { edges { node { id title customer { name } } } } }`, nil)
			require.Equal(t, []string{"QUERY_TOO_COMPLEX"}, res.Codes())
		})
		t.Run("operations of the contract pass", func(t *testing.T) {
			res := sdktest.Op(t, member, "Workflows", nil)
			require.Empty(t, res.Errors)
		})
		t.Run("bad bodies are not echoed", func(t *testing.T) {
			for name, body := range map[string]string{
				"invalid JSON":    `{"query": "{ viewer { kind } }", "pad": "` + strings.Repeat("echo", 900) + ``,
				"wrong shape":     `{"query": 5, "pad": "` + strings.Repeat("echo", 900) + `"}`,
				"trailing data":   `{"query": "{ viewer { kind } }"} "` + strings.Repeat("echo", 900) + `"`,
				"not UTF-8":       "{\"query\": \"{ viewer { kind } }\", \"pad\": \"\xff" + strings.Repeat("echo", 900) + "\"}",
				"variables array": `{"query": "{ viewer { kind } }", "variables": ["` + strings.Repeat("echo", 900) + `"]}`,
			} {
				raw, err := member.Post([]byte(body))
				require.NoError(t, err, name)
				require.Equal(t, http.StatusBadRequest, raw.Status, name)
				require.Equal(t, []string{"VALIDATION"}, raw.Codes(), name)
				require.NotContains(t, raw.Errors[0].Message, "echo", name)
			}
		})
		t.Run("malformed requests carry a code too", func(t *testing.T) {
			res := member.Raw(t, []byte(`{"query": "{ viewer { kind } }"`))
			require.Equal(t, http.StatusBadRequest, res.Status)
			require.Equal(t, []string{"VALIDATION"}, res.Codes())
			res = member.Do(t, `{ viewer { kind `, nil)
			require.Equal(t, []string{"VALIDATION"}, res.Codes())
			res = member.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": 42})
			require.Equal(t, []string{"VALIDATION"}, res.Codes())
		})
		t.Run("introspection is off outside development mode", func(t *testing.T) {
			res := member.Do(t, `{ __schema { types { name } } }`, nil)
			require.NotEmpty(t, res.Errors)
		})
	})
}

func TestRateLimit(t *testing.T) {
	s := sdktest.Start(t, lanestest.SQLiteURL(t), func(c *sdk.Config) {
		c.RateLimit = 1
		c.RateBurst = 3
	})
	s.CreateTenant(t, "acme") // uses one token of the platform key
	member := s.AddMember(t, "acme", "alice", "MEMBER")
	for i := 0; i < 3; i++ {
		require.Empty(t, sdktest.Op(t, member, "Viewer", nil).Errors, "request %d", i)
	}
	res := sdktest.Op(t, member, "Viewer", nil)
	require.Equal(t, http.StatusTooManyRequests, res.Status)
	require.Equal(t, []string{"RATE_LIMITED"}, res.Codes())
	// Another credential has its own bucket.
	s.AddMember(t, "acme", "bob", "MEMBER")
	require.Empty(t, sdktest.Op(t, s.Member(t, "acme", "bob"), "Viewer", nil).Errors)
}

// A client trickling its body is answered 408 TIMEOUT once the body
// timeout passes, instead of holding the connection.
func TestSlowBodyIsCutOff(t *testing.T) {
	s := sdktest.Start(t, lanestest.SQLiteURL(t), func(c *sdk.Config) { c.RequestTimeout = 300 * time.Millisecond })
	u, err := url.Parse(s.HTTP.URL)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":", u.Host)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second))) // a hang fails, not blocks
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusRequestTimeout, res.StatusCode)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), `"code":"TIMEOUT"`)
}
