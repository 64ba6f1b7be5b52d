package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"github.com/lanes-dev/lanes/graph/contract"
	"github.com/lanes-dev/lanes/graph/generated"
)

// The console's GraphQL documents validate against the schema the server
// executes, as operations.graphql does; a document named as one of the
// contract's is the contract's, word for word (the server knows those).
func TestConsoleOperations(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	files, err := filepath.Glob("console/src/operations/*.graphql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	names := map[string]string{}
	for _, file := range files {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		doc, errs := gqlparser.LoadQuery(schema, string(src))
		require.Empty(t, errs, "%s does not validate", file)
		for _, op := range doc.Operations {
			require.NotEmpty(t, op.Name, "%s: an operation without a name", file)
			require.NotContains(t, names, op.Name, "%s: %s is in %s too", file, op.Name, names[op.Name])
			names[op.Name] = file
			if own, err := contract.Operation(op.Name); err == nil {
				require.Equal(t, normalize(own), normalize(string(src[op.Position.Start:endOf(src, op.Position.Start)])),
					"%s: %s has the contract's name but not its text", file, op.Name)
			}
		}
	}
}

// endOf is where the operation starting at start ends: its closing brace.
func endOf(src []byte, start int) int {
	depth := 0
	for i := start; i < len(src); i++ {
		switch src[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(src)
}

func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }
