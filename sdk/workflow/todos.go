package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/automation"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/schema/schematype"
	"github.com/lanes-dev/lanes/ent/todo"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// CreateAutomationInput is the input of CreateAutomation.
type CreateAutomationInput struct {
	Workflow string
	Status   string
	// On is ENTER or LEAVE.
	On    automation.Trigger
	Todos []schematype.TodoTemplate
}

// MaxAutomationTodos bounds the to-dos one automation creates per move.
const MaxAutomationTodos = 50

// CreateAutomation makes every project that enters (or leaves) the status
// get the to-dos, created in the same transaction as the move.
func (s *Service) CreateAutomation(ctx context.Context, in CreateAutomationInput) (*ent.Automation, error) {
	var out *ent.Automation
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		f, st, err := s.beginConfigure(ctx, c, in.Workflow, in.Status)
		if err != nil {
			return err
		}
		if err := validTrigger(in.On); err != nil {
			return err
		}
		todos, err := automationTodos(in.Todos)
		if err != nil {
			return err
		}
		if out, err = c.Automation.Create().
			SetWorkflowID(f.w.ID).
			SetStatusID(st.ID).
			SetTrigger(in.On).
			SetTodos(todos).
			Save(ctx); err != nil {
			return err
		}
		return s.configChanged(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

func validTrigger(on automation.Trigger) error {
	if automation.TriggerValidator(on) != nil {
		return errcode.Invalid("on", "on must be ENTER, LEAVE, WISHES_SUBMITTED, FILE_UPLOADED or FEEDBACK_PINNED")
	}
	return nil
}

// automationTodos checks the to-dos an automation creates.
func automationTodos(in []schematype.TodoTemplate) ([]schematype.TodoTemplate, error) {
	if len(in) == 0 || len(in) > MaxAutomationTodos {
		return nil, errcode.Invalid("todos", fmt.Sprintf("an automation creates 1-%d to-dos", MaxAutomationTodos))
	}
	todos := make([]schematype.TodoTemplate, len(in))
	for i, t := range in {
		title, err := validate.Required(fmt.Sprintf("todos[%d].title", i), t.Title, validate.MaxTodoTitle)
		if err != nil {
			return nil, err
		}
		todos[i] = schematype.TodoTemplate{Title: title, Blocking: t.Blocking}
	}
	return todos, nil
}

// UpdateAutomationInput is the input of UpdateAutomation; nil fields stay.
type UpdateAutomationInput struct {
	ID    pulid.ID
	On    *automation.Trigger
	Todos []schematype.TodoTemplate
}

// beginAutomation loads an automation for a change by an admin (the object
// first, then the role).
func (s *Service) beginAutomation(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Automation, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	au, err := c.Automation.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, ErrAutomationNotFound.With("id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load automation %s: %w", id, err)
	}
	if err := s.authz.Require(a, policies.Configure); err != nil {
		return nil, err
	}
	return au, nil
}

// UpdateAutomation changes what fires an automation and the to-dos it
// creates; to-dos it created before stay as they are.
func (s *Service) UpdateAutomation(ctx context.Context, in UpdateAutomationInput) (*ent.Automation, error) {
	var out *ent.Automation
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		au, err := s.beginAutomation(ctx, c, in.ID)
		if err != nil {
			return err
		}
		upd := c.Automation.UpdateOne(au)
		if in.On != nil {
			if err := validTrigger(*in.On); err != nil {
				return err
			}
			upd.SetTrigger(*in.On)
		}
		if in.Todos != nil {
			todos, err := automationTodos(in.Todos)
			if err != nil {
				return err
			}
			upd.SetTodos(todos)
		}
		if out, err = upd.Save(ctx); err != nil {
			return fmt.Errorf("update automation %s: %w", in.ID, err)
		}
		return s.configChanged(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// DeleteAutomation deletes an automation; to-dos it created stay.
func (s *Service) DeleteAutomation(ctx context.Context, id pulid.ID) (pulid.ID, error) {
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		if _, err := s.beginAutomation(ctx, c, id); err != nil {
			return err
		}
		// Its to-dos stay, no longer linked to it.
		if err := c.Todo.Update().Where(todo.AutomationID(id)).ClearAutomationID().Exec(ctx); err != nil {
			return fmt.Errorf("unlink the to-dos of automation %s: %w", id, err)
		}
		if err := c.Automation.DeleteOneID(id).Exec(ctx); err != nil {
			return fmt.Errorf("delete automation %s: %w", id, err)
		}
		return s.configChanged(ctx, c)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// RunActivityAutomations creates, in the caller's transaction c, the
// to-dos of the automations of the project's current status that fire on
// a customer's activity (WISHES_SUBMITTED, FILE_UPLOADED,
// FEEDBACK_PINNED). They run as Lanes itself: the customer who acted may
// neither read automations nor create the team's to-dos.
func (s *Service) RunActivityAutomations(ctx context.Context, c *ent.Client, p *ent.Project, on automation.Trigger) error {
	ctx = tenant.Background(ctx, p.TenantID, "automations")
	autos, err := c.Automation.Query().
		Where(automation.StatusID(p.StatusID), automation.TriggerEQ(on)).
		Order(ent.Asc(automation.FieldCreatedAt), ent.Asc(automation.FieldID)).
		All(ctx)
	if err != nil || len(autos) == 0 {
		return err
	}
	f, err := s.flowOf(ctx, c, p)
	if err != nil {
		return err
	}
	return s.automationTodos(ctx, c, f, p, f.byID[p.StatusID], autos)
}

// Automations lists a workflow's automations, oldest first, their
// statuses loaded, to whoever may read the tenant's workflows.
func (s *Service) Automations(ctx context.Context, w *ent.Workflow) ([]*ent.Automation, error) {
	ctx, err := tenant.Within(ctx, w.TenantID)
	if err != nil {
		return nil, err
	}
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	list, err := s.client.Automation.Query().
		Where(automation.WorkflowID(w.ID)).
		WithStatus().
		Order(ent.Asc(automation.FieldCreatedAt), ent.Asc(automation.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("automations of %s: %w", w.Key, err)
	}
	return list, nil
}

// CompleteTodo marks a to-do done (again: no change, no event); the first
// completion records todo.completed.
func (s *Service) CompleteTodo(ctx context.Context, id pulid.ID) (*ent.Todo, error) {
	return s.setTodoDone(ctx, id, true)
}

// setTodoDone completes or reopens a to-do; only a change of the row
// records an event (todo.completed, todo.reopened). A to-do of an
// archived project stays as it is.
func (s *Service) setTodoDone(ctx context.Context, id pulid.ID, done bool) (*ent.Todo, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Todo
	err = entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		t, err := c.Todo.Get(ctx, id)
		if ent.IsNotFound(err) {
			return ErrTodoNotFound.With("id", id)
		}
		if err != nil {
			return fmt.Errorf("load to-do %s: %w", id, err)
		}
		if err := s.authz.Require(a, policies.WriteProjects); err != nil {
			return err
		}
		p, err := c.Project.Get(ctx, t.ProjectID)
		if err != nil {
			return fmt.Errorf("load project of to-do %s: %w", id, err)
		}
		if err := Frozen(p); err != nil {
			return err
		}
		out = t
		if t.Done == done {
			return nil
		}
		upd := c.Todo.Update().Where(todo.ID(id), todo.Done(!done)).SetDone(done)
		var doneAt *time.Time
		if done {
			now := time.Now()
			doneAt = &now
			upd.SetDoneAt(now)
		} else {
			upd.ClearDoneAt()
		}
		n, err := upd.Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		t.Done, t.DoneAt = done, doneAt
		f, err := s.flowByID(ctx, c, p.WorkflowID)
		if err != nil {
			return err
		}
		typ := events.TodoCompleted
		if !done {
			typ = events.TodoReopened
		}
		return s.recordTodo(ctx, typ, f, p, f.byID[p.StatusID], t)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Todos lists a project's to-dos, oldest first, with their statuses.
func (s *Service) Todos(ctx context.Context, p *ent.Project) ([]*ent.Todo, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	return s.client.Todo.Query().
		Where(todo.ProjectID(p.ID)).
		WithStatus().
		Order(ent.Asc(todo.FieldCreatedAt), ent.Asc(todo.FieldID)).
		All(ctx)
}

// OpenTodoCounts returns how many to-dos are open per project, for the
// given projects, in one grouped query.
func (s *Service) OpenTodoCounts(ctx context.Context, ids []pulid.ID) (map[pulid.ID]int, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	return openTodoCounts(ctx, s.client, ids)
}

func openTodoCounts(ctx context.Context, c *ent.Client, ids []pulid.ID) (map[pulid.ID]int, error) {
	// Every asked project gets an entry, zero when nothing is open.
	counts := make(map[pulid.ID]int, len(ids))
	for _, id := range ids {
		counts[id] = 0
	}
	if len(ids) == 0 {
		return counts, nil
	}
	var rows []struct {
		ProjectID pulid.ID `json:"project_id"`
		Count     int      `json:"count"`
	}
	err := c.Todo.Query().
		Where(todo.ProjectIDIn(ids...), todo.Done(false)).
		GroupBy(todo.FieldProjectID).
		Aggregate(ent.Count()).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("count open to-dos: %w", err)
	}
	for _, r := range rows {
		counts[r.ProjectID] = r.Count
	}
	return counts, nil
}
