package sdk_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/timetrack"
)

// benchEntries is how many time entries the report benchmark seeds for the
// measured tenant (LANES_BENCH_ENTRIES=1000000 for the figure).
func benchEntries() int {
	if n, err := strconv.Atoi(os.Getenv("LANES_BENCH_ENTRIES")); err == nil && n > 0 {
		return n
	}
	return 2000
}

// seedTime writes n stopped entries for a tenant: 20 members, 200 projects
// of the website workflow, its 13 statuses, over the last 90 days.
func seedTime(b *testing.B, l *sdk.Lanes, slug string, n int) {
	b.Helper()
	ctx, err := l.AsPlatform(context.Background(), slug)
	require.NoError(b, err)
	c := l.Client()
	w, err := c.Workflow.Query().Where(entworkflow.Key("website")).Only(ctx)
	require.NoError(b, err)
	statuses, err := c.Status.Query().Where(status.WorkflowID(w.ID)).IDs(ctx)
	require.NoError(b, err)
	var members []pulid.ID
	for i := range 20 {
		m, err := c.Member.Create().SetExternalID(fmt.Sprintf("bench-%d", i)).SetName(fmt.Sprintf("Bench %d", i)).SetRole("MEMBER").Save(ctx)
		require.NoError(b, err)
		members = append(members, m.ID)
	}
	var projects []pulid.ID
	var pb []*ent.ProjectCreate
	for i := range 200 {
		pb = append(pb, c.Project.Create().SetWorkflowID(w.ID).SetStatusID(statuses[i%len(statuses)]).
			SetTitle(fmt.Sprintf("Project %d", i)).SetRank(fmt.Sprintf("a%03d", i)))
	}
	ps, err := c.Project.CreateBulk(pb...).Save(ctx)
	require.NoError(b, err)
	for _, p := range ps {
		projects = append(projects, p.ID)
	}
	r := rand.New(rand.NewPCG(uint64(len(slug)), 99))
	now := time.Now().UTC()
	const batch = 2000
	for start := 0; start < n; start += batch {
		var eb []*ent.TimeEntryCreate
		for i := start; i < min(n, start+batch); i++ {
			began := now.Add(-time.Duration(r.IntN(90*24*60)) * time.Minute)
			secs := 60 * (5 + r.IntN(240))
			eb = append(eb, c.TimeEntry.Create().
				SetProjectID(projects[r.IntN(len(projects))]).
				SetMemberID(members[r.IntN(len(members))]).
				SetStatusID(statuses[r.IntN(len(statuses))]).
				SetStartedAt(began).
				SetEndedAt(began.Add(time.Duration(secs)*time.Second)).
				SetSeconds(secs))
		}
		require.NoError(b, c.TimeEntry.CreateBulk(eb...).Exec(ctx))
	}
	_ = member.Table
}

// BenchmarkTimeReport groups a tenant's entries by STATUS and MEMBER over
// 90 days (10 other tenants present), through the time service; and the
// same GROUP BY as one raw SQL statement for reference.
func BenchmarkTimeReport(b *testing.B) {
	lanestest.ForEachBenchDatabase(b, func(b *testing.B, db lanestest.Database) {
		s := sdktest.Start(b, db.URL)
		s.CreateTenant(b, "bench")
		n := benchEntries()
		seedTime(b, s.Lanes, "bench", n)
		for i := range 10 {
			slug := fmt.Sprintf("other%d", i)
			s.CreateTenant(b, slug)
			seedTime(b, s.Lanes, slug, max(1, n/10))
		}
		settle(b, s, db)
		ctx, err := s.Lanes.AsPlatform(context.Background(), "bench")
		require.NoError(b, err)
		from := time.Now().UTC().Add(-91 * 24 * time.Hour)
		in := timetrack.ReportInput{From: &from, GroupBy: []timetrack.Group{timetrack.GroupStatus, timetrack.GroupMember}}
		b.Run("service", func(b *testing.B) {
			samples := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				r, err := s.Lanes.Time.Report(ctx, in)
				samples = append(samples, time.Since(start))
				if err != nil || r.TotalSeconds == 0 {
					b.Fatal("report", err)
				}
			}
			reportPercentiles(b, samples)
		})
		b.Run("raw-group-by", func(b *testing.B) {
			a, err := s.Lanes.AsPlatform(context.Background(), "bench")
			require.NoError(b, err)
			_ = a
			var tenantID string
			require.NoError(b, s.Lanes.DB().QueryRow("SELECT id FROM tenants WHERE slug = 'bench'").Scan(&tenantID))
			q := "SELECT status_id, member_id, SUM(seconds) FROM time_entries WHERE tenant_id = ? AND started_at >= ? AND started_at < ? AND ended_at IS NOT NULL GROUP BY status_id, member_id"
			if db.Name == "postgres" {
				q = "SELECT status_id, member_id, SUM(seconds) FROM time_entries WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3 AND ended_at IS NOT NULL GROUP BY status_id, member_id"
			}
			samples := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				rows, err := s.Lanes.DB().Query(q, tenantID, from, time.Now().UTC())
				require.NoError(b, err)
				for rows.Next() {
				}
				rows.Close()
				samples = append(samples, time.Since(start))
			}
			reportPercentiles(b, samples)
		})
	})
}
