package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/history"
	"github.com/statkit/statkit/runtime/history/historytest"
)

var (
	smallConfig = filepath.Join("..", "..", "runtime", "history", "testdata", "small.yaml")
	smallEvents = filepath.Join("..", "..", "runtime", "history", "testdata", "small.ndjson")
)

func reportOut(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runReport(context.Background(), args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// TestReportSmall: the small day (see runtime/history's TestSmallDay: 2 offered and an
// average wait of 7.5 s in 09:00–09:15, 1 and 30.5 s in 09:15–09:30), through replay
// --history and report, in both formats, with and without the config.
func TestReportSmall(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	_, stderr, err := replayOut(t, "--config", smallConfig, "--events", smallEvents, "--history", dsn)
	require.NoError(t, err, stderr)

	out, stderr, err := reportOut(t, "--history", dsn, "--day", "2026-01-05", "--format", "csv", "--config", smallConfig)
	require.NoError(t, err, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 1+96+1, "header, the day's 96 intervals, the total")
	assert.Equal(t, "report,row,interval_start,interval_end,offered,answered,abandoned,service_level_pct,asa_s,aht_s", lines[0])
	assert.Equal(t, "R,Q,2026-01-05T08:45:00Z,2026-01-05T09:00:00Z,,,,,,", lines[36], "no row stored before the first event")
	assert.Equal(t, "R,Q,2026-01-05T09:00:00Z,2026-01-05T09:15:00Z,2,,,,7.5,", lines[37])
	assert.Equal(t, "R,Q,2026-01-05T09:15:00Z,2026-01-05T09:30:00Z,1,,,,30.5,", lines[38])
	assert.Equal(t, "R,Q,total,,3,,,,,", lines[97])

	// Without the config: the report the database keeps, over the intervals stored.
	out, stderr, err = reportOut(t, "--history", dsn, "--day", "2026-01-05", "--format", "csv")
	require.NoError(t, err, stderr)
	assert.Equal(t, "report,row,interval_start,interval_end,offered,answered,abandoned,service_level_pct,asa_s,aht_s\n"+
		"R,Q,2026-01-05T09:00:00Z,2026-01-05T09:15:00Z,2,,,,7.5,\n"+
		"R,Q,2026-01-05T09:15:00Z,2026-01-05T09:30:00Z,1,,,,30.5,\n"+
		"R,Q,total,,3,,,,,\n", out)

	out, stderr, err = reportOut(t, "--history", dsn, "--day", "2026-01-05")
	require.NoError(t, err, stderr)
	assert.Equal(t, "## Small — 2026-01-05 (UTC)\n\n### Q\n\n"+
		"| Interval | Offered | Answered | Abandoned | Service level % | ASA (s) | AHT (s) |\n"+
		"|---|---:|---:|---:|---:|---:|---:|\n"+
		"| 09:00–09:15 | 2 |  |  |  | 7.5 |  |\n"+
		"| 09:15–09:30 | 1 |  |  |  | 30.5 |  |\n"+
		"| **Total** | **3** |  |  |  |  |  |\n", out)
}

// TestReportBankDay: every cell of the bank day's CSV report is the stored row of its
// statistic and interval, and each total line is the sum of its intervals.
func TestReportBankDay(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "bank.db")
	_, stderr, err := replayOut(t, "--config", bankConfig, "--events", bankEvents, "--history", dsn)
	require.NoError(t, err, stderr)
	out, stderr, err := reportOut(t, "--history", dsn, "--day", "1999-01-04", "--format", "csv", "--config", bankConfig)
	require.NoError(t, err, stderr)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 1+7*(96+1), "7 rows (6 queues and all of them), 96 intervals and a total each")

	st, err := history.Open(context.Background(), dsn, history.StoreOptions{})
	require.NoError(t, err)
	defer st.Close()
	suffix := []string{"Offered.15m", "Answered.15m", "Abandoned.15m", "ServiceLevel.15m", "ASA.15m", "AHT.15m"}
	sums := map[string]float64{}
	nonEmpty := 0
	for _, rec := range recs[1:] {
		row := rec[1]
		if rec[2] == "total" {
			for c := 0; c < 3; c++ {
				assert.Equal(t, strconv.FormatFloat(sums[row+"/"+strconv.Itoa(c)], 'f', -1, 64), rec[4+c], "total of %s", row)
			}
			continue
		}
		start, err := time.Parse(time.RFC3339, rec[2])
		require.NoError(t, err)
		for c, sfx := range suffix {
			ivs, err := st.Intervals(context.Background(), []string{row + "." + sfx}, start, start.Add(15*time.Minute), 0)
			require.NoError(t, err)
			if len(ivs) == 0 {
				assert.Empty(t, rec[4+c])
				continue
			}
			require.Len(t, ivs, 1)
			want := strconv.FormatFloat(ivs[0].Value, 'f', -1, 64)
			switch {
			case math.IsNaN(ivs[0].Value): // undefined (a ratio of nothing): an empty cell
				want = ""
			case c >= 3:
				want = strconv.FormatFloat(float64(int64(ivs[0].Value*1000+0.5))/1000, 'f', -1, 64)
			default:
				sums[row+"/"+strconv.Itoa(c)] += ivs[0].Value
			}
			assert.Equal(t, want, rec[4+c], "%s %s", row+"."+sfx, rec[2])
			nonEmpty++
		}
	}
	// The day holds the intervals from 06:45 to midnight local (17 h 15 min).
	assert.Equal(t, 69*42, nonEmpty)
}

func TestReportUsage(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--day", "2026-01-05"}, "--history is required"},
		{[]string{"--history", dsn}, "--day is required"},
		{[]string{"--history", dsn, "--day", "05/01/2026"}, "is not YYYY-MM-DD"},
		{[]string{"--history", dsn, "--day", "2026-01-05", "--format", "pdf"}, "--format must be md or csv"},
		{[]string{"--history", "mysql://x/y", "--day", "2026-01-05"}, "want sqlite:PATH or postgres://"},
		{[]string{"--history", dsn, "--day", "2026-01-05"}, "no report defined"},
		{[]string{"--history", dsn, "--day", "2026-01-05", "--config", smallConfig, "--report", "X"}, `no report "X" (reports: R)`},
	} {
		_, _, err := reportOut(t, tc.args...)
		require.Error(t, err, "%v", tc.args)
		assert.Contains(t, err.Error(), tc.want, "%v", tc.args)
	}
}

// TestHistoryPostgresSameAsSQLite: the bank day replayed with --history into PostgreSQL
// gives the same rows as into SQLite, and the same report.
func TestHistoryPostgresSameAsSQLite(t *testing.T) {
	pg := historytest.PostgresDSN(t)
	lite := "sqlite:" + filepath.Join(t.TempDir(), "bank.db")
	reports := map[string]string{}
	rows := map[string][]history.Interval{}
	for _, dsn := range []string{lite, pg} {
		_, stderr, err := replayOut(t, "--config", bankConfig, "--events", bankEvents, "--history", dsn)
		require.NoError(t, err, stderr)
		out, stderr, err := reportOut(t, "--history", dsn, "--day", "1999-01-04", "--format", "csv")
		require.NoError(t, err, stderr)
		reports[dsn] = out
		st, err := history.Open(context.Background(), dsn, history.StoreOptions{})
		require.NoError(t, err)
		infos, err := st.Statistics(context.Background(), history.StatisticFilter{})
		require.NoError(t, err)
		var ids []string
		for _, si := range infos {
			ids = append(ids, si.ID)
		}
		rows[dsn], err = st.Intervals(context.Background(), ids, time.Unix(0, 0), time.Now(), 0)
		require.NoError(t, err)
		st.Close()
	}
	assert.Len(t, rows[lite], 70*42)
	assert.Equal(t, len(rows[lite]), len(rows[pg]))
	for i := range rows[lite] {
		a, b := rows[lite][i], rows[pg][i]
		assert.True(t, a.Statistic == b.Statistic && a.Start.Equal(b.Start) && a.End.Equal(b.End) &&
			(a.Value == b.Value || a.Value != a.Value && b.Value != b.Value), "%+v vs %+v", a, b)
	}
	assert.Equal(t, reports[lite], reports[pg])
}
