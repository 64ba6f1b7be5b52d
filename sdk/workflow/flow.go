package workflow

import (
	"context"
	"fmt"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/schema/schematype"
	"github.com/lanes-dev/lanes/ent/status"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
)

// flow is a workflow with its statuses, as the engine reads them: the data
// a template installed and the tenant's admins configured. No rule of a
// particular template lives in code.
type flow struct {
	w        *ent.Workflow
	statuses []*ent.Status // board order
	byID     map[pulid.ID]*ent.Status
	byKey    map[string]*ent.Status
	// automations of the workflow, oldest first.
	automations []*ent.Automation
}

func newFlow(w *ent.Workflow) *flow {
	linkStatuses(w)
	f := &flow{
		w:        w,
		statuses: w.Edges.Statuses,
		byID:     make(map[pulid.ID]*ent.Status, len(w.Edges.Statuses)),
		byKey:    make(map[string]*ent.Status, len(w.Edges.Statuses)),
	}
	for _, st := range f.statuses {
		f.byID[st.ID] = st
		f.byKey[st.Key] = st
	}
	return f
}

func withOrderedStatuses(q *ent.StatusQuery) { q.Order(ent.Asc(status.FieldPosition)) }

// loadFlowByKey reads the workflow with the key, or ErrWorkflowNotFound,
// bypassing the cache (for configuration changes).
func loadFlowByKey(ctx context.Context, c *ent.Client, key string) (*flow, error) {
	if err := validate.Key("workflow", key); err != nil {
		return nil, err
	}
	w, err := c.Workflow.Query().Where(entworkflow.Key(key)).WithStatuses(withOrderedStatuses).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrWorkflowNotFound.With("workflow", key)
	}
	if err != nil {
		return nil, fmt.Errorf("load workflow %s: %w", key, err)
	}
	return newFlow(w), nil
}

func (f *flow) strict() bool { return f.w.Mode == entworkflow.ModeSTRICT }

// status returns the status with the key, or ErrStatusNotFound.
func (f *flow) status(key string) (*ent.Status, error) {
	if st, ok := f.byKey[key]; ok {
		return st, nil
	}
	if err := validate.Key("status", key); err != nil {
		return nil, err
	}
	return nil, ErrStatusNotFound.With("status", key)
}

// start is where new projects begin unless told otherwise: the
// workflow's default status while it is enabled; else, in a STRICT
// workflow, the first status its transitions leave and never enter, and in
// a FREE one the first enabled status.
func (f *flow) start() *ent.Status {
	if st, ok := f.byKey[f.w.DefaultStatus]; ok && st.Enabled {
		return st
	}
	if f.strict() {
		entered := map[string]bool{}
		for _, t := range f.w.Transitions {
			entered[t.To] = true
		}
		for _, st := range f.statuses {
			if _, ok := f.transitionFrom(st); ok && !entered[st.Key] {
				return st
			}
		}
	}
	return f.firstEnabled()
}

// transitionFrom returns a transition leaving a status, if any.
func (f *flow) transitionFrom(from *ent.Status) (schematype.Transition, bool) {
	for _, t := range f.w.Transitions {
		if t.From == from.Key {
			return t, true
		}
	}
	return schematype.Transition{}, false
}

// firstEnabled is the first enabled status in board order.
func (f *flow) firstEnabled() *ent.Status {
	for _, st := range f.statuses {
		if st.Enabled {
			return st
		}
	}
	return nil
}

// enabled lists the enabled statuses in board order.
func (f *flow) enabled() []*ent.Status {
	out := make([]*ent.Status, 0, len(f.statuses))
	for _, st := range f.statuses {
		if st.Enabled {
			out = append(out, st)
		}
	}
	return out
}

// transition returns the declared transition between two statuses.
func (f *flow) transition(from, to *ent.Status) (schematype.Transition, bool) {
	for _, t := range f.w.Transitions {
		if t.From == from.Key && t.To == to.Key {
			return t, true
		}
	}
	return schematype.Transition{}, false
}

// transitionFor returns the transition an action takes from a status.
func (f *flow) transitionFor(from *ent.Status, action string) (schematype.Transition, bool) {
	for _, t := range f.w.Transitions {
		if t.From == from.Key && t.Action == action {
			return t, true
		}
	}
	return schematype.Transition{}, false
}

// advanceTarget follows the "advance goes to" chain from a status to the
// next enabled one, skipping disabled statuses.
func (f *flow) advanceTarget(from *ent.Status) (*ent.Status, bool) {
	seen := map[string]bool{from.Key: true}
	for key := from.AdvanceTo; key != "" && !seen[key]; {
		seen[key] = true
		st, ok := f.byKey[key]
		if !ok {
			return nil, false
		}
		if st.Enabled {
			return st, true
		}
		key = st.AdvanceTo
	}
	return nil, false
}

// moveAction returns the history action of a move (or advance) from one
// status to another, or why the workflow's mode does not allow it: FREE
// workflows allow any move; STRICT ones only declared transitions that
// need nothing beyond the move itself. (Whether the target is enabled is
// the gate's to check.)
func (f *flow) moveAction(from, to *ent.Status, freeAction string) (string, error) {
	if !f.strict() {
		return freeAction, nil
	}
	t, ok := f.transition(from, to)
	if !ok {
		return "", ErrTransitionNotAllowed.WithMessage("the %s workflow does not lead from %s to %s", f.w.Key, from.Key, to.Key).
			With("from", from.Key).With("to", to.Key)
	}
	if len(t.Needs) > 0 {
		e := ErrTransitionNotAllowed.With("from", from.Key).With("to", to.Key).With("needs", t.Needs)
		if t.Mutation != "" {
			e = e.WithMessage("moving from %s to %s needs %v: use %s", from.Key, to.Key, t.Needs, t.Mutation).
				With("mutation", t.Mutation)
		}
		return "", e
	}
	return t.Action, nil
}
