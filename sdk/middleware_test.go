package sdk

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The request timeout bounds everything after the headers, also work that
// does not watch its context (parsing, validation): the client is answered
// TIMEOUT at the deadline while such work finishes on its own.
func TestTimeoutBoundsRequests(t *testing.T) {
	l := &Lanes{cfg: Config{RequestTimeout: 50 * time.Millisecond}.withDefaults()}
	deadlines := make(chan time.Time, 1)
	h := l.graphQLRequest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline, _ := r.Context().Deadline() // zero without one: fails below
		deadlines <- deadline
		<-r.Context().Done()
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/graphql?query=%7Bviewer%7Bkind%7D%7D", nil))
	require.WithinDuration(t, time.Now(), <-deadlines, time.Second)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "1", rec.Header().Get("Retry-After"))
	require.Contains(t, rec.Body.String(), `"code":"TIMEOUT"`)

	release := make(chan struct{})
	stuck := l.graphQLRequest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // ignores its context, as gqlparser's validator does
		w.WriteHeader(http.StatusOK)
	}))
	rec = httptest.NewRecorder()
	stuck.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ viewer { kind } }"}`)))
	close(release)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), `"code":"TIMEOUT"`)

	ws := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	ws.Header.Set("Upgrade", "websocket")
	var hasDeadline bool
	l.graphQLRequest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, hasDeadline = r.Context().Deadline()
	})).ServeHTTP(httptest.NewRecorder(), ws)
	require.False(t, hasDeadline, "WebSocket connections outlive the request timeout")
}

func TestLimiterSetForgetsIdleCallers(t *testing.T) {
	s := newLimiterSet(10, 2)
	now := time.Now()
	for i := range 1000 {
		require.True(t, s.allow(string(rune('a'+i%26))+time.Duration(i).String(), now, 1))
	}
	require.Len(t, s.buckets, 1000)
	require.True(t, s.allow("late", now.Add(2*time.Minute), 1))
	require.Len(t, s.buckets, 1)
}
