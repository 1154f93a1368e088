package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
)

// reportBase is a config with two recorded 15-minute statistics, one on another profile
// and one not recorded; a test appends its reports section.
const reportBase = `topology:
  dns: [{id: Q1, type: ACDQueue}]
statTypes:
  Entered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  Answered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
timeProfiles:
  Q15: {type: Growing, period: 900}
  H1: {type: Growing, period: 3600}
statistics:
  - {id: q1.offered, statType: Entered, object: {type: Queue, id: Q1}, profile: Q15, notification: {mode: reset}}
  - {id: q1.answered, statType: Answered, object: {type: Queue, id: Q1}, profile: Q15, notification: {mode: reset}}
  - {id: q1.answered.h, statType: Answered, object: {type: Queue, id: Q1}, profile: H1, notification: {mode: reset}}
  - {id: q1.live, statType: Answered, object: {type: Queue, id: Q1}, profile: Q15}
`

func TestReports(t *testing.T) {
	c := load(t, reportBase+`reports:
  Queues:
    title: Queues every 15 minutes
    rows:
      - {label: Q1, offered: q1.offered, answered: q1.answered}
  Untitled:
    rows: [{label: Q1, answered: q1.answered.h}]
`)
	require.Len(t, c.Reports, 2)
	r, ok := c.Report("Queues")
	require.True(t, ok)
	assert.Equal(t, "Queues every 15 minutes", r.Title)
	assert.Equal(t, "Q15", r.Profile.Name)
	require.Len(t, r.Rows, 1)
	want := [config.NumReportColumns]string{config.ColOffered: "q1.offered", config.ColAnswered: "q1.answered"}
	assert.Equal(t, want, r.Rows[0].Statistics)
	assert.Equal(t, "Q1", r.Rows[0].Label)
	u, _ := c.Report("Untitled")
	assert.Equal(t, "Untitled", u.Title, "the name stands for a missing title")
	assert.Equal(t, "H1", u.Profile.Name)
	_, ok = c.Report("nope")
	assert.False(t, ok)
}

func TestReportErrors(t *testing.T) {
	for _, tc := range []struct{ name, reports, want string }{
		{"unknown statistic", `  R:
    rows: [{label: Q1, offered: q1.nope}]`, `c.yaml:16:33: report "R": no statistic "q1.nope" in statistics`},
		{"not recorded", `  R:
    rows: [{label: Q1, answered: q1.live}]`, `c.yaml:16:34: report "R": statistic "q1.live" is not recorded in history: its notification mode is changes, a report needs reset`},
		{"two profiles", `  R:
    rows:
      - {label: Q1, offered: q1.offered}
      - {label: Q2, answered: q1.answered.h}`, `c.yaml:18:31: report "R": statistic "q1.answered.h" has profile "H1", but "q1.offered" (line 17) has "Q15": a report's statistics share one profile`},
		{"duplicate label", `  R:
    rows: [{label: Q1, offered: q1.offered}, {label: Q1, answered: q1.answered}]`, `c.yaml:16:54: duplicate report row label "Q1" (first at line 16)`},
		{"unknown column", `  R:
    rows: [{label: Q1, offred: q1.offered}]`, `c.yaml:16:24: reports.R.rows[0]: unknown field "offred"`},
		{"label alone", `  R:
    rows: [{label: Q1}]`, `minimum 2 properties`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := loadErrors(t, reportBase+"reports:\n"+tc.reports+"\n", config.Options{})
			require.Len(t, errs, 1, "%v", errs)
			assert.Contains(t, errs[0], tc.want)
		})
	}
}
