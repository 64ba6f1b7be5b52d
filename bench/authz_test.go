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
// stays in both. Each variant runs on its own; "interleaved" alternates
// them request by request, so that a slow phase of the machine hits both
// alike, and reports both medians (the target compares those).
func BenchmarkBoardAuthorization(b *testing.B) {
	forEachDataset(b, func(b *testing.B, f *fixture) {
		t := f.manifest.Tenants[0]
		without := f.reopen(b, func(c *sdk.Config) { c.Roles = allowAll{} })
		variants := []struct {
			name string
			f    *fixture
			req  request
		}{{"roles=casbin", f, request{}}, {"roles=none", without, request{}}}
		for i := range variants {
			v := &variants[i]
			v.req = newRequest(b, v.f.memberToken(b, t), "Board", map[string]any{"workflow": "website", "first": boardFirst})
			v.f.serve(b, v.req) // warm
			b.Run(v.name, func(b *testing.B) { v.f.benchServe(b, v.req) })
		}
		b.Run("interleaved", func(b *testing.B) {
			lat := make([]latencies, len(variants))
			for i := 0; b.Loop(); i++ {
				// Each variant goes first every other time.
				for k := range variants {
					v := (i + k) % len(variants)
					lat[v].time(func() { variants[v].f.serve(b, variants[v].req) })
				}
			}
			b.ReportMetric(lat[0].percentile(0.5), "casbin-p50-µs")
			b.ReportMetric(lat[1].percentile(0.5), "none-p50-µs")
		})
	})
}
