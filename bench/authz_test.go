package bench_test

import (
	"testing"

	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/tenant"
)

// allowAll grants every role everything: the board without role checks.
type allowAll struct{}

func (allowAll) Require(tenant.Actor, policies.Permission) error { return nil }

// BenchmarkBoardAuthorization serves the Board with Lanes' role checks and
// without any (sdk.Config.Roles allowing all), on the same data, to show
// what authorization costs a read. Tenant isolation is not optional and
// stays in both.
func BenchmarkBoardAuthorization(b *testing.B) {
	forEachDataset(b, func(b *testing.B, f *fixture) {
		t := f.manifest.Tenants[0]
		without := f.reopen(b, func(c *sdk.Config) { c.Roles = allowAll{} })
		for _, run := range []struct {
			name string
			f    *fixture
		}{{"roles=casbin", f}, {"roles=none", without}} {
			req := newRequest(b, run.f.memberToken(b, t), "Board", map[string]any{"workflow": "website", "first": boardFirst})
			run.f.serve(b, req) // warm
			b.Run(run.name, func(b *testing.B) { run.f.benchServe(b, req) })
		}
	})
}
