package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeGraphQLError answers a request that never reached the executor with
// a GraphQL-shaped error, so clients read extensions.code as usual.
func writeGraphQLError(w http.ResponseWriter, status int, e *errcode.Error) {
	ext := map[string]any{"code": string(e.Code)}
	for k, v := range e.Details {
		ext[k] = v
	}
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"message": e.Message, "extensions": ext}},
	})
}

var errBodyTooLarge = errcode.New(errcode.Validation, "request body too large")

// uploadRequestLimit bounds a multipart request: one file plus the
// operation around it.
func (l *Lanes) uploadRequestLimit() int64 { return l.cfg.MaxUploadBytes + 1<<20 }

// bodyLimit answers 413 for a request body over MaxBodyBytes (over the
// upload limit for multipart uploads). A JSON body is read here, within the
// limit, so the transports never see a cut-off body; an upload streams, so
// it must declare its length.
func (l *Lanes) bodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		limit := l.cfg.MaxBodyBytes
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			limit = l.uploadRequestLimit()
			switch {
			case r.ContentLength < 0:
				writeGraphQLError(w, http.StatusLengthRequired, errcode.New(errcode.Validation, "uploads must send Content-Length"))
			case r.ContentLength > limit:
				writeGraphQLError(w, http.StatusRequestEntityTooLarge, errBodyTooLarge.With("limit", limit))
			default:
				r.Body = http.MaxBytesReader(w, r.Body, limit)
				next.ServeHTTP(w, r)
			}
			return
		}
		if r.ContentLength > limit {
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, errBodyTooLarge.With("limit", limit))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, errBodyTooLarge.With("limit", limit))
			return
		}
		if err != nil {
			writeGraphQLError(w, http.StatusBadRequest, errcode.New(errcode.Validation, "could not read request body"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// authenticate puts the caller's Actor in the request context. Requests
// without credentials continue anonymously (resolvers refuse what needs a
// caller); bad credentials end here with 401 UNAUTHENTICATED.
func (l *Lanes) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, ok, err := l.authn.Authenticate(r.Context(), auth.CredentialsFromHeader(r.Header))
		if err != nil {
			e, isCode := errcode.As(err)
			if !isCode || e.Code != errcode.Unauthenticated {
				l.cfg.Logger.ErrorContext(r.Context(), "authenticate", "err", err)
				writeGraphQLError(w, http.StatusInternalServerError, errcode.New(errcode.Internal, "internal error"))
				return
			}
			writeGraphQLError(w, http.StatusUnauthorized, e)
			return
		}
		if ok {
			r = r.WithContext(tenant.NewContext(r.Context(), actor))
		}
		next.ServeHTTP(w, r)
	})
}

// timeout bounds a request's work (not WebSocket connections, which live on).
func (l *Lanes) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), l.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// rateLimit applies a token bucket per credential (per client IP for
// anonymous calls): RATE_LIMITED with HTTP 429 and Retry-After.
func (l *Lanes) rateLimit(next http.Handler) http.Handler {
	if l.cfg.RateLimit < 0 {
		return next
	}
	limiters := newLimiterSet(rate.Limit(l.cfg.RateLimit), l.cfg.RateBurst)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "ip:" + clientIP(r)
		if a, ok := tenant.FromContext(r.Context()); ok && a.Credential != "" {
			key = a.Credential
		}
		if !limiters.allow(key, time.Now()) {
			w.Header().Set("Retry-After", "1")
			writeGraphQLError(w, http.StatusTooManyRequests, errcode.New(errcode.RateLimited, "rate limit exceeded, retry later"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiterSet holds one token bucket per key, forgetting keys idle for
// longer than a full refill so memory stays bounded by active callers.
type limiterSet struct {
	mu        sync.Mutex
	limit     rate.Limit
	burst     int
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	limiter  *rate.Limiter
	lastSeen time.Time
}

func newLimiterSet(limit rate.Limit, burst int) *limiterSet {
	return &limiterSet{limit: limit, burst: burst, buckets: map[string]*bucket{}}
}

func (s *limiterSet) allow(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	idle := time.Minute
	if s.limit > 0 {
		idle = max(idle, time.Duration(float64(s.burst)/float64(s.limit)*float64(time.Second)))
	}
	if now.Sub(s.lastSweep) > idle {
		for k, b := range s.buckets {
			if now.Sub(b.lastSeen) > idle {
				delete(s.buckets, k)
			}
		}
		s.lastSweep = now
	}
	b, ok := s.buckets[key]
	if !ok {
		b = &bucket{limiter: rate.NewLimiter(s.limit, s.burst)}
		s.buckets[key] = b
	}
	b.lastSeen = now
	return b.limiter.AllowN(now, 1)
}

// cors answers preflight requests and sets CORS headers for the configured
// browser origins. Credentials travel in headers, never cookies.
func (l *Lanes) cors(next http.Handler) http.Handler {
	if len(l.cfg.CORSOrigins) == 0 {
		return next
	}
	anyOrigin := slices.Contains(l.cfg.CORSOrigins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (anyOrigin || slices.Contains(l.cfg.CORSOrigins, origin)) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Tenant, X-Api-Key")
				h.Set("Access-Control-Max-Age", strconv.Itoa(600))
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// hostOf returns the host of an origin URL, as WebSocket origin patterns
// want it ("*" stays "*").
func hostOf(origin string) string {
	if u, err := url.Parse(origin); err == nil && u.Host != "" {
		return u.Host
	}
	return origin
}

// codedErrors makes sure every error response carries extensions.code, as
// the contract promises, also those gqlgen's transports write themselves
// for requests they cannot parse (bad JSON, bad multipart): such 4xx
// bodies are small, so they are buffered and given a VALIDATION code.
func codedErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		cw := &codingWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		cw.finish()
	})
}

type codingWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *codingWriter) WriteHeader(status int) {
	c.status = status
	if status < 400 || status >= 500 {
		c.ResponseWriter.WriteHeader(status)
	}
}

func (c *codingWriter) Write(b []byte) (int, error) {
	if c.status >= 400 && c.status < 500 {
		return c.buf.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

// Flush keeps streaming transports working.
func (c *codingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok && (c.status < 400 || c.status >= 500) {
		f.Flush()
	}
}

func (c *codingWriter) finish() {
	if c.status < 400 || c.status >= 500 {
		return
	}
	body := c.buf.Bytes()
	var resp map[string]any
	if json.Unmarshal(body, &resp) == nil {
		if errs, ok := resp["errors"].([]any); ok {
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
				body = fixed
			}
		}
	}
	c.ResponseWriter.Header().Del("Content-Length")
	c.ResponseWriter.WriteHeader(c.status)
	_, _ = c.ResponseWriter.Write(body)
}
