// Package lanes is the root of the Lanes module; see README.md.
//
// go generate ./... regenerates the ent client and GraphQL schema (ent first,
// because gqlgen reads what entgql writes), then the gqlgen executor.
package lanes

//go:generate go run ./ent/entc.go
//go:generate go run ./graph/gqlgen.go
