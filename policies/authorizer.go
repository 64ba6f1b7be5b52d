// Package policies answers authorization questions with casbin: which role
// may do what in a tenant, and (later) which portal features a status
// unlocks. The model and the default policies are embedded.
package policies

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"
	"github.com/casbin/casbin/v2/util"

	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

//go:embed model.conf
var modelConf string

//go:embed roles.csv
var rolePolicies string

// WildcardDomain is the domain of the defaults that apply to every tenant.
const WildcardDomain = "*"

// Permission is an (object, action) pair of the role policies.
type Permission struct {
	Object string
	Action string
}

// The permissions the domain services check (policies/roles.csv).
var (
	ReadProjects    = Permission{"projects", "read"}
	WriteProjects   = Permission{"projects", "write"}
	TrackTime       = Permission{"time", "write"}
	ManageTime      = Permission{"time", "manage"}
	InviteCustomers = Permission{"customers", "invite"}
	Configure       = Permission{"settings", "write"}
	ManageMembers   = Permission{"members", "write"}
	GrantOwner      = Permission{"owners", "grant"}
	ReadEvents      = Permission{"events", "read"}
	ManageWebhooks  = Permission{"webhooks", "manage"}
)

// Roles decides what an actor's role allows. Lanes' own is the casbin
// Authorizer; a platform embedding the SDK with a permission system of its
// own can bring another (sdk.Config.Roles).
type Roles interface {
	// Require returns tenant.ErrForbidden unless the actor may.
	Require(actor tenant.Actor, p Permission) error
}

// Authorizer answers role questions. Role policies live in the wildcard
// domain only (tenants cannot rewrite the role table), so a decision depends
// on (role, permission) alone and is memoised after the first enforcement.
type Authorizer struct {
	enforcer *casbin.SyncedEnforcer

	mu   sync.RWMutex
	memo map[roleDecision]bool
}

type roleDecision struct {
	role role.Role
	perm Permission
}

// NewAuthorizer builds an Authorizer from the embedded model and defaults.
func NewAuthorizer() (*Authorizer, error) {
	e, err := newEnforcer(rolePolicies)
	if err != nil {
		return nil, err
	}
	return &Authorizer{enforcer: e, memo: map[roleDecision]bool{}}, nil
}

// newEnforcer returns a synced enforcer on the Lanes model with the given
// CSV policies (comment lines allowed).
func newEnforcer(policyCSV string) (*casbin.SyncedEnforcer, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("policies: model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, stringadapter.NewAdapter(stripComments(policyCSV)))
	if err != nil {
		return nil, fmt.Errorf("policies: enforcer: %w", err)
	}
	// Role links declared in "*" hold in every tenant.
	e.AddNamedDomainMatchingFunc("g", "keyMatch", util.KeyMatch)
	if err := e.BuildRoleLinks(); err != nil {
		return nil, fmt.Errorf("policies: role links: %w", err)
	}
	return e, nil
}

func stripComments(csv string) string {
	var b strings.Builder
	for _, line := range strings.Split(csv, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// Enforce asks casbin directly, without the memo: may sub do act on obj in
// the tenant domain.
func (a *Authorizer) Enforce(sub, domain, obj, act string) (bool, error) {
	return a.enforcer.Enforce(sub, domain, obj, act)
}

// RoleAllows reports whether the role holds the permission in the tenant.
func (a *Authorizer) RoleAllows(tenantID string, r role.Role, p Permission) bool {
	if !r.Valid() {
		return false
	}
	key := roleDecision{r, p}
	a.mu.RLock()
	allowed, ok := a.memo[key]
	a.mu.RUnlock()
	if ok {
		return allowed
	}
	allowed, err := a.Enforce("role:"+string(r), tenantID, p.Object, p.Action)
	if err != nil {
		return false
	}
	a.mu.Lock()
	a.memo[key] = allowed
	a.mu.Unlock()
	return allowed
}

// Require returns tenant.ErrForbidden unless the actor is a member or the
// platform in a tenant and its role holds the permission. Customers hold no
// role permissions.
func (a *Authorizer) Require(actor tenant.Actor, p Permission) error {
	if !actor.IsStaff() || !a.RoleAllows(string(actor.TenantID), actor.Role, p) {
		return tenant.ErrForbidden
	}
	return nil
}
