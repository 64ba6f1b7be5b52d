// Package worstcase writes, for every list and page of Lanes' GraphQL
// schema that a query can reach, the document the limits admit that asks
// the most of it: the field reached from each root field of Query by the
// shortest route, its elements with every leaf and the ID of every object
// they hold, page sizes and node IDs as large as fit, and the whole route
// aliased (or, where the field's elements lead back to its parent, nested)
// as often as the complexity limit (graph.OperationCost, the server's own
// pricing) and the document limits (depth, fields, aliases, tokens) allow.
// The documents are for a test that serves them and a benchmark that
// measures them: if the limits bound the work and memory of a response,
// these are where the bound is reached.
package worstcase

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/lanes-dev/lanes/graph"
	"github.com/lanes-dev/lanes/graph/generated"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/notifications"
	"github.com/lanes-dev/lanes/sdk/tenancy"
	"github.com/lanes-dev/lanes/sdk/webhook"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// Limits are the server's limits a document must stay within.
type Limits struct {
	Complexity int
	Depth      int
	Tokens     int
	Fields     int
	Aliases    int
	Repeats    int
}

// DefaultLimits are the server's defaults (README, "Limits"; sdk.Config
// and sdk's handler). Were the server stricter, TestWorstCaseDocuments
// would see its documents refused.
var DefaultLimits = Limits{Complexity: 10_000, Depth: 12, Tokens: 10_000, Fields: 2_000, Aliases: 200, Repeats: 20}

// Args are values from the data the documents' arguments take, so that
// every route resolves to data.
type Args struct {
	// Workflow is a workflow key with cards (board, boardColumn, workflow).
	Workflow string
	// Status is a status of Workflow with cards (boardColumn).
	Status string
	// ProjectIDs are projects of the caller's tenant (node, nodes); nodes
	// takes up to tenancy.MaxNodes of them.
	ProjectIDs []string
	// From and To bound the period of time reports; it should cover the
	// time entries.
	From, To time.Time
	// ReportGroupBy groups the time reports: the grouping with the most
	// rows within timetrack.MaxReportRows (a report of more is refused).
	ReportGroupBy []string
}

// Role is who a document is sent as: the weakest role that may run it.
type Role string

// The roles documents are sent as.
const (
	// Viewer is a member with the VIEWER role: reads everything of the
	// partner's view.
	Viewer Role = "VIEWER"
	// Customer is a customer's portal session (the portal).
	Customer Role = "CUSTOMER"
	// Admin is a member with the ADMIN role: the event feed.
	Admin Role = "ADMIN"
)

// Document is one worst-case document.
type Document struct {
	// Name is the root field, the field it multiplies and, for nested
	// documents, "nested": "nodes-Project.history-nested".
	Name string
	// Root is the root field the route starts at; Field the list or page
	// the document multiplies ("Project.history").
	Root, Field string
	// Nested is set when the field is nested in itself rather than the
	// route aliased.
	Nested bool
	// Role is who sends it.
	Role Role
	// Query and Variables are the request.
	Query     string
	Variables map[string]any
	// Cost is graph.OperationCost of the document; Copies how many
	// aliased copies of the route it holds.
	Cost, Copies int
}

// Schema is the executable schema's, as the server validates against.
func Schema() *ast.Schema {
	return generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{}}).Schema()
}

// roots are the root fields of Query the documents start at, with who may
// call them; every root field must be here or in skippedRoots, so that a
// new one gets its documents.
var roots = map[string]Role{
	"viewer":      Viewer,
	"workflows":   Viewer,
	"workflow":    Viewer,
	"board":       Viewer,
	"boardColumn": Viewer,
	"node":        Viewer,
	"nodes":       Viewer,
	"projects":    Viewer,
	"timeReport":  Viewer,
	"portal":      Customer,
	"events":      Admin,
	"webhooks":    Admin,
	// The team's directory: any member.
	"members": Viewer,
	// Every member has a feed.
	"notifications": Viewer,
	// Any member may ask (a VIEWER learns it would be FORBIDDEN).
	"transitionPreview": Viewer,
	// Every column's verdict for a dragged card.
	"transitionPreviews": Viewer,
}

// skippedRoots are root fields without documents, and why.
var skippedRoots = map[string]string{
	"runningTimer": "the caller's own running timer: a VIEWER cannot start one, and its lists are a project's, reached from node",
}

// denied are the fields a role may not read (FORBIDDEN): no route of its
// documents passes through them.
var denied = map[Role][]string{
	// A customer sees its projects' statuses, not the workflow's others,
	// nor the partner's automations.
	Customer: {"Workflow.statuses", "Workflow.automations"},
}

// nodeTypes are the types node and nodes are cast to: those Args holds IDs
// of.
var nodeTypes = []string{"Project"}

// Generate writes the worst-case documents of the schema for the data args
// describes, within limits. It fails when a field takes a required argument
// it has no value for, or when a document it writes is refused.
func Generate(schema *ast.Schema, args Args, limits Limits) ([]Document, error) {
	if len(args.ProjectIDs) == 0 || len(args.ReportGroupBy) == 0 {
		return nil, fmt.Errorf("worstcase: no project IDs or report groups")
	}
	g := &generator{schema: schema, args: args, limits: limits, checker: &graph.QueryLimits{
		MaxDepth: limits.Depth, MaxComplexity: limits.Complexity, MaxTokens: limits.Tokens,
		MaxFields: limits.Fields, MaxAliases: limits.Aliases, MaxRepeats: limits.Repeats,
		MaxFragmentSpreads: limits.Aliases, MaxDirectives: limits.Aliases, MaxOperations: 1,
	}}
	var out []Document
	for _, root := range schema.Query.Fields {
		if strings.HasPrefix(root.Name, "__") {
			continue
		}
		if _, skip := skippedRoots[root.Name]; skip {
			continue
		}
		role, ok := roots[root.Name]
		if !ok {
			return nil, fmt.Errorf("worstcase: root field Query.%s has no role: add it to roots or skippedRoots", root.Name)
		}
		docs, err := g.root(root, role)
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
	}
	return out, nil
}

type generator struct {
	schema  *ast.Schema
	args    Args
	limits  Limits
	checker *graph.QueryLimits
}

// step is one field of a route (or a cast of an interface to a type).
type step struct {
	parent *ast.Definition
	field  *ast.FieldDefinition // nil: a cast to cast
	cast   *ast.Definition
}

// knobs are the sizes a copy of a route asks for: the size of the page on
// it or the number of IDs of nodes (no route has both), and how often the
// field is nested in itself.
type knobs struct {
	size, nest int
	// ids names the variable holding the IDs of nodes.
	ids string
}

// root writes the documents of every list reachable from the root field:
// for each, the shortest route to it.
func (g *generator) root(root *ast.FieldDefinition, role Role) ([]Document, error) {
	routes, err := g.routes(root, role)
	if err != nil {
		return nil, err
	}
	var out []Document
	for _, r := range routes {
		target := r[len(r)-1]
		name := root.Name + "-" + key(target.parent, target.field)
		doc, ok, err := g.best(name, root.Name, role, r, false)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, doc)
		}
		if g.backTo(target) == nil {
			continue
		}
		doc, ok, err = g.best(name+"-nested", root.Name, role, r, true)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, doc)
		}
	}
	return out, nil
}

// routes finds, breadth first from the root field, the shortest route to
// every type the root reaches (each type once), and returns one route per
// list or page field of those types, ending in it.
func (g *generator) routes(root *ast.FieldDefinition, role Role) ([][]step, error) {
	if err := g.checkArgs(g.schema.Query, root); err != nil {
		return nil, err
	}
	first := []step{{parent: g.schema.Query, field: root}}
	reached := map[string]bool{}
	queue := [][]step{first}
	var out [][]step
	if isMany(root) {
		out = append(out, first)
	}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		t := g.typeAt(path[len(path)-1])
		if t == nil {
			continue
		}
		if reached[t.Name] {
			continue
		}
		reached[t.Name] = true
		if t.Kind == ast.Interface {
			for _, name := range nodeTypes {
				if impl := g.schema.Types[name]; impl != nil && slices.Contains(impl.Interfaces, t.Name) {
					queue = append(queue, extend(path, step{parent: t, cast: impl}))
				}
			}
			continue
		}
		for _, f := range t.Fields {
			ft := g.schema.Types[f.Type.Name()]
			if strings.HasPrefix(f.Name, "__") || ft == nil || slices.Contains(denied[role], key(t, f)) {
				continue
			}
			if err := g.checkArgs(t, f); err != nil {
				return nil, err
			}
			if isMany(f) && !strings.HasSuffix(t.Name, "Connection") {
				out = append(out, extend(path, step{parent: t, field: f}))
			}
			if ft.Kind == ast.Object || ft.Kind == ast.Interface {
				queue = append(queue, extend(path, step{parent: t, field: f}))
			}
		}
	}
	return out, nil
}

func extend(path []step, s step) []step {
	return append(slices.Clone(path), s)
}

// typeAt is the object or interface type a step leads to.
func (g *generator) typeAt(s step) *ast.Definition {
	if s.cast != nil {
		return s.cast
	}
	t := g.schema.Types[s.field.Type.Name()]
	if t == nil || (t.Kind != ast.Object && t.Kind != ast.Interface) {
		return nil
	}
	return t
}

// isMany reports whether a field returns many elements: a list (of
// objects, or of scalars and enums, which are also leaves of their
// parent's selections) or a page.
func isMany(f *ast.FieldDefinition) bool {
	return isPage(f) || f.Type.Elem != nil
}

func isPage(f *ast.FieldDefinition) bool {
	return f.Arguments.ForName("first") != nil || f.Arguments.ForName("last") != nil
}

func key(parent *ast.Definition, f *ast.FieldDefinition) string {
	return parent.Name + "." + f.Name
}

// argValues are the arguments the documents give, by field; knob values
// are filled in by arguments.
var argValues = map[string]func(g *generator, k knobs) string{
	"Query.workflow": func(g *generator, _ knobs) string { return fmt.Sprintf("key: %q", g.args.Workflow) },
	"Query.board":    func(g *generator, _ knobs) string { return fmt.Sprintf("workflow: %q", g.args.Workflow) },
	"Query.boardColumn": func(g *generator, _ knobs) string {
		return fmt.Sprintf("workflow: %q, status: %q", g.args.Workflow, g.args.Status)
	},
	"Query.node":               func(g *generator, _ knobs) string { return fmt.Sprintf("id: %q", g.args.ProjectIDs[0]) },
	"Query.transitionPreviews": func(g *generator, _ knobs) string { return fmt.Sprintf("projectId: %q", g.args.ProjectIDs[0]) },
	"Query.transitionPreview": func(g *generator, _ knobs) string {
		return fmt.Sprintf("projectId: %q, to: %q", g.args.ProjectIDs[0], g.args.Status)
	},
	"Query.nodes": func(_ *generator, k knobs) string { return "ids: $" + k.ids },
	"Query.timeReport": func(g *generator, _ knobs) string {
		return fmt.Sprintf("input: {from: %q, to: %q, groupBy: [%s]}", g.args.From.UTC().Format(time.RFC3339),
			g.args.To.UTC().Format(time.RFC3339), strings.Join(g.args.ReportGroupBy, ", "))
	},
	"Workflow.statuses": func(*generator, knobs) string { return "includeDisabled: true" },
}

// pageMax is the largest page of each paged field the engine serves.
var pageMax = map[string]int{
	"Query.projects":       workflow.MaxProjectPage,
	"BoardColumn.projects": workflow.MaxColumnPage,
	"Query.events":         events.MaxPage,
	"Webhook.deliveries":   webhook.MaxDeliveriesPage,
	"Query.notifications":  notifications.MaxPage,
}

// checkArgs fails for a field with a required argument the generator has
// no value for.
func (g *generator) checkArgs(parent *ast.Definition, f *ast.FieldDefinition) error {
	if _, ok := argValues[key(parent, f)]; ok {
		return nil
	}
	if isPage(f) {
		if _, ok := pageMax[key(parent, f)]; !ok {
			return fmt.Errorf("worstcase: the page %s has no largest page size: add it to pageMax", key(parent, f))
		}
		return nil
	}
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return fmt.Errorf("worstcase: %s takes a required argument %s: add it to argValues", key(parent, f), a.Name)
		}
	}
	return nil
}

// arguments writes a field's arguments, "(...)" or "".
func (g *generator) arguments(parent *ast.Definition, f *ast.FieldDefinition, k knobs) string {
	var parts []string
	if fn, ok := argValues[key(parent, f)]; ok {
		parts = append(parts, fn(g, k))
	}
	if isPage(f) {
		parts = append(parts, fmt.Sprintf("first: %d", k.size))
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// backTo is the route from a list field's elements back to its parent type
// through single objects (Status.workflow for Workflow.statuses), or nil.
func (g *generator) backTo(target step) []*ast.FieldDefinition {
	if isPage(target.field) {
		return nil
	}
	elem := g.schema.Types[target.field.Type.Name()]
	type hop struct {
		t    *ast.Definition
		path []*ast.FieldDefinition
	}
	queue := []hop{{t: elem}}
	seen := map[string]bool{elem.Name: true}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if len(h.path) > 2 {
			break
		}
		for _, f := range h.t.Fields {
			ft := g.schema.Types[f.Type.Name()]
			if f.Type.Elem != nil || ft == nil || ft.Kind != ast.Object || len(f.Arguments) > 0 {
				continue
			}
			path := append(slices.Clone(h.path), f)
			if ft.Name == target.parent.Name {
				return path
			}
			if !seen[ft.Name] {
				seen[ft.Name] = true
				queue = append(queue, hop{t: ft, path: path})
			}
		}
	}
	return nil
}

// plan is one copy of a route with its knobs: its text, the variable its
// IDs are in (nodes), and what it costs and writes.
type plan struct {
	k              knobs
	text           string
	ids            []any
	cost           int
	fields, tokens int
}

// best writes the document of a route: as many copies of its largest copy
// that fits (the deepest nesting, then the largest page or ID list) as the
// limits admit, topped up with copies of the largest that fits in what is
// left; false when not even the smallest copy fits.
func (g *generator) best(name, root string, role Role, route []step, nested bool) (Document, bool, error) {
	size := 1
	for _, s := range route {
		switch {
		case s.field == nil:
		case isPage(s.field):
			size = pageMax[key(s.parent, s.field)]
		case key(s.parent, s.field) == "Query.nodes":
			size = min(len(g.args.ProjectIDs), tenancy.MaxNodes)
		}
	}
	// A nested document nests the field at least once in itself.
	nestFrom, nestTo := 1, 1
	if nested {
		nestFrom, nestTo = 2, g.limits.Depth
	}
	main, ok, err := g.largest(route, "ids", nestFrom, nestTo, size, g.limits.Complexity)
	if err != nil || !ok {
		return Document{}, false, err
	}
	copies := g.copies(main, g.limits.Complexity, g.limits.Fields, g.limits.Tokens, g.limits.Aliases)
	plans := []plan{main}
	counts := []int{copies}
	rest := g.limits.Complexity - copies*main.cost
	if filler, ok, err := g.largest(route, "more", 1, main.k.nest, size, rest); err != nil {
		return Document{}, false, err
	} else if ok {
		n := g.copies(filler, rest, g.limits.Fields-copies*main.fields, g.limits.Tokens-copies*(main.tokens+2), g.limits.Aliases-copies)
		if n > 0 {
			plans, counts = append(plans, filler), append(counts, n)
		}
	}

	var b strings.Builder
	vars := map[string]any{}
	var params []string
	alias, cost := 0, 0
	for i, p := range plans {
		if p.ids != nil {
			name := []string{"ids", "more"}[i]
			vars[name] = p.ids
			params = append(params, "$"+name+": [ID!]!")
		}
		for range counts[i] {
			fmt.Fprintf(&b, "  c%d: %s\n", alias, p.text)
			alias++
			cost += p.cost
		}
	}
	header := "query"
	if len(params) > 0 {
		header += "(" + strings.Join(params, ", ") + ")"
	}
	last := route[len(route)-1]
	doc := Document{
		Name: name, Root: root, Field: key(last.parent, last.field), Nested: nested, Role: role,
		Query: header + " {\n" + b.String() + "}\n", Variables: vars, Cost: cost, Copies: alias,
	}
	if err := g.check(doc); err != nil {
		return Document{}, false, fmt.Errorf("worstcase: %s: %w", name, err)
	}
	return doc, true, nil
}

// copies is how many copies of a plan fit in the budgets.
func (g *generator) copies(p plan, cost, fields, tokens, aliases int) int {
	// Each copy adds its alias (two tokens); the header and braces take a
	// few more.
	return max(0, min(cost/p.cost, fields/p.fields, (tokens-30)/(p.tokens+2), aliases))
}

// largest finds the largest copy of a route within the budget: the deepest
// nesting in [nestFrom, nestTo] at which the smallest copy fits, then the
// largest size (page or IDs, at most size) by bisection (costs grow with
// both).
func (g *generator) largest(route []step, idsVar string, nestFrom, nestTo, size, budget int) (plan, bool, error) {
	for nest := nestTo; nest >= nestFrom; nest-- {
		p, ok, err := g.plan(route, idsVar, knobs{size: 1, nest: nest}, budget)
		if err != nil {
			return plan{}, false, err
		}
		if !ok {
			continue
		}
		lo, hi := 1, size // p fits at lo
		for lo < hi {
			mid := (lo + hi + 1) / 2
			q, ok, err := g.plan(route, idsVar, knobs{size: mid, nest: nest}, budget)
			if err != nil {
				return plan{}, false, err
			}
			if ok {
				lo, p = mid, q
			} else {
				hi = mid - 1
			}
		}
		return p, true, nil
	}
	return plan{}, false, nil
}

// plan writes one copy of a route and prices it; false when it is deeper
// than the limit or costs more than the budget.
func (g *generator) plan(route []step, idsVar string, k knobs, budget int) (plan, bool, error) {
	text, depth := g.copyOf(route, idsVar, k)
	if depth > g.limits.Depth {
		return plan{}, false, nil
	}
	p := plan{k: k, text: text}
	header := "query"
	if strings.Contains(text, "$"+idsVar) {
		p.ids = make([]any, k.size)
		for i := range p.ids {
			p.ids[i] = g.args.ProjectIDs[i]
		}
		header = "query($" + idsVar + ": [ID!]!)"
	}
	doc, errs := gqlparser.LoadQuery(g.schema, header+" { c0: "+text+" }")
	if errs != nil {
		return plan{}, false, fmt.Errorf("invalid document: %v\n%s", errs, text)
	}
	p.cost = graph.OperationCost(doc.Operations[0], map[string]any{idsVar: p.ids})
	p.fields, p.tokens = countFields(doc.Operations[0].SelectionSet), countTokens(text)
	return p, p.cost <= budget, nil
}

// copyOf writes one copy of the route (without alias) and its depth.
func (g *generator) copyOf(route []step, idsVar string, k knobs) (string, int) {
	k.ids = idsVar
	target := route[len(route)-1]
	inner, innerDepth := g.targetSelection(target, k)
	s, depth := inner, innerDepth
	for i := len(route) - 2; i >= 0; i-- {
		st := route[i]
		if st.cast != nil {
			s = "... on " + st.cast.Name + " { " + s + " }"
			continue
		}
		s = st.field.Name + g.arguments(st.parent, st.field, k) + " { " + s + " }"
		depth++
	}
	return s, depth
}

// targetSelection writes the target field with its selection and depth.
func (g *generator) targetSelection(target step, k knobs) (string, int) {
	f := target.field
	head := f.Name + g.arguments(target.parent, f, k)
	elem := g.schema.Types[f.Type.Name()]
	if elem.Kind == ast.Scalar || elem.Kind == ast.Enum {
		return head, 1
	}
	if isPage(f) {
		sel, d := g.connection(elem)
		return head + " { " + sel + " }", 1 + d
	}
	if k.nest <= 1 {
		sel, d := g.wide(elem, "")
		return head + " { " + sel + " }", 1 + d
	}
	back := g.backTo(target)
	sel, d := g.wide(elem, "")
	for range k.nest - 1 {
		// One level more: the elements, and through the route back to the
		// parent, the field again.
		chain, chainDepth := head+" { "+sel+" }", 1+d
		for i := len(back) - 1; i >= 0; i-- {
			chain = back[i].Name + " { " + firstLeaf(g.schema.Types[back[i].Type.Name()]) + " " + chain + " }"
			chainDepth++
		}
		w, wd := g.wide(elem, back[0].Name)
		sel, d = w+" "+chain, max(wd, chainDepth)
	}
	return head + " { " + sel + " }", 1 + d
}

// connection selects a page: its count, page info and edges with their
// nodes' leaves.
func (g *generator) connection(conn *ast.Definition) (string, int) {
	var parts []string
	depth := 1
	for _, f := range conn.Fields {
		ft := g.schema.Types[f.Type.Name()]
		switch {
		case ft == nil:
		case ft.Kind == ast.Scalar || ft.Kind == ast.Enum:
			parts = append(parts, f.Name)
		case f.Name == "edges":
			var edge []string
			for _, ef := range ft.Fields {
				et := g.schema.Types[ef.Type.Name()]
				if et.Kind == ast.Scalar || et.Kind == ast.Enum {
					edge = append(edge, ef.Name)
					continue
				}
				sel, d := g.wide(et, "")
				edge = append(edge, ef.Name+" { "+sel+" }")
				depth = max(depth, 2+d)
			}
			parts = append(parts, "edges { "+strings.Join(edge, " ")+" }")
		default:
			sel, d := g.wide(ft, "")
			parts = append(parts, f.Name+" { "+sel+" }")
			depth = max(depth, 1+d)
		}
	}
	return strings.Join(parts, " "), depth
}

// wide selects every leaf of a type (scalars, enums and their lists) and
// the first leaf of every single object it holds, except the field skip;
// lists of objects are other documents' targets. The depth is 1 or 2.
func (g *generator) wide(t *ast.Definition, skip string) (string, int) {
	if t.Kind == ast.Interface {
		var parts []string
		for _, name := range nodeTypes {
			if impl := g.schema.Types[name]; impl != nil && slices.Contains(impl.Interfaces, t.Name) {
				sel, _ := g.wide(impl, skip)
				parts = append(parts, "... on "+impl.Name+" { "+sel+" }")
			}
		}
		return strings.Join(parts, " "), 2
	}
	var parts []string
	depth := 1
	for _, f := range t.Fields {
		ft := g.schema.Types[f.Type.Name()]
		if strings.HasPrefix(f.Name, "__") || f.Name == skip || ft == nil || requiresArgs(f) {
			continue
		}
		switch {
		case ft.Kind == ast.Scalar || ft.Kind == ast.Enum:
			parts = append(parts, f.Name)
		case f.Type.Elem != nil || isPage(f):
		default:
			parts = append(parts, f.Name+" { "+firstLeaf(ft)+" }")
			depth = 2
		}
	}
	return strings.Join(parts, " "), depth
}

func requiresArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

// firstLeaf is the field an object is selected by: its id, else its first
// scalar.
func firstLeaf(t *ast.Definition) string {
	if t.Fields.ForName("id") != nil {
		return "id"
	}
	for _, f := range t.Fields {
		if f.Type.Elem == nil && !strings.HasPrefix(f.Name, "__") && len(f.Arguments) == 0 {
			return f.Name
		}
	}
	return "__typename"
}

// check runs a document through the server's limits, as the handler does.
func (g *generator) check(d Document) error {
	ctx := context.Background()
	if err := g.checker.MutateOperationParameters(ctx, &graphql.RawParams{Query: d.Query, Variables: d.Variables}); err != nil {
		return fmt.Errorf("refused before validation: %s", err.Message)
	}
	doc, errs := gqlparser.LoadQuery(g.schema, d.Query)
	if errs != nil {
		return fmt.Errorf("invalid document: %v", errs)
	}
	op := &graphql.OperationContext{Operation: doc.Operations[0], Variables: d.Variables, Doc: doc}
	if err := g.checker.MutateOperationContext(ctx, op); err != nil {
		return fmt.Errorf("refused after validation: %s", err.Message)
	}
	if cost := graph.OperationCost(doc.Operations[0], d.Variables); cost != d.Cost {
		return fmt.Errorf("costs %d, not %d", cost, d.Cost)
	}
	return nil
}

// countFields counts the fields a selection set writes.
func countFields(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n += 1 + countFields(s.SelectionSet)
		case *ast.InlineFragment:
			n += countFields(s.SelectionSet)
		}
	}
	return n
}

// countTokens counts the lexer's tokens of a text.
func countTokens(text string) int {
	l := lexer.New(&ast.Source{Input: text})
	n := 0
	for {
		tok, err := l.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return n
		}
		n++
	}
}
