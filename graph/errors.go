package graph

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	gqlerrcode "github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// ErrorPresenter maps every error to the contract's extensions.code with
// errcode.From, the one mapping the REST endpoints and the Go SDK use too:
// domain errors (errcode.Error) keep their code, message and details;
// ent's not found and privacy denials become NOT_FOUND (another tenant's
// row does not exist for the caller); unique violations CONFLICT; ent
// validation VALIDATION with the field; the database down, busy or out of
// time UNAVAILABLE or TIMEOUT (which the HTTP layer answers with 503 and
// Retry-After); GraphQL parse and validation failures VALIDATION. Anything
// else is INTERNAL with a generic message, logged.
func ErrorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if input, ok := err.(*gqlerror.Error); ok && input.Unwrap() != nil && isArgumentError(ctx, input) {
			// An argument or variable that did not coerce: the input is
			// wrong, not the server.
			code, message, details := errcode.Validation, input.Unwrap().Error(), map[string]any(nil)
			var e *errcode.Error
			if errors.As(input.Unwrap(), &e) {
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
		e := classify(cause)
		switch {
		case e.Code == errcode.Internal:
			logger.ErrorContext(ctx, "graphql: internal error", "path", gqlErr.Path.String(), "err", cause)
			e = errcode.ErrInternal
		case e.Code.Retryable():
			logger.WarnContext(ctx, "graphql: retryable error", "path", gqlErr.Path.String(), "code", e.Code, "err", cause)
		}
		gqlErr.Message = e.Message
		return withCode(gqlErr, e.Code, e.Details)
	}
}

// isArgumentError tells an argument's coercion error, whose path goes below
// the field to the argument, from a resolver's error, whose path is the
// field's own.
func isArgumentError(ctx context.Context, e *gqlerror.Error) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && len(e.Path) > len(fc.Path())
}

// classify returns the contract error of a resolver error: errcode.From,
// after the GraphQL errors a resolver may pass on (entgql's node not
// found, gqlgen's errors about input), which only this edge knows.
func classify(err error) *errcode.Error {
	var coded *errcode.Error
	var gqlErr *gqlerror.Error
	if !errors.As(err, &coded) && errors.As(err, &gqlErr) {
		if c, ok := gqlErr.Extensions["code"].(string); ok && c == string(errcode.NotFound) {
			return errcode.New(errcode.NotFound, gqlErr.Message)
		}
		return errcode.New(errcode.Validation, gqlErr.Message)
	}
	return errcode.From(err)
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
		return errcode.ErrInternal
	}
}
