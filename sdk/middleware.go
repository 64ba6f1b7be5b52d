package sdk

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

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
// caller); bad credentials end here with 401 UNAUTHENTICATED, or 429
// RATE_LIMITED once their address or prefix has failed too often (an
// address out of failures is not even checked).
func (l *Lanes) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		creds := auth.CredentialsFromHeader(r.Header)
		actor, ok, err := l.authenticateCredentials(r.Context(), creds)
		if err != nil {
			l.writeError(w, r, err)
			return
		}
		if ok {
			r = r.WithContext(tenant.NewContext(r.Context(), actor))
		}
		next.ServeHTTP(w, r)
	})
}

// authenticateCredentials is Authenticate within the failure budgets, for
// HTTP requests and WebSocket connections alike.
func (l *Lanes) authenticateCredentials(ctx context.Context, creds auth.Credentials) (tenant.Actor, bool, error) {
	if creds.Empty() {
		return tenant.Actor{}, false, nil
	}
	if l.failuresExhausted(ctx) {
		return tenant.Actor{}, false, errTooManyFails
	}
	actor, ok, err := l.authn.Authenticate(ctx, creds)
	if errcode.CodeOf(err) == errcode.Unauthenticated && !l.failedAuthentication(ctx, creds.Secret()) {
		return tenant.Actor{}, false, errTooManyFails
	}
	return actor, ok, err
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
