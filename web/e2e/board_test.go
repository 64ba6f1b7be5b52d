package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant/role"
)

// A partner signs in (here the demo's picker), drags a card to another
// column, and the move is persisted.
func TestSignInAndDragACard(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db, func(c *sdk.Config) {
			c.Dev = true
			c.Demo = &sdk.DemoSignIn{Tenant: "acme", Members: []sdk.DemoMember{
				{ExternalID: "alice", Name: "Alice", Role: role.Owner},
				{ExternalID: "bob", Name: "Bob", Role: role.Member},
			}}
		})
		bakery := w.project(t, "website", "Bakery", "lead")
		w.project(t, "website", "Roofing", "preparation")
		p := newBrowser(t).tab()

		bobButton := chromedp.Search(`//button[contains(., "Bob")]`)
		p.run(chromedp.Navigate(w.s.HTTP.URL+"/"), chromedp.WaitVisible(bobButton))
		p.screenshot("sign-in")
		p.accessible("the sign-in page")
		p.run(chromedp.Click(bobButton), visible(card(bakery)))
		p.screenshot("board")
		p.accessible("the board")

		p.drag(card(bakery), `section.column[data-status="interest"] ol.cards`, inColumn("interest", bakery))
		// The card shows its new version once the server took the move.
		p.run(visible(fmt.Sprintf(`section.column[data-status="interest"] li[data-project=%q][data-version="2"]`, bakery)))
		p.screenshot("board-after-drag")
		require.Equal(t, "interest", w.statusOf(t, bakery))
	})
}

// A refused move goes back where it was, with the reason in words next to
// the card: a full column, the open to-dos of a blocking checklist. The
// "Move to" list is the keyboard's way (and the mouse's) without dragging.
func TestBoardRefusalsAndMoveToList(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		admin := w.s.PlatformIn(w.tenant)
		full := w.project(t, "website", "Already interested", "interest")
		bakery := w.project(t, "website", "Bakery", "lead")
		require.Empty(t, sdktest.Op(t, admin, "UpdateStatus", map[string]any{"input": map[string]any{"workflow": "website", "status": "interest", "wipLimit": 1}}).Errors)
		require.Empty(t, sdktest.Op(t, admin, "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "preparation", "on": "ENTER",
			"todos": []map[string]any{{"title": "Collect the texts", "blocking": true}, {"title": "Nice to have", "blocking": false}},
		}}).Errors)
		blocked := w.project(t, "website", "Roofing", "preparation")
		p := newBrowser(t).tab()
		p.signIn(w, "bob")

		// While the card is held, the full column is greyed out, saying why.
		drop := p.hold(card(bakery))
		p.run(visible(`section.column.blocked[data-status="interest"] .blocked-reason`))
		require.Equal(t, "Not here: The column is full: its WIP limit is 1.", p.text(`section.column[data-status="interest"] .blocked-reason`))
		require.Zero(t, eval[int](p, `document.querySelectorAll('section.column.blocked:not([data-status="interest"])').length`), "only the full column")
		drop()
		p.run(chromedp.WaitNotPresent(chromedp.CSS(`section.column.blocked`)))

		p.drag(card(bakery), `section.column[data-status="interest"] ol.cards`, inColumn("interest", bakery))
		p.run(visible(fmt.Sprintf(`section.column[data-status="lead"] li[data-project=%q] .refusal`, bakery)))
		text := p.text(fmt.Sprintf(`li[data-project=%q] .refusal`, bakery))
		require.Equal(t, "“Interest” is full: its WIP limit is 1.", text)
		p.screenshot("wip-limit")
		require.Equal(t, "lead", w.statusOf(t, bakery))
		require.Equal(t, "interest", w.statusOf(t, full))

		p.drag(card(blocked), `section.column[data-status="approval"] ol.cards`, inColumn("approval", blocked))
		p.run(visible(fmt.Sprintf(`section.column[data-status="preparation"] li[data-project=%q] .refusal`, blocked)))
		text = p.text(fmt.Sprintf(`li[data-project=%q] .refusal`, blocked))
		require.Equal(t, "Open to-dos block moving on from Preparation: “Collect the texts”.", text)
		p.screenshot("checklist")
		p.accessible("the board with refusals")

		// The list instead of a drag: Bakery to Approval.
		p.run(chromedp.Click(chromedp.CSS(fmt.Sprintf(`li[data-project=%q] .move-to-open`, bakery))), visible(fmt.Sprintf(`li[data-project=%q] .move-to select`, bakery)))
		eval[bool](p, fmt.Sprintf(`(() => { const s = document.querySelector('li[data-project=%q] .move-to select'); s.value = 'approval'; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, bakery))
		p.run(visible(fmt.Sprintf(`section.column[data-status="approval"] li[data-project=%q][data-version="2"]`, bakery)))
		require.Equal(t, "approval", w.statusOf(t, bakery))
	})
}

// A second browser sees the first one's move without reloading (the live
// board), and a viewer has nothing to drag.
func TestLiveBoard(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		bakery := w.project(t, "website", "Bakery", "lead")
		b := newBrowser(t)
		bob, vera := b.tab(), b.tab()
		bob.signIn(w, "bob")
		vera.signIn(w, "vera")
		require.Zero(t, eval[int](vera, `document.querySelectorAll('.move-to-open').length`), "a viewer moves nothing")

		bob.drag(card(bakery), `section.column[data-status="interest"] ol.cards`, inColumn("interest", bakery))
		vera.run(visible(inColumn("interest", bakery)))
		vera.screenshot("live-board")
		require.Equal(t, "interest", w.statusOf(t, bakery))
	})
}

// A board of 13 columns × 20 cards: the time from its data's arrival to
// its render, from the page's performance timeline (reported, not
// asserted: speed is a benchmark's business).
func TestLargeBoardRender(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		ctx, err := w.s.Lanes.AsPlatform(context.Background(), w.tenant)
		require.NoError(t, err)
		website, err := w.s.Lanes.Workflows.Workflow(ctx, "website")
		require.NoError(t, err)
		statuses, err := w.s.Lanes.Workflows.Statuses(ctx, website, false)
		require.NoError(t, err)
		require.Len(t, statuses, 13)
		for _, st := range statuses {
			for i := range 20 {
				key := st.Key
				_, err := w.s.Lanes.Workflows.CreateProject(ctx, workflow.CreateProjectInput{Workflow: "website", Title: fmt.Sprintf("%s %d", st.Name, i+1), Status: &key})
				require.NoError(t, err)
			}
		}
		p := newBrowser(t).tab()
		p.signIn(w, "bob")
		require.Equal(t, 13*20, eval[int](p, `document.querySelectorAll('li.card-item').length`))
		ms := eval[float64](p, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.getEntriesByName('board-render').map(e => e.duration).pop() ?? -1))))`)
		require.Positive(t, ms, "the board measured its render")
		t.Logf("board of 13 × 20 cards rendered in %.1f ms after its data arrived (%s)", ms, db.Name)
		p.screenshot("large-board")
	})
}

// Mounted under a prefix, the console loads, calls the API, follows
// live moves and opens its pages there: nothing in it is absolute.
func TestConsoleUnderAPrefix(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		mounted := httptest.NewServer(http.StripPrefix("/lanes", w.s.Lanes.Handler()))
		t.Cleanup(mounted.Close)
		bakery := w.project(t, "website", "Bakery", "lead")
		p := newBrowser(t).tab()
		p.run(chromedp.Navigate(mounted.URL+"/lanes/#token="+w.token(t, "bob")), visible(card(bakery)))
		p.drag(card(bakery), `section.column[data-status="interest"] ol.cards`, inColumn("interest", bakery))
		p.run(visible(fmt.Sprintf(`section.column[data-status="interest"] li[data-project=%q][data-version="2"]`, bakery)))
		require.Equal(t, "interest", w.statusOf(t, bakery))
		p.run(chromedp.Click(chromedp.CSS(fmt.Sprintf(`li[data-project=%q] a.title`, bakery))), visible(`nav.workflow-bar`))
		require.Equal(t, mounted.URL+"/lanes/projects/"+bakery, eval[string](p, `location.href`))
		p.run(chromedp.Reload(), visible(`nav.workflow-bar`))
		p.screenshot("detail-under-prefix")
	})
}

// A column loads more cards on demand; the leads workflow refuses a move
// it does not allow, in words; a declined lead is in the archived view.
func TestBoardMoreArchivedAndStrict(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		ctx, err := w.s.Lanes.AsPlatform(context.Background(), w.tenant)
		require.NoError(t, err)
		lead := "lead"
		for i := range 25 {
			_, err := w.s.Lanes.Workflows.CreateProject(ctx, workflow.CreateProjectInput{Workflow: "website", Title: fmt.Sprintf("Project %02d", i+1), Status: &lead})
			require.NoError(t, err)
		}
		plumber := w.project(t, "leads", "Plumber", "new")
		cafe := w.project(t, "leads", "Cafe", "new")
		require.Empty(t, sdktest.Op(t, w.s.PlatformIn(w.tenant), "DeclineLead", map[string]any{"id": cafe, "reason": "AT_CAPACITY"}).Errors)

		p := newBrowser(t).tab()
		p.signIn(w, "bob")
		cards := `section.column[data-status="lead"] li.card-item`
		require.Equal(t, 20, eval[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, cards)))
		p.run(chromedp.Click(button("Load more (5 more)")), chromedp.WaitNotPresent(chromedp.Search(`//button[starts-with(normalize-space(), "Load more")]`)))
		require.Equal(t, 25, eval[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, cards)))

		p.run(chromedp.Click(chromedp.Search(`//nav[@aria-label="Workflows"]//a[normalize-space()="Partner leads"]`)), visible(card(plumber)))
		p.drag(card(plumber), `section.column[data-status="completed"] ol.cards`, inColumn("completed", plumber))
		p.run(visible(fmt.Sprintf(`section.column[data-status="new"] li[data-project=%q] .refusal`, plumber)))
		require.Contains(t, p.text(fmt.Sprintf(`li[data-project=%q] .refusal`, plumber)), "This workflow does not allow that")
		require.Equal(t, "new", w.statusOf(t, plumber))

		p.run(chromedp.Click(chromedp.Search(`//nav[@aria-label="Workflows"]//a[normalize-space()="Archived"]`)), visible(inColumn("declined", cafe)))
		p.screenshot("archived")
		p.accessible("the archived view")
	})
}

// The board says how many projects are in each category of status, and
// shows one member's projects when filtered by assignee.
func TestBoardSummaryAndAssigneeFilter(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db)
		bakery := w.project(t, "website", "Bakery", "lead")
		cafe := w.project(t, "website", "Cafe", "interest")
		roofing := w.project(t, "website", "Roofing", "preparation")
		require.Empty(t, sdktest.Op(t, w.s.PlatformIn(w.tenant), "UpdateProject", map[string]any{"input": map[string]any{"id": roofing, "assigneeId": w.memberIDs(t)["bob"]}}).Errors)
		p := newBrowser(t).tab()
		p.signIn(w, "alice")
		p.run(visible(`p.board-summary`))
		summary := p.text(`p.board-summary`)
		require.Contains(t, summary, "Lead 2")
		require.Contains(t, summary, "Open 1")
		p.accessible("the board with its summary and filter")

		p.pick("Assignee", "bob")
		p.run(chromedp.WaitNotPresent(chromedp.CSS(card(bakery))), visible(card(roofing)))
		require.Zero(t, eval[int](p, fmt.Sprintf(`document.querySelectorAll('li[data-project=%q]').length`, cafe)))
		p.screenshot("filtered-board")
		p.pick("Assignee", "")
		p.run(visible(card(bakery)), visible(card(cafe)))
	})
}
