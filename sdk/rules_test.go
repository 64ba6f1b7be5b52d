package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

func setRules(t *testing.T, c lanestest.Client, status string, rules map[string]any) *lanestest.Response {
	t.Helper()
	in := map[string]any{"workflow": "website", "status": status}
	for k, v := range rules {
		in[k] = v
	}
	return sdktest.Op(t, c, "SetStatusRules", map[string]any{"input": in})
}

func mustOp(t *testing.T, c lanestest.Client, name string, vars map[string]any) {
	t.Helper()
	res := sdktest.Op(t, c, name, vars)
	require.Empty(t, res.Errors, "%s: %+v", name, res.Errors)
}

// blockingOn adds an ENTER automation with one blocking to-do to a status.
func blockingOn(t *testing.T, admin lanestest.Client, status string) {
	t.Helper()
	mustOp(t, admin, "CreateAutomation", map[string]any{"input": map[string]any{
		"workflow": "website", "status": status, "on": "ENTER",
		"todos": []map[string]any{{"title": "Sign-off", "blocking": true}},
	}})
}

func TestSetStatusRules(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")

		requireCode(t, setRules(t, a.member, "approval", map[string]any{"requiredFields": []string{"customer.email"}}), "FORBIDDEN")
		requireCode(t, setRules(t, a.admin, "limbo", map[string]any{"requiredFields": []string{"customer.email"}}), "NOT_FOUND")
		e := requireCode(t, setRules(t, a.admin, "approval", map[string]any{"requiredFields": []string{"customer.shoe_size"}}), "VALIDATION")
		require.Equal(t, "requiredFields", e.Extensions["field"])

		var out struct {
			SetStatusRules struct {
				Key            string
				RequiredFields []string
				EnterRoles     []string
			}
		}
		setRules(t, a.admin, "approval", map[string]any{
			"requiredFields": []string{"customer.email", "customer", "customer.email"},
			"enterRoles":     []string{"ADMIN", "OWNER"},
		}).Decode(t, &out)
		require.Equal(t, []string{"customer.email", "customer"}, out.SetStatusRules.RequiredFields, "repeats dropped, order kept")
		require.Equal(t, []string{"ADMIN", "OWNER"}, out.SetStatusRules.EnterRoles)
		// Omitted lists stay; empty ones clear.
		setRules(t, a.owner, "approval", map[string]any{"enterRoles": []string{}}).Decode(t, &out)
		require.Equal(t, []string{"customer.email", "customer"}, out.SetStatusRules.RequiredFields)
		require.Empty(t, out.SetStatusRules.EnterRoles)

		// Required fields: for every caller, on create, move and advance.
		bare := create(t, a.member, "website", "No customer", map[string]any{"status": "preparation"})
		e = requireCode(t, move(t, a.member, bare.ID, "approval"), "REQUIRED_FIELDS")
		require.Equal(t, []any{"customer.email", "customer"}, e.Extensions["fields"])
		requireCode(t, move(t, a.platform, bare.ID, "approval"), "REQUIRED_FIELDS")
		requireCode(t, sdktest.Op(t, a.member, "AdvanceProject", map[string]any{"id": bare.ID}), "REQUIRED_FIELDS")
		requireCode(t, sdktest.Op(t, a.member, "CreateProject", map[string]any{"input": map[string]any{
			"workflow": "website", "title": "Straight in", "status": "approval", "customer": map[string]any{"name": "Ann"},
		}}), "REQUIRED_FIELDS")
		e = requireCode(t, move(t, a.member, create(t, a.member, "website", "No e-mail", map[string]any{
			"customer": map[string]any{"name": "Bo", "email": " "},
		}).ID, "approval"), "REQUIRED_FIELDS")
		require.Equal(t, []any{"customer.email"}, e.Extensions["fields"], "a blank e-mail is no e-mail")
		withEmail := create(t, a.member, "website", "With e-mail", map[string]any{
			"customer": map[string]any{"name": "Cy", "email": "cy@example.com"},
		})
		require.Empty(t, move(t, a.member, withEmail.ID, "approval").Errors)

		// Enter roles: members of other roles may not move projects in;
		// the platform always may.
		setRules(t, a.admin, "audit", map[string]any{"enterRoles": []string{"ADMIN", "OWNER"}}).Decode(t, &out)
		p := create(t, a.member, "website", "Roles", map[string]any{"status": "creation"})
		e = requireCode(t, move(t, a.member, p.ID, "audit"), "FORBIDDEN")
		require.Equal(t, "audit", e.Extensions["status"])
		requireCode(t, sdktest.Op(t, a.member, "AdvanceProject", map[string]any{"id": p.ID}), "FORBIDDEN")
		require.Empty(t, move(t, a.admin, p.ID, "audit").Errors)
		require.Empty(t, move(t, a.member, p.ID, "creation").Errors, "leaving is not entering")
		require.Empty(t, move(t, a.platform, p.ID, "audit").Errors)

		// A new project has no assignee yet: that rule holds from its
		// first move on, so it cannot lock createProject out.
		setRules(t, a.admin, "lead", map[string]any{"requiredFields": []string{"assignee"}}).Decode(t, &out)
		require.Equal(t, "lead", create(t, a.member, "website", "Starts unassigned").Status.Key)
		setRules(t, a.admin, "lead", map[string]any{"requiredFields": []string{}}).Decode(t, &out)

		// "Assign" means something: an assignee before creation starts.
		setRules(t, a.admin, "creation", map[string]any{"requiredFields": []string{"assignee"}}).Decode(t, &out)
		q := create(t, a.member, "website", "Unassigned", map[string]any{"status": "assign"})
		e = requireCode(t, move(t, a.member, q.ID, "creation"), "REQUIRED_FIELDS")
		require.Equal(t, []any{"assignee"}, e.Extensions["fields"])
		mustOp(t, a.member, "UpdateProject", map[string]any{"input": map[string]any{"id": q.ID, "assigneeId": memberIDs(t, a.member)["alpha-member"]}})
		require.Empty(t, move(t, a.member, q.ID, "creation").Errors)
	})
}

// Blocking to-dos stop a project moving on, not moving back; an admin may
// move it on anyway, with a reason the history keeps.
func TestChecklistHoldsForwardOnly(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		blockingOn(t, a.admin, "audit")
		p := create(t, a.member, "website", "Site", map[string]any{"status": "audit"})

		requireCode(t, move(t, a.member, p.ID, "feedback"), "CHECKLIST_INCOMPLETE")
		requireCode(t, sdktest.Op(t, a.member, "AdvanceProject", map[string]any{"id": p.ID}), "CHECKLIST_INCOMPLETE")
		requireCode(t, move(t, a.admin, p.ID, "feedback"), "CHECKLIST_INCOMPLETE")
		override := map[string]any{"overrideChecklist": true, "reason": "customer signed off by phone"}
		requireCode(t, move(t, a.member, p.ID, "feedback", override), "FORBIDDEN")
		e := requireCode(t, move(t, a.admin, p.ID, "feedback", map[string]any{"overrideChecklist": true}), "VALIDATION")
		require.Equal(t, "reason", e.Extensions["field"])

		require.Empty(t, move(t, a.member, p.ID, "creation").Errors, "moving back is not held")
		require.Empty(t, move(t, a.member, p.ID, "audit").Errors)
		require.Empty(t, move(t, a.admin, p.ID, "feedback", override).Errors)

		var h struct {
			Node struct {
				History []struct {
					Action              string
					To                  struct{ Key string }
					Reason              *string
					ChecklistOverridden bool
				}
			}
		}
		a.member.Do(t, `query($id: ID!) { node(id: $id) { ... on Project { history { action to { key } reason checklistOverridden } } } }`,
			map[string]any{"id": p.ID}).Decode(t, &h)
		last := h.Node.History[len(h.Node.History)-1]
		require.Equal(t, "feedback", last.To.Key)
		require.True(t, last.ChecklistOverridden)
		require.Equal(t, "customer signed off by phone", *last.Reason)
		for _, step := range h.Node.History[:len(h.Node.History)-1] {
			require.False(t, step.ChecklistOverridden)
		}

		// An override asked for where nothing blocks records nothing.
		q := create(t, a.member, "website", "Free", map[string]any{"status": "creation"})
		require.Empty(t, move(t, a.admin, q.ID, "audit", override).Errors)
		a.member.Do(t, `query($id: ID!) { node(id: $id) { ... on Project { history { action to { key } reason checklistOverridden } } } }`,
			map[string]any{"id": q.ID}).Decode(t, &h)
		require.False(t, h.Node.History[len(h.Node.History)-1].ChecklistOverridden)
	})
}

type previewOut struct {
	TransitionPreview struct {
		Allowed bool
		Reasons []struct{ Code, Message string }
	}
}

func (p previewOut) codes() []string {
	codes := []string{}
	for _, r := range p.TransitionPreview.Reasons {
		codes = append(codes, r.Code)
	}
	return codes
}

// transitionPreview agrees with the move it previews, for every reason: the
// preview lists the reasons in the move's order and the move fails with
// the first (or passes when there are none).
func TestTransitionPreviewAgreesWithMove(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")

		require.Empty(t, setEnabled(t, a.admin, "website", "approval", false).Errors)
		mustOp(t, a.admin, "UpdateStatus", map[string]any{"input": map[string]any{"workflow": "website", "status": "publish", "wipLimit": 1}})
		create(t, a.member, "website", "Fills publish", map[string]any{"status": "publish"})
		blockingOn(t, a.admin, "audit")
		setRules(t, a.admin, "publish", map[string]any{"requiredFields": []string{"customer.phone"}}).Decode(t, &struct{}{})
		setRules(t, a.admin, "redesign", map[string]any{"requiredFields": []string{"customer.email"}}).Decode(t, &struct{}{})
		setRules(t, a.admin, "change", map[string]any{"enterRoles": []string{"ADMIN", "OWNER"}}).Decode(t, &struct{}{})
		declined := create(t, a.member, "leads", "Declined")
		mustOp(t, a.member, "DeclineLead", map[string]any{"id": declined.ID, "reason": "OTHER"})

		for _, tc := range []struct {
			name   string
			client lanestest.Client
			id     string
			to     string
			want   []string
		}{
			{"free move", a.member, create(t, a.member, "website", "Free").ID, "interest", []string{}},
			{"already there", a.member, create(t, a.member, "website", "Stays").ID, "lead", []string{}},
			{"disabled status", a.member, create(t, a.member, "website", "To disabled").ID, "approval", []string{"STATUS_DISABLED"}},
			{"strict transition", a.member, create(t, a.member, "leads", "Jumps").ID, "completed", []string{"TRANSITION_NOT_ALLOWED"}},
			{"decline needs a reason", a.member, create(t, a.member, "leads", "Declines").ID, "declined", []string{"TRANSITION_NOT_ALLOWED"}},
			{"blocking to-do", a.member, create(t, a.member, "website", "Blocked", map[string]any{"status": "audit"}).ID, "feedback", []string{"CHECKLIST_INCOMPLETE"}},
			{"blocking to-do, moving back", a.member, create(t, a.member, "website", "Back", map[string]any{"status": "audit"}).ID, "creation", []string{}},
			{"required field", a.member, create(t, a.member, "website", "No e-mail").ID, "redesign", []string{"REQUIRED_FIELDS"}},
			{"WIP limit and a required field", a.member, create(t, a.member, "website", "No phone").ID, "publish", []string{"REQUIRED_FIELDS", "WIP_LIMIT"}},
			{"WIP limit", a.member, create(t, a.member, "website", "Phone", map[string]any{"customer": map[string]any{"name": "P", "phone": "+1 555"}}).ID, "publish", []string{"WIP_LIMIT"}},
			{"every rule at once", a.member, create(t, a.member, "website", "All", map[string]any{"status": "audit"}).ID, "publish", []string{"CHECKLIST_INCOMPLETE", "REQUIRED_FIELDS", "WIP_LIMIT"}},
			{"enter roles", a.member, create(t, a.member, "website", "Admins only").ID, "change", []string{"FORBIDDEN"}},
			{"enter roles, an admin", a.admin, create(t, a.member, "website", "By an admin").ID, "change", []string{}},
			{"enter roles, the platform", a.platform, create(t, a.member, "website", "By the platform").ID, "change", []string{}},
			{"a viewer", a.viewer, create(t, a.member, "website", "Viewed").ID, "interest", []string{"FORBIDDEN"}},
			{"archived", a.member, declined.ID, "active", []string{"ARCHIVED", "TRANSITION_NOT_ALLOWED"}},
			{"unknown status", a.member, create(t, a.member, "website", "Nowhere").ID, "limbo", []string{"NOT_FOUND"}},
			{"another tenant's project", b.member, create(t, a.member, "website", "Not yours").ID, "interest", []string{"NOT_FOUND"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := view(t, a.member, tc.id)
				var preview previewOut
				sdktest.Op(t, tc.client, "TransitionPreview", map[string]any{"projectId": tc.id, "to": tc.to}).Decode(t, &preview)
				require.Equal(t, tc.want, preview.codes(), "%+v", preview.TransitionPreview.Reasons)
				require.Equal(t, len(tc.want) == 0, preview.TransitionPreview.Allowed)
				for _, r := range preview.TransitionPreview.Reasons {
					require.NotEmpty(t, r.Message)
				}
				after := view(t, a.member, tc.id)
				require.Equal(t, before.Node.Version, after.Node.Version, "a preview writes nothing")
				require.Equal(t, len(before.Node.History), len(after.Node.History))

				res := move(t, tc.client, tc.id, tc.to)
				if preview.TransitionPreview.Allowed {
					require.Empty(t, res.Errors, "the preview allowed it: %+v", res.Errors)
				} else {
					require.Equal(t, []string{tc.want[0]}, res.Codes(), "%+v", res.Errors)
				}
			})
		}

		// Only members and the platform may ask.
		customer := customerFor(t, s, a, create(t, a.member, "website", "Theirs").ID, "c@example.com")
		requireCode(t, sdktest.Op(t, customer, "TransitionPreview", map[string]any{"projectId": declined.ID, "to": "active"}), "FORBIDDEN")
		requireCode(t, sdktest.Op(t, s.Anonymous, "TransitionPreview", map[string]any{"projectId": declined.ID, "to": "active"}), "UNAUTHENTICATED")
		requireCode(t, sdktest.Op(t, a.member, "TransitionPreview", map[string]any{"projectId": declined.ID, "to": "x\x00"}), "VALIDATION")
	})
}

// transitionPreviews gives every other enabled column's verdict at once,
// each the same as transitionPreview's.
func TestTransitionPreviewsMatchOneByOne(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		require.Empty(t, setEnabled(t, a.admin, "website", "approval", false).Errors)
		mustOp(t, a.admin, "UpdateStatus", map[string]any{"input": map[string]any{"workflow": "website", "status": "interest", "wipLimit": 1}})
		create(t, a.member, "website", "Fills interest", map[string]any{"status": "interest"})
		blockingOn(t, a.admin, "audit")
		setRules(t, a.admin, "publish", map[string]any{"requiredFields": []string{"customer.phone"}}).Decode(t, &struct{}{})
		p := create(t, a.member, "website", "Dragged", map[string]any{"status": "audit"})

		var all struct {
			TransitionPreviews []struct {
				Status  struct{ Key string }
				Allowed bool
				Reasons []struct{ Code string }
			}
		}
		a.member.Do(t, `query($id: ID!) { transitionPreviews(projectId: $id) { status { key } allowed reasons { code } } }`, map[string]any{"id": p.ID}).Decode(t, &all)
		require.Len(t, all.TransitionPreviews, 11, "every enabled status but the project's own")
		verdicts := map[string][]string{}
		for _, v := range all.TransitionPreviews {
			codes := []string{}
			for _, r := range v.Reasons {
				codes = append(codes, r.Code)
			}
			require.Equal(t, len(codes) == 0, v.Allowed)
			verdicts[v.Status.Key] = codes
			var one previewOut
			sdktest.Op(t, a.member, "TransitionPreview", map[string]any{"projectId": p.ID, "to": v.Status.Key}).Decode(t, &one)
			require.Equal(t, one.codes(), codes, v.Status.Key)
		}
		require.Equal(t, []string{"WIP_LIMIT"}, verdicts["interest"], "back, into a full column")
		require.Equal(t, []string{}, verdicts["creation"], "back is not held by the checklist")
		require.Equal(t, []string{"CHECKLIST_INCOMPLETE", "REQUIRED_FIELDS"}, verdicts["publish"])
		require.NotContains(t, verdicts, "approval", "disabled: no column")

		requireCode(t, b.member.Do(t, `query($id: ID!) { transitionPreviews(projectId: $id) { allowed } }`, map[string]any{"id": p.ID}), "NOT_FOUND")
		customer := customerFor(t, s, a, p.ID, "c@example.com")
		requireCode(t, customer.Do(t, `query($id: ID!) { transitionPreviews(projectId: $id) { allowed } }`, map[string]any{"id": p.ID}), "FORBIDDEN")
	})
}
