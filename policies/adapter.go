package policies

import (
	"context"
	"errors"
	"fmt"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/policyrule"
)

// EntAdapter is the casbin adapter of Lanes' policies, on the project's own
// ent client rather than casbin's ent-adapter: the rules of a tenant are
// tenant-scoped rows (PolicyRule) under the same isolation rules,
// migrations and composite keys as every other row, they are written in
// the same transaction as the admin's change, and loading one tenant's
// rules (the filter) is the tenant filter itself. The wildcard domain's
// defaults come from the workflow templates and are loaded with every
// filter.
type EntAdapter struct {
	client   *ent.Client
	defaults [][]string
}

// TenantFilter selects the wildcard defaults plus one tenant's rules. Ctx
// must act in that tenant.
type TenantFilter struct {
	Ctx      context.Context
	TenantID string
}

var _ persist.FilteredAdapter = (*EntAdapter)(nil)

// errReadOnly: casbin's write API would bypass the tenant's transaction.
var errReadOnly = errors.New("policies: write rules with Features.SetOverride, in the caller's transaction")

// LoadPolicy loads the wildcard defaults only.
func (a *EntAdapter) LoadPolicy(m model.Model) error {
	for _, rule := range a.defaults {
		if err := persist.LoadPolicyArray(rule, m); err != nil {
			return err
		}
	}
	return nil
}

// LoadFilteredPolicy loads the defaults and the rules of the filter's
// tenant.
func (a *EntAdapter) LoadFilteredPolicy(m model.Model, filter any) error {
	f, ok := filter.(TenantFilter)
	if !ok {
		return fmt.Errorf("policies: filter must be a TenantFilter, not %T", filter)
	}
	if err := a.LoadPolicy(m); err != nil {
		return err
	}
	rows, err := a.client.PolicyRule.Query().Order(ent.Asc(policyrule.FieldID)).All(f.Ctx)
	if err != nil {
		return fmt.Errorf("policies: load rules of %s: %w", f.TenantID, err)
	}
	for _, r := range rows {
		if err := persist.LoadPolicyArray([]string{r.Ptype, r.Subject, string(r.TenantID), r.Object, r.Action, r.Effect.String()}, m); err != nil {
			return err
		}
	}
	return nil
}

// IsFiltered reports that policies are always loaded per tenant.
func (a *EntAdapter) IsFiltered() bool { return true }

// SavePolicy is not supported (see errReadOnly).
func (a *EntAdapter) SavePolicy(model.Model) error { return errReadOnly }

// AddPolicy is not supported (see errReadOnly).
func (a *EntAdapter) AddPolicy(string, string, []string) error { return errReadOnly }

// RemovePolicy is not supported (see errReadOnly).
func (a *EntAdapter) RemovePolicy(string, string, []string) error { return errReadOnly }

// RemoveFilteredPolicy is not supported (see errReadOnly).
func (a *EntAdapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }
