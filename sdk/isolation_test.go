package sdk_test

import (
	"context"
	"errors"
	"testing"

	"entgo.io/ent/privacy"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/customer"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// tenantRows are the rows of one tenant an isolation test probes.
type tenantRows struct {
	tenantID, memberID, workflowID, statusID, customerID, projectID pulid.ID
}

// seedTenant creates a tenant with a member, and a customer and project
// written straight through ent in the tenant's context.
func seedTenant(t *testing.T, s *sdktest.Server, slug string) tenantRows {
	t.Helper()
	ctx := context.Background()
	r := tenantRows{tenantID: pulid.ID(s.CreateTenant(t, slug))}
	s.AddMember(t, slug, "m-"+slug, "MEMBER")
	in, err := s.Lanes.AsPlatform(ctx, slug)
	require.NoError(t, err)
	c := s.Lanes.Client()
	m, err := c.Member.Query().Where(member.ExternalID("m-" + slug)).Only(in)
	require.NoError(t, err)
	r.memberID = m.ID
	w, err := c.Workflow.Query().Where(entworkflow.Key("website")).Only(in)
	require.NoError(t, err)
	r.workflowID = w.ID
	st, err := c.Status.Query().Where(status.WorkflowID(w.ID), status.Key("lead")).Only(in)
	require.NoError(t, err)
	r.statusID = st.ID
	cu, err := c.Customer.Create().SetName("Customer of " + slug).Save(in)
	require.NoError(t, err)
	r.customerID = cu.ID
	p, err := c.Project.Create().SetTitle("Site of " + slug).SetRank("a0").
		SetWorkflowID(w.ID).SetStatusID(st.ID).SetCustomerID(cu.ID).Save(in)
	require.NoError(t, err)
	r.projectID = p.ID
	return r
}

func (r tenantRows) ids() []pulid.ID {
	return []pulid.ID{r.tenantID, r.memberID, r.workflowID, r.statusID, r.customerID, r.projectID}
}

func TestIsolationGraphQL(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := seedTenant(t, s, "alpha")
		b := seedTenant(t, s, "beta")
		callers := map[string]lanestest.Client{
			"member of A":   s.Member(t, "alpha", "m-alpha"),
			"platform in A": s.PlatformIn("alpha"),
		}
		nodeQuery := `query($id: ID!) { node(id: $id) { id } }`
		for name, c := range callers {
			t.Run(name, func(t *testing.T) {
				for _, id := range a.ids() {
					var out struct{ Node *struct{ ID string } }
					c.Do(t, nodeQuery, map[string]any{"id": id}).Decode(t, &out)
					require.NotNil(t, out.Node, "own %s", id)
				}
				for _, id := range b.ids() {
					var out struct{ Node *struct{ ID string } }
					c.Do(t, nodeQuery, map[string]any{"id": id}).Decode(t, &out)
					require.Nil(t, out.Node, "node(%s) of tenant B must be null", id)
				}
				var nodes struct{ Nodes []*struct{ ID string } }
				c.Do(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []pulid.ID{a.projectID, b.projectID, b.memberID}}).Decode(t, &nodes)
				require.Len(t, nodes.Nodes, 3)
				require.NotNil(t, nodes.Nodes[0])
				require.Nil(t, nodes.Nodes[1])
				require.Nil(t, nodes.Nodes[2])

				// List, count and filter through an edge: only A's rows.
				var list struct {
					Projects struct {
						TotalCount int
						Edges      []struct{ Node struct{ ID string } }
					}
				}
				c.Do(t, `{ projects(first: 50) { totalCount edges { node { id } } } }`, nil).Decode(t, &list)
				require.Equal(t, 1, list.Projects.TotalCount)
				require.Equal(t, string(a.projectID), list.Projects.Edges[0].Node.ID)
				c.Do(t, `query($name: String!) { projects(where: {hasCustomerWith: {name: $name}}) { totalCount } }`,
					map[string]any{"name": "Customer of beta"}).Decode(t, &list)
				require.Zero(t, list.Projects.TotalCount)
				c.Do(t, `query($id: ID!) { projects(where: {idIn: [$id]}) { totalCount } }`,
					map[string]any{"id": b.projectID}).Decode(t, &list)
				require.Zero(t, list.Projects.TotalCount)

				var wf workflowsData
				sdktest.Op(t, c, "Workflows", nil).Decode(t, &wf)
				for _, w := range wf.Workflows {
					require.NotEqual(t, string(b.workflowID), w.ID)
					for _, st := range w.Statuses {
						require.NotEqual(t, string(b.statusID), st.ID)
					}
				}
				require.Equal(t, 1, wf.Workflows[0].Statuses[0].ProjectCount) // A's project only
			})
		}
		t.Run("X-Tenant of another tenant's member is not a bypass", func(t *testing.T) {
			c := s.Member(t, "alpha", "m-alpha").With("X-Tenant", "beta")
			var out struct{ Node *struct{ ID string } }
			c.Do(t, nodeQuery, map[string]any{"id": b.projectID}).Decode(t, &out)
			require.Nil(t, out.Node)
		})
		t.Run("JWT naming a tenant the member is not in", func(t *testing.T) {
			res := s.Member(t, "beta", "m-alpha").Do(t, nodeQuery, map[string]any{"id": b.projectID})
			require.Equal(t, 401, res.Status)
			require.Equal(t, []string{"UNAUTHENTICATED"}, res.Codes())
		})
	})
}

func TestIsolationSDK(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := seedTenant(t, s, "alpha")
		b := seedTenant(t, s, "beta")
		c := s.Lanes.Client()
		ctx := context.Background()
		inA, err := s.Lanes.AsMember(ctx, "alpha", "m-alpha")
		require.NoError(t, err)

		// Reads: get, list, count, exist, traversals and eager loading.
		_, err = c.Project.Get(inA, b.projectID)
		require.True(t, ent.IsNotFound(err), "get B's project: %v", err)
		_, err = c.Member.Get(inA, b.memberID)
		require.True(t, ent.IsNotFound(err))
		_, err = c.Tenant.Get(inA, b.tenantID)
		require.True(t, ent.IsNotFound(err))
		n, err := c.Project.Query().Count(inA)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		ok, err := c.Customer.Query().Where(customer.ID(b.customerID)).Exist(inA)
		require.NoError(t, err)
		require.False(t, ok)
		statuses, err := c.Workflow.Query().QueryStatuses().All(inA)
		require.NoError(t, err)
		for _, st := range statuses {
			require.Equal(t, a.tenantID, st.TenantID)
		}
		tenants, err := c.Tenant.Query().All(inA)
		require.NoError(t, err)
		require.Len(t, tenants, 1)
		require.Equal(t, a.tenantID, tenants[0].ID)
		ws, err := c.Workflow.Query().WithStatuses().WithProjects().All(inA)
		require.NoError(t, err)
		for _, w := range ws {
			require.Equal(t, a.tenantID, w.TenantID)
			for _, p := range w.Edges.Projects {
				require.Equal(t, a.tenantID, p.TenantID)
			}
		}
		n, err = c.Project.Query().Where(project.HasCustomerWith(customer.ID(b.customerID))).Count(inA)
		require.NoError(t, err)
		require.Zero(t, n)

		// Writes: update and delete of B's rows find nothing.
		err = c.Project.UpdateOneID(b.projectID).SetTitle("hijacked").Exec(inA)
		require.True(t, ent.IsNotFound(err), "update B's project: %v", err)
		affected, err := c.Project.Update().Where(project.ID(b.projectID)).SetTitle("hijacked").Save(inA)
		require.NoError(t, err)
		require.Zero(t, affected)
		err = c.Customer.DeleteOneID(b.customerID).Exec(inA)
		require.True(t, ent.IsNotFound(err), "delete B's customer: %v", err)
		deleted, err := c.Member.Delete().Where(member.ID(b.memberID)).Exec(inA)
		require.NoError(t, err)
		require.Zero(t, deleted)

		// Creates: not in another tenant, not pointing into another tenant.
		err = c.Customer.Create().SetName("x").SetTenantID(b.tenantID).Exec(inA)
		require.True(t, errors.Is(err, privacy.Deny), "create in B: %v", err)
		err = c.Project.Create().SetTitle("x").SetRank("a1").SetWorkflowID(a.workflowID).
			SetStatusID(b.statusID).Exec(inA)
		require.True(t, ent.IsConstraintError(err), "a project of A in B's status must be refused by the database: %v", err)
		err = c.Project.Create().SetTitle("x").SetRank("a1").SetWorkflowID(a.workflowID).
			SetStatusID(a.statusID).SetCustomerID(b.customerID).Exec(inA)
		require.True(t, ent.IsConstraintError(err), "a project of A for B's customer must be refused by the database: %v", err)

		// B's rows are untouched.
		inB, err := s.Lanes.AsPlatform(ctx, "beta")
		require.NoError(t, err)
		p, err := c.Project.Get(inB, b.projectID)
		require.NoError(t, err)
		require.Equal(t, "Site of beta", p.Title)
		n, err = c.Customer.Query().Count(inB)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = c.Member.Query().Count(inB)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

func TestNoActorSeesNothing(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		seedTenant(t, s, "alpha")
		c := s.Lanes.Client()
		for name, ctx := range map[string]context.Context{
			"no actor":                  context.Background(),
			"platform outside a tenant": must(s.Lanes.AsPlatform(context.Background(), "")),
		} {
			t.Run(name, func(t *testing.T) {
				_, err := c.Project.Query().All(ctx)
				require.ErrorIs(t, err, privacy.Deny)
				_, err = c.Member.Query().Count(ctx)
				require.ErrorIs(t, err, privacy.Deny)
				_, err = c.Tenant.Query().All(ctx)
				require.ErrorIs(t, err, privacy.Deny)
				_, err = c.APIKey.Query().All(ctx)
				require.ErrorIs(t, err, privacy.Deny)
				_, err = c.Customer.Update().SetName("x").Save(ctx)
				require.ErrorIs(t, err, privacy.Deny)
				err = c.Customer.Create().SetName("x").Exec(ctx)
				require.Error(t, err)
				_, err = s.Lanes.Workflows.Workflows(ctx)
				require.Error(t, err)
			})
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
