package sdk_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// memberIDs maps a tenant's active members' externalIds to their IDs.
func memberIDs(t *testing.T, c lanestest.Client) map[string]string {
	t.Helper()
	var out struct {
		Members []struct{ ID, ExternalID, Role string }
	}
	c.Do(t, `{ members { id externalId role } }`, nil).Decode(t, &out)
	ids := map[string]string{}
	for _, m := range out.Members {
		ids[m.ExternalID] = m.ID
	}
	return ids
}

func setRole(t *testing.T, c lanestest.Client, id, role string) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "UpdateMemberRole", map[string]any{"memberId": id, "role": role})
}

func removeMember(t *testing.T, c lanestest.Client, id string) *lanestest.Response {
	t.Helper()
	return sdktest.Op(t, c, "RemoveMember", map[string]any{"memberId": id})
}

func TestUpdateMemberRole(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		b := newTeam(t, s, "beta")
		ids := memberIDs(t, a.member)
		owner, admin, member, viewer := ids["alpha-owner"], ids["alpha-admin"], ids["alpha-member"], ids["alpha-viewer"]

		requireCode(t, setRole(t, a.member, viewer, "MEMBER"), "FORBIDDEN")
		requireCode(t, setRole(t, a.viewer, viewer, "MEMBER"), "FORBIDDEN")
		requireCode(t, setRole(t, b.admin, viewer, "MEMBER"), "NOT_FOUND")
		requireCode(t, setRole(t, a.admin, "mem_nope", "MEMBER"), "NOT_FOUND")
		requireCode(t, setRole(t, a.admin, member, "OWNER"), "FORBIDDEN")
		requireCode(t, setRole(t, a.admin, owner, "ADMIN"), "FORBIDDEN")

		// The new role counts from the member's next request on.
		requireCode(t, sdktest.Op(t, a.viewer, "CreateProject", map[string]any{"input": map[string]any{"workflow": "website", "title": "Not yet"}}), "FORBIDDEN")
		var out struct{ UpdateMemberRole struct{ ID, Role string } }
		setRole(t, a.admin, viewer, "MEMBER").Decode(t, &out)
		require.Equal(t, viewer, out.UpdateMemberRole.ID)
		require.Equal(t, "MEMBER", out.UpdateMemberRole.Role)
		create(t, a.viewer, "website", "Now a member")
		require.Empty(t, setEnabled(t, a.admin, "website", "audit", false).Errors)
		setRole(t, a.owner, admin, "MEMBER").Decode(t, &out)
		requireCode(t, setEnabled(t, a.admin, "website", "audit", true), "FORBIDDEN")
		setRole(t, a.platform, admin, "ADMIN").Decode(t, &out)

		// OWNERs make OWNERs; the last OWNER stays one.
		e := requireCode(t, setRole(t, a.owner, owner, "ADMIN"), "VALIDATION")
		require.Equal(t, "memberId", e.Extensions["field"])
		setRole(t, a.owner, admin, "OWNER").Decode(t, &out)
		setRole(t, a.owner, owner, "ADMIN").Decode(t, &out)
		require.Equal(t, "ADMIN", out.UpdateMemberRole.Role)
		requireCode(t, setRole(t, a.admin, admin, "MEMBER"), "VALIDATION")
		requireCode(t, removeMember(t, a.admin, admin), "VALIDATION")
		setRole(t, a.admin, admin, "OWNER").Decode(t, &out) // unchanged: no-op
		require.Equal(t, "OWNER", out.UpdateMemberRole.Role)
	})
}

func TestRemoveMember(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		a := newTeam(t, s, "alpha")
		ids := memberIDs(t, a.member)
		owner, member := ids["alpha-owner"], ids["alpha-member"]

		p := create(t, a.member, "website", "Site")
		require.Empty(t, move(t, a.member, p.ID, "interest").Errors)
		require.Empty(t, sdktest.Op(t, a.member, "StartTimer", map[string]any{"projectId": p.ID}).Errors)

		requireCode(t, removeMember(t, a.member, member), "FORBIDDEN")
		requireCode(t, removeMember(t, a.admin, owner), "FORBIDDEN")
		requireCode(t, removeMember(t, a.owner, owner), "VALIDATION")
		var out struct{ RemoveMember string }
		removeMember(t, a.admin, member).Decode(t, &out)
		require.Equal(t, member, out.RemoveMember)
		requireCode(t, removeMember(t, a.admin, member), "NOT_FOUND")

		// Their token stops working at once; they leave the directory.
		requireCode(t, sdktest.Op(t, a.member, "Workflows", nil), "UNAUTHENTICATED")
		require.NotContains(t, memberIDs(t, a.admin), "alpha-member")

		// Their work stays theirs: history and the stopped timer's entry.
		v := view(t, a.admin, p.ID)
		for _, h := range v.Node.History {
			require.Equal(t, "member:"+member, h.Actor)
		}
		var report struct {
			TimeReport struct {
				Rows []struct {
					Member  struct{ ID, Name string }
					Seconds int
				}
			}
		}
		a.admin.Do(t, `query($from: Time!, $to: Time!) { timeReport(input: {from: $from, to: $to, groupBy: [MEMBER]}) { rows { member { id name } seconds } } }`,
			map[string]any{"from": time.Now().Add(-time.Hour).Format(time.RFC3339), "to": time.Now().Add(time.Hour).Format(time.RFC3339)}).Decode(t, &report)
		require.Len(t, report.TimeReport.Rows, 1)
		require.Equal(t, member, report.TimeReport.Rows[0].Member.ID)
		require.Equal(t, "alpha-member", report.TimeReport.Rows[0].Member.Name)
		var timer struct{ RunningTimer *struct{ ID string } }
		requireCode(t, s.Member(t, "alpha", "alpha-member").Do(t, `{ runningTimer { id } }`, nil), "UNAUTHENTICATED") // a fresh token is no better

		// Added again, they come back with their history.
		back := s.AddMember(t, "alpha", "alpha-member", "MEMBER")
		back.Do(t, `{ runningTimer { id } }`, nil).Decode(t, &timer)
		require.Nil(t, timer.RunningTimer, "the removal stopped the timer")
		require.Equal(t, member, memberIDs(t, a.admin)["alpha-member"])
		require.Empty(t, move(t, back, p.ID, "preparation").Errors)
	})
}

// A removal on one replica locks the member out of the others at once
// (PostgreSQL: NOTIFY drops their cached credentials).
func TestRemoveMemberAcrossReplicas(t *testing.T) {
	url := lanestest.PostgresURL(t)
	one := sdktest.Start(t, url)
	two := sdktest.Start(t, url)
	a := newTeam(t, one, "alpha")
	onTwo := two.Member(t, "alpha", "alpha-member")
	require.Empty(t, sdktest.Op(t, onTwo, "Workflows", nil).Errors, "replica two has the member cached")
	removeMember(t, a.admin, memberIDs(t, a.admin)["alpha-member"]).Decode(t, &struct{}{})
	require.Eventually(t, func() bool {
		res, err := sdktest.Send(onTwo, "Workflows", nil)
		return err == nil && len(res.Codes()) == 1 && res.Codes()[0] == "UNAUTHENTICATED"
	}, 10*time.Second, 10*time.Millisecond)
}
