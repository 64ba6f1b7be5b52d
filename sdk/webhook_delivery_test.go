package sdk_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// fastRetries makes a test server retry failed deliveries soon.
func fastRetries(c *sdk.Config) {
	c.WebhookAllowLoopback = true
	c.WebhookRetryMin = 50 * time.Millisecond
}

// hookTo registers an endpoint for r and gives r its secret.
func hookTo(t *testing.T, c lanestest.Client, r *receiver, events ...string) webhookView {
	t.Helper()
	input := map[string]any{"url": r.URL()}
	if len(events) > 0 {
		input["events"] = events
	}
	w, res := createWebhook(t, c, input)
	require.Empty(t, res.Errors)
	r.setSecret(*w.Secret)
	return w
}

type deliveryView struct {
	ID         string
	Event      struct{ ID, Type string }
	Attempt    int
	StatusCode *int
	Succeeded  bool
	At         time.Time
}

func deliveriesOf(t *testing.T, c lanestest.Client, webhookID string) []deliveryView {
	t.Helper()
	var out struct {
		Node struct {
			Deliveries struct {
				Edges []struct{ Node deliveryView }
			}
		}
	}
	sdktest.Op(t, c, "WebhookDeliveries", map[string]any{"id": webhookID}).Decode(t, &out)
	var all []deliveryView
	for _, e := range out.Node.Deliveries.Edges {
		all = append(all, e.Node)
	}
	return all
}

// Every committed change reaches the endpoint, signed, in order, with the
// documented body; a 500 is retried with the same webhook-id; attempts
// are recorded newest first; other tenants' endpoints get nothing.
func TestWebhookDelivery(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, fastRetries)
		acme, beta := newTeam(t, s, "acme"), newTeam(t, s, "beta")
		early := create(t, acme.member, "website", "Before the endpoint")
		r, other := newReceiver(t), newReceiver(t)
		w := hookTo(t, acme.admin, r)
		hookTo(t, beta.admin, other)

		p := create(t, acme.member, "website", "Bakery")
		got := r.next(t)
		require.Equal(t, "project.created", got.Body.Type, "the endpoint starts with the events after it was made, not %s's", early.ID)
		require.Regexp(t, `^evt_`, got.ID)
		require.Equal(t, got.ID, got.Body.ID)
		require.Equal(t, p.ID, got.projectID())
		require.WithinDuration(t, time.Now(), got.Body.Timestamp, time.Minute)

		moved := move(t, acme.member, p.ID, "interest")
		require.Empty(t, moved.Errors)
		got = r.next(t)
		require.Equal(t, "project.moved", got.Body.Type)
		require.Equal(t, "move", got.Body.Data["action"])
		require.Equal(t, map[string]any{"status": "lead"}, got.Body.Data["previous"])
		require.Equal(t, "interest", got.project()["status"])

		// The next event is refused once: the same event comes again.
		r.answer(func(n int) int {
			if n == 3 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		second := create(t, acme.member, "website", "Florist")
		failed := r.next(t)
		retried := r.next(t)
		require.Equal(t, failed.ID, retried.ID, "a retry carries the same webhook-id")
		require.Equal(t, "project.created", retried.Body.Type)
		require.Equal(t, second.ID, retried.projectID())

		var list []deliveryView
		require.Eventually(t, func() bool { list = deliveriesOf(t, acme.admin, w.ID); return len(list) == 4 }, 10*time.Second, 10*time.Millisecond)
		require.Equal(t, retried.ID, list[0].Event.ID, "newest first")
		require.Equal(t, 2, list[0].Attempt)
		require.True(t, list[0].Succeeded)
		require.Equal(t, 200, *list[0].StatusCode)
		require.Equal(t, 1, list[1].Attempt)
		require.False(t, list[1].Succeeded)
		require.Equal(t, 500, *list[1].StatusCode)
		require.Equal(t, "project.moved", list[2].Event.Type)
		require.Equal(t, 204, *list[2].StatusCode)

		// Tenant B's endpoint got none of A's events; its own arrive.
		other.quiet(t, 200*time.Millisecond)
		create(t, beta.member, "website", "Beta's")
		require.Equal(t, "project.created", other.next(t).Body.Type)

		// Deliveries are the admins'; another tenant's webhook is not found.
		requireCode(t, sdktest.Op(t, acme.member, "WebhookDeliveries", map[string]any{"id": w.ID}), "FORBIDDEN")
		requireCode(t, sdktest.Op(t, acme.viewer, "WebhookDeliveries", map[string]any{"id": w.ID}), "FORBIDDEN")
		var none struct{ Node *struct{ ID string } }
		sdktest.Op(t, beta.admin, "WebhookDeliveries", map[string]any{"id": w.ID}).Decode(t, &none)
		require.Nil(t, none.Node)
	})
}

// An admin sends an event again: the receiver gets the same webhook-id,
// the attempt is recorded after the others; members may not, other
// tenants find neither the webhook nor the event.
func TestRedeliverEvent(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, fastRetries)
		acme, beta := newTeam(t, s, "acme"), newTeam(t, s, "beta")
		r := newReceiver(t)
		w := hookTo(t, acme.admin, r, "project.created")
		create(t, acme.member, "website", "Bakery")
		first := r.next(t)
		require.Eventually(t, func() bool { return len(deliveriesOf(t, acme.admin, w.ID)) == 1 }, 10*time.Second, 10*time.Millisecond,
			"the first attempt is recorded once the receiver has answered")

		var out struct {
			RedeliverEvent struct {
				ID      string
				Attempt int
			}
		}
		sdktest.Op(t, acme.admin, "RedeliverEvent", map[string]any{"webhookId": w.ID, "eventId": first.ID}).Decode(t, &out)
		require.Regexp(t, `^whd_`, out.RedeliverEvent.ID)
		require.Equal(t, 2, out.RedeliverEvent.Attempt)
		again := r.next(t)
		require.Equal(t, first.ID, again.ID)
		require.Equal(t, first.Body, again.Body)

		list := deliveriesOf(t, acme.owner, w.ID)
		require.Len(t, list, 2)
		require.Equal(t, out.RedeliverEvent.ID, list[0].ID)

		redeliver := func(c lanestest.Client, webhookID, eventID string) *lanestest.Response {
			return sdktest.Op(t, c, "RedeliverEvent", map[string]any{"webhookId": webhookID, "eventId": eventID})
		}
		requireCode(t, redeliver(acme.member, w.ID, first.ID), "FORBIDDEN")
		requireCode(t, redeliver(acme.viewer, w.ID, first.ID), "FORBIDDEN")
		requireCode(t, redeliver(beta.admin, w.ID, first.ID), "NOT_FOUND")
		betaHook := hookTo(t, beta.admin, newReceiver(t))
		requireCode(t, redeliver(beta.admin, betaHook.ID, first.ID), "NOT_FOUND")
		requireCode(t, redeliver(acme.admin, w.ID, "evt_nothing"), "NOT_FOUND")
		r.quiet(t, 100*time.Millisecond)
	})
}

// While the receiver is down, events wait; once it is back, every one
// arrives, in order, each once (nothing new twice).
func TestWebhookReceiverDownThenBack(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, fastRetries)
		acme := newTeam(t, s, "acme")
		r := newReceiver(t)
		hookTo(t, acme.admin, r, "project.created", "project.moved")
		p := create(t, acme.member, "website", "Bakery")
		require.Equal(t, "project.created", r.next(t).Body.Type)

		r.stop()
		for _, to := range []string{"interest", "preparation", "approval"} {
			require.Empty(t, move(t, acme.member, p.ID, to).Errors)
		}
		create(t, acme.member, "website", "Florist")
		want := allEvents(t, acme.admin, map[string]any{"types": []string{"project.created", "project.moved"}})[1:]
		require.Len(t, want, 4)
		// Wait until the endpoint is backing off: a failed attempt is recorded.
		require.Eventually(t, func() bool {
			var out struct {
				Webhooks []struct{ FailingSince *time.Time }
			}
			acme.admin.Do(t, `{ webhooks { failingSince } }`, nil).Decode(t, &out)
			return out.Webhooks[0].FailingSince != nil
		}, 30*time.Second, 20*time.Millisecond)
		r.restart()

		for _, e := range want {
			got := r.next(t)
			require.Equal(t, e.ID, got.ID, "in the order of the log")
			require.Equal(t, e.Type, got.Body.Type)
		}
		r.quiet(t, 300*time.Millisecond)
		var out struct {
			Webhooks []struct {
				FailingSince  *time.Time
				NextAttemptAt *time.Time
			}
		}
		acme.admin.Do(t, `{ webhooks { failingSince nextAttemptAt } }`, nil).Decode(t, &out)
		require.Nil(t, out.Webhooks[0].FailingSince, "a success ends the failing run")
		require.Nil(t, out.Webhooks[0].NextAttemptAt)
	})
}

// After declineLead nothing more of that project is delivered (its
// project.archived is the last), even what the decline's own automations
// record; other projects go on.
func TestWebhookArchivedProjectIsSilent(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, fastRetries)
		acme := newTeam(t, s, "acme")
		require.Empty(t, sdktest.Op(t, acme.admin, "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "leads", "status": "declined", "on": "ENTER", "todos": []map[string]any{{"title": "Archive the brief"}},
		}}).Errors)
		r := newReceiver(t)
		hookTo(t, acme.admin, r)
		lead := create(t, acme.member, "leads", "Roofing")
		require.Equal(t, "project.created", r.next(t).Body.Type)
		require.Empty(t, sdktest.Op(t, acme.member, "DeclineLead", map[string]any{"id": lead.ID, "reason": "OTHER"}).Errors)
		require.Equal(t, []string{"project.moved", "project.archived"}, r.nextTypes(t, 2))
		types := eventTypes(allEvents(t, acme.admin, map[string]any{"projectId": lead.ID}))
		require.Equal(t, []string{"project.created", "project.moved", "project.archived", "todo.created"}, types, "the automation's to-do is in the log")

		next := create(t, acme.member, "website", "Bakery")
		got := r.next(t)
		require.Equal(t, "project.created", got.Body.Type, "the to-do of the archived lead was not delivered")
		require.Equal(t, next.ID, got.projectID())
	})
}

// An endpoint that fails past WebhookDisableAfter is disabled, says why,
// and gets nothing more; enabled again, it receives what comes next.
func TestWebhookDisabledAfterFailingTooLong(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, fastRetries, func(c *sdk.Config) { c.WebhookDisableAfter = time.Nanosecond })
		acme := newTeam(t, s, "acme")
		r := newReceiver(t)
		r.answer(func(int) int { return http.StatusServiceUnavailable })
		w := hookTo(t, acme.admin, r)
		create(t, acme.member, "website", "Bakery")
		first, second := r.next(t), r.next(t)
		require.Equal(t, first.ID, second.ID)

		type state struct {
			Enabled        bool
			DisabledReason *string
		}
		var out struct{ Webhooks []state }
		require.Eventually(t, func() bool {
			acme.admin.Do(t, `{ webhooks { enabled disabledReason } }`, nil).Decode(t, &out)
			return !out.Webhooks[0].Enabled
		}, 30*time.Second, 20*time.Millisecond)
		require.Contains(t, *out.Webhooks[0].DisabledReason, "failed")
		// The admins and owners are told; members are not.
		for _, c := range []lanestest.Client{acme.owner, acme.admin} {
			require.Contains(t, notificationsOf(t, c, true).types(), "webhook.disabled")
		}
		require.NotContains(t, notificationsOf(t, acme.member, true).types(), "webhook.disabled")

		r.answer(func(int) int { return http.StatusOK })
		create(t, acme.member, "website", "While disabled")
		r.quiet(t, 300*time.Millisecond)

		var updated struct{ UpdateWebhook struct{ Enabled bool } }
		sdktest.Op(t, acme.admin, "UpdateWebhook", map[string]any{"input": map[string]any{"id": w.ID, "enabled": true}}).Decode(t, &updated)
		require.True(t, updated.UpdateWebhook.Enabled)
		after := create(t, acme.member, "website", "After")
		got := r.next(t)
		require.Equal(t, after.ID, got.projectID(), "what came while disabled is not sent")
		acme.admin.Do(t, `{ webhooks { enabled disabledReason } }`, nil).Decode(t, &out)
		require.Nil(t, out.Webhooks[0].DisabledReason)
	})
}

// Events committed by a process that delivers nothing (stopped before its
// jobs ran, or a web replica with WebhookWorkers < 0) are delivered by
// the next process that starts on the database.
func TestWebhookDeliveredByTheNextProcess(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		web := sdktest.Start(t, db.URL, fastRetries, func(c *sdk.Config) { c.WebhookWorkers = -1 })
		acme := newTeam(t, web, "acme")
		r := newReceiver(t)
		hookTo(t, acme.admin, r)
		p := create(t, acme.member, "website", "Bakery")
		r.quiet(t, 200*time.Millisecond)

		sdktest.Start(t, db.URL, fastRetries)
		got := r.next(t)
		require.Equal(t, "project.created", got.Body.Type)
		require.Equal(t, p.ID, got.projectID())
	})
}

// The server is killed (SIGKILL) after the commit and before the event is
// delivered (the receiver was down): the next server on the database
// delivers it, and the ones committed after it, in order.
func TestWebhookDeliveredAfterSIGKILL(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		first := startChild(t, db.URL, t.TempDir())
		_, err := sdktest.Send(first.Platform, "CreateTenant", map[string]any{"input": map[string]any{"slug": "acme", "name": "Acme"}})
		require.NoError(t, err)
		acme := first.Platform.With(auth.HeaderTenant, "acme")
		r := newReceiver(t)
		r.stop()
		hookTo(t, acme, r)
		a := create(t, acme, "website", "Bakery")
		b := create(t, acme, "website", "Florist")
		require.Eventually(t, func() bool {
			var out struct {
				Webhooks []struct{ FailingSince *time.Time }
			}
			acme.Do(t, `{ webhooks { failingSince } }`, nil).Decode(t, &out)
			return out.Webhooks[0].FailingSince != nil
		}, 30*time.Second, 20*time.Millisecond, "a first attempt failed")
		first.kill(t)

		r.restart()
		startChild(t, db.URL, t.TempDir())
		for _, p := range []projectRef{a, b} {
			got := r.next(t)
			require.Equal(t, "project.created", got.Body.Type)
			require.Equal(t, p.ID, got.projectID())
		}
		r.quiet(t, 300*time.Millisecond)
	})
}

// Changes committed concurrently, on several projects, reach the endpoint
// in the order of the tenant's log, each once.
func TestWebhookOrderUnderConcurrentChanges(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, fastRetries)
		acme := newTeam(t, s, "acme")
		r := newReceiver(t)
		hookTo(t, acme.admin, r, "project.created")
		const n = 24
		errs := make(chan error, n)
		for i := range n {
			go func() {
				_, err := sdktest.Send(acme.member, "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": fmt.Sprintf("Site %d", i)}})
				errs <- err
			}()
		}
		for range n {
			require.NoError(t, <-errs)
		}
		want := allEvents(t, acme.admin, map[string]any{"types": []string{"project.created"}})
		require.Len(t, want, n)
		for _, e := range want {
			require.Equal(t, e.ID, r.next(t).ID)
		}
		r.quiet(t, 200*time.Millisecond)
	})
}

// PostgreSQL restarts under a bounded load of moves: every committed move
// has exactly one event, and every event is delivered.
func TestEventsSurvivePostgresRestart(t *testing.T) {
	cluster := lanestest.PrivatePostgres(t)
	s := sdktest.Start(t, cluster.URL, fastRetries)
	acme := newTeam(t, s, "acme")
	r := newReceiver(t)
	hookTo(t, acme.admin, r, "project.moved")
	const movers, moves = 4, 40
	var committed atomic.Int64
	halfway := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range movers {
		p := create(t, acme.member, "website", fmt.Sprintf("Site %d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each mover makes its moves, retrying refused ones (the
			// database is away for a moment) a bounded number of times.
			for done, tries := 0, 0; done < moves && tries < 20*moves; tries++ {
				res, err := sendMove(acme.member, p.ID, []string{"interest", "preparation"}[done%2])
				if err != nil || len(res.Errors) > 0 {
					time.Sleep(20 * time.Millisecond) // pacing the retries, not waiting for a result
					continue
				}
				done++
				if committed.Add(1) == movers*moves/3 {
					once.Do(func() { close(halfway) })
				}
			}
		}()
	}
	<-halfway
	start := time.Now()
	cluster.Restart()
	t.Logf("restarted in %s", time.Since(start))
	wg.Wait()
	t.Logf("moves done at %s", time.Since(start))
	require.Equal(t, int64(movers*moves), committed.Load(), "moves went on after the restart")

	var historyMoves, movedEvents int64
	require.NoError(t, s.Lanes.DB().QueryRow(`SELECT count(*) FROM status_changes WHERE action = 'move'`).Scan(&historyMoves))
	require.NoError(t, s.Lanes.DB().QueryRow(`SELECT count(*) FROM events WHERE type = 'project.moved'`).Scan(&movedEvents))
	require.Equal(t, historyMoves, movedEvents, "one event per committed move")
	require.GreaterOrEqual(t, movedEvents, committed.Load(), "every answered move committed its event")

	rows, err := s.Lanes.DB().Query(`SELECT id FROM events WHERE type = 'project.moved'`)
	require.NoError(t, err)
	missing := map[string]bool{}
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		missing[id] = true
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	for len(missing) > 0 {
		delete(missing, r.next(t).ID)
	}
	t.Logf("all delivered at %s", time.Since(start))
}
