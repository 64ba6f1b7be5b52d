package sdk_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/tenant/auth"
)

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsViewer runs the Viewer operation over graphql-transport-ws with the
// given connection_init payload and returns the first message after it.
func wsViewer(t *testing.T, s *sdktest.Server, initPayload map[string]any) wsMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.Anonymous.URL, "http")
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	defer conn.CloseNow()
	payload, err := json.Marshal(initPayload)
	require.NoError(t, err)
	require.NoError(t, wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: payload}))
	var ack wsMessage
	if err := wsjson.Read(ctx, conn, &ack); err != nil {
		return wsMessage{Type: "closed: " + err.Error()}
	}
	require.Equal(t, "connection_ack", ack.Type)
	query, err := json.Marshal(map[string]any{"query": sdktest.OpSource("Viewer"), "operationName": "Viewer"})
	require.NoError(t, err)
	require.NoError(t, wsjson.Write(ctx, conn, wsMessage{ID: "1", Type: "subscribe", Payload: query}))
	var next wsMessage
	require.NoError(t, wsjson.Read(ctx, conn, &next))
	return next
}

func TestWebSocketTransport(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		s.CreateTenant(t, "acme")
		member := s.AddMember(t, "acme", "alice", "MEMBER")

		next := wsViewer(t, s, map[string]any{auth.HeaderAuthorization: member.Headers.Get(auth.HeaderAuthorization)})
		require.Equal(t, "next", next.Type)
		require.JSONEq(t, `{"data":{"viewer":{"kind":"MEMBER","role":"MEMBER","tenant":{"id":"`+tenantIDOf(t, s)+`","slug":"acme","name":"acme agency"},"member":{"id":"`+memberIDOf(t, member)+`","name":"alice"},"customer":null}}}`, string(next.Payload))

		next = wsViewer(t, s, map[string]any{auth.HeaderAPIKey: sdktest.PlatformKey, auth.HeaderTenant: "acme"})
		require.Equal(t, "next", next.Type)
		require.Contains(t, string(next.Payload), `"kind":"PLATFORM"`)

		// Bad credentials in connection_init close the connection.
		next = wsViewer(t, s, map[string]any{auth.HeaderAPIKey: "lk_wrong-key-0123456789"})
		require.True(t, strings.HasPrefix(next.Type, "closed"), "got %+v", next)
	})
}

func tenantIDOf(t *testing.T, s *sdktest.Server) string {
	var v struct {
		Viewer struct{ Tenant struct{ ID string } }
	}
	sdktest.Op(t, s.PlatformIn("acme"), "Viewer", nil).Decode(t, &v)
	return v.Viewer.Tenant.ID
}

func memberIDOf(t *testing.T, c lanestest.Client) string {
	var v struct {
		Viewer struct{ Member struct{ ID string } }
	}
	sdktest.Op(t, c, "Viewer", nil).Decode(t, &v)
	return v.Viewer.Member.ID
}

// The older graphql-ws subprotocol (subscriptions-transport-ws) is still
// served, by gqlgen's transport, with the same credentials.
func TestWebSocketLegacyProtocol(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		s.CreateTenant(t, "acme")
		member := s.AddMember(t, "acme", "alice", "MEMBER")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.Anonymous.URL, "http"), &websocket.DialOptions{Subprotocols: []string{"graphql-ws"}})
		require.NoError(t, err)
		defer conn.CloseNow()
		require.Equal(t, "graphql-ws", conn.Subprotocol())
		payload, err := json.Marshal(map[string]any{auth.HeaderAuthorization: member.Headers.Get(auth.HeaderAuthorization)})
		require.NoError(t, err)
		require.NoError(t, wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: payload}))
		query, err := json.Marshal(map[string]any{"query": sdktest.OpSource("Viewer"), "operationName": "Viewer"})
		require.NoError(t, err)
		require.NoError(t, wsjson.Write(ctx, conn, wsMessage{ID: "1", Type: "start", Payload: query}))
		for {
			var m wsMessage
			require.NoError(t, wsjson.Read(ctx, conn, &m))
			if m.Type == "connection_ack" || m.Type == "ka" {
				continue
			}
			require.Equal(t, "data", m.Type, "%s", m.Payload)
			require.Contains(t, string(m.Payload), `"kind":"MEMBER"`)
			return
		}
	})
}
