package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/tenant/role"
)

// The development playground is built into the server (no CDN: this
// machine has no network) and, in a demo, runs queries with a member's
// credential at once.
func TestPlayground(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		w := newWorld(t, db, func(c *sdk.Config) {
			c.Dev = true
			c.Demo = &sdk.DemoSignIn{Tenant: "acme", Members: []sdk.DemoMember{{ExternalID: "alice", Name: "Alice", Role: role.Owner}}}
		})
		p := newBrowser(t).tab()
		// The editors fill in after the container shows: a click before
		// the query is there runs nothing (seen under load).
		p.run(chromedp.Navigate(w.s.HTTP.URL+"/playground"), visible(`.graphiql-container`),
			chromedp.WaitVisible(chromedp.Search(`//pre[contains(@class, "CodeMirror-line")][contains(., "viewer {")]`)),
			chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
			chromedp.WaitVisible(chromedp.Search(`//section[contains(@class, "result-window")]//*[contains(., '"kind": "MEMBER"')]`)))
		require.Contains(t, p.text(`section.result-window`), `"name": "alice"`)
		p.screenshot("playground")
	})
}
