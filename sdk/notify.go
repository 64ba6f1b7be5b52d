package sdk

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/webhook"
	"github.com/lanes-dev/lanes/sdk/workflow"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// listenChanges invalidates cached feature decisions, workflows and webhook
// endpoints when any replica changes a tenant's policies, workflow
// configuration or endpoints
// (PostgreSQL LISTEN/NOTIFY), reconnecting with backoff until Lanes closes.
// Every tenant's caches are dropped on (re)connect, so a change made while
// disconnected is not missed.
func (l *Lanes) listenChanges(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := l.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		l.cfg.Logger.Warn("change listener disconnected", "err", err, "retry", backoff)
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
	for _, channel := range []string{policies.NotifyChannel, workflow.ConfigChannel, webhook.ChangeChannel, events.EventsChannel, auth.MembersChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
			return err
		}
	}
	// Changes made while we were not listening.
	l.features.InvalidateAll()
	l.Workflows.InvalidateAllConfig()
	l.Webhooks.ForgetAll()
	l.Events.Resync()
	l.markListening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Channel {
		case policies.NotifyChannel:
			l.features.Invalidate(n.Payload)
		case workflow.ConfigChannel:
			l.Workflows.ConfigNotice(n.Payload)
		case auth.MembersChannel:
			l.authn.ForgetMember(n.Payload)
		case webhook.ChangeChannel:
			l.Webhooks.Forget(pulid.ID(n.Payload))
		case events.EventsChannel:
			if tenantID, seq, ok := strings.Cut(n.Payload, ":"); ok {
				if s, err := strconv.ParseInt(seq, 10, 64); err == nil {
					l.Events.Signal(pulid.ID(tenantID), s)
				}
			}
		}
	}
}

func (l *Lanes) markListening() { l.listeningOnce.Do(func() { close(l.listening) }) }
