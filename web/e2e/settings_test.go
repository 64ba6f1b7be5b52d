package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
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
