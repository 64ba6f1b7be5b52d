package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"entgo.io/ent/dialect"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/automation"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/schema/schematype"
	"github.com/lanes-dev/lanes/ent/status"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/portal"
	"github.com/lanes-dev/lanes/sdk/tenancy"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/sdk/workflow/rank"
	"github.com/lanes-dev/lanes/tenant/auth"
	"github.com/lanes-dev/lanes/tenant/role"
)

// Options configure Generate.
type Options struct {
	Size   Size
	Seed   uint64
	Anchor time.Time
	// Logf reports progress (optional).
	Logf func(format string, args ...any)
}

// Config returns the sdk configuration a generator or a server needs for a
// dataset of that seed: the derived platform key and JWT secret.
func Config(databaseURL string, seed uint64) sdk.Config {
	key, secret := credentials(seed)
	return sdk.Config{DatabaseURL: databaseURL, PlatformKey: key, JWT: auth.JWTConfig{Secret: []byte(secret)}}
}

// Generate writes the dataset into an empty Lanes database and returns its
// manifest.
func Generate(ctx context.Context, l *sdk.Lanes, opts Options) (*Manifest, error) {
	if opts.Anchor.IsZero() {
		opts.Anchor = DefaultAnchor
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	key, secret := credentials(opts.Seed)
	m := &Manifest{
		Version: Version, Size: opts.Size.Name, Seed: opts.Seed, Anchor: opts.Anchor,
		PlatformKey: key, JWTSecret: secret, Rows: map[string]int{},
	}
	started := time.Now()
	for i := range opts.Size.Tenants {
		g := &tenantGen{l: l, opts: opts, index: i, rng: rand.New(rand.NewPCG(opts.Seed, uint64(i))), rows: m.Rows}
		t, err := g.run(ctx)
		if err != nil {
			return nil, fmt.Errorf("tenant %d: %w", i, err)
		}
		m.Tenants = append(m.Tenants, *t)
		opts.Logf("tenant %d/%d (%s): %d projects, %d time entries (%s)",
			i+1, opts.Size.Tenants, t.Slug, t.Projects, t.TimeEntries, time.Since(started).Round(time.Second))
	}
	if l.Dialect() == dialect.Postgres {
		// What autovacuum would do on a live database: statistics and the
		// visibility map, so plans and index-only scans are realistic.
		if _, err := l.DB().ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return nil, fmt.Errorf("vacuum analyze: %w", err)
		}
	}
	return m, nil
}

// tenantGen writes one tenant.
type tenantGen struct {
	l     *sdk.Lanes
	opts  Options
	index int
	rng   *rand.Rand
	rows  map[string]int

	ctx      context.Context // the platform inside the tenant
	out      *Tenant
	members  []*ent.Member
	staff    []pulid.ID
	website  []*ent.Status
	leads    map[string]*ent.Status
	websites []*ent.Project // website projects, with their status index
	stepOf   map[pulid.ID]int
}

func (g *tenantGen) run(ctx context.Context) (*Tenant, error) {
	slug := fmt.Sprintf("%s-%03d", lower(g.opts.Size.Name), g.index)
	outside, err := g.l.AsPlatform(ctx, "")
	if err != nil {
		return nil, err
	}
	t, err := g.l.Tenants.CreateTenant(outside, tenancy.CreateTenantInput{Slug: slug, Name: fmt.Sprintf("Agency %03d", g.index)})
	if err != nil {
		return nil, fmt.Errorf("create tenant: %w", err)
	}
	if g.ctx, err = g.l.AsPlatform(ctx, slug); err != nil {
		return nil, err
	}
	g.out = &Tenant{ID: string(t.ID), Slug: slug}
	steps := []func() error{g.addMembers, g.loadStatuses, g.addProjects, g.addTimeEntries, g.openPortalSessions, g.overrideFeatures, g.addAutomation}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return g.out, nil
}

func (g *tenantGen) addMembers() error {
	n := g.opts.Size.MembersPerTenant
	for j := range n {
		r := role.Member
		switch {
		case j == 0:
			r = role.Admin
		case j == n-1:
			r = role.Viewer
		}
		ext := fmt.Sprintf("m%02d", j)
		email := fmt.Sprintf("%s@%s.example", ext, g.out.Slug)
		mem, err := g.l.Tenants.AddMember(g.ctx, tenancy.AddMemberInput{ExternalID: ext, Name: fmt.Sprintf("Member %02d", j), Email: &email, Role: r})
		if err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		g.members = append(g.members, mem)
		if r != role.Viewer {
			g.staff = append(g.staff, mem.ID)
		}
		g.out.Members = append(g.out.Members, Member{ID: string(mem.ID), ExternalID: ext, Role: string(r)})
	}
	g.rows["members"] += n
	return nil
}

func (g *tenantGen) loadStatuses() error {
	c := g.l.Client()
	ws, err := c.Workflow.Query().
		WithStatuses(func(q *ent.StatusQuery) { q.Order(ent.Asc(status.FieldPosition)) }).
		Where(entworkflow.KeyIn("website", "leads")).
		All(g.ctx)
	if err != nil {
		return fmt.Errorf("load workflows: %w", err)
	}
	g.leads = map[string]*ent.Status{}
	for _, w := range ws {
		switch w.Key {
		case "website":
			g.website = w.Edges.Statuses
		case "leads":
			for _, st := range w.Edges.Statuses {
				g.leads[st.Key] = st
			}
		}
	}
	if len(g.website) == 0 || len(g.leads) == 0 {
		return fmt.Errorf("the website and leads templates are not installed")
	}
	return nil
}

// websiteWeights spreads website projects over the 13 statuses (percent):
// many leads and finished sites, fewer in the late production steps.
var websiteWeights = []int{12, 10, 9, 8, 7, 10, 6, 8, 6, 5, 4, 12, 3}

// leadWeights spreads partner leads (percent).
var leadWeights = []struct {
	key    string
	weight int
}{{"new", 30}, {"active", 30}, {"secured", 15}, {"completed", 15}, {"declined", 10}}

func pick(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// inBatches calls fn over [0, n) in slices of at most size.
func inBatches(n, size int, fn func(start, end int) error) error {
	for start := 0; start < n; start += size {
		if err := fn(start, min(n, start+size)); err != nil {
			return err
		}
	}
	return nil
}

// planned is a project before it is written.
type planned struct {
	website bool
	step    int    // website: index of its status
	lead    string // leads: its status key
	created time.Time
	rank    string
}

func (g *tenantGen) plan() ([]planned, error) {
	n := g.opts.Size.ProjectsPerTenant
	plans := make([]planned, n)
	columns := map[string][]int{}
	leadKeys := make([]int, len(leadWeights))
	for i, lw := range leadWeights {
		leadKeys[i] = lw.weight
	}
	for i := range plans {
		p := &plans[i]
		p.created = g.opts.Anchor.Add(-time.Duration(1+g.rng.IntN(365*24)) * time.Hour)
		var column string
		if g.rng.IntN(100) < 80 {
			p.website, p.step = true, pick(g.rng, websiteWeights)
			column = g.website[p.step].Key
		} else {
			p.lead = leadWeights[pick(g.rng, leadKeys)].key
			column = "leads/" + p.lead
		}
		columns[column] = append(columns[column], i)
	}
	for _, idx := range columns {
		ranks, err := rank.N("", "", len(idx))
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			plans[i].rank = ranks[j]
		}
	}
	return plans, nil
}

var declineReasons = []project.ArchiveReason{
	project.ArchiveReasonBUDGET_TOO_LOW, project.ArchiveReasonAT_CAPACITY, project.ArchiveReasonSERVICE_NOT_OFFERED,
	project.ArchiveReasonCUSTOMER_DECLINED, project.ArchiveReasonOTHER,
}

func (g *tenantGen) addProjects() error {
	plans, err := g.plan()
	if err != nil {
		return err
	}
	c := g.l.Client()
	customers, err := g.addCustomers(len(plans)/3 + 1)
	if err != nil {
		return err
	}
	g.stepOf = map[pulid.ID]int{}
	return inBatches(len(plans), 1000, func(start, end int) error {
		builders := make([]*ent.ProjectCreate, 0, end-start)
		for i := start; i < end; i++ {
			builders = append(builders, g.projectCreate(c, plans[i], i, customers[g.rng.IntN(len(customers))]))
		}
		ps, err := c.Project.CreateBulk(builders...).Save(g.ctx)
		if err != nil {
			return fmt.Errorf("create projects: %w", err)
		}
		g.rows["projects"] += len(ps)
		g.out.Projects += len(ps)
		if err := g.addHistoryAndTodos(ps, plans[start:end]); err != nil {
			return err
		}
		for k, p := range ps {
			pl := plans[start+k]
			switch {
			case pl.website:
				g.websites = append(g.websites, p)
				g.stepOf[p.ID] = pl.step
				if len(g.out.WebsiteProjects) < 1000 {
					g.out.WebsiteProjects = append(g.out.WebsiteProjects, string(p.ID))
				}
			case pl.lead == "new" && len(g.out.LeadProjects) < 1000:
				g.out.LeadProjects = append(g.out.LeadProjects, string(p.ID))
			}
		}
		return nil
	})
}

func (g *tenantGen) projectCreate(c *ent.Client, pl planned, i int, customer pulid.ID) *ent.ProjectCreate {
	b := c.Project.Create().SetCustomerID(customer).SetRank(pl.rank).
		SetCreatedAt(pl.created).SetUpdatedAt(pl.created.Add(time.Duration(g.rng.IntN(30*24)) * time.Hour))
	if pl.website {
		st := g.website[pl.step]
		return b.SetWorkflowID(st.WorkflowID).SetStatusID(st.ID).SetTitle(fmt.Sprintf("Website %05d", i)).SetVersion(1 + min(pl.step, 3))
	}
	st := g.leads[pl.lead]
	b.SetWorkflowID(st.WorkflowID).SetStatusID(st.ID).SetTitle(fmt.Sprintf("Lead %05d", i))
	switch pl.lead {
	case "declined":
		b.SetArchived(true).SetArchiveReason(declineReasons[g.rng.IntN(len(declineReasons))]).SetVersion(2)
	case "active":
		b.SetProgressKey("contacted").SetProgressUpdatedAt(pl.created.Add(time.Hour)).SetVersion(3)
	case "secured":
		b.SetVersion(4)
	case "completed":
		b.SetCompletedAt(pl.created.Add(20 * 24 * time.Hour)).SetFinalDealAmount(int64(50_000 + g.rng.IntN(500_000))).
			SetFinalDealCurrency("EUR").SetVersion(5)
	}
	return b
}

func (g *tenantGen) addCustomers(n int) ([]pulid.ID, error) {
	c := g.l.Client()
	var ids []pulid.ID
	err := inBatches(n, 1000, func(start, end int) error {
		builders := make([]*ent.CustomerCreate, 0, end-start)
		for i := start; i < end; i++ {
			company := fmt.Sprintf("Company %05d", i)
			builders = append(builders, c.Customer.Create().SetName(fmt.Sprintf("Customer %05d", i)).SetCompany(company))
		}
		cs, err := c.Customer.CreateBulk(builders...).Save(g.ctx)
		if err != nil {
			return fmt.Errorf("create customers: %w", err)
		}
		for _, cu := range cs {
			ids = append(ids, cu.ID)
		}
		return nil
	})
	g.rows["customers"] += len(ids)
	return ids, err
}

// addHistoryAndTodos writes each project's way to its status (the last few
// steps: create, then moves or lead actions) and two to-dos in its status,
// one done and one open.
func (g *tenantGen) addHistoryAndTodos(ps []*ent.Project, plans []planned) error {
	c := g.l.Client()
	var hist []*ent.StatusChangeCreate
	var todos []*ent.TodoCreate
	for k, p := range ps {
		pl := plans[k]
		actor := "member:" + string(g.staff[g.rng.IntN(len(g.staff))])
		at := pl.created
		add := func(from *pulid.ID, to pulid.ID, action string) {
			hc := c.StatusChange.Create().SetProjectID(p.ID).SetToStatusID(to).SetAction(action).SetActor(actor).SetAt(at)
			if from != nil {
				hc.SetFromStatusID(*from)
			}
			hist = append(hist, hc)
			at = at.Add(time.Duration(1+g.rng.IntN(14*24)) * time.Hour)
		}
		for _, step := range g.path(pl) {
			add(step.from, step.to, step.action)
		}
		todos = append(todos,
			c.Todo.Create().SetProjectID(p.ID).SetStatusID(p.StatusID).SetTitle("Kick-off call").SetDone(true).SetDoneAt(at).SetAuthor(actor),
			c.Todo.Create().SetProjectID(p.ID).SetStatusID(p.StatusID).SetTitle("Send the summary").SetAuthor(actor))
	}
	if err := inBatches(len(hist), 2000, func(s, e int) error { return c.StatusChange.CreateBulk(hist[s:e]...).Exec(g.ctx) }); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	if err := inBatches(len(todos), 2000, func(s, e int) error { return c.Todo.CreateBulk(todos[s:e]...).Exec(g.ctx) }); err != nil {
		return fmt.Errorf("write to-dos: %w", err)
	}
	g.rows["status_changes"] += len(hist)
	g.rows["todos"] += len(todos)
	return nil
}

type step struct {
	from   *pulid.ID
	to     pulid.ID
	action string
}

// path is the history of a planned project: for a website, created three
// statuses back (or at the first) and moved forward; for a lead, the
// actions of the leads workflow that lead to its status.
func (g *tenantGen) path(pl planned) []step {
	var ids []pulid.ID
	var actions []string
	if pl.website {
		for i := max(0, pl.step-3); i <= pl.step; i++ {
			ids = append(ids, g.website[i].ID)
			actions = append(actions, "move")
		}
	} else {
		chain := map[string][]string{
			"new": {"new"}, "active": {"new", "active"}, "secured": {"new", "active", "secured"},
			"completed": {"new", "active", "secured", "completed"}, "declined": {"new", "declined"},
		}[pl.lead]
		verbs := map[string]string{"active": "accept", "secured": "secure", "completed": "complete", "declined": "decline"}
		for _, key := range chain {
			ids = append(ids, g.leads[key].ID)
			actions = append(actions, verbs[key])
		}
	}
	out := make([]step, len(ids))
	for i, id := range ids {
		out[i] = step{to: id, action: actions[i]}
		if i == 0 {
			out[i].action = "create"
		} else {
			out[i].from = &ids[i-1]
		}
	}
	return out
}

// addTimeEntries writes the tenant's stopped time entries: website
// projects, staff members, a status the project went through, over the 90
// days before the anchor.
func (g *tenantGen) addTimeEntries() error {
	n := g.opts.Size.entriesFor(g.index)
	c := g.l.Client()
	err := inBatches(n, 2000, func(start, end int) error {
		builders := make([]*ent.TimeEntryCreate, 0, end-start)
		for range end - start {
			p := g.websites[g.rng.IntN(len(g.websites))]
			st := g.website[g.rng.IntN(g.stepOf[p.ID]+1)]
			began := g.opts.Anchor.Add(-time.Duration(1+g.rng.IntN(90*24*60)) * time.Minute)
			secs := 60 * (5 + g.rng.IntN(240))
			builders = append(builders, c.TimeEntry.Create().
				SetProjectID(p.ID).SetMemberID(g.staff[g.rng.IntN(len(g.staff))]).SetStatusID(st.ID).
				SetStartedAt(began).SetEndedAt(began.Add(time.Duration(secs)*time.Second)).SetSeconds(secs).
				SetBillable(g.rng.IntN(10) > 0))
		}
		return c.TimeEntry.CreateBulk(builders...).Exec(g.ctx)
	})
	if err != nil {
		return fmt.Errorf("write time entries: %w", err)
	}
	g.rows["time_entries"] += n
	g.out.TimeEntries = n
	return nil
}

// openPortalSessions invites the customers of the first website projects
// and accepts the invitations, as customers would.
func (g *tenantGen) openPortalSessions() error {
	for j := range min(g.opts.Size.PortalSessions, len(g.websites)) {
		p := g.websites[j]
		inv, err := g.l.Portal.InviteCustomer(g.ctx, portal.InviteCustomerInput{
			ProjectID: p.ID, Email: fmt.Sprintf("customer%02d@%s.example", j, g.out.Slug),
		})
		if err != nil {
			return fmt.Errorf("invite customer: %w", err)
		}
		s, err := g.l.Portal.AcceptInvitation(context.WithoutCancel(g.ctx), inv.Token)
		if err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		g.out.Portal = append(g.out.Portal, PortalSession{Token: s.Token, CustomerID: string(s.CustomerID), ProjectID: string(p.ID)})
	}
	g.rows["portal_sessions"] += len(g.out.Portal)
	return nil
}

// overrideFeatures gives every tenant a grant and a deny, so feature
// decisions read tenant policies, not only the defaults.
func (g *tenantGen) overrideFeatures() error {
	for _, o := range []struct {
		status  string
		feature policies.Feature
		enabled bool
	}{{"lead", policies.Statistics, true}, {"done", policies.Store, false}} {
		if _, err := g.l.Portal.SetPortalFeature(g.ctx, "website", o.status, o.feature, o.enabled); err != nil {
			return fmt.Errorf("override %s in %s: %w", o.feature, o.status, err)
		}
	}
	g.rows["policy_rules"] += 2
	return nil
}

// addAutomation gives every project entering "creation" two to-dos (after
// the projects are written, so their history needs none), so that moves in
// the benchmarks run automations.
func (g *tenantGen) addAutomation() error {
	_, err := g.l.Workflows.CreateAutomation(g.ctx, workflow.CreateAutomationInput{
		Workflow: "website", Status: "creation", On: automation.TriggerENTER,
		Todos: []schematype.TodoTemplate{{Title: "Set up the staging site"}, {Title: "Collect the content"}},
	})
	if err != nil {
		return fmt.Errorf("create automation: %w", err)
	}
	g.rows["automations"]++
	return nil
}
