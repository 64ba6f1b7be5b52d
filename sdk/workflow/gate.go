package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// Errors of the gate a project passes to enter a status.
var (
	ErrEnterRole      = errcode.New(errcode.Forbidden, "your role may not move projects into this status")
	ErrRequiredFields = errcode.New(errcode.RequiredFields, "the status needs project fields that are not set")
)

// requiredFieldChecks are the project fields a status may require before
// a project enters it (setStatusRules), each with its test.
var requiredFieldChecks = map[string]func(p *ent.Project, cu *ent.Customer) bool{
	"assignee":         func(p *ent.Project, _ *ent.Customer) bool { return p.AssigneeID != nil },
	"customer":         func(_ *ent.Project, cu *ent.Customer) bool { return cu != nil },
	"customer.company": func(_ *ent.Project, cu *ent.Customer) bool { return cu != nil && set(cu.Company) },
	"customer.email":   func(_ *ent.Project, cu *ent.Customer) bool { return cu != nil && set(cu.Email) },
	"customer.phone":   func(_ *ent.Project, cu *ent.Customer) bool { return cu != nil && set(cu.Phone) },
}

// RequiredFieldNames lists the fields a status may require, sorted.
func RequiredFieldNames() []string {
	names := make([]string, 0, len(requiredFieldChecks))
	for name := range requiredFieldChecks {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func set(s *string) bool { return s != nil && strings.TrimSpace(*s) != "" }

// entry is a project about to enter a status, as the gate judges it.
type entry struct {
	actor tenant.Actor
	// p is the project: locked for a change, as read for a preview, not
	// yet saved for a new one. Read with openBlockingTodos unless new.
	p    *ent.Project
	from *ent.Status // nil for a new project
	to   *ent.Status
	// transition is why the workflow's mode refuses the step, or nil.
	transition error
	// overrideChecklist: an ADMIN moves on past open blocking to-dos
	// (MoveProjectInput.overrideChecklist); overrode is set when it did.
	overrideChecklist bool
	overrode          bool
}

// forward tells a move on through the workflow from a move back (or out,
// to a cancelled status): blocking to-dos hold only the former.
func forward(from, to *ent.Status) bool {
	return to.Position > from.Position && to.Category != status.CategoryCANCELLED
}

// admit judges an entry in the contract's order (the role, then the
// rules) and returns why it is refused: every reason when all is set
// (transitionPreview), else the first one (a change, inside its
// transaction: a WIP limit's status is then locked on PostgreSQL so that
// moves into it take turns). The error is a failure to judge.
func (s *Service) admit(ctx context.Context, c *ent.Client, e *entry, all bool) ([]error, error) {
	var reasons []error
	refuse := func(reason error) bool {
		reasons = append(reasons, reason)
		return !all
	}
	if !mayEnter(e.actor, e.to) && refuse(ErrEnterRole.WithMessage("a %s may not move projects into %s", strings.ToLower(string(e.actor.Role)), e.to.Key).
		With("status", e.to.Key).With("roles", e.to.EnterRoles)) {
		return reasons, nil
	}
	if e.p.Archived && refuse(ErrArchived) {
		return reasons, nil
	}
	if !e.to.Enabled && refuse(ErrStatusDisabled.With("status", e.to.Key)) {
		return reasons, nil
	}
	if e.transition != nil && refuse(e.transition) {
		return reasons, nil
	}
	if e.from != nil && forward(e.from, e.to) {
		open, err := countColumn(e.p, openBlockingTodosColumn)
		if err != nil {
			return nil, err
		}
		if open > 0 {
			if e.overrideChecklist {
				e.overrode = true
			} else if refuse(ErrChecklistIncomplete.With("openBlockingTodos", open)) {
				return reasons, nil
			}
		}
	}
	missing, err := s.missingFields(ctx, c, e.p, e.to, e.from == nil)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 && refuse(ErrRequiredFields.WithMessage("%s needs %s first", e.to.Key, strings.Join(missing, ", ")).
		With("status", e.to.Key).With("fields", missing)) {
		return reasons, nil
	}
	if err := s.checkRoom(ctx, c, e.to, e.p.ID, !all); err != nil {
		var coded *errcode.Error
		if !errors.As(err, &coded) {
			return nil, err
		}
		refuse(err)
	}
	return reasons, nil
}

// admitFirst is admit for a change: the first reason, as its error.
func (s *Service) admitFirst(ctx context.Context, c *ent.Client, e *entry) error {
	reasons, err := s.admit(ctx, c, e, false)
	if err != nil {
		return err
	}
	if len(reasons) > 0 {
		return reasons[0]
	}
	return nil
}

// mayEnter applies a status's enterRoles: members of the listed roles
// may move projects into it; the platform (and Lanes' own work) always.
func mayEnter(a tenant.Actor, to *ent.Status) bool {
	return len(to.EnterRoles) == 0 || a.Kind != tenant.KindMember || slices.Contains(to.EnterRoles, a.Role)
}

// missingFields lists the fields the status requires that the project
// lacks (its customer read only when the status requires any).
// A new project has no assignee yet (createProject takes none): that rule
// holds from its first move on.
func (s *Service) missingFields(ctx context.Context, c *ent.Client, p *ent.Project, to *ent.Status, isNew bool) ([]string, error) {
	if len(to.RequiredFields) == 0 {
		return nil, nil
	}
	var cu *ent.Customer
	if p.CustomerID != nil && slices.ContainsFunc(to.RequiredFields, func(f string) bool { return strings.HasPrefix(f, "customer") }) {
		var err error
		if cu, err = c.Customer.Get(ctx, *p.CustomerID); err != nil {
			return nil, fmt.Errorf("customer of %s: %w", p.ID, err)
		}
	}
	var missing []string
	for _, field := range to.RequiredFields {
		if isNew && field == "assignee" {
			continue
		}
		if check, ok := requiredFieldChecks[field]; ok && !check(p, cu) {
			missing = append(missing, field)
		}
	}
	return missing, nil
}

// SetStatusRulesInput is the input of SetStatusRules: nil lists stay as
// they are, empty ones clear the rule.
type SetStatusRulesInput struct {
	Workflow       string
	Status         string
	RequiredFields []string
	EnterRoles     []role.Role
}

// SetStatusRules sets a status's transition rules: the project fields
// that must be set before a project may enter it, and the member roles
// that may move projects into it.
func (s *Service) SetStatusRules(ctx context.Context, in SetStatusRulesInput) (*ent.Status, error) {
	var out *ent.Status
	err := s.shapeTx(ctx, in.Workflow, []string{in.Status}, func(ctx context.Context, c *ent.Client, f *flow) error {
		st, err := f.status(in.Status)
		if err != nil {
			return err
		}
		upd := c.Status.UpdateOne(st)
		if in.RequiredFields != nil {
			fields, err := uniqueOf("requiredFields", in.RequiredFields, func(field string) bool { return requiredFieldChecks[field] != nil },
				"requiredFields may name "+strings.Join(RequiredFieldNames(), ", "))
			if err != nil {
				return err
			}
			upd.SetRequiredFields(fields)
		}
		if in.EnterRoles != nil {
			roles, err := uniqueOf("enterRoles", in.EnterRoles, role.Role.Valid, "enterRoles may name OWNER, ADMIN, MEMBER and VIEWER")
			if err != nil {
				return err
			}
			upd.SetEnterRoles(roles)
		}
		out, err = upd.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// uniqueOf checks a list of names against what it may name and drops
// repeats, keeping the first order.
func uniqueOf[T ~string](field string, names []T, known func(T) bool, hint string) ([]T, error) {
	out := make([]T, 0, len(names))
	for _, n := range names {
		if !known(n) {
			if err := validate.Key(field, string(n)); err != nil {
				return nil, err
			}
			return nil, errcode.Invalid(field, fmt.Sprintf("unknown %s: %s; %s", field, n, hint)).With("value", string(n))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// Refusal is one reason a move would be refused: the error the move would
// answer with.
type Refusal struct {
	Code    string
	Message string
	Details map[string]any
}

// Preview is whether a move would pass, with every reason it would not.
type Preview struct {
	Allowed bool
	Reasons []Refusal
}

// TransitionPreview judges a move of the project to the status as
// moveProject would, without writing or locking anything, and lists every
// reason it would be refused in the order the move checks them: the move
// fails with the first. A customer may not ask (FORBIDDEN).
func (s *Service) TransitionPreview(ctx context.Context, projectID pulid.ID, toKey string) (*Preview, error) {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	j, err := s.judge(ctx, a, projectID)
	if errors.Is(err, ErrProjectNotFound) {
		return previewOf(err)
	}
	if err != nil {
		return nil, err
	}
	if err := validate.Key("to", toKey); err != nil {
		return nil, err
	}
	to, err := j.f.status(toKey)
	if err != nil {
		return previewOf(append(j.base, err)...)
	}
	return j.preview(ctx, s, to)
}

// StatusPreview is whether a move of a project into one status would pass.
type StatusPreview struct {
	Status  *ent.Status
	Allowed bool
	Reasons []Refusal
}

// TransitionPreviews judges a move of the project into every other enabled
// status of its workflow at once (the board greys out the columns a
// dragged card may not enter): each verdict is TransitionPreview's.
func (s *Service) TransitionPreviews(ctx context.Context, projectID pulid.ID) ([]*StatusPreview, error) {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	j, err := s.judge(ctx, a, projectID)
	if err != nil {
		return nil, err
	}
	out := []*StatusPreview{}
	for _, to := range j.f.enabled() {
		if to.ID == j.p.StatusID {
			continue
		}
		p, err := j.preview(ctx, s, to)
		if err != nil {
			return nil, err
		}
		out = append(out, &StatusPreview{Status: to, Allowed: p.Allowed, Reasons: p.Reasons})
	}
	return out, nil
}

// judgement is a project read for previews (not locked), with its
// workflow and the reasons that hold whatever the target: the role.
type judgement struct {
	a    tenant.Actor
	p    *ent.Project
	f    *flow
	base []error
}

func (s *Service) judge(ctx context.Context, a tenant.Actor, projectID pulid.ID) (*judgement, error) {
	p, err := s.client.Project.Query().Where(project.ID(projectID)).Modify(openBlockingTodos).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrProjectNotFound.With("id", projectID)
	}
	if err != nil {
		return nil, fmt.Errorf("load project %s: %w", projectID, err)
	}
	f, err := s.flowOf(ctx, s.client, p)
	if err != nil {
		return nil, err
	}
	j := &judgement{a: a, p: p, f: f}
	if err := s.authz.Require(a, policies.WriteProjects); err != nil {
		j.base = append(j.base, err)
	}
	return j, nil
}

// preview judges the move into one status.
func (j *judgement) preview(ctx context.Context, s *Service, to *ent.Status) (*Preview, error) {
	from := j.f.byID[j.p.StatusID]
	if to.ID == from.ID {
		return previewOf(j.base...) // already there: the move does nothing
	}
	_, transition := j.f.moveAction(from, to, ActionMove)
	more, err := s.admit(ctx, s.client, &entry{actor: j.a, p: j.p, from: from, to: to, transition: transition}, true)
	if err != nil {
		return nil, err
	}
	return previewOf(append(slices.Clone(j.base), more...)...)
}

// previewOf is the preview of a move refused for the reasons (none:
// allowed).
func previewOf(reasons ...error) (*Preview, error) {
	out := &Preview{Allowed: len(reasons) == 0, Reasons: []Refusal{}}
	for _, r := range reasons {
		var coded *errcode.Error
		if !errors.As(r, &coded) {
			return nil, r
		}
		out.Reasons = append(out.Reasons, Refusal{Code: string(coded.Code), Message: coded.Message, Details: coded.Details})
	}
	return out, nil
}
