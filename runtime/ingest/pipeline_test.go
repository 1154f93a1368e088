package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// fakeEngine records what reaches it: the events applied (by line) and the clock moves.
// It rejects an event whose line is in reject, and a late one (which the pipeline must
// never give it).
type fakeEngine struct {
	now     event.Time
	started bool
	trace   []string
	reject  map[int]bool
}

func (f *fakeEngine) Apply(ev *event.Event) error {
	if f.started && ev.Time < f.now {
		return fmt.Errorf("late: %v before %v", ev.Time, f.now)
	}
	if f.reject[ev.Line] {
		return &engine.RejectError{Code: engine.CodeDuplicateStart, Msg: "no"}
	}
	f.now, f.started = ev.Time, true
	f.trace = append(f.trace, fmt.Sprintf("apply %d@%d", ev.Line, ev.Time))
	return nil
}

func (f *fakeEngine) Advance(t event.Time) {
	if f.started && t < f.now {
		return
	}
	f.now, f.started = t, true
	f.trace = append(f.trace, fmt.Sprintf("advance %d", t))
}

func (f *fakeEngine) Now() event.Time { return f.now }
func (f *fakeEngine) Started() bool   { return f.started }

// template is a valid event, for the snapshot's NDJSON.
var template = func() event.Event {
	ev, err := event.DecodeLine([]byte(`{"time":"2026-11-26T09:00:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q1"},"interaction":"c"}`), 1, event.Options{})
	if err != nil {
		panic(err)
	}
	return ev
}()

// ev returns an event at t with line line.
func ev(line int, t event.Time) event.Event {
	e := template
	e.Line, e.Time = line, t
	return e
}

// model is the reference sequencer, written as plainly as possible: every batch is
// appended and the whole buffer sorted stably, then the front released.
type model struct {
	win   event.Time
	held  []heldM
	wm    event.Time
	wmOK  bool
	eng   *fakeEngine
	lates []Late
}

type heldM struct {
	ev   event.Event
	recv event.Time
}

func (m *model) release(bound event.Time) {
	slices.SortStableFunc(m.held, func(a, b heldM) int { return int(a.ev.Time - b.ev.Time) })
	for len(m.held) > 0 && m.held[0].ev.Time <= bound {
		e := m.held[0].ev
		m.held = m.held[1:]
		m.eng.Apply(&e)
	}
}

func (m *model) bound() event.Time {
	b := event.Time(-1 << 62)
	if m.wmOK {
		b = m.wm - m.win
	}
	if m.eng.started && m.eng.now > b {
		b = m.eng.now
	}
	return b
}

func (m *model) batch(evs []event.Event, wall event.Time) {
	for _, e := range evs {
		if m.eng.started && e.Time < m.eng.now {
			m.lates = append(m.lates, Late{Line: e.Line, By: int64(m.eng.now - e.Time), At: m.eng.now})
			e.Time = m.eng.now
		} else if !m.wmOK || e.Time > m.wm {
			m.wm, m.wmOK = e.Time, true
		}
		m.held = append(m.held, heldM{e, wall})
	}
	m.release(m.bound())
}

func (m *model) tick(t Tick) {
	b := m.bound()
	if t.Advance && t.Time > b {
		b = t.Time
	}
	for _, h := range m.held {
		if t.Wall != 0 && h.recv != 0 && h.recv <= t.Wall-m.win && h.ev.Time > b {
			b = h.ev.Time
		}
	}
	m.release(b)
	if t.Advance && (!m.eng.started || t.Time > m.eng.now) {
		m.eng.Advance(t.Time)
	}
}

// scenario is a random sequence of batches and ticks: event times wander forward with
// some equal times, some a little back (within a window) and some far back (late).
type step struct {
	batch []event.Event
	wall  event.Time
	tick  *Tick
	flush bool
}

func scenario(rng *rand.Rand, n int) []step {
	var steps []step
	t, wall, line := event.Time(1_000_000), event.Time(5_000_000), 0
	for line < n {
		switch k := rng.IntN(10); {
		case k < 7:
			var b []event.Event
			for range 1 + rng.IntN(12) {
				line++
				d := event.Time(rng.IntN(1500))
				switch r := rng.IntN(20); {
				case r < 3:
					d = 0 // the same time
				case r < 6:
					d = -event.Time(rng.IntN(2500)) // a little back
				case r == 6:
					d = -event.Time(60_000 + rng.IntN(120_000)) // minutes late
				}
				if d > 0 {
					t += d
				}
				b = append(b, ev(line, t+min(d, 0)))
			}
			wall += event.Time(rng.IntN(800))
			steps = append(steps, step{batch: b, wall: wall})
		case k < 9:
			wall += event.Time(rng.IntN(3000))
			tk := Tick{Wall: wall}
			if rng.IntN(2) == 0 {
				tk.Time, tk.Advance = t-event.Time(rng.IntN(4000)), true
			}
			steps = append(steps, step{tick: &tk})
		default:
			steps = append(steps, step{flush: rng.IntN(8) == 0})
		}
	}
	return append(steps, step{flush: true})
}

// The pipeline and the plain model give the engine the same events, at the same times,
// in the same order, and report the same late lines, whatever the batches, ticks and
// windows; and the engine never sees an event older than its clock.
func TestPipelineMatchesModel(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 13))
		win := []time.Duration{0, time.Second, 2 * time.Second, 5 * time.Second}[rng.IntN(4)]
		steps := scenario(rng, 300)
		got := &fakeEngine{}
		p := New(got, Options{Window: win})
		m := &model{win: event.Time(win.Milliseconds()), eng: &fakeEngine{}}
		var lates []Late
		for _, s := range steps {
			switch {
			case s.batch != nil:
				r := p.Batch(&Batch{Input: "in", Wall: s.wall, Events: slices.Clone(s.batch)})
				require.False(t, r.Duplicate)
				assert.Equal(t, len(s.batch), r.Answer.Accepted)
				assert.Empty(t, r.Outcome.Rejected, "seed %d", seed)
				lates = append(lates, r.Answer.Late...)
				assert.Equal(t, r.Answer.LateTotal, len(r.Answer.Late))
				m.batch(slices.Clone(s.batch), s.wall)
			case s.tick != nil:
				p.Tick(*s.tick)
				m.tick(*s.tick)
			case s.flush:
				p.Flush()
				m.release(event.Time(1 << 62))
			}
			require.Equal(t, len(m.held), p.Held(), "seed %d", seed)
		}
		require.Equal(t, m.eng.trace, got.trace, "seed %d window %v", seed, win)
		require.Equal(t, m.lates, lates, "seed %d", seed)
		// Every late line is listed once, and no line is both late and applied twice.
		lines := map[int]int{}
		for _, l := range lates {
			lines[l.Line]++
		}
		for l, n := range lines {
			require.Equal(t, 1, n, "line %d late %d times", l, n)
		}
	}
}

// A snapshot taken at any point, restored, continues exactly as the original.
func TestSnapshotContinues(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		steps := scenario(rng, 200)
		cut := rng.IntN(len(steps))
		a := &fakeEngine{}
		p := New(a, Options{Window: 2 * time.Second, KeyWindow: time.Hour, MaxKeys: 50})
		var q *Pipeline
		b := &fakeEngine{}
		for i, s := range steps {
			if i == cut {
				snap, err := p.AppendSnapshot([]byte("x"))
				require.NoError(t, err)
				var rest []byte
				q, rest, err = Restore(b, snap[1:])
				require.NoError(t, err, "seed %d", seed)
				require.Empty(t, rest)
				*b = *a
				b.trace = nil
				a.trace = nil
				again, err := q.AppendSnapshot(nil)
				require.NoError(t, err)
				require.Equal(t, snap[1:], again, "a restored pipeline snapshots to the same bytes")
			}
			for _, pp := range []*Pipeline{p, q} {
				if pp == nil {
					continue
				}
				switch {
				case s.batch != nil:
					key := ""
					if s.batch[0].Line%3 == 0 {
						key = fmt.Sprint("k", s.batch[0].Line%40)
					}
					pp.Batch(&Batch{Input: "in", Key: key, Sum: uint64(s.batch[0].Line), Wall: s.wall, Events: slices.Clone(s.batch)})
				case s.tick != nil:
					pp.Tick(*s.tick)
				case s.flush:
					pp.Flush()
				}
			}
		}
		if q != nil {
			require.Equal(t, a.trace, b.trace, "seed %d cut %d", seed, cut)
			require.Equal(t, p.Keys().Len(), q.Keys().Len())
		}
	}
}

// A batch whose key was applied is answered with the first answer and applies nothing;
// the same key with another body is a conflict; keys go after the key window of wall
// time, and oldest first beyond the count bound.
func TestKeys(t *testing.T) {
	f := &fakeEngine{reject: map[int]bool{2: true}}
	p := New(f, Options{KeyWindow: time.Minute, MaxKeys: 3})
	first := p.Batch(&Batch{Key: "a", Sum: 1, Wall: 1000, Events: []event.Event{ev(1, 10), ev(2, 11)},
		Rejected: []event.Rejection{{Line: 3, Code: "bad_json", Reason: "x"}}, RejectedTotal: 1})
	require.False(t, first.Duplicate)
	assert.Equal(t, 1, first.Answer.Accepted)
	assert.Equal(t, 2, first.Answer.RejectedTotal)
	n := len(f.trace)

	again := p.Batch(&Batch{Key: "a", Sum: 1, Wall: 2000, Events: []event.Event{ev(1, 10), ev(2, 11)}})
	assert.True(t, again.Duplicate)
	assert.Equal(t, first.Answer, again.Answer)
	assert.Len(t, f.trace, n, "a duplicate applies nothing")

	other := p.Batch(&Batch{Key: "a", Sum: 2, Wall: 2000, Events: []event.Event{ev(1, 20)}})
	assert.True(t, other.Conflict)
	assert.Len(t, f.trace, n)

	for i, k := range []string{"b", "c", "d"} {
		p.Batch(&Batch{Key: k, Sum: 1, Wall: event.Time(3000 + i), Events: []event.Event{ev(10+i, event.Time(30+i))}})
	}
	_, ok := p.Keys().Lookup("a")
	assert.False(t, ok, "over the count bound, the oldest key goes")
	_, ok = p.Keys().Lookup("b")
	assert.True(t, ok)
	p.Tick(Tick{Wall: 3000 + 60_000})
	_, ok = p.Keys().Lookup("b")
	assert.True(t, ok, "60 s after b: not yet older than the window")
	p.Tick(Tick{Wall: 3001 + 60_001})
	_, okb := p.Keys().Lookup("b")
	_, okc := p.Keys().Lookup("c")
	_, okd := p.Keys().Lookup("d")
	assert.Equal(t, []bool{false, false, true}, []bool{okb, okc, okd})
}

// Lists stay bounded and in line order whatever the number and order of problems; the
// totals count everything.
func TestAnswerBounded(t *testing.T) {
	var a Answer
	rng := rand.New(rand.NewPCG(1, 1))
	lines := rng.Perm(5000)
	for _, l := range lines {
		a.AddRejection(event.Rejection{Line: l + 1, Code: "bad_json", Reason: "r"})
	}
	require.Len(t, a.Rejected, MaxListed)
	assert.Equal(t, 5000, a.RejectedTotal)
	for i, r := range a.Rejected {
		assert.Equal(t, i+1, r.Line)
	}
}

// A reason quotes at most MaxQuoted bytes of client input, whatever it quotes.
func TestClipReason(t *testing.T) {
	long := string(bytes.Repeat([]byte("é"), 100))
	r := ClipReason(fmt.Sprintf("unknown %q and %q", long, "tail"))
	assert.LessOrEqual(t, len(r), 256)
	var s1, s2 string
	_, err := fmt.Sscanf(r, "unknown %q and %q", &s1, &s2)
	require.NoError(t, err, r)
	assert.LessOrEqual(t, len(s1)+len(s2), MaxQuoted+2*len("…"))
	assert.True(t, len(s1) > 0 && s1[len(s1)-len("…"):] == "…")
	assert.Equal(t, "no quotes here", ClipReason("no quotes here"))
	assert.LessOrEqual(t, len(ClipReason(string(bytes.Repeat([]byte("x"), 10000)))), 256)
	assert.LessOrEqual(t, len(ClipReason(`"`+string(bytes.Repeat([]byte("x"), 10000)))), 256)
}

// simDay returns a small simulated contact center's config and its events, sorted.
func simDay(t testing.TB, seed uint64) (*config.Config, []event.Event) {
	sc := sim.Config{Seed: seed, Agents: 12, Queues: 2, Duration: 2 * time.Hour, LoginSpread: time.Minute}
	var buf bytes.Buffer
	require.NoError(t, sim.WriteConfig(&buf, sc))
	cfg, err := config.LoadWith("sim.yaml", &buf, config.Options{})
	require.NoError(t, err)
	s, err := sim.New(sc)
	require.NoError(t, err)
	var evs []event.Event
	require.NoError(t, s.Run(context.Background(), func(e event.Event) error {
		e.Line = len(evs) + 1
		evs = append(evs, e)
		return nil
	}))
	return cfg, evs
}

// values returns every statistic's value JSON.
func values(t testing.TB, e *engine.Engine) map[string]string {
	out := map[string]string{}
	for _, st := range e.Statistics() {
		v, err := e.Value(st.ID)
		require.NoError(t, err)
		b, err := json.Marshal(v)
		require.NoError(t, err)
		out[st.ID] = string(b)
	}
	return out
}

// Any arrival order in which no event comes more than the window after a later one —
// events with equal times keeping their order — in any batches gives exactly the values
// of the sorted input applied to an engine directly, with no late event and no
// rejection.
func TestPermutationWithinWindowIsSorted(t *testing.T) {
	const win = 2 * time.Second
	for seed := range uint64(6) {
		cfg, evs := simDay(t, seed+1)
		ref, err := engine.New(cfg)
		require.NoError(t, err)
		for i := range evs {
			require.NoError(t, ref.Apply(&evs[i]))
		}
		want := values(t, ref)

		// Arrival: each distinct time gets one delay in [0, window]; arrival order is by
		// time + delay, stably. An event then never arrives after one more than the
		// window later than it.
		rng := rand.New(rand.NewPCG(seed, 99))
		delay := map[event.Time]event.Time{}
		type arr struct {
			at event.Time
			ev event.Event
		}
		var arrivals []arr
		for _, e := range evs {
			d, ok := delay[e.Time]
			if !ok {
				d = event.Time(rng.Int64N(win.Milliseconds() + 1))
				delay[e.Time] = d
			}
			arrivals = append(arrivals, arr{e.Time + d, e})
		}
		slices.SortStableFunc(arrivals, func(a, b arr) int { return int(a.at - b.at) })
		moved := 0
		for i, a := range arrivals {
			if a.ev.Line != i+1 {
				moved++
			}
		}
		require.Positive(t, moved, "the arrival order must differ from the sorted one")

		eng, err := engine.New(cfg)
		require.NoError(t, err)
		p := New(eng, Options{Window: win})
		for i := 0; i < len(arrivals); {
			n := min(1+rng.IntN(40), len(arrivals)-i)
			b := make([]event.Event, n)
			for k := range b {
				b[k] = arrivals[i+k].ev
			}
			i += n
			r := p.Batch(&Batch{Input: "pbx", Events: b})
			require.Zero(t, r.Answer.LateTotal, "seed %d", seed)
			require.Zero(t, r.Answer.RejectedTotal, "seed %d: %v", seed, r.Answer.Rejected)
			require.Empty(t, r.Outcome.Rejected, "seed %d", seed)
		}
		require.Empty(t, p.Flush().Rejected)
		require.Equal(t, ref.Now(), eng.Now())
		require.Equal(t, want, values(t, eng), "seed %d: %d of %d events arrived out of order", seed, moved, len(evs))
	}
}
