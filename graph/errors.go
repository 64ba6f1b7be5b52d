package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"entgo.io/ent/privacy"
	"github.com/99designs/gqlgen/graphql"
	gqlerrcode "github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/sdk/errcode"
)

// internalMessage is all a caller learns about an unexpected failure.
const internalMessage = "internal error"

// ErrorPresenter maps every error to the contract's extensions.code. Domain
// errors (errcode.Error) keep their code, message and details; ent's not
// found and privacy denials become NOT_FOUND (another tenant's row does not
// exist for the caller); unique violations CONFLICT; ent validation
// VALIDATION with the field; GraphQL parse and validation failures
// VALIDATION. Anything else is INTERNAL with a generic message, logged.
func ErrorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if input, ok := err.(*gqlerror.Error); ok && input.Unwrap() != nil && isArgumentError(ctx, input) {
			// An argument or variable that did not coerce: the input is
			// wrong, not the server.
			code, message, details := errcode.Validation, input.Unwrap().Error(), map[string]any(nil)
			if e, ok := errcode.As(input.Unwrap()); ok {
				code, message, details = e.Code, e.Message, e.Details
			}
			input.Message = message
			return withCode(input, code, details)
		}
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		cause := gqlErr.Unwrap()
		if cause == nil {
			// An error gqlgen or gqlparser produced itself.
			return withCode(gqlErr, protocolCode(gqlErr), nil)
		}
		code, message, details := classify(cause)
		if code == errcode.Internal {
			logger.ErrorContext(ctx, "graphql: internal error", "path", gqlErr.Path.String(), "err", cause)
			message = internalMessage
		}
		gqlErr.Message = message
		return withCode(gqlErr, code, details)
	}
}

// isArgumentError tells an argument's coercion error, whose path goes below
// the field to the argument, from a resolver's error, whose path is the
// field's own.
func isArgumentError(ctx context.Context, e *gqlerror.Error) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && len(e.Path) > len(fc.Path())
}

// classify returns the contract code, the caller-facing message and details
// of a resolver error.
func classify(err error) (errcode.Code, string, map[string]any) {
	if e, ok := errcode.As(err); ok {
		return e.Code, e.Message, e.Details
	}
	var gqlErr *gqlerror.Error
	var validation *ent.ValidationError
	switch {
	case errors.As(err, &gqlErr):
		// entgql's node-not-found and errors gqlgen wrapped around input.
		if c, ok := gqlErr.Extensions["code"].(string); ok && c == string(errcode.NotFound) {
			return errcode.NotFound, gqlErr.Message, nil
		}
		return errcode.Validation, gqlErr.Message, nil
	case ent.IsNotFound(err), errors.Is(err, privacy.Deny):
		return errcode.NotFound, "not found", nil
	case ent.IsConstraintError(err):
		return errcode.Conflict, "conflicts with an existing record", nil
	case errors.As(err, &validation):
		return errcode.Validation, fmt.Sprintf("invalid %s", validation.Name), map[string]any{"field": validation.Name}
	case errors.Is(err, context.DeadlineExceeded):
		return errcode.Timeout, "the request took longer than its time limit", nil
	}
	return errcode.Internal, internalMessage, nil
}

// protocolCode maps gqlgen's own errors (parse, validation, input coercion).
func protocolCode(e *gqlerror.Error) errcode.Code {
	if c, ok := e.Extensions["code"].(string); ok {
		switch c {
		case gqlerrcode.ValidationFailed, gqlerrcode.ParseFailed:
			return errcode.Validation
		}
		if errcode.Code(c).Known() {
			return errcode.Code(c)
		}
	}
	return errcode.Validation
}

func withCode(e *gqlerror.Error, code errcode.Code, details map[string]any) *gqlerror.Error {
	ext := make(map[string]any, len(details)+1)
	for k, v := range details {
		ext[k] = v
	}
	ext["code"] = string(code)
	e.Extensions = ext
	return e
}

// RecoverFunc turns a resolver panic into an INTERNAL error and logs it.
func RecoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "graphql: panic", "panic", p, "stack", string(debug.Stack()))
		return errcode.New(errcode.Internal, internalMessage)
	}
}
