package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// What the console's settings read beside the contract: the team's
// members, a workflow's automations, and each status's template features
// against the tenant's; tenant-scoped, for staff only.
func TestSettingsReads(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme, beta := newTeam(t, s, "acme"), newTeam(t, s, "beta")
		p := create(t, acme.member, "website", "Bakery")

		var members struct{ Members []struct{ Name, Role string } }
		acme.viewer.Do(t, `{ members { name role } }`, nil).Decode(t, &members)
		require.Equal(t, []struct{ Name, Role string }{{"acme-admin", "ADMIN"}, {"acme-member", "MEMBER"}, {"acme-owner", "OWNER"}, {"acme-viewer", "VIEWER"}}, members.Members, "by name, this tenant's only")
		customer := customerFor(t, s, acme, p.ID, "bea@example.com")
		requireCode(t, customer.Do(t, `{ members { name } }`, nil), "FORBIDDEN")
		requireCode(t, s.Anonymous.Do(t, `{ members { name } }`, nil), "UNAUTHENTICATED")

		require.Empty(t, sdktest.Op(t, acme.admin, "CreateAutomation", map[string]any{"input": map[string]any{
			"workflow": "website", "status": "preparation", "on": "ENTER",
			"todos": []map[string]any{{"title": "Collect the texts", "blocking": true}, {"title": "Ask for a logo"}},
		}}).Errors)
		const automations = `{ workflow(key: "website") { automations { trigger status { key } todos { title blocking } } } }`
		var list struct {
			Workflow struct {
				Automations []struct {
					Trigger string
					Status  struct{ Key string }
					Todos   []struct {
						Title    string
						Blocking bool
					}
				}
			}
		}
		acme.viewer.Do(t, automations, nil).Decode(t, &list)
		require.Len(t, list.Workflow.Automations, 1)
		a := list.Workflow.Automations[0]
		require.Equal(t, "ENTER", a.Trigger)
		require.Equal(t, "preparation", a.Status.Key)
		require.Equal(t, []struct {
			Title    string
			Blocking bool
		}{{"Collect the texts", true}, {"Ask for a logo", false}}, a.Todos)
		beta.admin.Do(t, automations, nil).Decode(t, &list)
		require.Empty(t, list.Workflow.Automations, "another tenant's automations are not there")

		require.Empty(t, sdktest.Op(t, acme.admin, "SetPortalFeature", map[string]any{"workflow": "website", "status": "lead", "feature": "MY_DATA", "enabled": true}).Errors)
		require.Empty(t, sdktest.Op(t, acme.admin, "SetPortalFeature", map[string]any{"workflow": "website", "status": "lead", "feature": "WISHES", "enabled": false}).Errors)
		const features = `{ workflow(key: "website") { statuses { key portalFeatures templatePortalFeatures } } }`
		var set struct {
			Workflow struct {
				Statuses []struct {
					Key                                    string
					PortalFeatures, TemplatePortalFeatures []string
				}
			}
		}
		acme.member.Do(t, features, nil).Decode(t, &set)
		lead := set.Workflow.Statuses[0]
		require.Equal(t, "lead", lead.Key)
		require.ElementsMatch(t, []string{"FILE_MANAGER", "WISHES"}, lead.TemplatePortalFeatures)
		require.ElementsMatch(t, []string{"FILE_MANAGER", "MY_DATA"}, lead.PortalFeatures)
		beta.member.Do(t, features, nil).Decode(t, &set)
		require.ElementsMatch(t, []string{"FILE_MANAGER", "WISHES"}, set.Workflow.Statuses[0].PortalFeatures, "another tenant keeps the template's")
	})
}
