package workflow

import "github.com/lanes-dev/lanes/sdk/errcode"

// Errors of the workflow engine. Details (projectCount, currentVersion, ...)
// are added with With; errors.Is matches the sentinels either way.
var (
	ErrUnknownTemplate      = errcode.Invalid("templates", "unknown workflow template")
	ErrWorkflowNotFound     = errcode.New(errcode.NotFound, "workflow not found")
	ErrStatusNotFound       = errcode.New(errcode.NotFound, "status not found in this workflow")
	ErrProjectNotFound      = errcode.New(errcode.NotFound, "project not found")
	ErrTodoNotFound         = errcode.New(errcode.NotFound, "to-do not found")
	ErrAutomationNotFound   = errcode.New(errcode.NotFound, "automation not found")
	ErrCustomerNotFound     = errcode.New(errcode.NotFound, "customer not found")
	ErrStatusDisabled       = errcode.New(errcode.StatusDisabled, "the status is disabled")
	ErrStatusMandatory      = errcode.New(errcode.StatusMandatory, "a mandatory status cannot be disabled")
	ErrStatusInUse          = errcode.New(errcode.StatusInUse, "projects are in this status; move them first")
	ErrTransitionNotAllowed = errcode.New(errcode.TransitionNotAllowed, "this transition is not allowed")
	ErrNoNextStatus         = errcode.New(errcode.TransitionNotAllowed, "there is no next status")
	ErrArchived             = errcode.New(errcode.Archived, "the project is archived: an admin may reopen it")
	ErrChecklistIncomplete  = errcode.New(errcode.ChecklistIncomplete, "blocking to-dos of the current status are open")
	ErrWIPLimit             = errcode.New(errcode.WIPLimit, "the column is at its WIP limit")
	ErrVersionConflict      = errcode.New(errcode.Conflict, "the project changed since you read it")
	ErrProgressNotAllowed   = errcode.New(errcode.TransitionNotAllowed, "progress can only be set in the workflow's progress status")
	// ErrNeedUnmet: the transition needs something not provided (details:
	// "need"); services that provide it call TransitionTx.
	ErrNeedUnmet = errcode.New(errcode.TransitionNotAllowed, "the transition needs more")
)
