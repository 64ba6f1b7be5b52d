package sdk_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

type noteOut struct {
	ID, Body  string
	Shared    bool
	CreatedAt string
	Author    struct{ ID, Name string }
}

func addNote(t *testing.T, c lanestest.Client, projectID, body string, shared bool) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "AddNote", map[string]any{"input": map[string]any{"projectId": projectID, "body": body, "shared": shared}})
}

func projectNotes(t *testing.T, c lanestest.Client, id string) []noteOut {
	t.Helper()
	var out struct {
		Node struct{ Notes []noteOut }
	}
	sdktest.Op(t, c, "ProjectNotes", map[string]any{"id": id}).Decode(t, &out)
	return out.Node.Notes
}

// portalNotes lists the shared notes of the customer's projects.
func portalNotes(t *testing.T, c lanestest.Client) []string {
	t.Helper()
	var out struct {
		Portal struct {
			Projects []struct {
				Notes []struct{ ID, Body string }
			}
		}
	}
	c.Do(t, `{ portal { projects { notes { id body } } } }`, nil).Decode(t, &out)
	bodies := []string{}
	for _, p := range out.Portal.Projects {
		for _, n := range p.Notes {
			bodies = append(bodies, n.Body)
		}
	}
	return bodies
}

func TestNotes(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		p := create(t, a.member, "website", "Site")
		other := create(t, a.member, "website", "Another site")
		customer := customerFor(t, s, a, p.ID, "c@example.com")

		requireCode(t, addNote(t, a.viewer, p.ID, "x", false), "FORBIDDEN")
		requireCode(t, addNote(t, a.platform, p.ID, "x", false), "FORBIDDEN")
		requireCode(t, addNote(t, b.member, p.ID, "x", false), "NOT_FOUND")
		requireCode(t, addNote(t, customer, p.ID, "x", false), "FORBIDDEN")
		e := requireCode(t, addNote(t, a.member, p.ID, "  ", false), "VALIDATION")
		require.Equal(t, "body", e.Extensions["field"])

		var added struct{ AddNote noteOut }
		addNote(t, a.member, p.ID, "Called them: they want blue", false).Decode(t, &added)
		internal := added.AddNote
		require.False(t, internal.Shared)
		require.NotEmpty(t, internal.Author.ID)
		require.Equal(t, "alpha-member", internal.Author.Name)
		addNote(t, a.admin, p.ID, "The first draft is ready", true).Decode(t, &added)
		shared := added.AddNote
		addNote(t, a.member, other.ID, "Another project's shared note", true).Decode(t, &added)

		notes := projectNotes(t, a.viewer, p.ID)
		require.Len(t, notes, 2, "the team reads all of a project's notes")
		require.Equal(t, internal.ID, notes[0].ID)
		require.Equal(t, shared.ID, notes[1].ID)
		require.Equal(t, []string{"The first draft is ready"}, portalNotes(t, customer), "the customer reads the shared ones of its projects only")
		requireCode(t, sdktest.Op(t, customer, "ProjectNotes", map[string]any{"id": p.ID}), "FORBIDDEN")
		for _, id := range []string{internal.ID, shared.ID} {
			requireCode(t, customer.Do(t, `query($id: ID!) { node(id: $id) { ... on Note { id body } } }`, map[string]any{"id": id}), "FORBIDDEN")
		}

		// Only its author edits a note; sharing it shows it in the portal.
		update := func(c lanestest.Client, in map[string]any) *lanestest.Response {
			return c.Do(t, `mutation($input: UpdateNoteInput!) { updateNote(input: $input) { id body shared } }`, map[string]any{"input": in})
		}
		requireCode(t, update(a.admin, map[string]any{"id": internal.ID, "shared": true}), "FORBIDDEN")
		requireCode(t, update(b.member, map[string]any{"id": internal.ID, "shared": true}), "NOT_FOUND")
		var edited struct{ UpdateNote noteOut }
		update(a.member, map[string]any{"id": internal.ID, "body": "Called them: they want blue and green", "shared": true}).Decode(t, &edited)
		require.Equal(t, "Called them: they want blue and green", edited.UpdateNote.Body)
		require.ElementsMatch(t, []string{"Called them: they want blue and green", "The first draft is ready"}, portalNotes(t, customer))

		// The notes are in the project's event trail.
		var trail struct {
			Events struct {
				Edges []struct{ Node struct{ Type string } }
			}
		}
		a.admin.Do(t, `query($id: ID!) { events(first: 50, projectId: $id) { edges { node { type } } } }`, map[string]any{"id": p.ID}).Decode(t, &trail)
		var types []string
		for _, e := range trail.Events.Edges {
			types = append(types, e.Node.Type)
		}
		require.Subset(t, types, []string{"note.added", "note.updated"})
	})
}

type updatedProject struct {
	UpdateProject struct {
		ID, Title string
		Version   int
		Assignee  *struct{ ID, Name string }
		Customer  *struct {
			ID, Name              string
			Company, Email, Phone *string
		}
	}
}

func TestUpdateProjectAndAssignees(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		ids := memberIDs(t, a.member)
		bIDs := memberIDs(t, b.member)
		p := create(t, a.member, "website", "Site", map[string]any{"customer": map[string]any{"name": "Ann", "email": "ann@example.com"}})
		q := create(t, a.member, "website", "Other")
		upd := func(c lanestest.Client, in map[string]any) *lanestest.Response {
			if _, ok := in["id"]; !ok {
				in["id"] = p.ID
			}
			return sdktest.Op(t, c, "UpdateProject", map[string]any{"input": in})
		}

		requireCode(t, upd(a.viewer, map[string]any{"title": "x"}), "FORBIDDEN")
		requireCode(t, upd(b.member, map[string]any{"title": "x"}), "NOT_FOUND")
		requireCode(t, upd(a.member, map[string]any{"title": " "}), "VALIDATION")
		requireCode(t, upd(a.member, map[string]any{"assigneeId": bIDs["beta-member"]}), "NOT_FOUND")
		e := requireCode(t, upd(a.member, map[string]any{"title": "x", "expectedVersion": 7}), "CONFLICT")
		require.EqualValues(t, 1, e.Extensions["currentVersion"])

		var out updatedProject
		upd(a.member, map[string]any{
			"title": "Bakery website", "assigneeId": ids["alpha-member"], "expectedVersion": 1,
			"customer": map[string]any{"name": "Ann Baker", "company": "Bakery", "email": "", "phone": "+49 30 1234"},
		}).Decode(t, &out)
		got := out.UpdateProject
		require.Equal(t, "Bakery website", got.Title)
		require.Equal(t, 2, got.Version)
		require.Equal(t, ids["alpha-member"], got.Assignee.ID)
		require.Equal(t, "Ann Baker", got.Customer.Name)
		require.Equal(t, "Bakery", *got.Customer.Company)
		require.Nil(t, got.Customer.Email, "an empty string clears the e-mail")
		require.Equal(t, "+49 30 1234", *got.Customer.Phone)
		upd(a.member, map[string]any{"id": q.ID, "assigneeId": ids["alpha-admin"]}).Decode(t, &out)

		// The board filtered by assignee.
		var board struct {
			Board struct {
				Columns []struct {
					TotalCount int
					Projects   struct {
						Edges []struct{ Node struct{ ID string } }
					}
				}
			}
		}
		a.member.Do(t, `query($a: ID) { board(workflow: "website", assignee: $a) { columns { totalCount projects { edges { node { id } } } } } }`,
			map[string]any{"a": ids["alpha-member"]}).Decode(t, &board)
		require.Equal(t, 1, board.Board.Columns[0].TotalCount)
		require.Equal(t, p.ID, board.Board.Columns[0].Projects.Edges[0].Node.ID)
		requireCode(t, a.member.Do(t, `query($a: ID) { board(workflow: "website", assignee: $a) { columns { totalCount } } }`,
			map[string]any{"a": bIDs["beta-member"]}), "NOT_FOUND")

		// Omitted fields stay; null removes the assignee.
		upd(a.member, map[string]any{"title": "Bakery site"}).Decode(t, &out)
		require.NotNil(t, out.UpdateProject.Assignee)
		upd(a.member, map[string]any{"assigneeId": nil}).Decode(t, &out)
		require.Nil(t, out.UpdateProject.Assignee)

		// A removed member is unassigned and cannot be assigned.
		removeMember(t, a.owner, ids["alpha-admin"]).Decode(t, &struct{}{})
		var assigned struct {
			Node struct{ Assignee *struct{ ID string } }
		}
		a.member.Do(t, `query($id: ID!) { node(id: $id) { ... on Project { assignee { id } } } }`, map[string]any{"id": q.ID}).Decode(t, &assigned)
		require.Nil(t, assigned.Node.Assignee)
		requireCode(t, upd(a.member, map[string]any{"assigneeId": ids["alpha-admin"]}), "NOT_FOUND")
	})
}

func TestTeamTodos(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		ids := memberIDs(t, a.member)
		p := create(t, a.member, "website", "Site", map[string]any{"status": "creation"})
		todo := func(c lanestest.Client, in map[string]any) *lanestest.Response {
			in["projectId"] = p.ID
			return sdktest.Op(t, c, "CreateTodo", map[string]any{"input": in})
		}
		requireCode(t, todo(a.viewer, map[string]any{"title": "x"}), "FORBIDDEN")
		requireCode(t, todo(a.member, map[string]any{"title": ""}), "VALIDATION")
		requireCode(t, todo(a.member, map[string]any{"title": "x", "assigneeId": "mem_nope"}), "NOT_FOUND")

		due := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		var out struct {
			CreateTodo struct {
				ID, Title      string
				Blocking, Done bool
				DueAt          *time.Time
				Assignee       *struct{ ID, Name string }
			}
		}
		todo(a.member, map[string]any{"title": "Build the menu page", "assigneeId": ids["alpha-admin"], "dueAt": due.Format(time.RFC3339), "blocking": true}).Decode(t, &out)
		got := out.CreateTodo
		require.True(t, got.Blocking)
		require.Equal(t, ids["alpha-admin"], got.Assignee.ID)
		require.True(t, due.Equal(*got.DueAt))

		requireCode(t, move(t, a.member, p.ID, "audit"), "CHECKLIST_INCOMPLETE")
		var done struct{ CompleteTodo struct{ Done bool } }
		sdktest.Op(t, a.member, "CompleteTodo", map[string]any{"id": got.ID}).Decode(t, &done)
		require.True(t, done.CompleteTodo.Done)
		var reopened struct{ ReopenTodo struct{ Done bool } }
		sdktest.Op(t, a.member, "ReopenTodo", map[string]any{"id": got.ID}).Decode(t, &reopened)
		require.False(t, reopened.ReopenTodo.Done)
		requireCode(t, sdktest.Op(t, a.viewer, "ReopenTodo", map[string]any{"id": got.ID}), "FORBIDDEN")
		requireCode(t, move(t, a.member, p.ID, "audit"), "CHECKLIST_INCOMPLETE")
		sdktest.Op(t, a.member, "CompleteTodo", map[string]any{"id": got.ID}).Decode(t, &done)
		require.Empty(t, move(t, a.member, p.ID, "audit").Errors)
	})
}

func TestProgressHistory(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		lead := create(t, a.member, "leads", "Lead")
		mustOp(t, a.member, "AcceptLead", map[string]any{"id": lead.ID})
		for _, key := range []string{"contacted", "call_booked", "proposal_sent"} {
			mustOp(t, a.member, "SetProgress", map[string]any{"id": lead.ID, "progress": key, "note": "step " + key})
		}
		var out struct {
			Node struct {
				Progress        struct{ Key string }
				ProgressHistory []struct{ Key, Name, Note string }
			}
		}
		a.member.Do(t, `query($id: ID!) { node(id: $id) { ... on Project { progress { key } progressHistory { key name note } } } }`, map[string]any{"id": lead.ID}).Decode(t, &out)
		require.Equal(t, "proposal_sent", out.Node.Progress.Key)
		require.Len(t, out.Node.ProgressHistory, 3)
		require.Equal(t, "Contacted", out.Node.ProgressHistory[0].Name)
		require.Equal(t, "Call booked", out.Node.ProgressHistory[1].Name)
		require.Equal(t, "step proposal_sent", out.Node.ProgressHistory[2].Note)
	})
}

// A declined lead is frozen until an admin reopens it.
func TestFrozenLeadAndReopen(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		lead := create(t, a.member, "leads", "Lead", map[string]any{"customer": map[string]any{"name": "Ann", "email": "ann@example.com"}})
		mustOp(t, a.member, "AcceptLead", map[string]any{"id": lead.ID})
		var todo struct{ CreateTodo struct{ ID string } }
		sdktest.Op(t, a.member, "CreateTodo", map[string]any{"input": map[string]any{"projectId": lead.ID, "title": "Call back"}}).Decode(t, &todo)
		mustOp(t, a.member, "DeclineLead", map[string]any{"id": lead.ID, "reason": "AT_CAPACITY"})

		now := time.Now().UTC()
		money := map[string]any{"amount": 1000, "currency": "EUR"}
		actions := map[string]func() *lanestest.Response{
			"startTimer": func() *lanestest.Response {
				return sdktest.Op(t, a.member, "StartTimer", map[string]any{"projectId": lead.ID})
			},
			"addTimeEntry": func() *lanestest.Response {
				return sdktest.Op(t, a.member, "AddTimeEntry", map[string]any{"input": map[string]any{
					"projectId": lead.ID, "startedAt": now.Add(-time.Hour).Format(time.RFC3339), "endedAt": now.Format(time.RFC3339),
				}})
			},
			"inviteCustomer": func() *lanestest.Response {
				return sdktest.Op(t, a.member, "InviteCustomer", map[string]any{"input": map[string]any{"projectId": lead.ID, "email": "ann@example.com"}})
			},
			"createPaymentLink": func() *lanestest.Response {
				return sdktest.Op(t, a.member, "CreatePaymentLink", map[string]any{"input": map[string]any{"projectId": lead.ID, "amount": money}})
			},
			"recordRevenueSharePayment": func() *lanestest.Response {
				return sdktest.Op(t, a.member, "RecordRevenueSharePayment", map[string]any{"input": map[string]any{"projectId": lead.ID, "amount": money}})
			},
			"createTodo": func() *lanestest.Response {
				return sdktest.Op(t, a.member, "CreateTodo", map[string]any{"input": map[string]any{"projectId": lead.ID, "title": "x"}})
			},
			"completeTodo": func() *lanestest.Response {
				return sdktest.Op(t, a.member, "CompleteTodo", map[string]any{"id": todo.CreateTodo.ID})
			},
			"addNote": func() *lanestest.Response { return addNote(t, a.member, lead.ID, "x", false) },
			"setProgress": func() *lanestest.Response {
				return sdktest.Op(t, a.member, "SetProgress", map[string]any{"id": lead.ID, "progress": "contacted"})
			},
			"moveProject": func() *lanestest.Response { return move(t, a.member, lead.ID, "active") },
		}
		for name, act := range actions {
			t.Run(name, func(t *testing.T) { requireCode(t, act(), "ARCHIVED") })
		}

		requireCode(t, sdktest.Op(t, a.member, "ReopenProject", map[string]any{"id": lead.ID}), "FORBIDDEN")
		var out struct {
			ReopenProject struct {
				ID       string
				Archived bool
				Status   struct{ Key string }
				Version  int
			}
		}
		sdktest.Op(t, a.admin, "ReopenProject", map[string]any{"id": lead.ID, "note": "they came back"}).Decode(t, &out)
		require.False(t, out.ReopenProject.Archived)
		require.Equal(t, "active", out.ReopenProject.Status.Key, "back where it was declined from")
		requireCode(t, sdktest.Op(t, a.admin, "ReopenProject", map[string]any{"id": lead.ID}), "VALIDATION")
		v := view(t, a.member, lead.ID)
		last := v.Node.History[len(v.Node.History)-1]
		require.Equal(t, "reopen", last.Action)
		require.Equal(t, "they came back", *last.Note)
		require.Nil(t, v.Node.ArchiveReason)

		// Every action works again (the payment ones need a secured lead).
		for _, name := range []string{"startTimer", "inviteCustomer", "createTodo", "completeTodo", "addNote", "setProgress"} {
			require.Empty(t, actions[name]().Errors, name)
		}
		mustOp(t, a.member, "SecureProject", map[string]any{"id": lead.ID})
		require.Empty(t, actions["recordRevenueSharePayment"]().Errors)
	})
}
