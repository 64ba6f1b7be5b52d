package workflow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent"
)

func TestDwell(t *testing.T) {
	lead := &ent.Status{ID: "sts_lead", Key: "lead", Position: 0}
	prep := &ent.Status{ID: "sts_prep", Key: "preparation", Position: 2}
	done := &ent.Status{ID: "sts_done", Key: "done", Position: 11}
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	row := func(to *ent.Status, at time.Duration) *ent.StatusChange {
		r := &ent.StatusChange{ToStatusID: to.ID, At: t0.Add(at)}
		r.Edges.To = to
		return r
	}
	rows := []*ent.StatusChange{
		row(lead, 0),
		row(prep, time.Hour),           // 1h in lead
		row(lead, 3*time.Hour),         // 2h in preparation
		row(done, 3*time.Hour+30*60e9), // 30m more in lead
	}
	got := dwell(rows, t0.Add(5*time.Hour)) // 1h30m in done so far
	require.Len(t, got, 3)
	want := map[string]int{"lead": 5400, "preparation": 7200, "done": 5400}
	for i, d := range got {
		require.Equal(t, want[d.Status.Key], d.Seconds, d.Status.Key)
		if i > 0 {
			require.Less(t, got[i-1].Status.Position, d.Status.Position, "workflow order")
		}
	}
	require.Empty(t, dwell(nil, t0))
}
