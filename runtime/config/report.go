package config

import (
	"gopkg.in/yaml.v3"
)

// ReportColumn is a column of an interval report (section reports).
type ReportColumn uint8

// The columns of the classic contact-center interval report, in report order.
const (
	ColOffered ReportColumn = iota
	ColAnswered
	ColAbandoned
	ColServiceLevel
	ColSpeedOfAnswer
	ColHandleTime
	NumReportColumns
)

var reportColumns = [NumReportColumns]struct{ key, title string }{
	{"offered", "Offered"},
	{"answered", "Answered"},
	{"abandoned", "Abandoned"},
	{"serviceLevel", "Service level %"},
	{"averageSpeedOfAnswer", "ASA (s)"},
	{"averageHandleTime", "AHT (s)"},
}

// Key returns the column's key in a report row ("offered", "averageSpeedOfAnswer", …).
func (c ReportColumn) Key() string { return reportColumns[c].key }

// Title returns the column's heading.
func (c ReportColumn) Title() string { return reportColumns[c].title }

// Report is an interval report over statistics that history records: one line per row
// and interval of its profile.
type Report struct {
	Name  string
	Title string // the name when the config gives none
	Rows  []*ReportRow
	// Profile is the Growing profile of every statistic the report names: its intervals
	// are the report's.
	Profile *TimeProfile
}

// ReportRow is a report row: a label and the statistic id of each column ("" when the
// row leaves the column out).
type ReportRow struct {
	Label      string
	Statistics [NumReportColumns]string
}

// Report returns the report with the given name.
func (c *Config) Report(name string) (*Report, bool) {
	for _, r := range c.Reports {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// reports reads the reports section, after the statistics: each statistic a row names
// must be configured with notification mode reset, and all of a report's on one profile.
func (l *loader) reports(n *yaml.Node) {
	for _, p := range pairs(n) {
		r := &Report{Name: p.key.Value, Title: text(value(p.val, "title"))}
		if r.Title == "" {
			r.Title = r.Name
		}
		var profNode *yaml.Node
		labels := seen{}
		for _, item := range items(value(p.val, "rows")) {
			lnode := value(item, "label")
			row := &ReportRow{Label: text(lnode)}
			labels.first(l, "report row label", row.Label, lnode)
			for c := ColOffered; c < NumReportColumns; c++ {
				v := value(item, c.Key())
				if v == nil {
					continue
				}
				id := text(v)
				row.Statistics[c] = id
				st, ok := l.cfg.statistics[id]
				switch {
				case !ok:
					l.errorf(v, "report %q: no statistic %q in statistics", r.Name, id)
				case st.Notification.Mode != NotifyReset:
					l.errorf(v, "report %q: statistic %q is not recorded in history: its notification mode is %s, a report needs reset",
						r.Name, id, modeName(st.Notification.Mode))
				case st.Profile == nil:
				case r.Profile == nil:
					r.Profile, profNode = st.Profile, v
				case st.Profile != r.Profile:
					l.errorf(v, "report %q: statistic %q has profile %q, but %q (line %d) has %q: a report's statistics share one profile",
						r.Name, id, st.Profile.Name, text(profNode), profNode.Line, r.Profile.Name)
				}
			}
			r.Rows = append(r.Rows, row)
		}
		l.cfg.Reports = append(l.cfg.Reports, r)
	}
}

// modeName returns the config name of a notification mode.
func modeName(m NotifyMode) string {
	for _, name := range []string{"changes", "periodical", "reset", "none"} {
		if mm, _ := parseNotifyMode(name); mm == m {
			return name
		}
	}
	return "unknown"
}
