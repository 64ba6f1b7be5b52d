package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// button is the button whose text is exactly text.
func button(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//button[normalize-space()=%q]`, text))
}

// choose picks an option of a select as a user does (the change event
// React listens to).
func (p *tab) choose(selector, value string) {
	p.t.Helper()
	require.True(p.t, eval[bool](p, fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false; s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, selector, value)))
}

// open opens a project's detail view.
func (p *tab) open(w *world, id string) {
	p.t.Helper()
	p.run(chromedp.Navigate(w.s.HTTP.URL+"/projects/"+id), visible(`nav.workflow-bar`))
}

// currentStep waits for the workflow bar to show status as the current one.
func currentStep(status string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//li[contains(@class, "step") and contains(@class, "current") and normalize-space()=%q]`, status)))
}

// The detail view's workflow bar: the blue button goes to the next
// status, a blocking checklist stops it (in words) until its to-do is
// done, and the current status opens every other one.
func TestProjectWorkflowBar(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		require.Empty(t, sdktest.Op(t, w.s.PlatformIn(w.tenant), "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "interest", "on": "ENTER",
			"todos": []map[string]any{{"title": "Call the customer", "blocking": true}},
		}}).Errors)
		bakery := w.project(t, "website", "Bakery", "lead")
		p := newBrowser(t).tab()
		p.signIn(w, "bob")
		p.run(chromedp.Click(chromedp.CSS(fmt.Sprintf(`li[data-project=%q] a.title`, bakery))), visible(`nav.workflow-bar`))
		p.screenshot("detail")
		p.accessible("the detail view")

		p.run(chromedp.Click(button("Next: Interest")), currentStep("Interest"))
		require.Equal(t, "interest", w.statusOf(t, bakery))
		p.run(chromedp.Click(button("Next: Preparation")), visible(`nav.workflow-bar .refusal`))
		require.Equal(t, "Open blocking to-dos keep this project from moving on: finish them first.", p.text(`nav.workflow-bar .refusal`))
		p.screenshot("checklist")
		require.Equal(t, "interest", w.statusOf(t, bakery))

		p.run(chromedp.Click(chromedp.Search(`//label[contains(., "Call the customer")]/input`)), visible(`ul.todos li.done`))
		p.run(chromedp.Click(button("Next: Preparation")), currentStep("Preparation"))
		require.Equal(t, "preparation", w.statusOf(t, bakery))

		p.run(chromedp.Click(chromedp.CSS(`nav.workflow-bar button.current`)), visible(`nav.workflow-bar select`))
		p.choose(`nav.workflow-bar select`, "creation")
		p.run(currentStep("Creation"))
		require.Equal(t, "creation", w.statusOf(t, bakery))
		p.run(visible(`table.history`))
		require.Contains(t, p.text(`table.history`), "advance: Lead → Interest")
	})
}

// The partner-lead lifecycle in the detail view: accept, report
// progress, secure, record a revenue share, complete with the final deal
// value, review the customer privately; and a declined lead is archived.
func TestLeadLifecycle(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		lead := w.project(t, "leads", "Plumber needs a site", "new")
		other := w.project(t, "leads", "Cafe menu", "new")
		p := newBrowser(t).tab()
		p.signIn(w, "bob")
		p.open(w, lead)

		p.run(chromedp.Click(button("Accept the lead")), currentStep("Active"))
		p.choose(`section.panel select`, "proposal_sent")
		p.run(chromedp.WaitVisible(chromedp.Search(`//span[contains(@class, "chip") and normalize-space()="Proposal sent"]`)))
		p.run(chromedp.Click(button("Secure the project")), currentStep("Secured"))
		p.run(chromedp.SendKeys(chromedp.CSS(`input[placeholder="1250.00"]`), "1250"), chromedp.Click(button("Record a revenue share")),
			chromedp.WaitVisible(chromedp.Search(`//ul[@class="payments"]/li[contains(., "Revenue share") and contains(., "paid")]`)))
		p.screenshot("secured")
		p.run(chromedp.Click(button("Complete with this final deal value")), currentStep("Completed"))
		p.run(chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Final deal value")]`)))
		p.choose(`form.inline-form select`, "4")
		p.run(chromedp.SendKeys(chromedp.Search(`//label[contains(., "Comment")]/input`), "Pays on time"), chromedp.Click(button("Save the review")),
			chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Your private review of the customer: 4/5")]`)))
		p.screenshot("completed")
		p.accessible("a completed lead")
		var deal struct {
			Node struct {
				Status         struct{ Key string }
				FinalDealValue struct{ Amount int }
				Review         struct{ Rating int }
			}
		}
		sdktest.Op(t, w.s.PlatformIn(w.tenant), "ProjectDeal", map[string]any{"id": lead}).Decode(t, &deal)
		require.Equal(t, "completed", deal.Node.Status.Key)
		require.Equal(t, 125000, deal.Node.FinalDealValue.Amount)
		require.Equal(t, 4, deal.Node.Review.Rating)

		p.open(w, other)
		p.choose(`form.inline-form select`, "AT_CAPACITY")
		p.run(chromedp.Click(button("Decline")), chromedp.WaitVisible(chromedp.Search(`//p[contains(@class, "banner") and contains(., "Archived: at capacity")]`)))
		require.Equal(t, "declined", w.statusOf(t, other))
	})
}

// The timer of the detail view, and an invitation link for the customer.
func TestTimerAndInvitation(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		bakery := w.project(t, "website", "Bakery", "lead")
		p := newBrowser(t).tab()
		p.signIn(w, "bob")
		p.open(w, bakery)
		p.run(chromedp.Click(button("Start a timer")), chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Your timer is running here")]`)))
		var running struct{ RunningTimer *struct{ ID string } }
		w.s.Member(t, w.tenant, "bob").Do(t, `{ runningTimer { id } }`, nil).Decode(t, &running)
		require.NotNil(t, running.RunningTimer)
		p.run(chromedp.Click(button("Stop the timer")), chromedp.WaitVisible(button("Start a timer")))
		w.s.Member(t, w.tenant, "bob").Do(t, `{ runningTimer { id } }`, nil).Decode(t, &running)
		require.Nil(t, running.RunningTimer)
		p.run(chromedp.SendKeys(chromedp.CSS(`input[type="email"]`), "bea@example.com"), chromedp.Click(button("Create an invitation link")), visible(`p.invitation code`))
		require.Contains(t, p.text(`p.invitation code`), "/portal/accept?token=")
		p.screenshot("invitation")
	})
}
