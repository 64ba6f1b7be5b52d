package sdk

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lanes-dev/lanes/policies"
)

// listenPolicyChanges invalidates cached feature decisions when any replica
// changes a tenant's policies (PostgreSQL LISTEN/NOTIFY), reconnecting with
// backoff until Lanes closes. While disconnected, every tenant's cache is
// dropped on reconnect, so no change is missed.
func (l *Lanes) listenPolicyChanges(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := l.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		l.cfg.Logger.Warn("policy change listener disconnected", "err", err, "retry", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func (l *Lanes) listenOnce(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, l.db.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+policies.NotifyChannel); err != nil {
		return err
	}
	l.features.InvalidateAll() // changes made while we were not listening
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l.features.Invalidate(n.Payload)
	}
}
