package history

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// TestRecorderUndefined: an interval whose average has nothing to average (no call was
// answered: 0/0) is an undefined value in the engine, and a row whose value is NaN (SQL
// NULL), not 0; the count beside it is 1.
func TestRecorderUndefined(t *testing.T) {
	cfg, err := config.LoadFile("testdata/small.yaml")
	require.NoError(t, err)
	eng, err := engine.New(cfg)
	require.NoError(t, err)
	eng.Notifications(nil)
	dec := event.NewDecoder(strings.NewReader(`{"time":"2026-01-05T09:01:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q"},"interaction":"c1"}`+"\n"),
		event.Options{Resolver: eng})
	ev, rej, err := dec.Next()
	require.NoError(t, err)
	require.Nil(t, rej)
	require.NoError(t, eng.Apply(&ev))
	eng.Advance(event.TimeOf(at("09:15")))
	ns := eng.Notifications(nil)
	rows := NewRecorder(cfg.Statistic).Rows(nil, ns)
	require.Len(t, rows, 2)
	got := map[string]float64{}
	for _, r := range rows {
		got[r.Statistic.ID] = r.Value
		assert.Equal(t, event.TimeOf(at("09:00")), r.Start)
		assert.Equal(t, event.TimeOf(at("09:15")), r.End)
	}
	assert.Equal(t, 1.0, got["q.offered"])
	assert.True(t, math.IsNaN(got["q.asa"]), "0/0 is undefined, not %v", got["q.asa"])
	for _, n := range ns {
		if n.Statistic == "q.asa" {
			assert.False(t, n.Value.Defined(), "the engine's value is undefined")
		}
	}
}

// TestRecorderStatisticOpenedMidInterval: a statistic opened during an interval (through
// the API, or by a reload) counts from its open: its first row covers [open, reset) —
// the start the engine gives — and the next ones whole intervals.
func TestRecorderStatisticOpenedMidInterval(t *testing.T) {
	cfg, err := config.LoadFile("testdata/small.yaml")
	require.NoError(t, err)
	eng, err := engine.New(cfg)
	require.NoError(t, err)
	eng.Notifications(nil)
	dec := event.NewDecoder(strings.NewReader(
		`{"time":"2026-01-05T09:01:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q"},"interaction":"c1"}`+"\n"+
			`{"time":"2026-01-05T09:07:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q"},"interaction":"c2"}`+"\n"+
			`{"time":"2026-01-05T09:20:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q"},"interaction":"c3"}`+"\n"),
		event.Options{Resolver: eng})
	next := func() {
		ev, rej, err := dec.Next()
		require.NoError(t, err)
		require.Nil(t, rej)
		require.NoError(t, eng.Apply(&ev))
	}
	next() // 09:01
	late, err := cfg.NewStatistic(config.StatisticSpec{StatType: "Offered", Object: config.ObjectSpec{Type: "Queue", ID: "Q"}, Profile: "Q15"})
	require.NoError(t, err)
	late.ID, late.Notification = "late", config.Notification{Mode: config.NotifyReset}
	require.NoError(t, eng.Open(late)) // at 09:01: c1 is before it
	next()                             // 09:07
	next()                             // 09:20
	eng.Advance(event.TimeOf(at("09:30")))
	lookup := func(id string) (*config.Statistic, bool) {
		if id == "late" {
			return late, true
		}
		return cfg.Statistic(id)
	}
	got := map[string][]string{}
	for _, r := range NewRecorder(lookup).Rows(nil, eng.Notifications(nil)) {
		got[r.Statistic.ID] = append(got[r.Statistic.ID], formatRows([]Row{r})...)
	}
	assert.Equal(t, []string{
		"late 2026-01-05T09:01:00.000Z 2026-01-05T09:15:00.000Z 1",
		"late 2026-01-05T09:15:00.000Z 2026-01-05T09:30:00.000Z 1",
	}, got["late"])
	assert.Equal(t, []string{
		"q.offered 2026-01-05T09:00:00.000Z 2026-01-05T09:15:00.000Z 2",
		"q.offered 2026-01-05T09:15:00.000Z 2026-01-05T09:30:00.000Z 1",
	}, got["q.offered"])
}
