package policies_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/policyrule"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/store"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

var defaults = []policies.StatusFeatures{
	{Workflow: "website", Status: "lead", Features: []policies.Feature{policies.FileManager, policies.Wishes}},
	{Workflow: "website", Status: "done", Features: []policies.Feature{policies.FileManager, policies.Statistics}},
	{Workflow: "leads", Status: "new", Features: []policies.Feature{policies.FileManager, policies.MyData}},
}

func openStore(t testing.TB, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{URL: url})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(context.Background()))
	return db
}

// seedTenants creates n tenants; with override, each denies WISHES in lead
// and grants STORE in done (its own domain).
func seedTenants(t testing.TB, c *ent.Client, n int, override bool) []pulid.ID {
	t.Helper()
	sys := tenant.SystemContext(context.Background())
	ids := make([]pulid.ID, 0, n)
	prefix := strings.ToLower(string(pulid.New("")))[:10]
	for start := 0; start < n; start += 1000 {
		var tb []*ent.TenantCreate
		for i := start; i < min(n, start+1000); i++ {
			tb = append(tb, c.Tenant.Create().SetSlug(fmt.Sprintf("t%s-%d", prefix, i)).SetName("T"))
		}
		ts, err := c.Tenant.CreateBulk(tb...).Save(sys)
		require.NoError(t, err)
		var rules []*ent.PolicyRuleCreate
		for _, tn := range ts {
			ids = append(ids, tn.ID)
			if override {
				rules = append(rules,
					c.PolicyRule.Create().SetTenantID(tn.ID).SetSubject("status:website/lead").SetObject("feature:WISHES").SetAction("use").SetEffect(policyrule.EffectDeny),
					c.PolicyRule.Create().SetTenantID(tn.ID).SetSubject("status:website/done").SetObject("feature:STORE").SetAction("use").SetEffect(policyrule.EffectAllow))
			}
		}
		if len(rules) > 0 {
			require.NoError(t, c.PolicyRule.CreateBulk(rules...).Exec(sys))
		}
	}
	return ids
}

func asMember(id pulid.ID) context.Context {
	return tenant.NewContext(context.Background(), tenant.Actor{Kind: tenant.KindMember, TenantID: id, MemberID: "mem_x", Role: role.Admin})
}

func TestFeaturesOverridesStayInTheirTenant(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		d := openStore(t, db.URL)
		f, err := policies.NewFeatures(policies.FeaturesConfig{Client: d.Client, Defaults: defaults, Capacity: 4})
		require.NoError(t, err)
		ids := seedTenants(t, d.Client, 2, false)
		a, b := ids[0], ids[1]

		require.Equal(t, policies.SetOf(policies.FileManager, policies.Wishes), f.Default("website", "lead"))
		cases := []struct {
			tenant           pulid.ID
			workflow, status string
			want             policies.FeatureSet
		}{
			{a, "website", "lead", policies.SetOf(policies.FileManager, policies.Wishes)},
			{a, "leads", "new", policies.SetOf(policies.FileManager, policies.MyData)},
			{a, "website", "nope", 0},
			{a, "nope", "lead", 0},
		}
		for _, tc := range cases {
			got, err := f.Unlocked(asMember(tc.tenant), string(tc.tenant), tc.workflow, tc.status)
			require.NoError(t, err)
			require.Equal(t, tc.want, got, "%+v", tc)
		}

		// A grants EMAILS and denies WISHES in lead.
		ctxA := asMember(a)
		require.NoError(t, f.SetOverride(ctxA, d.Client, string(a), "website", "lead", policies.Emails, true))
		require.NoError(t, f.SetOverride(ctxA, d.Client, string(a), "website", "lead", policies.Wishes, false))
		stale, err := f.Unlocked(ctxA, string(a), "website", "lead")
		require.NoError(t, err)
		require.True(t, stale.Has(policies.Wishes), "cached until invalidated")
		f.Invalidate(string(a))
		got, err := f.Unlocked(ctxA, string(a), "website", "lead")
		require.NoError(t, err)
		require.Equal(t, policies.SetOf(policies.FileManager, policies.Emails), got)
		got, err = f.Unlocked(asMember(b), string(b), "website", "lead")
		require.NoError(t, err)
		require.Equal(t, policies.SetOf(policies.FileManager, policies.Wishes), got, "B keeps the defaults")

		// Back to the default removes the rule.
		require.NoError(t, f.SetOverride(ctxA, d.Client, string(a), "website", "lead", policies.Wishes, true))
		require.NoError(t, f.SetOverride(ctxA, d.Client, string(a), "website", "lead", policies.Emails, false))
		n, err := d.Client.PolicyRule.Query().Count(ctxA)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

func TestFeatureCacheIsBounded(t *testing.T) {
	d := openStore(t, lanestest.SQLiteURL(t))
	f, err := policies.NewFeatures(policies.FeaturesConfig{Client: d.Client, Defaults: defaults, Capacity: 64})
	require.NoError(t, err)
	ids := seedTenants(t, d.Client, 300, true)
	for _, id := range ids {
		got, err := f.Unlocked(asMember(id), string(id), "website", "done")
		require.NoError(t, err)
		require.Equal(t, policies.SetOf(policies.FileManager, policies.Statistics, policies.Store), got)
		require.LessOrEqual(t, f.Len(), 64)
	}
}

// BenchmarkFeatureCheck measures one decision, memoised and uncached, with
// 10, 1,000 and 10,000 tenants that each hold overrides.
func BenchmarkFeatureCheck(b *testing.B) {
	for _, tenants := range []int{10, 1_000, 10_000} {
		b.Run(fmt.Sprintf("tenants=%d", tenants), func(b *testing.B) {
			lanestest.ForEachBenchDatabase(b, func(b *testing.B, db lanestest.Database) {
				benchFeatureCheck(b, db, tenants)
			})
		})
	}
}

func benchFeatureCheck(b *testing.B, db lanestest.Database, tenants int) {
	d := openStore(b, db.URL)
	f, err := policies.NewFeatures(policies.FeaturesConfig{Client: d.Client, Defaults: defaults, Capacity: 20_000})
	require.NoError(b, err)
	n := tenants
	if benchSmall() {
		n = min(n, 50)
	}
	ids := seedTenants(b, d.Client, n, true)
	ctxs := make([]context.Context, len(ids))
	for i, id := range ids {
		ctxs[i] = asMember(id)
	}
	b.Run("memoised", func(b *testing.B) {
		for i, id := range ids {
			_, _ = f.Unlocked(ctxs[i], string(id), "website", "lead")
		}
		r := rand.New(rand.NewPCG(1, 2))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			i := r.IntN(len(ids))
			set, err := f.Unlocked(ctxs[i], string(ids[i]), "website", "lead")
			if err != nil || set.Has(policies.Wishes) {
				b.Fatal("wrong decision", err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		r := rand.New(rand.NewPCG(3, 4))
		b.ReportAllocs()
		for b.Loop() {
			i := r.IntN(len(ids))
			f.Invalidate(string(ids[i]))
			set, err := f.Unlocked(ctxs[i], string(ids[i]), "website", "done")
			if err != nil || !set.Has(policies.Store) {
				b.Fatal("wrong decision", err)
			}
		}
	})
}

// benchSmall keeps `go test -bench . -benchtime 1x` (CI) quick: the large
// tenant counts are seeded only when LANES_BENCH_FULL=1.
func benchSmall() bool { return os.Getenv("LANES_BENCH_FULL") != "1" }
