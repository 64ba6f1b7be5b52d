package sdk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/timetrack"
)

type reportOut struct {
	TimeReport struct {
		TotalSeconds int
		Rows         []struct {
			Status  *struct{ Key, Name string }
			Project *struct{ ID, Title string }
			Member  *struct{ ID, Name string }
			Day     *string
			Seconds int
		}
	}
}

func report(t *testing.T, c lanestest.Client, in map[string]any) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "TimeReport", map[string]any{"input": in})
}

// plannedEntry is an entry of the arithmetic fixture and what it should
// count under.
type plannedEntry struct {
	project, member, status string
	start                   time.Time
	minutes                 int
}

// TestTimeReportArithmetic: for every combination of dimensions, the rows
// hold exactly the asked dimensions, match the sums computed here, and add
// up to the total.
func TestTimeReportArithmetic(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		now := time.Now().UTC().Truncate(time.Hour)
		day0 := now.Add(-72 * time.Hour)
		p1 := create(t, a.member, "website", "Alpha site")
		p2 := create(t, a.member, "website", "Beta shop", map[string]any{"status": "creation"})
		for _, p := range []string{p1.ID, p2.ID} {
			backdate(t, s, db, p, day0.Add(-24*time.Hour))
		}
		theirs := create(t, b.member, "website", "Other tenant")
		backdate(t, s, db, theirs.ID, day0.Add(-24*time.Hour))
		memberIDs := map[string]string{"m": memberIDOf(t, a.member), "a": memberIDOf(t, a.admin)}
		projects := map[string]string{"p1": p1.ID, "p2": p2.ID}
		plan := []plannedEntry{
			{"p1", "m", "lead", day0.Add(1 * time.Hour), 60},
			{"p1", "m", "audit", day0.Add(3 * time.Hour), 30},
			{"p1", "a", "lead", day0.Add(26 * time.Hour), 45},
			{"p2", "m", "creation", day0.Add(27 * time.Hour), 90},
			{"p2", "a", "creation", day0.Add(50 * time.Hour), 15},
			{"p2", "a", "audit", day0.Add(51 * time.Hour), 20},
		}
		for _, e := range plan {
			require.Empty(t, addEntry(t, a.admin, map[string]any{
				"projectId": projects[e.project], "memberId": memberIDs[e.member], "status": e.status,
				"startedAt": rfc(e.start), "endedAt": rfc(e.start.Add(time.Duration(e.minutes) * time.Minute)),
			}).Errors)
		}
		require.Empty(t, addEntry(t, b.member, map[string]any{"projectId": theirs.ID, "startedAt": rfc(day0.Add(2 * time.Hour)), "endedAt": rfc(day0.Add(3 * time.Hour))}).Errors)
		// Outside the period: not counted.
		require.Empty(t, addEntry(t, a.member, map[string]any{"projectId": p1.ID, "startedAt": rfc(day0.Add(-2 * time.Hour)), "endedAt": rfc(day0.Add(-1 * time.Hour))}).Errors)
		// audit is disabled afterwards: its time still counts, under audit.
		require.Empty(t, setEnabled(t, a.admin, "website", "audit", false).Errors)

		total := 0
		for _, e := range plan {
			total += e.minutes * 60
		}
		dims := []string{"STATUS", "PROJECT", "MEMBER", "DAY"}
		for mask := 0; mask < 16; mask++ {
			groups := []string{}
			for i, d := range dims {
				if mask&(1<<i) != 0 {
					groups = append(groups, d)
				}
			}
			t.Run(strings.Join(append([]string{"by"}, groups...), "_"), func(t *testing.T) {
				var out reportOut
				report(t, a.viewer, map[string]any{"from": rfc(day0), "to": rfc(now), "groupBy": groups}).Decode(t, &out)
				require.Equal(t, total, out.TimeReport.TotalSeconds)
				want := map[string]int{}
				for _, e := range plan {
					want[planKey(e, groups, projects, memberIDs)] += e.minutes * 60
				}
				got := map[string]int{}
				sum := 0
				for _, r := range out.TimeReport.Rows {
					has := map[string]bool{"STATUS": r.Status != nil, "PROJECT": r.Project != nil, "MEMBER": r.Member != nil, "DAY": r.Day != nil}
					for _, d := range dims {
						require.Equal(t, contains(groups, d), has[d], "%s set only when asked", d)
					}
					key := rowKey(r.Status, r.Project, r.Member, r.Day)
					got[key] += r.Seconds
					sum += r.Seconds
				}
				require.Equal(t, total, sum, "the rows add up to the total")
				require.Equal(t, want, got)
			})
		}

		// Filters: one project, one workflow.
		var out reportOut
		report(t, a.viewer, map[string]any{"from": rfc(day0), "to": rfc(now), "projectId": p2.ID, "groupBy": []string{"STATUS"}}).Decode(t, &out)
		require.Equal(t, (90+15+20)*60, out.TimeReport.TotalSeconds)
		report(t, a.viewer, map[string]any{"from": rfc(day0), "to": rfc(now), "workflow": "leads", "groupBy": []string{}}).Decode(t, &out)
		require.Zero(t, out.TimeReport.TotalSeconds)
		report(t, a.viewer, map[string]any{"from": rfc(day0), "to": rfc(now), "workflow": "website", "groupBy": []string{"STATUS"}}).Decode(t, &out)
		require.Equal(t, total, out.TimeReport.TotalSeconds)
		var keys []string
		for _, r := range out.TimeReport.Rows {
			keys = append(keys, r.Status.Key)
		}
		require.Equal(t, []string{"lead", "creation", "audit"}, keys, "in workflow order, the disabled one included")

		// MaxRows (GraphQL's timetrack.MaxReportRows) refuses a report of
		// more rows than that: grouped by all four, the plan has 6.
		ctx, err := s.Lanes.AsMember(context.Background(), "alpha", "alpha-viewer")
		require.NoError(t, err)
		all := timetrack.ReportInput{From: &day0, To: &now, GroupBy: []timetrack.Group{timetrack.GroupStatus, timetrack.GroupProject, timetrack.GroupMember, timetrack.GroupDay}}
		all.MaxRows = len(plan)
		r, err := s.Lanes.Time.Report(ctx, all)
		require.NoError(t, err)
		require.Len(t, r.Rows, len(plan))
		all.MaxRows = len(plan) - 1
		_, err = s.Lanes.Time.Report(ctx, all)
		e := errcode.From(err)
		require.Equal(t, errcode.Validation, e.Code, "%v", err)
		require.Equal(t, "groupBy", e.Details["field"])
		require.Equal(t, len(plan)-1, e.Details["limit"])

		requireCode(t, report(t, a.viewer, map[string]any{"groupBy": []string{"STATUS", "STATUS"}}), "VALIDATION")
		requireCode(t, report(t, a.viewer, map[string]any{"from": rfc(now), "to": rfc(day0), "groupBy": []string{}}), "VALIDATION")
		requireCode(t, report(t, a.viewer, map[string]any{"from": rfc(now.AddDate(-2, 0, 0)), "to": rfc(now), "groupBy": []string{"DAY"}}), "VALIDATION")
		requireCode(t, report(t, a.viewer, map[string]any{"workflow": "nope", "groupBy": []string{}}), "NOT_FOUND")
		requireCode(t, report(t, a.viewer, map[string]any{"projectId": theirs.ID, "groupBy": []string{}}), "NOT_FOUND")
		customer := customerFor(t, s, a, p1.ID, "c@example.com")
		requireCode(t, report(t, customer, map[string]any{"groupBy": []string{}}), "FORBIDDEN")
		requireCode(t, report(t, s.Anonymous, map[string]any{"groupBy": []string{}}), "UNAUTHENTICATED")
	})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func planKey(e plannedEntry, groups []string, projects, members map[string]string) string {
	var parts []string
	for _, g := range []string{"STATUS", "PROJECT", "MEMBER", "DAY"} {
		if !contains(groups, g) {
			continue
		}
		switch g {
		case "STATUS":
			parts = append(parts, "s="+e.status)
		case "PROJECT":
			parts = append(parts, "p="+projects[e.project])
		case "MEMBER":
			parts = append(parts, "m="+members[e.member])
		case "DAY":
			parts = append(parts, "d="+e.start.UTC().Format(time.DateOnly))
		}
	}
	return strings.Join(parts, ",")
}

func rowKey(st *struct{ Key, Name string }, p *struct{ ID, Title string }, m *struct{ ID, Name string }, day *string) string {
	var parts []string
	if st != nil {
		parts = append(parts, "s="+st.Key)
	}
	if p != nil {
		parts = append(parts, "p="+p.ID)
	}
	if m != nil {
		parts = append(parts, "m="+m.ID)
	}
	if day != nil {
		parts = append(parts, "d="+*day)
	}
	return strings.Join(parts, ",")
}

// Days are the tenant's calendar days, DST changes included.
func TestTimeReportDaysInTenantZone(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Site")
		// Europe/Berlin went to summer time on 2026-03-29 at 01:00 UTC.
		created := time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC)
		backdate(t, s, db, p.ID, created)
		entries := []time.Time{
			time.Date(2026, 3, 27, 22, 30, 0, 0, time.UTC), // Berlin 23:30 on the 27th
			time.Date(2026, 3, 27, 23, 30, 0, 0, time.UTC), // Berlin 00:30 on the 28th
			time.Date(2026, 3, 28, 22, 30, 0, 0, time.UTC), // Berlin 23:30 on the 28th (CET)
			time.Date(2026, 3, 29, 22, 30, 0, 0, time.UTC), // Berlin 00:30 on the 30th (CEST)
		}
		for _, e := range entries {
			require.Empty(t, addEntry(t, a.member, map[string]any{"projectId": p.ID, "startedAt": rfc(e), "endedAt": rfc(e.Add(10 * time.Minute))}).Errors)
		}
		days := func() map[string]int {
			var out reportOut
			report(t, a.viewer, map[string]any{"from": rfc(created), "to": rfc(created.AddDate(0, 0, 5)), "groupBy": []string{"DAY"}}).Decode(t, &out)
			got := map[string]int{}
			for _, r := range out.TimeReport.Rows {
				got[*r.Day] = r.Seconds
			}
			return got
		}
		require.Equal(t, map[string]int{"2026-03-27": 1200, "2026-03-28": 600, "2026-03-29": 600}, days(), "UTC by default")

		var tz struct{ UpdateTenant struct{ TimeZone string } }
		a.admin.Do(t, `mutation { updateTenant(input: {timeZone: "Europe/Berlin"}) { timeZone } }`, nil).Decode(t, &tz)
		require.Equal(t, "Europe/Berlin", tz.UpdateTenant.TimeZone)
		require.Equal(t, map[string]int{"2026-03-27": 600, "2026-03-28": 1200, "2026-03-30": 600}, days())
		requireCode(t, a.admin.Do(t, `mutation { updateTenant(input: {timeZone: "Mars/Olympus"}) { timeZone } }`, nil), "VALIDATION")
		requireCode(t, a.member.Do(t, `mutation { updateTenant(input: {timeZone: "UTC"}) { timeZone } }`, nil), "FORBIDDEN")
	})
}

// Cycle times: median and p90 of status visits that ended in the period.
func TestCycleTimes(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		start := time.Now().UTC().Add(-100 * time.Hour).Truncate(time.Second)
		// Ten projects spend 1..10 hours in Lead, then move on.
		for i := 1; i <= 10; i++ {
			p := create(t, a.member, "website", fmt.Sprintf("P%d", i))
			require.Empty(t, move(t, a.member, p.ID, "interest").Errors)
			backdate(t, s, db, p.ID, start)
			setHistoryAt(t, s, db, p.ID, "interest", start.Add(time.Duration(i)*time.Hour))
		}
		q := `query($input: TimeReportInput!) { timeReport(input: $input) { cycleTimes { status { key } visits medianSeconds p90Seconds } } }`
		var out struct {
			TimeReport struct {
				CycleTimes []struct {
					Status                            struct{ Key string }
					Visits, MedianSeconds, P90Seconds int
				}
			}
		}
		a.viewer.Do(t, q, map[string]any{"input": map[string]any{"from": rfc(start), "groupBy": []string{}}}).Decode(t, &out)
		require.Len(t, out.TimeReport.CycleTimes, 1, "open visits (Interest) do not count")
		ct := out.TimeReport.CycleTimes[0]
		require.Equal(t, "lead", ct.Status.Key)
		require.Equal(t, 10, ct.Visits)
		require.Equal(t, 5*3600, ct.MedianSeconds)
		require.Equal(t, 9*3600, ct.P90Seconds)
		// Only visits that ended in the period.
		a.viewer.Do(t, q, map[string]any{"input": map[string]any{"from": rfc(start.Add(7*time.Hour + time.Minute)), "groupBy": []string{}}}).Decode(t, &out)
		require.Equal(t, 3, out.TimeReport.CycleTimes[0].Visits)
		require.Equal(t, 9*3600, out.TimeReport.CycleTimes[0].MedianSeconds)
	})
}
