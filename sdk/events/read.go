package events

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/event"
	"github.com/lanes-dev/lanes/ent/predicate"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	enttenant "github.com/lanes-dev/lanes/ent/tenant"
)

// archivedBefore is the seed's promise, once: the event's project was
// archived by an earlier event (and not reopened since), so the event
// notifies and delivers nothing ("you will not see any more notifications for that specific
// project"). The project.archived event itself still goes out.
func archivedBefore(s *entsql.Selector) *entsql.Predicate {
	archived := entsql.Table(event.Table).As("archived")
	reopened := entsql.Table(event.Table).As("reopened")
	return entsql.Exists(
		entsql.Select(archived.C(event.FieldID)).From(archived).Where(entsql.And(
			entsql.ColumnsEQ(archived.C(event.FieldTenantID), s.C(event.FieldTenantID)),
			entsql.ColumnsEQ(archived.C(event.FieldProjectID), s.C(event.FieldProjectID)),
			entsql.EQ(archived.C(event.FieldType), string(ProjectArchived)),
			entsql.ColumnsLT(archived.C(event.FieldSeq), s.C(event.FieldSeq)),
			// ... and not reopened since (the project.reopened event
			// itself goes out).
			entsql.Not(entsql.Exists(
				entsql.Select(reopened.C(event.FieldID)).From(reopened).Where(entsql.And(
					entsql.ColumnsEQ(reopened.C(event.FieldTenantID), archived.C(event.FieldTenantID)),
					entsql.ColumnsEQ(reopened.C(event.FieldProjectID), archived.C(event.FieldProjectID)),
					entsql.EQ(reopened.C(event.FieldType), string(ProjectReopened)),
					entsql.ColumnsGT(reopened.C(event.FieldSeq), archived.C(event.FieldSeq)),
					entsql.ColumnsLTE(reopened.C(event.FieldSeq), s.C(event.FieldSeq)),
				)),
			)),
		)),
	)
}

// NotSilenced keeps the events that notify and deliver: not of a project
// archived by an earlier event.
func NotSilenced() predicate.Event {
	return func(s *entsql.Selector) { s.Where(entsql.Not(archivedBefore(s))) }
}

// silencedColumn is the column After selects for Silenced.
const silencedColumn = "lanes_silenced"

// Logged is an event as read from the log by After.
type Logged struct {
	*ent.Event
	// Silenced: its project was archived by an earlier event.
	Silenced bool
}

// After reads up to limit of the tenant of ctx's events after seq, in
// order, each with whether it is silenced, in one statement.
func (l *Log) After(ctx context.Context, seq int64, limit int) ([]Logged, error) {
	rows, err := l.after(seq, limit).
		Modify(func(s *entsql.Selector) {
			s.AppendSelectExprAs(entsql.ExprFunc(func(b *entsql.Builder) {
				b.WriteString("CASE WHEN ").Join(archivedBefore(s)).WriteString(" THEN 1 ELSE 0 END")
			}), silencedColumn)
		}).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: read after %d: %w", seq, err)
	}
	out := make([]Logged, len(rows))
	for i, e := range rows {
		v, err := e.Value(silencedColumn)
		if err != nil {
			return nil, fmt.Errorf("events: read after %d: %w", seq, err)
		}
		out[i] = Logged{Event: e, Silenced: truthy(v)}
	}
	return out, nil
}

// truthy reads the 0/1 of a selected expression as the drivers scan it.
func truthy(v any) bool {
	if p, ok := v.(*any); ok && p != nil {
		v = *p
	}
	switch x := v.(type) {
	case int64:
		return x != 0
	case int32:
		return x != 0
	case bool:
		return x
	case []byte:
		return string(x) == "1"
	case string:
		return x == "1"
	}
	return false
}

// after is the query of the events after seq, in order.
func (l *Log) after(seq int64, limit int) *ent.EventQuery {
	return l.client.Event.Query().Where(event.SeqGT(seq)).Order(ent.Asc(event.FieldSeq)).Limit(limit)
}

// LastSeq is the seq of the tenant's last event (0 before its first),
// read with c (a transaction's client, or the log's).
func LastSeq(ctx context.Context, c *ent.Client, tenantID pulid.ID) (int64, error) {
	t, err := c.Tenant.Query().Where(enttenant.ID(tenantID)).Select(enttenant.FieldLastEventSeq).Only(ctx)
	if err != nil {
		return 0, fmt.Errorf("events: last seq of tenant %s: %w", tenantID, err)
	}
	return t.LastEventSeq, nil
}
