package entx

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"syscall"

	"entgo.io/ent/privacy"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/sdk/errcode"
)

// Lanes' ent and database errors are classified here, once, for every
// edge: errcode.From (and with it errcode.CodeOf and errcode.As, the
// GraphQL error presenter and the REST endpoints) consults Classify;
// WithTx returns every error of a domain mutation classified; and the
// store's driver wraps the retryable database failures of every statement
// (sdk/store), so reads carry their code too. errcode cannot import ent
// (ent imports tenant, which imports errcode), so the classifier is
// registered here, in the package every domain service imports for its
// transactions: whatever links a service links this.
func init() { errcode.RegisterClassifier(Classify) }

// The contract errors of ent's and the databases' failures. Messages say
// what happened in the caller's terms, never the database's text.
var (
	errNotFound   = errcode.New(errcode.NotFound, "not found")
	errConflict   = errcode.New(errcode.Conflict, "conflicts with an existing record")
	errContention = errcode.New(errcode.Unavailable, "the request collided with concurrent changes; retry")

	errUnavailable = errcode.New(errcode.Unavailable, "the database is unavailable; retry later")
	errBusy        = errcode.New(errcode.Unavailable, "the database is busy; retry later")

	errStatementTimeout = errcode.New(errcode.Timeout, "a database statement took longer than its time limit; retry later or ask for less")
	errLockTimeout      = errcode.New(errcode.Timeout, "the request waited too long for a database lock; retry later")

	errInvalidValue = errcode.New(errcode.Validation, "a value is not valid for the database")
	errTooLong      = errcode.New(errcode.Validation, "a value is too long")
	errBadText      = errcode.New(errcode.Validation, "text must be valid UTF-8 without NUL characters")
	errBadFormat    = errcode.New(errcode.Validation, "a value has an invalid format")
	errOutOfRange   = errcode.New(errcode.Validation, "a value is out of range")
	errTooComplex   = errcode.New(errcode.Validation, "the request is too complex for the database; ask for less")
)

// Classify maps ent's and the databases' errors to contract errors
// (errcode.Classifier); nil for errors it does not know, which are
// INTERNAL.
//
//   - ent not found and privacy denials: NOT_FOUND (another tenant's row
//     does not exist for the caller); constraint violations: CONFLICT;
//     ent validation: VALIDATION naming the field.
//   - The database unreachable or gone (connection refused or closed,
//     PostgreSQL classes 08, 53, 58 and 57P01-57P05, SQLite busy, locked,
//     full, I/O errors): UNAVAILABLE, retryable.
//   - Serialization failures and deadlocks (40001, 40P01): UNAVAILABLE as
//     well, not CONFLICT: the same request may succeed unchanged once the
//     concurrent transaction is done, whereas CONFLICT asks the caller to
//     change the request (a stale expectedVersion, a taken slug).
//   - statement_timeout and query cancellation (57014), lock_timeout
//     (55P03), idle-in-transaction timeouts (25P03), SQLite interrupts:
//     TIMEOUT, retryable.
//   - Values the database refuses (PostgreSQL class 22: too long, NUL or
//     invalid UTF-8, bad format, out of range; SQLite TOOBIG) and
//     statements too large or deep for it (class 54, SQLite's expression
//     tree and variable limits): VALIDATION.
func Classify(err error) *errcode.Error {
	var validation *ent.ValidationError
	switch {
	case ent.IsNotFound(err), errors.Is(err, privacy.Deny):
		return errNotFound
	case errors.As(err, &validation):
		return errcode.Invalid(validation.Name, "invalid "+validation.Name)
	case ent.IsConstraintError(err):
		return errConflict
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return errUnavailable
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return postgresError(pg)
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return sqliteError(lite)
	}
	switch {
	case pgconn.Timeout(err):
		return errStatementTimeout
	case isConnectionError(err):
		return errUnavailable
	}
	return nil
}

// postgresError classifies by SQLSTATE
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func postgresError(e *pgconn.PgError) *errcode.Error {
	code := e.Code
	class := code[:min(2, len(code))]
	switch code {
	case "57014": // query_canceled: statement_timeout, or a cancel request
		return errStatementTimeout
	case "55P03": // lock_not_available: lock_timeout
		return errLockTimeout
	case "25P03": // idle_in_transaction_session_timeout
		return errStatementTimeout
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return errContention
	case "57P01", "57P02", "57P03", "57P04", "57P05": // shutdowns, cannot connect now, dropped, idle session timeout
		return errUnavailable
	case "22001": // string_data_right_truncation
		return errTooLong
	case "22021", "22P05": // character_not_in_repertoire (NUL, bad UTF-8), untranslatable_character
		return errBadText
	case "22P02", "22007", "22023": // invalid_text_representation, invalid_datetime_format, invalid_parameter_value
		return errBadFormat
	case "22003", "22008", "22012": // numeric_value_out_of_range, datetime_field_overflow, division_by_zero
		return errOutOfRange
	}
	switch class {
	case "08": // connection_exception
		return errUnavailable
	case "53": // insufficient_resources: too many connections, disk full, out of memory
		return errBusy
	case "58": // system_error: I/O
		return errUnavailable
	case "22": // data_exception
		return errInvalidValue
	case "23": // integrity_constraint_violation
		return errConflict
	case "54": // program_limit_exceeded: statement too complex, too many columns or arguments
		return errTooComplex
	}
	return nil
}

// sqliteTooComplex are the messages of SQLITE_ERROR that mean a statement
// beyond SQLite's limits (https://www.sqlite.org/limits.html).
var sqliteTooComplex = []string{
	"expression tree is too large",
	"too many sql variables",
	"too many terms in compound select",
	"too many arguments on function",
	"too many columns",
	"parser stack overflow",
	"tables in a join",
}

// sqliteError classifies by result code (https://www.sqlite.org/rescode.html).
func sqliteError(e *sqlite.Error) *errcode.Error {
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return errBusy
	case sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_READONLY:
		return errUnavailable
	case sqlite3.SQLITE_INTERRUPT:
		return errStatementTimeout
	case sqlite3.SQLITE_TOOBIG:
		return errTooLong
	case sqlite3.SQLITE_CONSTRAINT:
		return errConflict
	case sqlite3.SQLITE_ERROR:
		msg := strings.ToLower(e.Error())
		for _, m := range sqliteTooComplex {
			if strings.Contains(msg, m) {
				return errTooComplex
			}
		}
	}
	return nil
}

// isConnectionError reports a connection that failed or went away below
// the SQL: database/sql's and pgx's closed connections, the network's
// errors. database/sql's closed pool and pgxpool's have no exported
// sentinel, only their text.
func isConnectionError(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &netErr):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "closed pool")
}
