package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/graph/model"
	"github.com/lanes-dev/lanes/sdk/workflow"
)

// board loads a whole board in one domain call. The page arguments of the
// nested columns.projects field are read from the query here, so every
// column is loaded at once instead of one query per column.
func (r *Resolver) board(ctx context.Context, workflowKey string, archived bool, assignee *pulid.ID) (*workflow.Board, error) {
	opts := boardOptions(ctx, "columns", "projects")
	opts.Archived, opts.Assignee = archived, assignee
	b, err := r.Engine.Board(ctx, workflowKey, opts)
	if err != nil {
		return nil, err
	}
	if err := r.rememberCards(ctx, b.OpenTodos, []string{"columns", "projects"}, b.Columns...); err != nil {
		return nil, err
	}
	return b, nil
}

// rememberCards keeps what a board load read with the cards of its columns
// (open to-dos; tracked time when the selection at path asks for it), so
// the cards' fields answer without a query each.
func (r *Resolver) rememberCards(ctx context.Context, openTodos map[pulid.ID]int, path []string, columns ...*workflow.BoardColumn) error {
	r.rememberOpenTodos(ctx, openTodos)
	if !selects(ctx, append(path, "edges", "node", "trackedSeconds")...) {
		return nil
	}
	return r.loadTrackedSeconds(ctx, columns...)
}

// loadTrackedSeconds sums the time of every card of the columns at once.
func (r *Resolver) loadTrackedSeconds(ctx context.Context, columns ...*workflow.BoardColumn) error {
	var ids []pulid.ID
	for _, col := range columns {
		for _, e := range col.Projects.Edges {
			ids = append(ids, e.Node.ID)
		}
	}
	tracked, err := r.Time.TrackedSeconds(ctx, ids)
	if err != nil {
		return err
	}
	r.rememberTracked(ctx, tracked)
	return nil
}

// trackedSeconds answers from what the board loaded, else queries.
func (r *Resolver) trackedSeconds(ctx context.Context, p *ent.Project) (int, error) {
	if n, ok := r.rememberedTracked(ctx, p.ID); ok {
		return n, nil
	}
	tracked, err := r.Time.TrackedSeconds(ctx, []pulid.ID{p.ID})
	if err != nil {
		return 0, err
	}
	return tracked[p.ID], nil
}

// columnProjects answers a column's projects from the page the board
// loaded, or, for a field asking for another page (a second alias such
// as three: projects(first: 3)), loads that page.
func (r *Resolver) columnProjects(ctx context.Context, col *workflow.BoardColumn, first *int, after *ent.Cursor) (*ent.ProjectConnection, error) {
	if col.Serves(first, after) {
		return col.Projects, nil
	}
	opts := boardOptions(ctx)
	opts.First, opts.After = first, after
	page, b, err := r.Engine.ColumnPage(ctx, col, opts)
	if err != nil {
		return nil, err
	}
	if err := r.rememberCards(ctx, b.OpenTodos, nil, page); err != nil {
		return nil, err
	}
	return page.Projects, nil
}

// boardColumn loads one column, for paging it on its own.
func (r *Resolver) boardColumn(ctx context.Context, workflowKey, statusKey string, archived bool, assignee *pulid.ID) (*workflow.BoardColumn, error) {
	opts := boardOptions(ctx, "projects")
	opts.Archived, opts.Assignee = archived, assignee
	col, b, err := r.Engine.BoardColumn(ctx, workflowKey, statusKey, opts)
	if err != nil {
		return nil, err
	}
	if err := r.rememberCards(ctx, b.OpenTodos, []string{"projects"}, col); err != nil {
		return nil, err
	}
	return col, nil
}

// boardOptions reads the arguments of the projects connection found at
// path below the current field, and whether its cards ask for
// openTodoCount.
func boardOptions(ctx context.Context, path ...string) workflow.BoardOptions {
	var opts workflow.BoardOptions
	opCtx := graphql.GetOperationContext(ctx)
	field, ok := childField(opCtx, graphql.GetFieldContext(ctx).Field, path...)
	if !ok {
		return opts
	}
	args := field.ArgumentMap(opCtx.Variables)
	if first, ok := args["first"].(int64); ok {
		n := int(first)
		opts.First = &n
	}
	if after, ok := args["after"].(string); ok {
		var c ent.Cursor
		if err := c.UnmarshalGQL(after); err == nil {
			opts.After = &c
		} else {
			opts.After = &ent.Cursor{} // refused by the engine as not a board cursor
		}
	}
	_, opts.OpenTodos = childField(opCtx, field, "edges", "node", "openTodoCount")
	_, customers := childField(opCtx, field, "edges", "node", "customer")
	opts.SkipCustomers = !customers
	return opts
}

// selects reports whether the operation selects the path of fields below
// the field being resolved.
func selects(ctx context.Context, path ...string) bool {
	_, ok := childField(graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field, path...)
	return ok
}

// childField follows a path of field names through a selection set.
func childField(opCtx *graphql.OperationContext, from graphql.CollectedField, path ...string) (graphql.CollectedField, bool) {
	cur := from
	for _, name := range path {
		found := false
		for _, f := range graphql.CollectFields(opCtx, cur.Selections, nil) {
			if f.Name == name {
				cur, found = f, true
				break
			}
		}
		if !found {
			return cur, false
		}
	}
	return cur, true
}

// openTodoCount answers from the counts the board loaded with its cards,
// and queries only for projects read elsewhere.
func (r *Resolver) openTodoCount(ctx context.Context, p *ent.Project) (int, error) {
	if n, ok := r.rememberedOpenTodos(ctx, p.ID); ok {
		return n, nil
	}
	counts, err := r.Engine.OpenTodoCounts(ctx, []pulid.ID{p.ID})
	if err != nil {
		return 0, err
	}
	return counts[p.ID], nil
}

// updateStatusInput tells an omitted wipLimit (keep) from null (clear).
func updateStatusInput(in model.UpdateStatusInput) workflow.UpdateStatusInput {
	limit, set := in.WipLimit.ValueOK()
	out := workflow.UpdateStatusInput{
		Workflow:    in.Workflow,
		Status:      in.Status,
		Name:        in.Name,
		Color:       in.Color,
		SetWIPLimit: set,
	}
	if set {
		out.WIPLimit = limit
	}
	return out
}
