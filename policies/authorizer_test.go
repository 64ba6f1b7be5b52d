package policies

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// The contract's role table, in casbin's testDomainEnforce style.
func TestRolePolicies(t *testing.T) {
	a, err := NewAuthorizer()
	require.NoError(t, err)
	cases := []struct {
		role role.Role
		perm Permission
		want bool
	}{
		{role.Viewer, ReadProjects, true},
		{role.Viewer, WriteProjects, false},
		{role.Viewer, TrackTime, false},
		{role.Viewer, Configure, false},
		{role.Viewer, ManageMembers, false},
		{role.Member, ReadProjects, true},
		{role.Member, WriteProjects, true},
		{role.Member, TrackTime, true},
		{role.Member, InviteCustomers, true},
		{role.Member, ManageTime, false},
		{role.Member, Configure, false},
		{role.Member, ManageMembers, false},
		{role.Admin, ReadProjects, true},
		{role.Admin, WriteProjects, true},
		{role.Admin, Configure, true},
		{role.Admin, ManageMembers, true},
		{role.Admin, ManageTime, true},
		{role.Admin, GrantOwner, false},
		{role.Viewer, ReadEvents, false},
		{role.Member, ReadEvents, false},
		{role.Admin, ReadEvents, true},
		{role.Owner, ReadEvents, true},
		{role.Member, ManageWebhooks, false},
		{role.Admin, ManageWebhooks, true},
		{role.Owner, Configure, true},
		{role.Owner, GrantOwner, true},
		{"GOD", ReadProjects, false},
		{"", ReadProjects, false},
	}
	for _, tc := range cases {
		for _, domain := range []string{"ten_A", "ten_B"} {
			got := a.RoleAllows(domain, tc.role, tc.perm)
			require.Equal(t, tc.want, got, "%s %s/%s in %s", tc.role, tc.perm.Object, tc.perm.Action, domain)
			// The memo answers as casbin does.
			direct, err := a.Enforce("role:"+string(tc.role), domain, tc.perm.Object, tc.perm.Action)
			require.NoError(t, err)
			require.Equal(t, tc.want, direct)
		}
	}
}

func TestRequireRefusesCustomersAndOutsiders(t *testing.T) {
	a, err := NewAuthorizer()
	require.NoError(t, err)
	require.NoError(t, a.Require(tenant.Actor{Kind: tenant.KindMember, TenantID: "ten_A", Role: "VIEWER"}, ReadProjects))
	require.ErrorIs(t, a.Require(tenant.Actor{Kind: tenant.KindCustomer, TenantID: "ten_A"}, ReadProjects), tenant.ErrForbidden)
	require.ErrorIs(t, a.Require(tenant.Actor{Kind: tenant.KindPlatform}, ReadProjects), tenant.ErrForbidden)
	require.NoError(t, a.Require(tenant.Actor{Kind: tenant.KindPlatform, TenantID: "ten_A", Role: "OWNER"}, Configure))
}

// Wildcard-domain defaults hold in any tenant; a tenant's own policies stay
// in that tenant (cross-domain row).
func TestDomainsDoNotLeak(t *testing.T) {
	e, err := newEnforcer(rolePolicies + "\np, role:VIEWER, ten_A, reports, export, allow\np, role:MEMBER, ten_B, projects, write, deny\n")
	require.NoError(t, err)
	for _, tc := range []struct {
		sub, dom, obj, act string
		want               bool
	}{
		{"role:VIEWER", "ten_A", "reports", "export", true},
		{"role:VIEWER", "ten_B", "reports", "export", false},
		{"role:ADMIN", "ten_A", "reports", "export", true}, // inherits VIEWER in ten_A
		{"role:MEMBER", "ten_B", "projects", "write", false},
		{"role:MEMBER", "ten_A", "projects", "write", true},
		{"role:ADMIN", "ten_B", "projects", "write", false}, // a deny beats an inherited allow
	} {
		got, err := e.Enforce(tc.sub, tc.dom, tc.obj, tc.act)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "%+v", tc)
	}
}

func BenchmarkRoleAllowsMemoised(b *testing.B) {
	a, err := NewAuthorizer()
	require.NoError(b, err)
	a.RoleAllows("ten_A", "MEMBER", WriteProjects)
	b.ReportAllocs()
	for b.Loop() {
		if !a.RoleAllows("ten_A", "MEMBER", WriteProjects) {
			b.Fatal("denied")
		}
	}
}

// BenchmarkRoleAllowsUncached is the casbin enforcement behind a first role
// decision. Role policies live in the wildcard domain only, so its cost does
// not depend on the number of tenants (the feature decisions, which tenants
// override, are measured at 10 to 10,000 tenants in BenchmarkFeatureCheck).
func BenchmarkRoleAllowsUncached(b *testing.B) {
	a, err := NewAuthorizer()
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		ok, err := a.Enforce("role:MEMBER", "ten_A", WriteProjects.Object, WriteProjects.Action)
		if err != nil || !ok {
			b.Fatal("denied", err)
		}
	}
}
