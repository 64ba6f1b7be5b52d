package sdk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// feedEvent is an event as the contract's Events operation reads it.
type feedEvent struct {
	ID, Type, OccurredAt, Actor string
	Project                     *struct{ ID string }
	Data                        map[string]any
}

type eventPage struct {
	Events []feedEvent
	Cursor string
	More   bool
}

// readEvents runs the Events operation once.
func readEvents(t *testing.T, c lanestest.Client, vars map[string]any) eventPage {
	t.Helper()
	var out struct {
		Events struct {
			Edges []struct {
				Cursor string
				Node   feedEvent
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	sdktest.Op(t, c, "Events", vars).Decode(t, &out)
	page := eventPage{Cursor: out.Events.PageInfo.EndCursor, More: out.Events.PageInfo.HasNextPage}
	for _, e := range out.Events.Edges {
		page.Events = append(page.Events, e.Node)
	}
	return page
}

// allEvents reads the whole feed, page by page.
func allEvents(t *testing.T, c lanestest.Client, vars map[string]any) []feedEvent {
	t.Helper()
	var all []feedEvent
	v := map[string]any{"first": 100}
	for k, x := range vars {
		v[k] = x
	}
	for {
		page := readEvents(t, c, v)
		all = append(all, page.Events...)
		if !page.More {
			return all
		}
		v["after"] = page.Cursor
	}
}

func eventTypes(events []feedEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

// data reads a path ("project.status") of an event's data.
func (e feedEvent) data(path string) any {
	var v any = e.Data
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Every change of interest records one event, in the order of the changes,
// with the actor and the documented data; refused changes, repeated
// completions and replayed answers record nothing.
func TestEventsRecordEachChangeOnce(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tm := newTeam(t, s, "acme")
		member := memberIDOf(t, tm.member)
		require.Empty(t, sdktest.Op(t, tm.admin, "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "interest", "on": "ENTER", "todos": []map[string]any{{"title": "Call", "blocking": true}},
		}}).Errors)
		require.Empty(t, allEvents(t, tm.admin, nil), "configuration is not an event")

		site := create(t, tm.member, "website", "Bakery")
		customer := customerFor(t, s, tm, site.ID, "bea@example.com")
		require.Empty(t, sdktest.Op(t, customer, "SubmitWishes", map[string]any{"projectId": site.ID, "answers": map[string]any{"colors": "blue"}}).Errors)
		require.Empty(t, upload(t, customer, site.ID, "logo.png", pngBytes, "image/png").Errors)

		// Refused changes record nothing.
		requireCode(t, move(t, tm.viewer, site.ID, "interest"), "FORBIDDEN")
		requireCode(t, move(t, tm.member, site.ID, "interest", map[string]any{"expectedVersion": 99}), "CONFLICT")
		requireCode(t, move(t, tm.member, site.ID, "nowhere"), "NOT_FOUND")

		require.Empty(t, move(t, tm.member, site.ID, "interest", map[string]any{"reason": "called back"}).Errors)
		requireCode(t, sdktest.Op(t, tm.member, "AdvanceProject", map[string]any{"id": site.ID}), "CHECKLIST_INCOMPLETE")

		events := allEvents(t, tm.admin, nil)
		require.Equal(t, []string{"project.created", "portal.wishes_submitted", "portal.file_uploaded", "project.moved", "todo.created"}, eventTypes(events))
		todoID, _ := events[4].data("todo.id").(string)
		require.Regexp(t, `^tod_`, todoID)
		for range 2 { // the second completion changes nothing
			require.Empty(t, sdktest.Op(t, tm.member, "CompleteTodo", map[string]any{"id": todoID}).Errors)
		}
		require.Empty(t, sdktest.Op(t, tm.member, "AdvanceProject", map[string]any{"id": site.ID}).Errors)
		require.Empty(t, move(t, tm.member, site.ID, "feedback").Errors)
		require.Empty(t, sdktest.Op(t, customer, "PinFeedback", map[string]any{"input": map[string]any{
			"projectId": site.ID, "pageUrl": "https://bakery.example/", "selector": "#logo", "x": 0.5, "y": 0.25, "comment": "Bigger logo",
		}}).Errors)

		lead := create(t, tm.member, "leads", "Relaunch")
		for _, op := range []string{"AcceptLead", "SecureProject"} {
			require.Empty(t, sdktest.Op(t, tm.member, op, map[string]any{"id": lead.ID}).Errors, op)
			if op == "AcceptLead" {
				require.Empty(t, sdktest.Op(t, tm.member, "SetProgress", map[string]any{"id": lead.ID, "progress": "contacted", "note": "left a message"}).Errors)
			}
		}
		require.Empty(t, sdktest.Op(t, tm.member, "RecordRevenueSharePayment", map[string]any{"input": map[string]any{"projectId": lead.ID, "amount": money(1500, "EUR"), "reference": "INV-1"}}).Errors)
		var completed struct {
			CompleteProject struct{ Survey struct{ URL string } }
		}
		sdktest.Op(t, tm.member, "CompleteProject", map[string]any{"input": map[string]any{"id": lead.ID, "finalDealValue": money(9000, "EUR")}}).Decode(t, &completed)
		token := completed.CompleteProject.Survey.URL[strings.Index(completed.CompleteProject.Survey.URL, "token=")+len("token="):]
		require.Empty(t, sdktest.Op(t, s.Anonymous, "SubmitSurvey", map[string]any{"token": token, "score": 9, "comment": "Great"}).Errors)
		requireCode(t, sdktest.Op(t, s.Anonymous, "SubmitSurvey", map[string]any{"token": token, "score": 2}), "TOKEN_INVALID")

		declined := create(t, tm.member, "leads", "Too cheap")
		require.Empty(t, sdktest.Op(t, tm.member, "DeclineLead", map[string]any{"id": declined.ID, "reason": "BUDGET_TOO_LOW", "note": "half the price"}).Errors)

		events = allEvents(t, tm.admin, nil)
		require.Equal(t, []string{
			"project.created", "portal.wishes_submitted", "portal.file_uploaded",
			"project.moved", "todo.created", // the move into interest and its automation
			"todo.completed",
			"project.moved", // advance
			"project.moved", // into feedback
			"portal.feedback_pinned", "todo.created",
			"project.created", "project.moved", "project.updated", "project.moved", // lead: accept, progress, secure
			"payment.paid", "project.moved", // revenue share, complete
			"survey.answered",
			"project.created", "project.moved", "project.archived", // declined
		}, eventTypes(events))

		customerLabel := events[1].Actor
		require.Regexp(t, `^customer:cus_`, customerLabel)
		for i, e := range events {
			require.Regexp(t, `^evt_`, e.ID)
			require.NotEmpty(t, e.OccurredAt)
			require.NotNil(t, e.Project, "every event here concerns a project")
			require.Equal(t, e.Project.ID, e.data("project.id"), "%d %s", i, e.Type)
			switch {
			case strings.HasPrefix(e.Type, "portal."):
				require.Equal(t, customerLabel, e.Actor)
			case e.Type == "survey.answered":
				require.Equal(t, "system", e.Actor)
			case e.Type == "todo.created" && events[i-1].Type == "portal.feedback_pinned":
				require.Equal(t, customerLabel, e.Actor)
			default:
				require.Equal(t, "member:"+member, e.Actor, "%d %s", i, e.Type)
			}
		}
		created := events[0]
		require.Equal(t, map[string]any{"id": site.ID, "title": "Bakery", "workflow": "website", "status": "lead", "version": float64(1), "archived": false}, created.Data["project"])
		require.Equal(t, "blue", events[1].data("wishes.answers.colors"))
		require.Equal(t, "logo.png", events[2].data("file.name"))
		require.Equal(t, "image/png", events[2].data("file.contentType"))

		into := events[3]
		require.Equal(t, "move", into.data("action"))
		require.Equal(t, "lead", into.data("previous.status"))
		require.Equal(t, "interest", into.data("project.status"))
		require.Equal(t, "called back", into.data("reason"))
		require.Equal(t, into.data("project.version"), events[6].data("project.version").(float64)-1, "each move is one version")
		require.Equal(t, "Call", events[4].data("todo.title"))
		require.Equal(t, true, events[4].data("todo.blocking"))
		require.Equal(t, todoID, events[5].data("todo.id"))
		require.Equal(t, true, events[5].data("todo.done"))
		require.Equal(t, "advance", events[6].data("action"))
		require.Equal(t, "preparation", events[6].data("project.status"))
		require.Equal(t, "Bigger logo", events[8].data("feedback.comment"))
		require.Equal(t, "#logo", events[8].data("feedback.selector"))
		require.Equal(t, events[8].data("feedback.id"), events[9].data("todo.id"))

		require.Equal(t, "accept", events[11].data("action"))
		require.Equal(t, "new", events[11].data("previous.status"))
		require.Equal(t, "contacted", events[12].data("project.progress"))
		require.Equal(t, "left a message", events[12].data("project.progressNote"))
		require.Nil(t, events[12].data("previous.progress"))
		require.Contains(t, events[12].Data, "previous")
		require.Equal(t, "secure", events[13].data("action"))
		require.Equal(t, "REVENUE_SHARE", events[14].data("payment.kind"))
		require.Equal(t, float64(1500), events[14].data("payment.amount.amount"))
		require.Equal(t, "complete", events[15].data("action"))
		require.Equal(t, float64(9), events[16].data("survey.score"))
		require.Equal(t, "decline", events[18].data("action"))
		require.Equal(t, "BUDGET_TOO_LOW", events[19].data("reason"))
		require.Equal(t, "half the price", events[19].data("note"))
		require.Equal(t, true, events[19].data("project.archived"))

		// The log is numbered 1..n in the tenant, without gaps.
		require.Equal(t, sequence(len(events)), tenantSeqs(t, s, db, "acme"))
	})
}

// A change made in the caller's own transaction records its events in
// that transaction: rolled back, they are gone with it; committed, they
// are there.
func TestEventsRollBackWithTheChange(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tm := newTeam(t, s, "acme")
		site := create(t, tm.member, "website", "Bakery")
		ctx, err := s.Lanes.AsMember(context.Background(), "acme", "acme-member")
		require.NoError(t, err)

		for _, commit := range []bool{false, true} {
			tx, err := s.Lanes.Client().Tx(ctx)
			require.NoError(t, err)
			moved, err := s.Lanes.Workflows.MoveProject(ent.NewTxContext(ctx, tx), workflow.MoveProjectInput{ID: pulid.ID(site.ID), To: "interest"})
			require.NoError(t, err)
			require.Equal(t, "interest", moved.Edges.Status.Key)
			if commit {
				require.NoError(t, tx.Commit())
			} else {
				require.NoError(t, tx.Rollback())
			}
		}
		require.Equal(t, []string{"project.created", "project.moved"}, eventTypes(allEvents(t, tm.admin, nil)))
		require.Equal(t, sequence(2), tenantSeqs(t, s, db, "acme"))
	})
}

// Concurrent changes of one tenant are numbered in commit order without
// gaps or duplicates: a reader resuming after any event misses none.
func TestEventsNumberConcurrentChanges(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tm := newTeam(t, s, "acme")
		const n = 12
		var ids []string
		for i := range n {
			ids = append(ids, create(t, tm.member, "website", fmt.Sprint("P", i)).ID)
		}
		// A reader polls while the moves run; it must end with every event
		// once, in the feed's order.
		done := make(chan struct{})
		seen := map[string]int{}
		var order []string
		var readerErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			after := ""
			// poll reads one page; false when it failed or found nothing new.
			poll := func() bool {
				vars := map[string]any{"first": 5}
				if after != "" {
					vars["after"] = after
				}
				res, err := sdktest.Send(tm.admin, "Events", vars)
				if err != nil || len(res.Errors) > 0 {
					readerErr = fmt.Errorf("poll: %v %+v", err, res)
					return false
				}
				var out struct {
					Events struct {
						Edges    []struct{ Node struct{ ID string } }
						PageInfo struct{ EndCursor string }
					}
				}
				if err := json.Unmarshal(res.Data, &out); err != nil {
					readerErr = err
					return false
				}
				for _, e := range out.Events.Edges {
					seen[e.Node.ID]++
					order = append(order, e.Node.ID)
				}
				if c := out.Events.PageInfo.EndCursor; c != "" {
					after = c
				}
				return len(out.Events.Edges) > 0
			}
			for {
				select {
				case <-done:
					// Everything has committed: read to the end.
					for poll() {
					}
					return
				default:
					poll()
					if readerErr != nil {
						return
					}
				}
			}
		}()
		var moves sync.WaitGroup
		errs := make(chan error, n)
		for _, id := range ids {
			moves.Add(1)
			go func() {
				defer moves.Done()
				res, err := sendMove(tm.member, id, "interest")
				if err == nil && len(res.Errors) > 0 {
					err = fmt.Errorf("move: %+v", res.Errors)
				}
				errs <- err
			}()
		}
		moves.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		close(done)
		wg.Wait()
		require.NoError(t, readerErr)

		// n creations and n moves: 2n events.
		all := allEvents(t, tm.admin, nil)
		require.Len(t, all, 2*n)
		require.Equal(t, sequence(2*n), tenantSeqs(t, s, db, "acme"))
		var feedOrder []string
		for _, e := range all {
			feedOrder = append(feedOrder, e.ID)
		}
		require.Equal(t, feedOrder, order, "the polling reader saw every event once, in order")
		for id, times := range seen {
			require.Equal(t, 1, times, id)
		}
	})
}

// The feed is the tenant's own, for the platform and ADMIN or OWNER only;
// it filters by type and project, pages exactly, and refuses bad
// arguments with VALIDATION.
func TestEventFeed(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme, beta := newTeam(t, s, "acme"), newTeam(t, s, "beta")
		var ids []string
		for i := range 7 {
			ids = append(ids, create(t, acme.member, "website", fmt.Sprint("A", i)).ID)
		}
		require.Empty(t, move(t, acme.member, ids[0], "interest").Errors)
		theirs := create(t, beta.member, "website", "B")
		customer := customerFor(t, s, acme, ids[1], "bea@example.com")

		for _, c := range []lanestest.Client{acme.viewer, acme.member, customer} {
			requireCode(t, sdktest.Op(t, c, "Events", nil), "FORBIDDEN")
		}
		requireCode(t, sdktest.Op(t, s.Anonymous, "Events", nil), "UNAUTHENTICATED")
		for _, c := range []lanestest.Client{acme.admin, acme.owner, acme.platform} {
			require.Len(t, allEvents(t, c, nil), 8)
		}
		betaEvents := allEvents(t, beta.admin, nil)
		require.Len(t, betaEvents, 1, "another tenant's events are not seen")
		require.Equal(t, theirs.ID, betaEvents[0].Project.ID)
		require.Empty(t, allEvents(t, acme.admin, map[string]any{"projectId": theirs.ID}))

		moved := allEvents(t, acme.admin, map[string]any{"types": []string{"project.moved"}})
		require.Len(t, moved, 1)
		require.Equal(t, ids[0], moved[0].Project.ID)
		require.Equal(t, []string{"project.created", "project.moved"}, eventTypes(allEvents(t, acme.admin, map[string]any{"projectId": ids[0]})))

		// Pages of three resume exactly after their last event.
		all := allEvents(t, acme.admin, nil)
		var paged []feedEvent
		vars := map[string]any{"first": 3}
		for {
			page := readEvents(t, acme.admin, vars)
			require.LessOrEqual(t, len(page.Events), 3)
			paged = append(paged, page.Events...)
			if !page.More {
				break
			}
			vars["after"] = page.Cursor
		}
		require.Equal(t, all, paged)

		for name, tc := range map[string]struct {
			vars  map[string]any
			field string
		}{
			"an unknown type":     {map[string]any{"types": []string{"project.exploded"}}, "types"},
			"a page over 100":     {map[string]any{"first": 101}, "first"},
			"a negative page":     {map[string]any{"first": -1}, "first"},
			"a cursor of nothing": {map[string]any{"after": "bm90IGEgY3Vyc29y"}, ""},
		} {
			e := requireCode(t, sdktest.Op(t, acme.admin, "Events", tc.vars), "VALIDATION")
			if tc.field != "" {
				require.Equal(t, tc.field, e.Extensions["field"], name)
			}
		}

		// The Go SDK gets the same page and the same refusals.
		ctx, err := s.Lanes.AsMember(context.Background(), "acme", "acme-viewer")
		require.NoError(t, err)
		_, err = s.Lanes.Events.List(ctx, events.ListOptions{})
		require.Equal(t, errcode.Forbidden, errcode.CodeOf(err))
	})
}

// sequence is 1..n.
func sequence(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

// tenantSeqs reads the seq of every event of a tenant, in seq order.
func tenantSeqs(t *testing.T, s *sdktest.Server, db lanestest.Database, slug string) []int64 {
	t.Helper()
	ph := placeholders(db)[0]
	rows, err := s.Lanes.DB().Query("SELECT e.seq FROM events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = "+ph+" ORDER BY e.seq", slug)
	require.NoError(t, err)
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var seq int64
		require.NoError(t, rows.Scan(&seq))
		out = append(out, seq)
	}
	require.NoError(t, rows.Err())
	var last int64
	require.NoError(t, s.Lanes.DB().QueryRow("SELECT last_event_seq FROM tenants WHERE slug = "+ph, slug).Scan(&last))
	require.EqualValues(t, len(out), last, "the tenant's counter is its last seq")
	return out
}
