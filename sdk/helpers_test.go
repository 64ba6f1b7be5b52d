package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
)

// team is a tenant with one client per role.
type team struct {
	s                              *sdktest.Server
	slug                           string
	platform, owner, admin, member lanestest.Client
	viewer                         lanestest.Client
}

func newTeam(t *testing.T, s *sdktest.Server, slug string) *team {
	t.Helper()
	s.CreateTenant(t, slug)
	return &team{
		s:        s,
		slug:     slug,
		platform: s.PlatformIn(slug),
		owner:    s.AddMember(t, slug, slug+"-owner", "OWNER"),
		admin:    s.AddMember(t, slug, slug+"-admin", "ADMIN"),
		member:   s.AddMember(t, slug, slug+"-member", "MEMBER"),
		viewer:   s.AddMember(t, slug, slug+"-viewer", "VIEWER"),
	}
}

type projectRef struct {
	ID       string
	Title    string
	Version  int
	Archived bool
	Status   struct{ Key, Name string }
	Workflow struct{ Key string }
	Customer *struct{ ID, Name string }
}

// create runs CreateProject and fails the test on errors.
func create(t *testing.T, c lanestest.Client, workflow, title string, extra ...map[string]any) projectRef {
	t.Helper()
	in := map[string]any{"workflow": workflow, "title": title}
	for _, e := range extra {
		for k, v := range e {
			in[k] = v
		}
	}
	var out struct{ CreateProject projectRef }
	sdktest.Op(t, c, "CreateProject", map[string]any{"input": in}).Decode(t, &out)
	return out.CreateProject
}

// move runs MoveProject; extra adds expectedVersion, after, before, ...
func move(t *testing.T, c lanestest.Client, id, to string, extra ...map[string]any) *lanestest.Response {
	t.Helper()
	res, err := sendMove(c, id, to, extra...)
	require.NoError(t, err)
	return res
}

// sendMove is move for goroutines: it reports instead of failing the test.
func sendMove(c lanestest.Client, id, to string, extra ...map[string]any) (*lanestest.Response, error) {
	in := map[string]any{"id": id, "to": to}
	for _, e := range extra {
		for k, v := range e {
			in[k] = v
		}
	}
	return sdktest.Send(c, "MoveProject", map[string]any{"input": in})
}

// moved decodes a successful MoveProject (or lead action) response.
func moved(t *testing.T, res *lanestest.Response, field string) projectRef {
	t.Helper()
	var out map[string]projectRef
	res.Decode(t, &out)
	return out[field]
}

func requireCode(t *testing.T, res *lanestest.Response, code string) lanestest.Error {
	t.Helper()
	require.Equal(t, []string{code}, res.Codes(), "%+v", res.Errors)
	return res.Errors[0]
}

type projectView struct {
	Node struct {
		ID            string
		Title         string
		Version       int
		Archived      bool
		ArchiveReason *string
		Workflow      struct{ Key string }
		Status        struct{ Key, Name string }
		Progress      *struct{ Key, Name, UpdatedAt string }
		Customer      *struct{ ID, Name string }
		Steps         []struct {
			State  string
			Status struct{ Key string }
		}
		History []struct {
			Action string
			From   *struct{ Key string }
			To     struct{ Key string }
			At     string
			Actor  string
			Reason *string
			Note   *string
		}
		TimeInStatus []struct {
			Status  struct{ Key string }
			Seconds int
		}
		Todos []struct {
			ID       string
			Title    string
			Done     bool
			Blocking bool
			Status   struct{ Key string }
		}
	}
}

// view reads a project with the Project operation.
func view(t *testing.T, c lanestest.Client, id string) projectView {
	t.Helper()
	var out projectView
	sdktest.Op(t, c, "Project", map[string]any{"id": id}).Decode(t, &out)
	require.Equal(t, id, out.Node.ID)
	return out
}

func historyActions(v projectView) []string {
	var out []string
	for _, h := range v.Node.History {
		out = append(out, h.Action+":"+h.To.Key)
	}
	return out
}

type boardView struct {
	Board struct {
		Workflow struct{ Key, Name string }
		Columns  []struct {
			Status struct {
				Key, Name, Color string
				WipLimit         *int
			}
			TotalCount int
			Projects   struct {
				Edges []struct {
					Cursor string
					Node   struct {
						ID, Title     string
						Version       int
						Customer      *struct{ Name string }
						Progress      *struct{ Key, Name string }
						OpenTodoCount int
					}
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
	}
}

func readBoard(t *testing.T, c lanestest.Client, workflow string, first int) boardView {
	t.Helper()
	var out boardView
	sdktest.Op(t, c, "Board", map[string]any{"workflow": workflow, "first": first}).Decode(t, &out)
	return out
}

// column returns the card IDs of one column of a board, in order.
func (b boardView) column(key string) []string {
	for _, col := range b.Board.Columns {
		if col.Status.Key == key {
			ids := []string{}
			for _, e := range col.Projects.Edges {
				ids = append(ids, e.Node.ID)
			}
			return ids
		}
	}
	return nil
}

func (b boardView) columnKeys() []string {
	var keys []string
	for _, col := range b.Board.Columns {
		keys = append(keys, col.Status.Key)
	}
	return keys
}
