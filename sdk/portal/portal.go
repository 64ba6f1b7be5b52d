package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/file"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
	"github.com/lanes-dev/lanes/ent/todo"
	"github.com/lanes-dev/lanes/ent/wishsubmission"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// View is the customer's portal.
type View struct {
	Customer *ent.Customer
	Projects []*Project
}

// Project is a project as its customer sees it: what the status unlocks
// and the customer's own contributions, nothing of the partner's view.
type Project struct {
	ID       pulid.ID
	Title    string
	Status   *ent.Status
	Features []policies.Feature
	Wishes   *Wishes
	Files    []*ent.File
	Feedback []*ent.Todo
}

// Wishes is the latest wishes submission of a project.
type Wishes struct {
	Answers     map[string]any
	SubmittedAt time.Time
}

// Portal returns the calling customer's portal: its data and its active
// projects with their features, wishes, files and feedback, in a fixed
// number of queries.
func (s *Service) Portal(ctx context.Context) (*View, error) {
	a, err := requireCustomer(ctx)
	if err != nil {
		return nil, err
	}
	c := s.cfg.Client
	cu, err := c.Customer.Get(ctx, a.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("load customer: %w", err)
	}
	ps, err := c.Project.Query().
		Where(project.CustomerID(a.CustomerID), project.Archived(false)).
		WithStatus(func(q *ent.StatusQuery) { q.WithWorkflow() }).
		Order(ent.Asc(project.FieldCreatedAt), ent.Asc(project.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load projects: %w", err)
	}
	ids := make([]pulid.ID, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	wishes, err := latestWishes(ctx, c, ids)
	if err != nil {
		return nil, err
	}
	files, err := c.File.Query().Where(file.ProjectIDIn(ids...)).Order(ent.Asc(file.FieldCreatedAt), ent.Asc(file.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load files: %w", err)
	}
	feedback, err := c.Todo.Query().
		Where(todo.ProjectIDIn(ids...), todo.KindEQ(todo.KindFEEDBACK)).
		Order(ent.Asc(todo.FieldCreatedAt), ent.Asc(todo.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load feedback: %w", err)
	}
	view := &View{Customer: cu, Projects: make([]*Project, len(ps))}
	byID := make(map[pulid.ID]*Project, len(ps))
	for i, p := range ps {
		set, err := s.unlocked(ctx, c, p)
		if err != nil {
			return nil, err
		}
		pp := &Project{ID: p.ID, Title: p.Title, Status: p.Edges.Status, Features: set.List(), Wishes: wishes[p.ID],
			Files: []*ent.File{}, Feedback: []*ent.Todo{}}
		view.Projects[i], byID[p.ID] = pp, pp
	}
	for _, f := range files {
		byID[f.ProjectID].Files = append(byID[f.ProjectID].Files, f)
	}
	for _, t := range feedback {
		byID[t.ProjectID].Feedback = append(byID[t.ProjectID].Feedback, t)
	}
	return view, nil
}

// latestWishes returns the latest submission per project.
func latestWishes(ctx context.Context, c *ent.Client, ids []pulid.ID) (map[pulid.ID]*Wishes, error) {
	subs, err := c.WishSubmission.Query().
		Where(wishsubmission.ProjectIDIn(ids...)).
		Order(ent.Desc(wishsubmission.FieldSubmittedAt), ent.Desc(wishsubmission.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load wishes: %w", err)
	}
	out := make(map[pulid.ID]*Wishes, len(ids))
	for _, w := range subs {
		if _, seen := out[w.ProjectID]; !seen {
			out[w.ProjectID] = &Wishes{Answers: w.Answers, SubmittedAt: w.SubmittedAt}
		}
	}
	return out, nil
}

// ProjectWishes returns a project's latest wishes (the partner's view).
func (s *Service) ProjectWishes(ctx context.Context, p *ent.Project) (*Wishes, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return nil, err
	}
	w, err := latestWishes(ctx, s.cfg.Client, []pulid.ID{p.ID})
	if err != nil {
		return nil, err
	}
	return w[p.ID], nil
}

// ProjectFiles lists a project's files (the partner's view).
func (s *Service) ProjectFiles(ctx context.Context, p *ent.Project) ([]*ent.File, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return nil, err
	}
	return s.cfg.Client.File.Query().
		Where(file.ProjectID(p.ID)).
		Order(ent.Asc(file.FieldCreatedAt), ent.Asc(file.FieldID)).
		All(ctx)
}

// FileURL returns a time-limited download URL of a file.
func (s *Service) FileURL(ctx context.Context, f *ent.File) string {
	return s.cfg.Signer.URL(ctx, f.TenantID, f.ID, time.Now().Add(s.cfg.FileURLTTL))
}

// SetPortalFeature grants or denies a feature for a status in the caller's
// tenant (admins). It changes this tenant only, survives restarts, and
// takes effect at once (every replica's cache is invalidated).
func (s *Service) SetPortalFeature(ctx context.Context, workflowKey, statusKey string, feature policies.Feature, enabled bool) (*ent.Status, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.Key("workflow", workflowKey); err != nil {
		return nil, err
	}
	if err := validate.Key("status", statusKey); err != nil {
		return nil, err
	}
	c := s.cfg.Client
	st, err := c.Status.Query().
		Where(status.Key(statusKey), status.HasWorkflowWith(entworkflow.Key(workflowKey))).
		WithWorkflow().
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrStatusNotFound.With("workflow", workflowKey).With("status", statusKey)
	}
	if err != nil {
		return nil, fmt.Errorf("load status: %w", err)
	}
	if err := s.cfg.Authz.Require(a, policies.Configure); err != nil {
		return nil, err
	}
	if !feature.Valid() {
		return nil, errcode.Invalid("feature", "unknown portal feature")
	}
	err = entx.WithTx(ctx, c, func(ctx context.Context, tx *ent.Client) error {
		return s.cfg.Features.SetOverride(ctx, tx, string(a.TenantID), workflowKey, statusKey, feature, enabled)
	})
	s.cfg.Features.Invalidate(string(a.TenantID))
	if err != nil {
		return nil, err
	}
	return st, nil
}
