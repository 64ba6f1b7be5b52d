package policies

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/policyrule"
)

// StatusFeatures are the features a status unlocks by default (a template's
// data).
type StatusFeatures struct {
	Workflow, Status string
	Features         []Feature
}

// Features answers which portal features a status unlocks in a tenant: the
// template defaults (wildcard domain) with the tenant's grants and denies
// (its own domain, PolicyRule rows) applied by casbin.
//
// Decisions are memoised per tenant in a bounded cache: a tenant's entry is
// its decision table, computed by a casbin enforcer over that tenant's
// filtered policy (the defaults plus its own rules) and then dropped, so
// the cost of a check does not grow with the number of tenants and the
// memory per tenant is a few hundred bytes. Tenants without overrides share
// the defaults' table. A change invalidates the tenant's entry (and, on
// PostgreSQL, every replica's through NOTIFY).
type Features struct {
	client   *ent.Client
	model    model.Model
	adapter  *EntAdapter
	statuses statusIndex
	defaults *decisions
	notify   bool
	cache    *decisionCache
}

// decisions are a tenant's unlocked features per status, indexed by the
// statuses' numbers in Features.statuses: one small slice per tenant, so a
// check touches a few cache lines however many tenants are cached.
type decisions struct {
	sets []FeatureSet
}

func (d *decisions) set(i int, set FeatureSet) {
	if i >= len(d.sets) {
		d.sets = append(d.sets, make([]FeatureSet, i+1-len(d.sets))...)
	}
	d.sets[i] = set
}

// in returns the status's set among sets numbered by x (none for a status
// no policy names).
func (x *statusIndex) in(sets []FeatureSet, workflow, status string) FeatureSet {
	i, ok := x.lookup(workflow, status)
	if !ok || i >= len(sets) {
		return 0
	}
	return sets[i]
}

// statusIndex numbers the (workflow, status) pairs policies name. Reads
// are lock-free (an immutable map swapped on the rare new pair).
type statusIndex struct {
	mu  sync.Mutex // serialises numbering
	ids atomic.Pointer[map[statusRef]int]
}

type statusRef struct{ workflow, status string }

func (x *statusIndex) lookup(workflow, status string) (int, bool) {
	m := x.ids.Load()
	if m == nil {
		return 0, false
	}
	i, ok := (*m)[statusRef{workflow, status}]
	return i, ok
}

func (x *statusIndex) number(workflow, status string) int {
	if i, ok := x.lookup(workflow, status); ok {
		return i
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	old := map[statusRef]int{}
	if m := x.ids.Load(); m != nil {
		old = *m
	}
	if i, ok := old[statusRef{workflow, status}]; ok {
		return i
	}
	next := make(map[statusRef]int, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	i := len(old)
	next[statusRef{workflow, status}] = i
	x.ids.Store(&next)
	return i
}

// FeaturesConfig configures Features.
type FeaturesConfig struct {
	Client   *ent.Client
	Defaults []StatusFeatures
	// Capacity bounds the cached tenants (default 10,000).
	Capacity int
	// Notify sends a PostgreSQL NOTIFY on NotifyChannel with every change.
	Notify bool
	// TTL bounds how long a decision is kept (default 5 minutes): a safety
	// net for changes whose notification was missed, and how instances
	// sharing an SQLite file converge.
	TTL time.Duration
}

// NotifyChannel is the PostgreSQL channel of policy changes; the payload is
// the tenant ID.
const NotifyChannel = "lanes_policies"

// NewFeatures builds the feature authorizer.
func NewFeatures(cfg FeaturesConfig) (*Features, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("policies: model: %w", err)
	}
	var rules [][]string
	f := &Features{client: cfg.Client, model: m, notify: cfg.Notify}
	defaults := &decisions{}
	for _, sf := range cfg.Defaults {
		var set FeatureSet
		for _, f := range sf.Features {
			if !f.Valid() {
				return nil, fmt.Errorf("policies: unknown feature %q for %s/%s", f, sf.Workflow, sf.Status)
			}
			set = set.With(f)
			rules = append(rules, []string{"p", StatusSubject(sf.Workflow, sf.Status), WildcardDomain, FeatureObject(f), useAction, "allow"})
		}
		defaults.set(f.statuses.number(sf.Workflow, sf.Status), set)
	}
	capacity := cfg.Capacity
	if capacity <= 0 {
		capacity = 10_000
	}
	ttl := cfg.TTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	f.adapter = &EntAdapter{client: cfg.Client, defaults: rules}
	f.defaults = defaults
	f.cache = newDecisionCache(capacity, ttl)
	return f, nil
}

// Default returns the features a status unlocks by default.
func (f *Features) Default(workflow, status string) FeatureSet {
	return f.statuses.in(f.defaults.sets, workflow, status)
}

// Unlocked returns the features a status unlocks in the tenant. ctx must
// act in that tenant (any actor of it, customers included).
func (f *Features) Unlocked(ctx context.Context, tenantID, workflow, status string) (FeatureSet, error) {
	d, err := f.tenant(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	return f.statuses.in(d, workflow, status), nil
}

// Can reports whether the status unlocks the feature in the tenant.
func (f *Features) Can(ctx context.Context, tenantID, workflow, status string, feature Feature) (bool, error) {
	set, err := f.Unlocked(ctx, tenantID, workflow, status)
	return set.Has(feature), err
}

// tenant returns the tenant's feature sets by status number.
func (f *Features) tenant(ctx context.Context, tenantID string) ([]FeatureSet, error) {
	if sets, ok := f.cache.get(tenantID); ok {
		return sets, nil
	}
	d, err := f.load(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	f.cache.put(tenantID, d.sets)
	return d.sets, nil
}

// load computes a tenant's decisions: a casbin enforcer over the defaults
// and the tenant's rules (one indexed query), asked about every status
// either names.
func (f *Features) load(ctx context.Context, tenantID string) (*decisions, error) {
	has, err := f.client.PolicyRule.Query().Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("policies: rules of %s: %w", tenantID, err)
	}
	if !has {
		return f.defaults, nil
	}
	e, err := casbin.NewEnforcer(f.model.Copy())
	if err != nil {
		return nil, fmt.Errorf("policies: enforcer: %w", err)
	}
	e.SetAdapter(f.adapter)
	if err := e.LoadFilteredPolicy(TenantFilter{Ctx: ctx, TenantID: tenantID}); err != nil {
		return nil, err
	}
	rules, err := e.GetPolicy()
	if err != nil {
		return nil, fmt.Errorf("policies: rules of %s: %w", tenantID, err)
	}
	subjects := map[string]bool{}
	for _, rule := range rules {
		subjects[rule[0]] = true
	}
	d := &decisions{}
	for sub := range subjects {
		workflow, status, ok := splitSubject(sub)
		if !ok {
			continue
		}
		var set FeatureSet
		for _, feat := range AllFeatures {
			allowed, err := e.Enforce(sub, tenantID, FeatureObject(feat), useAction)
			if err != nil {
				return nil, fmt.Errorf("policies: enforce %s %s: %w", sub, feat, err)
			}
			if allowed {
				set = set.With(feat)
			}
		}
		d.set(f.statuses.number(workflow, status), set)
	}
	return d, nil
}

// SetOverride records, in the caller's transaction c, whether a status
// unlocks a feature in the tenant of ctx: a grant or deny where that
// differs from the default, no rule where it matches. Call Invalidate
// after the transaction commits.
func (f *Features) SetOverride(ctx context.Context, c *ent.Client, tenantID, workflow, status string, feature Feature, enabled bool) error {
	sub, obj := StatusSubject(workflow, status), FeatureObject(feature)
	if _, err := c.PolicyRule.Delete().
		Where(policyrule.Ptype("p"), policyrule.Subject(sub), policyrule.Object(obj), policyrule.Action(useAction)).
		Exec(ctx); err != nil {
		return fmt.Errorf("policies: clear rule: %w", err)
	}
	if f.Default(workflow, status).Has(feature) != enabled {
		effect := policyrule.EffectDeny
		if enabled {
			effect = policyrule.EffectAllow
		}
		if err := c.PolicyRule.Create().
			SetSubject(sub).SetObject(obj).SetAction(useAction).SetEffect(effect).
			Exec(ctx); err != nil {
			return fmt.Errorf("policies: write rule: %w", err)
		}
	}
	if f.notify {
		if _, err := c.ExecContext(ctx, "SELECT pg_notify($1, $2)", NotifyChannel, tenantID); err != nil {
			return fmt.Errorf("policies: notify: %w", err)
		}
	}
	return nil
}

// ClearStatus removes, in the caller's transaction c, the tenant's
// overrides of a status (which is being deleted), so that a status of the
// same key added later starts from its defaults. Call Invalidate after the
// transaction commits.
func (f *Features) ClearStatus(ctx context.Context, c *ent.Client, tenantID, workflow, status string) error {
	n, err := c.PolicyRule.Delete().Where(policyrule.Ptype("p"), policyrule.Subject(StatusSubject(workflow, status))).Exec(ctx)
	if err != nil {
		return fmt.Errorf("policies: clear rules of %s/%s: %w", workflow, status, err)
	}
	if n > 0 && f.notify {
		if _, err := c.ExecContext(ctx, "SELECT pg_notify($1, $2)", NotifyChannel, tenantID); err != nil {
			return fmt.Errorf("policies: notify: %w", err)
		}
	}
	return nil
}

// Invalidate drops a tenant's cached decisions.
func (f *Features) Invalidate(tenantID string) { f.cache.remove(tenantID) }

// decisionCache is a bounded map of tenants' decisions with CLOCK
// eviction: a read takes a read lock and sets the entry's used bit only if
// it is clear (no shared write on the hot path); when full, a sweep evicts
// entries not used since the previous sweep and clears the bits of the
// others, so eviction is amortised.
type decisionCache struct {
	mu       sync.RWMutex
	capacity int
	ttl      time.Duration
	entries  map[tenantKey]*cacheEntry
}

// tenantKey holds a tenant ID inside the map's slots, so that a lookup
// reads no key bytes elsewhere in memory (a cache miss per check with
// 10,000 tenants cached). Tenant IDs are 30 bytes; a longer one is never
// cached.
type tenantKey [32]byte

func keyOf(tenantID string) (k tenantKey, ok bool) {
	if len(tenantID) > len(k) {
		return k, false
	}
	copy(k[:], tenantID)
	return k, true
}

// cacheEntry holds the sets themselves, one pointer hop from the map.
type cacheEntry struct {
	sets    []FeatureSet
	expires int64 // unix nanoseconds
	used    atomic.Bool
}

func newDecisionCache(capacity int, ttl time.Duration) *decisionCache {
	return &decisionCache{capacity: capacity, ttl: ttl, entries: make(map[tenantKey]*cacheEntry)}
}

func (c *decisionCache) get(tenantID string) ([]FeatureSet, bool) {
	k, ok := keyOf(tenantID)
	if !ok {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || time.Now().UnixNano() > e.expires {
		return nil, false
	}
	if !e.used.Load() {
		e.used.Store(true)
	}
	return e.sets, true
}

func (c *decisionCache) put(tenantID string, sets []FeatureSet) {
	k, ok := keyOf(tenantID)
	if !ok {
		return
	}
	e := &cacheEntry{sets: sets, expires: time.Now().Add(c.ttl).UnixNano()}
	e.used.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.capacity {
		c.sweepLocked()
	}
	c.entries[k] = e
}

func (c *decisionCache) remove(tenantID string) {
	k, ok := keyOf(tenantID)
	if !ok {
		return
	}
	c.mu.Lock()
	delete(c.entries, k)
	c.mu.Unlock()
}

// sweepLocked evicts the entries unused since the last sweep (at least an
// eighth of the cache, oldest-looking first) and clears the used bits.
func (c *decisionCache) sweepLocked() {
	want := max(1, c.capacity/8)
	var recent []tenantKey
	for k, e := range c.entries {
		if !e.used.Swap(false) {
			delete(c.entries, k)
			want--
		} else {
			recent = append(recent, k)
		}
	}
	for _, k := range recent {
		if want <= 0 {
			break
		}
		delete(c.entries, k)
		want--
	}
}

// Len is the number of cached tenants (for tests and metrics).
func (f *Features) Len() int {
	f.cache.mu.RLock()
	defer f.cache.mu.RUnlock()
	return len(f.cache.entries)
}

// InvalidateAll drops every cached decision.
func (f *Features) InvalidateAll() {
	f.cache.mu.Lock()
	f.cache.entries = make(map[tenantKey]*cacheEntry)
	f.cache.mu.Unlock()
}
