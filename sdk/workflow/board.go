package workflow

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect/sql"
	"golang.org/x/sync/errgroup"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/predicate"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
	"github.com/lanes-dev/lanes/ent/todo"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// Page sizes: of a board column, and of other lists of projects.
const (
	DefaultColumnPage  = 20
	MaxColumnPage      = 100
	DefaultProjectPage = 50
	MaxProjectPage     = 100
)

// ProjectPage bounds a page of the projects connection: first or last at
// most MaxProjectPage, DefaultProjectPage of the first when neither is
// given (so no request reads a whole tenant).
func ProjectPage(first, last *int) (*int, *int, error) {
	for name, n := range map[string]*int{"first": first, "last": last} {
		if n != nil && (*n < 0 || *n > MaxProjectPage) {
			return nil, nil, errcode.Invalid(name, fmt.Sprintf("%s must be between 0 and %d", name, MaxProjectPage))
		}
	}
	if first == nil && last == nil {
		n := DefaultProjectPage
		first = &n
	}
	return first, last, nil
}

// BoardOptions say how much of each column to load.
type BoardOptions struct {
	// First is the page size of every column (default 20, at most 100).
	First *int
	// After continues a column after a card (a column's endCursor).
	After *ent.Cursor
	// OpenTodos also counts the open to-dos of the loaded cards.
	OpenTodos bool
	// SkipCustomers leaves the cards' customers unloaded.
	SkipCustomers bool
	// Archived shows the archived projects (e.g. declined leads) instead
	// of the active ones.
	Archived bool
	// Assignee keeps the cards (and counts) of the projects assigned to
	// that member.
	Assignee *pulid.ID
}

// Board is a kanban board: one column per enabled status, in order.
type Board struct {
	Workflow *ent.Workflow
	Columns  []*BoardColumn
	// OpenTodos counts the open to-dos per loaded card, when asked.
	OpenTodos map[pulid.ID]int
}

// CategoryCount is how many of a board's projects are in statuses of a
// category.
type CategoryCount struct {
	Category status.Category
	Count    int
}

// categories are the status categories in the order of a project's life.
var categories = []status.Category{
	status.CategoryLEAD, status.CategoryOPEN, status.CategoryIN_PROGRESS,
	status.CategoryWAITING, status.CategoryDONE, status.CategoryCANCELLED,
}

// Summary counts the board's projects by the category of their status
// (the columns' totals), in the order of a project's life; categories
// without a column are left out.
func (b *Board) Summary() []CategoryCount {
	counts := map[status.Category]int{}
	for _, col := range b.Columns {
		counts[col.Status.Category] += col.TotalCount
	}
	out := []CategoryCount{}
	for _, c := range categories {
		if n, ok := counts[c]; ok {
			out = append(out, CategoryCount{Category: c, Count: n})
		}
	}
	return out
}

// BoardColumn is one status of the board with a page of its cards in rank
// order (archived projects are not on the board).
type BoardColumn struct {
	Status     *ent.Status
	TotalCount int
	Projects   *ent.ProjectConnection
	// The page Projects holds: of which workflow's board, archived or not,
	// from which cursor, how many.
	workflowKey string
	archived    bool
	assignee    *pulid.ID
	first       int
	after       *ent.Cursor
}

// Serves reports whether the column's loaded page is the one the
// arguments ask for (a second, aliased projects field of a column may ask
// for another: ColumnPage loads it).
func (col *BoardColumn) Serves(first *int, after *ent.Cursor) bool {
	n := DefaultColumnPage
	if first != nil {
		n = *first
	}
	if n != col.first || (after == nil) != (col.after == nil) {
		return false
	}
	return after == nil || after.ID == col.after.ID && fmt.Sprint(after.Value) == fmt.Sprint(col.after.Value)
}

// ColumnPage loads another page of a board's column (the same board:
// workflow, archived or not) with the options' page and card fields.
func (s *Service) ColumnPage(ctx context.Context, col *BoardColumn, opts BoardOptions) (*BoardColumn, *Board, error) {
	opts.Archived, opts.Assignee = col.archived, col.assignee
	return s.BoardColumn(ctx, col.workflowKey, col.Status.Key, opts)
}

// Board loads a workflow's board with a fixed number of queries, whatever
// the number of columns and cards: the workflow and its statuses, the card
// count per column, the first page of every column at once (a window
// query), their customers, and optionally their open to-do counts.
func (s *Service) Board(ctx context.Context, workflowKey string, opts BoardOptions) (*Board, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	f, err := s.flowByKey(ctx, s.client, workflowKey)
	if err != nil {
		return nil, err
	}
	return s.board(ctx, f, f.enabled(), opts)
}

// BoardColumn loads one column of a board, for paging it on its own.
func (s *Service) BoardColumn(ctx context.Context, workflowKey, statusKey string, opts BoardOptions) (*BoardColumn, *Board, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, nil, err
	}
	f, err := s.flowByKey(ctx, s.client, workflowKey)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.status(statusKey)
	if err != nil {
		return nil, nil, err
	}
	if !st.Enabled {
		return nil, nil, ErrStatusDisabled.With("status", st.Key)
	}
	b, err := s.board(ctx, f, []*ent.Status{st}, opts)
	if err != nil {
		return nil, nil, err
	}
	return b.Columns[0], b, nil
}

func (s *Service) board(ctx context.Context, f *flow, statuses []*ent.Status, opts BoardOptions) (*Board, error) {
	if opts.Assignee != nil {
		// A member of the tenant (removed ones too: their old cards);
		// another tenant's is NOT_FOUND, not an empty board.
		ok, err := s.client.Member.Query().Where(member.ID(*opts.Assignee)).Exist(ctx)
		if err != nil {
			return nil, fmt.Errorf("find member %s: %w", *opts.Assignee, err)
		}
		if !ok {
			return nil, ErrMemberNotFound.With("field", "assignee").With("id", *opts.Assignee)
		}
	}
	first, err := pageSize(opts.First)
	if err != nil {
		return nil, err
	}
	after, err := rankCursor(opts.After)
	if err != nil {
		return nil, err
	}
	b := &Board{Workflow: f.w, Columns: make([]*BoardColumn, len(statuses))}
	if len(statuses) == 0 {
		return b, nil
	}
	ids := make([]pulid.ID, len(statuses))
	for i, st := range statuses {
		ids[i] = st.ID
	}
	// The counts scan every active card of the columns; the pages read a
	// few index ranges. They run side by side on two connections, so the
	// board waits for the slower of the two, not their sum.
	var (
		counts map[pulid.ID]int
		cards  []*ent.Project
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		counts, err = s.columnCounts(gctx, f.w.ID, ids, opts.Archived, opts.Assignee)
		return err
	})
	g.Go(func() (err error) {
		a, _ := tenant.FromContext(gctx)
		q := s.client.Project.Query().Order(ent.Asc(project.FieldRank), ent.Asc(project.FieldID))
		if !opts.SkipCustomers {
			q.WithCustomer()
		}
		modifiers := []func(*sql.Selector){firstOfEachColumn(a.TenantID, f.w.ID, ids, opts.Archived, opts.Assignee, after, first+1)}
		if opts.OpenTodos {
			modifiers = append(modifiers, withOpenTodoCount)
		}
		cards, err = q.Modify(modifiers...).All(gctx)
		if err != nil {
			return fmt.Errorf("load board cards: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	byStatus := make(map[pulid.ID][]*ent.Project, len(statuses))
	for _, p := range cards {
		p.Edges.Workflow = f.w
		byStatus[p.StatusID] = append(byStatus[p.StatusID], p)
	}
	for i, st := range statuses {
		b.Columns[i] = &BoardColumn{
			Status:      st,
			TotalCount:  counts[st.ID],
			Projects:    connection(byStatus[st.ID], first, counts[st.ID], after != nil),
			workflowKey: f.w.Key,
			archived:    opts.Archived,
			assignee:    opts.Assignee,
			first:       first,
			after:       opts.After,
		}
	}
	if opts.OpenTodos {
		if b.OpenTodos, err = openTodoCountsOf(cards); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func pageSize(first *int) (int, error) {
	switch {
	case first == nil:
		return DefaultColumnPage, nil
	case *first < 0 || *first > MaxColumnPage:
		return 0, errcode.Invalid("first", fmt.Sprintf("first must be between 0 and %d", MaxColumnPage))
	}
	return *first, nil
}

// rankCursor checks a card cursor: the card's ID and its rank.
func rankCursor(c *ent.Cursor) (*ent.Cursor, error) {
	if c == nil {
		return nil, nil
	}
	if _, ok := c.Value.(string); !ok || c.ID == "" {
		return nil, errcode.Invalid("after", "not a cursor of a board column")
	}
	return c, nil
}

// columnCounts counts the active (or archived) projects per status, in one
// query.
func (s *Service) columnCounts(ctx context.Context, workflowID pulid.ID, statusIDs []pulid.ID, archived bool, assignee *pulid.ID) (map[pulid.ID]int, error) {
	var rows []struct {
		StatusID pulid.ID `json:"status_id"`
		Count    int      `json:"count"`
	}
	q := s.client.Project.Query().
		Where(project.WorkflowID(workflowID), archivedIs(archived), project.StatusIDIn(statusIDs...))
	if assignee != nil {
		q.Where(project.AssigneeID(*assignee))
	}
	err := q.
		GroupBy(project.FieldStatusID).
		Aggregate(ent.Count()).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("count board columns: %w", err)
	}
	counts := make(map[pulid.ID]int, len(rows))
	for _, r := range rows {
		counts[r.StatusID] = r.Count
	}
	return counts, nil
}

// firstOfEachColumn makes the query read the first n active cards of every
// given column, in (rank, id) order, after a cursor if any: its table
// becomes the UNION ALL of one short range scan of the board index
// (tenant_id, workflow_id, status_id, archived, rank, id) per column, each
// with a LIMIT. The cost follows the page size and the number of columns,
// not the number of projects.
func firstOfEachColumn(tenantID, workflowID pulid.ID, statusIDs []pulid.ID, archived bool, assignee *pulid.ID, after *ent.Cursor, n int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		var union *sql.Selector
		for i, statusID := range statusIDs {
			member := columnPage(tenantID, workflowID, statusID, archived, assignee, after, n, fmt.Sprintf("c%d", i))
			if union == nil {
				union = member
			} else {
				union.UnionAll(member)
			}
		}
		s.From(union.As(project.Table))
	}
}

// columnPage selects every column of one column's page of cards.
func columnPage(tenantID, workflowID, statusID pulid.ID, archived bool, assignee *pulid.ID, after *ent.Cursor, n int, alias string) *sql.Selector {
	t := sql.Table(project.Table)
	where := []*sql.Predicate{
		sql.EQ(t.C(tenant.TenantColumn), tenantID),
		sql.EQ(t.C(project.FieldWorkflowID), workflowID),
		sql.EQ(t.C(project.FieldStatusID), statusID),
		boolIs(t.C(project.FieldArchived), archived),
	}
	if assignee != nil {
		where = append(where, sql.EQ(t.C(project.FieldAssigneeID), *assignee))
	}
	if after != nil {
		r := after.Value.(string)
		where = append(where, sql.Or(
			sql.GT(t.C(project.FieldRank), r),
			sql.And(sql.EQ(t.C(project.FieldRank), r), sql.GT(t.C(project.FieldID), after.ID)),
		))
	}
	cols := make([]string, len(project.Columns))
	for i, c := range project.Columns {
		cols[i] = t.C(c)
	}
	// SQLite allows ORDER BY and LIMIT in a compound member only inside a
	// subquery.
	page := sql.Select(cols...).From(t).Where(sql.And(where...)).
		OrderBy(t.C(project.FieldRank), t.C(project.FieldID)).
		Limit(n).
		As(alias)
	for i, c := range project.Columns {
		cols[i] = page.C(c)
	}
	return sql.Select(cols...).From(page)
}

// openTodoCountColumn is read with the board's cards (withOpenTodoCount).
const openTodoCountColumn = "open_todo_count"

// withOpenTodoCount adds each card's open to-dos to its row, saving the
// board a query.
func withOpenTodoCount(s *sql.Selector) {
	s.AppendSelectExprAs(openTodosOfRow(s, false), openTodoCountColumn)
}

// openTodosOfRow counts the open to-dos of the project row s selects (only
// the blocking ones of its current status, when blockingHere), as a
// subquery of s.
func openTodosOfRow(s *sql.Selector, blockingHere bool) *sql.Selector {
	t := sql.Table(todo.Table)
	where := []*sql.Predicate{
		sql.ColumnsEQ(t.C(tenant.TenantColumn), s.C(tenant.TenantColumn)),
		sql.ColumnsEQ(t.C(todo.FieldProjectID), s.C(project.FieldID)),
		boolIs(t.C(todo.FieldDone), false),
	}
	if blockingHere {
		where = append(where,
			sql.ColumnsEQ(t.C(todo.FieldStatusID), s.C(project.FieldStatusID)),
			boolIs(t.C(todo.FieldBlocking), true))
	}
	return sql.Select(sql.Count("*")).From(t).Where(sql.And(where...))
}

func openTodoCountsOf(cards []*ent.Project) (map[pulid.ID]int, error) {
	counts := make(map[pulid.ID]int, len(cards))
	for _, p := range cards {
		n, err := countColumn(p, openTodoCountColumn)
		if err != nil {
			return nil, err
		}
		counts[p.ID] = n
	}
	return counts, nil
}

// countColumn reads a COUNT(*) a modifier added to a project's row.
func countColumn(p *ent.Project, column string) (int, error) {
	v, err := p.Value(column)
	if err != nil {
		return 0, fmt.Errorf("%s of %s was not read: %w", column, p.ID, err)
	}
	switch n := v.(type) {
	case int64:
		return int(n), nil
	case float64:
		return int(n), nil
	}
	return 0, fmt.Errorf("%s of %s: unexpected %T", column, p.ID, v)
}

// connection makes a Relay connection of a column page; cards holds up to
// first+1 cards, the extra one telling that there is a next page.
func connection(cards []*ent.Project, first, total int, hasPrevious bool) *ent.ProjectConnection {
	conn := &ent.ProjectConnection{TotalCount: total, Edges: []*ent.ProjectEdge{}}
	conn.PageInfo.HasPreviousPage = hasPrevious
	if len(cards) > first {
		conn.PageInfo.HasNextPage = true
		cards = cards[:first]
	}
	for _, p := range cards {
		conn.Edges = append(conn.Edges, &ent.ProjectEdge{Node: p, Cursor: ent.Cursor{ID: p.ID, Value: p.Rank}})
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn
}

// active selects the projects on the board (not archived).
func active() predicate.Project { return archivedIs(false) }

// archivedIs compares with a bound boolean instead of ent's NOT archived,
// which SQLite cannot match to the board index.
func archivedIs(archived bool) predicate.Project {
	return func(s *sql.Selector) { s.Where(boolIs(s.C(project.FieldArchived), archived)) }
}

func boolIs(column string, v bool) *sql.Predicate {
	return sql.P(func(b *sql.Builder) { b.Ident(column).WriteOp(sql.OpEQ).Arg(v) })
}

// BoardEvents streams the workflow's project.* events of the caller's
// tenant, with each project as it is now, to whoever may read the board
// (members and the platform; customers are FORBIDDEN), resuming after an
// event when after is set.
func (s *Service) BoardEvents(ctx context.Context, workflowKey string, after *pulid.ID) (*events.Subscription, error) {
	if err := s.canRead(ctx); err != nil {
		return nil, err
	}
	f, err := s.flowByKey(ctx, s.client, workflowKey)
	if err != nil {
		return nil, err
	}
	if after != nil {
		if err := validate.String("after", string(*after)); err != nil {
			return nil, err
		}
	}
	key := f.w.Key
	return s.events.Subscribe(ctx, events.SubscribeOptions{
		After:        after,
		WithProjects: true,
		Match: func(e *events.Live) bool {
			if !strings.HasPrefix(e.Type, "project.") {
				return false
			}
			p, _ := e.Data["project"].(map[string]any)
			return p["workflow"] == key
		},
	})
}
