// Package errcode is the error vocabulary of Lanes: the codes of the public
// contract (extensions.code in GraphQL) and an error type that carries one.
//
// Domain services return these errors (usually wrapped with context); the
// GraphQL edge and the Go SDK hand the code to the caller unchanged. It is a
// leaf package so that every layer, tenant and policies included, can use it.
package errcode

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
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
	// sentinel is the error this one was derived from by With or
	// WithMessage; errors.Is matches through it.
	sentinel *Error
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

func (e *Error) Error() string { return e.Message }

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

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}
