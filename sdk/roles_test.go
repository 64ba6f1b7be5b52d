package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/tenant"
)

// readOnlyMembers is a platform's own permission system: the platform may
// do anything, members only read.
type readOnlyMembers struct{}

func (readOnlyMembers) Require(a tenant.Actor, p policies.Permission) error {
	switch {
	case a.Kind == tenant.KindPlatform:
		return nil
	case a.Kind == tenant.KindMember && p == policies.ReadProjects:
		return nil
	}
	return tenant.ErrForbidden
}

// A platform's own role decisions replace Lanes' role table; tenant
// isolation holds whatever they say.
func TestPlatformRoles(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.Roles = readOnlyMembers{} })
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")

		res := sdktest.Op(t, a.admin, "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": "Site"}})
		requireCode(t, res, "FORBIDDEN") // an ADMIN may by Lanes' table, not by the platform's
		require.Empty(t, sdktest.Op(t, a.viewer, "Board", map[string]any{"workflow": "website", "first": 5}).Errors)

		// Projects of another tenant stay out of reach.
		bp := create(t, b.platform, "website", "Beta site")
		res = sdktest.Op(t, a.viewer, "Project", map[string]any{"id": bp.ID})
		var out struct{ Project *struct{ ID string } }
		res.Decode(t, &out)
		require.Nil(t, out.Project)
	})
}
