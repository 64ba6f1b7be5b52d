package sdk

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/tenant"
)

// Rate limits. Every request and every GraphQL operation (HTTP or
// WebSocket) spends a token of its caller's bucket: the credential's, or
// the client address's for anonymous calls; a mutation of n root fields
// spends n. Failed authentications spend tokens of a second, much smaller
// budget per client address and per credential prefix: once an address is
// out of it, its credentials are not even checked (RATE_LIMITED); once a
// prefix is, its failures answer RATE_LIMITED instead of UNAUTHENTICATED.

var (
	errRateLimited  = errcode.New(errcode.RateLimited, "rate limit exceeded, retry later")
	errTooManyFails = errcode.New(errcode.RateLimited, "too many failed authentications, retry later")
)

// credentialPrefixLength is how much of a presented secret keys the
// failure budget of a credential prefix: enough to group guesses at one
// key, too little to say anything about it.
const credentialPrefixLength = 12

// limits holds the buckets of one Lanes.
type limits struct {
	requests *limiterSet // nil: rate limiting off
	failures *limiterSet
	proxies  []netip.Prefix
}

func newLimits(cfg Config) (*limits, error) {
	l := &limits{failures: newLimiterSet(rate.Limit(float64(cfg.AuthFailureLimit)/60), cfg.AuthFailureLimit)}
	if cfg.RateLimit >= 0 {
		l.requests = newLimiterSet(rate.Limit(cfg.RateLimit), cfg.RateBurst)
	}
	for _, p := range cfg.TrustedProxies {
		prefix, err := parsePrefix(p)
		if err != nil {
			return nil, err
		}
		l.proxies = append(l.proxies, prefix)
	}
	return l, nil
}

// parsePrefix reads a CIDR prefix or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, errcode.Invalid("trustedProxies", "not a CIDR prefix: "+s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, errcode.Invalid("trustedProxies", "not an IP address: "+s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// rateKey is the bucket a caller spends from.
func rateKey(ctx context.Context) string {
	if a, ok := tenant.FromContext(ctx); ok && a.Credential != "" {
		return a.Credential
	}
	return "ip:" + clientAddress(ctx)
}

// admit spends weight tokens of the caller's bucket (QueryLimits.Admit).
func (l *Lanes) admit(ctx context.Context, weight int) error {
	if l.limits.requests == nil || l.limits.requests.allow(rateKey(ctx), time.Now(), weight) {
		return nil
	}
	return errRateLimited
}

// rateLimit spends one token per request of the REST endpoints (GraphQL
// operations are admitted by QueryLimits).
func (l *Lanes) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := l.admit(r.Context(), 1); err != nil {
			writeGraphQLError(w, 0, errRateLimited)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// failuresExhausted reports whether the caller's address has no failed
// authentications left: its credentials are refused unchecked.
func (l *Lanes) failuresExhausted(ctx context.Context) bool {
	return !l.limits.failures.available("ip:"+clientAddress(ctx), time.Now())
}

// admitCredentials refuses calls whose argument is a credential
// (invitation and survey tokens) from an address out of failures
// (QueryLimits.AdmitCredentials).
func (l *Lanes) admitCredentials(ctx context.Context) error {
	if l.failuresExhausted(ctx) {
		return errTooManyFails
	}
	return nil
}

// failedAuthentication spends a failure of the caller's address and of the
// credential's prefix; false when either budget is gone.
func (l *Lanes) failedAuthentication(ctx context.Context, secret string) bool {
	now := time.Now()
	ok := l.limits.failures.allow("ip:"+clientAddress(ctx), now, 1)
	if secret != "" {
		prefix := secret[:min(len(secret), credentialPrefixLength)]
		ok = l.limits.failures.allow("prefix:"+prefix, now, 1) && ok
	}
	return ok
}

type clientAddressKey struct{}

// withClientAddress puts the client's address in the request context:
// the peer's, or, when the peer is a trusted proxy, the last address of
// X-Forwarded-For that is not one.
func (l *Lanes) withClientAddress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := l.limits.clientAddress(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientAddressKey{}, addr)))
	})
}

func clientAddress(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddressKey{}).(string)
	return addr
}

func (l *limits) clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !l.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a forged or broken entry: trust no further
		}
		client = hop.Unmap()
		if !l.trusted(client) {
			break
		}
	}
	return client.String()
}

// fromTrustedProxy reports whether the request's peer is a trusted proxy.
func (l *limits) fromTrustedProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	return err == nil && l.trusted(peer)
}

func (l *limits) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range l.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
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

// allow spends n tokens of key's bucket, all or none.
func (s *limiterSet) allow(key string, now time.Time, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bucket(key, now).limiter.AllowN(now, n)
}

// available reports whether key's bucket holds a token, spending none.
func (s *limiterSet) available(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[key]
	return !ok || b.limiter.TokensAt(now) >= 1
}

func (s *limiterSet) bucket(key string, now time.Time) *bucket {
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
	return b
}
