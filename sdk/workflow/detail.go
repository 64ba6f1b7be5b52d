package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/customer"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/note"
	"github.com/lanes-dev/lanes/ent/progressupdate"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/statuschange"
	"github.com/lanes-dev/lanes/ent/todo"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// Errors of the detail view.
var (
	ErrNoteNotFound   = errcode.New(errcode.NotFound, "note not found")
	ErrMemberNotFound = errcode.New(errcode.NotFound, "member not found")
	ErrNotArchived    = errcode.Invalid("id", "the project is not archived")
	ErrNotAuthor      = errcode.New(errcode.Forbidden, "only its author may edit a note")
	ErrMembersWrite   = errcode.New(errcode.Forbidden, "notes are written by members")
)

// ActionReopen is the history action of reopenProject.
const ActionReopen = "reopen"

// Frozen refuses an action on an archived project (a declined lead): no
// timers, invitations, payment links, to-dos or notes on it until an
// admin reopens it. Other services call it with the project they loaded.
func Frozen(p *ent.Project) error {
	if p.Archived {
		return ErrArchived.With("id", p.ID)
	}
	return nil
}

// activeMember checks that an assignee is an active member of the
// caller's tenant.
func (s *Service) activeMember(ctx context.Context, c *ent.Client, field string, id *pulid.ID) error {
	if id == nil {
		return nil
	}
	q := c.Member.Query().Where(member.ID(*id), member.RemovedAtIsNil())
	if s.postgres {
		// A removal of the member waits for this assignment (and then
		// unassigns it), or this waits for the removal and refuses.
		q.ForShare()
	}
	_, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return ErrMemberNotFound.With("field", field).With("id", *id)
	}
	if err != nil {
		return fmt.Errorf("find member %s: %w", *id, err)
	}
	return nil
}

// ReopenProject reopens an archived project (ADMIN, OWNER, the platform):
// it goes back to the status it was archived from (else where new
// projects start), active again, with a history row and events; its
// events notify and deliver again.
func (s *Service) ReopenProject(ctx context.Context, id pulid.ID, note *string) (*ent.Project, error) {
	var out *ent.Project
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		a, p, f, err := s.beginChange(ctx, c, id)
		if err != nil {
			return err
		}
		if err := s.authz.Require(a, policies.Configure); err != nil {
			return errcode.New(errcode.Forbidden, "only admins may reopen a project")
		}
		if _, note, err = changeText(nil, note); err != nil {
			return err
		}
		if !p.Archived {
			return ErrNotArchived
		}
		from := f.byID[p.StatusID]
		to := f.start()
		last, err := c.StatusChange.Query().
			Where(statuschange.ProjectID(p.ID), statuschange.ToStatusID(p.StatusID), statuschange.FromStatusIDNotNil()).
			Order(ent.Desc(statuschange.FieldAt), ent.Desc(statuschange.FieldID)).
			First(ctx)
		switch {
		case err == nil:
			if before, ok := f.byID[*last.FromStatusID]; ok && before.Enabled && !before.Archives {
				to = before
			}
		case !ent.IsNotFound(err):
			return fmt.Errorf("history of %s: %w", p.ID, err)
		}
		if to == nil {
			return ErrStatusDisabled.WithMessage("the workflow %s has no enabled status", f.w.Key)
		}
		if err := s.checkRoom(ctx, c, to, p.ID, true); err != nil {
			return err
		}
		r, err := s.dropRank(ctx, c, p, to, nil, nil)
		if err != nil {
			return err
		}
		// project.reopened comes first: what the reopening itself records
		// (the move, its automations' to-dos) notifies and delivers again.
		reopened := *p
		reopened.StatusID, reopened.Version, reopened.Archived = to.ID, p.Version+1, false
		data := map[string]any{"project": events.ProjectData(&reopened, f.w.Key, to.Key), "previous": map[string]any{"status": from.Key}}
		if note != nil {
			data["note"] = *note
		}
		if _, err := s.events.Record(ctx, events.Event{Type: events.ProjectReopened, Project: p.ID, Data: data}); err != nil {
			return err
		}
		out, err = s.apply(ctx, c, a, f, p, change{from: from, to: to, action: ActionReopen, rank: r, note: note, unarchive: true})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// UpdateProjectInput is the input of UpdateProject; nil fields stay.
// SetAssignee with a nil AssigneeID removes the assignee.
type UpdateProjectInput struct {
	ID              pulid.ID
	Title           *string
	AssigneeID      *pulid.ID
	SetAssignee     bool
	Customer        *CustomerInput
	ExpectedVersion *int
}

// UpdateProject edits a project after creation (members): its title, its
// assignee, and its customer: another one by ID, else the project's own
// customer's data (name, company, e-mail, phone; an empty string clears
// an optional one), else a new or matching one as on creation.
func (s *Service) UpdateProject(ctx context.Context, in UpdateProjectInput) (*ent.Project, error) {
	var out *ent.Project
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		// The objects the arguments name, then the role.
		if in.SetAssignee {
			if err := s.activeMember(ctx, c, "assigneeId", in.AssigneeID); err != nil {
				return err
			}
		}
		if in.Customer != nil && in.Customer.ID != nil {
			ok, err := c.Customer.Query().Where(customer.ID(*in.Customer.ID)).Exist(ctx)
			if err != nil {
				return fmt.Errorf("find customer %s: %w", *in.Customer.ID, err)
			}
			if !ok {
				return ErrCustomerNotFound.With("id", *in.Customer.ID)
			}
		}
		_, p, f, err := s.beginChange(ctx, c, in.ID)
		if err != nil {
			return err
		}
		if err := checkVersion(p, in.ExpectedVersion); err != nil {
			return err
		}
		upd := c.Project.UpdateOneID(p.ID).Where(project.Version(p.Version)).SetVersion(p.Version + 1)
		previous := map[string]any{}
		if in.Title != nil {
			title, err := validate.Required("title", *in.Title, validate.MaxName)
			if err != nil {
				return err
			}
			upd.SetTitle(title)
			previous["title"] = p.Title
		}
		if in.SetAssignee {
			upd.SetNillableAssigneeID(in.AssigneeID)
			if in.AssigneeID == nil {
				upd.ClearAssigneeID()
			}
			previous["assignee"] = p.AssigneeID
		}
		if in.Customer != nil {
			customerID, err := s.editCustomer(ctx, c, p, in.Customer)
			if err != nil {
				return err
			}
			upd.SetNillableCustomerID(customerID)
			previous["customer"] = p.CustomerID
		}
		if out, err = upd.Save(ctx); err != nil {
			return fmt.Errorf("update project %s: %w", p.ID, err)
		}
		data := events.ProjectData(out, f.w.Key, f.byID[out.StatusID].Key)
		data["assignee"] = out.AssigneeID
		return s.recordUpdated(ctx, p, data, previous)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// editCustomer applies updateProject's customer input and returns the
// project's customer ID.
func (s *Service) editCustomer(ctx context.Context, c *ent.Client, p *ent.Project, in *CustomerInput) (*pulid.ID, error) {
	if in.ID != nil {
		existing, err := c.Customer.Get(ctx, *in.ID)
		if ent.IsNotFound(err) {
			return nil, ErrCustomerNotFound.With("id", *in.ID)
		}
		if err != nil {
			return nil, err
		}
		return &existing.ID, nil
	}
	if p.CustomerID == nil {
		return s.resolveCustomer(ctx, c, in, nil)
	}
	name, err := validate.Required("customer.name", in.Name, validate.MaxName)
	if err != nil {
		return nil, err
	}
	upd := c.Customer.UpdateOneID(*p.CustomerID).SetName(name)
	for _, f := range []struct {
		field string
		value *string
		limit int
		set   func(string)
		clear func()
	}{
		{"customer.company", in.Company, validate.MaxName, func(v string) { upd.SetCompany(v) }, func() { upd.ClearCompany() }},
		{"customer.phone", in.Phone, validate.MaxPhone, func(v string) { upd.SetPhone(v) }, func() { upd.ClearPhone() }},
	} {
		v, err := validate.Optional(f.field, f.value, f.limit)
		switch {
		case err != nil:
			return nil, err
		case v != nil:
			f.set(*v)
		case f.value != nil: // blank: cleared
			f.clear()
		}
	}
	email, err := validate.OptionalEmail("customer.email", in.Email)
	switch {
	case err != nil:
		return nil, err
	case email != nil:
		upd.SetEmail(*email)
	case in.Email != nil:
		upd.ClearEmail()
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, fmt.Errorf("update customer %s: %w", *p.CustomerID, err)
	}
	return p.CustomerID, nil
}

// beginNote loads a project for a note: the object, then the role (a
// member who may write projects; the platform is not an author), then
// the frozen rule.
func (s *Service) beginNote(ctx context.Context, c *ent.Client, projectID pulid.ID) (tenant.Actor, *ent.Project, *flow, error) {
	a, p, f, err := s.beginChange(ctx, c, projectID)
	if err != nil {
		return a, nil, nil, err
	}
	if a.Kind != tenant.KindMember {
		return a, nil, nil, ErrMembersWrite
	}
	return a, p, f, Frozen(p)
}

// AddNote adds a note of the calling member to a project: internal, or
// shared with the customer (who reads it in the portal).
func (s *Service) AddNote(ctx context.Context, projectID pulid.ID, body string, shared *bool) (*ent.Note, error) {
	var out *ent.Note
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		a, p, f, err := s.beginNote(ctx, c, projectID)
		if err != nil {
			return err
		}
		text, err := validate.Required("body", body, validate.MaxText)
		if err != nil {
			return err
		}
		if out, err = c.Note.Create().
			SetProjectID(p.ID).
			SetAuthorID(a.MemberID).
			SetBody(text).
			SetShared(shared != nil && *shared).
			Save(ctx); err != nil {
			return fmt.Errorf("add note: %w", err)
		}
		return s.recordNote(ctx, events.NoteAdded, f, p, out)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// UpdateNote edits a note: its author only; nil fields stay.
func (s *Service) UpdateNote(ctx context.Context, id pulid.ID, body *string, shared *bool) (*ent.Note, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Note
	err = entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		n, err := c.Note.Get(ctx, id)
		if ent.IsNotFound(err) {
			return ErrNoteNotFound.With("id", id)
		}
		if err != nil {
			return fmt.Errorf("load note %s: %w", id, err)
		}
		_, p, f, err := s.beginNote(ctx, c, n.ProjectID)
		if err != nil {
			return err
		}
		if n.AuthorID != a.MemberID {
			return ErrNotAuthor
		}
		upd := c.Note.UpdateOne(n)
		if body != nil {
			text, err := validate.Required("body", *body, validate.MaxText)
			if err != nil {
				return err
			}
			upd.SetBody(text)
		}
		if shared != nil {
			upd.SetShared(*shared)
		}
		if out, err = upd.Save(ctx); err != nil {
			return fmt.Errorf("update note %s: %w", id, err)
		}
		return s.recordNote(ctx, events.NoteUpdated, f, p, out)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

func (s *Service) recordNote(ctx context.Context, typ events.Type, f *flow, p *ent.Project, n *ent.Note) error {
	_, err := s.events.Record(ctx, events.Event{Type: typ, Project: p.ID, Data: map[string]any{
		"project": events.ProjectData(p, f.w.Key, f.byID[p.StatusID].Key),
		"note":    events.NoteData(n),
	}})
	return err
}

// Notes lists a project's notes for the team, oldest first, internal
// and shared (the customer reads the shared ones: SharedNotes).
func (s *Service) Notes(ctx context.Context, p *ent.Project) ([]*ent.Note, error) {
	ctx, err := tenant.Within(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	return s.client.Note.Query().
		Where(note.ProjectID(p.ID)).
		Order(ent.Asc(note.FieldCreatedAt), ent.Asc(note.FieldID)).
		All(ctx)
}

// SharedNotes lists the notes the team shared with a project's customer,
// oldest first (the portal; a customer reads only its own projects').
func (s *Service) SharedNotes(ctx context.Context, projectID pulid.ID) ([]*ent.Note, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return nil, err
	}
	return s.client.Note.Query().
		Where(note.ProjectID(projectID), note.Shared(true)).
		Order(ent.Asc(note.FieldCreatedAt), ent.Asc(note.FieldID)).
		All(ctx)
}

// CreateTodoInput is the input of CreateTodo.
type CreateTodoInput struct {
	ProjectID  pulid.ID
	Title      string
	AssigneeID *pulid.ID
	DueAt      *time.Time
	Blocking   *bool
}

// CreateTodo adds a to-do of the team to a project, in its current status
// (a blocking one holds the project there until done).
func (s *Service) CreateTodo(ctx context.Context, in CreateTodoInput) (*ent.Todo, error) {
	var out *ent.Todo
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		if err := s.activeMember(ctx, c, "assigneeId", in.AssigneeID); err != nil {
			return err
		}
		a, p, f, err := s.beginChange(ctx, c, in.ProjectID)
		if err != nil {
			return err
		}
		if err := Frozen(p); err != nil {
			return err
		}
		title, err := validate.Required("title", in.Title, validate.MaxTodoTitle)
		if err != nil {
			return err
		}
		if out, err = c.Todo.Create().
			SetProjectID(p.ID).
			SetStatusID(p.StatusID).
			SetTitle(title).
			SetBlocking(in.Blocking != nil && *in.Blocking).
			SetNillableAssigneeID(in.AssigneeID).
			SetNillableDueAt(in.DueAt).
			SetAuthor(a.Label()).
			Save(ctx); err != nil {
			return fmt.Errorf("create to-do: %w", err)
		}
		return s.recordTodo(ctx, events.TodoCreated, f, p, f.byID[p.StatusID], out)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// ReopenTodo opens a done to-do again (again: no change, no event).
func (s *Service) ReopenTodo(ctx context.Context, id pulid.ID) (*ent.Todo, error) {
	return s.setTodoDone(ctx, id, false)
}

// ProgressHistory lists a project's progress updates, oldest first.
func (s *Service) ProgressHistory(ctx context.Context, p *ent.Project) ([]*Progress, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	updates, err := s.client.ProgressUpdate.Query().
		Where(progressupdate.ProjectID(p.ID)).
		Order(ent.Asc(progressupdate.FieldAt), ent.Asc(progressupdate.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("progress of %s: %w", p.ID, err)
	}
	f, err := s.flowByID(ctx, s.client, p.WorkflowID)
	if err != nil {
		return nil, err
	}
	out := make([]*Progress, len(updates))
	for i, u := range updates {
		out[i] = &Progress{Key: u.Key, Name: progressName(f.w, u.Key), Note: u.Note, UpdatedAt: u.At}
	}
	return out, nil
}

// MemberRemoved is what the engine does when a member leaves the tenant,
// in the caller's transaction: the projects and open to-dos assigned to
// them are unassigned.
func (s *Service) MemberRemoved(ctx context.Context, c *ent.Client, memberID pulid.ID) error {
	if err := c.Project.Update().Where(project.AssigneeID(memberID)).ClearAssigneeID().Exec(ctx); err != nil {
		return fmt.Errorf("unassign projects of %s: %w", memberID, err)
	}
	if err := c.Todo.Update().Where(todo.AssigneeID(memberID), todo.Done(false)).ClearAssigneeID().Exec(ctx); err != nil {
		return fmt.Errorf("unassign to-dos of %s: %w", memberID, err)
	}
	return nil
}
