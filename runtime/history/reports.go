package history

import (
	"context"
	"fmt"
	"time"

	"github.com/statkit/statkit/runtime/config"
)

// SaveReports stores the config's report definitions in table reports (replacing every
// stored one), so that the database describes its reports to tools that have no config:
// statkit report without --config reads them back with Reports. One transaction.
func (s *Store) SaveReports(ctx context.Context, reports []*config.Report) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: save reports: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM reports`); err != nil {
		return fmt.Errorf("history: save reports: %w", err)
	}
	ins := s.d.q(`INSERT INTO reports (report, title, time_zone, row_index, label, column_name, statistic)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	for _, r := range reports {
		tz := "UTC"
		if r.Profile != nil && r.Profile.Location != nil {
			tz = r.Profile.Location.String()
		}
		for i, row := range r.Rows {
			for c, id := range row.Statistics {
				if id == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, ins, r.Name, r.Title, tz, i, row.Label, config.ReportColumn(c).Key(), id); err != nil {
					return fmt.Errorf("history: save report %q: %w", r.Name, err)
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: save reports: %w", err)
	}
	return nil
}

// Reports reads the report definitions SaveReports stored, by name. A report read back
// has no Profile (the database keeps its time zone only): its intervals are the stored
// ones. The time zone of each report is in the returned map, by report name.
func (s *Store) Reports(ctx context.Context) ([]*config.Report, map[string]*time.Location, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT report, title, time_zone, row_index, label, column_name, statistic
		FROM reports ORDER BY report, row_index, column_name`)
	if err != nil {
		return nil, nil, fmt.Errorf("history: read reports: %w", err)
	}
	defer rows.Close()
	var out []*config.Report
	zones := map[string]*time.Location{}
	var cur *config.Report
	for rows.Next() {
		var name, title, tz, label, col, id string
		var idx int
		if err := rows.Scan(&name, &title, &tz, &idx, &label, &col, &id); err != nil {
			return nil, nil, fmt.Errorf("history: read reports: %w", err)
		}
		if cur == nil || cur.Name != name {
			cur = &config.Report{Name: name, Title: title}
			out = append(out, cur)
			loc, err := time.LoadLocation(tz)
			if err != nil {
				return nil, nil, fmt.Errorf("history: report %q: time zone %q: %w", name, tz, err)
			}
			zones[name] = loc
		}
		for len(cur.Rows) <= idx {
			cur.Rows = append(cur.Rows, &config.ReportRow{})
		}
		row := cur.Rows[idx]
		row.Label = label
		for c := config.ColOffered; c < config.NumReportColumns; c++ {
			if c.Key() == col {
				row.Statistics[c] = id
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("history: read reports: %w", err)
	}
	return out, zones, nil
}
