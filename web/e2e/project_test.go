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

// A team works in the detail view: edits the title, the customer's data
// and the assignee; adds an internal and a shared note and edits its own;
// adds a to-do for a colleague, completes and reopens it. The customer
// reads the shared note, not the internal one, in the portal. An archived
// lead is reopened by an admin (a member cannot).
func TestProjectDetailTeamwork(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		bakery := w.project(t, "website", "Bakery", "lead")
		link := w.invite(t, bakery, "bea@example.com")
		b := newBrowser(t)
		p := b.tab()
		p.signIn(w, "bob")
		p.open(w, bakery)

		p.run(chromedp.Click(button("Edit the details")), visible(`input[type="tel"]`))
		p.fill(`//label[contains(., "Title")]//input`, "Bakery Schmidt")
		p.pick("Assignee", "alice")
		p.fill(`//label[contains(., "Customer name")]//input`, "Bea Schmidt")
		p.fill(`//label[contains(., "Company")]//input`, "Schmidt Bakery")
		p.fill(`//label[contains(., "E-mail")]//input`, "bea@example.com")
		p.fill(`//label[contains(., "Phone")]//input`, "+49 30 7654321")
		p.run(chromedp.Click(button("Save the details")), chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space()="Bakery Schmidt"]`)),
			chromedp.WaitVisible(chromedp.Search(`//span[contains(@class, "chip") and normalize-space()="Assigned to alice"]`)))
		var detail struct {
			Node struct {
				Title    string
				Assignee struct{ Name string }
				Customer struct{ Name, Company, Email, Phone string }
			}
		}
		w.s.PlatformIn(w.tenant).Do(t, `query($id: ID!) { node(id: $id) { ... on Project { title assignee { name } customer { name company email phone } } } }`, map[string]any{"id": bakery}).Decode(t, &detail)
		require.Equal(t, "Bakery Schmidt", detail.Node.Title)
		require.Equal(t, "alice", detail.Node.Assignee.Name)
		require.Equal(t, struct{ Name, Company, Email, Phone string }{"Bea Schmidt", "Schmidt Bakery", "bea@example.com", "+49 30 7654321"}, detail.Node.Customer)

		// Notes: an internal one (then edited by its author) and a shared one.
		note := func(text string) string { return fmt.Sprintf(`//ul[@class="notes"]/li[contains(., %q)]`, text) }
		p.fill(`//label[normalize-space()="Add a note"]/following-sibling::textarea`, "Call back on Monday")
		p.run(chromedp.Click(button("Add the note")), chromedp.WaitVisible(chromedp.Search(note("Call back on Monday")+`//span[normalize-space()="internal"]`)))
		p.fill(`//label[normalize-space()="Add a note"]/following-sibling::textarea`, "Your first draft is ready")
		p.run(chromedp.Click(labelled("Share with the customer", "input")), chromedp.Click(button("Add the note")),
			chromedp.WaitVisible(chromedp.Search(note("Your first draft is ready")+`//span[normalize-space()="shared with the customer"]`)))
		p.run(chromedp.Click(chromedp.Search(note("Call back on Monday")+`//button[normalize-space()="Edit the note"]`)), visible(`ul.notes textarea`))
		p.fill(`//ul[@class="notes"]//textarea`, "Call back on Tuesday")
		p.run(chromedp.Click(button("Save the note")), chromedp.WaitVisible(chromedp.Search(note("Call back on Tuesday"))))

		// A to-do for alice, due on a day: done, then reopened.
		todo := `//ul[@class="todos"]/li[contains(., "Send the offer")]`
		p.fill(`//form[contains(@class, "new-todo")]//label[contains(., "To-do")]/input`, "Send the offer")
		p.pick("For", "alice")
		p.fill(`//form[contains(@class, "new-todo")]//input[@type="date"]`, "2030-05-17")
		p.run(chromedp.Click(button("Add the to-do")), chromedp.WaitVisible(chromedp.Search(todo+`[contains(., "alice") and contains(., "due")]`)))
		p.screenshot("teamwork")
		p.accessible("the detail view with notes and to-dos")
		p.run(chromedp.Click(chromedp.Search(todo+`//input[@type="checkbox"]`)), chromedp.WaitVisible(chromedp.Search(todo+`[contains(@class, "done")]`)))
		p.run(chromedp.Click(chromedp.Search(todo+`//button[normalize-space()="Reopen Send the offer"]`)),
			chromedp.WaitVisible(chromedp.Search(todo+`[not(contains(@class, "done"))]`)))

		customer := b.tab()
		customer.run(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Hello")]`)))
		customer.run(chromedp.Click(chromedp.Search(`//a[normalize-space()="Bakery Schmidt"]`)), chromedp.WaitVisible(chromedp.Search(`//h2[normalize-space()="Messages from the team"]`)))
		require.Contains(t, customer.text(`ul.notes`), "Your first draft is ready")
		require.NotContains(t, customer.text(`ul.notes`), "Call back")
		customer.accessible("the portal with a message from the team")

		// An archived lead: a member sees no way back, an admin reopens it.
		lead := w.project(t, "leads", "Cafe menu", "new")
		require.Empty(t, sdktest.Op(t, w.s.PlatformIn(w.tenant), "DeclineLead", map[string]any{"id": lead, "reason": "AT_CAPACITY"}).Errors)
		p.open(w, lead)
		p.run(chromedp.WaitVisible(chromedp.Search(`//p[contains(@class, "banner") and contains(., "Archived")]`)))
		require.Zero(t, eval[int](p, `document.querySelectorAll('form.reopen').length`), "a member does not reopen")
		owner := b.tab()
		owner.signIn(w, "alice")
		owner.open(w, lead)
		owner.fill(`//form[contains(@class, "reopen")]//input`, "They called back")
		owner.run(chromedp.Click(button("Reopen Cafe menu")), chromedp.WaitNotPresent(chromedp.Search(`//p[contains(@class, "banner") and contains(., "Archived")]`)))
		require.NotEqual(t, "declined", w.statusOf(t, lead))
	})
}
