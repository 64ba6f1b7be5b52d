package sdk

import (
	"net/http"
	"strings"
	"time"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/timetrack"
)

// TimeExportPath serves a time report as CSV, with the credentials and
// filters of timeReport: from, to (RFC 3339), workflow, projectId, groupBy
// (comma-separated TimeGroup values).
const TimeExportPath = "/export/time.csv"

func (l *Lanes) exportTime(w http.ResponseWriter, r *http.Request) {
	in, err := reportInput(r)
	var report *timetrack.Report
	if err == nil {
		report, err = l.Time.Report(r.Context(), in)
	}
	if err != nil {
		l.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="time-report.csv"`)
	if err := timetrack.WriteCSV(report, in.GroupBy, w); err != nil {
		l.cfg.Logger.ErrorContext(r.Context(), "export time", "err", err)
	}
}

func reportInput(r *http.Request) (timetrack.ReportInput, error) {
	q := r.URL.Query()
	var in timetrack.ReportInput
	for _, name := range []string{"from", "to"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return in, errcode.Invalid(name, name+" must be an RFC 3339 time")
		}
		if name == "from" {
			in.From = &t
		} else {
			in.To = &t
		}
	}
	if v := q.Get("workflow"); v != "" {
		in.Workflow = &v
	}
	if v := q.Get("projectId"); v != "" {
		id := pulid.ID(v)
		in.ProjectID = &id
	}
	for _, g := range strings.Split(q.Get("groupBy"), ",") {
		if g = strings.TrimSpace(g); g != "" {
			in.GroupBy = append(in.GroupBy, timetrack.Group(strings.ToUpper(g)))
		}
	}
	return in, nil
}
