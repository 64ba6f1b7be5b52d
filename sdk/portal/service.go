// Package portal is the customer side of Lanes: invitations into the
// customer portal, the portal itself, and the features each project status
// unlocks there (wishes, files, feedback, my data, and the ones the
// embedding platform renders: emails, statistics, store).
package portal

import (
	"context"
	"fmt"
	"time"

	"gocloud.dev/blob"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/automation"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// Errors of the portal service.
var (
	ErrFeatureLocked    = errcode.New(errcode.FeatureLocked, "this feature is not unlocked in the project's status")
	ErrProjectNotFound  = errcode.New(errcode.NotFound, "project not found")
	ErrFileNotFound     = errcode.New(errcode.NotFound, "file not found")
	ErrCustomersOnly    = errcode.New(errcode.Forbidden, "only customers (portal sessions) use the portal")
	ErrNoCustomer       = errcode.New(errcode.Validation, "the project has no customer")
	ErrStatusNotFound   = errcode.New(errcode.NotFound, "status not found in this workflow")
	ErrWorkflowNotFound = errcode.New(errcode.NotFound, "workflow not found")
)

// Config are the dependencies and settings of the portal service.
type Config struct {
	Client   *ent.Client
	Authz    policies.Roles
	Features *policies.Features
	Authn    *auth.Authenticator
	Bucket   *blob.Bucket
	Signer   *Signer
	// Postgres: lock the project row while a feature is used.
	Postgres bool
	// PortalURL is the embedding platform's page that accepts invitations;
	// the token is appended as ?token=.
	PortalURL string
	// InvitationTTL (default 7 days) and SessionTTL (default 30 days).
	InvitationTTL time.Duration
	SessionTTL    time.Duration
	// MaxUploadBytes bounds one file (default 25 MiB).
	MaxUploadBytes int64
	// FileURLTTL is how long a file's download URL works (default 1 hour).
	FileURLTTL time.Duration
	// Events records the customers' actions.
	Events *events.Log
	// Statuses, when set, answers a project's status from the workflow
	// configuration's cache, so that the features of many projects take
	// no query per project.
	Statuses StatusCache
	// Automations, when set, runs the automations of the customer's
	// activity (the workflow engine).
	Automations ActivityAutomations
}

// ActivityAutomations runs, in the caller's transaction, the automations
// of a project's status that fire on a customer's activity.
type ActivityAutomations interface {
	RunActivityAutomations(ctx context.Context, c *ent.Client, p *ent.Project, on automation.Trigger) error
}

// activity runs the automations of a customer's activity, if any are wired.
func (s *Service) activity(ctx context.Context, c *ent.Client, p *ent.Project, on automation.Trigger) error {
	if s.cfg.Automations == nil {
		return nil
	}
	return s.cfg.Automations.RunActivityAutomations(ctx, c, p, on)
}

// StatusCache finds a status (with its workflow) of the caller's tenant
// without a query, or reports false (the workflow engine's cache).
type StatusCache interface {
	CachedStatus(ctx context.Context, workflowID, statusID pulid.ID) (*ent.Status, bool)
}

// Service is the portal domain service.
type Service struct {
	cfg Config
}

// NewService returns the portal service.
func NewService(cfg Config) *Service {
	if cfg.InvitationTTL <= 0 {
		cfg.InvitationTTL = 7 * 24 * time.Hour
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 25 << 20
	}
	if cfg.FileURLTTL <= 0 {
		cfg.FileURLTTL = time.Hour
	}
	return &Service{cfg: cfg}
}

// MaxUploadBytes is the largest file accepted.
func (s *Service) MaxUploadBytes() int64 { return s.cfg.MaxUploadBytes }

// requireCustomer returns the calling customer; staff are FORBIDDEN (the
// portal is the customer's), anonymous callers UNAUTHENTICATED.
func requireCustomer(ctx context.Context) (tenant.Actor, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return a, err
	}
	if a.Kind != tenant.KindCustomer {
		return a, ErrCustomersOnly
	}
	return a, nil
}

// statusOf returns the status of a project and its workflow's key: from
// the workflow configuration's cache, else from what is loaded with the
// project when it holds them, else loaded. A GraphQL selection loads only
// the fields it asks for (status { id } leaves the key and the workflow
// empty), so an edge counts as loaded when the fields read here are set.
// Loaded and cached objects may be shared between projects and
// goroutines: they are read, never written.
func (s *Service) statusOf(ctx context.Context, c *ent.Client, p *ent.Project) (*ent.Status, string, error) {
	if s.cfg.Statuses != nil && p.WorkflowID != "" {
		if st, ok := s.cfg.Statuses.CachedStatus(ctx, p.WorkflowID, p.StatusID); ok && st.Edges.Workflow != nil {
			return st, st.Edges.Workflow.Key, nil
		}
	}
	st, err := p.Edges.StatusOrErr()
	if err != nil || st.Key == "" || st.WorkflowID == "" {
		if st, err = c.Status.Get(ctx, p.StatusID); err != nil {
			return nil, "", fmt.Errorf("load status of %s: %w", p.ID, err)
		}
	}
	if w, err := st.Edges.WorkflowOrErr(); err == nil && w.Key != "" {
		return st, w.Key, nil
	}
	w, err := c.Workflow.Get(ctx, st.WorkflowID)
	if err != nil {
		return nil, "", fmt.Errorf("load workflow of %s: %w", p.ID, err)
	}
	return st, w.Key, nil
}

// record records a customer action's event: the project as it is, and the
// object under its name.
func (s *Service) record(ctx context.Context, c *ent.Client, typ events.Type, p *ent.Project, name string, object map[string]any) error {
	st, workflowKey, err := s.statusOf(ctx, c, p)
	if err != nil {
		return err
	}
	_, err = s.cfg.Events.Record(ctx, events.Event{Type: typ, Project: p.ID, Data: map[string]any{
		"project": events.ProjectData(p, workflowKey, st.Key),
		name:      object,
	}})
	return err
}

// unlocked returns the features a project's current status unlocks.
func (s *Service) unlocked(ctx context.Context, c *ent.Client, p *ent.Project) (policies.FeatureSet, error) {
	st, workflowKey, err := s.statusOf(ctx, c, p)
	if err != nil {
		return 0, err
	}
	return s.cfg.Features.Unlocked(ctx, string(p.TenantID), workflowKey, st.Key)
}

// ProjectFeatures lists the features the project's status unlocks.
func (s *Service) ProjectFeatures(ctx context.Context, p *ent.Project) ([]policies.Feature, error) {
	ctx, err := tenant.Within(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	set, err := s.unlocked(ctx, s.cfg.Client, p)
	return set.List(), err
}

// StatusFeatures lists the features a status unlocks in the caller's
// tenant (defaults with the tenant's overrides).
func (s *Service) StatusFeatures(ctx context.Context, st *ent.Status) ([]policies.Feature, error) {
	ctx, err := tenant.Within(ctx, st.TenantID) // the status's tenant, e.g. one createTenant just made
	if err != nil {
		return nil, err
	}
	workflowKey, err := s.workflowKeyOf(ctx, st)
	if err != nil {
		return nil, err
	}
	set, err := s.cfg.Features.Unlocked(ctx, string(st.TenantID), workflowKey, st.Key)
	return set.List(), err
}

// TemplateFeatures are the portal features a status's workflow template
// unlocks for it, before the tenant's overrides: where StatusFeatures
// differs, the tenant chose otherwise.
func (s *Service) TemplateFeatures(ctx context.Context, st *ent.Status) ([]policies.Feature, error) {
	ctx, err := tenant.Within(ctx, st.TenantID)
	if err != nil {
		return nil, err
	}
	workflowKey, err := s.workflowKeyOf(ctx, st)
	if err != nil {
		return nil, err
	}
	return s.cfg.Features.Default(workflowKey, st.Key).List(), nil
}

// workflowKeyOf is the key of a status's workflow, from the configuration
// cache when it has the status.
func (s *Service) workflowKeyOf(ctx context.Context, st *ent.Status) (string, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return "", err
	}
	if s.cfg.Statuses != nil {
		if cached, ok := s.cfg.Statuses.CachedStatus(ctx, st.WorkflowID, st.ID); ok && cached.Edges.Workflow != nil {
			return cached.Edges.Workflow.Key, nil
		}
	}
	// As in statusOf: a workflow loaded for a selection may lack its key.
	w, err := st.Edges.WorkflowOrErr()
	if err != nil || w.Key == "" {
		if w, err = s.cfg.Client.Workflow.Get(ctx, st.WorkflowID); err != nil {
			return "", fmt.Errorf("load workflow of status %s: %w", st.ID, err)
		}
	}
	return w.Key, nil
}

// CanUse reports whether a feature is unlocked for the project now: the
// decision for the features the embedding platform renders itself
// (EMAILS, STATISTICS, STORE) as much as for Lanes' own.
func (s *Service) CanUse(ctx context.Context, projectID pulid.ID, feature policies.Feature) (bool, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return false, err
	}
	if !feature.Valid() {
		return false, errcode.Invalid("feature", "unknown portal feature")
	}
	p, err := s.cfg.Client.Project.Get(ctx, projectID)
	if ent.IsNotFound(err) {
		return false, ErrProjectNotFound.With("id", projectID)
	}
	if err != nil {
		return false, err
	}
	set, err := s.unlocked(ctx, s.cfg.Client, p)
	return set.Has(feature), err
}

// useFeature loads the customer's project for a feature mutation (locked
// against concurrent status changes on PostgreSQL, inside the caller's
// transaction) and checks that its status unlocks the feature: the
// contract's order is the object, then the role, then the rule.
func (s *Service) useFeature(ctx context.Context, c *ent.Client, projectID pulid.ID, feature policies.Feature) (*ent.Project, tenant.Actor, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, a, err
	}
	q := c.Project.Query().Where(project.ID(projectID), project.Archived(false))
	if s.cfg.Postgres {
		q.ForShare()
	}
	p, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, a, ErrProjectNotFound.With("id", projectID)
	}
	if err != nil {
		return nil, a, fmt.Errorf("load project %s: %w", projectID, err)
	}
	if a.Kind != tenant.KindCustomer {
		return nil, a, ErrCustomersOnly
	}
	set, err := s.unlocked(ctx, c, p)
	if err != nil {
		return nil, a, err
	}
	if !set.Has(feature) {
		return nil, a, ErrFeatureLocked.With("feature", string(feature))
	}
	return p, a, nil
}
