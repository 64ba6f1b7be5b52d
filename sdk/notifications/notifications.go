// Package notifications is each member's feed of what happened in its
// tenant: leads and projects arriving, the customers' portal actions,
// payments, surveys, and endpoints Lanes disabled. The feed is read from
// the event log, not stored per member: an event costs no write per
// member, and only reads are recorded.
package notifications

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/event"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/notificationread"
	"github.com/lanes-dev/lanes/ent/predicate"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// Notified are the event types every member is notified of.
var Notified = []events.Type{
	events.ProjectCreated,
	events.PortalWishesSubmitted, events.PortalFileUploaded, events.PortalFeedbackPinned,
	events.PaymentPaid, events.SurveyAnswered,
}

// notifiedAdmins are the types only ADMINs and OWNERs are notified of.
var notifiedAdmins = []events.Type{events.WebhookDisabled}

// IDPrefix starts a notification's ID; the rest is its event's.
const IDPrefix = "ntf_"

// Page sizes of the feed, and how many IDs one markNotificationsRead takes.
const (
	DefaultPage = 20
	MaxPage     = 100
	MaxMark     = 100
)

// Errors of the service.
var (
	ErrMembersOnly = errcode.New(errcode.Forbidden, "notifications are a member's: sign in as a member")
	ErrMarkWhat    = errcode.Invalid("ids", "give ids or all: true")
)

// Notification is one entry of a member's feed.
type Notification struct {
	ID     pulid.ID
	Event  *ent.Event
	ReadAt *time.Time
}

// Connection is a page of a feed, newest first.
type Connection struct {
	Edges      []*Edge
	PageInfo   entgql.PageInfo[pulid.ID]
	TotalCount int
}

// Edge is a notification and its cursor.
type Edge struct {
	Node   *Notification
	Cursor ent.Cursor
}

// Service reads and marks the calling member's notifications.
type Service struct {
	client  *ent.Client
	dialect string
}

// NewService returns the notifications service.
func NewService(client *ent.Client, dia string) *Service {
	return &Service{client: client, dialect: dia}
}

// ListOptions select a page of the feed.
type ListOptions struct {
	First      *int
	After      *ent.Cursor
	UnreadOnly bool
}

// List returns a page of the caller's notifications, newest first.
func (s *Service) List(ctx context.Context, opts ListOptions) (*Connection, error) {
	a, m, err := s.member(ctx, s.client)
	if err != nil {
		return nil, err
	}
	first, err := validate.Page(opts.First, DefaultPage, MaxPage)
	if err != nil {
		return nil, err
	}
	where := s.feed(a, m, opts.UnreadOnly)
	total, err := s.client.Event.Query().Where(where...).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count notifications: %w", err)
	}
	q := s.client.Event.Query().Where(where...)
	if opts.After != nil {
		after, err := s.client.Event.Query().Where(event.ID(opts.After.ID)).Select(event.FieldSeq).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, errcode.Invalid("after", "after is not a cursor of this feed")
		}
		if err != nil {
			return nil, fmt.Errorf("notifications cursor: %w", err)
		}
		q.Where(event.SeqLT(after.Seq))
	}
	rows, err := q.Order(ent.Desc(event.FieldSeq)).Limit(first + 1).WithReads(func(r *ent.NotificationReadQuery) {
		r.Where(notificationread.MemberID(m.ID))
	}).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	out := &Connection{TotalCount: total}
	out.PageInfo.HasNextPage = len(rows) > first
	if len(rows) > first {
		rows = rows[:first]
	}
	for _, e := range rows {
		n := &Notification{ID: IDOf(e.ID), Event: e, ReadAt: readAt(m, e)}
		out.Edges = append(out.Edges, &Edge{Node: n, Cursor: ent.Cursor{ID: e.ID}})
	}
	if len(out.Edges) > 0 {
		out.PageInfo.StartCursor = &out.Edges[0].Cursor
		out.PageInfo.EndCursor = &out.Edges[len(out.Edges)-1].Cursor
	}
	out.PageInfo.HasPreviousPage = opts.After != nil
	return out, nil
}

// MarkRead marks the caller's notifications read, the given ones or all,
// and returns how many were unread.
func (s *Service) MarkRead(ctx context.Context, ids []pulid.ID, all bool) (int, error) {
	if !all && len(ids) == 0 {
		return 0, ErrMarkWhat
	}
	if len(ids) > MaxMark {
		return 0, errcode.Invalid("ids", fmt.Sprintf("at most %d ids at once", MaxMark)).With("limit", MaxMark)
	}
	changed := 0
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		a, m, err := s.member(ctx, c)
		if err != nil {
			return err
		}
		unread := s.feed(a, m, true)
		if all {
			last, err := c.Tenant.Get(ctx, a.TenantID)
			if err != nil {
				return fmt.Errorf("read tenant: %w", err)
			}
			if changed, err = c.Event.Query().Where(unread...).Count(ctx); err != nil {
				return fmt.Errorf("count unread: %w", err)
			}
			q, args := entsql.Dialect(s.dialect).Update(member.Table).
				Set(member.FieldNotificationsReadSeq, last.LastEventSeq).
				Set(member.FieldNotificationsReadAt, time.Now().UTC()).
				Where(entsql.And(entsql.EQ(member.FieldID, string(m.ID)), entsql.EQ(member.FieldTenantID, string(a.TenantID)))).
				Query()
			if _, err := c.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("mark all read: %w", err)
			}
			return nil
		}
		eventIDs := make([]pulid.ID, 0, len(ids))
		for i, id := range ids {
			eid, ok := eventOf(id)
			if !ok {
				return errcode.Invalid("ids", fmt.Sprintf("ids[%d] is not a notification", i))
			}
			if !slices.Contains(eventIDs, eid) {
				eventIDs = append(eventIDs, eid)
			}
		}
		found, err := c.Event.Query().Where(append(unread, event.IDIn(eventIDs...))...).IDs(ctx)
		if err != nil {
			return fmt.Errorf("find unread: %w", err)
		}
		creates := make([]*ent.NotificationReadCreate, len(found))
		for i, id := range found {
			creates[i] = c.NotificationRead.Create().SetMemberID(m.ID).SetEventID(id)
		}
		if len(creates) > 0 {
			if err := c.NotificationRead.CreateBulk(creates...).Exec(ctx); err != nil {
				return fmt.Errorf("mark read: %w", err)
			}
		}
		changed = len(found)
		return nil
	})
	return changed, err
}

// member is the calling member, with its read position.
func (s *Service) member(ctx context.Context, c *ent.Client) (tenant.Actor, *ent.Member, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return a, nil, err
	}
	if a.Kind != tenant.KindMember {
		return a, nil, ErrMembersOnly
	}
	m, err := c.Member.Get(ctx, a.MemberID)
	if err != nil {
		return a, nil, fmt.Errorf("load member %s: %w", a.MemberID, err)
	}
	return a, m, nil
}

// feed are the predicates of a member's notifications: the notified types
// (by role), since the member joined, not its own, not of a project
// archived before; unread: after its last mark-all and not marked.
func (s *Service) feed(a tenant.Actor, m *ent.Member, unread bool) []predicate.Event {
	types := make([]string, 0, len(Notified)+len(notifiedAdmins))
	for _, t := range Notified {
		types = append(types, string(t))
	}
	if a.Role == role.Admin || a.Role == role.Owner {
		for _, t := range notifiedAdmins {
			types = append(types, string(t))
		}
	}
	where := []predicate.Event{
		event.TypeIn(types...),
		event.ActorNEQ(a.Label()),
		event.OccurredAtGTE(m.CreatedAt),
		events.NotSilenced(),
	}
	if unread {
		where = append(where, event.SeqGT(m.NotificationsReadSeq), event.Not(event.HasReadsWith(notificationread.MemberID(m.ID))))
	}
	return where
}

func readAt(m *ent.Member, e *ent.Event) *time.Time {
	if len(e.Edges.Reads) > 0 {
		return &e.Edges.Reads[0].ReadAt
	}
	if e.Seq <= m.NotificationsReadSeq {
		return m.NotificationsReadAt
	}
	return nil
}

// IDOf is the ID of the notification of an event.
func IDOf(eventID pulid.ID) pulid.ID {
	return pulid.ID(IDPrefix + string(eventID)[len("evt_"):])
}

func eventOf(id pulid.ID) (pulid.ID, bool) {
	body, ok := strings.CutPrefix(string(id), IDPrefix)
	if !ok || body == "" {
		return "", false
	}
	return pulid.ID("evt_" + body), true
}
