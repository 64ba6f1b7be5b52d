package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

func setEnabled(t *testing.T, c lanestest.Client, workflow, status string, enabled bool) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "SetStatusEnabled", map[string]any{"workflow": workflow, "status": status, "enabled": enabled})
}

func TestSetStatusEnabled(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")

		for _, key := range []string{"preparation", "creation", "feedback", "done"} {
			requireCode(t, setEnabled(t, a.admin, "website", key, false), "STATUS_MANDATORY")
		}
		requireCode(t, setEnabled(t, a.admin, "leads", "declined", false), "STATUS_MANDATORY")
		requireCode(t, setEnabled(t, a.member, "website", "audit", false), "FORBIDDEN")
		requireCode(t, setEnabled(t, a.viewer, "website", "audit", false), "FORBIDDEN")
		requireCode(t, setEnabled(t, a.admin, "website", "nope", false), "NOT_FOUND")
		requireCode(t, setEnabled(t, a.admin, "nope", "audit", false), "NOT_FOUND")

		// In use, archived projects included: STATUS_IN_USE with the count.
		p1 := create(t, a.member, "website", "One", map[string]any{"status": "audit"})
		create(t, a.member, "website", "Two", map[string]any{"status": "audit"})
		e := requireCode(t, setEnabled(t, a.owner, "website", "audit", false), "STATUS_IN_USE")
		require.EqualValues(t, 2, e.Extensions["projectCount"])
		l := create(t, a.member, "leads", "Lead")
		require.Empty(t, sdktest.Op(t, a.member, "DeclineLead", map[string]any{"id": l.ID, "reason": "OTHER"}).Errors)

		// Once empty it can be disabled: gone from the board, the workflow
		// bar and the status list; history keeps it.
		for _, id := range []string{p1.ID} {
			require.Empty(t, move(t, a.member, id, "feedback").Errors)
		}
		e = requireCode(t, setEnabled(t, a.owner, "website", "audit", false), "STATUS_IN_USE")
		require.EqualValues(t, 1, e.Extensions["projectCount"])
		var all struct {
			Projects struct {
				Edges []struct{ Node struct{ ID, Title string } }
			}
		}
		sdktest.Op(t, a.member, "Projects", map[string]any{"first": 10, "where": map[string]any{"title": "Two"}}).Decode(t, &all)
		require.Empty(t, move(t, a.member, all.Projects.Edges[0].Node.ID, "done").Errors)

		var out struct {
			SetStatusEnabled struct {
				ID, Key string
				Enabled bool
			}
		}
		setEnabled(t, a.owner, "website", "audit", false).Decode(t, &out)
		require.False(t, out.SetStatusEnabled.Enabled)
		setEnabled(t, a.platform, "website", "audit", false).Decode(t, &out) // again: no-op
		require.False(t, out.SetStatusEnabled.Enabled)

		require.NotContains(t, readBoard(t, a.member, "website", 5).columnKeys(), "audit")
		require.Len(t, readBoard(t, a.member, "website", 5).columnKeys(), 12)
		require.Contains(t, readBoard(t, b.member, "website", 5).columnKeys(), "audit", "another tenant's board is untouched")
		v := view(t, a.member, p1.ID)
		for _, st := range v.Node.Steps {
			require.NotEqual(t, "audit", st.Status.Key)
		}
		require.Equal(t, []string{"create:audit", "move:feedback"}, historyActions(v))
		require.Equal(t, "audit", v.Node.TimeInStatus[0].Status.Key)
		var wf workflowsData
		sdktest.Op(t, a.member, "Workflows", nil).Decode(t, &wf)
		for _, st := range wf.Workflows[0].Statuses {
			if st.Key == "audit" {
				require.False(t, st.Enabled)
			}
		}
		var enabledOnly struct {
			Workflow struct{ Statuses []struct{ Key string } }
		}
		a.member.Do(t, `{ workflow(key: "website") { statuses { key } } }`, nil).Decode(t, &enabledOnly)
		require.Len(t, enabledOnly.Workflow.Statuses, 12)
		requireCode(t, sdktest.Op(t, a.member, "BoardColumn", map[string]any{"workflow": "website", "status": "audit"}), "STATUS_DISABLED")

		// Enabling again brings it back.
		setEnabled(t, a.admin, "website", "audit", true).Decode(t, &out)
		require.True(t, out.SetStatusEnabled.Enabled)
		require.Contains(t, readBoard(t, a.member, "website", 5).columnKeys(), "audit")
	})
}

func TestUpdateStatusAndWIPLimit(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		update := func(c lanestest.Client, in map[string]any) *lanestest.Response {
			in["workflow"] = "website"
			if _, ok := in["status"]; !ok {
				in["status"] = "creation"
			}
			return sdktest.Op(t, c, "UpdateStatus", map[string]any{"input": in})
		}
		type statusOut struct {
			UpdateStatus struct {
				ID, Key, Name, Color string
				WipLimit             *int
			}
		}
		var out statusOut
		update(a.admin, map[string]any{"name": " Build ", "color": "#FF8800", "wipLimit": 2}).Decode(t, &out)
		require.Equal(t, "Build", out.UpdateStatus.Name)
		require.Equal(t, "#ff8800", out.UpdateStatus.Color)
		require.Equal(t, 2, *out.UpdateStatus.WipLimit)

		// Omitted fields stay.
		update(a.admin, map[string]any{"name": "Building"}).Decode(t, &out)
		require.Equal(t, "#ff8800", out.UpdateStatus.Color)
		require.Equal(t, 2, *out.UpdateStatus.WipLimit)

		for name, in := range map[string]map[string]any{
			"blank name":     {"name": " "},
			"not a color":    {"color": "orange"},
			"negative limit": {"wipLimit": -1},
			"absurd limit":   {"wipLimit": 10_000_000},
		} {
			t.Run(name, func(t *testing.T) { requireCode(t, update(a.admin, in), "VALIDATION") })
		}
		requireCode(t, update(a.member, map[string]any{"name": "x"}), "FORBIDDEN")
		requireCode(t, update(a.admin, map[string]any{"status": "nope", "name": "x"}), "NOT_FOUND")

		// The WIP limit holds on moves, creates and advances; archived
		// projects and reorders inside the column do not count against it.
		p1 := create(t, a.member, "website", "One", map[string]any{"status": "creation"})
		p2 := create(t, a.member, "website", "Two", map[string]any{"status": "creation"})
		p3 := create(t, a.member, "website", "Three", map[string]any{"status": "assign"})
		e := requireCode(t, move(t, a.member, p3.ID, "creation"), "WIP_LIMIT")
		require.EqualValues(t, 2, e.Extensions["wipLimit"])
		requireCode(t, sdktest.Op(t, a.member, "AdvanceProject", map[string]any{"id": p3.ID}), "WIP_LIMIT")
		requireCode(t, sdktest.Op(t, a.member, "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": "Four", "status": "creation"}}), "WIP_LIMIT")
		require.Empty(t, move(t, a.member, p2.ID, "creation", map[string]any{"before": p1.ID}).Errors)
		require.Equal(t, []string{p2.ID, p1.ID}, readBoard(t, a.member, "website", 10).column("creation"))

		// null (or 0) removes the limit.
		update(a.admin, map[string]any{"wipLimit": nil}).Decode(t, &out)
		require.Nil(t, out.UpdateStatus.WipLimit)
		require.Empty(t, move(t, a.member, p3.ID, "creation").Errors)
		update(a.admin, map[string]any{"wipLimit": 3}).Decode(t, &out)
		update(a.admin, map[string]any{"wipLimit": 0}).Decode(t, &out)
		require.Nil(t, out.UpdateStatus.WipLimit)

		var board boardView
		sdktest.Op(t, a.member, "Board", map[string]any{"workflow": "website", "first": 1}).Decode(t, &board)
		for _, col := range board.Board.Columns {
			if col.Status.Key == "creation" {
				require.Equal(t, "Building", col.Status.Name)
				require.Equal(t, "#ff8800", col.Status.Color)
			}
		}
	})
}

func TestDropPositions(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		var ids []string
		for _, title := range []string{"A", "B", "C", "D"} {
			ids = append(ids, create(t, a.member, "website", title).ID)
		}
		x := create(t, a.member, "website", "X", map[string]any{"status": "interest"})
		require.Equal(t, ids, readBoard(t, a.member, "website", 10).column("lead"), "new cards go to the end")

		versions := func() map[string]int {
			out := map[string]int{}
			for _, id := range append(ids, x.ID) {
				out[id] = view(t, a.member, id).Node.Version
			}
			return out
		}
		before := versions()
		// Drop X between B and C of another column: only X changes.
		require.Empty(t, move(t, a.member, x.ID, "lead", map[string]any{"after": ids[1]}).Errors)
		require.Equal(t, []string{ids[0], ids[1], x.ID, ids[2], ids[3]}, readBoard(t, a.member, "website", 10).column("lead"))
		after := versions()
		for id, v := range before {
			if id == x.ID {
				require.Equal(t, v+1, after[id])
			} else {
				require.Equal(t, v, after[id], "a drop writes only the moved card")
			}
		}
		// Reorder inside the column: version bump, no history row.
		require.Empty(t, move(t, a.member, ids[3], "lead", map[string]any{"before": ids[0]}).Errors)
		require.Equal(t, []string{ids[3], ids[0], ids[1], x.ID, ids[2]}, readBoard(t, a.member, "website", 10).column("lead"))
		vd := view(t, a.member, ids[3])
		require.Equal(t, 2, vd.Node.Version)
		require.Len(t, vd.Node.History, 1)
		require.Empty(t, move(t, a.member, ids[0], "lead", map[string]any{"after": ids[1], "before": x.ID}).Errors)
		require.Equal(t, []string{ids[3], ids[1], ids[0], x.ID, ids[2]}, readBoard(t, a.member, "website", 10).column("lead"))

		other := create(t, b.member, "website", "Theirs")
		y := create(t, a.member, "website", "Y", map[string]any{"status": "done"})
		for name, extra := range map[string]map[string]any{
			"after a card of another column": {"after": y.ID},
			"before itself":                  {"before": ids[0]},
			"after and before reversed":      {"after": x.ID, "before": ids[1]},
		} {
			t.Run(name, func(t *testing.T) {
				requireCode(t, move(t, a.member, ids[0], "lead", extra), "VALIDATION")
			})
		}
		requireCode(t, move(t, a.member, ids[0], "lead", map[string]any{"before": other.ID}), "NOT_FOUND")
	})
}

func TestAutomationsAndTodos(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		automation := func(c lanestest.Client, status, on string, todos ...map[string]any) *lanestest.Response {
			return sdktest.Op(t, c, "CreateAutomation", map[string]any{"input": map[string]any{
				"workflow": "website", "status": status, "on": on, "todos": todos,
			}})
		}
		var created struct{ CreateAutomation struct{ ID string } }
		automation(a.admin, "approval", "ENTER",
			map[string]any{"title": "Check the wishes", "blocking": true},
			map[string]any{"title": "Say hello"},
		).Decode(t, &created)
		require.Regexp(t, `^aut_`, created.CreateAutomation.ID)
		require.Empty(t, automation(a.owner, "approval", "LEAVE", map[string]any{"title": "Send the briefing"}).Errors)

		requireCode(t, automation(a.member, "approval", "ENTER", map[string]any{"title": "x"}), "FORBIDDEN")
		requireCode(t, automation(a.admin, "approval", "ENTER"), "VALIDATION")
		requireCode(t, automation(a.admin, "approval", "ENTER", map[string]any{"title": " "}), "VALIDATION")
		requireCode(t, automation(a.admin, "nope", "ENTER", map[string]any{"title": "x"}), "NOT_FOUND")
		requireCode(t, sdktest.Op(t, a.admin, "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "approval", "on": "SOMETIMES", "todos": []map[string]any{{"title": "x"}},
		}}), "VALIDATION")

		p := create(t, a.member, "website", "Site", map[string]any{"status": "preparation"})
		require.Empty(t, move(t, a.member, p.ID, "approval").Errors)
		v := view(t, a.member, p.ID)
		require.Len(t, v.Node.Todos, 2)
		require.Equal(t, "Check the wishes", v.Node.Todos[0].Title)
		require.True(t, v.Node.Todos[0].Blocking)
		require.Equal(t, "approval", v.Node.Todos[0].Status.Key)
		require.Regexp(t, `^tod_`, v.Node.Todos[0].ID)

		board := readBoard(t, a.member, "website", 10)
		for _, col := range board.Board.Columns {
			if col.Status.Key == "approval" {
				require.Equal(t, 2, col.Projects.Edges[0].Node.OpenTodoCount)
			}
		}

		// The blocking to-do holds the project in Approval.
		requireCode(t, sdktest.Op(t, a.member, "AdvanceProject", map[string]any{"id": p.ID}), "CHECKLIST_INCOMPLETE")
		requireCode(t, move(t, a.member, p.ID, "done"), "CHECKLIST_INCOMPLETE")
		requireCode(t, sdktest.Op(t, a.viewer, "CompleteTodo", map[string]any{"id": v.Node.Todos[0].ID}), "FORBIDDEN")
		requireCode(t, sdktest.Op(t, b.member, "CompleteTodo", map[string]any{"id": v.Node.Todos[0].ID}), "NOT_FOUND")
		var done struct {
			CompleteTodo struct {
				ID   string
				Done bool
			}
		}
		sdktest.Op(t, a.member, "CompleteTodo", map[string]any{"id": v.Node.Todos[0].ID}).Decode(t, &done)
		require.True(t, done.CompleteTodo.Done)
		sdktest.Op(t, a.member, "CompleteTodo", map[string]any{"id": v.Node.Todos[0].ID}).Decode(t, &done) // again: fine
		// A non-blocking open to-do does not hold it.
		require.Equal(t, "assign", moved(t, sdktest.Op(t, a.member, "AdvanceProject", map[string]any{"id": p.ID}), "advanceProject").Status.Key)

		// Leaving Approval fired the LEAVE automation: its to-do belongs
		// to the status entered.
		v = view(t, a.member, p.ID)
		require.Len(t, v.Node.Todos, 3)
		require.Equal(t, "Send the briefing", v.Node.Todos[2].Title)
		require.Equal(t, "assign", v.Node.Todos[2].Status.Key)
		var count struct{ Node struct{ OpenTodoCount int } }
		a.member.Do(t, `query($id: ID!) { node(id: $id) { ... on Project { openTodoCount } } }`, map[string]any{"id": p.ID}).Decode(t, &count)
		require.Equal(t, 2, count.Node.OpenTodoCount)

		// Another tenant's projects get none of it.
		q := create(t, b.member, "website", "Theirs", map[string]any{"status": "preparation"})
		require.Empty(t, move(t, b.member, q.ID, "approval").Errors)
		require.Empty(t, view(t, b.member, q.ID).Node.Todos)
	})
}
