package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// An admin's settings: an empty status is disabled, a status holding a
// project is refused in words, a mandatory one cannot be; a portal feature
// is unlocked in the matrix and shows as the agency's change; an
// automation and a webhook endpoint are created; the team is listed. A
// member has no settings.
func TestSettings(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		w.project(t, "website", "Bakery", "lead")
		b := newBrowser(t)
		p := b.tab()
		p.signIn(w, "alice")
		p.run(chromedp.Click(chromedp.Search(`//nav//a[normalize-space()="Settings"]`)), visible(`tr[data-status="approval"]`))
		p.screenshot("settings")
		p.accessible("the settings")

		p.run(chromedp.Click(chromedp.CSS(`tr[data-status="approval"] input[type="checkbox"]`)), visible(`tr[data-status="approval"] input[type="checkbox"]:not(:checked)`))
		p.run(chromedp.Click(chromedp.CSS(`tr[data-status="lead"] input[type="checkbox"]`)), visible(`tr[data-status="lead"] + tr .refusal`))
		require.Equal(t, "1 project(s) are in that status: move them elsewhere first.", p.text(`tr[data-status="lead"] + tr .refusal`))
		require.True(t, eval[bool](p, `document.querySelector('tr[data-status="preparation"] input[type="checkbox"]').disabled`), "a mandatory status cannot be disabled")
		statuses := w.statuses(t, "website")
		require.False(t, statuses["approval"].Enabled)
		require.True(t, statuses["lead"].Enabled)
		require.NotContains(t, statuses["lead"].PortalFeatures, "MY_DATA")

		p.run(chromedp.Click(chromedp.CSS(`input[data-feature="lead/MY_DATA"]`)), visible(`td.changed input[data-feature="lead/MY_DATA"]:checked`))
		require.Contains(t, w.statuses(t, "website")["lead"].PortalFeatures, "MY_DATA")

		p.run(chromedp.SendKeys(labelled("To-do 1", "input"), "Say hello"), chromedp.Click(button("Create the automation")),
			chromedp.WaitVisible(chromedp.Search(`//ul[@class="automations"]/li[contains(., "enters") and contains(., "Lead") and contains(., "“Say hello” (blocking)")]`)))
		p.run(chromedp.SendKeys(chromedp.CSS(`input[type="url"]`), "https://hooks.example.com/lanes"), chromedp.Click(button("Add the endpoint")),
			chromedp.WaitVisible(chromedp.Search(`//p[contains(@class, "banner") and contains(., "whsec_")]`)),
			chromedp.WaitVisible(chromedp.Search(`//ul[@class="webhooks"]//code[normalize-space()="https://hooks.example.com/lanes"]`)))
		require.Contains(t, value(p, chromedp.Text(chromedp.Search(`//h2[normalize-space()="Team"]/following-sibling::table`))), "vera")
		p.screenshot("settings-after")

		member := b.tab()
		member.signIn(w, "bob")
		require.Zero(t, eval[int](member, `[...document.querySelectorAll('nav a')].filter(a => a.textContent === 'Settings').length`))
		member.run(chromedp.Navigate(w.s.HTTP.URL+"/settings/website"), visible(`section.column`))
	})
}

// An admin shapes a workflow in the settings: adds a status after
// another (it is on the board), moves it up, deletes it; sets a status's
// rules and the default status; moves a status's projects elsewhere;
// deletes an automation; changes a member's role and removes one. What
// the server refuses (the last OWNER, an ADMIN touching an OWNER) is said
// in words.
func TestSettingsStatusesAutomationsAndTeam(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		bakery := w.project(t, "website", "Bakery", "lead")
		require.Empty(t, sdktest.Op(t, w.s.PlatformIn(w.tenant), "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "interest", "on": "ENTER",
			"todos": []map[string]any{{"title": "Call the customer", "blocking": true}},
		}}).Errors)
		b := newBrowser(t)
		p := b.tab()
		p.signIn(w, "alice")
		settings := w.s.HTTP.URL + "/settings/website"
		p.run(chromedp.Navigate(settings), visible(`tr[data-status="lead"]`))

		// A new status after Interest, on the board in that place.
		newStatus := `//form[contains(@class, "new-status")]`
		p.fill(newStatus+`//label[contains(., "Key")]//input`, "review")
		p.fill(newStatus+`//label[contains(., "Name")]//input`, "Review")
		p.pick("Category", "WAITING")
		p.pick("After", "interest")
		p.run(chromedp.Click(button("Add the status")), visible(`tr[data-status="interest"] + tr.status-more + tr[data-status="review"]`))
		require.Equal(t, "Waiting", p.text(`tr[data-status="review"] td.category`))
		p.screenshot("status-added")
		p.accessible("the settings with an added status")
		p.run(chromedp.Navigate(w.s.HTTP.URL+"/board/website"), visible(`section.column[data-status="interest"] + section.column[data-status="review"]`))

		p.run(chromedp.Navigate(settings), visible(`tr[data-status="review"]`))
		p.run(chromedp.Click(button("Move Review up")), visible(`tr[data-status="review"] + tr.status-more + tr[data-status="interest"]`))
		require.Equal(t, []string{"lead", "review", "interest"}, w.statusKeys(t, "website")[:3])
		p.run(chromedp.Click(button("Delete Review")), chromedp.WaitNotPresent(chromedp.CSS(`tr[data-status="review"]`)))
		require.NotContains(t, w.statusKeys(t, "website"), "review")
		require.Zero(t, eval[int](p, `[...document.querySelectorAll('tr[data-status="lead"] button')].filter(b => b.textContent.startsWith('Delete')).length`), "a template's status is not deleted")

		// Rules: Preparation needs the customer's e-mail; only owners and admins move projects in.
		rules := `tr[data-status-more="preparation"]`
		p.run(chromedp.Click(chromedp.CSS(rules+` summary`)), visible(rules+` fieldset`))
		p.run(chromedp.Click(chromedp.Search(`//tr[@data-status-more="preparation"]//label[contains(., "the customer’s e-mail")]/input`)),
			chromedp.Click(chromedp.Search(`//tr[@data-status-more="preparation"]//label[normalize-space()="owner"]/input`)),
			chromedp.Click(chromedp.Search(`//tr[@data-status-more="preparation"]//label[normalize-space()="admin"]/input`)),
			chromedp.Click(button("Save the rules of Preparation")),
			chromedp.WaitVisible(chromedp.Search(`//tr[@data-status-more="preparation"]//summary[contains(., "needs the customer’s e-mail; only owner, admin may move projects in")]`)))
		var rulesOut struct {
			Workflow struct {
				Statuses []struct {
					Key            string
					RequiredFields []string
					EnterRoles     []string
				}
			}
		}
		w.s.PlatformIn(w.tenant).Do(t, `{ workflow(key: "website") { statuses { key requiredFields enterRoles } } }`, nil).Decode(t, &rulesOut)
		for _, st := range rulesOut.Workflow.Statuses {
			if st.Key == "preparation" {
				require.Equal(t, []string{"customer.email"}, st.RequiredFields)
				require.ElementsMatch(t, []string{"OWNER", "ADMIN"}, st.EnterRoles)
			}
		}
		p.accessible("the settings with a status's rules open")

		// The default status, then every project of Lead moved to it.
		p.pick("Default for new projects", "interest")
		p.run(chromedp.WaitVisible(chromedp.Search(`//span[contains(@class, "default-status") and normalize-space()="New projects start in Interest."]`)))
		var flow struct {
			Workflow struct{ DefaultStatus struct{ Key string } }
		}
		w.s.PlatformIn(w.tenant).Do(t, `{ workflow(key: "website") { defaultStatus { key } } }`, nil).Decode(t, &flow)
		require.Equal(t, "interest", flow.Workflow.DefaultStatus.Key)
		p.pick("Move all projects of Lead to", "approval")
		p.run(chromedp.Click(button("Move the projects of Lead")), chromedp.WaitVisible(chromedp.Search(`//p[normalize-space()="1 project(s) moved to Approval."]`)))
		require.Equal(t, "approval", w.statusOf(t, bakery))

		automation := `//ul[@class="automations"]/li[contains(., "Call the customer")]`
		p.run(chromedp.Click(chromedp.Search(automation+`//button[starts-with(normalize-space(), "Delete")]`)),
			chromedp.WaitVisible(chromedp.Search(`//p[normalize-space()="No automations yet."]`)))

		// The team: bob becomes an admin, vera is removed; the last owner stays.
		p.pick("Role of bob", "ADMIN")
		p.run(chromedp.WaitVisible(chromedp.Search(`//p[normalize-space()="bob is now admin."]`)))
		p.run(chromedp.Click(button("Remove vera")), chromedp.WaitNotPresent(chromedp.CSS(`tr[data-member="vera"]`)))
		require.NotContains(t, w.memberIDs(t), "vera")
		p.run(chromedp.Click(button("Remove alice")), visible(`table.team ~ .refusal`))
		require.Equal(t, "the tenant's last OWNER stays an OWNER: make another member OWNER first.", p.text(`table.team ~ .refusal`))
		p.screenshot("team")

		admin := b.tab()
		admin.signIn(w, "bob")
		admin.run(chromedp.Navigate(settings), visible(`tr[data-member="alice"]`))
		admin.pick("Role of alice", "MEMBER")
		admin.run(visible(`table.team ~ .refusal`))
		require.Equal(t, "Only an OWNER may make or unmake an OWNER.", admin.text(`table.team ~ .refusal`))
	})
}

// statusKeys are a workflow's status keys in order, disabled ones too.
func (w *world) statusKeys(t *testing.T, workflow string) []string {
	t.Helper()
	var out struct {
		Workflow struct{ Statuses []struct{ Key string } }
	}
	w.s.PlatformIn(w.tenant).Do(t, `query($w: String!) { workflow(key: $w) { statuses(includeDisabled: true) { key } } }`, map[string]any{"w": workflow}).Decode(t, &out)
	keys := make([]string, len(out.Workflow.Statuses))
	for i, s := range out.Workflow.Statuses {
		keys[i] = s.Key
	}
	return keys
}

type statusSettings struct {
	Key            string
	Enabled        bool
	PortalFeatures []string
}

// statuses reads a workflow's statuses, disabled ones too, by key.
func (w *world) statuses(t *testing.T, workflow string) map[string]statusSettings {
	t.Helper()
	var out struct {
		Workflow struct{ Statuses []statusSettings }
	}
	w.s.PlatformIn(w.tenant).Do(t, `query($w: String!) { workflow(key: $w) { statuses(includeDisabled: true) { key enabled portalFeatures } } }`, map[string]any{"w": workflow}).Decode(t, &out)
	byKey := map[string]statusSettings{}
	for _, s := range out.Workflow.Statuses {
		byKey[s.Key] = s
	}
	return byKey
}
