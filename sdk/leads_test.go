package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

func TestLeadActions(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		op := func(c lanestest.Client, name string, vars map[string]any) *lanestest.Response {
			return sdktest.Op(t, c, name, vars)
		}
		lead := create(t, a.member, "leads", "Roofing site")
		progress := func(id, key string) *lanestest.Response {
			return op(a.member, "SetProgress", map[string]any{"id": id, "progress": key, "note": "called twice"})
		}

		// Progress only while active.
		requireCode(t, progress(lead.ID, "contacted"), "TRANSITION_NOT_ALLOWED")
		requireCode(t, op(a.member, "SecureProject", map[string]any{"id": lead.ID}), "TRANSITION_NOT_ALLOWED")
		requireCode(t, op(a.viewer, "AcceptLead", map[string]any{"id": lead.ID}), "FORBIDDEN")
		requireCode(t, op(b.member, "AcceptLead", map[string]any{"id": lead.ID}), "NOT_FOUND")

		got := moved(t, op(a.member, "AcceptLead", map[string]any{"id": lead.ID}), "acceptLead")
		require.Equal(t, "active", got.Status.Key)
		require.Equal(t, 2, got.Version)
		requireCode(t, op(a.member, "AcceptLead", map[string]any{"id": lead.ID}), "TRANSITION_NOT_ALLOWED")

		var prog struct {
			SetProgress struct {
				ID       string
				Progress struct{ Key, Name, UpdatedAt string }
			}
		}
		progress(lead.ID, "contacted").Decode(t, &prog)
		require.Equal(t, "Contacted", prog.SetProgress.Progress.Name)
		progress(lead.ID, "proposal_sent").Decode(t, &prog)
		require.Equal(t, "proposal_sent", prog.SetProgress.Progress.Key)
		require.Equal(t, "Proposal sent", prog.SetProgress.Progress.Name)
		require.NotEmpty(t, prog.SetProgress.Progress.UpdatedAt)
		e := requireCode(t, progress(lead.ID, "bribed"), "VALIDATION")
		require.Equal(t, "progress", e.Extensions["field"])
		v := view(t, a.member, lead.ID)
		require.Equal(t, "proposal_sent", v.Node.Progress.Key) // the latest one
		require.Equal(t, 4, v.Node.Version)

		// The board shows the progress on the card.
		board := readBoard(t, a.member, "leads", 10)
		for _, col := range board.Board.Columns {
			if col.Status.Key == "active" {
				require.Equal(t, "Proposal sent", col.Projects.Edges[0].Node.Progress.Name)
			}
		}

		got = moved(t, op(a.member, "SecureProject", map[string]any{"id": lead.ID}), "secureProject")
		require.Equal(t, "secured", got.Status.Key)
		requireCode(t, progress(lead.ID, "other"), "TRANSITION_NOT_ALLOWED")
		requireCode(t, op(a.member, "DeclineLead", map[string]any{"id": lead.ID, "reason": "OTHER"}), "TRANSITION_NOT_ALLOWED")
		require.Equal(t, []string{"create:new", "accept:active", "secure:secured"}, historyActions(view(t, a.member, lead.ID)))

		// Declining archives with the reason, from new and from active.
		fresh := create(t, a.member, "leads", "Cheap lead")
		var declined struct {
			DeclineLead struct {
				ID            string
				Version       int
				Archived      bool
				ArchiveReason string
				Status        struct{ Key string }
			}
		}
		op(a.member, "DeclineLead", map[string]any{"id": fresh.ID, "reason": "BUDGET_TOO_LOW", "note": "under 500"}).Decode(t, &declined)
		require.True(t, declined.DeclineLead.Archived)
		require.Equal(t, "BUDGET_TOO_LOW", declined.DeclineLead.ArchiveReason)
		require.Equal(t, "declined", declined.DeclineLead.Status.Key)
		h := view(t, a.member, fresh.ID).Node.History
		require.Equal(t, "decline", h[1].Action)
		require.Equal(t, "BUDGET_TOO_LOW", *h[1].Reason)
		require.Equal(t, "under 500", *h[1].Note)

		active := create(t, a.member, "leads", "Talked lead")
		moved(t, op(a.member, "AcceptLead", map[string]any{"id": active.ID}), "acceptLead")
		op(a.member, "DeclineLead", map[string]any{"id": active.ID, "reason": "CUSTOMER_DECLINED"}).Decode(t, &declined)
		require.Equal(t, "CUSTOMER_DECLINED", declined.DeclineLead.ArchiveReason)
		requireCode(t, op(a.member, "DeclineLead", map[string]any{"id": active.ID, "reason": "NOT_A_REASON"}), "VALIDATION")

		// Archived projects are out of the game: no moves, no actions, not
		// on the board, still listed with a filter.
		requireCode(t, move(t, a.member, fresh.ID, "active"), "ARCHIVED")
		requireCode(t, op(a.member, "AcceptLead", map[string]any{"id": fresh.ID}), "ARCHIVED")
		board = readBoard(t, a.member, "leads", 10)
		require.Empty(t, board.column("declined"))
		for _, col := range board.Board.Columns {
			if col.Status.Key == "declined" {
				require.Zero(t, col.TotalCount)
			}
		}
		var list struct {
			Projects struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		op(a.member, "Projects", map[string]any{"first": 10, "where": map[string]any{"archived": true}}).Decode(t, &list)
		require.Equal(t, 2, list.Projects.TotalCount)
		op(a.member, "Projects", map[string]any{"first": 10, "where": map[string]any{"archiveReason": "BUDGET_TOO_LOW"}}).Decode(t, &list)
		require.Equal(t, 1, list.Projects.TotalCount)
		require.Equal(t, fresh.ID, list.Projects.Edges[0].Node.ID)
	})
}
