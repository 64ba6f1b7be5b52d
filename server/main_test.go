package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemoServesAndShutsDown runs the command as `--demo` on the embedded
// SQLite default, uses the credentials it prints, and stops it the way
// SIGTERM does.
func TestDemoServesAndShutsDown(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		args := []string{"--demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}
		if db.Name == "postgres" {
			args = append(args, "--database-url", db.URL)
		}
		testDemo(t, args)
	})
}

func testDemo(t *testing.T, args []string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, args, &out, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	key := regexp.MustCompile(`Platform key:\s+(\S+)`)
	token := regexp.MustCompile(`Member token:\s+(\S+)`)
	url := regexp.MustCompile(`GraphQL:\s+(\S+)`)
	require.Eventually(t, func() bool { return token.MatchString(out.String()) }, 30*time.Second, 20*time.Millisecond)
	printed := out.String()
	endpoint := url.FindStringSubmatch(printed)[1]

	post := func(headers map[string]string, query string) string {
		req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"query":"`+query+`"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(b)
	}
	body := post(map[string]string{"X-Api-Key": key.FindStringSubmatch(printed)[1], "X-Tenant": "demo"}, "{ viewer { kind role tenant { slug } } }")
	require.JSONEq(t, `{"data":{"viewer":{"kind":"PLATFORM","role":"OWNER","tenant":{"slug":"demo"}}}}`, body)
	body = post(map[string]string{"Authorization": "Bearer " + token.FindStringSubmatch(printed)[1]}, "{ viewer { kind role member { name } } }")
	require.JSONEq(t, `{"data":{"viewer":{"kind":"MEMBER","role":"OWNER","member":{"name":"Alice Owner"}}}}`, body)
	require.Contains(t, printed, "curl -s "+endpoint)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not shut down")
	}
}

func TestParseOptionsFromEnvAndFlags(t *testing.T) {
	t.Setenv("LANES_ADDR", ":9999")
	t.Setenv("LANES_RATE_LIMIT", "5")
	t.Setenv("LANES_CORS_ORIGINS", "https://a.example, https://b.example")
	o, err := parseOptions([]string{"--rate-burst", "7"})
	require.NoError(t, err)
	require.Equal(t, ":9999", o.addr)
	require.Equal(t, 5.0, o.cfg.RateLimit)
	require.Equal(t, 7, o.cfg.RateBurst)
	require.Equal(t, []string{"https://a.example", "https://b.example"}, o.cfg.CORSOrigins)
	o, err = parseOptions([]string{"--addr", ":1234", "--demo"})
	require.NoError(t, err)
	require.Equal(t, ":1234", o.addr)
	require.True(t, o.cfg.Dev)
	_, err = parseOptions([]string{"stray"})
	require.Error(t, err)
}

func TestTokenCommand(t *testing.T) {
	t.Setenv("LANES_JWT_SECRET", "token-command-secret-0123456789abcdef")
	var out bytes.Buffer
	require.NoError(t, runToken([]string{"-tenant", "acme", "-sub", "alice"}, &out))
	require.Regexp(t, `^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$`, out.String())
	require.Error(t, runToken([]string{"-tenant", "acme"}, &out))
}
