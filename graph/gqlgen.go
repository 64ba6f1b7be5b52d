//go:build ignore

// gqlgen generates the GraphQL executor (go generate runs it): gqlgen with
// Lanes' plugin for the fields of board cards.
package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"slices"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

// sequentialObjects are the types whose fields are resolved one after
// another by the goroutine marshalling the object, not one goroutine per
// field: a board marshals hundreds of cards, and their fields read what
// the board loaded in bulk (customers, progress, open to-dos), so per-field
// goroutines would only add stack growth and scheduling.
var sequentialObjects = []string{"Project"}

type sequentialFields struct{ objects []string }

func (sequentialFields) Name() string { return "lanes-sequential-fields" }

func (p sequentialFields) GenerateCode(data *codegen.Data) error {
	found := 0
	for _, o := range data.Objects {
		if slices.Contains(p.objects, o.Name) {
			o.DisableConcurrency = true
			found++
		}
	}
	if found != len(p.objects) {
		return fmt.Errorf("sequential fields: %d of the objects %v are in the schema", found, p.objects)
	}
	return nil
}

func main() {
	cfg, err := config.LoadConfig("gqlgen.yml")
	if err != nil {
		fail(fmt.Errorf("load config: %w", err))
	}
	log.SetOutput(io.Discard) // gqlgen logs every resolver it binds, as its CLI hides
	if err := api.Generate(cfg, api.AddPlugin(sequentialFields{objects: sequentialObjects})); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gqlgen:", err)
	os.Exit(1)
}
