package sdk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// The contract's website table: the features each status unlocks.
var websiteFeatures = map[string][]string{
	"lead":        {"FILE_MANAGER", "WISHES"},
	"interest":    {"FILE_MANAGER", "WISHES"},
	"preparation": {"FILE_MANAGER", "WISHES", "MY_DATA", "EMAILS"},
	"approval":    {"FILE_MANAGER", "WISHES", "MY_DATA", "EMAILS"},
	"assign":      {"FILE_MANAGER", "WISHES", "MY_DATA", "EMAILS"},
	"creation":    {"FILE_MANAGER", "MY_DATA", "EMAILS"},
	"audit":       {"FILE_MANAGER", "MY_DATA", "EMAILS"},
	"feedback":    {"FILE_MANAGER", "MY_DATA", "EMAILS", "FEEDBACK"},
	"revision":    {"FILE_MANAGER", "MY_DATA", "EMAILS", "STORE"},
	"publish":     {"FILE_MANAGER", "MY_DATA", "EMAILS", "FEEDBACK", "STORE"},
	"change":      {"FILE_MANAGER", "MY_DATA", "EMAILS", "FEEDBACK", "STATISTICS", "STORE"},
	"done":        {"FILE_MANAGER", "MY_DATA", "EMAILS", "FEEDBACK", "STATISTICS", "STORE"},
	"redesign":    {"FILE_MANAGER", "WISHES", "MY_DATA", "EMAILS", "STATISTICS", "STORE"},
}

var websiteOrder = []string{"lead", "interest", "preparation", "approval", "assign", "creation", "audit", "feedback", "revision", "publish", "change", "done", "redesign"}

// For every website status, the customer's portal shows exactly the
// contract's features, after a member moved the project there.
func TestPortalDefaultMatrix(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Site")
		customer := customerFor(t, s, a, p.ID, "cara@example.com")
		for _, key := range websiteOrder {
			require.Empty(t, move(t, a.member, p.ID, key).Errors)
			view := readPortal(t, customer)
			require.Len(t, view.Portal.Projects, 1)
			got := view.Portal.Projects[0]
			require.Equal(t, key, got.Status.Key)
			require.Equal(t, websiteFeatures[key], got.Features, key)

			var pf struct {
				Node struct{ PortalFeatures []string }
			}
			sdktest.Op(t, a.member, "ProjectPortal", map[string]any{"id": p.ID}).Decode(t, &pf)
			require.Equal(t, websiteFeatures[key], pf.Node.PortalFeatures, key)
		}

		var sf struct {
			Workflow struct {
				Statuses []struct {
					Key            string
					PortalFeatures []string
				}
			}
		}
		sdktest.Op(t, a.viewer, "StatusFeatures", map[string]any{"workflow": "website"}).Decode(t, &sf)
		require.Len(t, sf.Workflow.Statuses, 13)
		for _, st := range sf.Workflow.Statuses {
			require.Equal(t, websiteFeatures[st.Key], st.PortalFeatures, st.Key)
		}
		sdktest.Op(t, a.viewer, "StatusFeatures", map[string]any{"workflow": "leads"}).Decode(t, &sf)
		for _, st := range sf.Workflow.Statuses {
			require.Equal(t, []string{"FILE_MANAGER", "MY_DATA"}, st.PortalFeatures, st.Key)
		}
	})
}

// A project's and a status's features do not depend on what else the
// document selects: beside status { id } or workflow { id }, which load
// only those fields with the project or the status, they are the same.
func TestPortalFeaturesBesideAPartialSelection(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Site")
		require.Empty(t, move(t, a.member, p.ID, "feedback").Errors)
		var out struct {
			Projects struct {
				Edges []struct {
					Node struct {
						Status struct {
							ID             string
							PortalFeatures []string
							Workflow       struct{ ID string }
						}
						PortalFeatures []string
					}
				}
			}
		}
		a.viewer.Do(t, `{ projects(first: 5) { edges { node {
			status { id workflow { id } portalFeatures }
			portalFeatures
		} } } }`, nil).Decode(t, &out)
		require.Len(t, out.Projects.Edges, 1)
		node := out.Projects.Edges[0].Node
		require.Equal(t, websiteFeatures["feedback"], node.PortalFeatures)
		require.Equal(t, websiteFeatures["feedback"], node.Status.PortalFeatures)
		var one struct {
			Node struct{ PortalFeatures []string }
		}
		a.viewer.Do(t, `query($id: ID!) { node(id: $id) { ... on Project { status { id } portalFeatures } } }`, map[string]any{"id": p.ID}).Decode(t, &one)
		require.Equal(t, websiteFeatures["feedback"], one.Node.PortalFeatures)
	})
}

// The features of many projects come from the workflow configuration's
// cache: no statement per project, whatever the page size.
func TestPortalFeaturesOfManyProjects(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		var counter lanestest.StatementCounter
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.WrapDriver = counter.Wrap })
		a := newTeam(t, s, "alpha")
		seedColumns(t, s.Lanes, "alpha", 3)
		page := func(n int) []string {
			return counter.Record(func() {
				res := a.viewer.Do(t, `query($n: Int) { projects(first: $n) { edges { node { status { key } portalFeatures } } } }`, map[string]any{"n": n})
				require.Empty(t, res.Errors)
			})
		}
		page(1) // the credential and the tenant's configuration
		one, many := page(1), page(39)
		require.Len(t, many, len(one), "%s", strings.Join(shorten(many), "\n"))
	})
}

func setFeature(t *testing.T, c lanestest.Client, workflow, status, feature string, enabled bool) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "SetPortalFeature", map[string]any{"workflow": workflow, "status": status, "feature": feature, "enabled": enabled})
}

// Grants and denies change one tenant only and survive a restart.
func TestPortalFeatureOverrides(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		pa := create(t, a.member, "website", "A's site")
		pb := create(t, b.member, "website", "B's site")
		customer := customerFor(t, s, a, pa.ID, "cara@example.com")

		var out struct {
			SetPortalFeature struct {
				Key            string
				PortalFeatures []string
			}
		}
		setFeature(t, a.admin, "website", "lead", "STATISTICS", true).Decode(t, &out)
		require.Equal(t, []string{"FILE_MANAGER", "WISHES", "STATISTICS"}, out.SetPortalFeature.PortalFeatures)
		setFeature(t, a.owner, "website", "lead", "WISHES", false).Decode(t, &out)
		require.Equal(t, []string{"FILE_MANAGER", "STATISTICS"}, out.SetPortalFeature.PortalFeatures)

		require.Equal(t, []string{"FILE_MANAGER", "STATISTICS"}, readPortal(t, customer).Portal.Projects[0].Features)
		var pf struct {
			Node struct{ PortalFeatures []string }
		}
		sdktest.Op(t, b.member, "ProjectPortal", map[string]any{"id": pb.ID}).Decode(t, &pf)
		require.Equal(t, []string{"FILE_MANAGER", "WISHES"}, pf.Node.PortalFeatures, "another tenant keeps the defaults")

		requireCode(t, setFeature(t, a.member, "website", "lead", "STORE", true), "FORBIDDEN")
		requireCode(t, setFeature(t, a.viewer, "website", "lead", "STORE", true), "FORBIDDEN")
		requireCode(t, setFeature(t, customer, "website", "lead", "STORE", true), "FORBIDDEN")
		requireCode(t, setFeature(t, a.admin, "website", "nope", "STORE", true), "NOT_FOUND")
		requireCode(t, setFeature(t, a.admin, "website", "lead", "TELEPORT", true), "VALIDATION")

		// A restart (a new Lanes on the same database) keeps them.
		l2, err := sdk.Open(context.Background(), sdk.Config{DatabaseURL: db.URL, DataDir: t.TempDir()})
		require.NoError(t, err)
		defer l2.Close()
		ctx, err := l2.AsMember(context.Background(), "alpha", "alpha-member")
		require.NoError(t, err)
		for f, want := range map[policies.Feature]bool{policies.Statistics: true, policies.Wishes: false, policies.FileManager: true, policies.Store: false} {
			got, err := l2.Portal.CanUse(ctx, pulid.ID(pa.ID), f)
			require.NoError(t, err)
			require.Equal(t, want, got, f)
		}
		ctxB, err := l2.AsMember(context.Background(), "beta", "beta-member")
		require.NoError(t, err)
		got, err := l2.Portal.CanUse(ctxB, pulid.ID(pb.ID), policies.Wishes)
		require.NoError(t, err)
		require.True(t, got)

		// Back to the default: no rule left.
		setFeature(t, a.admin, "website", "lead", "WISHES", true).Decode(t, &out)
		setFeature(t, a.admin, "website", "lead", "STATISTICS", false).Decode(t, &out)
		require.Equal(t, []string{"FILE_MANAGER", "WISHES"}, out.SetPortalFeature.PortalFeatures)
		var n int
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT count(*) FROM policy_rules").Scan(&n))
		require.Zero(t, n)
	})
}

// EMAILS, STATISTICS and STORE are the platform's to render; Lanes decides.
func TestCanUse(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Site", map[string]any{"status": "revision"})
		ctx, err := s.Lanes.AsMember(context.Background(), "alpha", "alpha-member")
		require.NoError(t, err)
		for f, want := range map[policies.Feature]bool{policies.Emails: true, policies.Store: true, policies.Statistics: false} {
			got, err := s.Lanes.Portal.CanUse(ctx, pulid.ID(p.ID), f)
			require.NoError(t, err)
			require.Equal(t, want, got, f)
		}
		_, err = s.Lanes.Portal.CanUse(ctx, pulid.New("prj_"), policies.Emails)
		require.Error(t, err)
		_, err = s.Lanes.Portal.CanUse(context.Background(), pulid.ID(p.ID), policies.Emails)
		require.Error(t, err)
	})
}

func TestInvitations(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.PortalURL = "https://agency.example/portal" })
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		p := create(t, a.member, "website", "Site", map[string]any{"customer": map[string]any{"name": "Cara"}})
		other := create(t, b.member, "website", "Theirs")

		token, url := invite(t, a.member, p.ID, "cara@example.com")
		require.Regexp(t, `^lpi_[A-Za-z0-9_-]{43}$`, token)
		require.Equal(t, "https://agency.example/portal?token="+token, url)
		var n int
		require.NoError(t, s.Lanes.DB().QueryRow("SELECT count(*) FROM invitations WHERE token_hash = '"+auth.HashSecret(token)+"'").Scan(&n))
		require.Equal(t, 1, n, "only the hash is stored")

		inviteOp := func(c lanestest.Client, projectID, email string) *lanestest.Response {
			return sdktest.Op(t, c, "InviteCustomer", map[string]any{"input": map[string]any{"projectId": projectID, "email": email}})
		}
		requireCode(t, inviteOp(a.viewer, p.ID, "x@example.com"), "FORBIDDEN")
		requireCode(t, inviteOp(a.member, other.ID, "x@example.com"), "NOT_FOUND")
		requireCode(t, inviteOp(a.viewer, other.ID, "x@example.com"), "NOT_FOUND")
		requireCode(t, inviteOp(a.member, p.ID, "not-an-email"), "VALIDATION")
		requireCode(t, inviteOp(s.Anonymous, p.ID, "x@example.com"), "UNAUTHENTICATED")

		customer := accept(t, s, token)
		var v struct {
			Viewer struct {
				Kind     string
				Role     *string
				Tenant   struct{ Slug string }
				Customer struct{ Name string }
				Member   *struct{ ID string }
			}
		}
		sdktest.Op(t, customer, "Viewer", nil).Decode(t, &v)
		require.Equal(t, "CUSTOMER", v.Viewer.Kind)
		require.Nil(t, v.Viewer.Role)
		require.Equal(t, "alpha", v.Viewer.Tenant.Slug)
		require.Equal(t, "Cara", v.Viewer.Customer.Name)
		require.Nil(t, v.Viewer.Member)

		acceptOp := func(tok string) *lanestest.Response {
			return sdktest.Op(t, s.Anonymous, "AcceptInvitation", map[string]any{"token": tok})
		}
		requireCode(t, acceptOp(token), "TOKEN_INVALID") // single use
		requireCode(t, acceptOp("lpi_unknown"), "TOKEN_INVALID")
		tampered := []byte(token)
		tampered[10] ^= 1
		requireCode(t, acceptOp(string(tampered)), "TOKEN_INVALID")

		// Expired: the invitation's clock ran out.
		expiring, _ := invite(t, a.member, p.ID, "cara@example.com")
		_, err := s.Lanes.DB().Exec("UPDATE invitations SET expires_at = created_at WHERE token_hash = '" + auth.HashSecret(expiring) + "'")
		require.NoError(t, err)
		requireCode(t, acceptOp(expiring), "TOKEN_INVALID")

		// Sessions: tampered, expired and revoked ones are refused.
		session := customer.Headers.Get("Authorization")[len("Bearer "):]
		bad := []byte(session)
		bad[12] ^= 1
		requireUnauthenticated(t, s.Anonymous.With("Authorization", "Bearer "+string(bad)))
		_, err = s.Lanes.DB().Exec("UPDATE portal_sessions SET expires_at = created_at WHERE token_hash = '" + auth.HashSecret(session) + "'")
		require.NoError(t, err)
		requireUnauthenticated(t, customer)

		// A project without a customer gets one from the invitation.
		bare := create(t, a.member, "website", "No customer yet")
		tok, _ := invite(t, a.member, bare.ID, "new@example.com")
		newcomer := accept(t, s, tok)
		view := readPortal(t, newcomer)
		require.Equal(t, "new@example.com", view.Portal.Customer.Email)
		require.Len(t, view.Portal.Projects, 1)
		require.Equal(t, bare.ID, view.Portal.Projects[0].ID)
	})
}

// A customer session sees its own projects of its own tenant through the
// portal, and nothing of the partner's private view.
func TestCustomerStaysInThePortal(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		mine := create(t, a.member, "website", "Mine", map[string]any{"customer": map[string]any{"name": "Cara"}})
		theirs := create(t, a.member, "website", "Another customer's", map[string]any{"customer": map[string]any{"name": "Dan"}})
		otherTenant := create(t, b.member, "website", "Other tenant's")
		customer := customerFor(t, s, a, mine.ID, "cara@example.com")

		view := readPortal(t, customer)
		require.Len(t, view.Portal.Projects, 1)
		require.Equal(t, mine.ID, view.Portal.Projects[0].ID)
		require.Equal(t, "Cara", view.Portal.Customer.Name)

		for name, res := range map[string]*lanestest.Response{
			"node of its own project": sdktest.Op(t, customer, "Project", map[string]any{"id": mine.ID}),
			"board":                   sdktest.Op(t, customer, "Board", map[string]any{"workflow": "website", "first": 5}),
			"workflows":               sdktest.Op(t, customer, "Workflows", nil),
			"projects":                sdktest.Op(t, customer, "Projects", map[string]any{"first": 5}),
			"move":                    move(t, customer, mine.ID, "done"),
			"invite":                  sdktest.Op(t, customer, "InviteCustomer", map[string]any{"input": map[string]any{"projectId": mine.ID, "email": "x@example.com"}}),
		} {
			t.Run(name, func(t *testing.T) {
				require.NotEmpty(t, res.Errors)
				require.Contains(t, []string{"FORBIDDEN", "NOT_FOUND"}, res.Errors[0].Code(), "%+v", res.Errors)
				require.Contains(t, []string{"null", `{"node":null}`}, string(res.Data), "no data")
			})
		}
		for name, id := range map[string]string{"another customer's project": theirs.ID, "another tenant's project": otherTenant.ID} {
			t.Run(name, func(t *testing.T) {
				requireCode(t, sdktest.Op(t, customer, "SubmitWishes", map[string]any{"projectId": id, "answers": map[string]any{"a": 1}}), "NOT_FOUND")
				requireCode(t, upload(t, customer, id, "x.txt", []byte("hello"), "text/plain"), "NOT_FOUND")
			})
		}
		// Staff do not use the portal.
		requireCode(t, sdktest.Op(t, a.member, "Portal", nil), "FORBIDDEN")
		requireCode(t, sdktest.Op(t, a.platform, "Portal", nil), "FORBIDDEN")
		requireCode(t, sdktest.Op(t, s.Anonymous, "Portal", nil), "UNAUTHENTICATED")
		requireCode(t, sdktest.Op(t, a.member, "SubmitWishes", map[string]any{"projectId": mine.ID, "answers": map[string]any{"a": 1}}), "FORBIDDEN")

		// Below GraphQL, the privacy rules hold too.
		c := s.Lanes.Client()
		ctx := customerContext(t, s, customer)
		projects, err := c.Project.Query().All(ctx)
		require.NoError(t, err)
		require.Len(t, projects, 1)
		_, err = c.Member.Query().All(ctx)
		require.Error(t, err)
		_, err = c.StatusChange.Query().All(ctx)
		require.Error(t, err)
		customers, err := c.Customer.Query().All(ctx)
		require.NoError(t, err)
		require.Len(t, customers, 1)
		err = c.Project.UpdateOneID(pulid.ID(mine.ID)).SetTitle("hacked").Exec(ctx)
		require.Error(t, err)
	})
}

// customerContext resolves a customer client's session into a Go context.
func customerContext(t *testing.T, s *sdktest.Server, c lanestest.Client) context.Context {
	t.Helper()
	ctx, err := s.Lanes.AsCredentials(context.Background(), c.Headers)
	require.NoError(t, err)
	return ctx
}

// A change made through one instance reaches another instance on the same
// database: at once on PostgreSQL (LISTEN/NOTIFY), within the cache TTL on
// SQLite.
func TestPolicyChangesReachOtherInstances(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		a, other, ctx := twoInstances(t, db)
		p := create(t, a.member, "website", "Site")
		can := func(t require.TestingT) bool {
			ok, err := other.Portal.CanUse(ctx, pulid.ID(p.ID), policies.Statistics)
			require.NoError(t, err)
			return ok
		}
		require.False(t, can(t)) // cached now
		other.WaitListening(t)
		require.Empty(t, setFeature(t, a.admin, "website", "lead", "STATISTICS", true).Errors)
		require.EventuallyWithT(t, func(c *assert.CollectT) { assert.True(c, can(c)) }, 5*time.Second, 20*time.Millisecond)
	})
}
