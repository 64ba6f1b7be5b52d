package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/lanes-dev/lanes/bench/dataset"
	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// The contract's operations the load sends.
var (
	opBoard      = contractOperation("Board")
	opMove       = contractOperation("MoveProject")
	opStartTimer = contractOperation("StartTimer")
	opStopTimer  = contractOperation("StopTimer")
	opPortal     = contractOperation("Portal")
)

// websiteStatuses are the statuses of the website workflow a move picks its
// target from.
var websiteStatuses = []string{"lead", "interest", "preparation", "approval", "assign", "creation", "audit",
	"feedback", "revision", "publish", "change", "done", "redesign"}

// workloadKind is a kind of load: how it picks each request.
type workloadKind struct {
	name string
	pick func(*workload) call
}

// workloadKinds are the workloads by name, in the order of the report.
var workloadKinds = []workloadKind{
	{"board", (*workload).board},
	{"move", (*workload).move},
	{"timers", (*workload).timer},
	{"portal", (*workload).portal},
	{"mixed", (*workload).mixed},
}

// mixedShares are the mixed workload's request kinds with their share of
// the requests in percent (they add up to 100).
var mixedShares = []struct {
	percent int
	pick    func(*workload) call
}{
	{60, (*workload).board},
	{20, (*workload).move},
	{10, (*workload).timer},
	{10, (*workload).portal},
}

// leaseHeader carries the ID of the member a timer request was lent (see
// workload.timer); the server ignores it.
const leaseHeader = "X-Lanes-Load-Lease"

// tokenTTL outlives any run.
const tokenTTL = 24 * time.Hour

type operation struct{ name, document string }

func contractOperation(name string) operation {
	return operation{name: name, document: contract.MustOperation(name)}
}

// tenantClient is one tenant as the load's clients see it: its staff, the
// bearer credentials of its portal sessions and its open website projects.
type tenantClient struct {
	slug     string
	staff    []*memberClient
	portal   []string
	projects []string
}

// memberClient is a staff member (OWNER, ADMIN or MEMBER) with a token.
type memberClient struct {
	id     string
	tenant *tenantClient
	auth   string
	// timerRunning is what the member's next timer request must undo. It
	// outlives workloads because the server keeps the timer; only the
	// workload the member is lent to touches it.
	timerRunning bool
}

// newTenantClients mints a token for every staff member of the manifest's
// tenants, once, so that minting costs no request.
func newTenantClients(m *dataset.Manifest) ([]*tenantClient, error) {
	secret := []byte(m.JWTSecret)
	tenants := make([]*tenantClient, 0, len(m.Tenants))
	for _, t := range m.Tenants {
		tc := &tenantClient{slug: t.Slug, projects: t.WebsiteProjects}
		for _, s := range t.Portal {
			tc.portal = append(tc.portal, bearer(s.Token))
		}
		for _, member := range t.Staff() {
			token, err := auth.MintHS256(secret, t.Slug, member.ExternalID, tokenTTL)
			if err != nil {
				return nil, fmt.Errorf("mint a token for %s of %s: %w", member.ExternalID, t.Slug, err)
			}
			tc.staff = append(tc.staff, &memberClient{id: member.ID, tenant: tc, auth: bearer(token)})
		}
		if len(tc.staff) == 0 || len(tc.portal) == 0 || len(tc.projects) == 0 {
			return nil, fmt.Errorf("tenant %s lacks staff, portal sessions or open website projects", t.Slug)
		}
		tenants = append(tenants, tc)
	}
	return tenants, nil
}

func bearer(token string) string { return "Bearer " + token }

// call is one GraphQL request of the load.
type call struct {
	op   operation
	auth string
	vars map[string]any
	// lease is the ID of the member lent for a timer request, else empty.
	lease string
}

// workload builds the requests of one kind of load over a set of tenants,
// picking tenant, member, project and status at random for each request.
type workload struct {
	name    string
	pick    func(*workload) call
	tenants []*tenantClient

	mu  sync.Mutex // guards rng and the lending of members below
	rng *rand.Rand
	// A stop that reaches the server before the start it follows fails
	// (NOT_FOUND: no timer is running), so a member has at most one timer
	// request in flight: idle members are lent to timer requests and given
	// back when the response has arrived (see leaseReturner).
	idle     []*memberClient
	lent     map[string]*memberClient
	returned sync.Cond
}

// newWorkload returns the named workload over tenants, drawing its random
// picks from src.
func newWorkload(name string, tenants []*tenantClient, src rand.Source) (*workload, error) {
	kind, err := workloadKindNamed(name)
	if err != nil {
		return nil, err
	}
	w := &workload{name: name, pick: kind.pick, tenants: tenants, rng: rand.New(src), lent: map[string]*memberClient{}}
	w.returned.L = &w.mu
	for _, t := range tenants {
		w.idle = append(w.idle, t.staff...)
	}
	return w, nil
}

func workloadKindNamed(name string) (workloadKind, error) {
	i := slices.IndexFunc(workloadKinds, func(k workloadKind) bool { return k.name == name })
	if i < 0 {
		return workloadKind{}, fmt.Errorf("unknown workload %q", name)
	}
	return workloadKinds[i], nil
}

// next builds the workload's next request.
func (w *workload) next() call {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pick(w)
}

// The pick methods run with w.mu held.

func (w *workload) board() call {
	m := w.member(w.tenant())
	return call{op: opBoard, auth: m.auth, vars: map[string]any{"workflow": "website", "first": 20}}
}

func (w *workload) move() call {
	t := w.tenant()
	input := map[string]any{"id": w.project(t), "to": websiteStatuses[w.rng.IntN(len(websiteStatuses))]}
	return call{op: opMove, auth: w.member(t).auth, vars: map[string]any{"input": input}}
}

// timer starts the timer of an idle member on a project of its tenant, or
// stops it if it runs: per member the requests alternate, so no stop finds
// no timer.
func (w *workload) timer() call {
	m := w.lend()
	m.timerRunning = !m.timerRunning
	if !m.timerRunning {
		return call{op: opStopTimer, auth: m.auth, lease: m.id}
	}
	return call{op: opStartTimer, auth: m.auth, vars: map[string]any{"projectId": w.project(m.tenant)}, lease: m.id}
}

func (w *workload) portal() call {
	t := w.tenant()
	return call{op: opPortal, auth: t.portal[w.rng.IntN(len(t.portal))]}
}

func (w *workload) mixed() call {
	n := w.rng.IntN(100)
	for _, s := range mixedShares {
		if n < s.percent {
			return s.pick(w)
		}
		n -= s.percent
	}
	panic("mixedShares do not add up to 100")
}

func (w *workload) tenant() *tenantClient { return w.tenants[w.rng.IntN(len(w.tenants))] }

func (w *workload) member(t *tenantClient) *memberClient { return t.staff[w.rng.IntN(len(t.staff))] }

func (w *workload) project(t *tenantClient) string { return t.projects[w.rng.IntN(len(t.projects))] }

// lend takes a random idle member, waiting for one to be given back if all
// are lent (which only happens with more clients than staff).
func (w *workload) lend() *memberClient {
	for len(w.idle) == 0 {
		w.returned.Wait()
	}
	i := w.rng.IntN(len(w.idle))
	m := w.idle[i]
	w.idle[i] = w.idle[len(w.idle)-1]
	w.idle = w.idle[:len(w.idle)-1]
	w.lent[m.id] = m
	return m
}

// giveBack makes a lent member idle again.
func (w *workload) giveBack(memberID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m, ok := w.lent[memberID]; ok {
		delete(w.lent, memberID)
		w.idle = append(w.idle, m)
		w.returned.Signal()
	}
}

// targeter builds each request of the attack as it is sent.
func (w *workload) targeter(url string) vegeta.Targeter {
	return func(t *vegeta.Target) error { return w.next().target(url, t) }
}

func (c call) target(url string, t *vegeta.Target) error {
	body, err := json.Marshal(struct {
		OperationName string         `json:"operationName"`
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables,omitempty"`
	}{c.op.name, c.op.document, c.vars})
	if err != nil {
		return fmt.Errorf("encode %s: %w", c.op.name, err)
	}
	header := http.Header{"Content-Type": {"application/json"}, "Authorization": {c.auth}}
	if c.lease != "" {
		header.Set(leaseHeader, c.lease)
	}
	*t = vegeta.Target{Method: http.MethodPost, URL: url + sdk.GraphQLPath, Body: body, Header: header}
	return nil
}

// leaseReturner gives the member of a timer request back to its workload
// once the response has arrived: the server has committed the start or
// stop by then, so the member's next timer request cannot overtake it.
type leaseReturner struct {
	workload *workload
	next     http.RoundTripper
}

func (l leaseReturner) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if lease := req.Header.Get(leaseHeader); lease != "" {
		l.workload.giveBack(lease)
	}
	return resp, err
}
