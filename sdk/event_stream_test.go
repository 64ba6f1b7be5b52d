package sdk_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// The Go event stream is the platform's and the admins': members and
// viewers are FORBIDDEN, another tenant's event is no position, an
// unknown type is VALIDATION; it gets its tenant's events only.
func TestEventStreamAccess(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		acme, beta := newTeam(t, s, "acme"), newTeam(t, s, "beta")
		create(t, beta.member, "website", "Beta's")
		betaEvent := pulid.ID(lastEventID(t, beta))
		ctx := context.Background()
		as := func(ref, member string) context.Context {
			c, err := s.Lanes.AsMember(ctx, ref, member)
			require.NoError(t, err)
			return c
		}
		for _, m := range []string{"acme-member", "acme-viewer"} {
			_, err := s.Lanes.Events.Stream(as("acme", m), events.StreamOptions{})
			requireCoded(t, err, errcode.Forbidden)
		}
		admin := as("acme", "acme-admin")
		_, err := s.Lanes.Events.Stream(admin, events.StreamOptions{After: &betaEvent})
		requireCoded(t, err, errcode.NotFound)
		_, err = s.Lanes.Events.Stream(admin, events.StreamOptions{Types: []string{"project.exploded"}})
		requireCoded(t, err, errcode.Validation)

		stream, err := s.Lanes.Events.Stream(admin, events.StreamOptions{})
		require.NoError(t, err)
		create(t, beta.member, "website", "Beta's second")
		acmeProject := create(t, acme.member, "website", "Acme's")
		e := <-stream.C
		require.Equal(t, "project.created", e.Type)
		require.Equal(t, acmeProject.ID, string(*e.ProjectID), "beta's events came first and were not delivered")
	})
}
