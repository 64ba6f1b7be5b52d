package sdk_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/tenancy"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// An embedding platform follows a tenant's events as they commit, and
// resumes after the last one it handled.
func ExampleLanes_events() {
	dir, _ := os.MkdirTemp("", "lanes-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	l, err := sdk.Open(ctx, sdk.Config{DataDir: dir, DatabaseURL: "sqlite:" + filepath.Join(dir, "lanes.db")})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	platform, _ := l.AsPlatform(ctx, "")
	if _, err := l.Tenants.CreateTenant(platform, tenancy.CreateTenantInput{Slug: "acme", Name: "Acme"}); err != nil {
		panic(err)
	}
	acme, _ := l.AsPlatform(ctx, "acme")

	watch, cancel := context.WithCancel(acme)
	stream, err := l.Events.Stream(watch, events.StreamOptions{Types: []string{"project.created", "project.moved"}})
	if err != nil {
		panic(err)
	}
	p, _ := l.Workflows.CreateProject(acme, workflow.CreateProjectInput{Workflow: "website", Title: "Bakery"})
	_, _ = l.Workflows.MoveProject(acme, workflow.MoveProjectInput{ID: p.ID, To: "interest"})

	var last *events.Live
	for range 2 {
		last = <-stream.C
		fmt.Println(last.Type, last.Data["project"].(map[string]any)["status"])
	}
	cancel()

	// Later (after a restart, say): resume after the last event handled.
	_, _ = l.Workflows.MoveProject(acme, workflow.MoveProjectInput{ID: p.ID, To: "preparation"})
	resumed, err := l.Events.Stream(acme, events.StreamOptions{After: &last.ID})
	if err != nil {
		panic(err)
	}
	e := <-resumed.C
	fmt.Println(e.Type, e.Data["project"].(map[string]any)["status"])
	// Output:
	// project.created lead
	// project.moved interest
	// project.moved preparation
}
