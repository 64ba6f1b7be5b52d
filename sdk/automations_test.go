package sdk_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

func newAutomation(t *testing.T, admin lanestest.Client, status, on string, titles ...string) string {
	t.Helper()
	todos := make([]map[string]any, len(titles))
	for i, title := range titles {
		todos[i] = map[string]any{"title": title}
	}
	var out struct{ CreateAutomation struct{ ID string } }
	sdktest.Op(t, admin, "CreateAutomation", map[string]any{"input": map[string]any{
		"workflow": "website", "status": status, "on": on, "todos": todos,
	}}).Decode(t, &out)
	return out.CreateAutomation.ID
}

// todoTitles lists a project's to-dos' titles, oldest first.
func todoTitles(t *testing.T, c lanestest.Client, id string) []string {
	t.Helper()
	titles := []string{}
	for _, td := range view(t, c, id).Node.Todos {
		titles = append(titles, td.Title)
	}
	return titles
}

func TestUpdateAndDeleteAutomation(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		id := newAutomation(t, a.admin, "audit", "ENTER", "Check links")
		update := func(c lanestest.Client, in map[string]any) *lanestest.Response {
			in["id"] = id
			return c.Do(t, `mutation($input: UpdateAutomationInput!) { updateAutomation(input: $input) { id trigger todos { title blocking } } }`,
				map[string]any{"input": in})
		}

		requireCode(t, update(a.member, map[string]any{"todos": []map[string]any{{"title": "x"}}}), "FORBIDDEN")
		requireCode(t, update(b.admin, map[string]any{"todos": []map[string]any{{"title": "x"}}}), "NOT_FOUND")
		requireCode(t, update(a.admin, map[string]any{"todos": []map[string]any{}}), "VALIDATION")
		requireCode(t, update(a.admin, map[string]any{"todos": []map[string]any{{"title": " "}}}), "VALIDATION")
		requireCode(t, sdktest.Op(t, a.member, "DeleteAutomation", map[string]any{"id": id}), "FORBIDDEN")
		requireCode(t, sdktest.Op(t, b.admin, "DeleteAutomation", map[string]any{"id": id}), "NOT_FOUND")

		first := create(t, a.member, "website", "Before", map[string]any{"status": "audit"})
		require.Equal(t, []string{"Check links"}, todoTitles(t, a.member, first.ID))

		var out struct {
			UpdateAutomation struct {
				ID, Trigger string
				Todos       []struct {
					Title    string
					Blocking bool
				}
			}
		}
		update(a.admin, map[string]any{"todos": []map[string]any{{"title": "Check links"}, {"title": "Check forms", "blocking": true}}}).Decode(t, &out)
		require.Equal(t, "ENTER", out.UpdateAutomation.Trigger)
		require.Len(t, out.UpdateAutomation.Todos, 2)
		require.True(t, out.UpdateAutomation.Todos[1].Blocking)
		second := create(t, a.member, "website", "After", map[string]any{"status": "audit"})
		require.Equal(t, []string{"Check links", "Check forms"}, todoTitles(t, a.member, second.ID))
		require.Equal(t, []string{"Check links"}, todoTitles(t, a.member, first.ID), "to-dos made before stay as they were")

		update(a.owner, map[string]any{"on": "LEAVE", "todos": []map[string]any{{"title": "Check links"}, {"title": "Check forms"}}}).Decode(t, &out)
		require.Equal(t, "LEAVE", out.UpdateAutomation.Trigger)
		third := create(t, a.member, "website", "Leaves", map[string]any{"status": "audit"})
		require.Empty(t, todoTitles(t, a.member, third.ID))
		require.Empty(t, move(t, a.member, third.ID, "creation").Errors)
		require.Equal(t, []string{"Check links", "Check forms"}, todoTitles(t, a.member, third.ID))

		var deleted struct{ DeleteAutomation string }
		sdktest.Op(t, a.admin, "DeleteAutomation", map[string]any{"id": id}).Decode(t, &deleted)
		require.Equal(t, id, deleted.DeleteAutomation)
		require.Empty(t, move(t, a.member, third.ID, "audit").Errors)
		require.Empty(t, move(t, a.member, third.ID, "creation").Errors)
		require.Len(t, todoTitles(t, a.member, third.ID), 2, "a deleted automation creates nothing; its to-dos stay")
		requireCode(t, sdktest.Op(t, a.admin, "DeleteAutomation", map[string]any{"id": id}), "NOT_FOUND")
	})
}

// Automations on the customer's activity: wishes submitted, a file
// uploaded, feedback pinned, while the project is in the status.
func TestActivityAutomations(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		newAutomation(t, a.admin, "lead", "WISHES_SUBMITTED", "Read the wishes")
		newAutomation(t, a.admin, "lead", "FILE_UPLOADED", "Sort the files")
		newAutomation(t, a.admin, "feedback", "FEEDBACK_PINNED", "Answer the feedback")
		newAutomation(t, a.admin, "interest", "WISHES_SUBMITTED", "Not while in lead")
		p := create(t, a.member, "website", "Site")
		customer := customerFor(t, s, a, p.ID, "c@example.com")

		mustOp(t, customer, "SubmitWishes", map[string]any{"projectId": p.ID, "answers": map[string]any{"colour": "blue"}})
		require.Equal(t, []string{"Read the wishes"}, todoTitles(t, a.member, p.ID))
		require.Empty(t, upload(t, customer, p.ID, "logo.txt", []byte("logo"), "text/plain").Errors)
		require.Equal(t, []string{"Read the wishes", "Sort the files"}, todoTitles(t, a.member, p.ID))

		require.Empty(t, move(t, a.member, p.ID, "feedback").Errors)
		mustOp(t, customer, "PinFeedback", map[string]any{"input": map[string]any{
			"projectId": p.ID, "pageUrl": "https://example.com/", "selector": "h1", "x": 0.5, "y": 0.5, "comment": "Bigger",
		}})
		titles := todoTitles(t, a.member, p.ID)
		require.Equal(t, []string{"Read the wishes", "Sort the files", "Bigger", "Answer the feedback"}, titles)
		require.False(t, slices.Contains(titles, "Not while in lead"))

		// The customer sees its feedback, never the team's to-dos.
		portal := readPortal(t, customer)
		for _, pp := range portal.Portal.Projects {
			for _, f := range pp.Feedback {
				require.NotContains(t, []string{"Read the wishes", "Sort the files", "Answer the feedback"}, f.Title)
			}
		}
	})
}
