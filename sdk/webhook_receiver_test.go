package sdk_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// received is one request a receiver got.
type received struct {
	ID, Timestamp string
	Verified      bool
	Body          struct {
		ID        string
		Type      string
		Timestamp time.Time
		Data      map[string]any
	}
}

// receiver is a webhook endpoint on 127.0.0.1 that checks every request
// the way the Standard Webhooks specification tells receivers to (not
// with Lanes' code), and answers with status(n) for the n-th request.
type receiver struct {
	t       *testing.T
	addr    string
	secret  string
	status  func(n int) int
	mu      sync.Mutex
	server  *http.Server
	got     []received
	arrived chan received
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{t: t, status: func(int) int { return http.StatusNoContent }, arrived: make(chan received, 1000)}
	r.start("127.0.0.1:0")
	t.Cleanup(r.stop)
	return r
}

func (r *receiver) URL() string { return "http://" + r.addr + "/hook" }

func (r *receiver) start(addr string) {
	r.t.Helper()
	l, err := net.Listen("tcp", addr)
	require.NoError(r.t, err)
	srv := &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 5 * time.Second}
	r.mu.Lock()
	r.addr, r.server = l.Addr().String(), srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// stop closes the listener: connections are refused until restart.
func (r *receiver) stop() {
	r.mu.Lock()
	srv := r.server
	r.server = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// restart listens again on the same address.
func (r *receiver) restart() { r.start(r.addr) }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var got received
	got.ID, got.Timestamp = req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	got.Verified = req.Method == http.MethodPost && verifyStandardWebhook(r.secretNow(), got.ID, got.Timestamp, body, req.Header.Get("webhook-signature"))
	_ = json.Unmarshal(body, &got.Body)
	r.mu.Lock()
	r.got = append(r.got, got)
	n := len(r.got)
	status := r.status(n)
	r.mu.Unlock()
	w.WriteHeader(status)
	r.arrived <- got
}

func (r *receiver) secretNow() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.secret
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *receiver) answer(status func(n int) int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

// next waits for the next request.
func (r *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case got := <-r.arrived:
		require.True(t, got.Verified, "signature of %s", got.ID)
		return got
	case <-time.After(45 * time.Second):
		t.Fatalf("no delivery arrived at %s", r.addr)
		return received{}
	}
}

// nextTypes waits for n requests and returns their event types.
func (r *receiver) nextTypes(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		out = append(out, r.next(t).Body.Type)
	}
	return out
}

// quiet fails if a request arrives within d (the one place this file
// waits for time itself: proving that nothing comes).
func (r *receiver) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case got := <-r.arrived:
		t.Fatalf("unexpected delivery of %s (%s)", got.ID, got.Body.Type)
	case <-time.After(d):
	}
}

// verifyStandardWebhook is a receiver's check of a delivery, from the
// specification: the timestamp within five minutes, and one of the
// space-separated v1 signatures equal to the base64 HMAC-SHA256 of
// "id.timestamp.body" keyed with the decoded secret.
func verifyStandardWebhook(secret, id, timestamp string, body []byte, signatures string) bool {
	sent, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || time.Since(time.Unix(sent, 0)).Abs() > 5*time.Minute || id == "" {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "." + string(body)))
	expected := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Split(signatures, " ") {
		if hmac.Equal([]byte(s), []byte(expected)) {
			return true
		}
	}
	return false
}

// The README's receiver is this file's: every delivery test checks it.
func TestReadmeShowsTheTestedReceiver(t *testing.T) {
	src, err := os.ReadFile("webhook_receiver_test.go")
	require.NoError(t, err)
	start := strings.Index(string(src), "// verifyStandardWebhook is")
	require.GreaterOrEqual(t, start, 0)
	end := strings.Index(string(src[start:]), "\n}\n")
	require.Greater(t, end, 0)
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), string(src[start:start+end+2]), "README.md, Events: the receiver's check")
}

// project is the delivered data's project.
func (r received) project() map[string]any {
	p, _ := r.Body.Data["project"].(map[string]any)
	return p
}

func (r received) projectID() any { return r.project()["id"] }
