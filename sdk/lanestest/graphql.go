package lanestest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// Response is a GraphQL response as a client sees it.
type Response struct {
	// Status is the HTTP status code.
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns extensions.code.
func (e Error) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// Codes lists the codes of the response's errors.
func (r *Response) Codes() []string {
	codes := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		codes[i] = e.Code()
	}
	return codes
}

// Decode unmarshals data into v, failing the test on errors in the response.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("GraphQL errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// Client sends GraphQL requests to a Lanes endpoint.
type Client struct {
	URL     string
	Headers http.Header
	HTTP    *http.Client
}

// With returns a copy of the client with one more header.
func (c Client) With(key, value string) Client {
	h := c.Headers.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(key, value)
	c.Headers = h
	return c
}

// Do posts a GraphQL operation and returns the response, failing the test
// when there is none. Use Send from other goroutines than the test's.
func (c Client) Do(t testing.TB, query string, variables map[string]any, operationName ...string) *Response {
	t.Helper()
	res, err := c.Send(query, variables, operationName...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Send posts a GraphQL operation and returns the response; it never touches
// a testing.T, so goroutines may call it.
func (c Client) Send(query string, variables map[string]any, operationName ...string) (*Response, error) {
	body := map[string]any{"query": query, "variables": variables}
	if len(operationName) > 0 {
		body["operationName"] = operationName[0]
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return c.Post(b)
}

// Raw posts a raw request body, failing the test when there is no GraphQL
// response.
func (c Client) Raw(t testing.TB, body []byte) *Response {
	t.Helper()
	res, err := c.Post(body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Post posts a raw request body and decodes the GraphQL response.
func (c Client) Post(body []byte) (*Response, error) {
	req, err := http.NewRequest(http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range c.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	httpClient := c.HTTP
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", c.URL, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	out := &Response{Status: res.StatusCode}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("decode response (HTTP %d) %q: %w", res.StatusCode, raw, err)
	}
	out.Status = res.StatusCode
	return out, nil
}
