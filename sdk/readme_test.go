package sdk_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// TestReadmeWalkthrough runs the README's walkthrough against the real
// handler, command by command: exports, the token command, and every curl,
// comparing each response with the JSON the README shows after it (strings
// ending in "..." match by prefix; the response may hold more fields).
func TestReadmeWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	steps := walkthroughSteps(t, string(readme))
	require.GreaterOrEqual(t, len(steps), 8, "the walkthrough lost its steps")

	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		env := map[string]string{}
		var s *sdktest.Server
		curls := 0
		for i, step := range steps {
			switch {
			case step.kind == "json":
				require.NotNil(t, step.after, "a JSON block must follow a curl")
				var want any
				require.NoError(t, json.Unmarshal([]byte(step.text), &want), step.text)
				matchJSON(t, want, step.after.body, "$")
			case strings.HasPrefix(step.text, "export "):
				k, v, ok := strings.Cut(strings.TrimPrefix(step.text, "export "), "=")
				require.True(t, ok, step.text)
				env[k] = v
			case step.text == "go run ./server":
				s = sdktest.Start(t, db.URL, func(c *sdk.Config) {
					c.PlatformKey = env["LANES_PLATFORM_KEY"]
					c.JWT = auth.JWTConfig{Secret: []byte(env["LANES_JWT_SECRET"])}
				})
			case strings.HasPrefix(step.text, "TOKEN=$(go run ./server token "):
				args := shellWords(t, strings.TrimSuffix(strings.TrimPrefix(step.text, "TOKEN=$(go run ./server token "), ")"), env)
				require.Equal(t, []string{"-tenant", "acme", "-sub", "alice"}, args)
				token, err := auth.MintHS256([]byte(env["LANES_JWT_SECRET"]), args[1], args[3], time.Hour)
				require.NoError(t, err)
				env["TOKEN"] = token
			case strings.HasPrefix(step.text, "curl "):
				require.NotNil(t, s, "curl before the server started")
				steps[i].body = runCurl(t, s, shellWords(t, step.text, env))
				curls++
			case captured.MatchString(step.text):
				// NAME=$(curl ... | sed -E 's/pattern/replacement/')
				m := captured.FindStringSubmatch(step.text)
				body := runCurl(t, s, shellWords(t, m[2], env))
				raw, err := json.Marshal(body)
				require.NoError(t, err)
				sedArgs := shellWords(t, m[3], env)
				require.Len(t, sedArgs, 1, m[3])
				env[m[1]] = sedSubstitute(t, sedArgs[0], string(raw))
				curls++
			default:
				t.Fatalf("the walkthrough has a command this test does not know: %q", step.text)
			}
		}
		require.GreaterOrEqual(t, curls, 5)
	})
}

var captured = regexp.MustCompile(`^([A-Z_]+)=\$\((curl .*?) \| sed -E (.*)\)$`)

// sedSubstitute applies a sed -E 's/re/replacement/' to the text.
func sedSubstitute(t *testing.T, expr, text string) string {
	t.Helper()
	parts := strings.Split(expr, "/")
	require.Len(t, parts, 4, "sed expression %q", expr)
	require.Equal(t, "s", parts[0])
	re := regexp.MustCompile(parts[1])
	return re.ReplaceAllString(text, strings.ReplaceAll(parts[2], `\1`, "${1}"))
}

type step struct {
	kind  string // "sh" or "json"
	text  string
	body  any   // a curl's decoded response
	after *step // for JSON blocks: the curl they show the answer of
}

var fence = regexp.MustCompile("(?s)```(sh|json)\n(.*?)```")

func walkthroughSteps(t *testing.T, readme string) []step {
	t.Helper()
	start := strings.Index(readme, "## Walkthrough")
	require.GreaterOrEqual(t, start, 0)
	section := readme[start+len("## Walkthrough"):]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var steps []step
	for _, m := range fence.FindAllStringSubmatch(section, -1) {
		if m[1] == "json" {
			steps = append(steps, step{kind: "json", text: m[2]})
			continue
		}
		joined := strings.ReplaceAll(m[2], "\\\n", " ")
		for _, line := range strings.Split(joined, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				steps = append(steps, step{kind: "sh", text: line})
			}
		}
	}
	// A JSON block answers the curl right before it.
	for i := range steps {
		if steps[i].kind == "json" && i > 0 && strings.HasPrefix(steps[i-1].text, "curl ") {
			steps[i].after = &steps[i-1]
		}
	}
	return steps
}

// runCurl performs a curl command line of the README (-s, -H, -d) against
// the test server.
func runCurl(t *testing.T, s *sdktest.Server, args []string) any {
	t.Helper()
	c := s.Anonymous
	var body string
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-s":
		case a == "-H":
			i++
			k, v, ok := strings.Cut(args[i], ":")
			require.True(t, ok, args[i])
			if !strings.EqualFold(k, "Content-Type") {
				c = c.With(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		case a == "-d":
			i++
			body = args[i]
		case strings.HasPrefix(a, "localhost:8080/graphql"):
		default:
			t.Fatalf("curl argument %q is not understood by this test", a)
		}
	}
	res := c.Raw(t, []byte(body))
	raw, err := json.Marshal(struct {
		Data   json.RawMessage   `json:"data,omitempty"`
		Errors []lanestest.Error `json:"errors,omitempty"`
	}{res.Data, res.Errors})
	require.NoError(t, err)
	var decoded any
	require.NoError(t, json.Unmarshal(raw, &decoded))
	if !strings.Contains(body, "viewer { kind }") {
		require.Empty(t, res.Errors, "curl %s", body)
	}
	return decoded
}

func matchJSON(t *testing.T, want, got any, path string) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		require.True(t, ok, "%s: want an object, got %v", path, got)
		for k, wv := range w {
			gv, ok := g[k]
			require.True(t, ok, "%s.%s is missing in %v", path, k, got)
			matchJSON(t, wv, gv, path+"."+k)
		}
	case []any:
		g, ok := got.([]any)
		require.True(t, ok, "%s: want an array, got %v", path, got)
		require.Len(t, g, len(w), path)
		for i := range w {
			matchJSON(t, w[i], g[i], path)
		}
	case string:
		if prefix, ok := strings.CutSuffix(w, "..."); ok {
			require.True(t, strings.HasPrefix(got.(string), prefix), "%s: %v does not start with %q", path, got, prefix)
			return
		}
		require.Equal(t, w, got, path)
	default:
		require.Equal(t, w, got, path)
	}
}

// shellWords splits a command line as sh would for the README's commands:
// single quotes are literal, double quotes and bare words expand $VARS.
func shellWords(t *testing.T, line string, env map[string]string) []string {
	t.Helper()
	var (
		words []string
		cur   strings.Builder
		inArg bool
	)
	expand := func(s string) string {
		return os.Expand(s, func(k string) string {
			v, ok := env[k]
			require.True(t, ok, "$%s is not set by the walkthrough", k)
			return v
		})
	}
	for i := 0; i < len(line); i++ {
		switch ch := line[i]; ch {
		case ' ', '\t':
			if inArg {
				words = append(words, cur.String())
				cur.Reset()
				inArg = false
			}
		case '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			require.GreaterOrEqual(t, end, 0, "unclosed ' in %s", line)
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inArg = true
		case '"':
			end := strings.IndexByte(line[i+1:], '"')
			require.GreaterOrEqual(t, end, 0, "unclosed \" in %s", line)
			cur.WriteString(expand(line[i+1 : i+1+end]))
			i += end + 1
			inArg = true
		default:
			j := strings.IndexAny(line[i:], " \t'\"")
			if j < 0 {
				j = len(line) - i
			}
			cur.WriteString(expand(line[i : i+j]))
			i += j - 1
			inArg = true
		}
	}
	if inArg {
		words = append(words, cur.String())
	}
	return words
}
