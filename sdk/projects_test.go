package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

func TestCreateProject(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")

		p := create(t, a.member, "website", "  Bakery site  ", map[string]any{
			"customer": map[string]any{"name": "Bea Baker", "company": "Bakery", "email": "bea@bakery.example"},
		})
		require.Regexp(t, `^prj_`, p.ID)
		require.Equal(t, "Bakery site", p.Title)
		require.Equal(t, 1, p.Version)
		require.Equal(t, "lead", p.Status.Key)
		require.Equal(t, "Lead", p.Status.Name)
		require.Equal(t, "website", p.Workflow.Key)
		require.Equal(t, "Bea Baker", p.Customer.Name)

		v := view(t, a.member, p.ID)
		require.Len(t, v.Node.History, 1)
		require.Equal(t, "create", v.Node.History[0].Action)
		require.Nil(t, v.Node.History[0].From)
		require.Equal(t, "lead", v.Node.History[0].To.Key)
		require.Regexp(t, `^member:mem_`, v.Node.History[0].Actor)

		// The same e-mail links the same customer; an ID links explicitly.
		p2 := create(t, a.member, "website", "Bakery shop", map[string]any{
			"customer": map[string]any{"name": "Someone else", "email": "BEA@bakery.example"},
		})
		require.Equal(t, p.Customer.ID, p2.Customer.ID)
		p3 := create(t, a.member, "website", "Bakery app", map[string]any{
			"customer": map[string]any{"id": p.Customer.ID, "name": "ignored"},
		})
		require.Equal(t, p.Customer.ID, p3.Customer.ID)

		// An initial status may be given.
		p4 := create(t, a.platform, "website", "Redesign", map[string]any{"status": "redesign"})
		require.Equal(t, "redesign", p4.Status.Key)

		// With Lead disabled, new projects start in the next enabled status.
		q := create(t, a.member, "website", "Temp")
		require.Empty(t, move(t, a.member, q.ID, "interest").Errors)
		for _, id := range []string{p.ID, p2.ID, p3.ID} {
			require.Empty(t, move(t, a.member, id, "interest").Errors)
		}
		require.Empty(t, sdktest.Op(t, a.admin, "SetStatusEnabled", map[string]any{"workflow": "website", "status": "lead", "enabled": false}).Errors)
		p5 := create(t, a.member, "website", "After disabling")
		require.Equal(t, "interest", p5.Status.Key)

		in := func(extra map[string]any) map[string]any {
			m := map[string]any{"workflow": "website", "title": "x"}
			for k, v := range extra {
				m[k] = v
			}
			return map[string]any{"input": m}
		}
		for _, tc := range []struct {
			name   string
			client lanestest.Client
			input  map[string]any
			code   string
		}{
			{"disabled status", a.member, in(map[string]any{"status": "lead"}), "STATUS_DISABLED"},
			{"unknown status", a.member, in(map[string]any{"status": "nope"}), "NOT_FOUND"},
			{"unknown workflow", a.member, in(map[string]any{"workflow": "nope"}), "NOT_FOUND"},
			{"viewer", a.viewer, in(nil), "FORBIDDEN"},
			{"blank title", a.member, in(map[string]any{"title": "   "}), "VALIDATION"},
			{"customer without name", a.member, in(map[string]any{"customer": map[string]any{"name": ""}}), "VALIDATION"},
			{"bad customer email", a.member, in(map[string]any{"customer": map[string]any{"name": "C", "email": "nope"}}), "VALIDATION"},
			{"another tenant's customer", b.member, in(map[string]any{"customer": map[string]any{"id": p.Customer.ID, "name": "x"}}), "NOT_FOUND"},
			{"another tenant's customer, as a viewer", b.viewer, in(map[string]any{"customer": map[string]any{"id": p.Customer.ID, "name": "x"}}), "NOT_FOUND"},
			{"STRICT workflow starts at its first status", a.member, in(map[string]any{"workflow": "leads", "status": "active"}), "TRANSITION_NOT_ALLOWED"},
			{"anonymous", s.Anonymous, in(nil), "UNAUTHENTICATED"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				requireCode(t, sdktest.Op(t, tc.client, "CreateProject", tc.input), tc.code)
			})
		}
		// Nothing of the refusals was written.
		var list struct{ Projects struct{ TotalCount int } }
		sdktest.Op(t, a.member, "Projects", map[string]any{"first": 50}).Decode(t, &list)
		require.Equal(t, 6, list.Projects.TotalCount)
		sdktest.Op(t, b.member, "Projects", map[string]any{"first": 50}).Decode(t, &list)
		require.Zero(t, list.Projects.TotalCount)
	})
}

func TestMoveProjectFree(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		p := create(t, a.member, "website", "Site")

		// Any enabled status, in any direction.
		for i, to := range []string{"done", "preparation", "lead", "change"} {
			got := moved(t, move(t, a.member, p.ID, to), "moveProject")
			require.Equal(t, to, got.Status.Key)
			require.Equal(t, i+2, got.Version)
		}
		v := view(t, a.member, p.ID)
		require.Equal(t, []string{"create:lead", "move:done", "move:preparation", "move:lead", "move:change"}, historyActions(v))
		require.Equal(t, "done", v.Node.History[2].From.Key)

		// A move to the current status without a position is a no-op.
		got := moved(t, move(t, a.member, p.ID, "change"), "moveProject")
		require.Equal(t, 5, got.Version)
		require.Len(t, view(t, a.member, p.ID).Node.History, 5)

		// A stale expectedVersion is a CONFLICT carrying the current one.
		e := requireCode(t, move(t, a.member, p.ID, "done", map[string]any{"expectedVersion": 3}), "CONFLICT")
		require.EqualValues(t, 5, e.Extensions["currentVersion"])
		got = moved(t, move(t, a.member, p.ID, "done", map[string]any{"expectedVersion": 5, "reason": "shipped", "note": "all good"}), "moveProject")
		require.Equal(t, 6, got.Version)
		last := view(t, a.member, p.ID).Node.History[5]
		require.Equal(t, "shipped", *last.Reason)
		require.Equal(t, "all good", *last.Note)

		other := create(t, b.member, "website", "Theirs")
		requireCode(t, move(t, a.member, p.ID, "nope"), "NOT_FOUND")
		requireCode(t, move(t, a.viewer, p.ID, "lead"), "FORBIDDEN")
		requireCode(t, move(t, a.member, other.ID, "done"), "NOT_FOUND")
		requireCode(t, move(t, a.viewer, other.ID, "done"), "NOT_FOUND") // existence before role
		requireCode(t, move(t, a.member, p.ID, "lead", map[string]any{"after": other.ID}), "NOT_FOUND")

		require.Empty(t, sdktest.Op(t, a.admin, "SetStatusEnabled", map[string]any{"workflow": "website", "status": "audit", "enabled": false}).Errors)
		requireCode(t, move(t, a.member, p.ID, "audit"), "STATUS_DISABLED")

		// Refusals wrote nothing.
		v = view(t, a.member, p.ID)
		require.Equal(t, 6, v.Node.Version)
		require.Equal(t, "done", v.Node.Status.Key)
		require.Len(t, v.Node.History, 6)
		require.Equal(t, "lead", view(t, b.member, other.ID).Node.Status.Key)
	})
}

func TestMoveProjectStrict(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "leads", "Lead")
		require.Equal(t, "new", p.Status.Key)

		requireCode(t, move(t, a.member, p.ID, "secured"), "TRANSITION_NOT_ALLOWED")
		requireCode(t, move(t, a.member, p.ID, "completed"), "TRANSITION_NOT_ALLOWED")
		e := requireCode(t, move(t, a.member, p.ID, "declined"), "TRANSITION_NOT_ALLOWED")
		require.Contains(t, e.Message, "declineLead")
		require.Equal(t, "declineLead", e.Extensions["mutation"])

		// The transitions that need nothing may be dragged: accept, secure.
		got := moved(t, move(t, a.member, p.ID, "active"), "moveProject")
		require.Equal(t, "active", got.Status.Key)
		requireCode(t, move(t, a.member, p.ID, "new"), "TRANSITION_NOT_ALLOWED")
		got = moved(t, move(t, a.member, p.ID, "secured"), "moveProject")
		require.Equal(t, "secured", got.Status.Key)
		e = requireCode(t, move(t, a.member, p.ID, "completed"), "TRANSITION_NOT_ALLOWED")
		require.Contains(t, e.Message, "completeProject")
		// The history names the transitions' actions.
		require.Equal(t, []string{"create:new", "accept:active", "secure:secured"}, historyActions(view(t, a.member, p.ID)))
	})
}

func TestAdvanceProject(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		advance := func(id string, version ...int) *lanestest.Response {
			vars := map[string]any{"id": id}
			if len(version) > 0 {
				vars["expectedVersion"] = version[0]
			}
			return sdktest.Op(t, a.member, "AdvanceProject", vars)
		}
		p := create(t, a.member, "website", "Site")
		chain := []string{"interest", "preparation", "approval", "assign", "creation", "audit", "feedback", "revision", "publish", "done"}
		for i, want := range chain {
			got := moved(t, advance(p.ID, i+1), "advanceProject")
			require.Equal(t, want, got.Status.Key)
			require.Equal(t, i+2, got.Version)
		}
		requireCode(t, advance(p.ID), "TRANSITION_NOT_ALLOWED") // nothing after Done
		actions := historyActions(view(t, a.member, p.ID))
		require.Equal(t, "advance:interest", actions[1])
		require.Len(t, actions, 11)

		// Redesign and Change have their own next status.
		r := create(t, a.member, "website", "Redo", map[string]any{"status": "redesign"})
		require.Equal(t, "preparation", moved(t, advance(r.ID), "advanceProject").Status.Key)
		c := create(t, a.member, "website", "Change", map[string]any{"status": "change"})
		require.Equal(t, "done", moved(t, advance(c.ID), "advanceProject").Status.Key)

		// Disabled statuses are skipped along the chain.
		for _, key := range []string{"interest", "approval", "assign"} {
			require.Empty(t, sdktest.Op(t, a.admin, "SetStatusEnabled", map[string]any{"workflow": "website", "status": key, "enabled": false}).Errors)
		}
		q := create(t, a.member, "website", "Skipper")
		require.Equal(t, "preparation", moved(t, advance(q.ID), "advanceProject").Status.Key)
		require.Equal(t, "creation", moved(t, advance(q.ID), "advanceProject").Status.Key)

		requireCode(t, advance(q.ID, 1), "CONFLICT")
		requireCode(t, sdktest.Op(t, a.viewer, "AdvanceProject", map[string]any{"id": q.ID}), "FORBIDDEN")

		// STRICT workflows advance along their declared transitions.
		l := create(t, a.member, "leads", "Lead")
		got := moved(t, advance(l.ID), "advanceProject")
		require.Equal(t, "active", got.Status.Key)
		require.Equal(t, "secured", moved(t, advance(l.ID), "advanceProject").Status.Key)
		requireCode(t, advance(l.ID), "TRANSITION_NOT_ALLOWED") // completing needs a payment
		require.Equal(t, []string{"create:new", "accept:active", "secure:secured"}, historyActions(view(t, a.member, l.ID)))
	})
}
