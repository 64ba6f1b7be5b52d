package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// A project's status { key } beside its portalFeatures, read first thing
// after the configuration cache was dropped, by node and by projects.
func TestStatusKeyBesidePortalFeatures(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		p := create(t, a.member, "website", "Site", map[string]any{"status": "feedback"})
		for name, c := range map[string]lanestest.Client{"member": a.member, "platform": a.platform, "viewer": a.viewer} {
			s.Lanes.Workflows.InvalidateAllConfig()
			var node struct {
				Node struct {
					Status         struct{ Key string }
					PortalFeatures []string
				}
			}
			c.Do(t, `query($id: ID!) { node(id: $id) { ... on Project { status { key } portalFeatures } } }`, map[string]any{"id": p.ID}).Decode(t, &node)
			require.Equal(t, "feedback", node.Node.Status.Key, name)
			require.Contains(t, node.Node.PortalFeatures, "FEEDBACK", name)

			s.Lanes.Workflows.InvalidateAllConfig()
			var list struct {
				Projects struct {
					Edges []struct {
						Node struct {
							Status         struct{ Key string }
							PortalFeatures []string
						}
					}
				}
			}
			c.Do(t, `{ projects(first: 5) { edges { node { status { key } portalFeatures } } } }`, nil).Decode(t, &list)
			require.Len(t, list.Projects.Edges, 1, name)
			require.Equal(t, "feedback", list.Projects.Edges[0].Node.Status.Key, name)
			require.Contains(t, list.Projects.Edges[0].Node.PortalFeatures, "FEEDBACK", name)
		}
	})
}

type aliasedPages struct {
	Edges []struct {
		Cursor string
		Node   struct{ ID string }
	}
	PageInfo struct{ HasNextPage bool }
}

// BoardColumn.projects answers its own arguments, aliases included.
func TestColumnProjectsUnderAliases(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		var ids []string
		for _, title := range []string{"One", "Two", "Three", "Four"} {
			ids = append(ids, create(t, a.member, "website", title).ID)
		}
		var board struct {
			Board struct {
				Columns []struct {
					Status      struct{ Key string }
					One, Three  aliasedPages
					Rest, Whole aliasedPages
				}
			}
		}
		a.member.Do(t, `{ board(workflow: "website") { columns { status { key }
			one: projects(first: 1) { edges { cursor node { id } } pageInfo { hasNextPage } }
			three: projects(first: 3) { edges { node { id } } pageInfo { hasNextPage } }
			whole: projects { edges { node { id } } pageInfo { hasNextPage } } } } }`, nil).Decode(t, &board)
		lead := board.Board.Columns[0]
		require.Equal(t, "lead", lead.Status.Key)
		require.Equal(t, ids[:1], nodeIDs(lead.One))
		require.True(t, lead.One.PageInfo.HasNextPage)
		require.Equal(t, ids[:3], nodeIDs(lead.Three))
		require.True(t, lead.Three.PageInfo.HasNextPage)
		require.Equal(t, ids, nodeIDs(lead.Whole))
		require.False(t, lead.Whole.PageInfo.HasNextPage)

		// An alias continuing after another's cursor, on boardColumn too.
		var column struct {
			BoardColumn struct{ One, Rest aliasedPages }
		}
		a.member.Do(t, `query($after: Cursor) { boardColumn(workflow: "website", status: "lead") {
			one: projects(first: 1) { edges { cursor node { id } } pageInfo { hasNextPage } }
			rest: projects(first: 10, after: $after) { edges { node { id } } pageInfo { hasNextPage } } } }`,
			map[string]any{"after": lead.One.Edges[0].Cursor}).Decode(t, &column)
		require.Equal(t, ids[:1], nodeIDs(column.BoardColumn.One))
		require.Equal(t, ids[1:], nodeIDs(column.BoardColumn.Rest))
	})
}

func nodeIDs(p aliasedPages) []string {
	ids := []string{}
	for _, e := range p.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids
}

// The fields of a tenant the platform just created resolve in that
// tenant, whichever of them the selection reaches.
func TestCreateTenantSelectionResolvesInTheNewTenant(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		var out struct {
			CreateTenant struct {
				Workflows []struct {
					Key           string
					DefaultStatus struct{ Key string }
					Automations   []struct{ ID string }
					Statuses      []struct {
						Key                    string
						ProjectCount           int
						PortalFeatures         []string
						TemplatePortalFeatures []string
						Category               string
					}
				}
			}
		}
		s.Platform.Do(t, `mutation { createTenant(input: {slug: "gamma", name: "Gamma"}) { workflows { key defaultStatus { key } automations { id }
			statuses { key projectCount portalFeatures templatePortalFeatures category } } } }`, nil).Decode(t, &out)
		require.Len(t, out.CreateTenant.Workflows, 2)
		website := out.CreateTenant.Workflows[0]
		require.Equal(t, "lead", website.DefaultStatus.Key)
		require.Empty(t, website.Automations)
		require.Equal(t, []string{"FILE_MANAGER", "WISHES"}, website.Statuses[0].PortalFeatures)
		require.Equal(t, website.Statuses[0].PortalFeatures, website.Statuses[0].TemplatePortalFeatures)
		require.Equal(t, "LEAD", website.Statuses[0].Category)
		require.Equal(t, "new", out.CreateTenant.Workflows[1].DefaultStatus.Key)
	})
}
