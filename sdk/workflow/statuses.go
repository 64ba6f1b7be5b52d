package workflow

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/status"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// beginConfigure loads a workflow's status for an admin change and checks
// the role (objects first, then the role, as the contract orders checks).
func (s *Service) beginConfigure(ctx context.Context, c *ent.Client, workflowKey, statusKey string) (*flow, *ent.Status, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, nil, err
	}
	f, err := loadFlowByKey(ctx, c, workflowKey)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.status(statusKey)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authz.Require(a, policies.Configure); err != nil {
		return nil, nil, err
	}
	return f, st, nil
}

// SetStatusEnabled enables or disables a status. Mandatory statuses cannot
// be disabled, nor statuses any project (archived or not) is in. Disabled
// statuses leave the board and the workflow bar, never the history.
func (s *Service) SetStatusEnabled(ctx context.Context, workflowKey, statusKey string, enabled bool) (*ent.Status, error) {
	var out *ent.Status
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		f, st, err := s.beginConfigure(ctx, c, workflowKey, statusKey)
		if err != nil {
			return err
		}
		if !enabled {
			if st.Mandatory {
				return ErrStatusMandatory.With("status", st.Key)
			}
			defaultStatus := f.w.DefaultStatus
			if s.postgres {
				// As setDefaultStatus does: the two take turns, and this
				// reads the default the other committed.
				w, err := c.Workflow.Query().Where(entworkflow.ID(f.w.ID)).ForUpdate().Only(ctx)
				if err != nil {
					return fmt.Errorf("lock workflow %s: %w", f.w.Key, err)
				}
				defaultStatus = w.DefaultStatus
			}
			if defaultStatus == st.Key {
				return errIsDefault(st)
			}
			n, err := s.projectsIn(ctx, c, st)
			if err != nil {
				return err
			}
			if n > 0 {
				return ErrStatusInUse.WithMessage("%d projects are in %s; move them first", n, st.Key).With("projectCount", n)
			}
		}
		if st.Enabled == enabled {
			out = st
			return nil
		}
		if out, err = c.Status.UpdateOne(st).SetEnabled(enabled).Save(ctx); err != nil {
			return err
		}
		return s.configChanged(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// UpdateStatusInput is the input of UpdateStatus; nil fields stay as they
// are. WIPLimit applies when SetWIPLimit is true: nil or 0 removes it.
type UpdateStatusInput struct {
	Workflow    string
	Status      string
	Name        *string
	Color       *string
	WIPLimit    *int
	SetWIPLimit bool
}

var colorPattern = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$`)

// errIsDefault refuses to take away the status new projects start in.
func errIsDefault(st *ent.Status) error {
	return errcode.Invalid("status", fmt.Sprintf("%s is where new projects start: choose another default status first", st.Key)).With("status", st.Key)
}

// projectsIn counts the projects (archived ones too) in a status that is
// about to be disabled or deleted. On PostgreSQL it first locks the
// status's row: moves into it share-lock that row until they commit
// (enteredStatusEnabled), so this waits for them, and a move that comes
// later is refused.
func (s *Service) projectsIn(ctx context.Context, c *ent.Client, st *ent.Status) (int, error) {
	if s.postgres {
		if _, err := c.Status.Query().Where(status.ID(st.ID)).ForUpdate().Only(ctx); err != nil {
			return 0, fmt.Errorf("lock status %s: %w", st.Key, err)
		}
	}
	n, err := c.Project.Query().Where(project.StatusID(st.ID)).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count projects in %s: %w", st.Key, err)
	}
	return n, nil
}

// validColor checks a status colour and returns it in lower case.
func validColor(color string) (string, error) {
	if !colorPattern.MatchString(color) {
		return "", errcode.Invalid("color", "color must be a hex color such as #4fc3f7")
	}
	return strings.ToLower(color), nil
}

// UpdateStatus renames a status, recolours it or sets its WIP limit.
func (s *Service) UpdateStatus(ctx context.Context, in UpdateStatusInput) (*ent.Status, error) {
	var out *ent.Status
	err := entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		_, st, err := s.beginConfigure(ctx, c, in.Workflow, in.Status)
		if err != nil {
			return err
		}
		upd := c.Status.UpdateOne(st)
		if in.Name != nil {
			name, err := validate.Required("name", *in.Name, validate.MaxName)
			if err != nil {
				return err
			}
			upd.SetName(name)
		}
		if in.Color != nil {
			color, err := validColor(*in.Color)
			if err != nil {
				return err
			}
			upd.SetColor(color)
		}
		if in.SetWIPLimit {
			switch {
			case in.WIPLimit == nil || *in.WIPLimit == 0:
				upd.ClearWipLimit()
			case *in.WIPLimit < 0 || *in.WIPLimit > 100_000:
				return errcode.Invalid("wipLimit", "wipLimit must be between 0 and 100000")
			default:
				upd.SetWipLimit(*in.WIPLimit)
			}
		}
		if out, err = upd.Save(ctx); err != nil {
			return err
		}
		return s.configChanged(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}
