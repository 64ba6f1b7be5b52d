package live

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// How a connection writes. Messages wait in the outbox (ack, pong,
// answers, ends) or, for attached subscriptions, in their sources (the
// ready list says which have something). A writer goroutine runs only
// while there is something to write, started by whoever adds the first
// thing: an idle connection has none. The outbox goes first, so an
// operation's complete follows its last next.

// drainBatch is how many items the writer takes from one source before
// it looks at the others again.
const drainBatch = 64

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// send queues a message.
func (c *conn) send(msg []byte) {
	c.mu.Lock()
	c.enqueueLocked(msg)
	c.mu.Unlock()
}

// maxOutbox is how many messages may wait for a client that does not
// read (answers to its pings, queries and mutations) before it is
// disconnected.
const maxOutbox = 1024

func (c *conn) enqueueLocked(msg []byte) {
	switch {
	case c.closed, c.closing && len(c.outbox) >= maxOutbox:
		return
	case len(c.outbox) >= maxOutbox:
		c.closing = true
		go func() { _ = c.ws.Close(websocket.StatusPolicyViolation, "too many messages waiting: read them") }()
		return
	}
	c.outbox = append(c.outbox, msg)
	c.kickLocked()
}

// wake tells the writer that an attached operation's source has items
// (or has closed). It never blocks: sources call it as they hand items
// out.
func (c *conn) wake(op *operation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if op.queued || c.closed {
		return
	}
	op.queued = true
	c.ready = append(c.ready, op)
	c.kickLocked()
}

func (c *conn) kickLocked() {
	if !c.writing {
		c.writing = true
		go c.write()
	}
}

// write sends what is waiting, then exits.
func (c *conn) write() {
	var deadline writeDeadline
	defer deadline.stop()
	buf := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(buf)
	for {
		c.mu.Lock()
		var msg []byte
		var op *operation
		switch {
		case c.closed:
		case len(c.outbox) > 0:
			msg = c.outbox[0]
			c.outbox[0] = nil
			c.outbox = c.outbox[1:]
		case len(c.ready) > 0:
			op = c.ready[0]
			c.ready[0] = nil
			c.ready = c.ready[1:]
			op.queued = false
		}
		if msg == nil && op == nil {
			c.writing = false
			c.outbox, c.ready = nil, nil // let the arrays go while idle
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		var err error
		if msg != nil {
			err = c.ws.Write(deadline.context(c.t.cfg.WriteTimeout), websocket.MessageText, msg)
		} else {
			err = c.drain(&deadline, op, buf)
		}
		if err != nil {
			// The connection is broken (coder/websocket has closed it): the
			// read loop ends and cleans up.
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			_ = c.ws.CloseNow()
			return
		}
	}
}

func (c *conn) stopped(op *operation) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return op.stopped
}

// writeDeadline bounds each write by a timeout; it is renewed between
// writes once half of it has passed, not made anew for every write.
type writeDeadline struct {
	ctx    context.Context
	cancel context.CancelFunc
	since  time.Time
}

func (d *writeDeadline) context(timeout time.Duration) context.Context {
	if d.ctx == nil || time.Since(d.since) > timeout/2 {
		d.stop()
		d.since = time.Now()
		d.ctx, d.cancel = context.WithTimeout(context.Background(), timeout)
	}
	return d.ctx
}

func (d *writeDeadline) stop() {
	if d.cancel != nil {
		d.cancel()
	}
}

// drain sends an attached operation's waiting items, each rendered by
// its group, and ends the operation when its source has closed.
func (c *conn) drain(deadline *writeDeadline, op *operation, buf *bytes.Buffer) error {
	for range drainBatch {
		item, ok, closed := op.feed.next()
		if closed {
			if c.stopped(op) {
				c.release(op)
			} else {
				c.end(op, op.feed.src.Err())
			}
			return nil
		}
		if !ok {
			return nil
		}
		if c.stopped(op) {
			continue // completed: what is left of its source is dropped
		}
		payload := op.group.render(item)
		if c.stopped(op) { // completed while rendering
			continue
		}
		buf.Reset()
		encode(buf, op.idJSON, typeNext, payload)
		// The deadline is the write's: rendering is not writing.
		if err := c.ws.Write(deadline.context(c.t.cfg.WriteTimeout), websocket.MessageText, buf.Bytes()); err != nil {
			return err
		}
	}
	c.wake(op) // more may wait: after the others
	return nil
}
