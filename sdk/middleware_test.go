package sdk

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTimeoutBoundsRequests(t *testing.T) {
	l := &Lanes{cfg: Config{RequestTimeout: 50 * time.Millisecond}.withDefaults()}
	var deadline time.Time
	var hasDeadline bool
	h := l.timeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline, hasDeadline = r.Context().Deadline()
		<-r.Context().Done()
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
	require.True(t, hasDeadline)
	require.WithinDuration(t, time.Now(), deadline, time.Second)

	ws := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	ws.Header.Set("Upgrade", "websocket")
	l.timeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, hasDeadline = r.Context().Deadline()
	})).ServeHTTP(httptest.NewRecorder(), ws)
	require.False(t, hasDeadline, "WebSocket connections outlive the request timeout")
}

func TestLimiterSetForgetsIdleCallers(t *testing.T) {
	s := newLimiterSet(10, 2)
	now := time.Now()
	for i := range 1000 {
		require.True(t, s.allow(string(rune('a'+i%26))+time.Duration(i).String(), now))
	}
	require.Len(t, s.buckets, 1000)
	require.True(t, s.allow("late", now.Add(2*time.Minute)))
	require.Len(t, s.buckets, 1)
}
