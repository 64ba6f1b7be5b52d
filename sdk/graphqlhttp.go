package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
)

// Errors of requests refused before GraphQL sees them. None repeats the
// input: a client learns what was wrong, not its own bytes back.
var (
	errBodyTooLarge   = errcode.New(errcode.Validation, "request body too large")
	errBodyUnreadable = errcode.New(errcode.Validation, "could not read request body")
	errBodyTooSlow    = errcode.New(errcode.Timeout, "the request body did not arrive in time")
	errBodyNotJSON    = errcode.New(errcode.Validation,
		`request body must be a JSON object {"query": string, "operationName": string, "variables": object, "extensions": object}`)
	errNotUTF8        = errcode.New(errcode.Validation, "request is not valid UTF-8")
	errUploadLength   = errcode.New(errcode.Validation, "uploads must send Content-Length")
	errRequestTimeout = errcode.New(errcode.Timeout, "the request took longer than its time limit; retry later or ask for less")
)

// jsonBodyTimeout bounds the arrival of a JSON request body (at most
// MaxBodyBytes): a client sending slower holds a connection for nothing.
const jsonBodyTimeout = 10 * time.Second

// retryAfter is what Retry-After says for retryable errors, in seconds.
const retryAfter = "1"

// graphQLRequest serves GraphQL over HTTP (not WebSocket) within the
// request's limits:
//
//   - a JSON body is read whole, within MaxBodyBytes (413 beyond) and the
//     request timeout (slow senders are cut off), and must be a GraphQL
//     request object in UTF-8; a GET query string must be UTF-8 too;
//   - everything after, authentication, parsing and validation included,
//     runs under the request timeout: at the deadline the client gets
//     TIMEOUT (503) even if work is still finishing;
//   - the answer's HTTP status follows its errors' codes: 429 for
//     RATE_LIMITED, 503 for UNAVAILABLE and TIMEOUT (both with
//     Retry-After), and every error carries extensions.code.
func (l *Lanes) graphQLRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		deadline := time.Now().Add(l.cfg.RequestTimeout)
		// Slow senders: a JSON body must arrive within jsonBodyTimeout, an
		// upload before the deadline (the server's ReadHeaderTimeout
		// bounds the headers).
		bodyDeadline := deadline
		if !isUpload(r) {
			bodyDeadline = time.Now().Add(min(jsonBodyTimeout, l.cfg.RequestTimeout))
		}
		_ = http.NewResponseController(w).SetReadDeadline(bodyDeadline)
		body, status, failed := l.readGraphQLBody(w, r)
		if failed != nil {
			writeGraphQLError(w, status, failed)
			return
		}
		if r.Method == http.MethodGet && !validQueryString(r.URL.RawQuery) {
			writeGraphQLError(w, 0, errNotUTF8)
			return
		}
		r.Body = body
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		ctx, outcome := withOutcome(ctx)
		res := runBounded(ctx, l.cfg.Logger, next, r.WithContext(ctx), body)
		if res == nil || (res.status == 0 && ctx.Err() != nil) {
			// Out of time, or gave up when its context ended without a word.
			writeGraphQLError(w, 0, errRequestTimeout)
			return
		}
		res.writeTo(w, outcome.worst())
	})
}

func isUpload(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

// uploadRequestLimit bounds a multipart request: one file plus the
// operation around it.
func (l *Lanes) uploadRequestLimit() int64 { return l.cfg.MaxUploadBytes + 1<<20 }

// readGraphQLBody returns the request body to hand on: a JSON body read
// and checked here, an upload's body bounded by the upload limit. A
// refusal comes with its HTTP status (0: the code's).
func (l *Lanes) readGraphQLBody(w http.ResponseWriter, r *http.Request) (*guardedBody, int, *errcode.Error) {
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodOptions {
		return newGuardedBody(http.NoBody), 0, nil
	}
	if isUpload(r) {
		limit := l.uploadRequestLimit()
		switch {
		case r.ContentLength < 0:
			return nil, http.StatusLengthRequired, errUploadLength
		case r.ContentLength > limit:
			return nil, http.StatusRequestEntityTooLarge, errBodyTooLarge.With("limit", limit)
		}
		return newGuardedBody(http.MaxBytesReader(w, r.Body, limit)), 0, nil
	}
	limit := l.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, errBodyTooLarge.With("limit", limit)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge, errBodyTooLarge.With("limit", limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, http.StatusRequestTimeout, errBodyTooSlow
	case err != nil:
		return nil, 0, errBodyUnreadable
	case !utf8.Valid(raw):
		return nil, 0, errNotUTF8
	case !isGraphQLRequestJSON(raw):
		return nil, 0, errBodyNotJSON
	}
	return newGuardedBody(io.NopCloser(bytes.NewReader(raw))), 0, nil
}

// isGraphQLRequestJSON reports whether raw decodes as gqlgen's POST
// transport will decode it, so that its own error (which quotes the whole
// body) never happens.
func isGraphQLRequestJSON(raw []byte) bool {
	var req struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
		Extensions    map[string]any `json:"extensions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return false
	}
	// Nothing but space after the object.
	_, err := dec.Token()
	return errors.Is(err, io.EOF)
}

func validQueryString(raw string) bool {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return false
	}
	for k, vs := range values {
		if !utf8.ValidString(k) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

// guardedBody is a request body that stops reading once the request has
// been answered, so work that outlives its deadline never touches a body
// net/http has taken back.
type guardedBody struct {
	mu     sync.Mutex
	body   io.ReadCloser
	closed bool
}

func newGuardedBody(b io.ReadCloser) *guardedBody { return &guardedBody{body: b} }

var errAnswered = errors.New("the request was already answered")

func (g *guardedBody) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, errAnswered
	}
	return g.body.Read(p)
}

func (g *guardedBody) Close() error { return nil }

func (g *guardedBody) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
}

// bufferedResponse is a response written by a handler that may outlive the
// request: nothing reaches the client until the handler is done in time.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// runBounded runs next in a goroutine of its own and returns its response,
// or nil when ctx ends first. A panic outside gqlgen's own recovery is an
// INTERNAL answer, logged, instead of a crashed process.
func runBounded(ctx context.Context, logger *slog.Logger, next http.Handler, r *http.Request, body *guardedBody) *bufferedResponse {
	res := &bufferedResponse{header: http.Header{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				logger.ErrorContext(ctx, "http: panic", "panic", p, "stack", string(debug.Stack()))
				res.header, res.status, res.body = http.Header{}, 0, bytes.Buffer{}
				writeGraphQLError(res, 0, errcode.New(errcode.Internal, "internal error"))
			}
		}()
		next.ServeHTTP(res, r)
	}()
	select {
	case <-done:
		return res
	case <-ctx.Done():
		body.stop()
		select {
		case <-done: // finished at the deadline after all
			return res
		default:
			return nil
		}
	}
}

// writeTo sends the buffered response with the status its errors call
// for.
func (b *bufferedResponse) writeTo(w http.ResponseWriter, worst errcode.Code) {
	status, body := b.status, b.body.Bytes()
	if status == 0 {
		status = http.StatusOK
	}
	if status >= 400 && status < 500 {
		body = withCodes(body)
	}
	if worst.Retryable() {
		status = worst.HTTPStatus()
	}
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		h.Set("Retry-After", retryAfter)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// withCodes gives every error of a GraphQL error body a code: gqlgen's
// transports write a few errors of their own (a request they cannot parse)
// without one.
func withCodes(body []byte) []byte {
	var resp map[string]any
	if json.Unmarshal(body, &resp) != nil {
		return body
	}
	errs, ok := resp["errors"].([]any)
	if !ok {
		return body
	}
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			ext, _ := m["extensions"].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
				m["extensions"] = ext
			}
			if _, ok := ext["code"]; !ok {
				ext["code"] = string(errcode.Validation)
			}
		}
	}
	if fixed, err := json.Marshal(resp); err == nil {
		return fixed
	}
	return body
}

// outcome collects the codes of a request's GraphQL errors as gqlgen
// presents them (observeResponse), for the HTTP status.
type outcome struct {
	mu    sync.Mutex
	codes map[errcode.Code]bool
}

type outcomeKey struct{}

func withOutcome(ctx context.Context) (context.Context, *outcome) {
	o := &outcome{}
	return context.WithValue(ctx, outcomeKey{}, o), o
}

func (o *outcome) record(code errcode.Code) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.codes == nil {
		o.codes = map[errcode.Code]bool{}
	}
	o.codes[code] = true
}

// worst is the code that decides the HTTP status: a refusal of the whole
// request (rate limit) before an outage, an outage before a timeout.
func (o *outcome) worst() errcode.Code {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range []errcode.Code{errcode.RateLimited, errcode.Unavailable, errcode.Timeout} {
		if o.codes[c] {
			return c
		}
	}
	return ""
}

// isBoundedRequest reports whether ctx is an HTTP request's, which
// graphQLRequest bounds by the request timeout (a WebSocket's is not).
func isBoundedRequest(ctx context.Context) bool {
	_, ok := ctx.Value(outcomeKey{}).(*outcome)
	return ok
}

// maxErrors bounds the errors of one response: a document of many bad
// parts gets the first few and a count, not an answer larger than itself.
const maxErrors = 20

// observeResponse caps a response's errors, records their codes for the
// HTTP status, and spends a failed authentication for a wrong token given
// as an argument (gqlgen's AroundResponses, HTTP and WebSocket alike).
func (l *Lanes) observeResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	if n := len(resp.Errors); n > maxErrors {
		last := *resp.Errors[maxErrors-1]
		last.Message = fmt.Sprintf("%s (and %d more errors)", last.Message, n-maxErrors)
		resp.Errors = append(resp.Errors[:maxErrors-1:maxErrors-1], &last)
	}
	for _, e := range resp.Errors {
		e.Message = boundMessage(e.Message)
		if !l.cfg.Dev {
			e.Message = withoutSuggestions(e.Message)
		}
	}
	o, _ := ctx.Value(outcomeKey{}).(*outcome)
	guessed := false
	for _, e := range resp.Errors {
		c, _ := e.Extensions["code"].(string)
		if o != nil {
			o.record(errcode.Code(c))
		}
		guessed = guessed || c == string(errcode.TokenInvalid)
	}
	if guessed {
		l.failedAuthentication(ctx, "")
	}
	return resp
}

// Error messages quote what the document named ("Cannot query field
// \"x\"", "String cannot represent a non string value: 1"): a quotation,
// or a word, longer than maxEchoed characters is cut to its start, and a
// message to maxMessage characters, so that no error carries a large part
// of the request back.
const (
	maxEchoed  = 100
	maxMessage = 1000
)

var echoed = regexp.MustCompile(`"[^"]{` + strconv.Itoa(maxEchoed+1) + `,}"|[^\s"]{` + strconv.Itoa(maxEchoed+1) + `,}`)

func boundMessage(m string) string {
	if len(m) <= maxEchoed {
		return m
	}
	m = echoed.ReplaceAllStringFunc(m, func(q string) string {
		if q[0] == '"' {
			return `"` + validate.Truncate(q[1:], maxEchoed) + `…"`
		}
		return validate.Truncate(q, maxEchoed) + "…"
	})
	if t := validate.Truncate(m, maxMessage); len(t) < len(m) {
		m = t + "…"
	}
	return m
}

// suggestion is gqlparser's hint at the names a schema has ("Did you mean
// \"key\"?"), which gqlgen's SetDisableSuggestion turns off for fields
// only: outside development mode, where introspection is off, no message
// carries one (unknown arguments, types, input fields, enum values).
var suggestion = regexp.MustCompile(` ?Did you mean [^?]*\?$`)

func withoutSuggestions(m string) string { return suggestion.ReplaceAllString(m, "") }

// writeGraphQLError answers a request that failed as a whole with a
// GraphQL-shaped error, so clients read extensions.code as usual: status
// (0: the code's HTTP status), the code and the error's details, and
// Retry-After for a retryable code.
func writeGraphQLError(w http.ResponseWriter, status int, e *errcode.Error) {
	ext := map[string]any{"code": string(e.Code)}
	for k, v := range e.Details {
		ext[k] = v
	}
	if status == 0 {
		status = e.Code.HTTPStatus()
	}
	if e.Code.Retryable() {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"message": e.Message, "extensions": ext}},
	})
}

// writeError answers a REST endpoint's failure (CSV export, files,
// webhooks) with the error's contract code (errcode.From, the mapping
// GraphQL and the Go SDK use) and its HTTP status: the database down or
// slow is 503 with Retry-After. INTERNAL says nothing of its cause, which
// is logged.
func (l *Lanes) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := errcode.From(err)
	switch {
	case e == nil || e.Code == errcode.Internal:
		l.cfg.Logger.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
		e = errcode.ErrInternal
	case e.Code.Retryable():
		l.cfg.Logger.WarnContext(r.Context(), "request failed, retryable", "path", r.URL.Path, "code", e.Code, "err", err)
	}
	writeGraphQLError(w, 0, e)
}
