package sdk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/tenancy"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// Failed authentications are limited per client address before the 401:
// wrong API keys, session tokens, JWTs and invitation tokens alike. Once
// an address is out of failures, even a right credential from it waits.
func TestFailedAuthenticationIsRateLimited(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		for _, wrong := range []struct {
			name   string
			client func(s *sdktest.Server, i int) lanestest.Client
		}{
			{"API keys", func(s *sdktest.Server, i int) lanestest.Client {
				return s.Anonymous.With(auth.HeaderAPIKey, fmt.Sprintf("lk_wrong-key-%04d-0123456789", i))
			}},
			{"session tokens", func(s *sdktest.Server, i int) lanestest.Client {
				return s.Anonymous.With(auth.HeaderAuthorization, fmt.Sprintf("Bearer lps_wrong-session-%04d", i))
			}},
			{"JWTs", func(s *sdktest.Server, i int) lanestest.Client {
				return s.Anonymous.With(auth.HeaderAuthorization, fmt.Sprintf("Bearer eyJhbGciOiJIUzI1NiJ9.e30.wrong%04d", i))
			}},
		} {
			t.Run(wrong.name, func(t *testing.T) {
				s := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) { c.AuthFailureLimit = 5 })
				for i := range 5 {
					res := sdktest.Op(t, wrong.client(s, i), "Viewer", nil)
					require.Equal(t, http.StatusUnauthorized, res.Status, "attempt %d", i)
					require.Equal(t, []string{"UNAUTHENTICATED"}, res.Codes())
				}
				res := sdktest.Op(t, wrong.client(s, 5), "Viewer", nil)
				require.Equal(t, http.StatusTooManyRequests, res.Status)
				require.Equal(t, []string{"RATE_LIMITED"}, res.Codes())
				res = sdktest.Op(t, s.Platform, "Viewer", nil)
				require.Equal(t, []string{"RATE_LIMITED"}, res.Codes(), "the address waits, whatever it sends")
			})
		}

		t.Run("invitation tokens", func(t *testing.T) {
			s := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) { c.AuthFailureLimit = 5 })
			for i := range 5 {
				res := sdktest.Op(t, s.Anonymous, "AcceptInvitation", map[string]any{"token": fmt.Sprintf("lpi_wrong-%d", i)})
				require.Equal(t, []string{"TOKEN_INVALID"}, res.Codes(), "attempt %d", i)
			}
			res := sdktest.Op(t, s.Anonymous, "AcceptInvitation", map[string]any{"token": "lpi_wrong-5"})
			require.Equal(t, http.StatusTooManyRequests, res.Status)
			require.Equal(t, []string{"RATE_LIMITED"}, res.Codes())
			res = sdktest.Op(t, s.Anonymous, "SubmitSurvey", map[string]any{"token": "nps_wrong", "score": 9})
			require.Equal(t, []string{"RATE_LIMITED"}, res.Codes())
		})
	})
}

// X-Forwarded-For names the client only when a trusted proxy sends it:
// otherwise rotating it does not escape the limit.
func TestTrustedProxies(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		testTrustedProxies(t, db)
	})
}

func testTrustedProxies(t *testing.T, db lanestest.Database) {
	// Each attempt with a key of its own prefix: only the address counts.
	wrongKey := func(c lanestest.Client, i int, forwardedFor string) *lanestest.Response {
		key := fmt.Sprintf("lk_%d-wrong-key-0123456789", i)
		return sdktest.Op(t, c.With(auth.HeaderAPIKey, key).With("X-Forwarded-For", forwardedFor), "Viewer", nil)
	}
	untrusted := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) { c.AuthFailureLimit = 3 })
	for i := range 3 {
		require.Equal(t, []string{"UNAUTHENTICATED"}, wrongKey(untrusted.Anonymous, i, fmt.Sprintf("203.0.113.%d", i)).Codes())
	}
	require.Equal(t, []string{"RATE_LIMITED"}, wrongKey(untrusted.Anonymous, 3, "203.0.113.99").Codes(), "a header from anyone is ignored")

	proxied := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) {
		c.AuthFailureLimit = 3
		c.TrustedProxies = []string{"127.0.0.1", "10.0.0.0/8"}
	})
	// Three clients behind the proxies, one failure each (the key prefix
	// has its own budget of three: different keys below).
	for i := range 3 {
		c := proxied.Anonymous.With(auth.HeaderAPIKey, fmt.Sprintf("lk_%d-wrong-key-0123456789", i)).With("X-Forwarded-For", fmt.Sprintf("198.51.100.7, 203.0.113.%d, 10.1.2.3", i))
		require.Equal(t, []string{"UNAUTHENTICATED"}, sdktest.Op(t, c, "Viewer", nil).Codes())
	}
	for i := range 2 {
		c := proxied.Anonymous.With(auth.HeaderAPIKey, fmt.Sprintf("lk_%d-wrong-key-0123456789", i)).With("X-Forwarded-For", "203.0.113.50")
		require.Equal(t, []string{"UNAUTHENTICATED"}, sdktest.Op(t, c, "Viewer", nil).Codes())
	}
	c := proxied.Anonymous.With(auth.HeaderAPIKey, "lk_9-wrong-key-0123456789").With("X-Forwarded-For", "203.0.113.50")
	require.Equal(t, []string{"UNAUTHENTICATED"}, sdktest.Op(t, c, "Viewer", nil).Codes())
	require.Equal(t, []string{"RATE_LIMITED"}, sdktest.Op(t, c, "Viewer", nil).Codes(), "203.0.113.50 is out of failures")
	require.Empty(t, sdktest.Op(t, proxied.Platform.With("X-Forwarded-For", "203.0.113.51"), "Viewer", nil).Errors, "its neighbour is not")

	// One key prefix tried from many addresses runs out too.
	for i := range 4 {
		c := proxied.Anonymous.With(auth.HeaderAPIKey, fmt.Sprintf("lk_samekeyprefix-%d", i)).With("X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i))
		want := "UNAUTHENTICATED"
		if i == 3 {
			want = "RATE_LIMITED"
		}
		require.Equal(t, []string{want}, sdktest.Op(t, c, "Viewer", nil).Codes(), "attempt %d", i)
	}
}

// wsConn is a graphql-transport-ws connection of a test.
type wsConn struct {
	t    *testing.T
	ctx  context.Context
	conn *websocket.Conn
}

func dialWS(t *testing.T, s *sdktest.Server, initPayload map[string]any) (*wsConn, wsMessage) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	url := "ws" + strings.TrimPrefix(s.Anonymous.URL, "http")
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	payload, err := json.Marshal(initPayload)
	require.NoError(t, err)
	c := &wsConn{t: t, ctx: ctx, conn: conn}
	require.NoError(t, wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: payload}))
	return c, c.read()
}

func (c *wsConn) read() wsMessage {
	c.t.Helper()
	var m wsMessage
	for {
		err := wsjson.Read(c.ctx, c.conn, &m)
		if err != nil {
			return wsMessage{Type: "closed: " + err.Error()}
		}
		if m.Type != "ping" && m.Type != "pong" && m.Type != "ka" {
			return m
		}
	}
}

func (c *wsConn) run(id, operation string, vars map[string]any) wsMessage {
	c.t.Helper()
	payload, err := json.Marshal(map[string]any{"query": sdktest.OpSource(operation), "operationName": operation, "variables": vars})
	require.NoError(c.t, err)
	require.NoError(c.t, wsjson.Write(c.ctx, c.conn, wsMessage{ID: id, Type: "subscribe", Payload: payload}))
	return c.read()
}

func codesOf(t *testing.T, m wsMessage) []string {
	t.Helper()
	var res struct{ Errors []lanestest.Error }
	if m.Type == "error" {
		require.NoError(t, json.Unmarshal(m.Payload, &res.Errors))
	} else {
		require.NoError(t, json.Unmarshal(m.Payload, &res))
	}
	var codes []string
	for _, e := range res.Errors {
		codes = append(codes, e.Code())
	}
	return codes
}

// WebSocket operations go through the rate limit and the request timeout
// of HTTP; the acknowledgement never echoes the credential; a socket
// closes when its JWT expires.
func TestWebSocketLimits(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		t.Run("rate limit", func(t *testing.T) {
			s := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) {
				c.RateLimit = 0.001
				c.RateBurst = 3
			})
			s.CreateTenant(t, "acme")
			member := s.AddMember(t, "acme", "alice", "MEMBER")
			ws, ack := dialWS(t, s, map[string]any{auth.HeaderAuthorization: member.Headers.Get(auth.HeaderAuthorization)})
			require.Equal(t, "connection_ack", ack.Type)
			require.Empty(t, ack.Payload, "the acknowledgement carries nothing")
			for i := range 3 {
				next := ws.run(fmt.Sprint(i), "Viewer", nil)
				require.Equal(t, "next", next.Type, "operation %d", i)
				require.Empty(t, codesOf(t, next))
				require.Equal(t, "complete", ws.read().Type)
			}
			next := ws.run("4", "Viewer", nil)
			require.Equal(t, []string{"RATE_LIMITED"}, codesOf(t, next), "%+v", next)
		})

		t.Run("request timeout", func(t *testing.T) {
			s := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) { c.RequestTimeout = time.Nanosecond })
			ctx, err := s.Lanes.AsPlatform(context.Background(), "")
			require.NoError(t, err)
			_, err = s.Lanes.Tenants.CreateTenant(ctx, tenancy.CreateTenantInput{Slug: "acme", Name: "Acme"})
			require.NoError(t, err)
			ws, ack := dialWS(t, s, map[string]any{auth.HeaderAPIKey: sdktest.PlatformKey, auth.HeaderTenant: "acme"})
			require.Equal(t, "connection_ack", ack.Type, "%+v", ack)
			next := ws.run("1", "Workflows", nil)
			codes := codesOf(t, next)
			require.NotEmpty(t, codes, "%+v", next)
			require.Equal(t, "TIMEOUT", codes[0], "%s", next.Payload)
		})

		t.Run("expiry", func(t *testing.T) {
			s := sdktest.Start(t, db.Fresh(t))
			s.CreateTenant(t, "acme")
			s.AddMember(t, "acme", "alice", "MEMBER")
			token, err := auth.MintHS256([]byte(sdktest.JWTSecret), "acme", "alice", 2*time.Second)
			require.NoError(t, err)
			ws, ack := dialWS(t, s, map[string]any{auth.HeaderAuthorization: "Bearer " + token})
			require.Equal(t, "connection_ack", ack.Type)
			// Nothing else is sent: the server says goodbye when the token
			// runs out (within the test's 30 s context, or read fails).
			for {
				m := ws.read()
				if strings.HasPrefix(m.Type, "closed") {
					require.NotContains(t, m.Type, "context deadline exceeded")
					break
				}
				require.NotEqual(t, "next", m.Type, "%+v", m)
			}
		})
	})
}
