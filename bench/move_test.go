package bench_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/workflow/rank"
)

// websiteStatuses are the statuses a move picks its target from.
var websiteStatuses = []string{"lead", "interest", "preparation", "approval", "assign", "creation", "audit",
	"feedback", "revision", "publish", "change", "done", "redesign"}

// moveClients is the number of concurrent clients of the parallel runs.
const moveClients = 8

// BenchmarkMoveProject moves random projects of the first tenant's pool to
// random statuses through the handler (the contract's MoveProject), one
// client and moveClients at once; and the same writes as one raw pgx
// transaction: lock the row, read the neighbour's rank, update the
// project, insert the history row (and the automation's to-dos).
func BenchmarkMoveProject(b *testing.B) {
	forEachDataset(b, func(b *testing.B, f *fixture) {
		t := f.manifest.Tenants[0]
		token := f.memberToken(b, t)
		move := func(b *testing.B, r *rand.Rand) {
			f.serve(b, newRequest(b, token, "MoveProject", map[string]any{"input": map[string]any{
				"id": t.WebsiteProjects[r.IntN(len(t.WebsiteProjects))], "to": websiteStatuses[r.IntN(len(websiteStatuses))],
			}}))
		}
		var ref *referenceMover
		if f.pool != nil {
			ref = newReferenceMover(b, f, t.ID)
		}
		refMove := func(b *testing.B, r *rand.Rand) {
			err := ref.move(context.Background(), t.WebsiteProjects[r.IntN(len(t.WebsiteProjects))], websiteStatuses[r.IntN(len(websiteStatuses))])
			fatalIf(b, err, "reference move")
		}
		b.Run("lanes/serial", func(b *testing.B) {
			before := f.stmts.Snapshot()
			lat := runSerial(b, move)
			f.reportStatements(b, before, len(lat))
		})
		b.Run("lanes/clients=8", func(b *testing.B) { runParallel(b, move) })
		b.Run("pgx-reference/serial", func(b *testing.B) {
			mustPostgres(b, f)
			runSerial(b, refMove)
		})
		b.Run("pgx-reference/clients=8", func(b *testing.B) {
			mustPostgres(b, f)
			runParallel(b, refMove)
		})
	})
}

func runSerial(b *testing.B, op func(*testing.B, *rand.Rand)) latencies {
	r := rand.New(rand.NewPCG(1, 2))
	var lat latencies
	b.ReportAllocs()
	for b.Loop() {
		lat.time(func() { op(b, r) })
	}
	lat.report(b)
	return lat
}

// runParallel runs op from moveClients goroutines and reports throughput
// and latency percentiles over all of them.
func runParallel(b *testing.B, op func(*testing.B, *rand.Rand)) {
	var seed atomic.Uint64
	var mu sync.Mutex
	var all latencies
	b.SetParallelism(max(1, moveClients/runtime.GOMAXPROCS(0)))
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 7))
		var lat latencies
		for pb.Next() {
			lat.time(func() { op(b, r) })
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	all.report(b)
}

// referenceMover does a move's writes with hand-written SQL through pgx.
type referenceMover struct {
	pool        *pgxpool.Pool
	tenantID    string
	statusIDs   map[string]string
	workflowID  string
	automation  string
	automatedTo string
}

func newReferenceMover(b *testing.B, f *fixture, tenantID string) *referenceMover {
	ctx := context.Background()
	m := &referenceMover{pool: f.pool, tenantID: tenantID, statusIDs: map[string]string{}}
	rows, err := f.pool.Query(ctx, `SELECT s.key, s.id, s.workflow_id FROM statuses s JOIN workflows w ON w.id = s.workflow_id
		WHERE s.tenant_id = $1 AND w.key = 'website'`, tenantID)
	fatalIf(b, err, "load statuses")
	for rows.Next() {
		var key, id string
		fatalIf(b, rows.Scan(&key, &id, &m.workflowID), "scan status")
		m.statusIDs[key] = id
	}
	fatalIf(b, rows.Err(), "load statuses")
	err = f.pool.QueryRow(ctx, `SELECT id, status_id FROM automations WHERE tenant_id = $1 AND trigger = 'ENTER'`, tenantID).
		Scan(&m.automation, &m.automatedTo)
	fatalIf(b, err, "load automation")
	return m
}

// move is one move in one transaction, in as few round trips as hand-written
// SQL allows.
func (m *referenceMover) move(ctx context.Context, projectID, to string) error {
	tx, err := m.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var from string
	var version int
	if err := tx.QueryRow(ctx, `SELECT status_id, version FROM projects WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
		m.tenantID, projectID).Scan(&from, &version); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	toID := m.statusIDs[to]
	var last string
	err = tx.QueryRow(ctx, `SELECT rank FROM projects WHERE tenant_id = $1 AND workflow_id = $2 AND status_id = $3
		AND NOT archived AND id <> $4 ORDER BY rank DESC, id DESC LIMIT 1`, m.tenantID, m.workflowID, toID, projectID).Scan(&last)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("neighbour: %w", err)
	}
	r, err := rank.JitteredBetween(last, "")
	if err != nil {
		return err
	}
	now := time.Now()
	batch := &pgx.Batch{}
	batch.Queue(`UPDATE projects SET status_id = $3, rank = $4, version = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2`,
		m.tenantID, projectID, toID, r, version+1, now)
	if from != toID {
		batch.Queue(`INSERT INTO status_changes (id, tenant_id, project_id, from_status_id, to_status_id, action, actor, at)
			VALUES ($1, $2, $3, $4, $5, 'move', 'member:bench', $6)`, string(pulid.New("chg_")), m.tenantID, projectID, from, toID, now)
		if toID == m.automatedTo {
			for _, title := range []string{"Set up the staging site", "Collect the content"} {
				batch.Queue(`INSERT INTO todos (id, tenant_id, project_id, status_id, automation_id, title, blocking, done, kind, author, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, false, false, 'CHECKLIST', 'automation', $7, $7)`,
					string(pulid.New("tod_")), m.tenantID, projectID, toID, m.automation, title, now)
			}
		}
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return tx.Commit(ctx)
}
