package sdk_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/store"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

type createdStatus struct {
	CreateStatus struct {
		ID, Key, Name, Color, Category string
		Position                       int
		Enabled, Mandatory             bool
	}
}

func createStatus(c lanestest.Client, t *testing.T, in map[string]any) *lanestest.Response {
	t.Helper()
	if _, ok := in["workflow"]; !ok {
		in["workflow"] = "website"
	}
	if _, ok := in["category"]; !ok {
		in["category"] = "WAITING"
	}
	if _, ok := in["name"]; !ok {
		in["name"] = "Review"
	}
	return sdktest.Op(t, c, "CreateStatus", map[string]any{"input": in})
}

// statusKeys lists a workflow's statuses (disabled ones too) in order.
func statusKeys(t *testing.T, c lanestest.Client, workflow string) []string {
	t.Helper()
	var out struct {
		Workflow struct{ Statuses []struct{ Key string } }
	}
	c.Do(t, `query($key: String!) { workflow(key: $key) { statuses(includeDisabled: true) { key } } }`, map[string]any{"key": workflow}).Decode(t, &out)
	var keys []string
	for _, st := range out.Workflow.Statuses {
		keys = append(keys, st.Key)
	}
	return keys
}

func advance(t *testing.T, c lanestest.Client, id string) string {
	t.Helper()
	var out struct{ AdvanceProject projectRef }
	sdktest.Op(t, c, "AdvanceProject", map[string]any{"id": id}).Decode(t, &out)
	return out.AdvanceProject.Status.Key
}

var websiteKeys = []string{"lead", "interest", "preparation", "approval", "assign", "creation", "audit", "feedback", "revision", "publish", "change", "done", "redesign"}

func TestStatusCategories(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		var out struct {
			Workflows []struct {
				Key      string
				Statuses []struct{ Key, Category string }
			}
		}
		a.member.Do(t, `{ workflows { key statuses(includeDisabled: true) { key category } } }`, nil).Decode(t, &out)
		got := map[string]string{}
		for _, w := range out.Workflows {
			for _, st := range w.Statuses {
				got[w.Key+"/"+st.Key] = st.Category
			}
		}
		templates, err := workflow.BuiltinTemplates()
		require.NoError(t, err)
		for _, tpl := range templates {
			for _, st := range tpl.Statuses {
				require.Equal(t, st.Category, got[tpl.Key+"/"+st.Key], "%s/%s", tpl.Key, st.Key)
			}
		}
		require.Equal(t, "LEAD", got["website/lead"])
		require.Equal(t, "DONE", got["website/done"])
		require.Equal(t, "CANCELLED", got["leads/declined"])
	})
}

// A database from before statuses had categories gets its templates'
// categories once, at the first start that adds the column.
func TestBackfillCategories(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		ctx := context.Background()
		d, err := store.Open(ctx, store.Options{URL: db.URL})
		require.NoError(t, err)
		defer d.Close()
		has, err := d.HasColumn(ctx, "statuses", "category")
		require.NoError(t, err)
		require.False(t, has, "a new database has no statuses table yet")

		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		has, err = d.HasColumn(ctx, "statuses", "category")
		require.NoError(t, err)
		require.True(t, has)
		has, err = d.HasColumn(ctx, "statuses", "no_such_column")
		require.NoError(t, err)
		require.False(t, has)

		// As the column arrives on old rows: IN_PROGRESS everywhere.
		_, err = d.SQL.ExecContext(ctx, "UPDATE statuses SET category = 'IN_PROGRESS'")
		require.NoError(t, err)
		templates, err := workflow.BuiltinTemplates()
		require.NoError(t, err)
		require.NoError(t, workflow.BackfillCategories(ctx, d.SQL, d.Dialect, templates))
		rows, err := d.SQL.QueryContext(ctx, "SELECT w.key, s.key, s.category FROM statuses s JOIN workflows w ON w.id = s.workflow_id")
		require.NoError(t, err)
		defer rows.Close()
		want := map[string]string{}
		for _, tpl := range templates {
			for _, st := range tpl.Statuses {
				want[tpl.Key+"/"+st.Key] = st.Category
			}
		}
		n := 0
		for rows.Next() {
			var w, k, c string
			require.NoError(t, rows.Scan(&w, &k, &c))
			require.Equal(t, want[w+"/"+k], c, "%s/%s", w, k)
			n++
		}
		require.NoError(t, rows.Err())
		require.Equal(t, len(want), n)
		s.Lanes.Workflows.InvalidateAllConfig()
		require.Equal(t, websiteKeys, statusKeys(t, a.member, "website"))
	})
}

func TestCreateStatus(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")

		for _, tc := range []struct {
			name   string
			client lanestest.Client
			in     map[string]any
			code   string
			field  string
		}{
			{"member", a.member, map[string]any{"key": "review"}, "FORBIDDEN", ""},
			{"viewer", a.viewer, map[string]any{"key": "review"}, "FORBIDDEN", ""},
			{"unknown workflow", a.admin, map[string]any{"key": "review", "workflow": "nope"}, "NOT_FOUND", ""},
			{"upper-case key", a.admin, map[string]any{"key": "Review"}, "VALIDATION", "key"},
			{"key with a space", a.admin, map[string]any{"key": "in review"}, "VALIDATION", "key"},
			{"empty key", a.admin, map[string]any{"key": ""}, "VALIDATION", "key"},
			{"duplicate key", a.admin, map[string]any{"key": "audit"}, "VALIDATION", "key"},
			{"blank name", a.admin, map[string]any{"key": "review", "name": "  "}, "VALIDATION", "name"},
			{"bad colour", a.admin, map[string]any{"key": "review", "color": "red"}, "VALIDATION", "color"},
			{"after nothing", a.admin, map[string]any{"key": "review", "after": "limbo"}, "VALIDATION", "after"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := requireCode(t, createStatus(tc.client, t, tc.in), tc.code)
				if tc.field != "" {
					require.Equal(t, tc.field, e.Extensions["field"])
				}
			})
		}
		require.Equal(t, websiteKeys, statusKeys(t, a.member, "website"), "nothing was created by a refused call")

		var out createdStatus
		createStatus(a.admin, t, map[string]any{"key": "review", "name": "Internal review", "color": "#ABCDEF", "after": "audit"}).Decode(t, &out)
		got := out.CreateStatus
		require.Equal(t, "review", got.Key)
		require.Equal(t, "Internal review", got.Name)
		require.Equal(t, "#abcdef", got.Color)
		require.Equal(t, "WAITING", got.Category)
		require.Equal(t, 7, got.Position)
		require.True(t, got.Enabled)
		require.False(t, got.Mandatory)
		want := slices.Insert(slices.Clone(websiteKeys), 7, "review")
		require.Equal(t, want, statusKeys(t, a.member, "website"))
		require.Equal(t, want, readBoard(t, a.member, "website", 1).columnKeys())
		require.Equal(t, websiteKeys, statusKeys(t, b.member, "website"), "another tenant's workflow is untouched")
		requireCode(t, createStatus(a.owner, t, map[string]any{"key": "review"}), "VALIDATION")

		// The "next status" chain goes through it: audit → review → feedback.
		p := create(t, a.member, "website", "Site", map[string]any{"status": "audit"})
		require.Equal(t, "review", advance(t, a.member, p.ID))
		require.Equal(t, "feedback", advance(t, a.member, p.ID))
		require.Empty(t, move(t, a.member, p.ID, "review").Errors, "a project moves into it like into any status")

		// Without after it goes last; the platform may shape too.
		createStatus(a.platform, t, map[string]any{"key": "archive_later", "name": "Later", "category": "CANCELLED"}).Decode(t, &out)
		require.Equal(t, len(want), out.CreateStatus.Position)
		require.Equal(t, "#9e9e9e", out.CreateStatus.Color)

		// A STRICT workflow takes statuses of its own too; its projects
		// still start where its transitions begin.
		createStatus(a.admin, t, map[string]any{"workflow": "leads", "key": "parked", "name": "Parked", "category": "WAITING"}).Decode(t, &out)
		require.Equal(t, []string{"new", "active", "secured", "completed", "declined", "parked"}, statusKeys(t, a.member, "leads"))
		requireCode(t, move(t, a.member, create(t, a.member, "leads", "Lead").ID, "parked"), "TRANSITION_NOT_ALLOWED")

		// A workflow has at most MaxStatuses statuses.
		for i := len(statusKeys(t, a.member, "website")); i < workflow.MaxStatuses; i++ {
			createStatus(a.admin, t, map[string]any{"key": fmt.Sprintf("extra_%d", i)}).Decode(t, &out)
		}
		e := requireCode(t, createStatus(a.admin, t, map[string]any{"key": "one_too_many"}), "VALIDATION")
		require.EqualValues(t, workflow.MaxStatuses, e.Extensions["limit"])
	})
}

func TestReorderStatuses(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		reorder := func(c lanestest.Client, workflow string, keys []string) *lanestest.Response {
			return sdktest.Op(t, c, "ReorderStatuses", map[string]any{"workflow": workflow, "keys": keys})
		}
		reversed := slices.Clone(websiteKeys)
		slices.Reverse(reversed)

		requireCode(t, reorder(a.member, "website", reversed), "FORBIDDEN")
		requireCode(t, reorder(a.admin, "nope", reversed), "NOT_FOUND")
		for name, keys := range map[string][]string{
			"missing one":   websiteKeys[1:],
			"named twice":   append(slices.Clone(websiteKeys[1:]), "interest"),
			"unknown":       append(slices.Clone(websiteKeys[1:]), "limbo"),
			"too many":      append(slices.Clone(websiteKeys), "limbo"),
			"empty":         {},
			"hostile entry": append(slices.Clone(websiteKeys[1:]), "x\x00y"),
		} {
			t.Run(name, func(t *testing.T) {
				e := requireCode(t, reorder(a.admin, "website", keys), "VALIDATION")
				if name != "hostile entry" { // refused by the String scalar, before the service
					require.Equal(t, "keys", e.Extensions["field"])
				}
			})
		}
		e := requireCode(t, reorder(a.admin, "website", websiteKeys[1:]), "VALIDATION")
		require.Equal(t, []any{"lead"}, e.Extensions["missing"])
		require.Equal(t, websiteKeys, statusKeys(t, a.member, "website"))

		var out struct {
			ReorderStatuses struct {
				Key      string
				Statuses []struct {
					Key      string
					Position int
				}
			}
		}
		reorder(a.admin, "website", reversed).Decode(t, &out)
		for i, st := range out.ReorderStatuses.Statuses {
			require.Equal(t, reversed[i], st.Key)
			require.Equal(t, i, st.Position)
		}
		require.Equal(t, reversed, statusKeys(t, a.member, "website"))
		require.Equal(t, reversed, readBoard(t, a.member, "website", 1).columnKeys())

		// STRICT: the statuses its transitions connect keep their order.
		leads := []string{"new", "active", "secured", "completed", "declined"}
		requireCode(t, reorder(a.admin, "leads", []string{"active", "new", "secured", "completed", "declined"}), "VALIDATION")
		var created createdStatus
		createStatus(a.admin, t, map[string]any{"workflow": "leads", "key": "parked", "category": "WAITING"}).Decode(t, &created)
		withParked := append([]string{"parked"}, leads...)
		reorder(a.owner, "leads", withParked).Decode(t, &out)
		require.Equal(t, withParked, statusKeys(t, a.member, "leads"))
		lead := create(t, a.member, "leads", "Lead")
		require.Equal(t, "new", lead.Status.Key, "a STRICT workflow's projects start where its transitions begin")
		var wf struct {
			Workflow struct{ DefaultStatus struct{ Key string } }
		}
		a.member.Do(t, `{ workflow(key: "leads") { defaultStatus { key } } }`, nil).Decode(t, &wf)
		require.Equal(t, "new", wf.Workflow.DefaultStatus.Key)
	})
}

func TestDeleteStatus(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		del := func(c lanestest.Client, status string) *lanestest.Response {
			return sdktest.Op(t, c, "DeleteStatus", map[string]any{"workflow": "website", "status": status})
		}
		var created createdStatus
		createStatus(a.admin, t, map[string]any{"key": "review", "after": "audit"}).Decode(t, &created)

		requireCode(t, del(a.admin, "done"), "STATUS_MANDATORY")
		e := requireCode(t, del(a.admin, "audit"), "VALIDATION")
		require.Equal(t, "status", e.Extensions["field"])
		requireCode(t, del(a.member, "review"), "FORBIDDEN")
		requireCode(t, del(a.viewer, "review"), "FORBIDDEN")
		requireCode(t, del(a.admin, "limbo"), "NOT_FOUND")
		requireCode(t, del(a.member, "limbo"), "NOT_FOUND") // the object named, then the role
		requireCode(t, sdktest.Op(t, a.admin, "DeleteStatus", map[string]any{"workflow": "nope", "status": "review"}), "NOT_FOUND")

		// Its automations and feature overrides go with it.
		sdktest.Op(t, a.admin, "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "review", "on": "ENTER", "todos": []map[string]any{{"title": "Check"}},
		}}).Decode(t, &struct{}{})
		sdktest.Op(t, a.admin, "SetPortalFeature", map[string]any{"workflow": "website", "status": "review", "feature": "WISHES", "enabled": true}).Decode(t, &struct{}{})

		var out struct{ DeleteStatus string }
		del(a.owner, "review").Decode(t, &out)
		require.Equal(t, "review", out.DeleteStatus)
		require.Equal(t, websiteKeys, statusKeys(t, a.member, "website"))
		p := create(t, a.member, "website", "Site", map[string]any{"status": "audit"})
		require.Equal(t, "feedback", advance(t, a.member, p.ID), "audit leads where review led")
		requireCode(t, move(t, a.member, p.ID, "review"), "NOT_FOUND")

		createStatus(a.admin, t, map[string]any{"key": "review", "after": "audit"}).Decode(t, &created)
		var st struct {
			Workflow struct {
				Statuses []struct {
					Key            string
					PortalFeatures []string
				}
				Automations []struct{ Status struct{ Key string } }
			}
		}
		a.admin.Do(t, `{ workflow(key: "website") { statuses { key portalFeatures } automations { status { key } } } }`, nil).Decode(t, &st)
		for _, x := range st.Workflow.Statuses {
			if x.Key == "review" {
				require.Empty(t, x.PortalFeatures, "a new status of a deleted one's key starts from no features")
			}
		}
		for _, au := range st.Workflow.Automations {
			require.NotEqual(t, "review", au.Status.Key)
		}

		// Once it has held a project it stays, even empty again.
		require.Equal(t, "review", advance(t, a.member, create(t, a.member, "website", "Two", map[string]any{"status": "audit"}).ID))
		e = requireCode(t, del(a.admin, "review"), "STATUS_IN_USE")
		require.EqualValues(t, 1, e.Extensions["projectCount"])
		createStatus(a.admin, t, map[string]any{"key": "briefly"}).Decode(t, &created)
		q := create(t, a.member, "website", "Three", map[string]any{"status": "briefly"})
		require.Empty(t, move(t, a.member, q.ID, "done").Errors)
		e = requireCode(t, del(a.admin, "briefly"), "STATUS_IN_USE")
		require.EqualValues(t, 0, e.Extensions["projectCount"], "empty now, but it held one")

		// The default status is not deleted from under new projects.
		createStatus(a.admin, t, map[string]any{"key": "intake"}).Decode(t, &created)
		sdktest.Op(t, a.admin, "SetDefaultStatus", map[string]any{"workflow": "website", "status": "intake"}).Decode(t, &struct{}{})
		requireCode(t, del(a.admin, "intake"), "VALIDATION")
	})
}

func TestSetDefaultStatus(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		setDefault := func(c lanestest.Client, workflow, status string) *lanestest.Response {
			return sdktest.Op(t, c, "SetDefaultStatus", map[string]any{"workflow": workflow, "status": status})
		}
		var out struct {
			SetDefaultStatus struct {
				Key           string
				DefaultStatus struct{ Key string }
			}
		}
		require.Equal(t, "lead", create(t, a.member, "website", "Before").Status.Key)
		requireCode(t, setDefault(a.member, "website", "preparation"), "FORBIDDEN")
		requireCode(t, setDefault(a.admin, "website", "limbo"), "NOT_FOUND")
		requireCode(t, setDefault(a.admin, "leads", "active"), "VALIDATION")
		setDefault(a.admin, "leads", "new").Decode(t, &out)
		require.Equal(t, "new", out.SetDefaultStatus.DefaultStatus.Key)

		require.Empty(t, setEnabled(t, a.admin, "website", "interest", false).Errors)
		requireCode(t, setDefault(a.admin, "website", "interest"), "STATUS_DISABLED")

		setDefault(a.admin, "website", "assign").Decode(t, &out)
		require.Equal(t, "website", out.SetDefaultStatus.Key)
		require.Equal(t, "assign", out.SetDefaultStatus.DefaultStatus.Key)
		require.Equal(t, "assign", create(t, a.member, "website", "After").Status.Key)
		require.Equal(t, "lead", create(t, a.member, "website", "Named", map[string]any{"status": "lead"}).Status.Key)

		setDefault(a.platform, "website", "approval").Decode(t, &out)
		require.Equal(t, []string{"STATUS_IN_USE"}, setEnabled(t, a.admin, "website", "assign", false).Codes(), "no longer the default: only its project keeps it")
		e := requireCode(t, setEnabled(t, a.admin, "website", "approval", false), "VALIDATION")
		require.Equal(t, "status", e.Extensions["field"])
	})
}

// A status deleted while projects race into it: the delete either wins
// (and no move lands there) or finds a project and refuses; never
// INTERNAL, never a project in a status that is gone.
func TestDeleteStatusRacingMoves(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		for round := range 4 {
			key := fmt.Sprintf("race_%d", round)
			var created createdStatus
			createStatus(a.admin, t, map[string]any{"key": key}).Decode(t, &created)
			var ids []string
			for i := range 4 {
				ids = append(ids, create(t, a.member, "website", fmt.Sprintf("P%d-%d", round, i)).ID)
			}
			var wg sync.WaitGroup
			moves := make([]*lanestest.Response, len(ids))
			var deleted *lanestest.Response
			start := make(chan struct{})
			for i, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					res, err := sendMove(a.member, id, key)
					if err == nil {
						moves[i] = res
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				deleted, _ = sdktest.Send(a.admin, "DeleteStatus", map[string]any{"workflow": "website", "status": key})
			}()
			close(start)
			wg.Wait()
			require.NotNil(t, deleted)
			landed := 0
			for _, m := range moves {
				require.NotNil(t, m)
				switch codes := m.Codes(); {
				case len(codes) == 0:
					landed++
				default:
					require.Subset(t, []string{"NOT_FOUND", "STATUS_DISABLED"}, codes, "%+v", m.Errors)
				}
			}
			if len(deleted.Errors) == 0 {
				require.Zero(t, landed, "round %d: a move landed in a deleted status", round)
				require.NotContains(t, statusKeys(t, a.member, "website"), key)
			} else {
				require.Equal(t, []string{"STATUS_IN_USE"}, deleted.Codes(), "%+v", deleted.Errors)
				require.Positive(t, landed)
				require.Len(t, readBoard(t, a.member, "website", 10).column(key), landed)
			}
		}
	})
}

// Categories serve the board's summary and the time report.
func TestCategoriesInSummaryAndReport(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		var out createdStatus
		createStatus(a.admin, t, map[string]any{"key": "on_hold", "name": "On hold", "category": "WAITING", "after": "creation"}).Decode(t, &out)
		start := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
		entries := map[string]int{"lead": 30, "interest": 15, "preparation": 60, "on_hold": 45, "feedback": 20}
		for key, minutes := range entries {
			p := create(t, a.member, "website", key, map[string]any{"status": key})
			backdate(t, s, db, p.ID, start.Add(-time.Hour))
			require.Empty(t, addEntry(t, a.member, map[string]any{"projectId": p.ID, "startedAt": rfc(start), "endedAt": rfc(start.Add(time.Duration(minutes) * time.Minute))}).Errors)
		}

		var board struct {
			Board struct {
				Summary []struct {
					Category string
					Count    int
				}
			}
		}
		a.member.Do(t, `{ board(workflow: "website") { summary { category count } } }`, nil).Decode(t, &board)
		summary := map[string]int{}
		var order []string
		for _, c := range board.Board.Summary {
			summary[c.Category] = c.Count
			order = append(order, c.Category)
		}
		require.Equal(t, []string{"LEAD", "OPEN", "IN_PROGRESS", "WAITING", "DONE"}, order)
		require.Equal(t, map[string]int{"LEAD": 2, "OPEN": 1, "IN_PROGRESS": 0, "WAITING": 2, "DONE": 0}, summary)

		var rep struct {
			TimeReport struct {
				TotalSeconds int
				Rows         []struct {
					Category string
					Status   *struct{ Key string }
					Seconds  int
				}
			}
		}
		byCategoryReport := func(groups ...string) *lanestest.Response {
			return a.member.Do(t, `query($input: TimeReportInput!) { timeReport(input: $input) { totalSeconds rows { category status { key } seconds } } }`,
				map[string]any{"input": map[string]any{"groupBy": groups}})
		}
		byCategoryReport("CATEGORY").Decode(t, &rep)
		byCategory := map[string]int{}
		for _, r := range rep.TimeReport.Rows {
			require.Nil(t, r.Status)
			byCategory[r.Category] = r.Seconds
		}
		require.Equal(t, map[string]int{"LEAD": 45 * 60, "OPEN": 60 * 60, "WAITING": 65 * 60}, byCategory)
		require.Equal(t, 170*60, rep.TimeReport.TotalSeconds)

		byCategoryReport("CATEGORY", "STATUS").Decode(t, &rep)
		require.Len(t, rep.TimeReport.Rows, 5)
		for _, r := range rep.TimeReport.Rows {
			require.Equal(t, entries[r.Status.Key]*60, r.Seconds)
		}

		status, csv := exportTime(t, s, a.member, "groupBy=category")
		require.Equal(t, 200, status)
		require.Contains(t, csv, "category,seconds,hours")
		require.Contains(t, csv, "WAITING,3900,1.08")
	})
}
