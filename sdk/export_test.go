package sdk

import (
	"context"
	"testing"
	"time"
)

// WaitListening blocks until the change listener is connected (at once on
// SQLite), so a test can make a change that the listener must carry.
func (l *Lanes) WaitListening(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-l.listening:
	case <-ctx.Done():
		t.Fatal("the change listener did not connect within 30 s")
	}
}
