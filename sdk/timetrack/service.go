// Package timetrack is time tracking per status: timers, manual entries,
// tracked time per project and status, and reports aggregated in SQL.
package timetrack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
	"github.com/lanes-dev/lanes/ent/statuschange"
	"github.com/lanes-dev/lanes/ent/timeentry"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant"
)

// Errors of time tracking.
var (
	ErrNoRunningTimer  = errcode.New(errcode.NotFound, "no timer is running")
	ErrEntryNotFound   = errcode.New(errcode.NotFound, "time entry not found")
	ErrProjectNotFound = errcode.New(errcode.NotFound, "project not found")
	ErrMembersOnly     = errcode.New(errcode.Forbidden, "timers belong to members; the platform logs time for a member with memberId")
	ErrMemberRemoved   = errcode.New(errcode.Unauthenticated, "the member was removed from the tenant")
)

// Limits of manual entries.
const (
	MaxEntryDuration = 24 * time.Hour
	// clockSkew tolerates client clocks slightly ahead of the server.
	clockSkew = time.Minute
)

// Service is the time tracking domain service.
type Service struct {
	client   *ent.Client
	authz    policies.Roles
	postgres bool
	now      func() time.Time
}

// NewService returns the time tracking service.
func NewService(client *ent.Client, authz policies.Roles, postgres bool) *Service {
	return &Service{client: client, authz: authz, postgres: postgres, now: time.Now}
}

func (s *Service) clock() time.Time { return s.now().UTC() }

// StartTimer starts the caller's timer on a project, stamped with the
// project's current status. A timer already running is stopped first: a
// member has one running timer, which the database enforces (a partial
// unique index), so concurrent starts cannot leave two.
func (s *Service) StartTimer(ctx context.Context, projectID pulid.ID, note *string) (*ent.TimeEntry, error) {
	var out *ent.TimeEntry
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		out, err = s.startTimer(ctx, projectID, note)
		if !ent.IsConstraintError(err) {
			break
		}
		// Another start of the same member won the race: stop its timer
		// and try again.
	}
	return out, err
}

func (s *Service) startTimer(ctx context.Context, projectID pulid.ID, note *string) (*ent.TimeEntry, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.TimeEntry
	err = entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		p, err := c.Project.Get(ctx, projectID)
		if ent.IsNotFound(err) {
			return ErrProjectNotFound.With("id", projectID)
		}
		if err != nil {
			return fmt.Errorf("load project %s: %w", projectID, err)
		}
		if err := s.authz.Require(a, policies.TrackTime); err != nil {
			return err
		}
		if a.MemberID == "" {
			return ErrMembersOnly
		}
		if err := workflow.Frozen(p); err != nil {
			return err
		}
		n, err := normalizeNote(note)
		if err != nil {
			return err
		}
		if s.postgres {
			// Starts of one member take turns (the index would refuse
			// the loser of a race anyway; this spares it the retry).
			_, err := c.Member.Query().Where(member.ID(a.MemberID), member.RemovedAtIsNil()).ForUpdate().Only(ctx)
			if ent.IsNotFound(err) {
				return ErrMemberRemoved
			}
			if err != nil {
				return fmt.Errorf("lock member: %w", err)
			}
		}
		now := s.clock()
		if _, err := s.stopRunning(ctx, c, a.MemberID, now); err != nil && !errors.Is(err, ErrNoRunningTimer) {
			return err
		}
		out, err = c.TimeEntry.Create().
			SetProjectID(p.ID).
			SetMemberID(a.MemberID).
			SetStatusID(p.StatusID).
			SetStartedAt(now).
			SetNillableNote(n).
			Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// StopTimer stops the caller's running timer (NOT_FOUND when none runs).
func (s *Service) StopTimer(ctx context.Context) (*ent.TimeEntry, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(a, policies.TrackTime); err != nil {
		return nil, err
	}
	if a.MemberID == "" {
		return nil, ErrMembersOnly
	}
	var out *ent.TimeEntry
	err = entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		out, err = s.stopRunning(ctx, c, a.MemberID, s.clock())
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// StopMemberTimer stops a member's running timer, if any, in the caller's
// transaction c (the member is being removed).
func (s *Service) StopMemberTimer(ctx context.Context, c *ent.Client, memberID pulid.ID) error {
	_, err := s.stopRunning(ctx, c, memberID, s.clock())
	if errors.Is(err, ErrNoRunningTimer) {
		return nil
	}
	return err
}

// stopRunning stops a member's running timer, if any.
func (s *Service) stopRunning(ctx context.Context, c *ent.Client, memberID pulid.ID, now time.Time) (*ent.TimeEntry, error) {
	q := c.TimeEntry.Query().Where(timeentry.MemberID(memberID), timeentry.EndedAtIsNil())
	if s.postgres {
		q.ForUpdate()
	}
	running, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrNoRunningTimer
	}
	if err != nil {
		return nil, fmt.Errorf("find running timer: %w", err)
	}
	end := now
	if end.Before(running.StartedAt) {
		end = running.StartedAt
	}
	return c.TimeEntry.UpdateOne(running).
		SetEndedAt(end).
		SetSeconds(int(end.Sub(running.StartedAt) / time.Second)).
		Save(ctx)
}

// Running returns the caller's running timer, or nil.
func (s *Service) Running(ctx context.Context) (*ent.TimeEntry, error) {
	a, err := tenant.RequireStaff(ctx)
	if err != nil || a.MemberID == "" {
		return nil, err
	}
	e, err := s.client.TimeEntry.Query().Where(timeentry.MemberID(a.MemberID), timeentry.EndedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return e, err
}

func normalizeNote(note *string) (*string, error) {
	return validate.Optional("note", note, validate.MaxText)
}

// AddTimeEntryInput is the input of AddTimeEntry.
type AddTimeEntryInput struct {
	ProjectID pulid.ID
	StartedAt time.Time
	EndedAt   time.Time
	Note      *string
	// Status key; nil: the project's status at StartedAt (from history).
	Status   *string
	Billable *bool
	// MemberID logs the time for another member (admins, the platform).
	MemberID *pulid.ID
}

// AddTimeEntry logs past work: ended after it started, at most 24 hours,
// not in the future, not before the project existed.
func (s *Service) AddTimeEntry(ctx context.Context, in AddTimeEntryInput) (*ent.TimeEntry, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.TimeEntry
	err = entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		p, err := c.Project.Get(ctx, in.ProjectID)
		if ent.IsNotFound(err) {
			return ErrProjectNotFound.With("id", in.ProjectID)
		}
		if err != nil {
			return fmt.Errorf("load project %s: %w", in.ProjectID, err)
		}
		memberID, err := s.entryOwner(ctx, c, a, in.MemberID)
		if err != nil {
			return err
		}
		if err := workflow.Frozen(p); err != nil {
			return err
		}
		start, end := in.StartedAt.UTC(), in.EndedAt.UTC()
		if err := s.checkPeriod(start, end); err != nil {
			return err
		}
		statusID, err := s.statusFor(ctx, c, p, start, in.Status)
		if err != nil {
			return err
		}
		n, err := normalizeNote(in.Note)
		if err != nil {
			return err
		}
		create := c.TimeEntry.Create().
			SetProjectID(p.ID).
			SetMemberID(memberID).
			SetStatusID(statusID).
			SetStartedAt(start).
			SetEndedAt(end).
			SetSeconds(int(end.Sub(start) / time.Second)).
			SetNillableNote(n)
		if in.Billable != nil {
			create.SetBillable(*in.Billable)
		}
		out, err = create.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// entryOwner decides whose time an entry is: the calling member's own, or
// another member's for those who manage time (and the platform, which must
// name the member).
func (s *Service) entryOwner(ctx context.Context, c *ent.Client, a tenant.Actor, memberID *pulid.ID) (pulid.ID, error) {
	if memberID == nil || *memberID == a.MemberID {
		if err := s.authz.Require(a, policies.TrackTime); err != nil {
			return "", err
		}
		if a.MemberID == "" {
			return "", ErrMembersOnly
		}
		return a.MemberID, nil
	}
	m, err := c.Member.Get(ctx, *memberID)
	if ent.IsNotFound(err) {
		return "", errcode.New(errcode.NotFound, "member not found").With("id", *memberID)
	}
	if err != nil {
		return "", err
	}
	if err := s.authz.Require(a, policies.ManageTime); err != nil {
		return "", err
	}
	return m.ID, nil
}

func (s *Service) checkPeriod(start, end time.Time) error {
	switch {
	case !end.After(start):
		return errcode.Invalid("endedAt", "endedAt must be after startedAt")
	case end.Sub(start) > MaxEntryDuration:
		return errcode.Invalid("endedAt", "an entry spans at most 24 hours")
	case end.After(s.clock().Add(clockSkew)):
		return errcode.Invalid("endedAt", "endedAt must not be in the future")
	}
	return nil
}

// statusFor returns the status an entry belongs to: the given key of the
// project's workflow, or the status the project was in at start (its
// history); a start before the project existed is VALIDATION.
func (s *Service) statusFor(ctx context.Context, c *ent.Client, p *ent.Project, start time.Time, key *string) (pulid.ID, error) {
	if key != nil {
		if err := validate.Key("status", *key); err != nil {
			return "", err
		}
		st, err := c.Status.Query().Where(status.WorkflowID(p.WorkflowID), status.Key(*key)).Only(ctx)
		if ent.IsNotFound(err) {
			return "", errcode.Invalid("status", fmt.Sprintf("the project's workflow has no status %q", *key))
		}
		if err != nil {
			return "", err
		}
		if !st.Enabled {
			// Time is booked to the statuses in use; history keeps the
			// time already booked to statuses disabled since.
			return "", errcode.New(errcode.StatusDisabled, "the status is disabled").With("status", st.Key)
		}
		if start.Before(p.CreatedAt) {
			return "", errcode.Invalid("startedAt", "startedAt is before the project existed")
		}
		return st.ID, nil
	}
	h, err := c.StatusChange.Query().
		Where(statuschange.ProjectID(p.ID), statuschange.AtLTE(start)).
		Order(ent.Desc(statuschange.FieldAt), ent.Desc(statuschange.FieldID)).
		First(ctx)
	if ent.IsNotFound(err) {
		return "", errcode.Invalid("startedAt", "startedAt is before the project existed")
	}
	if err != nil {
		return "", fmt.Errorf("status at %s: %w", start, err)
	}
	return h.ToStatusID, nil
}

// UpdateTimeEntryInput changes an entry; nil fields stay.
type UpdateTimeEntryInput struct {
	ID        pulid.ID
	StartedAt *time.Time
	EndedAt   *time.Time
	Note      *string
	Status    *string
	Billable  *bool
}

// UpdateTimeEntry edits an entry: one's own (members), any (admins). A
// running entry's times change only by stopping it.
func (s *Service) UpdateTimeEntry(ctx context.Context, in UpdateTimeEntryInput) (*ent.TimeEntry, error) {
	var out *ent.TimeEntry
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		e, err := s.editable(ctx, c, in.ID)
		if err != nil {
			return err
		}
		upd := c.TimeEntry.UpdateOne(e)
		if in.StartedAt != nil || in.EndedAt != nil {
			if e.EndedAt == nil {
				return errcode.Invalid("endedAt", "stop the timer before changing its times")
			}
			start, end := e.StartedAt, *e.EndedAt
			if in.StartedAt != nil {
				start = in.StartedAt.UTC()
			}
			if in.EndedAt != nil {
				end = in.EndedAt.UTC()
			}
			if err := s.checkPeriod(start, end); err != nil {
				return err
			}
			upd.SetStartedAt(start).SetEndedAt(end).SetSeconds(int(end.Sub(start) / time.Second))
		}
		if in.Status != nil {
			p, err := c.Project.Get(ctx, e.ProjectID)
			if err != nil {
				return err
			}
			st, err := s.statusFor(ctx, c, p, e.StartedAt, in.Status)
			if err != nil {
				return err
			}
			upd.SetStatusID(st)
		}
		if in.Note != nil {
			n, err := normalizeNote(in.Note)
			if err != nil {
				return err
			}
			if n == nil {
				upd.ClearNote()
			} else {
				upd.SetNote(*n)
			}
		}
		if in.Billable != nil {
			upd.SetBillable(*in.Billable)
		}
		out, err = upd.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// DeleteTimeEntry removes an entry: one's own (members), any (admins).
func (s *Service) DeleteTimeEntry(ctx context.Context, id pulid.ID) error {
	return entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		e, err := s.editable(ctx, c, id)
		if err != nil {
			return err
		}
		return c.TimeEntry.DeleteOne(e).Exec(ctx)
	})
}

// editable loads an entry the caller may change.
func (s *Service) editable(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.TimeEntry, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	e, err := c.TimeEntry.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, ErrEntryNotFound.With("id", id)
	}
	if err != nil {
		return nil, err
	}
	perm := policies.ManageTime
	if e.MemberID == a.MemberID {
		perm = policies.TrackTime
	}
	if err := s.authz.Require(a, perm); err != nil {
		return nil, err
	}
	return e, nil
}

// canRead checks that the caller may read time (members and the platform;
// customers never see time).
func (s *Service) canRead(ctx context.Context) (tenant.Actor, error) {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return a, err
	}
	return a, s.authz.Require(a, policies.ReadProjects)
}

// TrackedSeconds sums the time of the given projects: stopped entries plus
// running timers so far, in two grouped queries.
func (s *Service) TrackedSeconds(ctx context.Context, projectIDs []pulid.ID) (map[pulid.ID]int, error) {
	if _, err := s.canRead(ctx); err != nil {
		return nil, err
	}
	out := make(map[pulid.ID]int, len(projectIDs))
	for _, id := range projectIDs {
		out[id] = 0
	}
	if len(projectIDs) == 0 {
		return out, nil
	}
	var sums []struct {
		ProjectID pulid.ID `json:"project_id"`
		Sum       int      `json:"sum"`
	}
	if err := s.client.TimeEntry.Query().
		Where(timeentry.ProjectIDIn(projectIDs...), timeentry.EndedAtNotNil()).
		GroupBy(timeentry.FieldProjectID).
		Aggregate(ent.Sum(timeentry.FieldSeconds)).
		Scan(ctx, &sums); err != nil {
		return nil, fmt.Errorf("sum tracked time: %w", err)
	}
	for _, r := range sums {
		out[r.ProjectID] += r.Sum
	}
	running, err := s.client.TimeEntry.Query().
		Where(timeentry.ProjectIDIn(projectIDs...), timeentry.EndedAtIsNil()).
		Select(timeentry.FieldProjectID, timeentry.FieldStartedAt).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("running timers: %w", err)
	}
	now := s.clock()
	for _, e := range running {
		if d := now.Sub(e.StartedAt); d > 0 {
			out[e.ProjectID] += int(d / time.Second)
		}
	}
	return out, nil
}

// StatusSeconds is tracked time in one status.
type StatusSeconds struct {
	Status  *ent.Status
	Seconds int
}

// TrackedByStatus sums a project's stopped entries per status, in workflow
// order (disabled statuses included: time stays where it was spent).
func (s *Service) TrackedByStatus(ctx context.Context, p *ent.Project) ([]*StatusSeconds, error) {
	if _, err := s.canRead(ctx); err != nil {
		return nil, err
	}
	var sums []struct {
		StatusID pulid.ID `json:"status_id"`
		Sum      int      `json:"sum"`
	}
	if err := s.client.TimeEntry.Query().
		Where(timeentry.ProjectID(p.ID), timeentry.EndedAtNotNil()).
		GroupBy(timeentry.FieldStatusID).
		Aggregate(ent.Sum(timeentry.FieldSeconds)).
		Scan(ctx, &sums); err != nil {
		return nil, fmt.Errorf("sum tracked time by status: %w", err)
	}
	if len(sums) == 0 {
		return []*StatusSeconds{}, nil
	}
	ids := make([]pulid.ID, len(sums))
	for i, r := range sums {
		ids[i] = r.StatusID
	}
	statuses, err := s.client.Status.Query().Where(status.IDIn(ids...)).Order(ent.Asc(status.FieldPosition)).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[pulid.ID]int{}
	for _, r := range sums {
		byID[r.StatusID] = r.Sum
	}
	out := make([]*StatusSeconds, len(statuses))
	for i, st := range statuses {
		out[i] = &StatusSeconds{Status: st, Seconds: byID[st.ID]}
	}
	return out, nil
}
