// Package errcode is the error vocabulary of Lanes: the codes of the public
// contract (extensions.code in GraphQL) and an error type that carries one.
//
// Domain services return these errors (usually wrapped with context); the
// GraphQL edge and the Go SDK hand the code to the caller unchanged. It is a
// leaf package so that every layer, tenant and policies included, can use it.
//
// From is the one mapping of any error to a code, used by every edge: the
// GraphQL error presenter, the REST endpoints and the Go SDK (CodeOf, As,
// and the domain services' transactions). Errors of other packages (ent,
// the database drivers) are classified by a Classifier that their owner
// registers: this package cannot import them (ent imports tenant, which
// imports errcode).
package errcode

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync/atomic"
)

// Code is one of the contract's error codes.
type Code string

// The contract's error codes (../shared/api/README.md, "Errors").
const (
	Unauthenticated      Code = "UNAUTHENTICATED"
	Forbidden            Code = "FORBIDDEN"
	NotFound             Code = "NOT_FOUND"
	Validation           Code = "VALIDATION"
	Conflict             Code = "CONFLICT"
	StatusMandatory      Code = "STATUS_MANDATORY"
	StatusInUse          Code = "STATUS_IN_USE"
	StatusDisabled       Code = "STATUS_DISABLED"
	TransitionNotAllowed Code = "TRANSITION_NOT_ALLOWED"
	ChecklistIncomplete  Code = "CHECKLIST_INCOMPLETE"
	WIPLimit             Code = "WIP_LIMIT"
	FeatureLocked        Code = "FEATURE_LOCKED"
	PaymentRequired      Code = "PAYMENT_REQUIRED"
	TokenInvalid         Code = "TOKEN_INVALID"
	RateLimited          Code = "RATE_LIMITED"
	QueryTooComplex      Code = "QUERY_TOO_COMPLEX"
	Internal             Code = "INTERNAL"
	// RequiredFields: the target status needs project fields that are
	// not set (extensions.fields lists them).
	RequiredFields Code = "REQUIRED_FIELDS"
	// Archived: an action on an archived project (a declined lead); an
	// ADMIN's reopenProject lifts it.
	Archived Code = "ARCHIVED"

	// Unavailable: the database (or another dependency) is down or
	// overloaded; the same request may succeed later (HTTP 503,
	// Retry-After).
	Unavailable Code = "UNAVAILABLE"
	// Timeout: the request, or one of its statements, ran past its
	// deadline (HTTP 503, Retry-After).
	Timeout Code = "TIMEOUT"
)

// Codes lists every code of the contract, in the order above.
var Codes = []Code{
	Unauthenticated, Forbidden, NotFound, Validation, Conflict, StatusMandatory, StatusInUse,
	StatusDisabled, TransitionNotAllowed, ChecklistIncomplete, WIPLimit, FeatureLocked,
	PaymentRequired, TokenInvalid, RateLimited, QueryTooComplex, Internal, Unavailable, Timeout,
	RequiredFields, Archived,
}

// Known reports whether c is one of Codes.
func (c Code) Known() bool {
	for _, k := range Codes {
		if c == k {
			return true
		}
	}
	return false
}

// Retryable reports whether a request that failed with c may succeed
// unchanged later; such answers carry Retry-After.
func (c Code) Retryable() bool {
	return c == RateLimited || c == Unavailable || c == Timeout
}

// HTTPStatus is the HTTP status of an answer that failed with c as a
// whole: the REST endpoints' errors and GraphQL requests refused before or
// instead of executing (rate limits, the database down, timeouts).
func (c Code) HTTPStatus() int {
	switch c {
	case Unauthenticated, TokenInvalid:
		return http.StatusUnauthorized
	case Forbidden, FeatureLocked:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Validation, QueryTooComplex:
		return http.StatusBadRequest
	case PaymentRequired:
		return http.StatusPaymentRequired
	case RateLimited:
		return http.StatusTooManyRequests
	case Unavailable, Timeout:
		return http.StatusServiceUnavailable
	case Internal:
		return http.StatusInternalServerError
	}
	return http.StatusConflict // the rules' refusals: the request conflicts with the state
}

// Error is an error with a contract code, a message safe to show to the
// caller, and optional details (extensions) such as "field" or "projectCount".
type Error struct {
	Code    Code
	Message string
	// Details end up in the GraphQL error's extensions next to the code.
	Details map[string]any
	// sentinel is the error this one was derived from by With,
	// WithMessage or WithCause; errors.Is matches through it.
	sentinel *Error
	// cause is the error this one classifies (WithCause, From); Unwrap
	// returns it, so errors.Is and errors.As still reach the original.
	cause error
}

// New returns an error with the given code and caller-facing message.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Newf is New with a formatted message.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a VALIDATION error about one input field.
func Invalid(field, message string) *Error {
	return &Error{Code: Validation, Message: message, Details: map[string]any{"field": field}}
}

// Error is the caller-facing message, followed by the cause's text when
// there is one (for logs: edges show callers Message only).
func (e *Error) Error() string {
	if e.cause != nil {
		return e.Message + ": " + e.cause.Error()
	}
	return e.Message
}

// Unwrap returns the error e classifies, nil for a plain domain error.
func (e *Error) Unwrap() error { return e.cause }

// WithCause returns a copy of e that classifies cause: errors.Is(copy, e)
// holds, and errors.Is/As reach cause through the copy.
func (e *Error) WithCause(cause error) *Error {
	c := e.derive()
	c.cause = cause
	return c
}

// With returns a copy of e carrying one more detail.
func (e *Error) With(key string, value any) *Error {
	c := e.derive()
	c.Details = maps.Clone(e.Details)
	if c.Details == nil {
		c.Details = map[string]any{}
	}
	c.Details[key] = value
	return c
}

// WithMessage returns a copy of e with a more specific message.
func (e *Error) WithMessage(format string, args ...any) *Error {
	c := e.derive()
	c.Message = fmt.Sprintf(format, args...)
	return c
}

func (e *Error) derive() *Error {
	c := *e
	c.sentinel = e.root()
	return &c
}

func (e *Error) root() *Error {
	if e.sentinel != nil {
		return e.sentinel
	}
	return e
}

// Is makes errors.Is(err, sentinel) hold for copies made by With and
// WithMessage.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.root() == e.root()
}

// Classifier maps errors of a package errcode cannot import (ent, a
// database driver) to contract errors: the *Error err stands for (From
// attaches err as its cause), or nil when it does not know err.
type Classifier func(err error) *Error

var classifiers atomic.Pointer[[]Classifier]

// RegisterClassifier adds a classifier that From consults, after the errors
// in the chain and the context's, in the order of registration. The owner
// of the errors calls it from its init: Lanes' ent and database errors are
// registered by the package every domain service uses for its transactions
// (sdk/internal/entx), so every program that reaches Lanes' services,
// through the Go SDK or GraphQL, classifies them.
func RegisterClassifier(c Classifier) {
	for {
		old := classifiers.Load()
		var next []Classifier
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, c)
		if classifiers.CompareAndSwap(old, &next) {
			return
		}
	}
}

// Errors of the context ending, the cause attached by From.
var (
	ErrDeadline = New(Timeout, "the request took longer than its time limit; retry later or ask for less")
	ErrCanceled = New(Timeout, "the request was canceled before it finished; retry")
	// ErrInternal is the classification of an error nothing knows; its
	// message says nothing about the cause.
	ErrInternal = New(Internal, "internal error")
)

// From maps err to its contract error: the first *Error in err's chain;
// else the context's end (context.DeadlineExceeded, context.Canceled:
// TIMEOUT); else what a registered Classifier makes of it; else INTERNAL.
// A classification keeps err as its cause (errors.Is, errors.As and
// Unwrap reach it). From(nil) is nil.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ErrDeadline.WithCause(err)
	case errors.Is(err, context.Canceled):
		return ErrCanceled.WithCause(err)
	}
	if cs := classifiers.Load(); cs != nil {
		for _, c := range *cs {
			if e := c(err); e != nil {
				return e.WithCause(err)
			}
		}
	}
	return ErrInternal.WithCause(err)
}

// Classify returns err unchanged when its chain holds an *Error, else
// From(err): an error whose chain is sure to hold one (errors.As with an
// *Error target succeeds), for services to return. Classify(nil) is nil.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return From(err)
}

// As returns err's contract error (From): the *Error in its chain, or the
// classification of err. It is false only for a nil err.
func As(err error) (*Error, bool) {
	e := From(err)
	return e, e != nil
}

// CodeOf returns the code of err's contract error (From), or "" for nil.
func CodeOf(err error) Code {
	if e := From(err); e != nil {
		return e.Code
	}
	return ""
}
