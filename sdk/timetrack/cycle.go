package timetrack

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
)

// cycleTimesSQL measures each status visit (a history row until the next
// one of the same project) that ended in the period, and takes per status
// the count and the nearest-rank median and 90th percentile, all in the
// database with window functions (SQLite and PostgreSQL alike but for the
// date arithmetic). The tenant predicate is explicit: this read runs as
// plain SQL, outside ent's interceptors.
const cycleTimesSQL = `
SELECT status_id, COUNT(*) AS visits,
       MIN(CASE WHEN rn >= 0.5 * n THEN seconds END) AS median,
       MIN(CASE WHEN rn >= 0.9 * n THEN seconds END) AS p90
FROM (
  SELECT status_id, seconds,
         ROW_NUMBER() OVER (PARTITION BY status_id ORDER BY seconds) AS rn,
         COUNT(*) OVER (PARTITION BY status_id) AS n
  FROM (
    SELECT to_status_id AS status_id, %s AS seconds
    FROM (
      SELECT project_id, to_status_id, at,
             LEAD(at) OVER (PARTITION BY project_id ORDER BY at, id) AS left_at
      FROM status_changes
      WHERE tenant_id = ? %s
    ) v
    WHERE left_at >= ? AND left_at < ?
  ) d
) r
GROUP BY status_id`

func (s *Service) cycleTimes(ctx context.Context, tenantID pulid.ID, from, to time.Time, f reportFilter) ([]*CycleTime, error) {
	seconds := "CAST(ROUND((julianday(left_at) - julianday(at)) * 86400) AS INTEGER)"
	if s.postgres {
		seconds = "CAST(ROUND(EXTRACT(EPOCH FROM (left_at - at))) AS BIGINT)"
	}
	args := []any{tenantID}
	scope := ""
	switch {
	case f.projectID != nil:
		scope = "AND project_id = ?"
		args = append(args, *f.projectID)
	case f.workflowID != nil:
		scope = "AND project_id IN (SELECT id FROM projects WHERE tenant_id = ? AND workflow_id = ?)"
		args = append(args, tenantID, *f.workflowID)
	}
	args = append(args, from, to)
	query := fmt.Sprintf(cycleTimesSQL, seconds, scope)
	if s.postgres {
		query = numberPlaceholders(query)
	}
	rows, err := s.client.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cycle times: %w", err)
	}
	defer rows.Close()
	type stat struct {
		id                  pulid.ID
		visits, median, p90 int
	}
	var stats []stat
	for rows.Next() {
		var st stat
		if err := rows.Scan(&st.id, &st.visits, &st.median, &st.p90); err != nil {
			return nil, fmt.Errorf("cycle times: %w", err)
		}
		stats = append(stats, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cycle times: %w", err)
	}
	if len(stats) == 0 {
		return []*CycleTime{}, nil
	}
	ids := make([]pulid.ID, len(stats))
	for i, st := range stats {
		ids[i] = st.id
	}
	list, err := s.client.Status.Query().Where(status.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[pulid.ID]*ent.Status, len(list))
	for _, st := range list {
		byID[st.ID] = st
	}
	out := make([]*CycleTime, 0, len(stats))
	for _, st := range stats {
		if byID[st.id] == nil {
			continue
		}
		out = append(out, &CycleTime{Status: byID[st.id], Visits: st.visits, MedianSeconds: st.median, P90Seconds: st.p90})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Status.WorkflowID != out[j].Status.WorkflowID {
			return out[i].Status.WorkflowID < out[j].Status.WorkflowID
		}
		return out[i].Status.Position < out[j].Status.Position
	})
	return out, nil
}

// numberPlaceholders turns ? into PostgreSQL's $1, $2, ...
func numberPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
