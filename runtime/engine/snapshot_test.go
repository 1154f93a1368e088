package engine_test

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/server"
	"github.com/statkit/statkit/runtime/sim"
)

// snapFixture is a simulated day's config (the demo's: every profile kind, time ranges,
// extended categories) and its events.
func snapFixture(t testing.TB, seed uint64) (*config.Config, []event.Event) {
	t.Helper()
	sc := sim.Config{Seed: seed, Agents: 12, Queues: 2, Duration: 3 * time.Hour, Start: sim.DefaultStart()}
	cfg, err := server.DemoConfig(sc)
	require.NoError(t, err)
	s, err := sim.New(sc)
	require.NoError(t, err)
	var evs []event.Event
	for e, ok := s.Next(); ok; e, ok = s.Next() {
		evs = append(evs, e)
	}
	return cfg, evs
}

// openAll builds an engine for cfg's topology and opens the statistics it computes, as
// the server does.
func openAll(t testing.TB, cfg *config.Config) *engine.Engine {
	t.Helper()
	topo := *cfg
	topo.Statistics = nil
	e, err := engine.New(&topo)
	require.NoError(t, err)
	for _, st := range cfg.Statistics {
		_ = e.Open(st) // the demo has statistics for later features
	}
	return e
}

// step is what the test does with the engine at event i: apply it, and every few events
// drain the notifications, advance the clock, or open and close statistics.
func step(t testing.TB, e *engine.Engine, cfg *config.Config, evs []event.Event, i int, notes *[]engine.Notification) {
	t.Helper()
	require.NoError(t, e.Apply(&evs[i]))
	switch {
	case i%37 == 0 && i+1 < len(evs):
		e.Advance(evs[i+1].Time) // a tick between events
	case i == 300:
		// A statistic opened through the API (not in the config) and a config one closed.
		st, err := cfg.NewStatistic(config.StatisticSpec{ID: "api-1", StatType: cfg.Statistics[0].StatType.Name,
			Object: config.ObjectSpec{Type: cfg.Statistics[0].Object.Type.String(), ID: cfg.Statistics[0].Object.ID}})
		require.NoError(t, err)
		require.NoError(t, e.Open(st))
		require.NoError(t, e.Close(e.Statistics()[1].ID))
	}
	if i%5 == 0 {
		*notes = e.Notifications(*notes)
	}
}

// values returns every open statistic's value as JSON text.
func values(t testing.TB, e *engine.Engine) map[string]string {
	out := map[string]string{}
	for _, st := range e.Statistics() {
		v, err := e.Value(st.ID)
		require.NoError(t, err)
		out[st.ID] = v.String()
	}
	return out
}

// A snapshot taken at a random point, restored and fed the rest of the stream gives the
// values and the notifications of the engine that was never interrupted.
func TestSnapshotRestoreEqualsUninterrupted(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		cfg, evs := snapFixture(t, seed)
		r := rand.New(rand.NewPCG(seed, 99))
		cut := 1 + r.IntN(len(evs)-1)
		if seed == 1 {
			cut = 400 // after the API open and the close
		}
		ref := openAll(t, cfg)
		var refNotes []engine.Notification
		for i := range evs {
			step(t, ref, cfg, evs, i, &refNotes)
			if i == cut-1 {
				refNotes = refNotes[:0]
			}
		}

		a := openAll(t, cfg)
		var notes []engine.Notification
		for i := range cut {
			step(t, a, cfg, evs, i, &notes)
		}
		var buf bytes.Buffer
		require.NoError(t, a.Snapshot(&buf))
		b, err := engine.Restore(cfg, bytes.NewReader(buf.Bytes()))
		require.NoError(t, err, "seed %d cut %d", seed, cut)
		// A second snapshot of the restored engine is the same bytes (taken before the
		// values are read: a read rolls a Growing statistic whose reset passed to its new
		// interval — the same value, other bytes).
		var again bytes.Buffer
		require.NoError(t, b.Snapshot(&again))
		require.Equal(t, buf.Bytes(), again.Bytes(), "seed %d: snapshot of a restored engine", seed)
		require.Equal(t, values(t, a), values(t, b), "seed %d: values right after restore", seed)

		notes = notes[:0]
		for i := cut; i < len(evs); i++ {
			step(t, b, cfg, evs, i, &notes)
		}
		require.Equal(t, values(t, ref), values(t, b), "seed %d cut %d: final values", seed, cut)
		require.Equal(t, len(refNotes), len(notes), "seed %d cut %d: notifications", seed, cut)
		for i := range refNotes {
			require.Equal(t, refNotes[i].Statistic, notes[i].Statistic)
			require.Equal(t, refNotes[i].At, notes[i].At)
			require.Equal(t, refNotes[i].From, notes[i].From)
			require.Equal(t, refNotes[i].Value.String(), notes[i].Value.String(), "notification %d", i)
		}
	}
}

// Restore refuses a snapshot of another topology, a truncated one and garbage.
func TestRestoreRefuses(t *testing.T) {
	cfg, evs := snapFixture(t, 1)
	e := openAll(t, cfg)
	for i := range 200 {
		require.NoError(t, e.Apply(&evs[i]))
	}
	var buf bytes.Buffer
	require.NoError(t, e.Snapshot(&buf))
	for n := 0; n < buf.Len(); n += 1 + buf.Len()/50 {
		_, err := engine.Restore(cfg, bytes.NewReader(buf.Bytes()[:n]))
		require.ErrorIs(t, err, engine.ErrSnapshot, "truncated at %d", n)
	}
	other, err := server.DemoConfig(sim.Config{Seed: 1, Agents: 13, Queues: 2})
	require.NoError(t, err)
	_, err = engine.Restore(other, bytes.NewReader(buf.Bytes()))
	require.ErrorContains(t, err, "topology")
}

// FuzzRestore: Restore never panics, whatever the bytes.
func FuzzRestore(f *testing.F) {
	cfg, evs := snapFixture(f, 1)
	e := openAll(f, cfg)
	var empty bytes.Buffer
	require.NoError(f, e.Snapshot(&empty))
	f.Add(empty.Bytes())
	for i := range 300 {
		require.NoError(f, e.Apply(&evs[i]))
	}
	e.Notifications(nil)
	var buf bytes.Buffer
	require.NoError(f, e.Snapshot(&buf))
	f.Add(buf.Bytes())
	f.Add([]byte("SKENGSNP\x01"))
	f.Add(withHolds(f, cfg, e, evs[:300]))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := engine.Restore(cfg, bytes.NewReader(b))
		if err == nil {
			_ = e.Statistics()
		}
	})
}

// withHolds updates the data of a call in progress in e (after evs) under a filtered
// statistic it opens (and adds to cfg), so that the filter starts holding, and returns a
// snapshot with an instance's hold in it.
func withHolds(tb testing.TB, cfg *config.Config, e *engine.Engine, evs []event.Event) []byte {
	tb.Helper()
	live := map[[2]string]*event.Event{}
	for i := range evs {
		if ev := &evs[i]; ev.Action == action.CallInbound {
			k := [2]string{ev.Source.ID, ev.Interaction}
			if ev.Phase == event.PhaseStart {
				live[k] = ev
			} else {
				delete(live, k)
			}
		}
	}
	var w *event.Event
	for _, ev := range live {
		if w == nil || ev.Interaction < w.Interaction {
			w = ev
		}
	}
	require.NotNil(tb, w, "no call in progress")
	var mask config.Mask
	mask.Add(action.CallInbound)
	st := &config.Statistic{ID: "fuzz-held", Object: config.ObjectRef{Type: object.TypeRegDN, ID: w.Source.ID}, Def: &config.Def{StatType: &config.StatType{Name: "fuzz-held", Category: category.CurrentTime, Subject: category.SubjectDNAction, MainMask: mask}, Filter: &config.Filter{Name: "fuzz-vip", Expr: `data["vip"] == "1"`}}}
	cfg.StatTypes = append(cfg.StatTypes, st.StatType)
	cfg.Filters = append(cfg.Filters, st.Filter)
	cfg.Statistics = append(cfg.Statistics, st)
	cfg.Index()
	require.NoError(tb, e.Open(st))
	up := *w
	up.Time, up.Phase, up.Data = e.Now(), event.PhaseUpdate, event.Data{{Key: "vip", Value: "1"}}
	require.NoError(tb, e.Apply(&up))
	var buf bytes.Buffer
	require.NoError(tb, e.Snapshot(&buf))
	r, err := engine.Restore(cfg, bytes.NewReader(buf.Bytes()))
	require.NoError(tb, err)
	v, err := r.Value("fuzz-held")
	require.NoError(tb, err)
	require.Zero(tb, v.Number, "held since now")
	return buf.Bytes()
}
