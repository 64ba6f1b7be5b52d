package sdk_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/todo"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// Workflow configuration is cached per tenant; a change made through one
// instance reaches the others: at once through NOTIFY on PostgreSQL, after
// the cache TTL on SQLite (a single-process database in practice).
func TestConfigChangesReachOtherInstances(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		a, other, ctx := twoInstances(t, db)
		columns := func(t require.TestingT) int {
			b, err := other.Workflows.Board(ctx, "website", workflow.BoardOptions{})
			require.NoError(t, err)
			return len(b.Columns)
		}
		before := columns(t) // cached now
		other.WaitListening(t)

		// A disabled status leaves the other instance's board.
		require.Empty(t, sdktest.Op(t, a.admin, "SetStatusEnabled", map[string]any{
			"workflow": "website", "status": "interest", "enabled": false,
		}).Errors)
		require.EventuallyWithT(t, func(c *assert.CollectT) { assert.Equal(c, before-1, columns(c)) }, 5*time.Second, 20*time.Millisecond)

		// A new automation fires on the other instance's moves.
		require.Empty(t, sdktest.Op(t, a.admin, "SetStatusEnabled", map[string]any{
			"workflow": "website", "status": "interest", "enabled": true,
		}).Errors)
		require.EventuallyWithT(t, func(c *assert.CollectT) { assert.Equal(c, before, columns(c)) }, 5*time.Second, 20*time.Millisecond)
		require.Empty(t, sdktest.Op(t, a.admin, "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "interest", "on": "ENTER", "todos": []map[string]any{{"title": "Call"}},
		}}).Errors)
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			res, err := sdktest.Send(a.member, "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": "Mover"}})
			require.NoError(c, err)
			var out struct{ CreateProject projectRef }
			require.Empty(c, res.Errors)
			require.NoError(c, json.Unmarshal(res.Data, &out))
			id := pulid.ID(out.CreateProject.ID)
			_, err = other.Workflows.MoveProject(ctx, workflow.MoveProjectInput{ID: id, To: "interest"})
			require.NoError(c, err)
			n, err := other.Client().Todo.Query().Where(todo.ProjectID(id), todo.Title("Call")).Count(ctx)
			require.NoError(c, err)
			assert.Equal(c, 1, n)
		}, 5*time.Second, 50*time.Millisecond)
	})
}

// twoInstances starts two Lanes on one database and returns a team made
// through the first and a member's context on the second. Cached policies
// and workflows live an hour on PostgreSQL (NOTIFY must carry changes) and
// 200 ms on SQLite (the TTL must).
func twoInstances(t *testing.T, db lanestest.Database) (*team, *sdk.Lanes, context.Context) {
	t.Helper()
	ttl := time.Hour
	if db.Name == "sqlite" {
		ttl = 200 * time.Millisecond
	}
	s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.PolicyCacheTTL, c.ConfigCacheTTL = ttl, ttl })
	a := newTeam(t, s, "alpha")
	other, err := sdk.Open(context.Background(), sdk.Config{DatabaseURL: db.URL, DataDir: t.TempDir(), PolicyCacheTTL: ttl, ConfigCacheTTL: ttl})
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	ctx, err := other.AsMember(context.Background(), "alpha", "alpha-member")
	require.NoError(t, err)
	return a, other, ctx
}

// A disabled status is refused at once on the instance that disabled it.
func TestConfigChangeIsImmediateLocally(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.ConfigCacheTTL = time.Hour })
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Mover")
		ctx, err := s.Lanes.AsMember(context.Background(), "alpha", "alpha-member")
		require.NoError(t, err)
		_, err = s.Lanes.Workflows.Board(ctx, "website", workflow.BoardOptions{}) // cached now
		require.NoError(t, err)
		require.Empty(t, sdktest.Op(t, a.admin, "SetStatusEnabled", map[string]any{
			"workflow": "website", "status": "interest", "enabled": false,
		}).Errors)
		_, err = s.Lanes.Workflows.MoveProject(ctx, workflow.MoveProjectInput{ID: pulid.ID(p.ID), To: "interest"})
		require.ErrorIs(t, err, workflow.ErrStatusDisabled)
	})
}

// A replica whose cached configuration still shows a status enabled cannot
// move a project into it once it is disabled: the move's UPDATE checks the
// committed status row.
func TestMoveIntoStatusDisabledElsewhere(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Mover")
		other, err := sdk.Open(context.Background(), sdk.Config{DatabaseURL: db.URL, DataDir: t.TempDir(), ConfigCacheTTL: time.Hour})
		require.NoError(t, err)
		t.Cleanup(func() { _ = other.Close() })
		ctx, err := other.AsMember(context.Background(), "alpha", "alpha-member")
		require.NoError(t, err)
		_, err = other.Workflows.Board(ctx, "website", workflow.BoardOptions{}) // "interest" cached as enabled
		require.NoError(t, err)
		require.Empty(t, sdktest.Op(t, a.admin, "SetStatusEnabled", map[string]any{
			"workflow": "website", "status": "interest", "enabled": false,
		}).Errors)
		_, err = other.Workflows.MoveProject(ctx, workflow.MoveProjectInput{ID: pulid.ID(p.ID), To: "interest"})
		require.ErrorIs(t, err, workflow.ErrStatusDisabled)
		got, err := other.Client().Project.Get(ctx, pulid.ID(p.ID))
		require.NoError(t, err)
		require.Equal(t, 1, got.Version, "nothing written")
	})
}
