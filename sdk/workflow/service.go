// Package workflow is the status workflow engine: templates, workflows and
// their statuses, projects moving through them, history, the board.
package workflow

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"entgo.io/ent/dialect"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// Service is the workflow domain service.
type Service struct {
	client    *ent.Client
	authz     policies.Roles
	templates map[string]Template
	// postgres: lock rows (SELECT ... FOR UPDATE); SQLite transactions
	// are serialised by BEGIN IMMEDIATE instead.
	postgres bool
	cache    *configCache
	// origin names this process in its change notices.
	origin string
	events *events.Log
	// features holds the tenants' portal feature overrides, cleared with
	// a deleted status.
	features *policies.Features
}

// Config are the dependencies of the workflow service.
type Config struct {
	Client    *ent.Client
	Authz     policies.Roles
	Templates map[string]Template
	// Dialect is the database dialect (dialect.SQLite or dialect.Postgres).
	Dialect string
	// ConfigCacheTenants bounds the tenants whose workflows are cached
	// (default 10,000); ConfigCacheTTL bounds how long a tenant's workflows
	// stay cached when a change notification is missed (default 1 minute).
	ConfigCacheTenants int
	ConfigCacheTTL     time.Duration
	// Events records the changes' events.
	Events *events.Log
	// Features holds the portal feature overrides (nil: none to clear).
	Features *policies.Features
}

// NewService returns the workflow service.
func NewService(cfg Config) *Service {
	return &Service{
		client:    cfg.Client,
		authz:     cfg.Authz,
		templates: cfg.Templates,
		postgres:  cfg.Dialect == dialect.Postgres,
		cache:     newConfigCache(cfg.ConfigCacheTenants, cfg.ConfigCacheTTL),
		origin:    rand.Text()[:12],
		events:    cfg.Events,
		features:  cfg.Features,
	}
}

// TemplateKeys lists the available templates.
func (s *Service) TemplateKeys() []string { return sortedKeys(s.templates) }

// HasTemplate reports whether a template of that key exists.
func (s *Service) HasTemplate(key string) bool {
	_, ok := s.templates[key]
	return ok
}

// InstallTemplates copies the named templates into the tenant of ctx, as
// workflows with their statuses, and returns the workflows in order. It runs
// in the caller's transaction (createTenant's).
func (s *Service) InstallTemplates(ctx context.Context, c *ent.Client, keys []string) ([]*ent.Workflow, error) {
	out := make([]*ent.Workflow, 0, len(keys))
	for i, key := range keys {
		t, ok := s.templates[key]
		if !ok {
			return nil, ErrUnknownTemplate.With("template", key)
		}
		w, err := s.install(ctx, c, t, i)
		if err != nil {
			return nil, fmt.Errorf("install template %s: %w", key, err)
		}
		out = append(out, w)
	}
	return out, nil
}

func (s *Service) install(ctx context.Context, c *ent.Client, t Template, position int) (*ent.Workflow, error) {
	create := c.Workflow.Create().
		SetKey(t.Key).
		SetName(t.Name).
		SetMode(entworkflow.Mode(t.Mode)).
		SetPosition(position).
		SetTemplate(t.Key).
		SetTransitions(t.Transitions)
	if t.Mode == "STRICT" {
		// Its projects start where its transitions begin, wherever admins
		// later put statuses of their own.
		create.SetDefaultStatus(t.Statuses[0].Key)
	}
	if t.Progress != nil {
		create.SetProgress(t.Progress)
	}
	w, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	builders := make([]*ent.StatusCreate, len(t.Statuses))
	for i, st := range t.Statuses {
		builders[i] = c.Status.Create().
			SetWorkflowID(w.ID).
			SetKey(st.Key).
			SetName(st.Name).
			SetCategory(status.Category(st.Category)).
			SetPosition(i).
			SetColor(st.Color).
			SetMandatory(st.Mandatory).
			SetAdvanceTo(st.AdvanceTo).
			SetArchives(st.Archives)
	}
	statuses, err := c.Status.CreateBulk(builders...).Save(ctx)
	if err != nil {
		return nil, err
	}
	w.Edges.Statuses = statuses
	return w, nil
}

// canRead checks that the caller may read the tenant's workflows and boards.
func (s *Service) canRead(ctx context.Context) error {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return err
	}
	return s.authz.Require(a, policies.ReadProjects)
}

// Workflows lists the caller's tenant's workflows in order, statuses loaded.
func (s *Service) Workflows(ctx context.Context) ([]*ent.Workflow, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	ws, err := s.client.Workflow.Query().
		WithStatuses(func(q *ent.StatusQuery) { q.Order(ent.Asc(status.FieldPosition)) }).
		Order(ent.Asc(entworkflow.FieldPosition), ent.Asc(entworkflow.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list workflows: %w", err)
	}
	linkStatuses(ws...)
	return ws, nil
}

// WorkflowsOf lists the workflows of a tenant the caller may act in (the
// platform: any tenant, e.g. one it just created).
func (s *Service) WorkflowsOf(ctx context.Context, tenantID pulid.ID) ([]*ent.Workflow, error) {
	ctx, err := tenant.Within(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return s.Workflows(ctx)
}

// Workflow returns the workflow with the key, statuses loaded, or
// ErrWorkflowNotFound.
func (s *Service) Workflow(ctx context.Context, key string) (*ent.Workflow, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	if err := validate.Key("key", key); err != nil {
		return nil, err
	}
	w, err := s.client.Workflow.Query().
		Where(entworkflow.Key(key)).
		WithStatuses(func(q *ent.StatusQuery) { q.Order(ent.Asc(status.FieldPosition)) }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrWorkflowNotFound.With("workflow", key)
	}
	if err != nil {
		return nil, fmt.Errorf("get workflow %s: %w", key, err)
	}
	linkStatuses(w)
	return w, nil
}

// Statuses returns the workflow's statuses in order; disabled ones only
// when asked. It uses the statuses loaded with the workflow when present.
func (s *Service) Statuses(ctx context.Context, w *ent.Workflow, includeDisabled bool) ([]*ent.Status, error) {
	all, err := w.Edges.StatusesOrErr()
	if ent.IsNotLoaded(err) {
		ctx, err := tenant.Within(ctx, w.TenantID)
		if err != nil {
			return nil, err
		}
		if all, err = s.client.Status.Query().
			Where(status.WorkflowID(w.ID)).
			Order(ent.Asc(status.FieldPosition)).
			All(ctx); err != nil {
			return nil, fmt.Errorf("list statuses of %s: %w", w.Key, err)
		}
	}
	if includeDisabled {
		return all, nil
	}
	enabled := make([]*ent.Status, 0, len(all))
	for _, st := range all {
		if st.Enabled {
			enabled = append(enabled, st)
		}
	}
	return enabled, nil
}

// ProjectCounts returns, for every status of the tenant, how many projects
// (archived included) are in it: one grouped query for the whole tenant.
func (s *Service) ProjectCounts(ctx context.Context, tenantID pulid.ID) (map[pulid.ID]int, error) {
	ctx, err := tenant.Within(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	var rows []struct {
		StatusID pulid.ID `json:"status_id"`
		Count    int      `json:"count"`
	}
	if err := s.client.Project.Query().
		GroupBy(project.FieldStatusID).
		Aggregate(ent.Count()).
		Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count projects per status: %w", err)
	}
	counts := make(map[pulid.ID]int, len(rows))
	for _, r := range rows {
		counts[r.StatusID] = r.Count
	}
	return counts, nil
}

// ProjectQuery returns a query over the caller's tenant's projects that
// where (nil: none) filters, for listing and paging (the projects
// connection). The filter is checked before anything else but the
// credentials (validate.Filter: depth, conditions, list lengths, strings,
// no empty filter below the top), so a hostile one costs no role check
// and no statement.
func (s *Service) ProjectQuery(ctx context.Context, where *ent.ProjectWhereInput) (*ent.ProjectQuery, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return nil, err
	}
	if err := validate.Filter("where", where); err != nil {
		return nil, err
	}
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	q, err := where.Filter(s.client.Project.Query())
	if err != nil {
		// validate.Filter refuses every filter ent would.
		return nil, errcode.Invalid("where", "invalid filter")
	}
	return q, nil
}

// linkStatuses points loaded statuses back at their workflow, so fields of
// a status that need the workflow (its key) cost no query.
func linkStatuses(ws ...*ent.Workflow) {
	for _, w := range ws {
		for _, st := range w.Edges.Statuses {
			st.Edges.Workflow = w
		}
	}
}
