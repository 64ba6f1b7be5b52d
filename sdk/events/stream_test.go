package events

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// liveSubscription is a subscription past its replay, as Subscribe leaves
// it, fed by hand instead of by the dispatcher.
func liveSubscription(match func(*Live) bool) *Subscription {
	out := make(chan *Live, subscriptionChannel)
	st := newStream(nil)
	s := &Subscription{C: out, out: out, stream: st, opts: SubscribeOptions{Match: match}, stopped: make(chan struct{})}
	st.add(s, 0)
	return s
}

func liveEvents(from, to int64) []*Live {
	var batch []*Live
	for seq := from; seq <= to; seq++ {
		batch = append(batch, &Live{Seq: seq, Type: "project.moved"})
	}
	return batch
}

func receive(t *testing.T, s *Subscription, n int) []int64 {
	t.Helper()
	var got []int64
	for range n {
		e, ok := <-s.C
		require.True(t, ok, "C closed after %d events: %v", len(got), s.Err())
		got = append(got, e.Seq)
	}
	return got
}

func seqs(from, to int64) []int64 {
	var out []int64
	for seq := from; seq <= to; seq++ {
		out = append(out, seq)
	}
	return out
}

func TestSubscriptionSlowReaderGetsEveryEventInOrder(t *testing.T) {
	s := liveSubscription(nil)
	// More than C holds, in several batches, with repeats (a replay and
	// the dispatcher may both hand out an event): the rest waits in the
	// catch-up queue.
	s.push(liveEvents(1, 5))
	s.push(liveEvents(3, 20))
	s.push(liveEvents(21, 40))
	require.Equal(t, seqs(1, 40), receive(t, s, 40))
	s.push(liveEvents(41, 41))
	require.Equal(t, []int64{41}, receive(t, s, 1))
	s.end(nil)
	_, open := <-s.C
	require.False(t, open)
	require.NoError(t, s.Err())
}

func TestSubscriptionMatchFilters(t *testing.T) {
	s := liveSubscription(func(e *Live) bool { return e.Seq%2 == 0 })
	s.push(liveEvents(1, 30))
	require.Equal(t, []int64{2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30}, receive(t, s, 15))
	s.end(nil)
}

func TestSubscriptionLaggingReaderIsEnded(t *testing.T) {
	s := liveSubscription(nil)
	// Nobody reads: C fills, then the catch-up queue, past its bound.
	const pushed = 3 * subscriptionBuffer
	for seq := int64(1); seq <= pushed; seq += 100 {
		s.push(liveEvents(seq, seq+99))
	}
	// What was handed out still arrives, then C closes with ErrLagged.
	var last int64
	for e := range s.C {
		require.Equal(t, last+1, e.Seq)
		last = e.Seq
	}
	require.True(t, errors.Is(s.Err(), ErrLagged), "Err: %v", s.Err())
	require.Less(t, last, int64(pushed))
	// Ended subscriptions take nothing more, and leave the dispatcher.
	s.push(liveEvents(5000, 5001))
	s.stream.mu.Lock()
	defer s.stream.mu.Unlock()
	require.Empty(t, s.stream.feeds)
}

func TestSubscriptionEndedWhileCatchingUp(t *testing.T) {
	s := liveSubscription(nil)
	s.push(liveEvents(1, 50))
	require.Equal(t, seqs(1, 3), receive(t, s, 3))
	s.end(nil)
	s.end(ErrLagged) // a second end changes nothing
	for range s.C {
	}
	require.NoError(t, s.Err())
}

// A reader told by Notify, taking events with non-blocking receives as
// the WebSocket transport does, gets every event in order and learns of
// the end, with no goroutine waiting on C.
func TestSubscriptionNotifies(t *testing.T) {
	s := liveSubscription(nil)
	wake := make(chan struct{}, 1)
	s.Notify(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	var got []int64
	closed := false
	drain := func() {
		<-wake
		for {
			select {
			case e, ok := <-s.C:
				if !ok {
					closed = true
					return
				}
				got = append(got, e.Seq)
				continue
			default:
			}
			return
		}
	}
	drain() // told once at once, with nothing yet
	require.Empty(t, got)
	s.push(liveEvents(1, 3))
	drain()
	require.Equal(t, seqs(1, 3), got)
	// More than C holds: the catch-up goroutine tells as it hands over.
	s.push(liveEvents(4, 40))
	for len(got) < 40 {
		drain()
	}
	require.Equal(t, seqs(1, 40), got)
	s.end(nil)
	for !closed {
		drain()
	}
	require.NoError(t, s.Err())
}

// A reader that runs only when told (as graph/live's writer) never misses
// an event or C's closing, with the dispatcher, the catch-up goroutine
// and the end racing.
func TestSubscriptionNotifyNeverMissed(t *testing.T) {
	for round := range 200 {
		s := liveSubscription(nil)
		var mu sync.Mutex
		running, queued := false, false
		var got []int64
		closed := make(chan struct{})
		var run func()
		run = func() {
			for {
				mu.Lock()
				if !queued {
					running = false
					mu.Unlock()
					return
				}
				queued = false
				mu.Unlock()
				for range 3 { // small batches, as drainBatch
					select {
					case e, ok := <-s.C:
						if !ok {
							close(closed)
							return
						}
						got = append(got, e.Seq)
						if rand.IntN(4) == 0 {
							time.Sleep(time.Microsecond)
						}
						continue
					default:
					}
					break
				}
				mu.Lock()
				queued = true // more may wait (drain's c.wake)
				mu.Unlock()
			}
		}
		wake := func() {
			mu.Lock()
			defer mu.Unlock()
			queued = true
			if !running {
				running = true
				go run()
			}
		}
		go func() {
			for seq := int64(1); seq <= 300; seq += 10 {
				s.push(liveEvents(seq, seq+9))
			}
		}()
		s.Notify(wake)
		go func() {
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			s.end(nil)
		}()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: C's closing never reached the reader (%d events)", round, len(got))
		}
		for i, seq := range got {
			require.Equal(t, int64(i+1), seq)
		}
	}
}
