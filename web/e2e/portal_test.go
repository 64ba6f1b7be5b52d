package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// invite creates an invitation link for a project's customer, as a
// partner does in the detail view.
func (w *world) invite(t *testing.T, projectID, email string) string {
	t.Helper()
	var out struct{ InviteCustomer struct{ URL string } }
	sdktest.Op(t, w.s.PlatformIn(w.tenant), "InviteCustomer", map[string]any{"input": map[string]any{"projectId": projectID, "email": email}}).Decode(t, &out)
	return out.InviteCustomer.URL
}

// labelled is the form field of a label with that text.
func labelled(text, field string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//label[contains(., %q)]//%s`, text, field))
}

// A customer opens the invitation link, sees only what the project's
// status unlocks, sends wishes and a file, which the partner then sees in
// the detail view; a later status opens "My data".
func TestCustomerPortal(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		bakery := w.project(t, "website", "Bakery", "lead")
		link := w.invite(t, bakery, "bea@example.com")
		require.True(t, strings.HasPrefix(link, w.s.HTTP.URL+"/portal/accept?token="), "the console's own accept page: %s", link)
		b := newBrowser(t)
		customer := b.tab()
		customer.run(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Hello")]`)))
		customer.screenshot("portal")
		customer.accessible("the portal")
		require.Contains(t, customer.text(`ul.portal-projects`), "Open at this stage: Files, Wishes.")

		customer.run(chromedp.Click(chromedp.Search(`//a[normalize-space()="Bakery"]`)), chromedp.WaitVisible(chromedp.Search(`//h2[normalize-space()="Your wishes"]`)))
		require.Equal(t, 0, eval[int](customer, `[...document.querySelectorAll('h2')].filter(h => ['My data', 'Feedback'].includes(h.textContent)).length`), "locked features are not shown")
		customer.run(chromedp.SendKeys(labelled("What is your business about?", "textarea"), "Bread and cakes since 1950"), chromedp.Click(button("Send my wishes")),
			chromedp.WaitVisible(chromedp.Search(`//p[normalize-space()="Your wishes are sent."]`)))
		brief := filepath.Join(t.TempDir(), "brief.txt")
		require.NoError(t, os.WriteFile(brief, []byte("Our opening hours: 6 to 18."), 0o644))
		customer.run(chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{brief}), chromedp.Click(button("Upload")),
			chromedp.WaitVisible(chromedp.Search(`//ul[@class="files"]//a[normalize-space()="brief.txt"]`)))
		customer.screenshot("portal-project")
		customer.accessible("a portal project")

		partner := b.tab()
		partner.signIn(w, "bob")
		partner.open(w, bakery)
		partner.run(chromedp.WaitVisible(chromedp.Search(`//dd[normalize-space()="Bread and cakes since 1950"]`)), chromedp.WaitVisible(chromedp.Search(`//a[normalize-space()="brief.txt"]`)))
		require.Equal(t, "Our opening hours: 6 to 18.", eval[string](partner, `fetch([...document.querySelectorAll('a')].find(a => a.textContent === 'brief.txt').href).then(r => r.text())`))
		partner.screenshot("detail-with-customer-work")

		require.Empty(t, sdktest.Op(t, w.s.PlatformIn(w.tenant), "MoveProject", map[string]any{"input": map[string]any{"id": bakery, "to": "preparation"}}).Errors)
		customer.run(chromedp.Reload(), chromedp.WaitVisible(chromedp.Search(`//h2[normalize-space()="My data"]`)))
		customer.run(chromedp.SendKeys(labelled("Phone", "input"), "+49 30 1234567"), chromedp.Click(button("Save my data")),
			chromedp.WaitVisible(chromedp.Search(`//p[normalize-space()="Saved."]`)))
		var out struct {
			Node struct{ Customer struct{ Phone string } }
		}
		sdktest.Op(t, w.s.PlatformIn(w.tenant), "Project", map[string]any{"id": bakery}).Decode(t, &out)
		require.Equal(t, "+49 30 1234567", out.Node.Customer.Phone)

		// A link used already says so in words.
		again := b.tab()
		again.run(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`p.refusal`)))
		require.Equal(t, "This invitation link is used, expired or unknown. Ask your partner for a new one.", again.text(`p.refusal`))
	})
}

// The survey link of a completed lead opens the console's survey page,
// which takes the answer once.
func TestSurveyPage(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		platform := w.s.PlatformIn(w.tenant)
		lead := w.project(t, "leads", "Cafe menu", "new")
		money := map[string]any{"amount": 90000, "currency": "EUR"}
		for _, step := range []struct {
			op   string
			vars map[string]any
		}{
			{"AcceptLead", map[string]any{"id": lead}},
			{"SecureProject", map[string]any{"id": lead}},
			{"RecordRevenueSharePayment", map[string]any{"input": map[string]any{"projectId": lead, "amount": money}}},
			{"CompleteProject", map[string]any{"input": map[string]any{"id": lead, "finalDealValue": money}}},
		} {
			require.Empty(t, sdktest.Op(t, platform, step.op, step.vars).Errors, step.op)
		}
		var deal struct {
			Node struct{ Survey struct{ URL string } }
		}
		sdktest.Op(t, platform, "ProjectDeal", map[string]any{"id": lead}).Decode(t, &deal)
		require.True(t, strings.HasPrefix(deal.Node.Survey.URL, w.s.HTTP.URL+"/survey?token="), deal.Node.Survey.URL)

		b := newBrowser(t)
		p := b.tab()
		p.run(chromedp.Navigate(deal.Node.Survey.URL), chromedp.WaitVisible(chromedp.CSS(`fieldset.scores`)))
		p.screenshot("survey")
		p.accessible("the survey page")
		p.run(chromedp.Click(chromedp.Search(`//fieldset//label[normalize-space()="9"]/input`)), chromedp.SendKeys(chromedp.CSS(`#survey-comment`), "Quick and friendly"),
			chromedp.Click(button("Send")), chromedp.WaitVisible(chromedp.Search(`//p[normalize-space()="Thank you for your answer."]`)))
		var answered struct {
			Node struct{ Survey struct{ Score int } }
		}
		sdktest.Op(t, platform, "ProjectDeal", map[string]any{"id": lead}).Decode(t, &answered)
		require.Equal(t, 9, answered.Node.Survey.Score)

		again := b.tab()
		again.run(chromedp.Navigate(deal.Node.Survey.URL), chromedp.WaitVisible(chromedp.CSS(`fieldset.scores`)),
			chromedp.Click(chromedp.Search(`//fieldset//label[normalize-space()="3"]/input`)), chromedp.Click(button("Send")), visible(`p.refusal`))
		require.Equal(t, "This survey is answered already, or its link is unknown.", again.text(`p.refusal`))
	})
}
