package workflow

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/automation"
	"github.com/lanes-dev/lanes/ent/predicate"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/schema/schematype"
	"github.com/lanes-dev/lanes/ent/status"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/workflow/rank"
	"github.com/lanes-dev/lanes/tenant"
)

// History actions (StatusChange.action).
const (
	ActionCreate  = "create"
	ActionMove    = "move"
	ActionAdvance = "advance"
)

// change is one state change of a project, applied by apply: a new status
// (with a history row and automations) or only a new rank (a reorder).
type change struct {
	from, to *ent.Status
	// action of the history row; empty for a reorder within a column.
	action string
	rank   string
	reason *string
	note   *string
	// archiveReason is set when entering an archiving status.
	archiveReason *project.ArchiveReason
	// overrodeChecklist: an admin moved the project on past open blocking
	// to-dos.
	overrodeChecklist bool
	// unarchive: an admin reopens an archived project.
	unarchive bool
}

// lockProject reads a project for a change: on PostgreSQL the row stays
// locked until the transaction ends, so concurrent changes of one project
// apply one after the other and none is lost; changes of different
// projects do not wait for each other. (SQLite serialises write
// transactions as a whole.)
func (s *Service) lockProject(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Project, error) {
	q := c.Project.Query().Where(project.ID(id)).Modify(openBlockingTodos)
	if s.postgres {
		q.ForUpdate()
	}
	p, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrProjectNotFound.With("id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load project %s: %w", id, err)
	}
	return p, nil
}

// beginChange loads and locks the project and its workflow, then checks the
// caller's role: the contract's order is credentials, the objects named,
// then the role.
func (s *Service) beginChange(ctx context.Context, c *ent.Client, id pulid.ID) (tenant.Actor, *ent.Project, *flow, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return a, nil, nil, err
	}
	p, err := s.lockProject(ctx, c, id)
	if err != nil {
		return a, nil, nil, err
	}
	f, err := s.flowOf(ctx, c, p)
	if err != nil {
		return a, nil, nil, err
	}
	if err := s.authz.Require(a, policies.WriteProjects); err != nil {
		return a, nil, nil, err
	}
	return a, p, f, nil
}

// flowOf returns a project's workflow from the cached configuration,
// reloaded once when it lacks the project's status (one another replica
// added a moment ago, before its notice arrived).
func (s *Service) flowOf(ctx context.Context, c *ent.Client, p *ent.Project) (*flow, error) {
	f, err := s.flowByID(ctx, c, p.WorkflowID)
	if err != nil {
		return nil, err
	}
	if _, ok := f.byID[p.StatusID]; ok {
		return f, nil
	}
	s.cache.drop(p.TenantID)
	if f, err = s.flowByID(ctx, c, p.WorkflowID); err != nil {
		return nil, err
	}
	if _, ok := f.byID[p.StatusID]; !ok {
		return nil, fmt.Errorf("project %s is in status %s, not of its workflow %s", p.ID, p.StatusID, f.w.Key)
	}
	return f, nil
}

func checkVersion(p *ent.Project, expected *int) error {
	if expected != nil && *expected != p.Version {
		return ErrVersionConflict.With("currentVersion", p.Version).With("expectedVersion", *expected)
	}
	return nil
}

// openBlockingTodosColumn is read with the locked project (lockProject):
// the blocking to-dos of its current status that are open.
const openBlockingTodosColumn = "open_blocking_todos"

// openBlockingTodos adds the count of the project's open blocking to-dos
// of its current status to the project's row, saving a query per move.
func openBlockingTodos(s *sql.Selector) {
	s.AppendSelectExprAs(openTodosOfRow(s, true), openBlockingTodosColumn)
}

// checkRoom checks that the target status has room under its WIP limit.
// Enabled was checked by the gate against the cached configuration; it is
// checked here again against the row, and by apply's UPDATE against the
// committed row, so a status disabled meanwhile is never entered. With
// lock (a change, not a preview), the row is locked for update on
// PostgreSQL, so that moves into the status take turns and the limit
// holds under concurrency.
func (s *Service) checkRoom(ctx context.Context, c *ent.Client, to *ent.Status, moving pulid.ID, lock bool) error {
	if to.WipLimit == nil || *to.WipLimit <= 0 {
		return nil
	}
	q := c.Status.Query().Where(status.ID(to.ID))
	if lock && s.postgres {
		q.ForUpdate()
	}
	fresh, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return ErrStatusNotFound.With("status", to.Key)
	}
	if err != nil {
		return fmt.Errorf("lock status %s: %w", to.Key, err)
	}
	if !fresh.Enabled {
		return ErrStatusDisabled.With("status", to.Key)
	}
	if fresh.WipLimit == nil || *fresh.WipLimit <= 0 {
		return nil
	}
	n, err := c.Project.Query().
		Where(project.StatusID(to.ID), active(), project.IDNEQ(moving)).
		Count(ctx)
	if err != nil {
		return fmt.Errorf("count projects in %s: %w", to.Key, err)
	}
	if n >= *fresh.WipLimit {
		return ErrWIPLimit.With("status", to.Key).With("wipLimit", *fresh.WipLimit)
	}
	return nil
}

// enteredStatusEnabled is the condition of apply's UPDATE when the project
// changes status: the target is enabled, its row share-locked on
// PostgreSQL so that an admin cannot disable it until the move commits.
func (s *Service) enteredStatusEnabled(statusID pulid.ID) predicate.Project {
	return func(sel *sql.Selector) {
		t := sql.Table(status.Table)
		sub := sql.Select(t.C(status.FieldID)).From(t).Where(sql.And(sql.EQ(t.C(status.FieldID), statusID), boolIs(t.C(status.FieldEnabled), true)))
		if s.postgres {
			sub.ForShare()
		}
		sel.Where(sql.Exists(sub))
	}
}

// apply writes a change: the project row (status, rank, version + 1), and
// for a status change the history row and the to-dos of the automations
// that fire, all in the caller's transaction.
func (s *Service) apply(ctx context.Context, c *ent.Client, a tenant.Actor, f *flow, p *ent.Project, ch change) (*ent.Project, error) {
	// One UPDATE, no read-back: the new row is known.
	updated := *p
	updated.Version, updated.Rank, updated.UpdatedAt = p.Version+1, ch.rank, time.Now()
	upd := c.Project.Update().
		Where(project.ID(p.ID), project.Version(p.Version)).
		SetVersion(updated.Version).
		SetRank(updated.Rank).
		SetUpdatedAt(updated.UpdatedAt)
	moved := ch.from == nil || ch.to.ID != ch.from.ID
	if moved {
		upd.SetStatusID(ch.to.ID).Where(s.enteredStatusEnabled(ch.to.ID))
		updated.StatusID = ch.to.ID
	}
	if ch.archiveReason != nil {
		upd.SetArchived(true).SetArchiveReason(*ch.archiveReason).SetNillableArchiveNote(ch.note)
		updated.Archived, updated.ArchiveReason, updated.ArchiveNote = true, ch.archiveReason, ch.note
	}
	if ch.unarchive {
		upd.SetArchived(false).ClearArchiveReason().ClearArchiveNote()
		updated.Archived, updated.ArchiveReason, updated.ArchiveNote = false, nil, nil
	}
	n, err := upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update project %s: %w", p.ID, err)
	}
	if n != 1 {
		return nil, s.refusedUpdate(ctx, c, p, ch.to)
	}
	if moved {
		if err := s.record(ctx, c, a, f, &updated, ch); err != nil {
			return nil, err
		}
	}
	// The status is known too (cached, read-only): the response's
	// status { key } needs no query.
	updated.Edges = ent.ProjectEdges{Status: ch.to}
	return &updated, nil
}

// refusedUpdate tells why apply's UPDATE matched no row: the target status
// was disabled since the configuration was read, or the project changed.
func (s *Service) refusedUpdate(ctx context.Context, c *ent.Client, p *ent.Project, to *ent.Status) error {
	enabled, err := c.Status.Query().Where(status.ID(to.ID), status.Enabled(true)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("read status %s: %w", to.Key, err)
	}
	if !enabled {
		return ErrStatusDisabled.With("status", to.Key)
	}
	return ErrVersionConflict.With("expectedVersion", p.Version)
}

// record writes the history row and the events of a status change (p is
// the project after it) and runs automations.
func (s *Service) record(ctx context.Context, c *ent.Client, a tenant.Actor, f *flow, p *ent.Project, ch change) error {
	hist := c.StatusChange.Create().
		SetProjectID(p.ID).
		SetToStatusID(ch.to.ID).
		SetAction(ch.action).
		SetActor(a.Label()).
		SetAt(time.Now()).
		SetNillableReason(ch.reason).
		SetNillableNote(ch.note).
		SetChecklistOverridden(ch.overrodeChecklist)
	if ch.from != nil {
		hist.SetFromStatusID(ch.from.ID)
	}
	if err := hist.Exec(ctx); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	if err := s.recordChange(ctx, f, p, ch); err != nil {
		return err
	}
	if p.Archived && ch.archiveReason == nil {
		return nil // frozen (moved by migrateStatus): no to-dos on it
	}
	return s.runAutomations(ctx, c, f, p, ch.from, ch.to)
}

// recordChange records the events of a status change: project.created
// for a new project, else project.moved with the previous status and the
// action, and project.archived when the project entered an archive.
func (s *Service) recordChange(ctx context.Context, f *flow, p *ent.Project, ch change) error {
	project := events.ProjectData(p, f.w.Key, ch.to.Key)
	e := events.Event{Type: events.ProjectCreated, Project: p.ID, Data: map[string]any{"project": project}}
	if ch.action != ActionCreate {
		e.Type = events.ProjectMoved
		e.Data["action"] = ch.action
		if ch.from != nil {
			e.Data["previous"] = map[string]any{"status": ch.from.Key}
		}
		if ch.reason != nil {
			e.Data["reason"] = *ch.reason
		}
		if ch.overrodeChecklist {
			e.Data["checklistOverridden"] = true
		}
	}
	if _, err := s.events.Record(ctx, e); err != nil {
		return err
	}
	if ch.archiveReason == nil {
		return nil
	}
	archived := map[string]any{"project": project, "reason": string(*ch.archiveReason)}
	if ch.note != nil {
		archived["note"] = *ch.note
	}
	_, err := s.events.Record(ctx, events.Event{Type: events.ProjectArchived, Project: p.ID, Data: archived})
	return err
}

// runAutomations creates the to-dos of the automations that fire on
// leaving from and entering to (read from the cached configuration): one
// insert, none when nothing fires.
func (s *Service) runAutomations(ctx context.Context, c *ent.Client, f *flow, p *ent.Project, from, to *ent.Status) error {
	var fire []*ent.Automation
	for _, au := range f.automations {
		if au.StatusID == to.ID && au.Trigger == automation.TriggerENTER ||
			from != nil && au.StatusID == from.ID && au.Trigger == automation.TriggerLEAVE {
			fire = append(fire, au)
		}
	}
	// A to-do belongs to the status the project is in now: the one it
	// entered. LEAVE to-dos follow the project there.
	return s.automationTodos(ctx, c, f, p, to, fire)
}

// automationTodos creates the to-dos of the automations that fired for a
// project, in status st, in one insert (none when nothing fired), with
// their todo.created events.
func (s *Service) automationTodos(ctx context.Context, c *ent.Client, f *flow, p *ent.Project, st *ent.Status, fired []*ent.Automation) error {
	var todos []*ent.TodoCreate
	for _, au := range fired {
		for _, tt := range au.Todos {
			todos = append(todos, todoCreate(c, p.ID, st.ID, tt).SetAutomationID(au.ID))
		}
	}
	if len(todos) == 0 {
		return nil
	}
	created, err := c.Todo.CreateBulk(todos...).Save(ctx)
	if err != nil {
		return fmt.Errorf("create automation to-dos: %w", err)
	}
	for _, t := range created {
		if err := s.recordTodo(ctx, events.TodoCreated, f, p, st, t); err != nil {
			return err
		}
	}
	return nil
}

// EventProject is a project as events carry it (events.ProjectData), its
// workflow and status keys read from the cached configuration.
func (s *Service) EventProject(ctx context.Context, c *ent.Client, p *ent.Project) (map[string]any, error) {
	f, err := s.flowByID(ctx, c, p.WorkflowID)
	if err != nil {
		return nil, err
	}
	st, ok := f.byID[p.StatusID]
	if !ok {
		return nil, fmt.Errorf("status %s of project %s is not in its workflow", p.StatusID, p.ID)
	}
	return events.ProjectData(p, f.w.Key, st.Key), nil
}

// recordTodo records a to-do's event (todo.created, todo.completed) with
// its project as it is (in status st).
func (s *Service) recordTodo(ctx context.Context, typ events.Type, f *flow, p *ent.Project, st *ent.Status, t *ent.Todo) error {
	_, err := s.events.Record(ctx, events.Event{Type: typ, Project: p.ID, Data: map[string]any{
		"todo":    events.TodoData(t),
		"project": events.ProjectData(p, f.w.Key, st.Key),
	}})
	return err
}

func todoCreate(c *ent.Client, projectID, statusID pulid.ID, tt schematype.TodoTemplate) *ent.TodoCreate {
	return c.Todo.Create().
		SetProjectID(projectID).
		SetStatusID(statusID).
		SetTitle(tt.Title).
		SetBlocking(tt.Blocking)
}

// maxRankLength bounds fractional keys; a drop that would make a longer one
// renumbers its column first (only repeated drops at one spot get there).
const maxRankLength = 200

// dropRank returns the rank for a project dropped into a column: between
// the given neighbours, or at the end of the column.
func (s *Service) dropRank(ctx context.Context, c *ent.Client, p *ent.Project, to *ent.Status, after, before *ent.Project) (string, error) {
	for attempt := 0; ; attempt++ {
		lo, hi, err := s.neighbourRanks(ctx, c, p, to, after, before)
		if err != nil {
			return "", err
		}
		r, err := rank.JitteredBetween(lo, hi)
		if err == nil && len(r) <= maxRankLength {
			return r, nil
		}
		if attempt > 0 {
			return "", fmt.Errorf("rank between %q and %q: %w", lo, hi, err)
		}
		// Equal or overlong neighbour keys: renumber the column once.
		if err := s.renumberColumn(ctx, c, p.WorkflowID, to.ID); err != nil {
			return "", err
		}
		if after != nil {
			if after, err = c.Project.Get(ctx, after.ID); err != nil {
				return "", err
			}
		}
		if before != nil {
			if before, err = c.Project.Get(ctx, before.ID); err != nil {
				return "", err
			}
		}
	}
}

// neighbourRanks returns the ranks the dropped project goes between; ""
// stands for the start or end of the column (of active cards: archived
// projects are off the board). Cards are ordered by (rank,
// id), so the neighbour of a card is found by that pair: should two cards
// ever share a rank, Between fails on them and the column is renumbered.
func (s *Service) neighbourRanks(ctx context.Context, c *ent.Client, p *ent.Project, to *ent.Status, after, before *ent.Project) (lo, hi string, err error) {
	column := func(extra ...predicate.Project) *ent.ProjectQuery {
		return c.Project.Query().
			Where(project.WorkflowID(p.WorkflowID), project.StatusID(to.ID), active(), project.IDNEQ(p.ID)).
			Where(extra...)
	}
	switch {
	case after != nil && before != nil:
		return after.Rank, before.Rank, nil
	case after != nil:
		hi, err = firstRank(ctx, column(project.Or(
			project.RankGT(after.Rank),
			project.And(project.Rank(after.Rank), project.IDGT(after.ID)),
		)).Order(ent.Asc(project.FieldRank), ent.Asc(project.FieldID)))
		return after.Rank, hi, err
	case before != nil:
		lo, err = firstRank(ctx, column(project.Or(
			project.RankLT(before.Rank),
			project.And(project.Rank(before.Rank), project.IDLT(before.ID)),
		)).Order(ent.Desc(project.FieldRank), ent.Desc(project.FieldID)))
		return lo, before.Rank, err
	}
	lo, err = firstRank(ctx, column().Order(ent.Desc(project.FieldRank), ent.Desc(project.FieldID)))
	return lo, "", err
}

func firstRank(ctx context.Context, q *ent.ProjectQuery) (string, error) {
	ranks, err := q.Limit(1).Select(project.FieldRank).Strings(ctx)
	if err != nil {
		return "", fmt.Errorf("read neighbour rank: %w", err)
	}
	if len(ranks) == 0 {
		return "", nil
	}
	return ranks[0], nil
}

// renumberColumn gives a column's projects fresh, short, evenly spread
// ranks in their current order.
func (s *Service) renumberColumn(ctx context.Context, c *ent.Client, workflowID, statusID pulid.ID) error {
	ps, err := c.Project.Query().
		Where(project.WorkflowID(workflowID), project.StatusID(statusID), active()).
		Order(ent.Asc(project.FieldRank), ent.Asc(project.FieldID)).
		Select(project.FieldID).
		All(ctx)
	if err != nil {
		return fmt.Errorf("renumber column: %w", err)
	}
	keys, err := rank.N("", "", len(ps))
	if err != nil {
		return err
	}
	for i, p := range ps {
		if err := c.Project.UpdateOneID(p.ID).SetRank(keys[i]).Exec(ctx); err != nil {
			return fmt.Errorf("renumber column: %w", err)
		}
	}
	return nil
}
