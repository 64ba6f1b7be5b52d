package workflow

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/statuschange"
)

// StepState is a status's place in the workflow bar.
type StepState string

// The states of the contract (StepState).
const (
	StepDone     StepState = "DONE"
	StepCurrent  StepState = "CURRENT"
	StepUpcoming StepState = "UPCOMING"
)

// MarshalGQL implements graphql.Marshaler.
func (s StepState) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *StepState) UnmarshalGQL(v any) error {
	str, _ := v.(string)
	switch StepState(str) {
	case StepDone, StepCurrent, StepUpcoming:
		*s = StepState(str)
		return nil
	}
	return fmt.Errorf("%v is not a valid StepState", v)
}

// Step is one status of the workflow bar.
type Step struct {
	State  StepState
	Status *ent.Status
}

// StatusDuration is time spent in a status.
type StatusDuration struct {
	Status  *ent.Status
	Seconds int
}

// Progress is a project's latest progress update.
type Progress struct {
	Key       string
	Name      string
	Note      *string
	UpdatedAt time.Time
}

// Steps returns the workflow bar of a project: the enabled statuses in
// order, DONE before the current one, CURRENT, UPCOMING after it.
func (s *Service) Steps(ctx context.Context, p *ent.Project) ([]*Step, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	f, err := s.flowByID(ctx, s.client, p.WorkflowID)
	if err != nil {
		return nil, err
	}
	state := StepDone
	steps := make([]*Step, 0, len(f.statuses))
	for _, st := range f.enabled() {
		if st.ID == p.StatusID {
			steps = append(steps, &Step{State: StepCurrent, Status: st})
			state = StepUpcoming
			continue
		}
		steps = append(steps, &Step{State: state, Status: st})
	}
	return steps, nil
}

// History returns a project's status changes, oldest first.
func (s *Service) History(ctx context.Context, p *ent.Project) ([]*ent.StatusChange, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	return history(ctx, s.client, p.ID)
}

func history(ctx context.Context, c *ent.Client, projectID pulid.ID) ([]*ent.StatusChange, error) {
	rows, err := c.StatusChange.Query().
		Where(statuschange.ProjectID(projectID)).
		WithFrom().
		WithTo().
		Order(ent.Asc(statuschange.FieldAt), ent.Asc(statuschange.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load history of %s: %w", projectID, err)
	}
	return rows, nil
}

// TimeInStatus returns the wall-clock time a project has spent in each
// status it has been in, from its history (the current stay counts up to
// now), in workflow order. Disabled statuses keep their time.
func (s *Service) TimeInStatus(ctx context.Context, p *ent.Project) ([]*StatusDuration, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	rows, err := history(ctx, s.client, p.ID)
	if err != nil {
		return nil, err
	}
	return dwell(rows, time.Now()), nil
}

// dwell sums, per status, the time between entering it and the next change.
func dwell(rows []*ent.StatusChange, now time.Time) []*StatusDuration {
	seconds := map[pulid.ID]float64{}
	statuses := map[pulid.ID]*ent.Status{}
	for i, r := range rows {
		end := now
		if i+1 < len(rows) {
			end = rows[i+1].At
		}
		seconds[r.ToStatusID] += end.Sub(r.At).Seconds()
		statuses[r.ToStatusID] = r.Edges.To
	}
	out := make([]*StatusDuration, 0, len(seconds))
	for id, sec := range seconds {
		out = append(out, &StatusDuration{Status: statuses[id], Seconds: int(sec)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Status.Position < out[j].Status.Position })
	return out
}

// ProgressOf returns the project's latest progress update with its display
// name, or nil. It uses the project's loaded workflow when present.
func (s *Service) ProgressOf(ctx context.Context, p *ent.Project) (*Progress, error) {
	if p.ProgressKey == nil {
		return nil, nil
	}
	w, err := p.Edges.WorkflowOrErr()
	if err != nil {
		if err := s.canRead(ctx); err != nil {
			return nil, err
		}
		if w, err = s.client.Workflow.Get(ctx, p.WorkflowID); err != nil {
			return nil, fmt.Errorf("load workflow of %s: %w", p.ID, err)
		}
	}
	out := &Progress{Key: *p.ProgressKey, Name: progressName(w, *p.ProgressKey), Note: p.ProgressNote}
	if p.ProgressUpdatedAt != nil {
		out.UpdatedAt = *p.ProgressUpdatedAt
	}
	return out, nil
}

// progressName is the display name of a workflow's progress option (its
// key when the workflow no longer offers it).
func progressName(w *ent.Workflow, key string) string {
	if w.Progress != nil {
		for _, o := range w.Progress.Options {
			if o.Key == key {
				return o.Name
			}
		}
	}
	return key
}
