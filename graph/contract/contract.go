// Package contract holds a copy of the public GraphQL contract
// (../shared/api: contract.graphqls and operations.graphql) and hands out
// its operations by name, for the contract tests, end-to-end tests and
// benchmarks. TestContractInSync keeps the copy equal to the original.
package contract

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Schema is contract.graphqls.
//
//go:embed contract.graphqls
var Schema string

// Operations is operations.graphql.
//
//go:embed operations.graphql
var Operations string

var operationStart = regexp.MustCompile(`(?m)^(query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)`)

// OperationNames lists the operations of operations.graphql in file order.
func OperationNames() []string { return parsed().names }

// Operation returns the source of one named operation of operations.graphql.
func Operation(name string) (string, error) {
	src, ok := parsed().sources[name]
	if !ok {
		return "", fmt.Errorf("contract: no operation %q in operations.graphql", name)
	}
	return src, nil
}

type operations struct {
	names   []string
	sources map[string]string
}

// parsed splits operations.graphql once: benchmarks and the load runner ask
// for operations on every request.
var parsed = sync.OnceValue(func() operations {
	ops := operations{sources: map[string]string{}}
	locs := operationStart.FindAllStringSubmatchIndex(Operations, -1)
	for i, loc := range locs {
		end := len(Operations)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		name := Operations[loc[4]:loc[5]]
		ops.names = append(ops.names, name)
		ops.sources[name] = trimTrailingComments(Operations[loc[0]:end])
	}
	return ops
})

// MustOperation is Operation for names known to exist.
func MustOperation(name string) string {
	op, err := Operation(name)
	if err != nil {
		panic(err)
	}
	return op
}

func trimTrailingComments(src string) string {
	lines := strings.Split(strings.TrimRight(src, "\n "), "\n")
	for len(lines) > 0 {
		last := strings.TrimSpace(lines[len(lines)-1])
		if last != "" && !strings.HasPrefix(last, "#") {
			break
		}
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n") + "\n"
}
