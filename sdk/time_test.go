package sdk_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// backdate moves a project's creation (and its first history row) into the
// past, so entries and history can be laid out over days.
func backdate(t *testing.T, s *sdktest.Server, db lanestest.Database, projectID string, at time.Time) {
	t.Helper()
	p := placeholders(db)
	_, err := s.Lanes.DB().Exec("UPDATE projects SET created_at = "+p[0]+" WHERE id = "+p[1], at.UTC(), projectID)
	require.NoError(t, err)
	_, err = s.Lanes.DB().Exec("UPDATE status_changes SET at = "+p[0]+" WHERE project_id = "+p[1]+" AND action = 'create'", at.UTC(), projectID)
	require.NoError(t, err)
}

// setHistoryAt dates the history row of a project that entered a status.
func setHistoryAt(t *testing.T, s *sdktest.Server, db lanestest.Database, projectID, statusKey string, at time.Time) {
	t.Helper()
	p := placeholders(db)
	res, err := s.Lanes.DB().Exec("UPDATE status_changes SET at = "+p[0]+" WHERE project_id = "+p[1]+
		" AND to_status_id IN (SELECT id FROM statuses WHERE key = "+p[2]+")", at.UTC(), projectID, statusKey)
	require.NoError(t, err)
	n, _ := res.RowsAffected()
	require.Positive(t, n)
}

func placeholders(db lanestest.Database) []string {
	if db.Name == "postgres" {
		return []string{"$1", "$2", "$3"}
	}
	return []string{"?", "?", "?"}
}

type entryOut struct {
	ID, StartedAt string
	EndedAt       *string
	Seconds       int
	Status        struct{ Key string }
}

func startTimer(t *testing.T, c lanestest.Client, projectID string) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "StartTimer", map[string]any{"projectId": projectID, "note": "working"})
}

func addEntry(t *testing.T, c lanestest.Client, in map[string]any) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "AddTimeEntry", map[string]any{"input": in})
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func TestTimers(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		p1 := create(t, a.member, "website", "One")
		p2 := create(t, a.member, "website", "Two", map[string]any{"status": "creation"})
		other := create(t, b.member, "website", "Theirs")

		var started struct{ StartTimer entryOut }
		startTimer(t, a.member, p1.ID).Decode(t, &started)
		require.Regexp(t, `^tim_`, started.StartTimer.ID)
		require.Equal(t, "lead", started.StartTimer.Status.Key)
		first := started.StartTimer.ID

		// Starting another timer stops the first.
		startTimer(t, a.member, p2.ID).Decode(t, &started)
		require.Equal(t, "creation", started.StartTimer.Status.Key)
		var n int
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT count(*) FROM time_entries WHERE ended_at IS NULL").Scan(&n))
		require.Equal(t, 1, n)
		var running struct{ RunningTimer *struct{ ID string } }
		a.member.Do(t, `{ runningTimer { id } }`, nil).Decode(t, &running)
		require.Equal(t, started.StartTimer.ID, running.RunningTimer.ID)
		var firstEntry struct {
			Node struct {
				EndedAt *string
				Seconds int
			}
		}
		a.member.Do(t, `query($id: ID!) { node(id: $id) { ... on TimeEntry { endedAt seconds } } }`, map[string]any{"id": first}).Decode(t, &firstEntry)
		require.NotNil(t, firstEntry.Node.EndedAt)

		// After a move the next timer carries the new status.
		require.Empty(t, move(t, a.member, p1.ID, "audit").Errors)
		startTimer(t, a.member, p1.ID).Decode(t, &started)
		require.Equal(t, "audit", started.StartTimer.Status.Key)

		var stopped struct{ StopTimer entryOut }
		sdktest.Op(t, a.member, "StopTimer", nil).Decode(t, &stopped)
		require.Equal(t, started.StartTimer.ID, stopped.StopTimer.ID)
		require.NotNil(t, stopped.StopTimer.EndedAt)
		require.Equal(t, "audit", stopped.StopTimer.Status.Key)
		requireCode(t, sdktest.Op(t, a.member, "StopTimer", nil), "NOT_FOUND")

		requireCode(t, startTimer(t, a.viewer, p1.ID), "FORBIDDEN")
		requireCode(t, startTimer(t, a.platform, p1.ID), "FORBIDDEN")
		requireCode(t, startTimer(t, a.member, other.ID), "NOT_FOUND")
		requireCode(t, startTimer(t, s.Anonymous, p1.ID), "UNAUTHENTICATED")
		customer := customerFor(t, s, a, p1.ID, "c@example.com")
		requireCode(t, startTimer(t, customer, p1.ID), "FORBIDDEN")
	})
}

// Concurrent starts of one member's timers leave exactly one running; the
// database refuses a second running entry outright.
func TestConcurrentTimers(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		var projects []string
		for i := range 6 {
			projects = append(projects, create(t, a.member, "website", fmt.Sprintf("P%d", i)).ID)
		}
		var wg sync.WaitGroup
		for _, id := range projects {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := sdktest.Send(a.member, "StartTimer", map[string]any{"projectId": id, "note": "working"})
				switch {
				case err != nil:
					t.Errorf("start: %v", err)
				case len(res.Errors) > 0:
					t.Errorf("start: %+v", res.Errors)
				}
			}()
		}
		wg.Wait()
		var running, total int
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT count(*) FROM time_entries WHERE ended_at IS NULL").Scan(&running))
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT count(*) FROM time_entries").Scan(&total))
		require.Equal(t, 1, running)
		require.Equal(t, len(projects), total)

		ctx, err := s.Lanes.AsMember(context.Background(), "alpha", "alpha-member")
		require.NoError(t, err)
		c := s.Lanes.Client()
		run, err := s.Lanes.Time.Running(ctx)
		require.NoError(t, err)
		err = c.TimeEntry.Create().SetProjectID(run.ProjectID).SetMemberID(run.MemberID).SetStatusID(run.StatusID).
			SetStartedAt(time.Now()).Exec(ctx)
		require.Error(t, err, "the partial unique index allows one running timer per member")
	})
}

func TestAddTimeEntry(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		now := time.Now().UTC()
		p := create(t, a.member, "website", "Site")
		require.Empty(t, move(t, a.member, p.ID, "preparation").Errors)
		backdate(t, s, db, p.ID, now.Add(-48*time.Hour))
		setHistoryAt(t, s, db, p.ID, "preparation", now.Add(-10*time.Hour))

		var out struct{ AddTimeEntry entryOut }
		addEntry(t, a.member, map[string]any{"projectId": p.ID, "startedAt": rfc(now.Add(-30 * time.Hour)), "endedAt": rfc(now.Add(-29 * time.Hour))}).Decode(t, &out)
		require.Equal(t, "lead", out.AddTimeEntry.Status.Key, "the status at startedAt, from history")
		require.Equal(t, 3600, out.AddTimeEntry.Seconds)
		addEntry(t, a.member, map[string]any{"projectId": p.ID, "startedAt": rfc(now.Add(-5 * time.Hour)), "endedAt": rfc(now.Add(-4*time.Hour - 30*time.Minute))}).Decode(t, &out)
		require.Equal(t, "preparation", out.AddTimeEntry.Status.Key)
		addEntry(t, a.member, map[string]any{"projectId": p.ID, "startedAt": rfc(now.Add(-5 * time.Hour)), "endedAt": rfc(now.Add(-4 * time.Hour)), "status": "audit", "billable": false}).Decode(t, &out)
		require.Equal(t, "audit", out.AddTimeEntry.Status.Key)

		for name, in := range map[string]map[string]any{
			"ends before it starts":      {"startedAt": rfc(now.Add(-2 * time.Hour)), "endedAt": rfc(now.Add(-3 * time.Hour))},
			"zero length":                {"startedAt": rfc(now.Add(-2 * time.Hour)), "endedAt": rfc(now.Add(-2 * time.Hour))},
			"longer than 24 hours":       {"startedAt": rfc(now.Add(-47 * time.Hour)), "endedAt": rfc(now.Add(-22 * time.Hour))},
			"in the future":              {"startedAt": rfc(now.Add(-1 * time.Hour)), "endedAt": rfc(now.Add(time.Hour))},
			"before the project existed": {"startedAt": rfc(now.Add(-50 * time.Hour)), "endedAt": rfc(now.Add(-49 * time.Hour))},
			"unknown status":             {"startedAt": rfc(now.Add(-2 * time.Hour)), "endedAt": rfc(now.Add(-1 * time.Hour)), "status": "nope"},
		} {
			t.Run(name, func(t *testing.T) {
				in["projectId"] = p.ID
				requireCode(t, addEntry(t, a.member, in), "VALIDATION")
			})
		}
		require.Empty(t, setEnabled(t, a.admin, "website", "approval", false).Errors)
		requireCode(t, addEntry(t, a.member, map[string]any{"projectId": p.ID, "startedAt": rfc(now.Add(-2 * time.Hour)), "endedAt": rfc(now.Add(-1 * time.Hour)), "status": "approval"}), "STATUS_DISABLED")
		ok := map[string]any{"projectId": p.ID, "startedAt": rfc(now.Add(-2 * time.Hour)), "endedAt": rfc(now.Add(-1 * time.Hour))}
		requireCode(t, addEntry(t, a.viewer, ok), "FORBIDDEN")
		requireCode(t, addEntry(t, a.platform, ok), "FORBIDDEN") // the platform names a member

		// Admins (and the platform) log time for a member.
		memberID := memberIDOf(t, a.member)
		ok["memberId"] = memberID
		require.Empty(t, addEntry(t, a.admin, ok).Errors)
		require.Empty(t, addEntry(t, a.platform, ok).Errors)
		requireCode(t, addEntry(t, a.viewer, ok), "FORBIDDEN")
		ok["memberId"] = memberIDOf(t, a.admin)
		requireCode(t, addEntry(t, a.member, ok), "FORBIDDEN")

		// Editing and deleting: one's own; admins any.
		var mine struct{ AddTimeEntry entryOut }
		addEntry(t, a.member, map[string]any{"projectId": p.ID, "startedAt": rfc(now.Add(-3 * time.Hour)), "endedAt": rfc(now.Add(-2 * time.Hour))}).Decode(t, &mine)
		upd := `mutation($input: UpdateTimeEntryInput!) { updateTimeEntry(input: $input) { id seconds note billable } }`
		var edited struct {
			UpdateTimeEntry struct {
				Seconds  int
				Note     string
				Billable bool
			}
		}
		a.member.Do(t, upd, map[string]any{"input": map[string]any{"id": mine.AddTimeEntry.ID, "endedAt": rfc(now.Add(-150 * time.Minute)), "note": "shorter", "billable": false}}).Decode(t, &edited)
		require.Equal(t, 1800, edited.UpdateTimeEntry.Seconds)
		require.Equal(t, "shorter", edited.UpdateTimeEntry.Note)
		require.False(t, edited.UpdateTimeEntry.Billable)
		other := newMemberClient(t, s, "alpha", "alpha-member2", "MEMBER")
		requireCode(t, other.Do(t, upd, map[string]any{"input": map[string]any{"id": mine.AddTimeEntry.ID, "note": "mine now"}}), "FORBIDDEN")
		requireCode(t, a.member.Do(t, upd, map[string]any{"input": map[string]any{"id": mine.AddTimeEntry.ID, "endedAt": rfc(now.Add(time.Hour))}}), "VALIDATION")
		del := `mutation($id: ID!) { deleteTimeEntry(id: $id) }`
		requireCode(t, other.Do(t, del, map[string]any{"id": mine.AddTimeEntry.ID}), "FORBIDDEN")
		var deleted struct{ DeleteTimeEntry string }
		a.admin.Do(t, del, map[string]any{"id": mine.AddTimeEntry.ID}).Decode(t, &deleted)
		require.Equal(t, mine.AddTimeEntry.ID, deleted.DeleteTimeEntry)
		requireCode(t, a.admin.Do(t, del, map[string]any{"id": mine.AddTimeEntry.ID}), "NOT_FOUND")
	})
}

func newMemberClient(t *testing.T, s *sdktest.Server, slug, ext, role string) lanestest.Client {
	t.Helper()
	return s.AddMember(t, slug, ext, role)
}

func TestTrackedTimeOnCards(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		now := time.Now().UTC()
		p := create(t, a.member, "website", "Site")
		backdate(t, s, db, p.ID, now.Add(-24*time.Hour))
		require.Empty(t, addEntry(t, a.member, map[string]any{"projectId": p.ID, "startedAt": rfc(now.Add(-20 * time.Hour)), "endedAt": rfc(now.Add(-19 * time.Hour))}).Errors)
		require.Empty(t, addEntry(t, a.admin, map[string]any{"projectId": p.ID, "startedAt": rfc(now.Add(-18 * time.Hour)), "endedAt": rfc(now.Add(-17*time.Hour - 30*time.Minute)), "status": "creation", "memberId": memberIDOf(t, a.member)}).Errors)

		var board struct {
			Board struct {
				Columns []struct {
					Status   struct{ Key string }
					Projects struct {
						Edges []struct {
							Node struct {
								ID             string
								TrackedSeconds int
							}
						}
					}
				}
			}
		}
		sdktest.Op(t, a.viewer, "BoardTime", map[string]any{"workflow": "website", "first": 10}).Decode(t, &board)
		require.Equal(t, 5400, board.Board.Columns[0].Projects.Edges[0].Node.TrackedSeconds)

		var pt struct {
			Node struct {
				TrackedSeconds  int
				TrackedByStatus []struct {
					Status  struct{ Key string }
					Seconds int
				}
			}
		}
		sdktest.Op(t, a.viewer, "ProjectTime", map[string]any{"id": p.ID}).Decode(t, &pt)
		require.Equal(t, 5400, pt.Node.TrackedSeconds)
		require.Len(t, pt.Node.TrackedByStatus, 2)
		require.Equal(t, "lead", pt.Node.TrackedByStatus[0].Status.Key)
		require.Equal(t, 3600, pt.Node.TrackedByStatus[0].Seconds)
		require.Equal(t, "creation", pt.Node.TrackedByStatus[1].Status.Key)

		// A running timer counts as it runs.
		require.Empty(t, startTimer(t, a.member, p.ID).Errors)
		_, err := s.Lanes.DB().Exec("UPDATE time_entries SET started_at = "+placeholders(db)[0]+" WHERE ended_at IS NULL", now.Add(-10*time.Minute))
		require.NoError(t, err)
		sdktest.Op(t, a.viewer, "ProjectTime", map[string]any{"id": p.ID}).Decode(t, &pt)
		require.InDelta(t, 5400+600, pt.Node.TrackedSeconds, 5)
	})
}

// exportTime downloads GET /export/time.csv?query with the client's
// credentials and returns the HTTP status and the body.
func exportTime(t *testing.T, s *sdktest.Server, c lanestest.Client, query string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.HTTP.URL+"/export/time.csv?"+query, nil)
	require.NoError(t, err)
	for k, v := range c.Headers {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}

func TestTimeExportCSV(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		now := time.Now().UTC()
		p := create(t, a.member, "website", "Site, with comma")
		backdate(t, s, db, p.ID, now.Add(-24*time.Hour))
		require.Empty(t, addEntry(t, a.member, map[string]any{"projectId": p.ID, "startedAt": rfc(now.Add(-20 * time.Hour)), "endedAt": rfc(now.Add(-19 * time.Hour))}).Errors)
		get := func(c lanestest.Client, query string) (int, string) { return exportTime(t, s, c, query) }
		code, body := get(a.viewer, "groupBy=STATUS,PROJECT&from="+rfc(now.Add(-72*time.Hour)))
		require.Equal(t, http.StatusOK, code, body)
		lines := strings.Split(strings.TrimSpace(body), "\n")
		require.Equal(t, "status,status_name,project_id,project,seconds,hours", lines[0])
		require.Equal(t, "lead,Lead,"+p.ID+`,"Site, with comma",3600,1.00`, lines[1])
		require.Equal(t, "total,,,,3600,1.00", lines[2])

		code, body = get(a.viewer, "groupBy=WEEK")
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body, `"VALIDATION"`)
		code, _ = get(s.Anonymous, "groupBy=STATUS")
		require.Equal(t, http.StatusUnauthorized, code)
		customer := customerFor(t, s, a, p.ID, "c@example.com")
		code, _ = get(customer, "groupBy=STATUS")
		require.Equal(t, http.StatusForbidden, code)
		_ = pulid.ID("")
	})
}

// TestTimeExportCSVNeutralisesFormulas: text cells of the CSV export that a
// spreadsheet would run as a formula (they begin with =, +, -, @, a tab or a
// carriage return) are prefixed with a single quote (OWASP's CSV injection
// advice), whether they are project titles, member or status names; the
// seconds and hours stay numbers.
func TestTimeExportCSVNeutralisesFormulas(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		now := time.Now().UTC().Truncate(time.Hour)
		p := create(t, a.member, "website", `=HYPERLINK("http://x")`)
		backdate(t, s, db, p.ID, now.Add(-48*time.Hour))
		require.Empty(t, sdktest.Op(t, a.admin, "UpdateStatus", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "lead", "name": "-Lead",
		}}).Errors)

		// Names the API trims (a leading tab or carriage return) are
		// written straight into the table, as an embedder's or an older
		// version's data could hold them.
		names := []string{"+1", "-2", "@SUM(A1)", "\tx", "\rx"}
		want := map[string]string{}
		for i, name := range names {
			var added struct{ AddMember struct{ ID string } }
			sdktest.Op(t, a.platform, "AddMember", map[string]any{"input": map[string]any{
				"externalId": fmt.Sprintf("formula-%d", i), "name": fmt.Sprintf("member %d", i), "role": "MEMBER",
			}}).Decode(t, &added)
			id := added.AddMember.ID
			ph := placeholders(db)
			_, err := s.Lanes.DB().Exec("UPDATE members SET name = "+ph[0]+" WHERE id = "+ph[1], name, id)
			require.NoError(t, err)
			start := now.Add(-time.Duration(40-i) * time.Hour)
			require.Empty(t, addEntry(t, a.admin, map[string]any{
				"projectId": p.ID, "memberId": id, "startedAt": rfc(start), "endedAt": rfc(start.Add(time.Duration(i+1) * time.Minute)),
			}).Errors)
			want[id] = "'" + name
		}

		code, body := exportTime(t, s, a.viewer, "groupBy=STATUS,PROJECT,MEMBER&from="+rfc(now.Add(-72*time.Hour)))
		require.Equal(t, http.StatusOK, code, body)
		records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		require.NoError(t, err, body)
		require.Equal(t, []string{"status", "status_name", "project_id", "project", "member_id", "member", "seconds", "hours"}, records[0])
		require.Len(t, records, 2+len(names), body)
		total := 0
		for _, rec := range records[1 : len(records)-1] {
			require.Equal(t, []string{"lead", "'-Lead", p.ID, `'=HYPERLINK("http://x")`}, rec[:4], body)
			require.Contains(t, want, rec[4], body)
			require.Equal(t, want[rec[4]], rec[5], body)
			delete(want, rec[4])
			seconds, err := strconv.Atoi(rec[6])
			require.NoError(t, err, "seconds %q stays a number", rec[6])
			require.Positive(t, seconds)
			_, err = strconv.ParseFloat(rec[7], 64)
			require.NoError(t, err, "hours %q stays a number", rec[7])
			total += seconds
		}
		require.Empty(t, want, "every member has its row")
		require.Equal(t, []string{"total", "", "", "", "", "", strconv.Itoa(total), strconv.FormatFloat(float64(total)/3600, 'f', 2, 64)}, records[len(records)-1])
	})
}
