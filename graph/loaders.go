package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
)

// requestMemo caches, for one GraphQL operation, aggregates that many
// fields share (projectCount of every status), so they cost one query per
// operation instead of one per field.
type requestMemo struct {
	mu           sync.Mutex
	statusCounts map[pulid.ID]*memoEntry[map[pulid.ID]int]
	// openTodos are the open to-do counts the board loaded with its cards.
	openTodos map[pulid.ID]int
	// tracked is the tracked time of the board's cards.
	tracked map[pulid.ID]int
}

type memoEntry[T any] struct {
	once sync.Once
	val  T
	err  error
}

type memoKey struct{}

// WithRequestMemo gives each operation its memo (srv.AroundOperations).
func WithRequestMemo(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, memoKey{}, &requestMemo{}))
}

// statusCounts returns the per-status project counts of a tenant, computing
// them once per operation.
func (r *Resolver) statusCounts(ctx context.Context, tenantID pulid.ID) (map[pulid.ID]int, error) {
	m, ok := memoFrom(ctx)
	if !ok {
		return r.Engine.ProjectCounts(ctx, tenantID)
	}
	m.mu.Lock()
	if m.statusCounts == nil {
		m.statusCounts = map[pulid.ID]*memoEntry[map[pulid.ID]int]{}
	}
	e, ok := m.statusCounts[tenantID]
	if !ok {
		e = &memoEntry[map[pulid.ID]int]{}
		m.statusCounts[tenantID] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.val, e.err = r.Engine.ProjectCounts(ctx, tenantID) })
	return e.val, e.err
}

func memoFrom(ctx context.Context) (*requestMemo, bool) {
	m, ok := ctx.Value(memoKey{}).(*requestMemo)
	return m, ok
}

// rememberOpenTodos keeps counts loaded in bulk for the cards' fields.
func (r *Resolver) rememberOpenTodos(ctx context.Context, counts map[pulid.ID]int) {
	m, ok := memoFrom(ctx)
	if !ok || counts == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.openTodos == nil {
		m.openTodos = make(map[pulid.ID]int, len(counts))
	}
	for id, n := range counts {
		m.openTodos[id] = n
	}
}

// rememberedOpenTodos returns a count the board loaded, if any. A card the
// board loaded without open to-dos has no entry in the counts map, so the
// board records every card it loaded (see Board.OpenTodos).
func (r *Resolver) rememberedOpenTodos(ctx context.Context, id pulid.ID) (int, bool) {
	m, ok := memoFrom(ctx)
	if !ok {
		return 0, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.openTodos[id]
	return n, ok
}

// rememberTracked keeps tracked time loaded in bulk for the cards' fields.
func (r *Resolver) rememberTracked(ctx context.Context, tracked map[pulid.ID]int) {
	m, ok := memoFrom(ctx)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tracked == nil {
		m.tracked = make(map[pulid.ID]int, len(tracked))
	}
	for id, n := range tracked {
		m.tracked[id] = n
	}
}

func (r *Resolver) rememberedTracked(ctx context.Context, id pulid.ID) (int, bool) {
	m, ok := memoFrom(ctx)
	if !ok {
		return 0, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.tracked[id]
	return n, ok
}
