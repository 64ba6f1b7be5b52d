package sdk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/events"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

type notificationView struct {
	ID     string
	ReadAt *time.Time
	Event  struct {
		ID, Type string
		Project  *struct{ ID string }
	}
}

type notificationFeed struct {
	Total int
	Items []notificationView
}

func notificationsOf(t *testing.T, c lanestest.Client, unreadOnly bool) notificationFeed {
	t.Helper()
	var out struct {
		Notifications struct {
			TotalCount int
			Edges      []struct{ Node notificationView }
		}
	}
	sdktest.Op(t, c, "Notifications", map[string]any{"unreadOnly": unreadOnly}).Decode(t, &out)
	feed := notificationFeed{Total: out.Notifications.TotalCount}
	for _, e := range out.Notifications.Edges {
		feed.Items = append(feed.Items, e.Node)
	}
	return feed
}

func (f notificationFeed) types() []string {
	out := make([]string, len(f.Items))
	for i, n := range f.Items {
		out[i] = n.Event.Type
	}
	return out
}

func markRead(t *testing.T, c lanestest.Client, vars map[string]any) int {
	t.Helper()
	var out struct{ MarkNotificationsRead int }
	sdktest.Op(t, c, "MarkNotificationsRead", vars).Decode(t, &out)
	return out.MarkNotificationsRead
}

// Members are notified of projects arriving and of their customers'
// actions, newest first, never of their own; they mark them read one by
// one or all at once; other tenants, the platform and customers see none.
func TestNotifications(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme, beta := newTeam(t, s, "acme"), newTeam(t, s, "beta")
		p := create(t, acme.member, "website", "Bakery")
		require.Empty(t, move(t, acme.member, p.ID, "interest").Errors, "a move notifies nobody")
		customer := customerFor(t, s, acme, p.ID, "bea@example.com")
		require.Empty(t, sdktest.Op(t, customer, "SubmitWishes", map[string]any{"projectId": p.ID, "answers": map[string]any{"colors": "blue"}}).Errors)

		for _, c := range []lanestest.Client{acme.owner, acme.admin, acme.viewer} {
			feed := notificationsOf(t, c, false)
			require.Equal(t, []string{"portal.wishes_submitted", "project.created"}, feed.types(), "newest first")
			require.Equal(t, 2, feed.Total)
			require.Regexp(t, `^ntf_`, feed.Items[0].ID)
			require.Equal(t, p.ID, feed.Items[1].Event.Project.ID)
			require.Nil(t, feed.Items[0].ReadAt)
		}
		own := notificationsOf(t, acme.member, false)
		require.Equal(t, []string{"portal.wishes_submitted"}, own.types(), "not of its own project.created")
		require.Empty(t, notificationsOf(t, beta.owner, false).Items, "another tenant's")
		requireCode(t, sdktest.Op(t, acme.platform, "Notifications", nil), "FORBIDDEN")
		requireCode(t, sdktest.Op(t, customer, "Notifications", nil), "FORBIDDEN")

		// Read one, then all.
		feed := notificationsOf(t, acme.owner, false)
		require.Equal(t, 1, markRead(t, acme.owner, map[string]any{"ids": []string{feed.Items[1].ID}}))
		require.Equal(t, 0, markRead(t, acme.owner, map[string]any{"ids": []string{feed.Items[1].ID}}), "read already")
		require.Equal(t, 0, markRead(t, beta.owner, map[string]any{"ids": []string{feed.Items[0].ID}}), "not beta's")
		unread := notificationsOf(t, acme.owner, true)
		require.Equal(t, []string{"portal.wishes_submitted"}, unread.types())
		require.NotNil(t, notificationsOf(t, acme.owner, false).Items[1].ReadAt)
		require.Equal(t, 1, markRead(t, acme.owner, map[string]any{"all": true}))
		require.Empty(t, notificationsOf(t, acme.owner, true).Items)
		for _, n := range notificationsOf(t, acme.owner, false).Items {
			require.NotNil(t, n.ReadAt)
		}
		require.Len(t, notificationsOf(t, acme.admin, true).Items, 2, "each member reads its own")
		requireCode(t, sdktest.Op(t, acme.owner, "MarkNotificationsRead", nil), "VALIDATION")
		requireCode(t, sdktest.Op(t, acme.owner, "MarkNotificationsRead", map[string]any{"ids": []string{"prj_1"}}), "VALIDATION")

		// What comes after a mark-all is unread.
		create(t, acme.member, "website", "Florist")
		require.Equal(t, []string{"project.created"}, notificationsOf(t, acme.owner, true).types())
	})
}

// Once a lead is declined (archived), nothing more of it notifies anyone:
// the customer's portal no longer takes it, and an event that still comes
// for it (a payment paid late) is no notification.
func TestNotificationsStopForArchivedProjects(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme := newTeam(t, s, "acme")
		lead := create(t, acme.member, "leads", "Roofing")
		customer := customerFor(t, s, acme, lead.ID, "bea@example.com")
		require.Empty(t, sdktest.Op(t, acme.member, "DeclineLead", map[string]any{"id": lead.ID, "reason": "OTHER"}).Errors)
		// Whether or not the portal still takes the customer's upload, it
		// must not reach anyone.
		requireCode(t, upload(t, customer, lead.ID, "logo.png", pngBytes, "image/png"), "NOT_FOUND")
		// What may still happen to it (a payment link paid late), recorded
		// as any change records it, in its transaction.
		ctx, err := s.Lanes.AsPlatform(context.Background(), "acme")
		require.NoError(t, err)
		tx, err := s.Lanes.Client().Tx(ctx)
		require.NoError(t, err)
		_, err = s.Lanes.Events.Record(ent.NewTxContext(ctx, tx), events.Event{Type: events.PaymentPaid, Project: pulid.ID(lead.ID), Data: map[string]any{"payment": map[string]any{"id": "pay_late"}}})
		require.NoError(t, err)
		require.NoError(t, tx.Commit())
		require.Equal(t, []string{"project.created", "project.moved", "project.archived", "payment.paid"},
			eventTypes(allEvents(t, acme.admin, map[string]any{"projectId": lead.ID})))

		create(t, acme.member, "website", "Bakery")
		feed := notificationsOf(t, acme.owner, false)
		require.Equal(t, []string{"project.created", "project.created"}, feed.types())
		require.Equal(t, lead.ID, feed.Items[1].Event.Project.ID)
	})
}

// A reopened project speaks again: its events after reopenProject notify
// (the archive silenced only what came between).
func TestNotificationsResumeForReopenedProjects(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme := newTeam(t, s, "acme")
		lead := create(t, acme.member, "leads", "Roofing")
		customer := customerFor(t, s, acme, lead.ID, "bea@example.com")
		mustOp(t, acme.member, "DeclineLead", map[string]any{"id": lead.ID, "reason": "OTHER"})
		ctx, err := s.Lanes.AsPlatform(context.Background(), "acme")
		require.NoError(t, err)
		tx, err := s.Lanes.Client().Tx(ctx)
		require.NoError(t, err)
		_, err = s.Lanes.Events.Record(ent.NewTxContext(ctx, tx), events.Event{Type: events.PaymentPaid, Project: pulid.ID(lead.ID), Data: map[string]any{"payment": map[string]any{"id": "pay_late"}}})
		require.NoError(t, err)
		require.NoError(t, tx.Commit())

		mustOp(t, acme.admin, "ReopenProject", map[string]any{"id": lead.ID})
		require.Empty(t, upload(t, customer, lead.ID, "logo.png", pngBytes, "image/png").Errors)
		feed := notificationsOf(t, acme.owner, false)
		require.Equal(t, []string{"portal.file_uploaded", "project.created"}, feed.types(),
			"the late payment while archived stays silent; the upload after reopening notifies")

		// What the reopening itself records delivers too.
		logged, err := s.Lanes.Events.After(ctx, 0, 100)
		require.NoError(t, err)
		var silenced []string
		for _, e := range logged {
			if e.Silenced {
				silenced = append(silenced, string(e.Type))
			}
		}
		require.Equal(t, []string{"payment.paid"}, silenced)
	})
}
