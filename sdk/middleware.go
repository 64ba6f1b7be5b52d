package sdk

import (
	"context"
	"encoding/json"
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

// withTimeout bounds a REST request's work by the request timeout.
func (l *Lanes) withTimeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
