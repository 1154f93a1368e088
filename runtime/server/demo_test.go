package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/history"
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

// The demo records a 15-minute interval report in history: a row per queue and one for
// all queues, each cell a recorded statistic (reset mode on the Growing profile Quarter),
// and the board's Entered and Service level cells draw them.
func TestDemoRecordsReport(t *testing.T) {
	cfg, err := DemoConfig(sim.Config{Agents: 10, Queues: 3, Seed: 1, Duration: time.Hour})
	require.NoError(t, err)
	r, ok := cfg.Report("Queues15")
	require.True(t, ok)
	require.Len(t, r.Rows, 4)
	assert.Equal(t, "Q1@SW1", r.Rows[0].Label)
	assert.Equal(t, sim.AllQueuesGroup, r.Rows[3].Label)
	for _, row := range r.Rows {
		for c := config.ColOffered; c <= config.ColSpeedOfAnswer; c++ {
			st, ok := cfg.Statistic(row.Statistics[c])
			require.True(t, ok, "%s %s", row.Label, c.Key())
			assert.True(t, history.Recorded(st), st.ID)
			assert.Equal(t, 15*time.Minute, st.Profile.Period, st.ID)
		}
	}
	board, ok := cfg.Wallboard("floor")
	require.True(t, ok)
	var drawn []string
	for _, c := range board.Sections[0].Rows[0].Cells {
		if c != nil && c.History != nil {
			drawn = append(drawn, c.History.ID)
		}
	}
	assert.Equal(t, []string{"Q1@SW1.ServiceLevel.15m", "Q1@SW1.Offered.15m"}, drawn)
}

// The demo's recorded counts are right: each quarter hour's reset notification of a
// TotalNumber statistic of the report carries the events of its stat type's MainMask on
// its queue (or on any queue, for all queues) in that quarter, counted here from the
// simulated events themselves.
func TestDemoReportCounts(t *testing.T) {
	sc := sim.Demo(sim.Config{Agents: 20, Queues: 2, Seed: 4, Duration: 50 * time.Minute, LoginSpread: 30 * time.Second})
	cfg, err := DemoConfig(sc)
	require.NoError(t, err)
	r, ok := cfg.Report("Queues15")
	require.True(t, ok)
	var counted []*config.Statistic
	for _, row := range r.Rows {
		for _, id := range row.Statistics {
			if st, ok := cfg.Statistic(id); ok && st.StatType.Category == category.TotalNumber {
				counted = append(counted, st)
			}
		}
	}
	require.NotEmpty(t, counted)
	eng, err := engine.New(cfg)
	require.NoError(t, err)
	s, err := sim.New(sc)
	require.NoError(t, err)
	q := int64(15 * time.Minute / time.Millisecond)
	type key struct {
		stat string
		from event.Time
	}
	want, got := map[key]float64{}, map[key]float64{}
	var notes []engine.Notification
	for ev, ok := s.Next(); ok; ev, ok = s.Next() {
		require.NoError(t, eng.Apply(&ev))
		notes = eng.Notifications(notes[:0])
		for _, n := range notes {
			if n.From != 0 {
				got[key{n.Statistic, n.From}] = n.Value.Number
			}
		}
		if ev.Action.Kind() == action.KindDurable && ev.Phase != event.PhaseEnd {
			continue // a durable action counts when it ends
		}
		from := event.Time(int64(ev.Time) / q * q)
		for _, st := range counted {
			on := st.Object.Type == object.TypeGroupQueues || st.Object.ID == ev.Source.ID
			if on && ev.Source.Class == object.ClassMediationDN && st.StatType.MainMask.Has(ev.Action) {
				want[key{st.ID, from}]++
			}
		}
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
