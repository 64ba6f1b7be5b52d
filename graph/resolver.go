// Package graph is the GraphQL adapter: thin resolvers over the domain
// services, the error presenter and the request limits.
package graph

import (
	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/sdk/deals"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/notifications"
	"github.com/lanes-dev/lanes/sdk/portal"
	"github.com/lanes-dev/lanes/sdk/tenancy"
	"github.com/lanes-dev/lanes/sdk/timetrack"
	"github.com/lanes-dev/lanes/sdk/webhook"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// Resolver is the root resolver; it holds the domain services.
type Resolver struct {
	Client  *ent.Client
	Tenancy *tenancy.Service
	// Engine is the workflow engine (sdk/workflow).
	Engine *workflow.Service
	// CustomerPortal is the portal service (sdk/portal).
	CustomerPortal *portal.Service
	// Time is time tracking (sdk/timetrack).
	Time *timetrack.Service
	// Deals is payments, completion, surveys and reviews (sdk/deals).
	Deals *deals.Service
	// EventLog is the event log and its feed (sdk/events).
	EventLog *events.Log
	// Webhooks manages webhook endpoints (sdk/webhook).
	Webhooks *webhook.Service
	// Notifications is each member's feed (sdk/notifications).
	Notifications *notifications.Service
}
