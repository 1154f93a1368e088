package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/history"
)

var (
	bankConfig = filepath.Join("..", "..", "examples", "bank", "config.yaml")
	bankEvents = filepath.Join("..", "..", "examples", "bank", "events.ndjson")
)

// slotFigures are one queue's figures in one 15-minute slot, counted straight from the
// event file.
type slotFigures struct {
	offered, answered, abandoned int
	waitSum                      float64 // seconds, answered calls
	withinSL, abandonedAfterSL   int     // answered within 20 s; abandoned after 20 s
	handled                      int     // agents' calls of the queue's service type ending in the slot
	handleSum                    float64 // seconds
}

// bankFigures reads the bank day's events with encoding/json — not the engine, not the
// event decoder — and counts, per queue (and "AllQueues") and 15-minute slot start, what
// the 15-minute report statistics measure. The slot of an action is the one holding its
// time (a retrospective action's time is its completion; a durable one's its end). Times
// are projected onto the slot, as AverageTime's TotalTime is (DESIGN.md §3): a wait or a
// call that began in an earlier slot counts its part inside this one only.
func bankFigures(t *testing.T) map[string]map[time.Time]*slotFigures {
	t.Helper()
	f, err := os.Open(bankEvents)
	require.NoError(t, err)
	defer f.Close()
	type line struct {
		Time        time.Time           `json:"time"`
		Action      string              `json:"action"`
		Phase       string              `json:"phase"`
		Source      struct{ ID string } `json:"source"`
		Interaction string              `json:"interaction"`
		Duration    float64             `json:"duration"`
		Data        map[string]string   `json:"data"`
	}
	out := map[string]map[time.Time]*slotFigures{}
	get := func(q string, at time.Time) *slotFigures {
		if out[q] == nil {
			out[q] = map[time.Time]*slotFigures{}
		}
		slot := at.Truncate(15 * time.Minute) // Jerusalem is a whole number of hours from UTC
		if out[q][slot] == nil {
			out[q][slot] = &slotFigures{}
		}
		return out[q][slot]
	}
	starts := map[string]time.Time{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		for _, q := range []string{l.Source.ID, "AllQueues"} {
			switch l.Action {
			case "CallEntered":
				get(q, l.Time).offered++
			case "CallDistributed":
				s := get(q, l.Time)
				s.answered++
				s.waitSum += inSlot(l.Time.Add(-time.Duration(l.Duration*float64(time.Second))), l.Time)
				if l.Duration <= 20 {
					s.withinSL++
				}
			case "CallAbandoned":
				s := get(q, l.Time)
				s.abandoned++
				if l.Duration > 20 {
					s.abandonedAfterSL++
				}
			}
		}
		if l.Action == "CallInbound" {
			key := l.Source.ID + "/" + l.Interaction
			if l.Phase == "start" {
				starts[key] = l.Time
				continue
			}
			for _, q := range []string{l.Data["Type"] + "@Bank", "AllQueues"} {
				s := get(q, l.Time)
				s.handled++
				s.handleSum += inSlot(starts[key], l.Time)
			}
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// TestReplayHistoryBankDay replays the real bank day with --history into SQLite and
// checks every stored row of the 15-minute report against figures counted directly from
// the event file: each slot from the first event's to the last one's, for the 42
// statistics, once.
func TestReplayHistoryBankDay(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bank.db")
	_, stderr, err := replayOut(t, "--config", bankConfig, "--events", bankEvents, "--history", "sqlite:"+db)
	require.NoError(t, err, stderr)
	want := bankFigures(t)

	st, err := history.Open(context.Background(), "sqlite:"+db, history.StoreOptions{})
	require.NoError(t, err)
	defer st.Close()
	cfg, err := config.LoadFileWith(bankConfig, replayOptions)
	require.NoError(t, err)
	report, ok := cfg.Report("Queues15")
	require.True(t, ok)

	first, last := dayBounds(t)
	var checked, quiet int
	for _, row := range report.Rows {
		for c, id := range row.Statistics {
			col := config.ReportColumn(c)
			ivs, err := st.Intervals(context.Background(), []string{id}, first, last.Add(15*time.Minute), 0)
			require.NoError(t, err)
			require.Len(t, ivs, int(last.Sub(first)/(15*time.Minute))+1, id)
			for i, iv := range ivs {
				require.Equal(t, first.Add(time.Duration(i)*15*time.Minute), iv.Start, id)
				require.Equal(t, iv.Start.Add(15*time.Minute), iv.End, id)
				fig := want[row.Label][iv.Start]
				if fig == nil {
					fig = &slotFigures{}
				}
				exp, defined, isQuiet := expected(col, fig)
				got := iv.Value
				if isQuiet {
					quiet++ // nothing happened: 0, or undefined for a ratio — never the previous value
				}
				switch {
				case !defined:
					// A 0/0 ratio: undefined, SQL NULL.
					assert.True(t, math.IsNaN(got), "%s %s: %v, want null", id, iv.Start, got)
				default:
					assert.InDelta(t, exp, got, 0.0005+1e-9, "%s at %s", id, iv.Start) // averages are rounded to ms
				}
				checked++
			}
		}
	}
	assert.Equal(t, 42*(int(last.Sub(first)/(15*time.Minute))+1), checked)
	t.Logf("checked %d rows (%d of quiet intervals)", checked, quiet)
}

// dayBounds returns the first and the last 15-minute slot of the bank events.
func dayBounds(t *testing.T) (time.Time, time.Time) {
	t.Helper()
	raw, err := os.ReadFile(bankEvents)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var a, b struct{ Time time.Time }
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &a))
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &b))
	return a.Time.Truncate(15 * time.Minute), b.Time.Truncate(15 * time.Minute)
}

// expected returns a column's value for the figures, whether it is defined (not 0/0)
// and whether the statistic saw nothing in the slot.
func expected(c config.ReportColumn, f *slotFigures) (v float64, defined, quiet bool) {
	ratio := func(a, b float64) (float64, bool) {
		if b == 0 {
			return 0, false
		}
		return a / b, true
	}
	switch c {
	case config.ColOffered:
		return float64(f.offered), true, f.offered == 0
	case config.ColAnswered:
		return float64(f.answered), true, f.answered == 0
	case config.ColAbandoned:
		return float64(f.abandoned), true, f.abandoned == 0
	case config.ColServiceLevel:
		v, ok := ratio(100*float64(f.withinSL), float64(f.answered+f.abandonedAfterSL))
		return v, ok, f.answered+f.abandoned == 0
	case config.ColSpeedOfAnswer:
		v, ok := ratio(f.waitSum, float64(f.answered))
		return v, ok, f.answered == 0
	case config.ColHandleTime:
		v, ok := ratio(f.handleSum, float64(f.handled))
		return v, ok, f.handled == 0
	}
	panic(fmt.Sprint("column ", c))
}

// inSlot returns the seconds of [from, to] inside the 15-minute slot holding to.
func inSlot(from, to time.Time) float64 {
	if slot := to.Truncate(15 * time.Minute); from.Before(slot) {
		from = slot
	}
	return to.Sub(from).Seconds()
}
