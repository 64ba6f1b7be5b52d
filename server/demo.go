package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/tenancy"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant/auth"
	"github.com/lanes-dev/lanes/tenant/role"
)

const demoTenant = "demo"

// demoCredentials are what --demo prints.
type demoCredentials struct {
	platformKey string
	jwtSecret   []byte
	memberToken string
}

// prepareDemo turns on development mode and makes sure there is a platform
// key and a JWT secret, generating them when the environment gives none.
func prepareDemo(cfg *sdk.Config) *demoCredentials {
	cfg.Dev = true
	if cfg.PlatformKey == "" {
		cfg.PlatformKey = auth.NewSecret("lk_")
	}
	if len(cfg.JWT.Secret) == 0 && len(cfg.JWT.PublicKeysPEM) == 0 {
		cfg.JWT.Secret = []byte(auth.NewSecret(""))
	}
	cfg.Demo = &sdk.DemoSignIn{Tenant: demoTenant}
	for _, m := range demoMembers {
		cfg.Demo.Members = append(cfg.Demo.Members, sdk.DemoMember{ExternalID: m.ExternalID, Name: m.Name, Role: m.Role})
	}
	return &demoCredentials{platformKey: cfg.PlatformKey, jwtSecret: cfg.JWT.Secret}
}

// demoMembers are the demo tenant's members, whom the console offers to
// sign in as.
var demoMembers = []tenancy.AddMemberInput{
	{ExternalID: "alice", Name: "Alice Owner", Role: role.Owner},
	{ExternalID: "bob", Name: "Bob Designer", Role: role.Member},
	{ExternalID: "vera", Name: "Vera Viewer", Role: role.Viewer},
}

// seedDemo creates the demo tenant with both workflows and three members
// (OWNER alice, MEMBER bob, VIEWER vera); it is idempotent.
func seedDemo(ctx context.Context, lanes *sdk.Lanes, creds *demoCredentials) error {
	platform, err := lanes.AsPlatform(ctx, "")
	if err != nil {
		return err
	}
	_, err = lanes.Tenants.CreateTenant(platform, tenancy.CreateTenantInput{Slug: demoTenant, Name: "Demo Agency"})
	fresh := err == nil
	if err != nil && !errors.Is(err, tenancy.ErrSlugTaken) {
		return err
	}
	inTenant, err := lanes.AsPlatform(ctx, demoTenant)
	if err != nil {
		return err
	}
	for _, m := range demoMembers {
		if _, err := lanes.Tenants.AddMember(inTenant, m); err != nil && !errors.Is(err, tenancy.ErrMemberExists) {
			return err
		}
	}
	if fresh {
		if err := seedDemoProjects(inTenant, lanes); err != nil {
			return err
		}
	}
	if len(creds.jwtSecret) > 0 {
		creds.memberToken, err = auth.MintHS256(creds.jwtSecret, demoTenant, "alice", 24*time.Hour)
	}
	return err
}

// seedDemoProjects fills both boards with a few cards.
func seedDemoProjects(ctx context.Context, lanes *sdk.Lanes) error {
	for _, p := range []struct{ workflow, title, customer, status string }{
		{"website", "Bakery website", "Bea Baker", "lead"},
		{"website", "Roofing company site", "Rolf Roof", "preparation"},
		{"website", "Yoga studio relaunch", "Yara Yoga", "creation"},
		{"website", "Dentist practice", "Dr. Dent", "feedback"},
		{"website", "Florist shop", "Flora Bloom", "done"},
		{"leads", "Plumber needs a site", "Pete Pipe", "new"},
		{"leads", "Cafe online menu", "Carla Cafe", "new"},
	} {
		status := p.status
		proj, err := lanes.Workflows.CreateProject(ctx, workflow.CreateProjectInput{
			Workflow: p.workflow, Title: p.title, Customer: &workflow.CustomerInput{Name: p.customer},
			Status: &status,
		})
		if err != nil {
			return fmt.Errorf("demo project %q: %w", p.title, err)
		}
		if p.title == "Cafe online menu" {
			if _, err := lanes.Workflows.AcceptLead(ctx, proj.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *demoCredentials) print(w io.Writer, addr string) {
	base := "http://" + addr
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "" || host == "::" || host == "0.0.0.0") {
		base = "http://localhost:" + port
	}
	fmt.Fprintf(w, "\nLanes demo is running.\n\n")
	fmt.Fprintf(w, "  Console:       %s/   (sign in as alice, bob or vera)\n", base)
	fmt.Fprintf(w, "  Playground:    %s/playground   (with alice's token)\n", base)
	fmt.Fprintf(w, "  GraphQL:       %s/graphql\n", base)
	fmt.Fprintf(w, "  Platform key:  %s   (X-Api-Key; add X-Tenant: %s to act in the demo tenant)\n", d.platformKey, demoTenant)
	if d.memberToken != "" {
		fmt.Fprintf(w, "  Member token:  %s\n                 (alice, OWNER of %q, valid 24h; Authorization: Bearer ...)\n", d.memberToken, demoTenant)
	}
	fmt.Fprintf(w, "\nTry:\n")
	fmt.Fprintf(w, "  curl -s %s/graphql -H 'Content-Type: application/json' -H 'X-Api-Key: %s' -H 'X-Tenant: %s' \\\n    -d '{\"query\":\"{ viewer { kind role tenant { slug name } } }\"}'\n", base, d.platformKey, demoTenant)
	if d.memberToken != "" {
		fmt.Fprintf(w, "  curl -s %s/graphql -H 'Content-Type: application/json' -H 'Authorization: Bearer %s' \\\n    -d '{\"query\":\"{ board(workflow: \\\"website\\\") { columns { status { key } totalCount projects(first: 5) { edges { node { id title } } } } } }\"}'\n", base, d.memberToken)
	}
	fmt.Fprintln(w)
}

// runToken prints a member JWT signed with LANES_JWT_SECRET (development).
func runToken(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("lanes token", flag.ContinueOnError)
	tenantRef := fs.String("tenant", "", "tenant slug or ID (the tid claim)")
	sub := fs.String("sub", "", "member external ID (the sub claim)")
	ttl := fs.Duration("ttl", time.Hour, "token lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret := os.Getenv("LANES_JWT_SECRET")
	if *tenantRef == "" || *sub == "" || secret == "" {
		return errors.New("usage: LANES_JWT_SECRET=... lanes token -tenant <slug> -sub <externalId> [-ttl 1h]")
	}
	token, err := auth.MintHS256([]byte(secret), *tenantRef, *sub, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, token)
	return err
}
