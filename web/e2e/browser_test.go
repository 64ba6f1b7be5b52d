// Package e2e drives the console in a real headless Chromium against the
// real server, on SQLite and on PostgreSQL.
//
// Without Chromium the tests skip, saying how to install it; with
// LANES_REQUIRE_BROWSER=1 (CI) they fail instead. Screenshots of every
// page go to web/e2e/out/ (LANES_SCREENSHOTS names another folder).
package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/store"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// chromium finds the browser, or skips (fails when one is required).
func chromium(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("LANES_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	const how = "no Chromium found: install it (apt-get install -y chromium) or name it in LANES_CHROMIUM"
	if os.Getenv("LANES_REQUIRE_BROWSER") != "" {
		t.Fatal(how + " (LANES_REQUIRE_BROWSER is set)")
	}
	t.Skip(how)
	return ""
}

// browser is one Chromium process for a test; tab opens pages in it.
type browser struct {
	t     *testing.T
	alloc context.Context
	first context.Context // the first tab's: the browser's
	shots string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
		// This machine's network is closed: nothing but the test's server.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	shots := os.Getenv("LANES_SCREENSHOTS")
	if shots == "" {
		shots = "out"
	}
	shots = filepath.Join(shots, strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()))
	require.NoError(t, os.MkdirAll(shots, 0o755))
	return &browser{t: t, alloc: alloc, shots: shots}
}

// tab is one page of the browser.
type tab struct {
	t   *testing.T
	b   *browser
	ctx context.Context
}

// tab opens a new tab (its own session storage: its own sign-in), in the
// browser's one process.
func (b *browser) tab() *tab {
	b.t.Helper()
	parent := b.alloc
	if b.first != nil {
		parent = b.first
	}
	ctx, cancel := chromedp.NewContext(parent)
	b.t.Cleanup(cancel)
	// Starts the browser (for the first tab) and the tab, without a
	// deadline: the browser lives as long as this context.
	require.NoError(b.t, chromedp.Do(ctx))
	if b.first == nil {
		b.first = ctx
	}
	return &tab{t: b.t, b: b, ctx: ctx}
}

// actionTimeout bounds each step of a test in the browser.
const actionTimeout = 30 * time.Second

// run runs steps, failing the test with what failed.
func (p *tab) run(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.screenshot("failure")
		p.t.Fatalf("browser: %v", err)
	}
}

// value runs an action that returns a value.
func value[T any](p *tab, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.screenshot("failure")
		p.t.Fatalf("browser: %v", err)
	}
	return v
}

// eval evaluates a JavaScript expression, awaiting a promise.
func eval[T any](p *tab, expression string) T {
	p.t.Helper()
	return value(p, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
}

// text is the text of the first element matching a CSS selector.
func (p *tab) text(selector string) string {
	p.t.Helper()
	return value(p, chromedp.Text(chromedp.CSS(selector)))
}

// visible waits until an element matching a CSS selector is visible.
func visible(selector string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(selector))
}

// screenshot saves the page as <name>.png for a reviewer.
func (p *tab) screenshot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	require.NoError(p.t, os.WriteFile(filepath.Join(p.b.shots, name+".png"), png, 0o644))
}

//go:embed testdata/axe.min.js
var axeSource string

// accessible runs axe-core on the page and fails on serious or critical
// violations.
func (p *tab) accessible(page string) {
	p.t.Helper()
	eval[bool](p, axeSource+";true")
	type violation struct {
		ID, Impact, Help string
		Nodes            []struct{ Target []any }
	}
	var bad []string
	for _, v := range eval[[]violation](p, `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)`) {
		if v.Impact == "serious" || v.Impact == "critical" {
			targets, _ := json.Marshal(v.Nodes)
			bad = append(bad, fmt.Sprintf("%s (%s): %s %s", v.ID, v.Impact, v.Help, targets))
		}
	}
	require.Empty(p.t, bad, "accessibility violations on %s", page)
}

type point struct{ X, Y float64 }

// center is a point in the first element matching a CSS selector (its
// middle, at most 30 px below its top), in the viewport, scrolled into it.
func (p *tab) center(selector string) point {
	p.t.Helper()
	return eval[point](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.scrollIntoView({block: 'center', inline: 'center'}); const b = e.getBoundingClientRect(); return {x: b.x + b.width / 2, y: b.y + Math.min(b.height / 2, 30)}; })()`, selector))
}

// drag drags the element matching from onto the element matching to
// with the mouse, as a user does (the pointer events dnd-kit listens to),
// and drops it once arrived (a CSS selector) shows it there.
func (p *tab) drag(from, to, arrived string) {
	p.t.Helper()
	a := p.center(from)
	p.run(
		chromedp.MouseEvent(chromedp.MousePressed, a.X, a.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		// Past the activation distance first.
		chromedp.MouseEvent(chromedp.MouseMoved, a.X+10, a.Y+10, chromedp.ButtonLeft),
	)
	b := p.center(to)
	const steps = 12
	var moves []chromedp.Action[chromedp.Void]
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		moves = append(moves, chromedp.MouseEvent(chromedp.MouseMoved, a.X+(b.X-a.X)*f, a.Y+(b.Y-a.Y)*f, chromedp.ButtonLeft))
	}
	moves = append(moves, visible(arrived), chromedp.MouseEvent(chromedp.MouseReleased, b.X, b.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		// The dragged card's overlay animates to its place, above the
		// cards, until the drop is over.
		chromedp.WaitNotPresent(chromedp.CSS(`.card-body.dragging`)))
	p.run(moves...)
}

// hold picks up the element matching from with the mouse and holds it
// (past dnd-kit's activation distance); the returned func drops it back
// where it was picked up.
func (p *tab) hold(from string) (drop func()) {
	p.t.Helper()
	a := p.center(from)
	p.run(
		chromedp.MouseEvent(chromedp.MousePressed, a.X, a.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, a.X+10, a.Y+10, chromedp.ButtonLeft),
	)
	return func() {
		p.run(chromedp.MouseEvent(chromedp.MouseMoved, a.X, a.Y, chromedp.ButtonLeft),
			chromedp.MouseEvent(chromedp.MouseReleased, a.X, a.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
			chromedp.WaitNotPresent(chromedp.CSS(`.card-body.dragging`)))
	}
}

// world is a server with a tenant whose members sign in to the console.
type world struct {
	s      *sdktest.Server
	db     lanestest.Database
	tenant string
}

func newWorld(t *testing.T, db lanestest.Database, options ...func(*sdk.Config)) *world {
	t.Helper()
	s := sdktest.Start(t, db.URL, options...)
	s.CreateTenant(t, "acme")
	for _, m := range []struct{ id, role string }{{"alice", "OWNER"}, {"bob", "MEMBER"}, {"vera", "VIEWER"}} {
		s.AddMember(t, "acme", m.id, m.role)
	}
	return &world{s: s, db: db, tenant: "acme"}
}

// token is a member's JWT, as the embedding platform signs it.
func (w *world) token(t *testing.T, member string) string {
	t.Helper()
	token, err := auth.MintHS256([]byte(sdktest.JWTSecret), w.tenant, member, time.Hour)
	require.NoError(t, err)
	return token
}

// project creates a project through the API and returns its ID.
func (w *world) project(t *testing.T, workflow, title, status string) string {
	t.Helper()
	var out struct{ CreateProject struct{ ID string } }
	sdktest.Op(t, w.s.PlatformIn(w.tenant), "CreateProject", map[string]any{"input": map[string]any{
		"workflow": workflow, "title": title, "status": status, "customer": map[string]any{"name": title + " customer"},
	}}).Decode(t, &out)
	return out.CreateProject.ID
}

// backdate moves a project's creation and history into the past, so that
// time can be logged for hours it has existed. Test data only: the
// history is not rewritten by anything else.
func (w *world) backdate(t *testing.T, projectID string, by time.Duration) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{URL: w.db.URL})
	require.NoError(t, err)
	defer st.Close()
	shift := func(table, column, where string) {
		rows, err := st.SQL.QueryContext(ctx, "SELECT id, "+column+" FROM "+table+" WHERE "+where+" = $1", projectID)
		require.NoError(t, err)
		moved := map[string]time.Time{}
		for rows.Next() {
			var id string
			var at time.Time
			require.NoError(t, rows.Scan(&id, &at))
			moved[id] = at.Add(-by)
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		for id, at := range moved {
			_, err := st.SQL.ExecContext(ctx, "UPDATE "+table+" SET "+column+" = $1 WHERE id = $2", at, id)
			require.NoError(t, err)
		}
	}
	shift("projects", "created_at", "id")
	shift("status_changes", "at", "project_id")
}

// statusOf reads a project's status back through GraphQL.
func (w *world) statusOf(t *testing.T, id string) string {
	t.Helper()
	var out struct {
		Node struct{ Status struct{ Key string } }
	}
	sdktest.Op(t, w.s.PlatformIn(w.tenant), "Project", map[string]any{"id": id}).Decode(t, &out)
	return out.Node.Status.Key
}

// signIn opens the console as a member (the platform's /#token= link).
func (p *tab) signIn(w *world, member string) {
	p.t.Helper()
	p.run(chromedp.Navigate(w.s.HTTP.URL+"/#token="+w.token(p.t, member)), visible(`section.column`))
}

func card(id string) string { return fmt.Sprintf(`li.card-item[data-project=%q] .card`, id) }
func inColumn(status, id string) string {
	return fmt.Sprintf(`section.column[data-status=%q] li.card-item[data-project=%q]`, status, id)
}

// byXPath is the JavaScript expression of the first element an XPath
// expression finds (null if none).
func byXPath(xpath string) string {
	return fmt.Sprintf(`document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue`, xpath)
}

// pick chooses, by its value or its text, an option of the select a label
// with that text holds, as a user does (the change event React listens to).
func (p *tab) pick(label, option string) {
	p.t.Helper()
	select_ := byXPath(fmt.Sprintf(`//label[contains(., %q)]//select`, label))
	require.True(p.t, eval[bool](p, fmt.Sprintf(`(() => { const s = %s; const o = s && [...s.options].find(o => o.value === %q || o.text === %q); if (!o) return false; s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, select_, option, option)),
		"no option %q in the select labelled %q", option, label)
}

// fill replaces the text of the field an XPath expression finds, as
// typing does for React (the native setter, then an input event).
func (p *tab) fill(xpath, text string) {
	p.t.Helper()
	require.True(p.t, eval[bool](p, fmt.Sprintf(`(() => { const e = %s; if (!e) return false; Object.getOwnPropertyDescriptor(Object.getPrototypeOf(e), 'value').set.call(e, %q); e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, byXPath(xpath), text)),
		"no field %s", xpath)
}

// memberIDs are the tenant's members' IDs by their platform ID.
func (w *world) memberIDs(t *testing.T) map[string]string {
	t.Helper()
	var out struct {
		Members []struct{ ID, ExternalID string }
	}
	w.s.PlatformIn(w.tenant).Do(t, `{ members { id externalId } }`, nil).Decode(t, &out)
	ids := map[string]string{}
	for _, m := range out.Members {
		ids[m.ExternalID] = m.ID
	}
	return ids
}
