package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// The Project operation: workflow bar, history, time in status, to-dos.
func TestProjectView(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Site", map[string]any{
			"customer": map[string]any{"name": "Cara", "company": "Cara Co", "email": "cara@example.com", "phone": "+49 1"},
		})
		require.Empty(t, setEnabled(t, a.admin, "website", "interest", false).Errors)
		for _, to := range []string{"preparation", "approval"} {
			require.Empty(t, move(t, a.member, p.ID, to).Errors)
		}
		v := view(t, a.viewer, p.ID) // viewers read projects
		require.Equal(t, "Site", v.Node.Title)
		require.Equal(t, "website", v.Node.Workflow.Key)
		require.Equal(t, "Cara", v.Node.Customer.Name)
		require.False(t, v.Node.Archived)
		require.Nil(t, v.Node.ArchiveReason)
		require.Nil(t, v.Node.Progress)

		require.Len(t, v.Node.Steps, 12) // interest is disabled
		states := map[string]string{}
		for _, st := range v.Node.Steps {
			states[st.Status.Key] = st.State
		}
		require.Equal(t, "DONE", states["lead"])
		require.Equal(t, "DONE", states["preparation"])
		require.Equal(t, "CURRENT", states["approval"])
		require.Equal(t, "UPCOMING", states["assign"])
		require.Equal(t, "UPCOMING", states["redesign"])
		require.NotContains(t, states, "interest")

		require.Equal(t, []string{"create:lead", "move:preparation", "move:approval"}, historyActions(v))
		var keys []string
		for _, d := range v.Node.TimeInStatus {
			keys = append(keys, d.Status.Key)
			require.GreaterOrEqual(t, d.Seconds, 0)
		}
		require.Equal(t, []string{"lead", "preparation", "approval"}, keys)
		require.Empty(t, v.Node.Todos)

		var full struct {
			Node struct {
				Customer struct{ Company, Email, Phone string }
			}
		}
		sdktest.Op(t, a.member, "Project", map[string]any{"id": p.ID}).Decode(t, &full)
		require.Equal(t, "Cara Co", full.Node.Customer.Company)
		require.Equal(t, "cara@example.com", full.Node.Customer.Email)
		require.Equal(t, "+49 1", full.Node.Customer.Phone)
	})
}
