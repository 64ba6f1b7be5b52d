// Package dataset generates the benchmark data of Lanes: tenants with
// members, customers, website and partner-lead projects spread over their
// statuses, history, to-dos, time entries, portal sessions and feature
// overrides. The content is a pure function of the size and the seed (IDs
// and tokens aside), and it is written through the SDK and ent, so SQLite
// and PostgreSQL hold the same data.
package dataset

import (
	"fmt"
	"strings"
	"time"
)

// Size is a dataset size.
type Size struct {
	Name              string
	Tenants           int
	ProjectsPerTenant int
	MembersPerTenant  int
	// TimeEntries is the total; the first tenant holds half of them (a big
	// customer among small ones, as on a real platform), the others share
	// the rest.
	TimeEntries int
	// PortalSessions is the number of customers per tenant with an open
	// portal session (their tokens are in the manifest).
	PortalSessions int
}

// The sizes. S and L are the issue's; tiny keeps CI runs quick.
var sizes = []Size{
	{Name: "tiny", Tenants: 2, ProjectsPerTenant: 130, MembersPerTenant: 5, TimeEntries: 2_000, PortalSessions: 2},
	{Name: "S", Tenants: 10, ProjectsPerTenant: 1_000, MembersPerTenant: 20, TimeEntries: 200_000, PortalSessions: 10},
	{Name: "L", Tenants: 100, ProjectsPerTenant: 10_000, MembersPerTenant: 20, TimeEntries: 2_000_000, PortalSessions: 10},
}

// SizeNamed returns the size of that name (tiny, S or L; any case).
func SizeNamed(name string) (Size, error) {
	for _, s := range sizes {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
	}
	return Size{}, fmt.Errorf("unknown dataset size %q (tiny, S or L)", name)
}

// entriesFor is the number of time entries of the tenant at index i.
func (s Size) entriesFor(i int) int {
	if s.Tenants == 1 {
		return s.TimeEntries
	}
	big := s.TimeEntries / 2
	if i == 0 {
		return big
	}
	rest := s.TimeEntries - big
	n := rest / (s.Tenants - 1)
	if i <= rest%(s.Tenants-1) {
		n++
	}
	return n
}

// DefaultSeed is the seed of the published results.
const DefaultSeed = 20261122

// Version changes whenever the generator writes different data; cached
// databases of another version are rebuilt.
const Version = 2

// DefaultAnchor is the "now" of the generated data: every timestamp lies
// before it, so reports over fixed periods give the same rows every run.
var DefaultAnchor = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// Manifest describes a generated dataset: what a benchmark or the load
// runner needs to act in it (credentials, IDs).
type Manifest struct {
	Version     int       `json:"version"`
	Size        string    `json:"size"`
	Seed        uint64    `json:"seed"`
	Anchor      time.Time `json:"anchor"`
	DatabaseURL string    `json:"databaseUrl"`
	// PlatformKey and JWTSecret are the credentials the server must be
	// started with (LANES_PLATFORM_KEY, LANES_JWT_SECRET).
	PlatformKey string   `json:"platformKey"`
	JWTSecret   string   `json:"jwtSecret"`
	Tenants     []Tenant `json:"tenants"`
	// Rows counts what was written, by table.
	Rows map[string]int `json:"rows"`
}

// Tenant is one generated tenant.
type Tenant struct {
	ID      string   `json:"id"`
	Slug    string   `json:"slug"`
	Members []Member `json:"members"`
	// WebsiteProjects are IDs of open website projects (at most 1,000).
	WebsiteProjects []string `json:"websiteProjects"`
	// LeadProjects are IDs of partner leads still "new" (at most 1,000).
	LeadProjects []string        `json:"leadProjects"`
	Portal       []PortalSession `json:"portal"`
	Projects     int             `json:"projects"`
	TimeEntries  int             `json:"timeEntries"`
}

// Member is a generated member; tokens are minted from the JWT secret.
type Member struct {
	ID         string `json:"id"`
	ExternalID string `json:"externalId"`
	Role       string `json:"role"`
}

// PortalSession is an open customer portal session.
type PortalSession struct {
	Token      string `json:"token"`
	CustomerID string `json:"customerId"`
	ProjectID  string `json:"projectId"`
}

// Staff returns the tenant's members that may move projects and track time
// (OWNER, ADMIN and MEMBER).
func (t Tenant) Staff() []Member {
	var out []Member
	for _, m := range t.Members {
		if m.Role != "VIEWER" {
			out = append(out, m)
		}
	}
	return out
}

// credentials derives the platform key and JWT secret from the seed: the
// dataset is for benchmarks, never for production.
func credentials(seed uint64) (platformKey, jwtSecret string) {
	return fmt.Sprintf("lk_bench-platform-key-%d", seed), fmt.Sprintf("bench-jwt-secret-%d-0123456789abcdef", seed)
}
