// Package lanes is the root of the Lanes module; see README.md.
//
// go generate ./... regenerates the ent client and GraphQL schema (ent first,
// because gqlgen reads what entgql writes), then the gqlgen executor, then
// the schema file the console's typed documents are generated from.
package lanes

//go:generate go run ./ent/entc.go
//go:generate go run ./graph/gqlgen.go
//go:generate go run ./graph/printschema web/console/schema.graphql
