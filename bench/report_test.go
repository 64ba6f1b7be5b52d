package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkTimeReport groups the first tenant's time (half of the dataset's
// entries, the other tenants present) by STATUS and MEMBER over the 90 days
// before the dataset's anchor, through the contract's TimeReport; and the
// equivalent GROUP BY, names joined, through pgx, encoded to the same JSON.
func BenchmarkTimeReport(b *testing.B) {
	forEachDataset(b, func(b *testing.B, f *fixture) {
		t := f.manifest.Tenants[0]
		from, to := f.manifest.Anchor.Add(-90*24*time.Hour), f.manifest.Anchor
		req := newRequest(b, f.memberToken(b, t), "TimeReport", map[string]any{"input": map[string]any{
			"from": from, "to": to, "groupBy": []string{"STATUS", "MEMBER"},
		}})
		b.Run("lanes", func(b *testing.B) { f.benchServe(b, req) })
		b.Run("pgx-reference", func(b *testing.B) {
			mustPostgres(b, f)
			var lat latencies
			b.ReportAllocs()
			for b.Loop() {
				lat.time(func() {
					_, err := referenceReport(context.Background(), f, t.ID, from, to)
					fatalIf(b, err, "reference report")
				})
			}
			lat.report(b)
		})
	})
}

const referenceReportSQL = `
SELECT s.key, s.name, m.id, m.name, g.seconds
FROM (
  SELECT status_id, member_id, SUM(seconds) AS seconds FROM time_entries
  WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3 AND ended_at IS NOT NULL
  GROUP BY status_id, member_id
) g
JOIN statuses s ON s.tenant_id = $1 AND s.id = g.status_id
JOIN members m ON m.tenant_id = $1 AND m.id = g.member_id
ORDER BY s.position, m.name`

type (
	refReportResponse struct {
		Data struct {
			TimeReport struct {
				TotalSeconds int            `json:"totalSeconds"`
				Rows         []refReportRow `json:"rows"`
			} `json:"timeReport"`
		} `json:"data"`
	}
	refReportRow struct {
		Status struct {
			Key  string `json:"key"`
			Name string `json:"name"`
		} `json:"status"`
		Project *struct{} `json:"project"`
		Member  struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"member"`
		Day     *string `json:"day"`
		Seconds int     `json:"seconds"`
	}
)

func referenceReport(ctx context.Context, f *fixture, tenantID string, from, to time.Time) ([]byte, error) {
	// Planned for this tenant's arguments, as Lanes plans its reports.
	rows, err := f.pool.Query(ctx, referenceReportSQL, pgx.QueryExecModeCacheDescribe, tenantID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out refReportResponse
	report := &out.Data.TimeReport
	for rows.Next() {
		var r refReportRow
		if err := rows.Scan(&r.Status.Key, &r.Status.Name, &r.Member.ID, &r.Member.Name, &r.Seconds); err != nil {
			return nil, err
		}
		report.Rows = append(report.Rows, r)
		report.TotalSeconds += r.Seconds
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return encodeResponse(out)
}
