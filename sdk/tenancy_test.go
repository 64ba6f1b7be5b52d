package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

type workflowsData struct {
	Workflows []struct {
		ID       string
		Key      string
		Name     string
		Mode     string
		Statuses []struct {
			ID           string
			Key          string
			Name         string
			Position     int
			Enabled      bool
			Mandatory    bool
			Color        string
			WipLimit     *int
			ProjectCount int
		}
	}
}

func TestCreateTenantInstallsTemplates(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		var created struct {
			CreateTenant struct {
				ID, Slug, Name string
				Workflows      []struct{ Key, Name, Mode string }
			} `json:"createTenant"`
		}
		sdktest.Op(t, s.Platform, "CreateTenant", map[string]any{"input": map[string]any{"slug": "acme", "name": " Acme Web "}}).Decode(t, &created)
		ct := created.CreateTenant
		require.Regexp(t, `^ten_[0-9A-Z]{26}$`, ct.ID)
		require.Equal(t, "acme", ct.Slug)
		require.Equal(t, "Acme Web", ct.Name)
		require.Len(t, ct.Workflows, 2)
		require.Equal(t, "website", ct.Workflows[0].Key)
		require.Equal(t, "FREE", ct.Workflows[0].Mode)
		require.Equal(t, "leads", ct.Workflows[1].Key)
		require.Equal(t, "STRICT", ct.Workflows[1].Mode)

		var wf workflowsData
		sdktest.Op(t, s.PlatformIn("acme"), "Workflows", nil).Decode(t, &wf)
		require.Len(t, wf.Workflows, 2)
		website := wf.Workflows[0]
		wantKeys := []string{"lead", "interest", "preparation", "approval", "assign", "creation", "audit", "feedback", "revision", "publish", "change", "done", "redesign"}
		mandatory := map[string]bool{"preparation": true, "creation": true, "feedback": true, "done": true}
		require.Len(t, website.Statuses, len(wantKeys))
		for i, st := range website.Statuses {
			require.Equal(t, wantKeys[i], st.Key)
			require.Equal(t, i, st.Position)
			require.True(t, st.Enabled, st.Key)
			require.Equal(t, mandatory[st.Key], st.Mandatory, st.Key)
			require.Regexp(t, `^sts_`, st.ID)
			require.Nil(t, st.WipLimit)
			require.Zero(t, st.ProjectCount)
			require.NotEmpty(t, st.Color)
		}
		leads := wf.Workflows[1]
		require.Len(t, leads.Statuses, 5)
		for i, key := range []string{"new", "active", "secured", "completed", "declined"} {
			require.Equal(t, key, leads.Statuses[i].Key)
			require.True(t, leads.Statuses[i].Mandatory)
		}

		// Only the asked templates; an explicit empty list installs none.
		sdktest.Op(t, s.Platform, "CreateTenant", map[string]any{"input": map[string]any{"slug": "solo", "name": "Solo", "templates": []string{"leads"}}}).Decode(t, &created)
		require.Len(t, created.CreateTenant.Workflows, 1)
		require.Equal(t, "leads", created.CreateTenant.Workflows[0].Key)
		sdktest.Op(t, s.Platform, "CreateTenant", map[string]any{"input": map[string]any{"slug": "bare", "name": "Bare", "templates": []string{}}}).Decode(t, &created)
		require.Empty(t, created.CreateTenant.Workflows)
	})
}

func TestCreateTenantRefusals(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		s.CreateTenant(t, "acme")
		owner := s.AddMember(t, "acme", "olga", "OWNER")
		input := func(slug string, templates ...string) map[string]any {
			in := map[string]any{"slug": slug, "name": "X"}
			if templates != nil {
				in["templates"] = templates
			}
			return map[string]any{"input": in}
		}
		cases := []struct {
			name   string
			client func() *lanestest.Response
			code   string
			field  string
		}{
			{"duplicate slug", func() *lanestest.Response { return sdktest.Op(t, s.Platform, "CreateTenant", input("acme")) }, "CONFLICT", ""},
			{"slug with capitals", func() *lanestest.Response { return sdktest.Op(t, s.Platform, "CreateTenant", input("Acme")) }, "VALIDATION", "slug"},
			{"slug with underscore", func() *lanestest.Response { return sdktest.Op(t, s.Platform, "CreateTenant", input("ten_x")) }, "VALIDATION", "slug"},
			{"empty slug", func() *lanestest.Response { return sdktest.Op(t, s.Platform, "CreateTenant", input("")) }, "VALIDATION", "slug"},
			{"unknown template", func() *lanestest.Response {
				return sdktest.Op(t, s.Platform, "CreateTenant", input("new1", "website", "nope"))
			}, "VALIDATION", "templates"},
			{"template twice", func() *lanestest.Response {
				return sdktest.Op(t, s.Platform, "CreateTenant", input("new2", "leads", "leads"))
			}, "VALIDATION", "templates"},
			{"blank name", func() *lanestest.Response {
				return sdktest.Op(t, s.Platform, "CreateTenant", map[string]any{"input": map[string]any{"slug": "new3", "name": "  "}})
			}, "VALIDATION", "name"},
			{"member, even an owner", func() *lanestest.Response { return sdktest.Op(t, owner, "CreateTenant", input("new4")) }, "FORBIDDEN", ""},
			{"anonymous", func() *lanestest.Response { return sdktest.Op(t, s.Anonymous, "CreateTenant", input("new5")) }, "UNAUTHENTICATED", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := tc.client()
				require.Equal(t, []string{tc.code}, res.Codes(), "%+v", res.Errors)
				if tc.field != "" {
					require.Equal(t, tc.field, res.Errors[0].Extensions["field"])
				}
			})
		}
		// Nothing of the refused calls was written: only acme exists.
		var wf workflowsData
		for _, slug := range []string{"new1", "new2", "new3", "new4", "new5"} {
			res := sdktest.Op(t, s.PlatformIn(slug), "Workflows", nil)
			require.Equal(t, 401, res.Status, slug)
		}
		sdktest.Op(t, s.PlatformIn("acme"), "Workflows", nil).Decode(t, &wf)
		require.Len(t, wf.Workflows, 2)
	})
}

func TestAddMemberRoles(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		s.CreateTenant(t, "acme")
		clients := map[string]lanestest.Client{
			"platform": s.PlatformIn("acme"),
			"OWNER":    s.AddMember(t, "acme", "owner", "OWNER"),
			"ADMIN":    s.AddMember(t, "acme", "admin", "ADMIN"),
			"MEMBER":   s.AddMember(t, "acme", "member", "MEMBER"),
			"VIEWER":   s.AddMember(t, "acme", "viewer", "VIEWER"),
		}
		cases := []struct {
			caller, role string
			want         string // "" = allowed
		}{
			{"platform", "OWNER", ""},
			{"OWNER", "OWNER", ""},
			{"OWNER", "VIEWER", ""},
			{"ADMIN", "ADMIN", ""},
			{"ADMIN", "MEMBER", ""},
			{"ADMIN", "OWNER", "FORBIDDEN"}, // no escalation past one's own role
			{"MEMBER", "VIEWER", "FORBIDDEN"},
			{"VIEWER", "VIEWER", "FORBIDDEN"},
		}
		for i, tc := range cases {
			t.Run(tc.caller+" adds "+tc.role, func(t *testing.T) {
				ext := "u" + string(rune('a'+i))
				res := sdktest.Op(t, clients[tc.caller], "AddMember", map[string]any{"input": map[string]any{
					"externalId": ext, "name": "User " + ext, "role": tc.role, "email": ext + "@example.com",
				}})
				if tc.want != "" {
					require.Equal(t, []string{tc.want}, res.Codes())
					return
				}
				var out struct {
					AddMember struct{ ID, ExternalID, Name, Role string } `json:"addMember"`
				}
				res.Decode(t, &out)
				require.Regexp(t, `^mem_`, out.AddMember.ID)
				require.Equal(t, ext, out.AddMember.ExternalID)
				require.Equal(t, tc.role, out.AddMember.Role)
			})
		}
		t.Run("duplicate externalId", func(t *testing.T) {
			res := sdktest.Op(t, clients["OWNER"], "AddMember", map[string]any{"input": map[string]any{"externalId": "member", "name": "Again", "role": "MEMBER"}})
			require.Equal(t, []string{"CONFLICT"}, res.Codes())
		})
		t.Run("bad email", func(t *testing.T) {
			res := sdktest.Op(t, clients["OWNER"], "AddMember", map[string]any{"input": map[string]any{"externalId": "x1", "name": "X", "role": "MEMBER", "email": "not an email"}})
			require.Equal(t, []string{"VALIDATION"}, res.Codes())
			require.Equal(t, "email", res.Errors[0].Extensions["field"])
		})
		t.Run("unknown role", func(t *testing.T) {
			res := sdktest.Op(t, clients["OWNER"], "AddMember", map[string]any{"input": map[string]any{"externalId": "x2", "name": "X", "role": "GOD"}})
			require.Equal(t, []string{"VALIDATION"}, res.Codes())
		})
		t.Run("platform without X-Tenant", func(t *testing.T) {
			res := sdktest.Op(t, s.Platform, "AddMember", map[string]any{"input": map[string]any{"externalId": "x3", "name": "X", "role": "MEMBER"}})
			require.Equal(t, []string{"UNAUTHENTICATED"}, res.Codes())
		})
	})
}

func TestViewer(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tenantID := s.CreateTenant(t, "acme")
		bob := s.AddMember(t, "acme", "bob", "MEMBER")
		type viewer struct {
			Viewer struct {
				Kind     string
				Role     *string
				Tenant   *struct{ ID, Slug, Name string }
				Member   *struct{ ID, Name string }
				Customer *struct {
					ID string
				}
			}
		}
		var v viewer
		sdktest.Op(t, bob, "Viewer", nil).Decode(t, &v)
		require.Equal(t, "MEMBER", v.Viewer.Kind)
		require.Equal(t, "MEMBER", *v.Viewer.Role)
		require.Equal(t, tenantID, v.Viewer.Tenant.ID)
		require.Equal(t, "bob", v.Viewer.Member.Name)
		require.Nil(t, v.Viewer.Customer)

		v = viewer{}
		sdktest.Op(t, s.PlatformIn(tenantID), "Viewer", nil).Decode(t, &v) // X-Tenant by ID
		require.Equal(t, "PLATFORM", v.Viewer.Kind)
		require.Equal(t, "OWNER", *v.Viewer.Role)
		require.Equal(t, "acme", v.Viewer.Tenant.Slug)
		require.Nil(t, v.Viewer.Member)

		v = viewer{}
		sdktest.Op(t, s.Platform, "Viewer", nil).Decode(t, &v)
		require.Equal(t, "PLATFORM", v.Viewer.Kind)
		require.Nil(t, v.Viewer.Role)
		require.Nil(t, v.Viewer.Tenant)

		res := sdktest.Op(t, s.Anonymous, "Viewer", nil)
		require.Equal(t, []string{"UNAUTHENTICATED"}, res.Codes())
	})
}

// A third template is data: passed in Config.Templates, createTenant
// installs it and the engine reads it like the built-in ones.
func TestThirdTemplateIsData(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		shop := workflow.Template{Key: "shop", Name: "Online shop", Mode: "FREE", Statuses: []workflow.TemplateStatus{
			{Key: "briefing", Name: "Briefing", Category: "OPEN", Color: "#111111", Features: []string{"WISHES"}, AdvanceTo: "build"},
			{Key: "build", Name: "Build", Category: "IN_PROGRESS", Color: "#222222", Mandatory: true, AdvanceTo: "live"},
			{Key: "live", Name: "Live", Category: "DONE", Color: "#333333", Features: []string{"STORE", "STATISTICS"}},
		}}
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.Templates = []workflow.Template{shop} })
		sdktest.Op(t, s.Platform, "CreateTenant", map[string]any{"input": map[string]any{
			"slug": "shopco", "name": "Shop Co", "templates": []string{"shop", "leads"},
		}}).Decode(t, &struct{}{})
		var wf workflowsData
		sdktest.Op(t, s.PlatformIn("shopco"), "Workflows", nil).Decode(t, &wf)
		require.Len(t, wf.Workflows, 2)
		require.Equal(t, "shop", wf.Workflows[0].Key)
		require.Equal(t, "Online shop", wf.Workflows[0].Name)
		require.Len(t, wf.Workflows[0].Statuses, 3)
		require.True(t, wf.Workflows[0].Statuses[1].Mandatory)
		require.Equal(t, "#333333", wf.Workflows[0].Statuses[2].Color)
	})
}
