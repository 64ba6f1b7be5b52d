// Package origin knows where a request was served: the public address
// (scheme, host and the prefix the handler is mounted at) that links made
// for the caller start with: invitation and survey links that open the
// console's pages, file downloads.
package origin

import (
	"context"
	"strings"
)

type key struct{}

// Origin is where a request was served.
type Origin struct {
	// Base is the scheme, host and prefix: "https://example.com/lanes".
	Base string
	// Prefix is the path the handler is mounted at: "" or "/lanes".
	Prefix string
}

// NewContext records the request's origin.
func NewContext(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, key{}, o)
}

// FromContext is the request's origin; false outside a request (the Go
// SDK called directly).
func FromContext(ctx context.Context) (Origin, bool) {
	o, ok := ctx.Value(key{}).(Origin)
	return o, ok
}

// Prefix is the mount prefix of the request in ctx, "" outside one.
func Prefix(ctx context.Context) string {
	o, _ := FromContext(ctx)
	return o.Prefix
}

// fallbackBase is where links point when no request says where Lanes is
// served (the Go SDK called outside a request, with no URL configured):
// the server's default address.
const fallbackBase = "http://localhost:8080"

// Link is configured when set, else the console's page at path under the
// request's origin (the fallback base outside a request).
func Link(ctx context.Context, configured, path string) string {
	if configured != "" {
		return configured
	}
	base := fallbackBase
	if o, ok := FromContext(ctx); ok {
		base = o.Base
	}
	return strings.TrimSuffix(base, "/") + path
}
