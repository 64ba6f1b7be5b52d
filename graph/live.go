package graph

import (
	"context"

	"github.com/lanes-dev/lanes/graph/live"
	"github.com/lanes-dev/lanes/sdk/events"
)

// liveEvents serves a subscription of events. Over the live transport
// the subscription is attached (no goroutine per subscriber) and each
// event is rendered once per group of equal subscribers, by running the
// operation again with the event in its context: then the event is
// returned instead of a new subscription opened. open gets the context
// the subscription lives in.
func liveEvents(ctx context.Context, open func(context.Context) (*events.Subscription, error)) (<-chan *events.Live, error) {
	if rendering, ok := live.Rendering[*events.Live](ctx); ok {
		return rendering, nil
	}
	sub, err := open(live.Lifetime(ctx))
	if err != nil {
		return nil, err
	}
	live.Attach(ctx, sub.C, sub)
	return sub.C, nil
}
