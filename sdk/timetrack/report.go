package timetrack

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/status"
	"github.com/lanes-dev/lanes/ent/timeentry"
	entworkflow "github.com/lanes-dev/lanes/ent/workflow"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/sdk/store"
)

// Group is a dimension of a time report (the contract's TimeGroup).
type Group string

// The report dimensions.
const (
	GroupStatus  Group = "STATUS"
	GroupProject Group = "PROJECT"
	GroupMember  Group = "MEMBER"
	GroupDay     Group = "DAY"
	// GroupCategory: the category of the status the time was spent in
	// (LEAD, OPEN, IN_PROGRESS, WAITING, DONE, CANCELLED).
	GroupCategory Group = "CATEGORY"
)

// Valid reports whether g is a dimension.
func (g Group) Valid() bool {
	switch g {
	case GroupStatus, GroupProject, GroupMember, GroupDay, GroupCategory:
		return true
	}
	return false
}

// MarshalGQL implements graphql.Marshaler.
func (g Group) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(g))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (g *Group) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if !Group(s).Valid() {
		return fmt.Errorf("%v is not a valid TimeGroup", v)
	}
	*g = Group(s)
	return nil
}

// ReportInput selects and groups time entries.
type ReportInput struct {
	// From and To bound the entries' start: [From, To). Defaults: the last
	// 30 days up to now.
	From *time.Time
	To   *time.Time
	// Workflow restricts to one workflow key; ProjectID to one project.
	Workflow  *string
	ProjectID *pulid.ID
	GroupBy   []Group
	// CycleTimes asks for the cycle-time figures too: a second aggregate,
	// over the history, that only callers who show it should pay for.
	CycleTimes bool `json:"-"`
	// MaxRows, when positive, refuses a report of more rows (VALIDATION,
	// before any row is loaded): GraphQL's reports hold at most
	// MaxReportRows, so that a document's cost bounds its response. The
	// CSV export streams every row.
	MaxRows int `json:"-"`
}

// Report is time grouped by the asked dimensions.
type Report struct {
	From, To time.Time
	// TimeZone is the tenant's, in which DAY rows are calendar days.
	TimeZone     string
	TotalSeconds int
	Rows         []*ReportRow
	// CycleTimes are the durations of status visits that ended in the
	// period (from the history), per status.
	CycleTimes []*CycleTime
}

// ReportRow is one group; only the asked dimensions are set.
type ReportRow struct {
	Category *status.Category
	Status   *ent.Status
	Project  *ent.Project
	Member   *ent.Member
	Day      *string
	Seconds  int
}

// CycleTime summarises how long projects stayed in a status.
type CycleTime struct {
	Status        *ent.Status
	Visits        int
	MedianSeconds int
	P90Seconds    int
}

// Limits of reports.
const (
	DefaultReportPeriod = 30 * 24 * time.Hour
	maxDayRows          = 400
	// MaxReportRows is the most rows a report answered over GraphQL holds
	// (ReportInput.MaxRows).
	MaxReportRows = 400
)

// groupedRow is one aggregated row as the database returns it.
type groupedRow struct {
	StatusID  *string `json:"status_id"`
	ProjectID *string `json:"project_id"`
	MemberID  *string `json:"member_id"`
	Day       *string `json:"day"`
	Seconds   int     `json:"seconds"`
}

// Report aggregates the stopped time entries whose start lies in the
// period, grouped by the asked dimensions, in SQL (GROUP BY; DAY as the
// tenant's calendar days), and, when asked, cycle-time figures from the
// history.
// Entries in statuses disabled since still count and show under their
// status. Members and the platform read reports; customers never see time.
func (s *Service) Report(ctx context.Context, in ReportInput) (*Report, error) {
	a, err := s.canRead(ctx)
	if err != nil {
		return nil, err
	}
	// A report's best plan follows how much time the tenant has tracked.
	ctx = store.WithCustomPlans(ctx)
	t, err := s.client.Tenant.Get(ctx, a.TenantID)
	if err != nil {
		return nil, fmt.Errorf("load tenant: %w", err)
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	r := &Report{TimeZone: loc.String()}
	if r.From, r.To, err = s.period(in, loc); err != nil {
		return nil, err
	}
	groups, err := checkGroups(in.GroupBy)
	if err != nil {
		return nil, err
	}
	filter, err := s.filter(ctx, in)
	if err != nil {
		return nil, err
	}
	byCat := slices.Contains(groups, GroupCategory)
	maxRows := in.MaxRows
	if byCat && maxRows > 0 {
		// Grouped by status first: the limit holds for the folded rows.
		maxRows *= statusesPerCategory
	}
	rows, err := s.grouped(ctx, r.From, r.To, loc, sqlGroups(groups), filter, maxRows)
	if err != nil {
		return nil, err
	}
	if r.Rows, err = s.hydrate(ctx, rows); err != nil {
		return nil, err
	}
	if byCat {
		r.Rows = byCategory(r.Rows, slices.Contains(groups, GroupStatus))
		if in.MaxRows > 0 && len(r.Rows) > in.MaxRows {
			return nil, tooManyRows(in.MaxRows)
		}
	}
	for _, row := range r.Rows {
		r.TotalSeconds += row.Seconds
	}
	if in.CycleTimes {
		if r.CycleTimes, err = s.cycleTimes(ctx, a.TenantID, r.From, r.To, filter); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (s *Service) period(in ReportInput, loc *time.Location) (from, to time.Time, err error) {
	to = s.clock()
	if in.To != nil {
		to = in.To.UTC()
	}
	from = to.Add(-DefaultReportPeriod)
	if in.From != nil {
		from = in.From.UTC()
	}
	if !from.Before(to) {
		return from, to, errcode.Invalid("from", "from must be before to")
	}
	if slices.Contains(in.GroupBy, GroupDay) && len(dayBounds(from, to, loc)) > maxDayRows {
		return from, to, errcode.Invalid("to", fmt.Sprintf("a report by DAY spans at most %d days", maxDayRows))
	}
	return from, to, nil
}

// statusesPerCategory bounds how many statuses fold into one category's
// row (a workflow has at most 50 statuses).
const statusesPerCategory = 50

func tooManyRows(limit int) error {
	return errcode.Invalid("groupBy", fmt.Sprintf(
		"the report has more than %d rows; group by fewer dimensions, shorten the period or restrict it to a workflow or project", limit)).
		With("limit", limit)
}

// sqlGroups are the dimensions the database groups by: CATEGORY is
// grouped by status, then folded (byCategory).
func sqlGroups(groups []Group) []Group {
	i := slices.Index(groups, GroupCategory)
	if i < 0 {
		return groups
	}
	out := slices.Delete(slices.Clone(groups), i, i+1)
	if !slices.Contains(out, GroupStatus) {
		out = append(out, GroupStatus)
	}
	return out
}

// byCategory folds rows grouped by status into rows by the statuses'
// categories (keeping the statuses when the report is by STATUS too).
func byCategory(rows []*ReportRow, keepStatus bool) []*ReportRow {
	type key struct {
		category status.Category
		status   *ent.Status
		project  *ent.Project
		member   *ent.Member
		day      string
	}
	folded := map[key]*ReportRow{}
	var out []*ReportRow
	for _, row := range rows {
		if row.Status == nil {
			continue
		}
		k := key{category: row.Status.Category, project: row.Project, member: row.Member, day: deref(row.Day)}
		if keepStatus {
			k.status = row.Status
		}
		if f, ok := folded[k]; ok {
			f.Seconds += row.Seconds
			continue
		}
		category := row.Status.Category
		f := &ReportRow{Category: &category, Status: k.status, Project: row.Project, Member: row.Member, Day: row.Day, Seconds: row.Seconds}
		folded[k] = f
		out = append(out, f)
	}
	return out
}

func checkGroups(gs []Group) ([]Group, error) {
	for i, g := range gs {
		if !g.Valid() {
			return nil, errcode.Invalid("groupBy", fmt.Sprintf("unknown group %q", g))
		}
		if slices.Contains(gs[:i], g) {
			return nil, errcode.Invalid("groupBy", fmt.Sprintf("%s is listed twice", g))
		}
	}
	return gs, nil
}

// reportFilter restricts entries to a workflow or a project.
type reportFilter struct {
	workflowID *pulid.ID
	projectID  *pulid.ID
}

func (s *Service) filter(ctx context.Context, in ReportInput) (reportFilter, error) {
	var f reportFilter
	if in.Workflow != nil {
		if err := validate.Key("workflow", *in.Workflow); err != nil {
			return f, err
		}
		w, err := s.client.Workflow.Query().Where(entworkflow.Key(*in.Workflow)).Only(ctx)
		if ent.IsNotFound(err) {
			return f, errcode.New(errcode.NotFound, "workflow not found").With("workflow", *in.Workflow)
		}
		if err != nil {
			return f, err
		}
		f.workflowID = &w.ID
	}
	if in.ProjectID != nil {
		p, err := s.client.Project.Get(ctx, *in.ProjectID)
		if ent.IsNotFound(err) {
			return f, ErrProjectNotFound.With("id", *in.ProjectID)
		}
		if err != nil {
			return f, err
		}
		f.projectID = &p.ID
	}
	return f, nil
}

// grouped runs the GROUP BY; with maxRows, it reads one row more than that
// at most and refuses the report when it is there.
func (s *Service) grouped(ctx context.Context, from, to time.Time, loc *time.Location, groups []Group, f reportFilter, maxRows int) ([]groupedRow, error) {
	q := s.client.TimeEntry.Query().Where(
		timeentry.StartedAtGTE(from),
		timeentry.StartedAtLT(to),
		timeentry.EndedAtNotNil(),
	)
	if f.projectID != nil {
		q.Where(timeentry.ProjectID(*f.projectID))
	}
	if f.workflowID != nil {
		q.Where(timeentry.HasProjectWith(project.WorkflowID(*f.workflowID)))
	}
	if maxRows > 0 {
		q.Limit(maxRows + 1)
	}
	var rows []groupedRow
	err := q.Modify(func(sel *sql.Selector) {
		var columns []string
		var exprs []sql.Querier
		var aliases []string
		for _, g := range groups {
			switch g {
			case GroupStatus:
				columns = append(columns, timeentry.FieldStatusID)
			case GroupProject:
				columns = append(columns, timeentry.FieldProjectID)
			case GroupMember:
				columns = append(columns, timeentry.FieldMemberID)
			case GroupDay:
				exprs = append(exprs, dayExpr(sel.C(timeentry.FieldStartedAt), dayBounds(from, to, loc)))
				aliases = append(aliases, "day")
			}
		}
		qualified := make([]string, len(columns))
		for i, c := range columns {
			qualified[i] = sel.C(c)
		}
		sel.Select(qualified...)
		for i, e := range exprs {
			sel.AppendSelectExprAs(e, aliases[i])
		}
		sel.AppendSelectExprAs(sql.Raw("COALESCE(SUM("+sel.C(timeentry.FieldSeconds)+"), 0)"), "seconds")
		if len(columns)+len(aliases) > 0 {
			sel.GroupBy(append(qualified, aliases...)...)
		}
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("time report: %w", err)
	}
	if maxRows > 0 && len(rows) > maxRows {
		return nil, tooManyRows(maxRows)
	}
	return rows, nil
}

// dayBound is the first instant of a calendar day in a time zone.
type dayBound struct {
	day   string
	start time.Time
}

// dayBounds lists the calendar days of [from, to) in loc with the UTC
// instant each ends at (days are 23 to 25 hours long around DST changes).
func dayBounds(from, to time.Time, loc *time.Location) []dayBound {
	var out []dayBound
	l := from.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	for day.Before(to) && len(out) <= maxDayRows {
		next := day.AddDate(0, 0, 1)
		out = append(out, dayBound{day: day.Format(time.DateOnly), start: next.UTC()})
		day = next
	}
	return out
}

// dayExpr maps a timestamp to its calendar day: CASE WHEN t < end(d1) THEN
// d1 WHEN t < end(d2) THEN d2 ... END, in both databases alike.
func dayExpr(column string, days []dayBound) sql.Querier {
	return sql.ExprFunc(func(b *sql.Builder) {
		b.WriteString("CASE")
		for _, d := range days {
			b.WriteString(" WHEN ").WriteString(column).WriteString(" < ").Arg(d.start).
				WriteString(" THEN ").Arg(d.day)
		}
		b.WriteString(" END")
	})
}

// hydrate turns grouped IDs into objects (one query per dimension) and
// orders the rows: day, status position, project title, member name.
func (s *Service) hydrate(ctx context.Context, rows []groupedRow) ([]*ReportRow, error) {
	var statusIDs, projectIDs, memberIDs []pulid.ID
	for _, r := range rows {
		if r.StatusID != nil {
			statusIDs = append(statusIDs, pulid.ID(*r.StatusID))
		}
		if r.ProjectID != nil {
			projectIDs = append(projectIDs, pulid.ID(*r.ProjectID))
		}
		if r.MemberID != nil {
			memberIDs = append(memberIDs, pulid.ID(*r.MemberID))
		}
	}
	statuses := map[pulid.ID]*ent.Status{}
	if len(statusIDs) > 0 {
		list, err := s.client.Status.Query().Where(status.IDIn(statusIDs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, x := range list {
			statuses[x.ID] = x
		}
	}
	projects := map[pulid.ID]*ent.Project{}
	if len(projectIDs) > 0 {
		list, err := s.client.Project.Query().Where(project.IDIn(projectIDs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, x := range list {
			projects[x.ID] = x
		}
	}
	members := map[pulid.ID]*ent.Member{}
	if len(memberIDs) > 0 {
		list, err := s.client.Member.Query().Where(member.IDIn(memberIDs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, x := range list {
			members[x.ID] = x
		}
	}
	out := make([]*ReportRow, len(rows))
	for i, r := range rows {
		row := &ReportRow{Day: r.Day, Seconds: r.Seconds}
		if r.StatusID != nil {
			row.Status = statuses[pulid.ID(*r.StatusID)]
		}
		if r.ProjectID != nil {
			row.Project = projects[pulid.ID(*r.ProjectID)]
		}
		if r.MemberID != nil {
			row.Member = members[pulid.ID(*r.MemberID)]
		}
		out[i] = row
	}
	sort.SliceStable(out, func(i, j int) bool { return rowLess(out[i], out[j]) })
	return out, nil
}

func rowLess(a, b *ReportRow) bool {
	if a.Day != nil && b.Day != nil && *a.Day != *b.Day {
		return *a.Day < *b.Day
	}
	if a.Status != nil && b.Status != nil && a.Status.ID != b.Status.ID {
		if a.Status.WorkflowID != b.Status.WorkflowID {
			return a.Status.WorkflowID < b.Status.WorkflowID
		}
		return a.Status.Position < b.Status.Position
	}
	if a.Project != nil && b.Project != nil && a.Project.ID != b.Project.ID {
		return strings.ToLower(a.Project.Title) < strings.ToLower(b.Project.Title)
	}
	if a.Member != nil && b.Member != nil {
		return strings.ToLower(a.Member.Name) < strings.ToLower(b.Member.Name)
	}
	return false
}
