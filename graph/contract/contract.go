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
func OperationNames() []string {
	var names []string
	for _, m := range operationStart.FindAllStringSubmatch(Operations, -1) {
		names = append(names, m[2])
	}
	return names
}

// Operation returns the source of one named operation of operations.graphql.
func Operation(name string) (string, error) {
	locs := operationStart.FindAllStringSubmatchIndex(Operations, -1)
	for i, loc := range locs {
		if Operations[loc[4]:loc[5]] != name {
			continue
		}
		end := len(Operations)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		return trimTrailingComments(Operations[loc[0]:end]), nil
	}
	return "", fmt.Errorf("contract: no operation %q in operations.graphql", name)
}

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
