// Package events is Lanes' event log: every change of interest records an
// event in the change's own transaction (the log is the outbox), so a
// committed change always has its event and a refused or rolled-back one
// never does. Each tenant's events are numbered in commit order (seq), so
// a reader resuming after an event misses none committed later.
package events

import (
	"slices"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// Type is an event type of the contract (../shared/api/README.md, "Events,
// webhooks and notifications").
type Type string

// The event types.
const (
	ProjectCreated        Type = "project.created"
	ProjectMoved          Type = "project.moved"
	ProjectUpdated        Type = "project.updated"
	ProjectArchived       Type = "project.archived"
	TodoCreated           Type = "todo.created"
	TodoCompleted         Type = "todo.completed"
	PortalWishesSubmitted Type = "portal.wishes_submitted"
	PortalFileUploaded    Type = "portal.file_uploaded"
	PortalFeedbackPinned  Type = "portal.feedback_pinned"
	PaymentPaid           Type = "payment.paid"
	SurveyAnswered        Type = "survey.answered"
	// WebhookDisabled: Lanes disabled an endpoint that failed for days
	// (data: webhook {id, url}, reason).
	WebhookDisabled Type = "webhook.disabled"
	// ProjectReopened: an admin reopened an archived project (data:
	// project, previous {status}, note); its events flow again.
	ProjectReopened Type = "project.reopened"
	// TodoReopened: a done to-do is open again (data: project, todo).
	TodoReopened Type = "todo.reopened"
	// NoteAdded and NoteUpdated: a note of the team on a project (data:
	// project, note {id, body, shared, author}).
	NoteAdded   Type = "note.added"
	NoteUpdated Type = "note.updated"
)

// Types are all event types, in the contract's order.
var Types = []Type{
	ProjectCreated, ProjectMoved, ProjectUpdated, ProjectArchived,
	TodoCreated, TodoCompleted,
	PortalWishesSubmitted, PortalFileUploaded, PortalFeedbackPinned,
	PaymentPaid, SurveyAnswered,
	WebhookDisabled,
	ProjectReopened, TodoReopened, NoteAdded, NoteUpdated,
}

// Known reports whether t is one of Types.
func Known(t Type) bool { return slices.Contains(Types, t) }

// Event is what a change records: its type, the project it concerns (if
// any) and its data (JSON: the object after the change and, for updates,
// previous).
type Event struct {
	Type    Type
	Project pulid.ID
	Data    map[string]any
}

// ProjectData is a project as events carry it: {id, title, workflow,
// status, version, archived}.
func ProjectData(p *ent.Project, workflowKey, statusKey string) map[string]any {
	return map[string]any{
		"id":       p.ID,
		"title":    p.Title,
		"workflow": workflowKey,
		"status":   statusKey,
		"version":  p.Version,
		"archived": p.Archived,
	}
}

// TodoData is a to-do as events carry it: {id, title, blocking, done,
// assignee, dueAt}.
func TodoData(t *ent.Todo) map[string]any {
	return map[string]any{"id": t.ID, "title": t.Title, "blocking": t.Blocking, "done": t.Done, "assignee": t.AssigneeID, "dueAt": t.DueAt}
}

// NoteData is a note as events carry it: {id, body, shared, author}.
func NoteData(n *ent.Note) map[string]any {
	return map[string]any{"id": n.ID, "body": n.Body, "shared": n.Shared, "author": n.AuthorID}
}
