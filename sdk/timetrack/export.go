package timetrack

import (
	"encoding/csv"
	"io"
	"strconv"
)

// WriteCSV writes a report as CSV: one column per dimension it was grouped
// by (IDs and names), then seconds and hours, and a total row; rows are
// flushed as they are written. Text cells are neutralised against formula
// injection (see textCell); the numbers Lanes computes stay numbers.
func WriteCSV(r *Report, groupBy []Group, w io.Writer) error {
	cw := csv.NewWriter(w)
	var header []string
	for _, g := range groupBy {
		switch g {
		case GroupDay:
			header = append(header, "day")
		case GroupCategory:
			header = append(header, "category")
		case GroupStatus:
			header = append(header, "status", "status_name")
		case GroupProject:
			header = append(header, "project_id", "project")
		case GroupMember:
			header = append(header, "member_id", "member")
		}
	}
	header = append(header, "seconds", "hours")
	if err := cw.Write(header); err != nil {
		return err
	}
	for i, row := range r.Rows {
		var rec []string
		for _, g := range groupBy {
			switch g {
			case GroupDay:
				rec = append(rec, textCell(deref(row.Day)))
			case GroupCategory:
				if row.Category != nil {
					rec = append(rec, string(*row.Category))
				} else {
					rec = append(rec, "")
				}
			case GroupStatus:
				if row.Status != nil {
					rec = append(rec, textCell(row.Status.Key), textCell(row.Status.Name))
				} else {
					rec = append(rec, "", "")
				}
			case GroupProject:
				if row.Project != nil {
					rec = append(rec, textCell(string(row.Project.ID)), textCell(row.Project.Title))
				} else {
					rec = append(rec, "", "")
				}
			case GroupMember:
				if row.Member != nil {
					rec = append(rec, textCell(string(row.Member.ID)), textCell(row.Member.Name))
				} else {
					rec = append(rec, "", "")
				}
			}
		}
		rec = append(rec, strconv.Itoa(row.Seconds), strconv.FormatFloat(float64(row.Seconds)/3600, 'f', 2, 64))
		if err := cw.Write(rec); err != nil {
			return err
		}
		if i%500 == 499 {
			cw.Flush()
			if f, ok := w.(interface{ Flush() }); ok {
				f.Flush()
			}
		}
	}
	if len(header) > 2 {
		total := make([]string, len(header))
		total[0] = "total"
		total[len(total)-2] = strconv.Itoa(r.TotalSeconds)
		total[len(total)-1] = strconv.FormatFloat(float64(r.TotalSeconds)/3600, 'f', 2, 64)
		if err := cw.Write(total); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// textCell neutralises a text cell against CSV (formula) injection, as
// OWASP recommends: a cell beginning with =, +, -, @, a tab or a carriage
// return would be read as a formula by spreadsheet applications, so it is
// prefixed with a single quote, which makes them show it as text. Only text
// goes through here, never the numbers Lanes writes itself.
func textCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
