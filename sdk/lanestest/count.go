package lanestest

import (
	"context"
	"strings"
	"sync"

	"entgo.io/ent/dialect"

	"github.com/lanes-dev/lanes/tenant"
)

// StatementCounter records the SQL statements run through a driver it
// wraps (sdk.Config.WrapDriver = counter.Wrap), transactions included.
type StatementCounter struct {
	mu         sync.Mutex
	statements []string
	recording  bool
}

// Wrap wraps an ent driver so that its statements are recorded.
func (c *StatementCounter) Wrap(d dialect.Driver) dialect.Driver {
	return dialect.DebugWithContext(d, func(ctx context.Context, args ...any) {
		if tenant.IsBackground(ctx) {
			return // webhook deliveries, not the operation recorded
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.recording || len(args) == 0 {
			return
		}
		if s, ok := args[0].(string); ok {
			c.statements = append(c.statements, s)
		}
	})
}

// Record runs fn and returns the statements it ran (BEGIN and COMMIT of
// ent transactions show as "Tx(...)" lines and are not statements).
func (c *StatementCounter) Record(fn func()) []string {
	c.mu.Lock()
	c.statements, c.recording = nil, true
	c.mu.Unlock()
	fn()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recording = false
	var out []string
	for _, s := range c.statements {
		if isStatement(s) {
			out = append(out, s)
		}
	}
	return out
}

// isStatement keeps the lines of ent's debug driver that are SQL: it logs
// "driver.Query: query=... args=..." and "Tx(...).Exec: query=...".
func isStatement(line string) bool {
	return strings.Contains(line, "query=")
}
