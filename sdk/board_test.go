package sdk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/sdk/workflow/rank"
)

func TestBoardPaging(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		var lead []string
		for i := range 7 {
			lead = append(lead, create(t, a.member, "website", fmt.Sprintf("Lead %d", i), map[string]any{
				"customer": map[string]any{"name": fmt.Sprintf("Customer %d", i), "company": "Co"},
			}).ID)
		}
		create(t, a.member, "website", "Done one", map[string]any{"status": "done"})

		b := readBoard(t, a.member, "website", 3)
		require.Equal(t, "website", b.Board.Workflow.Key)
		require.Equal(t, []string{"lead", "interest", "preparation", "approval", "assign", "creation", "audit", "feedback", "revision", "publish", "change", "done", "redesign"}, b.columnKeys())
		col := b.Board.Columns[0]
		require.Equal(t, 7, col.TotalCount)
		require.Equal(t, lead[:3], b.column("lead"))
		require.True(t, col.Projects.PageInfo.HasNextPage)
		require.Equal(t, "Customer 0", col.Projects.Edges[0].Node.Customer.Name)
		require.Equal(t, 1, b.Board.Columns[11].TotalCount)
		require.False(t, b.Board.Columns[11].Projects.PageInfo.HasNextPage)
		require.Zero(t, b.Board.Columns[1].TotalCount)
		require.Empty(t, b.Board.Columns[1].Projects.Edges)

		// Load more of one column with its endCursor.
		cursor := *col.Projects.PageInfo.EndCursor
		var page struct {
			BoardColumn struct {
				Status     struct{ Key string }
				TotalCount int
				Projects   struct {
					Edges []struct {
						Cursor string
						Node   struct{ ID string }
					}
					PageInfo struct {
						HasNextPage bool
						EndCursor   *string
					}
				}
			}
		}
		var got []string
		for {
			sdktest.Op(t, a.member, "BoardColumn", map[string]any{"workflow": "website", "status": "lead", "first": 3, "after": cursor}).Decode(t, &page)
			require.Equal(t, 7, page.BoardColumn.TotalCount)
			for _, e := range page.BoardColumn.Projects.Edges {
				got = append(got, e.Node.ID)
			}
			if !page.BoardColumn.Projects.PageInfo.HasNextPage {
				break
			}
			cursor = *page.BoardColumn.Projects.PageInfo.EndCursor
		}
		require.Equal(t, lead[3:], got)

		requireCode(t, sdktest.Op(t, a.member, "BoardColumn", map[string]any{"workflow": "website", "status": "lead", "first": 3, "after": "garbage"}), "VALIDATION")
		requireCode(t, sdktest.Op(t, a.member, "BoardColumn", map[string]any{"workflow": "website", "status": "lead", "first": 101}), "VALIDATION")
		// A whole board of such pages is refused before anything runs.
		requireCode(t, sdktest.Op(t, a.member, "Board", map[string]any{"workflow": "website", "first": 101}), "QUERY_TOO_COMPLEX")
		requireCode(t, sdktest.Op(t, a.member, "Board", map[string]any{"workflow": "nope", "first": 1}), "NOT_FOUND")
		requireCode(t, sdktest.Op(t, s.Anonymous, "Board", map[string]any{"workflow": "website", "first": 1}), "UNAUTHENTICATED")
		// Viewers read the board.
		require.Len(t, readBoard(t, a.viewer, "website", 1).column("lead"), 1)
	})
}

// seedColumns writes cards straight through ent: perColumn cards in each of
// the website workflow's 13 columns of the tenant.
func seedColumns(t testing.TB, l *sdk.Lanes, tenantRef string, perColumn int) {
	t.Helper()
	ctx, err := l.AsPlatform(context.Background(), tenantRef)
	require.NoError(t, err)
	c := l.Client()
	w, err := c.Workflow.Query().Where(entworkflow.Key("website")).Only(ctx)
	require.NoError(t, err)
	statuses, err := c.Status.Query().Where(status.WorkflowID(w.ID)).All(ctx)
	require.NoError(t, err)
	ranks, err := rank.N("", "", perColumn)
	require.NoError(t, err)
	cu, err := c.Customer.Create().SetName("Bulk customer").Save(ctx)
	require.NoError(t, err)
	for _, st := range statuses {
		const batch = 500
		for start := 0; start < perColumn; start += batch {
			var builders []*ent.ProjectCreate
			for i := start; i < min(start+batch, perColumn); i++ {
				builders = append(builders, c.Project.Create().
					SetWorkflowID(w.ID).SetStatusID(st.ID).SetCustomerID(cu.ID).
					SetTitle(fmt.Sprintf("%s %d", st.Key, i)).SetRank(ranks[i]))
			}
			require.NoError(t, c.Project.CreateBulk(builders...).Exec(ctx))
		}
	}
}

// The board costs a fixed number of SQL statements whatever the number of
// columns and cards (13 columns x 500 cards here).
func TestBoardQueryCount(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		var counter lanestest.StatementCounter
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.WrapDriver = counter.Wrap })
		a := newTeam(t, s, "alpha")
		ctx, err := s.Lanes.AsMember(context.Background(), "alpha", "alpha-member")
		require.NoError(t, err)
		first := 20

		measure := func() []string {
			return counter.Record(func() {
				b, err := s.Lanes.Workflows.Board(ctx, "website", workflow.BoardOptions{First: &first, OpenTodos: true})
				require.NoError(t, err)
				require.Len(t, b.Columns, 13)
			})
		}
		seedColumns(t, s.Lanes, "alpha", 1)
		cold := measure() // loads the tenant's workflows into the cache
		small := measure()
		require.Len(t, cold, len(small)+3, "a cold board adds the workflows, statuses and automations")
		seedColumns(t, s.Lanes, "alpha", 499)
		large := measure()
		t.Logf("board statements (%d):\n%s", len(large), strings.Join(shorten(large), "\n"))
		require.Len(t, large, len(small), "the statement count must not depend on the number of cards")
		require.LessOrEqual(t, len(large), 3, "counts; cards with their open to-dos; customers")

		// Through the HTTP handler: the same, plus the credential lookup.
		var res *lanestest.Response
		viaHTTP := counter.Record(func() {
			res = sdktest.Op(t, a.member, "Board", map[string]any{"workflow": "website", "first": first})
		})
		var b boardView
		res.Decode(t, &b)
		for _, col := range b.Board.Columns {
			require.Equal(t, 500, col.TotalCount)
			require.Len(t, col.Projects.Edges, first)
			require.True(t, col.Projects.PageInfo.HasNextPage)
			require.Equal(t, "Bulk customer", col.Projects.Edges[0].Node.Customer.Name)
		}
		// The member was resolved (and cached) by AsMember above, so
		// GraphQL adds no statement at all.
		require.Len(t, viaHTTP, len(large), "GraphQL adds nothing:\n%s", strings.Join(shorten(viaHTTP), "\n"))
	})
}

// shorten keeps the start of each statement, for readable logs.
func shorten(stmts []string) []string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		if len(s) > 240 {
			s = s[:240] + "..."
		}
		out[i] = s
	}
	return out
}

// Cards that share a rank, or whose ranks grew long from many drops at one
// spot, make the engine renumber that column once; order is kept.
func TestRenumberColumn(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		ctx, err := s.Lanes.AsPlatform(context.Background(), "alpha")
		require.NoError(t, err)
		c := s.Lanes.Client()
		var ids []string
		for _, title := range []string{"A", "B", "C"} {
			ids = append(ids, create(t, a.member, "website", title).ID)
		}
		x := create(t, a.member, "website", "X", map[string]any{"status": "done"})
		// Force a collision: B takes A's rank; the order stays A, B by ID.
		pa, err := c.Project.Get(ctx, pulidOf(ids[0]))
		require.NoError(t, err)
		require.NoError(t, c.Project.UpdateOneID(pulidOf(ids[1])).SetRank(pa.Rank).Exec(ctx))
		require.Equal(t, ids, readBoard(t, a.member, "website", 10).column("lead"))
		require.Empty(t, move(t, a.member, x.ID, "lead", map[string]any{"after": ids[0]}).Errors)
		require.Equal(t, []string{ids[0], x.ID, ids[1], ids[2]}, readBoard(t, a.member, "website", 10).column("lead"))

		// Overlong neighbour ranks.
		long := "a1" + strings.Repeat("V", 198)
		require.NoError(t, c.Project.UpdateOneID(pulidOf(ids[1])).SetRank(long).Exec(ctx))
		require.NoError(t, c.Project.UpdateOneID(pulidOf(ids[2])).SetRank(long+"V").Exec(ctx))
		y := create(t, a.member, "website", "Y", map[string]any{"status": "done"})
		require.Empty(t, move(t, a.member, y.ID, "lead", map[string]any{"after": ids[1]}).Errors)
		require.Equal(t, []string{ids[0], x.ID, ids[1], y.ID, ids[2]}, readBoard(t, a.member, "website", 10).column("lead"))
		for _, id := range append(ids, x.ID, y.ID) {
			p, err := c.Project.Get(ctx, pulidOf(id))
			require.NoError(t, err)
			require.Less(t, len(p.Rank), 20, "renumbered ranks are short")
		}
	})
}

func pulidOf(s string) pulid.ID { return pulid.ID(s) }

// A move costs a fixed number of statements whatever the column sizes; the
// test lists them so a change in the count is seen.
func TestMoveStatements(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		var counter lanestest.StatementCounter
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.WrapDriver = counter.Wrap })
		// Connecting, the listener drops every cached configuration:
		// before the configuration is cached, not during the move.
		s.Lanes.WaitListening(t)
		a := newTeam(t, s, "alpha")
		seedColumns(t, s.Lanes, "alpha", 50)
		require.Empty(t, sdktest.Op(t, a.admin, "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "interest", "on": "ENTER", "todos": []map[string]any{{"title": "Call", "blocking": true}},
		}}).Errors)
		ctx, err := s.Lanes.AsMember(context.Background(), "alpha", "alpha-member")
		require.NoError(t, err)
		p := create(t, a.member, "website", "Mover")
		stmts := counter.Record(func() {
			_, err := s.Lanes.Workflows.MoveProject(ctx, workflow.MoveProjectInput{ID: pulid.ID(p.ID), To: "interest"})
			require.NoError(t, err)
		})
		t.Logf("move statements (%d):\n%s", len(stmts), strings.Join(shorten(stmts), "\n"))
		// The events (project.moved, the to-do's todo.created) are one
		// statement at commit on PostgreSQL; SQLite bumps the tenant's
		// counter first.
		want := 6
		if db.Name == "sqlite" {
			want = 7
		}
		require.Len(t, stmts, want, "lock, neighbour rank, update, history, automation's to-dos, events")

		// Through GraphQL the same: the response's status comes with the
		// moved project.
		q := create(t, a.member, "website", "Mover 2")
		viaHTTP := counter.Record(func() {
			res := sdktest.Op(t, a.member, "MoveProject", map[string]any{"input": map[string]any{"id": q.ID, "to": "interest"}})
			require.Empty(t, res.Errors)
		})
		require.Len(t, viaHTTP, len(stmts), "%s", strings.Join(shorten(viaHTTP), "\n"))
	})
}
