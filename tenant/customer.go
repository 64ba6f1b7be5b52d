package tenant

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"
)

// CustomerAccess says which rows of a tenant-scoped type a customer (a
// portal session) may see. The default is none: the partner's private view
// stays private unless a schema opens a part of it.
type CustomerAccess int

// The kinds of customer access.
const (
	// CustomerNone: no row (members, history, time, payments, ...).
	CustomerNone CustomerAccess = iota
	// CustomerShared: every row of the tenant (statuses, workflows).
	CustomerShared
	// CustomerOwnRow: the customer's own row (the Customer type).
	CustomerOwnRow
	// CustomerOwnColumn: rows whose customer_id is the customer (projects).
	CustomerOwnColumn
	// CustomerOwnProjects: rows whose project_id is one of the customer's
	// projects (files, wishes, feedback).
	CustomerOwnProjects
)

// CustomerScope is what a tenant-scoped schema grants customers.
type CustomerScope struct {
	Access CustomerAccess
	// Writable lets customers create rows and change the rows they see.
	Writable bool
	// Only narrows the rows further (e.g. feedback to-dos only).
	Only func(*sql.Selector)
}

// Columns the customer scopes use.
const (
	CustomerColumn = "customer_id"
	ProjectColumn  = "project_id"
	projectsTable  = "projects"
)

// customerPredicate returns the predicate confining a customer to its rows
// of a type, or false when the type is closed to customers.
func (sc CustomerScope) customerPredicate(a Actor) (func(*sql.Selector), bool) {
	var p func(*sql.Selector)
	switch sc.Access {
	case CustomerShared:
		p = func(*sql.Selector) {}
	case CustomerOwnRow:
		p = sql.FieldEQ("id", a.CustomerID)
	case CustomerOwnColumn:
		p = sql.FieldEQ(CustomerColumn, a.CustomerID)
	case CustomerOwnProjects:
		p = func(s *sql.Selector) {
			projects := sql.Table(projectsTable)
			s.Where(sql.In(s.C(ProjectColumn),
				sql.Select(projects.C("id")).From(projects).Where(sql.And(
					sql.EQ(projects.C(TenantColumn), a.TenantID),
					sql.EQ(projects.C(CustomerColumn), a.CustomerID),
				))))
		}
	default:
		return nil, false
	}
	if sc.Only == nil {
		return p, true
	}
	return func(s *sql.Selector) { p(s); sc.Only(s) }, true
}

// FilterCustomers is the query interceptor that confines customers to the
// rows the scope grants (after FilterQueries has confined them to their
// tenant); other actors pass.
func FilterCustomers(adapt QueryAdapter, sc CustomerScope) ent.Interceptor {
	return ent.TraverseFunc(func(ctx context.Context, q ent.Query) error {
		a, ok := FromContext(ctx)
		if IsSystem(ctx) || !ok || a.Kind != KindCustomer {
			return nil
		}
		p, ok := sc.customerPredicate(a)
		if !ok {
			return privacy.Denyf("customers may not read %T", q)
		}
		w, err := adapt(q)
		if err != nil {
			return err
		}
		w.WhereP(p)
		return nil
	})
}

// FilterCustomerMutations is the privacy rule that keeps customers to the
// writes the scope grants: nothing by default; with Writable, creates (the
// domain service checks what they attach to) and changes of their rows.
func FilterCustomerMutations(sc CustomerScope) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		a, ok := FromContext(ctx)
		if !ok || a.Kind != KindCustomer {
			return privacy.Skip
		}
		p, ok := sc.customerPredicate(a)
		if !ok || !sc.Writable {
			return privacy.Denyf("customers may not change %s", m.Type())
		}
		if m.Op().Is(ent.OpCreate) {
			return privacy.Skip
		}
		w, ok := m.(Wherer)
		if !ok {
			return privacy.Denyf("mutation %T cannot be filtered", m)
		}
		w.WhereP(p)
		return privacy.Skip
	})
}
