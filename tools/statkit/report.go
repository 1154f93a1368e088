package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/history"
)

// runReport implements `statkit report`: the classic interval report of one day from
// the rows history stored, per report row (a queue) and interval.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("report", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dsn := fl.String("history", "", "history database (sqlite:PATH or postgres://…), required")
	dayFlag := fl.String("day", "", "the day to report, YYYY-MM-DD in the report's time zone, required")
	format := fl.String("format", "md", "output format: md (Markdown tables) or csv")
	cfgPath := fl.String("config", "", "config whose reports section defines the reports (default: the definitions the database keeps)")
	name := fl.String("report", "", "the report to print (default: every report)")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit report --history DSN --day YYYY-MM-DD [--format md|csv] [--config C] [--report NAME]\n\n"+
			"Prints a day's interval report from the rows history stored: per report row (a queue)\n"+
			"and interval, offered, answered, abandoned, service level, average speed of answer and\n"+
			"average handle time, read from the statistics the config's reports section names (or,\n"+
			"without --config, the report definitions the database keeps from the last writer).\n"+
			"A value that is undefined (0/0) prints as –, an interval with no stored row stays empty.\n"+
			"The total line sums the counts; the ratios have no exact day value from intervals.\n\nflags:")
		fl.PrintDefaults()
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case *dsn == "":
		return fmt.Errorf("%w: --history is required", errUsage)
	case *dayFlag == "":
		return fmt.Errorf("%w: --day is required", errUsage)
	case *format != "md" && *format != "csv":
		return fmt.Errorf("%w: --format must be md or csv, not %q", errUsage, *format)
	}
	day, err := time.Parse(time.DateOnly, *dayFlag)
	if err != nil {
		return fmt.Errorf("%w: --day %q is not YYYY-MM-DD", errUsage, *dayFlag)
	}
	st, err := history.Open(ctx, *dsn, history.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	reports, zones, err := reportDefs(ctx, st, *cfgPath)
	if err != nil {
		return err
	}
	if *name != "" {
		var keep []*config.Report
		for _, r := range reports {
			if r.Name == *name {
				keep = append(keep, r)
			}
		}
		if len(keep) == 0 {
			return fmt.Errorf("no report %q (%s)", *name, reportNames(reports))
		}
		reports = keep
	}
	if len(reports) == 0 {
		return fmt.Errorf("no report defined: name one in the config's reports section (see examples/bank/config.yaml) and pass --config")
	}
	var tables []*reportTable
	for _, r := range reports {
		t, err := buildReport(ctx, st, r, zones[r.Name], day)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	bw := bufio.NewWriter(stdout)
	if *format == "csv" {
		err = writeReportCSV(bw, tables)
	} else {
		writeReportMD(bw, tables)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// reportDefs returns the reports of the config at path, or those the database keeps, with
// each one's time zone.
func reportDefs(ctx context.Context, st *history.Store, path string) ([]*config.Report, map[string]*time.Location, error) {
	if path == "" {
		return st.Reports(ctx)
	}
	cfg, err := config.LoadFileWith(path, replayOptions)
	if err != nil {
		return nil, nil, err
	}
	zones := map[string]*time.Location{}
	for _, r := range cfg.Reports {
		zones[r.Name] = time.UTC
		if r.Profile != nil && r.Profile.Location != nil {
			zones[r.Name] = r.Profile.Location
		}
	}
	return cfg.Reports, zones, nil
}

func reportNames(rs []*config.Report) string {
	if len(rs) == 0 {
		return "none is defined"
	}
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return "reports: " + strings.Join(names, ", ")
}

// reportTable is one report's day: its slots and, per row, a cell per slot and column.
type reportTable struct {
	report *config.Report
	loc    *time.Location
	day    time.Time
	slots  [][2]time.Time
	// cells[row][slot][column]: the value; present false when no row is stored.
	cells [][][config.NumReportColumns]cell
}

type cell struct {
	v       float64 // NaN: undefined
	present bool
}

// buildReport reads a report's rows for the local day: its slots are the profile's
// intervals ending in the day (with a config) or the intervals stored for it (without).
func buildReport(ctx context.Context, st *history.Store, r *config.Report, loc *time.Location, day time.Time) (*reportTable, error) {
	if loc == nil {
		loc = time.UTC
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 1)
	var ids []string
	for _, row := range r.Rows {
		for _, id := range row.Statistics {
			if id != "" {
				ids = append(ids, id)
			}
		}
	}
	ivs, err := st.Intervals(ctx, ids, from, to, 0)
	if err != nil {
		return nil, err
	}
	byEnd := map[string]map[int64]float64{}
	ends := map[int64][2]time.Time{}
	for _, iv := range ivs {
		if byEnd[iv.Statistic] == nil {
			byEnd[iv.Statistic] = map[int64]float64{}
		}
		byEnd[iv.Statistic][iv.End.UnixMilli()] = iv.Value
		ends[iv.End.UnixMilli()] = [2]time.Time{iv.Start, iv.End}
	}
	t := &reportTable{report: r, loc: loc, day: from}
	if r.Profile != nil {
		t.slots = history.Intervals(r.Profile, from, to)
	} else {
		for _, s := range ends {
			t.slots = append(t.slots, s)
		}
		sort.Slice(t.slots, func(i, j int) bool { return t.slots[i][1].Before(t.slots[j][1]) })
	}
	t.cells = make([][][config.NumReportColumns]cell, len(r.Rows))
	for i, row := range r.Rows {
		t.cells[i] = make([][config.NumReportColumns]cell, len(t.slots))
		for j, s := range t.slots {
			for c, id := range row.Statistics {
				if v, ok := byEnd[id][s[1].UnixMilli()]; ok && id != "" {
					t.cells[i][j][c] = cell{v: v, present: true}
				}
			}
		}
	}
	return t, nil
}

// total sums a count column of row i over the day; ok is false when no cell is present.
func (t *reportTable) total(i int, c config.ReportColumn) (float64, bool) {
	sum, any := 0.0, false
	for _, cs := range t.cells[i] {
		if cs[c].present && !math.IsNaN(cs[c].v) {
			sum, any = sum+cs[c].v, true
		}
	}
	return sum, any
}

// countColumn reports whether a column is a count (summed in the total line).
func countColumn(c config.ReportColumn) bool {
	return c == config.ColOffered || c == config.ColAnswered || c == config.ColAbandoned
}

// formatCell formats a value: counts as integers, the others to 0.1 in Markdown and to
// the millisecond in CSV.
func formatCell(c config.ReportColumn, v float64, csvOut bool) string {
	switch {
	case countColumn(c):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case csvOut:
		return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

var csvColumns = [config.NumReportColumns]string{"offered", "answered", "abandoned", "service_level_pct", "asa_s", "aht_s"}

// writeReportCSV writes one line per report, row and slot, then a total line per row
// (interval_start "total"): times RFC 3339 in the report's zone; empty cells for values
// not stored or undefined.
func writeReportCSV(w io.Writer, tables []*reportTable) error {
	cw := csv.NewWriter(w)
	head := append([]string{"report", "row", "interval_start", "interval_end"}, csvColumns[:]...)
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, t := range tables {
		for i, row := range t.report.Rows {
			for j, s := range t.slots {
				rec := []string{t.report.Name, row.Label, s[0].In(t.loc).Format(time.RFC3339), s[1].In(t.loc).Format(time.RFC3339)}
				for c := config.ColOffered; c < config.NumReportColumns; c++ {
					x := t.cells[i][j][c]
					v := ""
					if x.present && !math.IsNaN(x.v) {
						v = formatCell(c, x.v, true)
					}
					rec = append(rec, v)
				}
				if err := cw.Write(rec); err != nil {
					return err
				}
			}
			rec := []string{t.report.Name, row.Label, "total", ""}
			for c := config.ColOffered; c < config.NumReportColumns; c++ {
				v := ""
				if sum, ok := t.total(i, c); ok && countColumn(c) {
					v = formatCell(c, sum, true)
				}
				rec = append(rec, v)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeReportMD writes a Markdown section per report and a table per row.
func writeReportMD(w io.Writer, tables []*reportTable) {
	for k, t := range tables {
		if k > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "## %s — %s (%s)\n", t.report.Title, t.day.Format(time.DateOnly), t.loc)
		for i, row := range t.report.Rows {
			fmt.Fprintf(w, "\n### %s\n\n| Interval |", row.Label)
			for c := config.ColOffered; c < config.NumReportColumns; c++ {
				fmt.Fprintf(w, " %s |", c.Title())
			}
			fmt.Fprint(w, "\n|---|")
			for c := config.ColOffered; c < config.NumReportColumns; c++ {
				fmt.Fprint(w, "---:|")
			}
			fmt.Fprintln(w)
			for j, s := range t.slots {
				fmt.Fprintf(w, "| %s–%s |", s[0].In(t.loc).Format("15:04"), s[1].In(t.loc).Format("15:04"))
				for c := config.ColOffered; c < config.NumReportColumns; c++ {
					x := t.cells[i][j][c]
					switch {
					case !x.present:
						fmt.Fprint(w, "  |")
					case math.IsNaN(x.v):
						fmt.Fprint(w, " – |")
					default:
						fmt.Fprintf(w, " %s |", formatCell(c, x.v, false))
					}
				}
				fmt.Fprintln(w)
			}
			fmt.Fprint(w, "| **Total** |")
			for c := config.ColOffered; c < config.NumReportColumns; c++ {
				if sum, ok := t.total(i, c); ok && countColumn(c) {
					fmt.Fprintf(w, " **%s** |", formatCell(c, sum, false))
				} else {
					fmt.Fprint(w, "  |")
				}
			}
			fmt.Fprintln(w)
		}
	}
}
