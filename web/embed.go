// Package web holds the Lanes console, built: dist/ is what
// `npm run build` writes from the sources in console/ (TypeScript, React,
// Vite), committed so that the server needs no Node to serve it. The SDK
// handler serves it at / (sdk/console.go).
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Console is the built console: index.html at its root, assets/ beside it.
func Console() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded: it is there
	}
	return sub
}
