package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lanes-dev/lanes/ent"
)

// Limits of one delivery attempt (../shared/api/README.md).
const (
	ConnectTimeout = 5 * time.Second
	AttemptTimeout = 10 * time.Second
	// MaxResponseBytes is as much of an answer as is read.
	MaxResponseBytes = 64 << 10
	// excerptChars is as much of an answer or error as a delivery keeps.
	excerptChars = 1000
)

// newHTTPClient is the client of deliveries: every connection goes
// through DialControl (no proxy from the environment, which would bypass
// it), 5 s to connect, 10 s for the whole attempt, redirects not
// followed (a redirect is an answer like any other non-2xx).
func newHTTPClient(allowLoopback bool) *http.Client {
	dialer := &net.Dialer{Timeout: ConnectTimeout, Control: DialControl(allowLoopback)}
	return &http.Client{
		Timeout: AttemptTimeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   ConnectTimeout,
			ResponseHeaderTimeout: AttemptTimeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// payload is the body of a delivery (Standard Webhooks).
type payload struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// outcome is what one attempt came to.
type outcome struct {
	statusCode *int
	succeeded  bool
	duration   time.Duration
	err        *string
	response   *string
}

// attempt POSTs one event to url, signed with secrets. It never returns an
// error: a failure is an outcome, recorded and retried.
func (s *Service) attempt(ctx context.Context, url string, secrets []string, e *ent.Event) outcome {
	body, err := json.Marshal(payload{ID: string(e.ID), Type: e.Type, Timestamp: e.OccurredAt.UTC(), Data: e.Data})
	if err != nil {
		return failure(0, fmt.Errorf("encode event %s: %w", e.ID, err))
	}
	headers, err := Headers(secrets, string(e.ID), time.Now(), body)
	if err != nil {
		return failure(0, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return failure(0, fmt.Errorf("request: %w", err))
	}
	req.Header = headers
	req.Header.Set("User-Agent", "Lanes-Webhooks/1")
	start := time.Now()
	res, err := s.http.Do(req)
	if err != nil {
		return failure(time.Since(start), describe(err))
	}
	defer res.Body.Close()
	answer, readErr := io.ReadAll(io.LimitReader(res.Body, MaxResponseBytes))
	o := outcome{statusCode: &res.StatusCode, duration: time.Since(start), succeeded: res.StatusCode >= 200 && res.StatusCode < 300}
	if text := excerpt(string(answer)); text != "" {
		o.response = &text
	}
	switch {
	case !o.succeeded:
		msg := fmt.Sprintf("the receiver answered %d %s", res.StatusCode, http.StatusText(res.StatusCode))
		o.err = &msg
	case readErr != nil:
		// The status is what counts; a broken body after a 2xx is noted.
		msg := excerpt("reading the answer: " + readErr.Error())
		o.err = &msg
	}
	return o
}

func failure(d time.Duration, err error) outcome {
	msg := excerpt(err.Error())
	return outcome{duration: d, err: &msg}
}

// describe names why no answer came, in words an admin can act on.
func describe(err error) error {
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("no answer within %s: %w", AttemptTimeout, err)
	case strings.Contains(err.Error(), "refused to connect"):
		return fmt.Errorf("the address is not allowed: %w", err)
	}
	return err
}

// excerpt keeps the first excerptChars characters of valid UTF-8.
func excerpt(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= excerptChars {
		return s
	}
	return string([]rune(s)[:excerptChars])
}
