package workflow

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/automation"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// ConfigChannel is the PostgreSQL channel of workflow configuration changes
// (statuses, automations); the payload is the tenant ID.
const ConfigChannel = "lanes_config"

// configCache keeps each tenant's workflows (statuses, transitions,
// automations) in memory: boards and moves read them on every call and
// admins change them rarely. A change drops the tenant's entry, on every
// replica through NOTIFY; a TTL bounds the life of an entry whose
// notification was missed. The cached entities are read-only.
type configCache struct {
	mu       sync.RWMutex
	capacity int
	ttl      time.Duration
	tenants  map[pulid.ID]*tenantConfig
}

type tenantConfig struct {
	expires time.Time
	byID    map[pulid.ID]*flow
	byKey   map[string]*flow
}

func newConfigCache(capacity int, ttl time.Duration) *configCache {
	if capacity <= 0 {
		capacity = 10_000
	}
	if ttl <= 0 {
		ttl = time.Minute
	}
	return &configCache{capacity: capacity, ttl: ttl, tenants: map[pulid.ID]*tenantConfig{}}
}

func (c *configCache) get(tenantID pulid.ID) (*tenantConfig, bool) {
	c.mu.RLock()
	tc, ok := c.tenants[tenantID]
	c.mu.RUnlock()
	if !ok || time.Now().After(tc.expires) {
		return nil, false
	}
	return tc, true
}

func (c *configCache) put(tenantID pulid.ID, tc *tenantConfig) {
	tc.expires = time.Now().Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.tenants[tenantID]; !ok && len(c.tenants) >= c.capacity {
		// Full: evict an arbitrary tenant (map order is random), cheap and
		// fair enough for a cache whose entries reload in three queries.
		for id := range c.tenants {
			delete(c.tenants, id)
			break
		}
	}
	c.tenants[tenantID] = tc
}

func (c *configCache) drop(tenantID pulid.ID) {
	c.mu.Lock()
	delete(c.tenants, tenantID)
	c.mu.Unlock()
}

// InvalidateConfig drops a tenant's cached workflows (the NOTIFY listener
// calls it for changes made elsewhere).
func (s *Service) InvalidateConfig(tenantID pulid.ID) { s.cache.drop(tenantID) }

// ConfigNotice handles a ConfigChannel payload ("<origin>:<tenant id>"):
// a change of another replica drops the tenant's cached workflows; this
// one's own change dropped them at its commit already, and dropping them
// again when the notice comes back would only reload them once more.
func (s *Service) ConfigNotice(payload string) {
	origin, tenantID, ok := strings.Cut(payload, ":")
	if !ok {
		s.cache.drop(pulid.ID(payload))
		return
	}
	if origin != s.origin {
		s.cache.drop(pulid.ID(tenantID))
	}
}

// InvalidateAllConfig drops every tenant's cached workflows.
func (s *Service) InvalidateAllConfig() {
	s.cache.mu.Lock()
	s.cache.tenants = map[pulid.ID]*tenantConfig{}
	s.cache.mu.Unlock()
}

// config returns the caller's tenant's workflows, from the cache or loaded
// in three queries (workflows, statuses, automations) through c. Only
// staff loads fill the cache: customers may not read automations, and an
// entry must hold the whole configuration.
func (s *Service) config(ctx context.Context, c *ent.Client) (*tenantConfig, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	if tc, ok := s.cache.get(a.TenantID); ok {
		return tc, nil
	}
	tc, err := loadConfig(ctx, c, a.IsStaff())
	if err != nil {
		return nil, err
	}
	if a.IsStaff() {
		s.cache.put(a.TenantID, tc)
	}
	return tc, nil
}

func loadConfig(ctx context.Context, c *ent.Client, withAutomations bool) (*tenantConfig, error) {
	ws, err := c.Workflow.Query().WithStatuses(withOrderedStatuses).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load workflows: %w", err)
	}
	var autos []*ent.Automation
	if withAutomations {
		autos, err = c.Automation.Query().Order(ent.Asc(automation.FieldCreatedAt), ent.Asc(automation.FieldID)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load automations: %w", err)
		}
	}
	tc := &tenantConfig{byID: map[pulid.ID]*flow{}, byKey: map[string]*flow{}}
	for _, w := range ws {
		f := newFlow(w)
		for _, au := range autos {
			if au.WorkflowID == w.ID {
				f.automations = append(f.automations, au)
			}
		}
		tc.byID[w.ID], tc.byKey[w.Key] = f, f
	}
	return tc, nil
}

// CachedStatus returns a status of the caller's tenant, its workflow
// linked, from the tenant's cached configuration (read-only; loaded once
// for staff, never for customers, whose loads are not cached), or false:
// for decisions about many projects at once (their portal features)
// without a query per project.
func (s *Service) CachedStatus(ctx context.Context, workflowID, statusID pulid.ID) (*ent.Status, bool) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, false
	}
	tc, ok := s.cache.get(a.TenantID)
	if !ok && a.IsStaff() {
		if tc, err = s.config(ctx, s.client); err != nil {
			return nil, false
		}
		ok = true
	}
	if !ok {
		return nil, false
	}
	f, ok := tc.byID[workflowID]
	if !ok {
		return nil, false
	}
	st, ok := f.byID[statusID]
	return st, ok
}

// flowByID returns a workflow of the caller's tenant by ID.
func (s *Service) flowByID(ctx context.Context, c *ent.Client, id pulid.ID) (*flow, error) {
	return s.lookupFlow(ctx, c, string(id), func(tc *tenantConfig) *flow { return tc.byID[id] })
}

// flowByKey returns a workflow of the caller's tenant by key.
func (s *Service) flowByKey(ctx context.Context, c *ent.Client, key string) (*flow, error) {
	if err := validate.Key("workflow", key); err != nil {
		return nil, err
	}
	return s.lookupFlow(ctx, c, key, func(tc *tenantConfig) *flow { return tc.byKey[key] })
}

// lookupFlow finds a workflow in the tenant's configuration, reloading it
// once on a miss: the workflow may be newer than the cached entry.
func (s *Service) lookupFlow(ctx context.Context, c *ent.Client, ref string, find func(*tenantConfig) *flow) (*flow, error) {
	for attempt := range 2 {
		if attempt > 0 {
			s.cache.drop(mustTenant(ctx))
		}
		tc, err := s.config(ctx, c)
		if err != nil {
			return nil, err
		}
		if f := find(tc); f != nil {
			return f, nil
		}
	}
	return nil, ErrWorkflowNotFound.With("workflow", ref)
}

func mustTenant(ctx context.Context) pulid.ID {
	a, _ := tenant.FromContext(ctx)
	return a.TenantID
}

// configChanged drops the tenant's cached workflows once the change
// commits: here when it does (dropping before would let a concurrent
// reload cache the state the change is about to replace), and on other
// replicas through NOTIFY, sent in the change's transaction so it arrives
// only if the change commits.
func (s *Service) configChanged(ctx context.Context, c *ent.Client) error {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return err
	}
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		return fmt.Errorf("config change of %s outside a transaction", a.TenantID)
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			s.cache.drop(a.TenantID) // on failure too: the next read reloads
			return err
		})
	})
	if s.postgres {
		if _, err := c.ExecContext(ctx, "SELECT pg_notify($1, $2)", ConfigChannel, s.origin+":"+string(a.TenantID)); err != nil {
			return fmt.Errorf("notify config change: %w", err)
		}
	}
	return nil
}
