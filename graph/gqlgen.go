//go:build ignore

// gqlgen generates the GraphQL executor (go generate runs it): gqlgen with
// Lanes' plugin for the fields of board cards.
package main

import (
	"bytes"
	"fmt"
	"go/format"
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
var sequentialObjects = []string{"Project", "BoardColumn"}

// inOrderLists are the element types whose lists the executor marshals
// through graph/marshal.Slice, which keeps a board's preloaded columns and
// cards on one goroutine instead of one goroutine per element.
var inOrderLists = []string{"BoardColumn", "ProjectEdge"}

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
	if err := rewrite(cfg.Exec.Filename); err != nil {
		fail(err)
	}
}

// rewrite applies Lanes' changes to the generated executor. gqlgen's
// templates have no hooks for them; each fails loudly if the shape of the
// generated code changes.
func rewrite(filename string) error {
	src, err := os.ReadFile(filename)
	if err != nil {
		return err
	}
	if src, err = marshalInOrder(src, inOrderLists); err != nil {
		return fmt.Errorf("in-order lists: %w", err)
	}
	if src, err = skipEmptyDeferredGroups(src); err != nil {
		return fmt.Errorf("deferred groups: %w", err)
	}
	out, err := format.Source(src)
	if err != nil {
		return err
	}
	return os.WriteFile(filename, out, 0o644)
}

// skipEmptyDeferredGroups calls ProcessDeferredGroup only for objects with
// @defer'd fields: it returns at once for the others, but its argument,
// the object's path, is built first (a tenth of a board's allocations).
func skipEmptyDeferredGroups(src []byte) ([]byte, error) {
	const call = `	ec.ProcessDeferredGroup(graphql.DeferredGroup{
		Defers:   deferLabelToView,
		Path:     graphql.GetPath(ctx),
		FieldSet: deferredFieldSet,
		Context:  ctx,
	})
`
	const guarded = `	if len(deferLabelToView) > 0 {
		ec.ProcessDeferredGroup(graphql.DeferredGroup{
			Defers:   deferLabelToView,
			Path:     graphql.GetPath(ctx),
			FieldSet: deferredFieldSet,
			Context:  ctx,
		})
	}
`
	if !bytes.Contains(src, []byte(call)) {
		return nil, fmt.Errorf("no call of ProcessDeferredGroup has the expected shape")
	}
	return bytes.ReplaceAll(src, []byte(call), []byte(guarded)), nil
}

// marshalInOrder rewrites the generated list marshallers of the given
// element types to call marshal.Slice instead of gqlgen's
// MarshalSliceConcurrently (same arguments).
func marshalInOrder(src []byte, elements []string) ([]byte, error) {
	const concurrent, inOrder = "graphql.MarshalSliceConcurrently(", "marshal.Slice("
	for _, elem := range elements {
		// marshalN<Type>2ᚕ... / marshalO<Type>2ᚕ...: a list of <Type>.
		rewritten := 0
		for _, kind := range []string{"N", "O"} {
			head := []byte("func (ec *executionContext) marshal" + kind + elem + "2ᚕ")
			for start := 0; ; {
				i := bytes.Index(src[start:], head)
				if i < 0 {
					break
				}
				i += start
				end := bytes.Index(src[i+len(head):], []byte("\nfunc "))
				if end < 0 {
					end = len(src) - i - len(head)
				}
				end += i + len(head)
				body := src[i:end]
				if j := bytes.Index(body, []byte(concurrent)); j >= 0 {
					body = slices.Concat(body[:j], []byte(inOrder), body[j+len(concurrent):])
					src = slices.Concat(src[:i], body, src[end:])
					rewritten++
				}
				start = i + len(head)
			}
		}
		if rewritten == 0 {
			return nil, fmt.Errorf("no list marshaller of %s calls %s", elem, concurrent)
		}
	}
	// Among Lanes' own imports, which gofmt keeps sorted.
	own := []byte("\t\"github.com/lanes-dev/lanes/")
	if !bytes.Contains(src, own) {
		return nil, fmt.Errorf("no import of Lanes' packages")
	}
	return bytes.Replace(src, own, []byte("\t\"github.com/lanes-dev/lanes/graph/marshal\"\n\t\"github.com/lanes-dev/lanes/"), 1), nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gqlgen:", err)
	os.Exit(1)
}
