package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// This file checks filters over data that changes during an action against a second,
// deliberately simple computation: random streams of waits at queue Support@SW1 whose
// data is updated while they wait, and statistics with data filters opened at random
// instants; at random instants every value is recomputed from the whole event list, by
// replaying each wait's data versions (a map per version) and measuring the time each
// version lasted while the filter held. The rules it implements are the package
// documentation's "Data that changes during an action".

// upFilter is a filter of the property test, as an expression and as a Go function.
type upFilter struct {
	expr string
	f    func(map[string]string) bool
}

var upFilters = []upFilter{
	{`data["Seg"] == "Gold"`, func(d map[string]string) bool { return d["Seg"] == "Gold" }},
	{`PairExists("VIP") && data["Seg"] != "Bronze"`, func(d map[string]string) bool { _, ok := d["VIP"]; return ok && d["Seg"] != "Bronze" }},
}

// genUpdates generates n events: starts (with data), updates (set and remove keys) and
// ends of waits w1…w4 at the queue, and distributed calls; durable events have strictly
// increasing times.
func genUpdates(seed uint64, n int) []*event.Event {
	r := rand.New(rand.NewPCG(seed, 13))
	t := utc("2026-11-26T08:55:00Z")
	q, w := "Support@SW1", action.CallWait
	live := map[string]bool{}
	vals := func() evOpt {
		var kv []string
		if r.IntN(3) > 0 {
			kv = append(kv, "Seg", []string{"Gold", "Silver", "Bronze"}[r.IntN(3)])
		}
		if r.IntN(2) == 0 {
			kv = append(kv, "VIP", "1")
		}
		return data(kv...)
	}
	var evs []*event.Event
	for len(evs) < n {
		t += event.Time(1 + r.IntN(40_000))
		ixn := fmt.Sprint("w", 1+r.IntN(4))
		switch op := r.IntN(10); {
		case op < 3 && !live[ixn]:
			live[ixn] = true
			evs = append(evs, begin(t, w, q, ixn, vals()))
		case op < 5 && live[ixn]:
			delete(live, ixn)
			evs = append(evs, end(t, w, q, ixn))
		case op < 9 && live[ixn]:
			opts := []evOpt{vals()}
			if r.IntN(3) == 0 {
				opts = append(opts, unset([]string{"Seg", "VIP"}[r.IntN(2)]))
			}
			u := update(t, w, q, ixn, opts...)
			u.Unset = slices.DeleteFunc(u.Unset, func(k string) bool { _, set := u.Data.Get(k); return set })
			evs = append(evs, u)
		case op == 9:
			evs = append(evs, once(t, action.CallDistributed, q, ixn, 1))
		}
	}
	return evs
}

// version is one data version of a wait: from its time until the next version or the end.
type version struct {
	at   event.Time
	data map[string]string
}

// wait is one wait of the stream, as the naive computation sees it.
type wait struct {
	start, end event.Time // end is maxTime while in progress
	endIdx     int        // index of the end event, -1 while in progress
	versions   []version
}

// waitsAt returns the waits of evs with every event of time ≤ T applied.
func waitsAt(evs []*event.Event, T event.Time) []wait {
	var out []wait
	open := map[string]int{}
	for i, ev := range evs {
		if ev.Time > T || ev.Action != action.CallWait {
			continue
		}
		switch ev.Phase {
		case event.PhaseStart:
			d := map[string]string{}
			for _, p := range ev.Data {
				d[p.Key] = p.Value
			}
			open[ev.Interaction] = len(out)
			out = append(out, wait{start: ev.Time, end: maxTime, endIdx: -1, versions: []version{{ev.Time, d}}})
		case event.PhaseUpdate:
			w := &out[open[ev.Interaction]]
			d := map[string]string{}
			for k, v := range w.versions[len(w.versions)-1].data {
				d[k] = v
			}
			for _, k := range ev.Unset {
				delete(d, k)
			}
			for _, p := range ev.Data {
				d[p.Key] = p.Value
			}
			w.versions = append(w.versions, version{ev.Time, d})
		case event.PhaseEnd:
			w := &out[open[ev.Interaction]]
			w.end, w.endIdx = ev.Time, i
			delete(open, ev.Interaction)
		}
	}
	return out
}

// heldFrom is the time w's filter held from lo up to min(end, T).
func (w *wait) heldFrom(f func(map[string]string) bool, lo, T event.Time) int64 {
	stop := min(w.end, T)
	var ms int64
	for k, v := range w.versions {
		to := stop
		if k+1 < len(w.versions) {
			to = w.versions[k+1].at
		}
		if f(v.data) {
			ms += max(0, int64(to-max(v.at, lo)))
		}
	}
	return ms
}

// heldAfter reports whether w's filter held during some version lasting past lo (before
// min(end, T)), or holds at T.
func (w *wait) heldAfter(f func(map[string]string) bool, lo, T event.Time) bool {
	stop := min(w.end, T)
	for k, v := range w.versions {
		to := stop
		if k+1 < len(w.versions) {
			to = w.versions[k+1].at
		}
		if f(v.data) && (to > lo || k == len(w.versions)-1) {
			return true
		}
	}
	return false
}

// upNaive computes statistic st (filter f, opened at opened just before event openIdx) at
// T from the whole stream.
func upNaive(evs []*event.Event, st *config.Statistic, f func(map[string]string) bool, opened event.Time, openIdx int, T event.Time) float64 {
	p := st.Profile
	from := opened // the interval's start
	switch p.Type {
	case config.ProfileGrowing:
		from = max(T/3_600_000*3_600_000, opened)
	case config.ProfileSliding:
		w, s := event.Time(p.Window.Milliseconds()), event.Time(p.Step.Milliseconds())
		from = max(T/s*s-w+s, opened)
	}
	lo, hi := int64(0), int64(30_000) // the time range
	var n, sum, in, inT, curN, curT, curMax, adjN, adjT int64
	mx, mn := int64(0), int64(math.MaxInt64)
	var done []int64 // Selection: the counted completions' durations, in order
	ws := waitsAt(evs, T)
	slices.SortStableFunc(ws, func(a, b wait) int { return int(a.end - b.end) })
	for _, w := range ws {
		clip := max(w.start, opened)
		if w.endIdx < 0 { // in progress at T
			if f(w.versions[len(w.versions)-1].data) {
				el := w.heldFrom(f, clip, T)
				curN++
				curT += el
				curMax = max(curMax, el)
			}
			if w.heldAfter(f, clip, T) {
				adjN++
				adjT += w.heldFrom(f, max(w.start, from), T)
			}
			continue
		}
		if w.endIdx < openIdx || !w.heldAfter(f, clip, T) {
			continue // completed before the open, or never held since
		}
		d := w.heldFrom(f, clip, T)
		done = append(done, d)
		if w.end < from {
			continue // completed before I
		}
		n++
		sum += w.heldFrom(f, max(w.start, from), T)
		mx, mn = max(mx, d), min(mn, d)
		if d >= lo && d <= hi {
			in++
			inT += d
		}
	}
	if p.Type == config.ProfileSelection {
		done = done[max(0, len(done)-p.Count):]
		n, sum, mx, mn, in, inT = int64(len(done)), 0, 0, math.MaxInt64, 0, 0
		for _, d := range done {
			sum += d
			mx, mn = max(mx, d), min(mn, d)
			if d >= lo && d <= hi {
				in++
				inT += d
			}
		}
	}
	if mn == math.MaxInt64 {
		mn = 0
	}
	sec := func(ms int64) float64 { return float64(ms) / 1000 }
	switch st.StatType.Category {
	case category.TotalNumber:
		return float64(n)
	case category.TotalTime:
		return sec(sum)
	case category.AverageTime:
		if n == 0 {
			return 0
		}
		return math.Round(float64(sum)/float64(n)) / 1000
	case category.MaxTime:
		return sec(mx)
	case category.MinTime:
		return sec(mn)
	case category.TotalNumberInTimeRange:
		return float64(in)
	case category.TotalTimeInTimeRange:
		return sec(inT)
	case category.TotalAdjustedNumber:
		return float64(n + adjN)
	case category.TotalAdjustedTime:
		return sec(sum + adjT)
	case category.CurrentNumber:
		return float64(curN)
	case category.CurrentTime:
		return sec(curT)
	case category.CurrentMaxTime:
		return sec(curMax)
	}
	panic(st.StatType.Category)
}

// TestPropertyUpdates compares the engine with upNaive on random streams of updated waits.
func TestPropertyUpdates(t *testing.T) {
	hourly := &config.TimeProfile{Name: "Hourly", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Period: time.Hour, Location: time.UTC}
	sliding := &config.TimeProfile{Name: "Last10m", Type: config.ProfileSliding, Window: 10 * time.Minute, Step: 2 * time.Minute}
	last3 := &config.TimeProfile{Name: "Last3", Type: config.ProfileSelection, Count: 3}
	hist := []category.Category{category.TotalNumber, category.TotalTime, category.AverageTime, category.MaxTime,
		category.MinTime, category.TotalNumberInTimeRange, category.TotalTimeInTimeRange}
	growingOnly := []category.Category{category.TotalAdjustedNumber, category.TotalAdjustedTime,
		category.CurrentNumber, category.CurrentTime, category.CurrentMaxTime}
	for seed := uint64(1); seed <= 16; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			evs := genUpdates(seed, 250)
			r := rand.New(rand.NewPCG(seed, 5))
			var stats []*config.Statistic
			fs := map[string]upFilter{}
			for fi, f := range upFilters {
				for _, p := range []*config.TimeProfile{hourly, sliding, last3} {
					cats := hist
					if p == hourly {
						cats = append(slices.Clone(hist), growingOnly...)
					}
					for _, c := range cats {
						id := fmt.Sprintf("f%d/%s/%v", fi, p.Name, c)
						st := xstat(id, c, category.SubjectDNAction, object.TypeQueue, "Support@SW1",
							[]action.ID{action.CallWait}, filter(f.expr), profile(p), within(0, 30))
						st.Filter.Name = fmt.Sprint("F", fi)
						stats = append(stats, st)
						fs[id] = f
					}
				}
			}
			e, err := New(&config.Config{Topology: testTopology()})
			require.NoError(t, err)
			opened := map[string]event.Time{}
			openIdx := map[string]int{}
			for i, s := range stats {
				if i%2 == 0 {
					require.NoError(t, e.Open(s))
					opened[s.ID] = minTime
				} else {
					openIdx[s.ID] = 1 + r.IntN(len(evs)-1)
				}
			}
			instants := make([]event.Time, 30)
			for i := range instants {
				instants[i] = evs[0].Time + event.Time(r.Int64N(int64(evs[len(evs)-1].Time-evs[0].Time)+60_000))
			}
			slices.Sort(instants)
			next := 0
			for _, T := range instants {
				for ; next < len(evs) && evs[next].Time <= T; next++ {
					for _, s := range stats {
						if _, ok := opened[s.ID]; !ok && openIdx[s.ID] == next {
							require.NoError(t, e.Open(s))
							opened[s.ID] = e.Now()
						}
					}
					require.NoError(t, e.Apply(evs[next]), "event %d", next)
				}
				e.Advance(T)
				for _, s := range stats {
					op, ok := opened[s.ID]
					if !ok {
						continue
					}
					want := upNaive(evs, s, fs[s.ID].f, op, openIdx[s.ID], T)
					require.InDelta(t, want, num(t, e, s.ID), 1e-9, "%s at %v (opened %v)", s.ID, T, op)
				}
			}
		})
	}
}
