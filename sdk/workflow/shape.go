package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/automation"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/status"
	"github.com/lanes-dev/lanes/ent/statuschange"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/sdk/workflow/rank"
	"github.com/lanes-dev/lanes/tenant"
)

// MaxStatuses bounds the statuses of one workflow, its template's and the
// tenant's own together: a board of more columns is no board.
const MaxStatuses = 50

// beginShape loads a workflow for a change of its statuses (the object
// first, then the role). On PostgreSQL the workflow's row stays locked
// until the transaction ends, so that shaping changes of one workflow
// apply one after the other (positions, keys and the default stay
// consistent); SQLite serialises write transactions as a whole.
// The statuses named in the arguments are looked up before the role too
// (NOT_FOUND before FORBIDDEN).
func (s *Service) beginShape(ctx context.Context, c *ent.Client, workflowKey string, statusKeys ...string) (*flow, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.Key("workflow", workflowKey); err != nil {
		return nil, err
	}
	if s.postgres {
		_, err := c.Workflow.Query().Where(entworkflow.Key(workflowKey)).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return nil, ErrWorkflowNotFound.With("workflow", workflowKey)
		}
		if err != nil {
			return nil, fmt.Errorf("lock workflow %s: %w", workflowKey, err)
		}
	}
	f, err := loadFlowByKey(ctx, c, workflowKey)
	if err != nil {
		return nil, err
	}
	for _, key := range statusKeys {
		if _, err := f.status(key); err != nil {
			return nil, err
		}
	}
	if err := s.authz.Require(a, policies.Configure); err != nil {
		return nil, err
	}
	return f, nil
}

// shapeTx runs a change of a workflow's statuses in a transaction: the
// workflow loaded and locked by beginShape, the tenant's cached
// configuration dropped when it commits.
func (s *Service) shapeTx(ctx context.Context, workflowKey string, statusKeys []string, change func(ctx context.Context, c *ent.Client, f *flow) error) error {
	return entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		f, err := s.beginShape(ctx, c, workflowKey, statusKeys...)
		if err != nil {
			return err
		}
		if err := change(ctx, c, f); err != nil {
			return err
		}
		return s.configChanged(ctx, c)
	})
}

// CreateStatusInput is the input of CreateStatus.
type CreateStatusInput struct {
	Workflow string
	Key      string
	Name     string
	Color    *string
	Category status.Category
	// After is the status the new one follows on the board; nil: last.
	After *string
}

// CreateStatus adds a status of the tenant's own to a workflow. Placed
// after another status of a FREE workflow, it also takes that status's
// place in the "next status" chain (after → new → where after led).
func (s *Service) CreateStatus(ctx context.Context, in CreateStatusInput) (*ent.Status, error) {
	var created *ent.Status
	err := s.shapeTx(ctx, in.Workflow, nil, func(ctx context.Context, c *ent.Client, f *flow) error {
		if !keyPattern.MatchString(in.Key) {
			return errcode.Invalid("key", "key must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 63 characters)")
		}
		if _, taken := f.byKey[in.Key]; taken {
			return errcode.Invalid("key", fmt.Sprintf("the workflow %s already has a status %s", f.w.Key, in.Key))
		}
		name, err := validate.Required("name", in.Name, validate.MaxName)
		if err != nil {
			return err
		}
		if status.CategoryValidator(in.Category) != nil {
			return errcode.Invalid("category", "category must be LEAD, OPEN, IN_PROGRESS, WAITING, DONE or CANCELLED")
		}
		if len(f.statuses) >= MaxStatuses {
			return errcode.Invalid("workflow", fmt.Sprintf("a workflow has at most %d statuses", MaxStatuses)).With("limit", MaxStatuses)
		}
		order := slices.Clone(f.statuses)
		at := len(order)
		var after *ent.Status
		if in.After != nil {
			if after = f.byKey[*in.After]; after == nil {
				return errcode.Invalid("after", fmt.Sprintf("after names no status of the workflow %s", f.w.Key))
			}
			at = slices.Index(order, after) + 1
		}
		create := c.Status.Create().
			SetWorkflowID(f.w.ID).
			SetKey(in.Key).
			SetName(name).
			SetCategory(in.Category).
			SetCustom(true).
			SetPosition(at)
		if in.Color != nil {
			color, err := validColor(*in.Color)
			if err != nil {
				return err
			}
			create.SetColor(color)
		}
		if after != nil && !f.strict() && after.AdvanceTo != "" {
			create.SetAdvanceTo(after.AdvanceTo)
		}
		if created, err = create.Save(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return errcode.Invalid("key", fmt.Sprintf("the workflow %s already has a status %s", f.w.Key, in.Key))
			}
			return fmt.Errorf("create status %s: %w", in.Key, err)
		}
		if after != nil && !f.strict() {
			if err := c.Status.UpdateOne(after).SetAdvanceTo(in.Key).Exec(ctx); err != nil {
				return fmt.Errorf("advance %s to %s: %w", after.Key, in.Key, err)
			}
		}
		return s.savePositions(ctx, c, slices.Insert(order, at, created))
	})
	if err != nil {
		return nil, err
	}
	return created.Unwrap(), nil
}

// savePositions numbers statuses in the given order, writing only those
// whose position changes.
func (s *Service) savePositions(ctx context.Context, c *ent.Client, order []*ent.Status) error {
	for i, st := range order {
		if st.Position == i {
			continue
		}
		if err := c.Status.UpdateOneID(st.ID).SetPosition(i).Exec(ctx); err != nil {
			return fmt.Errorf("position of %s: %w", st.Key, err)
		}
		st.Position = i
	}
	return nil
}

// ReorderStatuses sets the order of a workflow's statuses: keys names each
// of them exactly once. In a STRICT workflow the statuses its transitions
// connect keep their order; only the others move.
func (s *Service) ReorderStatuses(ctx context.Context, workflowKey string, keys []string) (*ent.Workflow, error) {
	var out *ent.Workflow
	err := s.shapeTx(ctx, workflowKey, nil, func(ctx context.Context, c *ent.Client, f *flow) error {
		order, err := f.orderOf(keys)
		if err != nil {
			return err
		}
		if f.strict() {
			connected := f.transitionKeys()
			before := keysWhere(f.statuses, connected)
			after := keysWhere(order, connected)
			if !slices.Equal(before, after) {
				return errcode.Invalid("keys", fmt.Sprintf("the STRICT workflow %s keeps the order of the statuses its transitions connect (%s); only the others may move",
					f.w.Key, strings.Join(before, ", ")))
			}
		}
		if err := s.savePositions(ctx, c, order); err != nil {
			return err
		}
		out = f.w
		out.Edges.Statuses = order
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// orderOf resolves a new order of the workflow's statuses: every key once.
func (f *flow) orderOf(keys []string) ([]*ent.Status, error) {
	if len(keys) > len(f.statuses) {
		return nil, errcode.Invalid("keys", fmt.Sprintf("keys names %d statuses; the workflow %s has %d", len(keys), f.w.Key, len(f.statuses)))
	}
	order := make([]*ent.Status, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		st, ok := f.byKey[k]
		switch {
		case !ok:
			if err := validate.Key("keys", k); err != nil {
				return nil, err
			}
			return nil, errcode.Invalid("keys", fmt.Sprintf("%s is not a status of the workflow %s", k, f.w.Key)).With("status", k)
		case seen[k]:
			return nil, errcode.Invalid("keys", fmt.Sprintf("%s is named twice", k)).With("status", k)
		}
		seen[k] = true
		order = append(order, st)
	}
	var missing []string
	for _, st := range f.statuses {
		if !seen[st.Key] {
			missing = append(missing, st.Key)
		}
	}
	if len(missing) > 0 {
		return nil, errcode.Invalid("keys", "keys must name every status of the workflow; missing: "+strings.Join(missing, ", ")).With("missing", missing)
	}
	return order, nil
}

// transitionKeys are the statuses a STRICT workflow's transitions connect.
func (f *flow) transitionKeys() map[string]bool {
	out := map[string]bool{}
	for _, t := range f.w.Transitions {
		out[t.From], out[t.To] = true, true
	}
	return out
}

func keysWhere(statuses []*ent.Status, in map[string]bool) []string {
	var out []string
	for _, st := range statuses {
		if in[st.Key] {
			out = append(out, st.Key)
		}
	}
	return out
}

// DeleteStatus deletes a status of the tenant's own that has never held a
// project, with its automations and portal feature overrides; statuses
// whose "next status" led to it lead where it led. Template statuses are
// disabled, never deleted; so is a status with a history.
func (s *Service) DeleteStatus(ctx context.Context, workflowKey, statusKey string) (string, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return "", err
	}
	err = s.shapeTx(ctx, workflowKey, []string{statusKey}, func(ctx context.Context, c *ent.Client, f *flow) error {
		st, err := f.status(statusKey)
		if err != nil {
			return err
		}
		switch {
		case st.Mandatory:
			return ErrStatusMandatory.WithMessage("%s is a mandatory status of the template: it cannot be deleted", st.Key).With("status", st.Key)
		case !st.Custom:
			return errcode.Invalid("status", fmt.Sprintf("%s comes with the workflow's template: disable it instead of deleting it", st.Key)).With("status", st.Key)
		case f.w.DefaultStatus == st.Key:
			return errIsDefault(st)
		}
		in, err := s.projectsIn(ctx, c, st)
		if err != nil {
			return err
		}
		held := in > 0
		if !held {
			if held, err = c.StatusChange.Query().Where(statuschange.ToStatusID(st.ID)).Exist(ctx); err != nil {
				return fmt.Errorf("history of %s: %w", st.Key, err)
			}
		}
		if held {
			return ErrStatusInUse.WithMessage("%s has held projects and stays in their history: disable it instead", st.Key).
				With("status", st.Key).With("projectCount", in)
		}
		if _, err := c.Automation.Delete().Where(automation.StatusID(st.ID)).Exec(ctx); err != nil {
			return fmt.Errorf("delete automations of %s: %w", st.Key, err)
		}
		if err := c.Status.Update().
			Where(status.WorkflowID(f.w.ID), status.AdvanceTo(st.Key)).
			SetAdvanceTo(st.AdvanceTo).
			Exec(ctx); err != nil {
			return fmt.Errorf("relink the next status of %s: %w", st.Key, err)
		}
		if s.features != nil {
			if err := s.features.ClearStatus(ctx, c, string(a.TenantID), f.w.Key, st.Key); err != nil {
				return err
			}
		}
		if err := c.Status.DeleteOneID(st.ID).Exec(ctx); err != nil {
			return fmt.Errorf("delete status %s: %w", st.Key, err)
		}
		return nil
	})
	if s.features != nil {
		s.features.Invalidate(string(a.TenantID))
	}
	if err != nil {
		return "", err
	}
	return statusKey, nil
}

// SetDefaultStatus chooses where new projects of a FREE workflow start
// (createProject without a status). A STRICT workflow's projects start
// where its transitions begin.
func (s *Service) SetDefaultStatus(ctx context.Context, workflowKey, statusKey string) (*ent.Workflow, error) {
	var out *ent.Workflow
	err := s.shapeTx(ctx, workflowKey, []string{statusKey}, func(ctx context.Context, c *ent.Client, f *flow) error {
		st, err := f.status(statusKey)
		if err != nil {
			return err
		}
		if f.strict() {
			if start := f.start(); start != nil && start.ID == st.ID {
				out = f.w
				return nil
			}
			start := "its first status"
			if st := f.start(); st != nil {
				start = st.Key
			}
			return errcode.Invalid("status", fmt.Sprintf("projects of the STRICT workflow %s start where its transitions begin (%s)", f.w.Key, start))
		}
		if !st.Enabled {
			return ErrStatusDisabled.WithMessage("%s is disabled: enable it before new projects start there", st.Key).With("status", st.Key)
		}
		if st.Archives {
			return errcode.Invalid("status", fmt.Sprintf("entering %s archives a project: new projects cannot start there", st.Key))
		}
		if out, err = c.Workflow.UpdateOne(f.w).SetDefaultStatus(st.Key).Save(ctx); err != nil {
			return fmt.Errorf("default status of %s: %w", f.w.Key, err)
		}
		out.Edges.Statuses = f.statuses
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// DefaultStatus is the status new projects of a workflow start in, or nil
// when none is enabled.
func (s *Service) DefaultStatus(ctx context.Context, w *ent.Workflow) (*ent.Status, error) {
	ctx, err := tenant.Within(ctx, w.TenantID)
	if err != nil {
		return nil, err
	}
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	f, err := s.flowByID(ctx, s.client, w.ID)
	if err != nil {
		return nil, err
	}
	return f.start(), nil
}

// ActionMigrate is the history action of migrateStatus.
const ActionMigrate = "migrate"

// MaxMigrate bounds the projects one migrateStatus moves: one transaction
// holds them all.
const MaxMigrate = 10_000

// MigrateStatus moves every project of one status (archived ones too) to
// another in one transaction, each with its history row, events and the
// automations of leaving and entering, in their order at the end of the
// target column; it returns how many moved. It is an admin's restructuring
// (the emptied status may then be disabled or deleted): blocking to-dos
// and entry rules do not hold it, but the target must be enabled, have
// room under its WIP limit for all of them (else nothing moves), and in a
// STRICT workflow be a step its transitions take.
func (s *Service) MigrateStatus(ctx context.Context, workflowKey, fromKey, toKey string) (int, error) {
	moved := 0
	err := s.shapeTx(ctx, workflowKey, []string{fromKey, toKey}, func(ctx context.Context, c *ent.Client, f *flow) error {
		a, err := tenant.RequireTenant(ctx)
		if err != nil {
			return err
		}
		from, err := f.status(fromKey)
		if err != nil {
			return err
		}
		to, err := f.status(toKey)
		if err != nil {
			return err
		}
		switch {
		case from.ID == to.ID:
			return errcode.Invalid("to", "to must be another status than from")
		case !to.Enabled:
			return ErrStatusDisabled.WithMessage("%s is disabled: enable it before moving projects there", to.Key).With("status", to.Key)
		case to.Archives:
			return errcode.Invalid("to", fmt.Sprintf("entering %s archives a project: archive projects one by one, with their reasons", to.Key))
		}
		action, err := f.moveAction(from, to, ActionMigrate)
		if err != nil {
			return err
		}
		if f.strict() {
			action = ActionMigrate // the history tells a migration from the transition's own action
		}
		// Projects first, then their statuses: the order moves lock in
		// (lockProject, then the target status), so the two never wait
		// for each other in a circle.
		q := c.Project.Query().
			Where(project.WorkflowID(f.w.ID), project.StatusID(from.ID)).
			Order(ent.Asc(project.FieldRank), ent.Asc(project.FieldID)).
			Limit(MaxMigrate + 1)
		if s.postgres {
			q.ForUpdate()
		}
		projects, err := q.All(ctx)
		if err != nil {
			return fmt.Errorf("projects in %s: %w", from.Key, err)
		}
		if len(projects) > MaxMigrate {
			return errcode.Invalid("from", fmt.Sprintf("%s holds more than %d projects: move them in parts", from.Key, MaxMigrate)).With("limit", MaxMigrate)
		}
		if len(projects) == 0 {
			return nil
		}
		if s.postgres {
			// Moves into either status wait for the migration from here
			// on, so that the target's WIP limit holds.
			if _, err := c.Status.Query().Where(status.IDIn(from.ID, to.ID)).ForUpdate().All(ctx); err != nil {
				return fmt.Errorf("lock statuses %s and %s: %w", from.Key, to.Key, err)
			}
		}
		// The automations of leaving and entering run, as for any move.
		if f.automations, err = c.Automation.Query().
			Where(automation.WorkflowID(f.w.ID), automation.StatusIDIn(from.ID, to.ID)).
			Order(ent.Asc(automation.FieldCreatedAt), ent.Asc(automation.FieldID)).
			All(ctx); err != nil {
			return fmt.Errorf("automations of %s and %s: %w", from.Key, to.Key, err)
		}
		var arriving int
		for _, p := range projects {
			if !p.Archived {
				arriving++
			}
		}
		if to.WipLimit != nil && *to.WipLimit > 0 && arriving > 0 {
			there, err := c.Project.Query().Where(project.StatusID(to.ID), active()).Count(ctx)
			if err != nil {
				return fmt.Errorf("count projects in %s: %w", to.Key, err)
			}
			if there+arriving > *to.WipLimit {
				return ErrWIPLimit.WithMessage("%s holds %d of at most %d: the %d projects of %s do not fit", to.Key, there, *to.WipLimit, arriving, from.Key).
					With("status", to.Key).With("wipLimit", *to.WipLimit)
			}
		}
		last, err := firstRank(ctx, c.Project.Query().
			Where(project.WorkflowID(f.w.ID), project.StatusID(to.ID), active()).
			Order(ent.Desc(project.FieldRank), ent.Desc(project.FieldID)))
		if err != nil {
			return err
		}
		ranks, err := rank.N(last, "", len(projects))
		if err != nil {
			return fmt.Errorf("ranks after %q: %w", last, err)
		}
		for i, p := range projects {
			if _, err := s.apply(ctx, c, a, f, p, change{from: from, to: to, action: action, rank: ranks[i]}); err != nil {
				return err
			}
		}
		moved = len(projects)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return moved, nil
}
