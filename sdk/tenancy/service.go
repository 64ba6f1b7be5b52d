// Package tenancy manages tenants and their members: createTenant (the
// platform's), addMember, and who the caller is (viewer).
package tenancy

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones on machines without zoneinfo

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// Errors of the tenancy service.
var (
	ErrSlugTaken      = errcode.New(errcode.Conflict, "a tenant with this slug already exists")
	ErrMemberExists   = errcode.New(errcode.Conflict, "a member with this externalId already exists in the tenant")
	ErrPlatformOnly   = errcode.New(errcode.Forbidden, "only the platform (API key) may create tenants")
	ErrTenantNotFound = errcode.New(errcode.NotFound, "tenant not found")
)

// DefaultTemplates are installed by createTenant when the input names none.
var DefaultTemplates = []string{"website", "leads"}

// TemplateInstaller installs workflow templates into the tenant of ctx
// (the workflow service).
type TemplateInstaller interface {
	HasTemplate(key string) bool
	InstallTemplates(ctx context.Context, c *ent.Client, keys []string) ([]*ent.Workflow, error)
}

// Service is the tenancy domain service.
type Service struct {
	client    *ent.Client
	authz     policies.Roles
	templates TemplateInstaller
	// postgres: lock rows (SELECT ... FOR UPDATE); SQLite serialises
	// write transactions as a whole.
	postgres bool
	hooks    MemberHooks
	now      func() time.Time
}

// NewService returns the tenancy service.
func NewService(client *ent.Client, authz policies.Roles, templates TemplateInstaller, postgres bool, hooks MemberHooks) *Service {
	return &Service{client: client, authz: authz, templates: templates, postgres: postgres, hooks: hooks, now: time.Now}
}

// CreateTenantInput is the input of CreateTenant (GraphQL CreateTenantInput).
type CreateTenantInput struct {
	Slug string
	Name string
	// Templates to install; nil: DefaultTemplates; empty: none.
	Templates []string
}

// slugPattern: lower-case letters, digits and inner hyphens; never an
// underscore, so a slug can't be mistaken for an ID ("ten_...").
var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

func (in *CreateTenantInput) normalize() (err error) {
	in.Slug = strings.TrimSpace(in.Slug)
	if !slugPattern.MatchString(in.Slug) {
		return errcode.Invalid("slug", "slug must be 1-63 lower-case letters, digits or inner hyphens")
	}
	if in.Name, err = validate.Required("name", in.Name, validate.MaxName); err != nil {
		return err
	}
	if in.Templates == nil {
		in.Templates = DefaultTemplates
	}
	for i, t := range in.Templates {
		if err := validate.Text("templates", t, validate.MaxName); err != nil {
			return err
		}
		if slices.Contains(in.Templates[:i], t) {
			return errcode.Invalid("templates", fmt.Sprintf("template %q is listed twice", t))
		}
	}
	return nil
}

// CreateTenant creates a tenant and installs its workflow templates, in one
// transaction. Only the platform may call it.
func (s *Service) CreateTenant(ctx context.Context, in CreateTenantInput) (*ent.Tenant, error) {
	a, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	if a.Kind != tenant.KindPlatform {
		return nil, ErrPlatformOnly
	}
	if err := in.normalize(); err != nil {
		return nil, err
	}
	for _, key := range in.Templates {
		if !s.templates.HasTemplate(key) {
			return nil, errcode.Invalid("templates", fmt.Sprintf("unknown workflow template %q", key))
		}
	}
	var created *ent.Tenant
	err = entx.WithTx(ctx, s.client, func(ctx context.Context, c *ent.Client) error {
		t, err := c.Tenant.Create().SetSlug(in.Slug).SetName(in.Name).Save(ctx)
		if ent.IsConstraintError(err) {
			return ErrSlugTaken.With("slug", in.Slug)
		}
		if err != nil {
			return fmt.Errorf("create tenant %s: %w", in.Slug, err)
		}
		inTenant, err := tenant.Within(ctx, t.ID)
		if err != nil {
			return err
		}
		if _, err := s.templates.InstallTemplates(inTenant, c, in.Templates); err != nil {
			return err
		}
		created = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created.Unwrap(), nil
}

// Tenant returns the tenant the caller acts in.
func (s *Service) Tenant(ctx context.Context) (*ent.Tenant, error) {
	a, err := tenant.RequireTenant(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.client.Tenant.Get(ctx, a.TenantID)
	if ent.IsNotFound(err) {
		return nil, ErrTenantNotFound
	}
	return t, err
}

// AddMemberInput is the input of AddMember (GraphQL AddMemberInput).
type AddMemberInput struct {
	ExternalID string `json:"externalId"`
	Name       string
	Email      *string
	Role       role.Role
}

func (in *AddMemberInput) normalize() (err error) {
	if in.ExternalID, err = validate.Required("externalId", in.ExternalID, validate.MaxName); err != nil {
		return err
	}
	if in.Name, err = validate.Required("name", in.Name, validate.MaxName); err != nil {
		return err
	}
	email, err := validate.OptionalEmail("email", in.Email)
	if err != nil {
		return err
	}
	in.Email = email
	if !in.Role.Valid() {
		return errcode.Invalid("role", "role must be OWNER, ADMIN, MEMBER or VIEWER")
	}
	return nil
}

// AddMember adds a member to the caller's tenant. OWNERs and ADMINs (and the
// platform) may; only OWNERs and the platform may add another OWNER.
func (s *Service) AddMember(ctx context.Context, in AddMemberInput) (*ent.Member, error) {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(a, policies.ManageMembers); err != nil {
		return nil, err
	}
	if err := in.normalize(); err != nil {
		return nil, err
	}
	if in.Role == role.Owner {
		if err := s.authz.Require(a, policies.GrantOwner); err != nil {
			return nil, err
		}
	}
	// A removed member added again comes back, with their history.
	back, err := s.client.Member.Update().
		Where(member.ExternalID(in.ExternalID), member.RemovedAtNotNil()).
		ClearRemovedAt().
		SetName(in.Name).
		SetNillableEmail(in.Email).
		SetRole(in.Role).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("add member %s again: %w", in.ExternalID, err)
	}
	if back > 0 {
		return s.client.Member.Query().Where(member.ExternalID(in.ExternalID)).Only(ctx)
	}
	m, err := s.client.Member.Create().
		SetExternalID(in.ExternalID).
		SetName(in.Name).
		SetNillableEmail(in.Email).
		SetRole(in.Role).
		Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, ErrMemberExists.With("externalId", in.ExternalID)
	}
	if err != nil {
		return nil, fmt.Errorf("add member %s: %w", in.ExternalID, err)
	}
	return m, nil
}

// Member returns a member of the caller's tenant.
func (s *Service) Member(ctx context.Context, id pulid.ID) (*ent.Member, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return nil, err
	}
	return s.client.Member.Get(ctx, id)
}

// Members lists the caller's tenant's members (not the removed ones) by name, to its staff (the
// platform and members: the team's directory).
func (s *Service) Members(ctx context.Context) ([]*ent.Member, error) {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(a, policies.ReadProjects); err != nil {
		return nil, err
	}
	list, err := s.client.Member.Query().
		Where(member.RemovedAtIsNil()).
		Order(ent.Asc(member.FieldName), ent.Asc(member.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	return list, nil
}

// Customer returns a customer of the caller's tenant.
func (s *Service) Customer(ctx context.Context, id pulid.ID) (*ent.Customer, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return nil, err
	}
	return s.client.Customer.Get(ctx, id)
}

// UpdateTenantInput changes a tenant's settings; nil fields stay.
type UpdateTenantInput struct {
	Name     *string
	TimeZone *string
}

// UpdateTenant changes the caller's tenant's name or time zone (admins).
func (s *Service) UpdateTenant(ctx context.Context, in UpdateTenantInput) (*ent.Tenant, error) {
	a, err := tenant.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(a, policies.Configure); err != nil {
		return nil, err
	}
	upd := s.client.Tenant.UpdateOneID(a.TenantID)
	if in.Name != nil {
		name, err := validate.Required("name", *in.Name, validate.MaxName)
		if err != nil {
			return nil, err
		}
		upd.SetName(name)
	}
	if in.TimeZone != nil {
		if err := validate.Text("timeZone", *in.TimeZone, validate.MaxName); err != nil {
			return nil, err
		}
		loc, err := time.LoadLocation(*in.TimeZone)
		if err != nil || *in.TimeZone == "" || strings.EqualFold(*in.TimeZone, "Local") {
			return nil, errcode.Invalid("timeZone", "timeZone must be an IANA time zone such as Europe/Berlin")
		}
		upd.SetTimeZone(loc.String())
	}
	t, err := upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update tenant: %w", err)
	}
	return t, nil
}
