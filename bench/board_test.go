package bench_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/lanes-dev/lanes/sdk/workflow"
)

const boardFirst = 20

// BenchmarkBoard serves the contract's Board operation (first 20 per
// column) for the first tenant, and the same data as one hand-written SQL
// statement through pgx, encoded to the same JSON.
func BenchmarkBoard(b *testing.B) {
	forEachDataset(b, func(b *testing.B, f *fixture) {
		t := f.manifest.Tenants[0]
		req := newRequest(b, f.memberToken(b, t), "Board", map[string]any{"workflow": "website", "first": boardFirst})
		f.serve(b, req) // warm: the tenant's configuration and credentials
		b.Run("lanes", func(b *testing.B) { f.benchServe(b, req) })
		b.Run("sdk", func(b *testing.B) {
			// The same board through the Go SDK: the domain's own cost,
			// without the GraphQL executor and JSON.
			ctx, err := f.lanes.AsMember(context.Background(), t.Slug, t.Staff()[0].ExternalID)
			fatalIf(b, err, "member context")
			first := boardFirst
			opts := workflow.BoardOptions{First: &first, OpenTodos: true}
			var lat latencies
			b.ReportAllocs()
			for b.Loop() {
				lat.time(func() {
					_, err := f.lanes.Workflows.Board(ctx, "website", opts)
					fatalIf(b, err, "board")
				})
			}
			lat.report(b)
		})
		b.Run("pgx-reference", func(b *testing.B) {
			mustPostgres(b, f)
			ctx := context.Background()
			var lat latencies
			b.ReportAllocs()
			for b.Loop() {
				lat.time(func() {
					_, err := referenceBoard(ctx, f, t.ID, "website")
					fatalIf(b, err, "reference board")
				})
			}
			lat.report(b)
		})
	})
}

// referenceBoardSQL fetches a whole board in one statement: the enabled
// statuses of the workflow, each with its card count and its first cards
// (one more than shown, for hasNextPage) with customer and open to-dos.
const referenceBoardSQL = `
SELECT w.key, w.name, s.id, s.key, s.name, s.color, s.wip_limit, n.total,
  c.id, c.title, c.version, c.rank, c.progress_key, cu.name, cu.company,
  (SELECT count(*) FROM todos t WHERE t.tenant_id = $1 AND t.project_id = c.id AND NOT t.done)
FROM workflows w
JOIN statuses s ON s.tenant_id = $1 AND s.workflow_id = w.id AND s.enabled
CROSS JOIN LATERAL (
  SELECT count(*) AS total FROM projects p
  WHERE p.tenant_id = $1 AND p.workflow_id = w.id AND p.status_id = s.id AND NOT p.archived
) n
LEFT JOIN LATERAL (
  SELECT p.id, p.title, p.version, p.rank, p.progress_key, p.customer_id FROM projects p
  WHERE p.tenant_id = $1 AND p.workflow_id = w.id AND p.status_id = s.id AND NOT p.archived
  ORDER BY p.rank, p.id LIMIT $3
) c ON true
LEFT JOIN customers cu ON cu.tenant_id = $1 AND cu.id = c.customer_id
WHERE w.tenant_id = $1 AND w.key = $2
ORDER BY s.position, c.rank, c.id`

// The response shape of the Board operation.
type (
	refBoardResponse struct {
		Data struct {
			Board refBoard `json:"board"`
		} `json:"data"`
	}
	refBoard struct {
		Workflow struct {
			Key  string `json:"key"`
			Name string `json:"name"`
		} `json:"workflow"`
		Columns []*refColumn `json:"columns"`
	}
	refColumn struct {
		Status struct {
			Key      string `json:"key"`
			Name     string `json:"name"`
			Color    string `json:"color"`
			WipLimit *int   `json:"wipLimit"`
		} `json:"status"`
		TotalCount int `json:"totalCount"`
		Projects   struct {
			Edges    []refEdge `json:"edges"`
			PageInfo struct {
				HasNextPage bool    `json:"hasNextPage"`
				EndCursor   *string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"projects"`
	}
	refEdge struct {
		Cursor string  `json:"cursor"`
		Node   refCard `json:"node"`
	}
	refCard struct {
		ID            string       `json:"id"`
		Title         string       `json:"title"`
		Version       int          `json:"version"`
		Customer      *refCustomer `json:"customer"`
		Progress      *refProgress `json:"progress"`
		OpenTodoCount int          `json:"openTodoCount"`
	}
	refCustomer struct {
		Name    string  `json:"name"`
		Company *string `json:"company"`
	}
	refProgress struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	}
)

// referenceBoard runs referenceBoardSQL and encodes the Board response.
func referenceBoard(ctx context.Context, f *fixture, tenantID, workflowKey string) ([]byte, error) {
	rows, err := f.pool.Query(ctx, referenceBoardSQL, tenantID, workflowKey, boardFirst+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out refBoardResponse
	board := &out.Data.Board
	var col *refColumn
	var statusID string
	for rows.Next() {
		var r refRow
		if err := rows.Scan(&board.Workflow.Key, &board.Workflow.Name, &statusID, &r.statusKey, &r.statusName, &r.color, &r.wipLimit,
			&r.total, &r.cardID, &r.title, &r.version, &r.rank, &r.progressKey, &r.customerName, &r.company, &r.openTodos); err != nil {
			return nil, err
		}
		if col == nil || col.Status.Key != r.statusKey {
			col = r.column()
			board.Columns = append(board.Columns, col)
		}
		col.add(r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return encodeResponse(out)
}

// refRow is one row of referenceBoardSQL: a status and one of its cards.
type refRow struct {
	statusKey, statusName, color string
	wipLimit                     *int
	total                        int
	cardID, title, rank          *string
	version                      *int
	progressKey                  *string
	customerName, company        *string
	openTodos                    int
}

func (r refRow) column() *refColumn {
	c := &refColumn{TotalCount: r.total}
	c.Status.Key, c.Status.Name, c.Status.Color, c.Status.WipLimit = r.statusKey, r.statusName, r.color, r.wipLimit
	return c
}

// add appends the row's card, or marks the next page when the column
// already holds boardFirst cards.
func (c *refColumn) add(r refRow) {
	if r.cardID == nil {
		return
	}
	if len(c.Projects.Edges) == boardFirst {
		c.Projects.PageInfo.HasNextPage = true
		return
	}
	card := refCard{ID: *r.cardID, Title: *r.title, Version: *r.version, OpenTodoCount: r.openTodos}
	if r.customerName != nil {
		card.Customer = &refCustomer{*r.customerName, r.company}
	}
	if r.progressKey != nil {
		card.Progress = &refProgress{*r.progressKey, progressNames[*r.progressKey]}
	}
	cursor := cursorOf(*r.cardID, *r.rank)
	c.Projects.Edges = append(c.Projects.Edges, refEdge{Cursor: cursor, Node: card})
	c.Projects.PageInfo.EndCursor = &cursor
}

// progressNames are the leads template's progress options.
var progressNames = map[string]string{
	"contacted": "Contacted", "call_booked": "Call booked", "proposal_sent": "Proposal sent",
	"call_completed": "Call completed", "other": "Other",
}

func encodeResponse(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func cursorOf(id, rank string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(rank + ":" + id))
}
