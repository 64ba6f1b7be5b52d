package sdk_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

func migrate(t *testing.T, c lanestest.Client, workflow, from, to string) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "MigrateStatus", map[string]any{"workflow": workflow, "from": from, "to": to})
}

func TestMigrateStatus(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		var ids []string
		for i := range 3 {
			ids = append(ids, create(t, a.member, "website", fmt.Sprintf("Audit %d", i), map[string]any{"status": "audit"}).ID)
		}
		already := create(t, a.member, "website", "Already there", map[string]any{"status": "revision"})
		other := create(t, b.member, "website", "Beta's", map[string]any{"status": "audit"})
		mustOp(t, a.admin, "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "revision", "on": "ENTER", "todos": []map[string]any{{"title": "Revise"}},
		}})

		requireCode(t, migrate(t, a.member, "website", "audit", "revision"), "FORBIDDEN")
		requireCode(t, migrate(t, a.admin, "nope", "audit", "revision"), "NOT_FOUND")
		requireCode(t, migrate(t, a.admin, "website", "audit", "limbo"), "NOT_FOUND")
		requireCode(t, migrate(t, a.admin, "website", "audit", "audit"), "VALIDATION")
		require.Empty(t, setEnabled(t, a.admin, "website", "approval", false).Errors)
		requireCode(t, migrate(t, a.admin, "website", "audit", "approval"), "STATUS_DISABLED")

		// The WIP limit holds for all of them or none moves.
		mustOp(t, a.admin, "UpdateStatus", map[string]any{"input": map[string]any{"workflow": "website", "status": "revision", "wipLimit": 3}})
		e := requireCode(t, migrate(t, a.admin, "website", "audit", "revision"), "WIP_LIMIT")
		require.EqualValues(t, 3, e.Extensions["wipLimit"])
		require.Len(t, readBoard(t, a.member, "website", 10).column("audit"), 3, "nothing moved")
		mustOp(t, a.admin, "UpdateStatus", map[string]any{"input": map[string]any{"workflow": "website", "status": "revision", "wipLimit": 4}})

		var out struct{ MigrateStatus int }
		migrate(t, a.admin, "website", "audit", "revision").Decode(t, &out)
		require.Equal(t, 3, out.MigrateStatus)
		board := readBoard(t, a.member, "website", 10)
		require.Empty(t, board.column("audit"))
		require.Equal(t, append([]string{already.ID}, ids...), board.column("revision"), "after the cards already there, in their order")
		for _, id := range ids {
			v := view(t, a.member, id)
			require.Equal(t, "revision", v.Node.Status.Key)
			last := v.Node.History[len(v.Node.History)-1]
			require.Equal(t, "migrate", last.Action)
			require.Equal(t, "audit", last.From.Key)
			require.Equal(t, "revision", last.To.Key)
			require.Equal(t, 2, v.Node.Version)
			var todos []string
			for _, td := range v.Node.Todos {
				todos = append(todos, td.Title)
			}
			require.Equal(t, []string{"Revise"}, todos, "the target's automations ran")
		}
		require.Equal(t, "audit", view(t, b.member, other.ID).Node.Status.Key, "another tenant's projects stay")

		// Emptied, it can be disabled; an empty status migrates nothing.
		require.Empty(t, setEnabled(t, a.admin, "website", "audit", false).Errors)
		migrate(t, a.platform, "website", "audit", "revision").Decode(t, &out)
		require.Zero(t, out.MigrateStatus)

		// STRICT: only along its transitions, never into an archive.
		lead := create(t, a.member, "leads", "Lead")
		requireCode(t, migrate(t, a.admin, "leads", "new", "completed"), "TRANSITION_NOT_ALLOWED")
		requireCode(t, migrate(t, a.admin, "leads", "new", "declined"), "VALIDATION")
		migrate(t, a.owner, "leads", "new", "active").Decode(t, &out)
		require.Equal(t, 1, out.MigrateStatus)
		require.Equal(t, "active", view(t, a.member, lead.ID).Node.Status.Key)
	})
}

// migrateStatus racing moves out of and into its statuses: every project
// ends in an enabled status, and each history is one unbroken chain that
// ends where the project is.
func TestMigrateStatusRacingMoves(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		var ids []string
		for i := range 8 {
			ids = append(ids, create(t, a.member, "website", fmt.Sprintf("P%d", i), map[string]any{"status": "audit"}).ID)
		}
		targets := []string{"feedback", "creation", "audit", "done"}
		var wg sync.WaitGroup
		start := make(chan struct{})
		var migrated *lanestest.Response
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _ = sendMove(a.member, id, targets[i%len(targets)])
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			migrated, _ = sdktest.Send(a.admin, "MigrateStatus", map[string]any{"workflow": "website", "from": "audit", "to": "revision"})
		}()
		close(start)
		wg.Wait()
		require.NotNil(t, migrated)
		require.Empty(t, migrated.Errors)

		enabled := map[string]bool{}
		for _, k := range statusKeys(t, a.member, "website") {
			enabled[k] = true
		}
		for _, id := range ids {
			v := view(t, a.member, id)
			require.True(t, enabled[v.Node.Status.Key])
			h := v.Node.History
			for i := 1; i < len(h); i++ {
				require.NotNil(t, h[i].From)
				require.Equal(t, h[i-1].To.Key, h[i].From.Key, "%s: history step %d", id, i)
			}
			require.Equal(t, v.Node.Status.Key, h[len(h)-1].To.Key)
			require.Equal(t, len(h), v.Node.Version, "one version per change")
		}
	})
}
