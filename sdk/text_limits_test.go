package sdk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// Free text has documented limits in characters (README.md, "Input
// limits"): one character over is VALIDATION naming the field, with the
// limit; exactly at the limit, in two-byte characters, is accepted (the
// columns' byte bounds hold it). Before, a move's reason had no limit at
// all, and other limits counted bytes in the database but characters in
// the service.
func TestTextLimits(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tm := newTeam(t, s, "acme")
		site := create(t, tm.member, "website", "Customer's site")
		customer := customerFor(t, s, tm, site.ID, "cara@example.com")
		require.Empty(t, move(t, tm.member, site.ID, "feedback").Errors) // unlocks FEEDBACK and MY_DATA
		n := 0
		unique := func() string { n++; return fmt.Sprint(n) }
		fresh := func(workflow string) string { return create(t, tm.member, workflow, "P"+unique()).ID }
		activeLead := func() string {
			id := fresh("leads")
			require.Empty(t, sdktest.Op(t, tm.member, "AcceptLead", map[string]any{"id": id}).Errors)
			return id
		}
		securedLead := func() string {
			id := activeLead()
			require.Empty(t, sdktest.Op(t, tm.member, "SecureProject", map[string]any{"id": id}).Errors)
			return id
		}

		for _, tc := range []struct {
			name   string
			caller lanestest.Client
			op     string
			field  string
			limit  int
			// vars builds the variables around the text; setup (run once
			// per case) returns what they need, e.g. a project ID.
			setup func() string
			vars  func(id, text string) map[string]any
		}{
			{"project title", tm.member, "CreateProject", "title", 200, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"workflow": "website", "title": v}}
			}},
			{"customer name", tm.member, "CreateProject", "customer.name", 200, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"workflow": "website", "title": "T", "customer": map[string]any{"name": v}}}
			}},
			{"customer phone", tm.member, "CreateProject", "customer.phone", 50, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"workflow": "website", "title": "T", "customer": map[string]any{"name": "N", "phone": v}}}
			}},
			{"a move's reason", tm.member, "MoveProject", "reason", 10_000, func() string { return fresh("website") }, func(id, v string) map[string]any {
				return map[string]any{"input": map[string]any{"id": id, "to": "interest", "reason": v}}
			}},
			{"a move's note", tm.member, "MoveProject", "note", 10_000, func() string { return fresh("website") }, func(id, v string) map[string]any {
				return map[string]any{"input": map[string]any{"id": id, "to": "interest", "note": v}}
			}},
			{"decline note", tm.member, "DeclineLead", "note", 10_000, func() string { return fresh("leads") }, func(id, v string) map[string]any {
				return map[string]any{"id": id, "reason": "OTHER", "note": v}
			}},
			{"progress note", tm.member, "SetProgress", "note", 10_000, activeLead, func(id, v string) map[string]any {
				return map[string]any{"id": id, "progress": "contacted", "note": v}
			}},
			{"revenue share reference", tm.member, "RecordRevenueSharePayment", "reference", 255, securedLead, func(id, v string) map[string]any {
				return map[string]any{"input": map[string]any{"projectId": id, "amount": money(1000, "EUR"), "reference": v}}
			}},
			{"timer note", tm.member, "StartTimer", "note", 10_000, func() string { return fresh("website") }, func(id, v string) map[string]any {
				return map[string]any{"projectId": id, "note": v}
			}},
			{"time entry note", tm.member, "AddTimeEntry", "note", 10_000, func() string { return fresh("website") }, func(id, v string) map[string]any {
				return map[string]any{"input": map[string]any{"projectId": id, "startedAt": rfc(time.Now()), "endedAt": rfc(time.Now().Add(time.Second)), "note": v}}
			}},
			{"status name", tm.admin, "UpdateStatus", "name", 200, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"workflow": "website", "status": "audit", "name": v}}
			}},
			{"automation to-do", tm.admin, "CreateAutomation", "todos[1].title", 500, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"workflow": "website", "status": "audit", "on": "ENTER", "todos": []any{
					map[string]any{"title": "first"}, map[string]any{"title": v},
				}}}
			}},
			{"tenant name", s.Platform, "CreateTenant", "name", 200, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"slug": "t" + unique(), "name": v}}
			}},
			{"member name", tm.platform, "AddMember", "name", 200, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"externalId": "m" + unique(), "name": v, "role": "VIEWER"}}
			}},
			{"member externalId", tm.platform, "AddMember", "externalId", 200, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"externalId": v, "name": "M", "role": "VIEWER"}}
			}},
			{"feedback comment", customer, "PinFeedback", "comment", 500, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"projectId": site.ID, "pageUrl": "https://cara.example/", "comment": v}}
			}},
			{"my phone", customer, "UpdateMyData", "phone", 50, nil, func(_, v string) map[string]any {
				return map[string]any{"input": map[string]any{"phone": v}}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var id string
				if tc.setup != nil {
					id = tc.setup()
				}
				over := sdktest.Op(t, tc.caller, tc.op, tc.vars(id, strings.Repeat("é", tc.limit+1)))
				e := requireCode(t, over, "VALIDATION")
				require.Equal(t, tc.field, e.Extensions["field"], e.Message)
				require.Equal(t, float64(tc.limit), e.Extensions["limit"])
				require.Contains(t, e.Message, fmt.Sprintf("at most %d characters", tc.limit))

				at := sdktest.Op(t, tc.caller, tc.op, tc.vars(id, strings.Repeat("é", tc.limit)))
				require.Empty(t, at.Errors, "at the limit")
			})
		}

		t.Run("a 900 KB reason is refused, nothing written", func(t *testing.T) {
			p := create(t, tm.member, "website", "Big reason")
			res := move(t, tm.member, p.ID, "interest", map[string]any{"reason": strings.Repeat("r", 900_000)})
			e := requireCode(t, res, "VALIDATION")
			require.Equal(t, "reason", e.Extensions["field"])
			require.Less(t, len(e.Message), 100, "the reason is not echoed")
			v := view(t, tm.member, p.ID)
			require.Equal(t, "lead", v.Node.Status.Key)
			require.Equal(t, 1, v.Node.Version)
			require.Len(t, v.Node.History, 1)
		})

		t.Run("the Go SDK refuses too", func(t *testing.T) {
			ctx, err := s.Lanes.AsMember(context.Background(), "acme", "acme-member")
			require.NoError(t, err)
			_, err = s.Lanes.Workflows.CreateProject(ctx, workflow.CreateProjectInput{Workflow: "website", Title: strings.Repeat("t", 201)})
			e, ok := errcode.As(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, errcode.Validation, e.Code)
			require.Equal(t, "title", e.Details["field"])
			_, err = s.Lanes.Workflows.MoveProject(ctx, workflow.MoveProjectInput{ID: pulid.ID(site.ID), To: "done", Note: ptr(strings.Repeat("n", 10_001))})
			require.Equal(t, errcode.Validation, errcode.CodeOf(err), "%v", err)
		})
	})
}

// Keys that are looked up (a workflow's, a status's) have at most 63
// characters, as the schema stores them: a longer one is VALIDATION naming
// the argument, where it used to be NOT_FOUND carrying the whole key back
// (a 200 KB key made a 200 KB error). A key at the limit that does not
// exist is still NOT_FOUND.
func TestLongKeysAreValidation(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		tm := newTeam(t, s, "acme")
		p := create(t, tm.member, "website", "Bakery")
		long := strings.Repeat("k", 200_000)
		for _, tc := range []struct {
			name, op string
			vars     func(key string) map[string]any
			field    string
		}{
			{"board workflow", "Board", func(k string) map[string]any { return map[string]any{"workflow": k} }, "workflow"},
			{"column workflow", "BoardColumn", func(k string) map[string]any { return map[string]any{"workflow": k, "status": "lead"} }, "workflow"},
			{"column status", "BoardColumn", func(k string) map[string]any { return map[string]any{"workflow": "website", "status": k} }, "status"},
			{"new project's workflow", "CreateProject", func(k string) map[string]any {
				return map[string]any{"input": map[string]any{"workflow": k, "title": "T"}}
			}, "workflow"},
			{"new project's status", "CreateProject", func(k string) map[string]any {
				return map[string]any{"input": map[string]any{"workflow": "website", "title": "T", "status": k}}
			}, "status"},
			{"a move's target", "MoveProject", func(k string) map[string]any {
				return map[string]any{"input": map[string]any{"id": p.ID, "to": k}}
			}, "to"},
			{"a status's features", "StatusFeatures", func(k string) map[string]any { return map[string]any{"workflow": k} }, "key"},
			{"a report's workflow", "TimeReport", func(k string) map[string]any {
				return map[string]any{"input": map[string]any{"workflow": k, "groupBy": []any{"STATUS"}}}
			}, "workflow"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := sdktest.Op(t, tm.admin, tc.op, tc.vars(long))
				e := requireCode(t, res, "VALIDATION")
				require.Equal(t, tc.field, e.Extensions["field"])
				require.EqualValues(t, 63, e.Extensions["limit"])
				require.Less(t, len(fmt.Sprint(res.Errors)), 300, "the key is not echoed")

				res = sdktest.Op(t, tm.admin, tc.op, tc.vars(strings.Repeat("k", 63)))
				if tc.op != "StatusFeatures" { // a missing workflow is null there
					requireCode(t, res, "NOT_FOUND")
				}
			})
		}
		require.Equal(t, "lead", view(t, tm.member, p.ID).Node.Status.Key, "nothing moved")
	})
}
