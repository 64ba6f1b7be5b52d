package sdk_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// N clients move one project with the same expectedVersion: exactly one
// wins, the others get CONFLICT, and one history row is written.
func TestConcurrentMovesWithExpectedVersion(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.MaxOpenConns = 16 })
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Contended")
		targets := []string{"interest", "preparation", "approval", "assign", "creation", "audit", "feedback", "revision"}

		var wg sync.WaitGroup
		codes := make([]string, len(targets))
		for i, to := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := sendMove(a.member, p.ID, to, map[string]any{"expectedVersion": 1})
				switch {
				case err != nil:
					codes[i] = err.Error()
				case len(res.Errors) == 0:
					codes[i] = "OK"
				default:
					codes[i] = res.Errors[0].Code()
				}
			}()
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, c := range codes {
			switch c {
			case "OK":
				ok++
			case "CONFLICT":
				conflicts++
			}
		}
		require.Equal(t, 1, ok, "%v", codes)
		require.Equal(t, len(targets)-1, conflicts, "%v", codes)
		v := view(t, a.member, p.ID)
		require.Equal(t, 2, v.Node.Version)
		require.Len(t, v.Node.History, 2)
		require.Equal(t, v.Node.Status.Key, v.Node.History[1].To.Key)
	})
}

// Unconditional concurrent moves all apply, one after the other: the
// history shows every one, chained, and agrees with the version.
func TestConcurrentMovesWithoutExpectedVersion(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.MaxOpenConns = 16 })
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Busy")
		targets := []string{"interest", "preparation", "approval", "assign", "creation", "audit", "feedback", "revision", "publish", "change"}
		var wg sync.WaitGroup
		errs := make(chan string, len(targets))
		for _, to := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := sendMove(a.member, p.ID, to)
				switch {
				case err != nil:
					errs <- err.Error()
				case len(res.Errors) > 0:
					errs <- res.Errors[0].Message
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("move failed: %s", e)
		}
		v := view(t, a.member, p.ID)
		require.Equal(t, len(targets)+1, v.Node.Version)
		require.Len(t, v.Node.History, len(targets)+1)
		seen := map[string]bool{}
		for i := 1; i < len(v.Node.History); i++ {
			h := v.Node.History[i]
			require.Equal(t, v.Node.History[i-1].To.Key, h.From.Key, "each move starts where the previous ended")
			seen[h.To.Key] = true
		}
		require.Len(t, seen, len(targets))
		require.Equal(t, v.Node.History[len(targets)].To.Key, v.Node.Status.Key)
	})
}

// A move waiting on one project's row lock does not hold up moves of other
// projects (PostgreSQL locks rows; SQLite has a single writer, so there
// the second move waits its turn and both complete).
func TestMovesOfDifferentProjectsDoNotBlock(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		p1 := create(t, a.member, "website", "Locked")
		p2 := create(t, a.member, "website", "Free")
		if db.Name != "postgres" {
			require.Empty(t, move(t, a.member, p1.ID, "interest").Errors)
			require.Empty(t, move(t, a.member, p2.ID, "interest").Errors)
			return
		}
		ctx := context.Background()
		tx, err := s.Lanes.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		defer tx.Rollback()
		_, err = tx.ExecContext(ctx, "SELECT id FROM projects WHERE id = $1 FOR UPDATE", p1.ID)
		require.NoError(t, err)

		type result struct {
			res *lanestest.Response
			err error
		}
		blocked := make(chan result, 1)
		go func() {
			res, err := sendMove(a.member, p1.ID, "interest")
			blocked <- result{res, err}
		}()
		// The first move is waiting for the row lock, as PostgreSQL says.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			var waiting int
			require.NoError(c, s.Lanes.DB().QueryRowContext(ctx,
				"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting))
			assert.Equal(c, 1, waiting)
		}, time.Minute, 10*time.Millisecond)

		require.Empty(t, move(t, a.member, p2.ID, "interest").Errors, "a move of another project does not wait")
		select {
		case r := <-blocked:
			t.Fatalf("the move of the locked project should wait for the lock: %+v %v", r.res, r.err)
		default:
		}
		require.NoError(t, tx.Rollback())
		r := <-blocked
		require.NoError(t, r.err)
		require.Empty(t, r.res.Errors)
	})
}

// The Go SDK reaches the same engine with the same rules and error codes.
func TestEngineThroughSDK(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		newTeam(t, s, "alpha")
		l := s.Lanes
		ctx, err := l.AsMember(context.Background(), "alpha", "alpha-member")
		require.NoError(t, err)
		viewerCtx, err := l.AsMember(context.Background(), "alpha", "alpha-viewer")
		require.NoError(t, err)

		p, err := l.Workflows.CreateProject(ctx, workflow.CreateProjectInput{
			Workflow: "website", Title: "Via SDK",
			Customer: &workflow.CustomerInput{Name: "Go Customer"},
		})
		require.NoError(t, err)
		require.NotNil(t, p.CustomerID)
		one := 1
		p, err = l.Workflows.MoveProject(ctx, workflow.MoveProjectInput{ID: p.ID, To: "done", ExpectedVersion: &one})
		require.NoError(t, err)
		require.Equal(t, 2, p.Version)
		_, err = l.Workflows.MoveProject(ctx, workflow.MoveProjectInput{ID: p.ID, To: "lead", ExpectedVersion: &one})
		require.ErrorIs(t, err, workflow.ErrVersionConflict)
		e, _ := errcode.As(err)
		require.Equal(t, 2, e.Details["currentVersion"])
		_, err = l.Workflows.AdvanceProject(ctx, p.ID, nil)
		require.ErrorIs(t, err, workflow.ErrNoNextStatus)
		require.Equal(t, errcode.TransitionNotAllowed, errcode.CodeOf(err))
		_, err = l.Workflows.MoveProject(viewerCtx, workflow.MoveProjectInput{ID: p.ID, To: "lead"})
		require.Equal(t, errcode.Forbidden, errcode.CodeOf(err))
		_, err = l.Workflows.MoveProject(ctx, workflow.MoveProjectInput{ID: pulid.New("prj_"), To: "lead"})
		require.ErrorIs(t, err, workflow.ErrProjectNotFound)
		_, err = l.Workflows.SetStatusEnabled(ctx, "website", "audit", false)
		require.Equal(t, errcode.Forbidden, errcode.CodeOf(err))
		_, err = l.Workflows.MoveProject(context.Background(), workflow.MoveProjectInput{ID: p.ID, To: "lead"})
		require.Equal(t, errcode.Unauthenticated, errcode.CodeOf(err))

		steps, err := l.Workflows.Steps(ctx, p)
		require.NoError(t, err)
		require.Len(t, steps, 13)
		require.Equal(t, workflow.StepCurrent, steps[11].State)
		require.Equal(t, workflow.StepDone, steps[10].State)
		require.Equal(t, workflow.StepUpcoming, steps[12].State)
		hist, err := l.Workflows.History(ctx, p)
		require.NoError(t, err)
		require.Len(t, hist, 2)

		b, err := l.Workflows.Board(viewerCtx, "website", workflow.BoardOptions{})
		require.NoError(t, err)
		require.Equal(t, 1, b.Columns[11].TotalCount)
	})
}
