package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// The demo's center under its load (sim.Demo) shows every colour of its board within
// minutes: within the first 15 simulated minutes some value of the board is green, some
// amber and some red, calls are abandoned, and over 40 minutes the service level of all
// queues moves across its 80 % target while some queue falls well behind (below 70 %).
// The board's values are read from the engine every 30 simulated seconds, for three seeds.
func TestDemoShowsEveryColour(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		sc := sim.Demo(sim.Config{Agents: 50, Queues: 4, Seed: seed, Duration: 40 * time.Minute, LoginSpread: 30 * time.Second})
		cfg, err := DemoConfig(sc)
		require.NoError(t, err)
		board, ok := cfg.Wallboard("floor")
		require.True(t, ok)
		var tiles []*config.Tile
		tiles = append(tiles, board.Headline...)
		for _, sec := range board.Sections {
			for _, r := range sec.Rows {
				tiles = append(tiles, r.Cells...)
			}
		}
		eng, err := engine.New(cfg)
		require.NoError(t, err)
		s, err := sim.New(sc)
		require.NoError(t, err)
		start := sc.WithDefaults().Start
		seen := map[string]bool{}
		slLo, slHi, queueLo := 101.0, -1.0, 101.0
		abandoned := 0.0
		next := start.Add(30 * time.Second)
		sample := func(at time.Time) {
			eng.Advance(event.TimeOf(at))
			minute := at.Sub(start).Minutes()
			for _, tile := range tiles {
				if tile == nil || tile.Thresholds == nil {
					continue
				}
				v, err := eng.Value(tile.Statistic.ID)
				require.NoError(t, err)
				if v.Defined() && minute <= 15 {
					seen[tile.Thresholds.Level(v.Number)] = true
				}
			}
			if minute < 5 {
				return // the first values, over too few calls
			}
			sl, err := eng.Value(sim.AllQueuesGroup + ".ServiceLevel")
			require.NoError(t, err)
			if sl.Defined() {
				slLo, slHi = min(slLo, sl.Number), max(slHi, sl.Number)
			}
			for _, r := range board.Sections[0].Rows {
				if v, err := eng.Value(r.Object.ID + ".ServiceLevel"); err == nil && v.Defined() {
					queueLo = min(queueLo, v.Number)
				}
			}
			if minute <= 15 {
				v, err := eng.Value(sim.AllQueuesGroup + ".CallsAbandoned")
				require.NoError(t, err)
				abandoned = v.Number
			}
		}
		for ev, ok := s.Next(); ok; ev, ok = s.Next() {
			for event.TimeOf(next) <= ev.Time {
				sample(next)
				next = next.Add(30 * time.Second)
			}
			require.NoError(t, eng.Apply(&ev))
		}
		assert.True(t, seen["ok"] && seen["warn"] && seen["alarm"], "seed %d: levels seen in the first 15 minutes: %v", seed, seen)
		assert.Positive(t, abandoned, "seed %d: no call abandoned in the first 15 minutes", seed)
		assert.True(t, slLo < 80 && slHi > 90, "seed %d: the service level of all queues stayed within [%.0f, %.0f]", seed, slLo, slHi)
		assert.Less(t, queueLo, 70.0, "seed %d: no queue fell behind", seed)
		t.Logf("seed %d: service level %.0f–%.0f %%, lowest queue %.0f %%, %v abandoned by minute 15", seed, slLo, slHi, queueLo, abandoned)
	}
}

// The demo records a 15-minute interval report (issue 16 §5): a row per queue and one for
// all queues, every statistic reset-mode on the Growing profile Quarter, and each quarter
// hour's reset notification of a queue's offered, answered and abandoned calls carries
// the calls that entered, were distributed and were abandoned on it in that quarter,
// counted here from the events themselves.
func TestDemoRecordsAQuarterHourReport(t *testing.T) {
	sc := sim.Demo(sim.Config{Agents: 20, Queues: 2, Seed: 4, Duration: 50 * time.Minute, LoginSpread: 30 * time.Second})
	cfg, err := DemoConfig(sc)
	require.NoError(t, err)
	r, ok := cfg.Report("Queues15")
	require.True(t, ok)
	require.Len(t, r.Rows, 3, "two queues and all queues")
	require.Equal(t, "Quarter", r.Profile.Name)
	require.Equal(t, 15*time.Minute, r.Profile.Period)
	for _, row := range r.Rows {
		for c, id := range row.Statistics {
			st, ok := cfg.Statistic(id)
			require.True(t, ok, "row %s column %d: %s", row.Label, c, id)
			require.Equal(t, config.NotifyReset, st.Notification.Mode, id)
		}
	}

	eng, err := engine.New(cfg)
	require.NoError(t, err)
	s, err := sim.New(sc)
	require.NoError(t, err)
	q := int64(15 * time.Minute / time.Millisecond)
	type key struct {
		stat string
		from event.Time
	}
	want := map[key]float64{}
	cols := map[action.ID]string{action.CallEntered: "Offered", action.CallDistributed: "Answered", action.CallAbandoned: "Abandoned"}
	got := map[key]float64{}
	var notes []engine.Notification
	for ev, ok := s.Next(); ok; ev, ok = s.Next() {
		require.NoError(t, eng.Apply(&ev))
		notes = eng.Notifications(notes[:0])
		for _, n := range notes {
			if n.From != 0 {
				got[key{n.Statistic, n.From}] = n.Value.Number
			}
		}
		col, counted := cols[ev.Action]
		if !counted || ev.Phase == event.PhaseStart {
			continue // durable ones count when they end
		}
		from := event.Time(int64(ev.Time) / q * q)
		want[key{ev.Source.ID + "." + col + ".15m", from}]++
		want[key{sim.AllQueuesGroup + "." + col + ".15m", from}]++
	}
	complete := 0
	for k, n := range want {
		if k.from+event.Time(q) > eng.Now() {
			continue // the clock has not reached the quarter's end: not sent yet
		}
		v, ok := got[k]
		require.True(t, ok, "no reset notification of %s for the quarter from %v", k.stat, k.from)
		assert.Equal(t, n, v, "%s, quarter from %v", k.stat, k.from)
		complete++
	}
	require.Greater(t, complete, 6, "too few complete quarters")
}
