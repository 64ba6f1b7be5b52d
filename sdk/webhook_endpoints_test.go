package sdk_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

type webhookView struct {
	ID, URL string
	Events  []string
	Enabled bool
	Secret  *string
}

func createWebhook(t *testing.T, c lanestest.Client, input map[string]any) (webhookView, *lanestest.Response) {
	t.Helper()
	res := sdktest.Op(t, c, "CreateWebhook", map[string]any{"input": input})
	var out struct{ CreateWebhook webhookView }
	if len(res.Errors) == 0 {
		res.Decode(t, &out)
	}
	return out.CreateWebhook, res
}

func listWebhooks(t *testing.T, c lanestest.Client) []webhookView {
	t.Helper()
	var out struct{ Webhooks []webhookView }
	sdktest.Op(t, c, "Webhooks", nil).Decode(t, &out)
	return out.Webhooks
}

// Admins register, change, rotate and delete their tenant's endpoints; the
// secret is shown once; URLs are https:// to public addresses (http://
// only to loopback when allowed); members, viewers, customers and other
// tenants get nowhere.
func TestWebhookEndpoints(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.WebhookAllowLoopback = true })
		acme, beta := newTeam(t, s, "acme"), newTeam(t, s, "beta")
		p := create(t, acme.member, "website", "Bakery")
		customer := customerFor(t, s, acme, p.ID, "bea@example.com")

		w, res := createWebhook(t, acme.admin, map[string]any{"url": "https://hooks.example.com/lanes", "events": []string{"project.moved", "project.moved", "payment.paid"}, "description": "CRM"})
		require.Empty(t, res.Errors)
		require.Regexp(t, `^whk_`, w.ID)
		require.Equal(t, []string{"project.moved", "payment.paid"}, w.Events, "each type once")
		require.NotNil(t, w.Secret)
		require.True(t, strings.HasPrefix(*w.Secret, "whsec_"), *w.Secret)
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(*w.Secret, "whsec_"))
		require.NoError(t, err)
		require.Len(t, key, 32)
		first := *w.Secret

		local, res := createWebhook(t, acme.platform, map[string]any{"url": "http://127.0.0.1:9999/hook"})
		require.Empty(t, res.Errors, "loopback is allowed in this server")
		require.Empty(t, local.Events, "no filter: all events")

		// The secret is shown once: never in the list or through node.
		list := listWebhooks(t, acme.owner)
		require.Len(t, list, 2)
		require.Equal(t, w.ID, list[0].ID)
		for _, l := range list {
			require.Nil(t, l.Secret)
			require.True(t, l.Enabled, "new endpoints are enabled")
		}
		var node struct {
			Node struct{ Secret *string }
		}
		acme.admin.Do(t, `query($id: ID!) { node(id: $id) { ... on Webhook { secret } } }`, map[string]any{"id": w.ID}).Decode(t, &node)
		require.Nil(t, node.Node.Secret)

		var updated struct{ UpdateWebhook webhookView }
		sdktest.Op(t, acme.admin, "UpdateWebhook", map[string]any{"input": map[string]any{"id": w.ID, "enabled": false, "events": []string{}}}).Decode(t, &updated)
		require.False(t, updated.UpdateWebhook.Enabled)
		require.Empty(t, updated.UpdateWebhook.Events)
		require.Equal(t, "https://hooks.example.com/lanes", updated.UpdateWebhook.URL, "what is not given stays")

		var rotated struct {
			RotateWebhookSecret struct {
				ID     string
				Secret *string
			}
		}
		sdktest.Op(t, acme.admin, "RotateWebhookSecret", map[string]any{"id": w.ID}).Decode(t, &rotated)
		require.NotNil(t, rotated.RotateWebhookSecret.Secret)
		require.NotEqual(t, first, *rotated.RotateWebhookSecret.Secret)
		// Both sign during the overlap: the new one first.
		ctx, err := s.Lanes.AsPlatform(t.Context(), "acme")
		require.NoError(t, err)
		secrets, err := s.Lanes.Webhooks.SigningSecrets(ctx, s.Lanes.Client(), pulidOf(w.ID))
		require.NoError(t, err)
		require.Equal(t, []string{*rotated.RotateWebhookSecret.Secret, first}, secrets)
		var expires time.Time
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT expires_at FROM webhook_secrets WHERE webhook_id = "+placeholders(db)[0]+" AND expires_at IS NOT NULL", w.ID).Scan(&expires))
		require.WithinDuration(t, time.Now().Add(24*time.Hour), expires, time.Minute)

		// Refusals: the role, the tenant, the input.
		for _, c := range []lanestest.Client{acme.member, acme.viewer, customer} {
			_, res := createWebhook(t, c, map[string]any{"url": "https://hooks.example.com/x"})
			requireCode(t, res, "FORBIDDEN")
			requireCode(t, sdktest.Op(t, c, "Webhooks", nil), "FORBIDDEN")
			// A customer sees no webhook at all: for it the ID names
			// nothing.
			byID := "FORBIDDEN"
			if c.Headers.Get("Authorization") == customer.Headers.Get("Authorization") {
				byID = "NOT_FOUND"
			}
			requireCode(t, sdktest.Op(t, c, "DeleteWebhook", map[string]any{"id": w.ID}), byID)
			requireCode(t, sdktest.Op(t, c, "RotateWebhookSecret", map[string]any{"id": w.ID}), byID)
		}
		requireCode(t, sdktest.Op(t, s.Anonymous, "Webhooks", nil), "UNAUTHENTICATED")
		// Nor through node: endpoints and events are the admins'.
		evt := allEvents(t, acme.admin, nil)[0].ID
		for _, id := range []string{w.ID, evt} {
			for _, c := range []lanestest.Client{acme.member, acme.viewer} {
				requireCode(t, c.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}), "FORBIDDEN")
				requireCode(t, c.Do(t, `query($id: ID!) { nodes(ids: [$id]) { id } }`, map[string]any{"id": id}), "FORBIDDEN")
			}
			var found struct{ Node struct{ ID string } }
			acme.admin.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}).Decode(t, &found)
			require.Equal(t, id, found.Node.ID)
		}
		require.Empty(t, listWebhooks(t, beta.admin), "another tenant's webhooks are not seen")
		for _, op := range []string{"DeleteWebhook", "RotateWebhookSecret"} {
			requireCode(t, sdktest.Op(t, beta.admin, op, map[string]any{"id": w.ID}), "NOT_FOUND")
		}
		requireCode(t, sdktest.Op(t, beta.admin, "UpdateWebhook", map[string]any{"input": map[string]any{"id": w.ID, "enabled": true}}), "NOT_FOUND")
		for name, tc := range map[string]struct {
			input map[string]any
			field string
		}{
			"http to a public host":  {map[string]any{"url": "http://hooks.example.com/"}, "url"},
			"a private address":      {map[string]any{"url": "https://10.0.0.7/hook"}, "url"},
			"the metadata service":   {map[string]any{"url": "https://169.254.169.254/latest"}, "url"},
			"credentials in the URL": {map[string]any{"url": "https://a:b@hooks.example.com/"}, "url"},
			"not a URL":              {map[string]any{"url": "hooks"}, "url"},
			"an unknown event type":  {map[string]any{"url": "https://hooks.example.com/", "events": []string{"project.moved", "project.exploded"}}, "events"},
			"a description over 500": {map[string]any{"url": "https://hooks.example.com/", "description": strings.Repeat("d", 501)}, "description"},
			"a URL over 2,000":       {map[string]any{"url": "https://hooks.example.com/" + strings.Repeat("p", 2000)}, "url"},
		} {
			_, res := createWebhook(t, acme.admin, tc.input)
			e := requireCode(t, res, "VALIDATION")
			require.Equal(t, tc.field, e.Extensions["field"], name)
		}
		requireCode(t, sdktest.Op(t, acme.admin, "UpdateWebhook", map[string]any{"input": map[string]any{"id": w.ID, "url": "https://192.168.0.1/"}}), "VALIDATION")
		require.Len(t, listWebhooks(t, acme.admin), 2, "nothing refused was written")

		var deleted struct{ DeleteWebhook string }
		sdktest.Op(t, acme.admin, "DeleteWebhook", map[string]any{"id": w.ID}).Decode(t, &deleted)
		require.Equal(t, w.ID, deleted.DeleteWebhook)
		requireCode(t, sdktest.Op(t, acme.admin, "DeleteWebhook", map[string]any{"id": w.ID}), "NOT_FOUND")
		require.Len(t, listWebhooks(t, acme.admin), 1)
		var left int
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT COUNT(*) FROM webhook_secrets WHERE webhook_id = "+placeholders(db)[0], w.ID).Scan(&left))
		require.Zero(t, left, "its secrets are gone with it")
	})
}

// Without LANES_WEBHOOK_ALLOW_LOOPBACK, loopback targets are refused too,
// and a tenant has at most 20 endpoints.
func TestWebhookEndpointsInProduction(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme := newTeam(t, s, "acme")
		for _, u := range []string{"http://127.0.0.1:9000/", "https://127.0.0.1/", "https://[::1]/", "https://localhost/", "http://localhost/"} {
			_, res := createWebhook(t, acme.admin, map[string]any{"url": u})
			requireCode(t, res, "VALIDATION")
		}
		for range 20 {
			_, res := createWebhook(t, acme.admin, map[string]any{"url": "https://hooks.example.com/"})
			require.Empty(t, res.Errors)
		}
		_, res := createWebhook(t, acme.admin, map[string]any{"url": "https://hooks.example.com/"})
		e := requireCode(t, res, "VALIDATION")
		require.EqualValues(t, 20, e.Extensions["limit"])
	})
}
