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
)

// boardEvent is what the contract's BoardEvents operation reads.
type boardEvent struct {
	ID      string
	Type    string
	Project struct {
		ID      string
		Version int
		Status  struct{ Key string }
	}
}

// liveBoard is a BoardEvents subscription over graphql-transport-ws.
type liveBoard struct {
	conn *websocket.Conn
}

// subscribeBoard subscribes with the client's credentials. A subscriber
// that must miss nothing passes after: the subscription is set up
// asynchronously.
func subscribeBoard(t *testing.T, c lanestest.Client, workflow string, after string) *liveBoard {
	t.Helper()
	vars := map[string]any{"workflow": workflow}
	if after != "" {
		vars["after"] = after
	}
	return subscribeDocument(t, c, sdktest.OpSource("BoardEvents"), "BoardEvents", vars)
}

// subscribeDocument subscribes with a document of the test's own.
func subscribeDocument(t *testing.T, c lanestest.Client, document, operation string, vars map[string]any) *liveBoard {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.URL, "http"), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	init := map[string]string{}
	for k, v := range c.Headers {
		init[k] = strings.Join(v, ", ")
	}
	payload, err := json.Marshal(init)
	require.NoError(t, err)
	require.NoError(t, wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: payload}))
	var ack wsMessage
	require.NoError(t, wsjson.Read(ctx, conn, &ack))
	require.Equal(t, "connection_ack", ack.Type)
	query, err := json.Marshal(map[string]any{"query": document, "operationName": operation, "variables": vars})
	require.NoError(t, err)
	require.NoError(t, wsjson.Write(ctx, conn, wsMessage{ID: "1", Type: "subscribe", Payload: query}))
	return &liveBoard{conn: conn}
}

// subscribeError subscribes and returns the code of the error the
// server answers.
func subscribeError(t *testing.T, c lanestest.Client, workflow string, after string) string {
	t.Helper()
	b := subscribeBoard(t, c, workflow, after)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var m wsMessage
		require.NoError(t, wsjson.Read(ctx, b.conn, &m), "waiting for the error")
		var errs []lanestest.Error
		switch m.Type {
		case "error":
			require.NoError(t, json.Unmarshal(m.Payload, &errs))
		case "next":
			var res struct{ Errors []lanestest.Error }
			require.NoError(t, json.Unmarshal(m.Payload, &res))
			errs = res.Errors
		default:
			continue
		}
		require.NotEmpty(t, errs, "an event instead of an error: %s", m.Payload)
		code, _ := errs[0].Extensions["code"].(string)
		return code
	}
}

// next waits for the next event.
func (b *liveBoard) next(t *testing.T) boardEvent {
	t.Helper()
	var data struct{ BoardEvents boardEvent }
	require.NoError(t, json.Unmarshal(b.nextData(t), &data))
	return data.BoardEvents
}

// nextData waits for the next event and returns its data as it came.
func (b *liveBoard) nextData(t *testing.T) json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		var m wsMessage
		require.NoError(t, wsjson.Read(ctx, b.conn, &m), "waiting for a board event")
		switch m.Type {
		case "next":
			var res struct {
				Data   json.RawMessage
				Errors []lanestest.Error
			}
			require.NoError(t, json.Unmarshal(m.Payload, &res))
			require.Empty(t, res.Errors)
			return res.Data
		case "ping":
			require.NoError(t, wsjson.Write(ctx, b.conn, wsMessage{Type: "pong"}))
		case "pong":
		default:
			t.Fatalf("unexpected %s: %s", m.Type, m.Payload)
		}
	}
}

// quiet fails if an event arrives within d (proving that nothing comes).
func (b *liveBoard) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var m wsMessage
	err := wsjson.Read(ctx, b.conn, &m)
	require.Error(t, err, "unexpected %s: %s", m.Type, m.Payload)
}

// A member's subscription gets the workflow's project events, as they
// happen, with the project as it is now; not another workflow's, not
// another tenant's. Customers may not subscribe.
func TestBoardEvents(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme, beta := newTeam(t, s, "acme"), newTeam(t, s, "beta")
		p := create(t, acme.member, "website", "Bakery")
		board := subscribeBoard(t, acme.viewer, "website", lastEventID(t, acme))

		require.Empty(t, move(t, acme.member, p.ID, "interest").Errors)
		e := board.next(t)
		require.Regexp(t, `^evt_`, e.ID)
		require.Equal(t, "project.moved", e.Type)
		require.Equal(t, p.ID, e.Project.ID)
		require.Equal(t, "interest", e.Project.Status.Key)
		require.Equal(t, 2, e.Project.Version)

		create(t, acme.member, "leads", "Another workflow")
		create(t, beta.member, "website", "Another tenant")
		q := create(t, acme.member, "website", "Florist")
		e = board.next(t)
		require.Equal(t, "project.created", e.Type)
		require.Equal(t, q.ID, e.Project.ID, "nothing of the leads board or of tenant beta came first")

		customer := customerFor(t, s, acme, p.ID, "bea@example.com")
		require.Equal(t, "FORBIDDEN", subscribeError(t, customer, "website", ""))
		require.Equal(t, "NOT_FOUND", subscribeError(t, acme.member, "nowhere", ""))
		require.Equal(t, "NOT_FOUND", subscribeError(t, beta.member, "website", e.ID), "another tenant's event is no position")
		require.Equal(t, "UNAUTHENTICATED", subscribeError(t, s.Anonymous, "website", ""))
	})
}

// A subscriber that reconnects with after gets what it missed, in order,
// then what comes live, each once.
func TestBoardEventsResumeAfter(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme := newTeam(t, s, "acme")
		p := create(t, acme.member, "website", "Bakery")
		board := subscribeBoard(t, acme.member, "website", lastEventID(t, acme))
		require.Empty(t, move(t, acme.member, p.ID, "interest").Errors)
		seen := board.next(t)
		board.conn.CloseNow()

		for _, to := range []string{"preparation", "approval", "assign"} {
			require.Empty(t, move(t, acme.member, p.ID, to).Errors)
		}
		resumed := subscribeBoard(t, acme.member, "website", seen.ID)
		for _, want := range []int{3, 4, 5} {
			e := resumed.next(t)
			require.Equal(t, "project.moved", e.Type)
			require.Equal(t, p.ID, e.Project.ID)
			require.Equal(t, 5, e.Project.Version, "the project as it is now (event %d)", want)
		}
		require.Empty(t, move(t, acme.member, p.ID, "creation").Errors)
		e := resumed.next(t)
		require.Equal(t, "creation", e.Project.Status.Key)
		resumed.quiet(t, 200*time.Millisecond)
	})
}

// Subscribers of one board get each their own selection, for their own
// role: an event is rendered once per group of equal subscriptions
// (graph/live), and subscriptions differing in document, in a variable of
// the selection, or in the reader's role are not equal.
func TestBoardEventsPerSubscriber(t *testing.T) {
	const titled = `subscription Titled($workflow: String!, $after: ID, $withTitle: Boolean!) {
  boardEvents(workflow: $workflow, after: $after) { type actor project { title @include(if: $withTitle) status { key } } }
}`
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme := newTeam(t, s, "acme")
		p := create(t, acme.member, "website", "Bakery")
		after := lastEventID(t, acme)
		titledBy := func(c lanestest.Client, withTitle bool) *liveBoard {
			return subscribeDocument(t, c, titled, "Titled", map[string]any{"workflow": "website", "after": after, "withTitle": withTitle})
		}
		contract := []*liveBoard{subscribeBoard(t, acme.member, "website", after), subscribeBoard(t, acme.member, "website", after)}
		viewer := titledBy(acme.viewer, true)
		viewerUntitled := titledBy(acme.viewer, false)
		admin := titledBy(acme.admin, false)
		platform := titledBy(acme.platform, true)

		require.Empty(t, move(t, acme.member, p.ID, "interest").Errors)
		for _, b := range contract {
			require.JSONEq(t, `{"boardEvents":{"id":`+jsonString(t, lastEventID(t, acme))+`,"type":"project.moved","project":{"id":"`+p.ID+`","version":2,"status":{"key":"interest"}}}}`, string(b.nextData(t)))
		}
		actor := `"member:` + memberIDOf(t, acme.member) + `"`
		withTitle := `{"boardEvents":{"type":"project.moved","actor":` + actor + `,"project":{"title":"Bakery","status":{"key":"interest"}}}}`
		require.JSONEq(t, withTitle, string(viewer.nextData(t)))
		require.JSONEq(t, withTitle, string(platform.nextData(t)))
		withoutTitle := `{"boardEvents":{"type":"project.moved","actor":` + actor + `,"project":{"status":{"key":"interest"}}}}`
		require.JSONEq(t, withoutTitle, string(viewerUntitled.nextData(t)))
		require.JSONEq(t, withoutTitle, string(admin.nextData(t)))
	})
}

func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return string(b)
}

// Two servers on one PostgreSQL: a move on one reaches a subscriber on
// the other (SQLite is one process's: its live events stay in it).
func TestBoardEventsAcrossReplicas(t *testing.T) {
	url := lanestest.PostgresURL(t)
	one := sdktest.Start(t, url)
	two := sdktest.Start(t, url)
	one.CreateTenant(t, "acme")
	member := one.AddMember(t, "acme", "acme-member", "MEMBER")
	onTwo := two.Member(t, "acme", "acme-member")
	create(t, member, "website", "Before")
	var feed struct {
		Events struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	sdktest.Op(t, one.PlatformIn("acme"), "Events", map[string]any{"first": 1}).Decode(t, &feed)
	board := subscribeBoard(t, onTwo, "website", feed.Events.Edges[0].Node.ID)
	for range 3 {
		p := create(t, member, "website", "Bakery")
		e := board.next(t)
		require.Equal(t, "project.created", e.Type)
		require.Equal(t, p.ID, e.Project.ID)
	}
}

// lastEventID is the newest event of the team's tenant (a subscriber's
// position: it resumes after it).
func lastEventID(t *testing.T, tm *team) string {
	t.Helper()
	all := allEvents(t, tm.admin, nil)
	require.NotEmpty(t, all)
	return all[len(all)-1].ID
}
