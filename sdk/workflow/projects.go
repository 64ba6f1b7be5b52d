package workflow

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/customer"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/schema/schematype"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// CustomerInput names the customer of a new project: an existing one by ID,
// else the one with the same e-mail address, else a new one.
type CustomerInput struct {
	ID      *pulid.ID
	Name    string
	Company *string
	Email   *string
	Phone   *string
}

// CreateProjectInput is the input of CreateProject.
type CreateProjectInput struct {
	Workflow string
	Title    string
	Customer *CustomerInput
	// Status is the initial status key; nil: the first enabled status.
	Status *string
}

// CreateProject creates a project at the end of its initial column, with its
// first history row and the to-dos of the status's ENTER automations.
func (s *Service) CreateProject(ctx context.Context, in CreateProjectInput) (*ent.Project, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	var created *ent.Project
	err = entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		f, err := s.flowByKey(ctx, c, in.Workflow)
		if err != nil {
			return err
		}
		start := f.start()
		if in.Status != nil {
			if start, err = f.status(*in.Status); err != nil {
				return err
			}
		}
		var existing *ent.Customer
		if in.Customer != nil && in.Customer.ID != nil {
			if existing, err = c.Customer.Get(ctx, *in.Customer.ID); ent.IsNotFound(err) {
				return ErrCustomerNotFound.With("id", *in.Customer.ID)
			} else if err != nil {
				return err
			}
		}
		if err := s.authz.Require(a, policies.WriteProjects); err != nil {
			return err
		}
		title, err := validate.Required("title", in.Title, validate.MaxName)
		if err != nil {
			return err
		}
		if start == nil {
			return ErrStatusDisabled.WithMessage("the workflow %s has no enabled status", f.w.Key)
		}
		var startErr error
		if first := f.start(); f.strict() && start.ID != first.ID {
			startErr = ErrTransitionNotAllowed.WithMessage("projects of the %s workflow start in %s", f.w.Key, first.Key)
		}
		customerID, err := s.resolveCustomer(ctx, c, in.Customer, existing)
		if err != nil {
			return err
		}
		pending := &ent.Project{WorkflowID: f.w.ID, CustomerID: customerID}
		if err := s.admitFirst(ctx, c, &entry{actor: a, p: pending, to: start, transition: startErr}); err != nil {
			return err
		}
		r, err := s.dropRank(ctx, c, pending, start, nil, nil)
		if err != nil {
			return err
		}
		p, err := c.Project.Create().
			SetWorkflowID(f.w.ID).
			SetStatusID(start.ID).
			SetNillableCustomerID(customerID).
			SetTitle(title).
			SetRank(r).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("create project: %w", err)
		}
		created = p
		return s.record(ctx, c, a, f, p, change{to: start, action: ActionCreate})
	})
	if err != nil {
		return nil, err
	}
	return created.Unwrap(), nil
}

// resolveCustomer returns the customer ID of a new project: the named one,
// the one with the e-mail address, or a new customer.
func (s *Service) resolveCustomer(ctx context.Context, c *ent.Client, in *CustomerInput, existing *ent.Customer) (*pulid.ID, error) {
	switch {
	case in == nil:
		return nil, nil
	case existing != nil:
		return &existing.ID, nil
	}
	name, err := validate.Required("customer.name", in.Name, validate.MaxName)
	if err != nil {
		return nil, err
	}
	company, err := validate.Optional("customer.company", in.Company, validate.MaxName)
	if err != nil {
		return nil, err
	}
	phone, err := validate.Optional("customer.phone", in.Phone, validate.MaxPhone)
	if err != nil {
		return nil, err
	}
	email, err := validate.OptionalEmail("customer.email", in.Email)
	if err != nil {
		return nil, err
	}
	if email != nil {
		found, err := c.Customer.Query().Where(customer.EmailEqualFold(*email)).First(ctx)
		if err == nil {
			return &found.ID, nil
		}
		if !ent.IsNotFound(err) {
			return nil, fmt.Errorf("find customer by email: %w", err)
		}
	}
	cu, err := c.Customer.Create().
		SetName(name).
		SetNillableCompany(company).
		SetNillableEmail(email).
		SetNillablePhone(phone).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create customer: %w", err)
	}
	return &cu.ID, nil
}

// changeText checks the free text of a status change or progress update:
// a move's reason and the note, each at most validate.MaxText characters,
// trimmed (blank is none).
func changeText(reason, note *string) (*string, *string, error) {
	r, err := validate.Optional("reason", reason, validate.MaxText)
	if err != nil {
		return nil, nil, err
	}
	n, err := validate.Optional("note", note, validate.MaxText)
	if err != nil {
		return nil, nil, err
	}
	return r, n, nil
}

// MoveProjectInput is the input of MoveProject.
type MoveProjectInput struct {
	ID pulid.ID
	// To is the target status key.
	To              string
	ExpectedVersion *int
	// After and Before place the card in the target column.
	After  *pulid.ID
	Before *pulid.ID
	Reason *string
	Note   *string
	// OverrideChecklist: an ADMIN (or OWNER, or the platform) moves the
	// project on past open blocking to-dos; Reason says why, and the
	// history records it.
	OverrideChecklist *bool
}

// MoveProject moves a project to a status (a kanban drop) and/or to a
// position in the column. See the contract for the rules; in short: FREE
// workflows allow any enabled status, STRICT ones their declared
// transitions that need nothing else; blocking to-dos hold a project in its
// status; WIP limits hold; a stale expectedVersion is a CONFLICT.
func (s *Service) MoveProject(ctx context.Context, in MoveProjectInput) (*ent.Project, error) {
	var moved *ent.Project
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		a, p, f, err := s.beginMove(ctx, c, in)
		if err != nil {
			return err
		}
		from := f.byID[p.StatusID]
		if err := validate.Key("to", in.To); err != nil {
			return err
		}
		to, err := f.status(in.To)
		if err != nil {
			return err
		}
		after, before, err := s.dropNeighbours(ctx, c, p, to, in.After, in.Before)
		if err != nil {
			return err
		}
		override := in.OverrideChecklist != nil && *in.OverrideChecklist
		if override {
			if err := s.authz.Require(a, policies.Configure); err != nil {
				return errcode.New(errcode.Forbidden, "only admins may override the checklist")
			}
		}
		reason, note, err := changeText(in.Reason, in.Note)
		if err != nil {
			return err
		}
		if override && reason == nil {
			return errcode.Invalid("reason", "overriding the checklist needs a reason")
		}
		if err := checkVersion(p, in.ExpectedVersion); err != nil {
			return err
		}
		if to.ID == from.ID && after == nil && before == nil {
			moved = p // already there: nothing to do
			return nil
		}
		ch := change{from: from, to: to, reason: reason, note: note}
		if to.ID == from.ID {
			if p.Archived {
				return ErrArchived
			}
		} else {
			var refused error
			ch.action, refused = f.moveAction(from, to, ActionMove)
			e := &entry{actor: a, p: p, from: from, to: to, transition: refused, overrideChecklist: override}
			if err := s.admitFirst(ctx, c, e); err != nil {
				return err
			}
			ch.overrodeChecklist = e.overrode
		}
		if ch.rank, err = s.dropRank(ctx, c, p, to, after, before); err != nil {
			return err
		}
		moved, err = s.apply(ctx, c, a, f, p, ch)
		return err
	})
	if err != nil {
		return nil, err
	}
	return moved.Unwrap(), nil
}

// beginMove loads what a move names (project, drop neighbours' existence is
// checked later) and checks the role.
func (s *Service) beginMove(ctx context.Context, c *ent.Client, in MoveProjectInput) (tenant.Actor, *ent.Project, *flow, error) {
	return s.beginChange(ctx, c, in.ID)
}

// dropNeighbours loads the projects a drop names and checks that they are
// other cards of the target column.
func (s *Service) dropNeighbours(ctx context.Context, c *ent.Client, p *ent.Project, to *ent.Status, afterID, beforeID *pulid.ID) (after, before *ent.Project, err error) {
	var ids []pulid.ID
	for _, id := range []*pulid.ID{afterID, beforeID} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	found, err := c.Project.Query().Where(project.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load drop neighbours: %w", err)
	}
	byID := make(map[pulid.ID]*ent.Project, len(found))
	for _, n := range found {
		byID[n.ID] = n
	}
	pick := func(id *pulid.ID, field string) (*ent.Project, error) {
		if id == nil {
			return nil, nil
		}
		n, ok := byID[*id]
		if !ok {
			return nil, ErrProjectNotFound.With("id", *id)
		}
		if n.ID == p.ID || n.WorkflowID != p.WorkflowID || n.StatusID != to.ID {
			return nil, errcode.Invalid(field, fmt.Sprintf("%s must name another project in the target column", field))
		}
		return n, nil
	}
	if after, err = pick(afterID, "after"); err != nil {
		return nil, nil, err
	}
	if before, err = pick(beforeID, "before"); err != nil {
		return nil, nil, err
	}
	if after != nil && before != nil && (after.Rank > before.Rank || after.Rank == before.Rank && after.ID >= before.ID) {
		return nil, nil, errcode.Invalid("before", "after must come before before in the column")
	}
	return after, before, nil
}

// AdvanceProject is the "next status" button: it moves the project along
// the workflow's chain to the next enabled status.
func (s *Service) AdvanceProject(ctx context.Context, id pulid.ID, expectedVersion *int) (*ent.Project, error) {
	var moved *ent.Project
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		a, p, f, err := s.beginChange(ctx, c, id)
		if err != nil {
			return err
		}
		if err := checkVersion(p, expectedVersion); err != nil {
			return err
		}
		if p.Archived {
			return ErrArchived
		}
		from := f.byID[p.StatusID]
		to, ok := f.advanceTarget(from)
		if !ok {
			return ErrNoNextStatus.With("status", from.Key)
		}
		moved, err = s.transition(ctx, c, a, p, f, from, to, ActionAdvance, nil, nil, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return moved.Unwrap(), nil
}

// transition moves a project to another status at the end of its column,
// with all the checks of a move.
func (s *Service) transition(ctx context.Context, c *ent.Client, a tenant.Actor, p *ent.Project, f *flow,
	from, to *ent.Status, freeAction string, reason, note *string, archive *project.ArchiveReason,
) (*ent.Project, error) {
	action, refused := f.moveAction(from, to, freeAction)
	if err := s.admitFirst(ctx, c, &entry{actor: a, p: p, from: from, to: to, transition: refused}); err != nil {
		return nil, err
	}
	r, err := s.dropRank(ctx, c, p, to, nil, nil)
	if err != nil {
		return nil, err
	}
	return s.apply(ctx, c, a, f, p, change{from: from, to: to, action: action, rank: r, reason: reason, note: note, archiveReason: archive})
}

// ActionInput carries what an action's transition may need.
type ActionInput struct {
	// Reason is the decline reason (needs "reason").
	Reason *project.ArchiveReason
	Note   *string
	// ExpectedVersion, when set, must match the project's version.
	ExpectedVersion *int
}

// TakeAction takes the declared transition of a STRICT workflow that the
// action names from the project's current status (accept, decline,
// secure, ...). The transition's needs must be met by the input; needs
// this service cannot check (a payment) belong to other services, which
// call Transition instead.
func (s *Service) TakeAction(ctx context.Context, id pulid.ID, action string, in ActionInput) (*ent.Project, error) {
	var moved *ent.Project
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		a, p, f, err := s.beginChange(ctx, c, id)
		if err != nil {
			return err
		}
		if _, in.Note, err = changeText(nil, in.Note); err != nil {
			return err
		}
		if err := checkVersion(p, in.ExpectedVersion); err != nil {
			return err
		}
		moved, err = s.takeAction(ctx, c, a, p, f, action, in, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return moved.Unwrap(), nil
}

// Verified lists needs another service has checked before calling
// TransitionTx (e.g. "payment", "finalDealValue").
type Verified []string

// TransitionTx takes an action's transition inside the caller's
// transaction, for domain services that check needs of their own (the
// deals service checks payments). It locks the project and checks the
// caller's role like every change.
func (s *Service) TransitionTx(ctx context.Context, c *ent.Client, id pulid.ID, action string, in ActionInput, verified Verified) (*ent.Project, error) {
	a, p, f, err := s.beginChange(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if _, in.Note, err = changeText(nil, in.Note); err != nil {
		return nil, err
	}
	if err := checkVersion(p, in.ExpectedVersion); err != nil {
		return nil, err
	}
	return s.takeAction(ctx, c, a, p, f, action, in, verified)
}

func (s *Service) takeAction(ctx context.Context, c *ent.Client, a tenant.Actor, p *ent.Project, f *flow, action string, in ActionInput, verified Verified) (*ent.Project, error) {
	if p.Archived {
		return nil, ErrArchived
	}
	from := f.byID[p.StatusID]
	t, ok := f.transitionFor(from, action)
	if !ok {
		return nil, ErrTransitionNotAllowed.WithMessage("cannot %s a project in %s", action, from.Key).
			With("from", from.Key).With("action", action)
	}
	for _, need := range t.Needs {
		switch {
		case need == "reason":
			if in.Reason == nil {
				return nil, errcode.Invalid("reason", "a reason is required")
			}
		case !slices.Contains(verified, need):
			return nil, ErrNeedUnmet.WithMessage("%s needs %s", action, need).With("need", need).With("needs", t.Needs)
		}
	}
	to := f.byKey[t.To]
	if err := s.admitFirst(ctx, c, &entry{actor: a, p: p, from: from, to: to}); err != nil {
		return nil, err
	}
	r, err := s.dropRank(ctx, c, p, to, nil, nil)
	if err != nil {
		return nil, err
	}
	ch := change{from: from, to: to, action: t.Action, rank: r, note: in.Note}
	if in.Reason != nil {
		reason := string(*in.Reason)
		ch.reason = &reason
		if to.Archives {
			ch.archiveReason = in.Reason
		}
	}
	return s.apply(ctx, c, a, f, p, ch)
}

// The partner-lead actions of the contract.

// AcceptLead: new → active.
func (s *Service) AcceptLead(ctx context.Context, id pulid.ID) (*ent.Project, error) {
	return s.TakeAction(ctx, id, "accept", ActionInput{})
}

// DeclineLead: new or active → declined, archiving the project with the
// reason.
func (s *Service) DeclineLead(ctx context.Context, id pulid.ID, reason project.ArchiveReason, note *string) (*ent.Project, error) {
	if err := project.ArchiveReasonValidator(reason); err != nil {
		return nil, errcode.Invalid("reason", "unknown decline reason")
	}
	return s.TakeAction(ctx, id, "decline", ActionInput{Reason: &reason, Note: note})
}

// SecureProject: active → secured.
func (s *Service) SecureProject(ctx context.Context, id pulid.ID) (*ent.Project, error) {
	return s.TakeAction(ctx, id, "secure", ActionInput{})
}

// SetProgress records the latest progress update of a project, only in the
// workflow's progress status (active leads).
func (s *Service) SetProgress(ctx context.Context, id pulid.ID, key string, note *string) (*ent.Project, error) {
	var updated *ent.Project
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		a, p, f, err := s.beginChange(ctx, c, id)
		if err != nil {
			return err
		}
		_, note, err := changeText(nil, note)
		if err != nil {
			return err
		}
		if err := Frozen(p); err != nil {
			return err
		}
		prog := f.w.Progress
		if prog == nil || f.byID[p.StatusID].Key != prog.Status {
			return ErrProgressNotAllowed
		}
		if !slices.ContainsFunc(prog.Options, func(o schematype.ProgressOption) bool { return o.Key == key }) {
			return errcode.Invalid("progress", "unknown progress key")
		}
		upd := c.Project.UpdateOneID(p.ID).
			Where(project.Version(p.Version)).
			SetVersion(p.Version + 1).
			SetProgressKey(key).
			SetProgressUpdatedAt(time.Now())
		if note != nil {
			upd.SetProgressNote(*note)
		} else {
			upd.ClearProgressNote()
		}
		if updated, err = upd.Save(ctx); err != nil {
			return err
		}
		if err := c.ProgressUpdate.Create().
			SetProjectID(p.ID).
			SetKey(key).
			SetNillableNote(note).
			SetActor(a.Label()).
			SetAt(*updated.ProgressUpdatedAt).
			Exec(ctx); err != nil {
			return fmt.Errorf("keep progress of %s: %w", p.ID, err)
		}
		previous := map[string]any{"progress": nullableString(p.ProgressKey), "progressNote": nullableString(p.ProgressNote)}
		project := events.ProjectData(updated, f.w.Key, f.byID[updated.StatusID].Key)
		project["progress"], project["progressNote"] = key, nullableString(note)
		return s.recordUpdated(ctx, p, project, previous)
	})
	if err != nil {
		return nil, err
	}
	return updated.Unwrap(), nil
}

// recordUpdated records project.updated: the project as it is now, with
// the fields that changed, and their previous values.
func (s *Service) recordUpdated(ctx context.Context, p *ent.Project, project, previous map[string]any) error {
	_, err := s.events.Record(ctx, events.Event{Type: events.ProjectUpdated, Project: p.ID, Data: map[string]any{
		"project": project, "previous": previous,
	}})
	return err
}

// nullableString is a JSON value: the string, or null.
func nullableString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
