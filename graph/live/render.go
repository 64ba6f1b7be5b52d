package live

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// How a subscription is served without a goroutine per subscriber.
//
// A subscription resolver that supports it opens its source as usual and
// hands it to Attach instead of only returning its channel. The transport
// then never pulls events through gqlgen (which parks a goroutine on the
// channel for each subscriber): the source tells the transport when items
// are waiting, and the connection's writer, running only while it has
// something to send, takes them with non-blocking receives.
//
// Each item is rendered (gqlgen executing the selection on it) once per
// group: the subscribers whose operations and scopes are equal, which
// therefore get the same bytes. A rendering runs the operation again with
// the item in its context, where the resolver, asked for its channel,
// finds it through Rendering and hands it over instead of opening a
// source.

// Source is a subscription's source of items, as Attach takes it.
type Source interface {
	// Notify registers a function to call, without blocking, whenever the
	// source's channel has been given an item or closed, and calls it
	// once at once.
	Notify(func())
	// Err is why the channel was closed (nil: it just ended).
	Err() error
}

type slotKey struct{}

// slot is where Attach leaves a source for the transport that asked.
type slot struct {
	// lifetime ends with the operation and holds only the connection's
	// values (Lifetime).
	lifetime context.Context
	feed     *feed
}

// feed is an attached source: next takes its channel's next item
// without blocking (ok false: none waiting; closed: the channel is).
type feed struct {
	next func() (item any, ok, closed bool)
	src  Source
}

// Attach hands the transport a subscription resolver's source, when the
// operation is served by this transport; otherwise (gqlgen's own
// transports) it does nothing and gqlgen reads the channel the resolver
// returns. Items must be pointers or other comparable values: a rendering
// is kept per item.
func Attach[T comparable](ctx context.Context, c <-chan T, src Source) {
	s, ok := ctx.Value(slotKey{}).(*slot)
	if !ok || s.feed != nil {
		return
	}
	s.feed = &feed{src: src, next: func() (any, bool, bool) {
		select {
		case v, open := <-c:
			if !open {
				return nil, false, true
			}
			return v, true, false
		default:
			return nil, false, false
		}
	}}
}

// Lifetime is the context a subscription resolver opens its source with:
// over this transport, one that ends with the operation and holds only
// the connection's values (the caller), so that a source kept for hours
// keeps little; otherwise ctx itself.
func Lifetime(ctx context.Context) context.Context {
	if s, ok := ctx.Value(slotKey{}).(*slot); ok {
		return s.lifetime
	}
	return ctx
}

type renderKey struct{}

// Rendering returns, while the transport renders an item for a group, a
// channel holding that item: the subscription resolver returns it instead
// of opening a source.
func Rendering[T comparable](ctx context.Context) (<-chan T, bool) {
	item, ok := ctx.Value(renderKey{}).(T)
	if !ok {
		return nil, false
	}
	c := make(chan T, 1)
	c <- item
	return c, true
}

// renderMemo is how many recent renderings a group keeps: subscribers
// that read an item late still share its rendering.
const renderMemo = 64

// group is the subscribers sharing renderings.
type group struct {
	key  string
	exec graphql.GraphExecutor
	// rc and ctx are the first subscriber's operation and connection
	// (its values, not its cancellation): by the group's key, any
	// member's would render the same.
	rc      *graphql.OperationContext
	ctx     context.Context
	timeout time.Duration
	present func(context.Context, error) *gqlerror.Error
	renders *counter

	members int // under the transport's mu

	// latest is the newest finished rendering: the one every member of a
	// live group asks for, read without a lock.
	latest atomic.Pointer[rendering]
	mu     sync.RWMutex
	recent [renderMemo]*rendering
	next   int
}

// rendering is an item's payload, or its rendering under way: done is
// closed once payload is set.
type rendering struct {
	item    any
	done    chan struct{}
	payload []byte
}

// render returns the payload of the item's next message. The first
// member to ask renders it, outside the group's lock (a member replaying
// old items does not hold up the live ones); the others wait for that.
func (g *group) render(item any) []byte {
	if r := g.latest.Load(); r != nil && r.item == item {
		return r.payload
	}
	g.mu.RLock()
	r := g.lookup(item)
	g.mu.RUnlock()
	if r == nil {
		g.mu.Lock()
		if r = g.lookup(item); r == nil {
			r = &rendering{item: item, done: make(chan struct{})}
			g.recent[g.next] = r
			g.next = (g.next + 1) % renderMemo
			g.mu.Unlock()
			r.payload = g.execute(item)
			close(r.done)
			g.latest.Store(r)
			return r.payload
		}
		g.mu.Unlock()
	}
	<-r.done
	return r.payload
}

// lookup finds an item's rendering, newest first.
func (g *group) lookup(item any) *rendering {
	for i := range renderMemo {
		r := g.recent[(g.next-1-i+renderMemo)%renderMemo]
		if r == nil {
			break
		}
		if r.item == item {
			return r
		}
	}
	return nil
}

// execute runs the group's operation on one item.
func (g *group) execute(item any) (payload []byte) {
	g.renders.add(1)
	ctx, cancel := context.WithTimeout(context.WithValue(g.ctx, renderKey{}, item), g.timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			payload = errorResponse(g.present(ctx, g.rc.Recover(ctx, r)))
		}
	}()
	responses, ctx := g.exec.DispatchOperation(ctx, g.rc)
	resp := responses(ctx)
	if resp == nil {
		return errorResponse(g.present(ctx, fmt.Errorf("live: rendering %T gave no response", item)))
	}
	payload, err := json.Marshal(resp)
	if err != nil {
		return errorResponse(g.present(ctx, fmt.Errorf("live: encode a rendering: %w", err)))
	}
	return payload
}

// errorResponse is a response of one error.
func errorResponse(e *gqlerror.Error) []byte {
	b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{e}})
	return b
}

// groupKey is what makes two subscriptions' renderings equal: who reads
// (the scope), the document and operation, and the values of the
// variables the selection uses below its root field. The root field's
// own arguments choose the source (which items arrive), not how an item
// renders: a subscriber resuming after another event shares its group.
func groupKey(scope string, rc *graphql.OperationContext) string {
	names := renderVariables(rc.Doc, rc.Operation)
	vars := make(map[string]any, len(names))
	for _, n := range names {
		vars[n] = rc.Variables[n]
	}
	values, _ := json.Marshal(vars) // map keys sorted
	var b strings.Builder
	for _, part := range []string{scope, rc.OperationName, rc.RawQuery} {
		fmt.Fprintf(&b, "%d:%s", len(part), part)
	}
	b.Write(values)
	return b.String()
}

// renderVariables lists the variables an operation uses anywhere but in
// its root fields' arguments.
func renderVariables(doc *ast.QueryDocument, op *ast.OperationDefinition) []string {
	var names []string
	use := func(v *ast.Value) {
		for _, name := range variablesOf(v) {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	directives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				use(a.Value)
			}
		}
	}
	type spread struct {
		name string
		root bool
	}
	seen := map[spread]bool{}
	var walk func(set ast.SelectionSet, root bool)
	walk = func(set ast.SelectionSet, root bool) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				directives(s.Directives)
				if !root {
					for _, a := range s.Arguments {
						use(a.Value)
					}
				}
				walk(s.SelectionSet, false)
			case *ast.InlineFragment:
				directives(s.Directives)
				walk(s.SelectionSet, root)
			case *ast.FragmentSpread:
				directives(s.Directives)
				if seen[spread{s.Name, root}] {
					continue
				}
				seen[spread{s.Name, root}] = true
				if f := doc.Fragments.ForName(s.Name); f != nil {
					directives(f.Directives)
					walk(f.SelectionSet, root)
				}
			}
		}
	}
	directives(op.Directives)
	walk(op.SelectionSet, true)
	slices.Sort(names)
	return names
}

// variablesOf lists the variables a value refers to, in lists and
// objects too.
func variablesOf(v *ast.Value) []string {
	if v == nil {
		return nil
	}
	if v.Kind == ast.Variable {
		return []string{v.Raw}
	}
	var out []string
	for _, c := range v.Children {
		out = append(out, variablesOf(c.Value)...)
	}
	return out
}
