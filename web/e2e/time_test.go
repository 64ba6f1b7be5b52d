package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// The time page: the running timer (stopped from there), the report of
// tracked time by status and by member with its chart and cycle times,
// and the same report as CSV.
func TestTimePage(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		bakery := w.project(t, "website", "Bakery", "lead")
		w.backdate(t, bakery, 5*time.Hour)
		start := time.Now().Add(-4 * time.Hour).UTC().Truncate(time.Second)
		for member, hours := range map[string]int{"bob": 2, "alice": 1} {
			res := sdktest.Op(t, w.s.Member(t, w.tenant, member), "AddTimeEntry", map[string]any{"input": map[string]any{
				"projectId": bakery, "startedAt": start.Format(time.RFC3339), "endedAt": start.Add(time.Duration(hours) * time.Hour).Format(time.RFC3339),
			}})
			require.Empty(t, res.Errors)
		}
		// Lead's visit ends: a cycle time.
		require.Empty(t, sdktest.Op(t, w.s.PlatformIn(w.tenant), "MoveProject", map[string]any{"input": map[string]any{"id": bakery, "to": "interest"}}).Errors)
		require.Empty(t, sdktest.Op(t, w.s.Member(t, w.tenant, "bob"), "StartTimer", map[string]any{"projectId": bakery}).Errors)

		p := newBrowser(t).tab()
		p.signIn(w, "bob")
		p.run(chromedp.Click(chromedp.Search(`//nav//a[normalize-space()="Time"]`)), chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Running on") and contains(., "Bakery")]`)),
			chromedp.WaitVisible(chromedp.Search(`//p[contains(@class, "total") and contains(., "3 h 0 min")]`)), visible(`.chart canvas`))
		p.screenshot("time")
		p.accessible("the time page")
		require.Contains(t, p.text(`table.report`), "Lead")

		p.run(chromedp.Click(chromedp.Search(`//fieldset//label[contains(., "Member")]/input`)), chromedp.WaitVisible(chromedp.Search(`//table[@class="report"]//td[normalize-space()="alice"]`)))
		require.Contains(t, p.text(`table.report`), "bob")
		p.run(chromedp.WaitVisible(chromedp.Search(`//h2[normalize-space()="Cycle times"]/following-sibling::table//td[normalize-space()="Lead"]`)))

		// The CSV: the page fetches it with the member's token and hands
		// the browser a file; the file's content is caught on its way.
		eval[bool](p, `(() => { const make = URL.createObjectURL; URL.createObjectURL = b => { b.text().then(t => { window.__csv = t; }); return make(b); }; return true; })()`)
		p.run(chromedp.Click(button("Download CSV")))
		require.True(t, value(p, chromedp.Poll[bool]("window.__csv !== undefined")))
		csv := eval[string](p, `window.__csv`)
		require.Contains(t, csv, "alice")
		require.Contains(t, csv, "bob")

		p.run(chromedp.Click(button("Stop the timer")), chromedp.WaitVisible(chromedp.Search(`//p[contains(., "No timer is running")]`)))
	})
}
