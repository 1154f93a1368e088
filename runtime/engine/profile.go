package engine

import (
	"math"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// Times before and after every event time, for intervals without a bound.
const (
	minTime event.Time = math.MinInt64
	maxTime event.Time = math.MaxInt64
)

// Time profiles. A Growing profile is a growing window: I runs from the last reset up to
// now, and counters are zeroed when I changes; it is shared by the statistics using the
// profile. Sliding, Selection and SinceLogin intervals are kept by each statistic's
// extension (ext.go): a ring of steps, a ring of instances, an agent's session.

// growing is a Growing time profile: resets at local times of day in a location, each
// optionally repeated every period until the end of that local day.
type growing struct {
	loc *time.Location
	// offsets are the reset wall-clock times as offsets from local midnight, in [0, 24h).
	offsets []time.Duration
	// [cs, ce) is the interval bounds last computed, shared by every statistic on the
	// profile: a statistic rolling into it copies it instead of evaluating the resets
	// again. The zero value is empty. The engine is used from one goroutine at a time.
	cs, ce event.Time
}

// newGrowing compiles a Growing profile. With no reset time and no period the interval
// never resets; a period without reset times repeats from midnight.
func newGrowing(p *config.TimeProfile) *growing {
	g := &growing{loc: p.Location}
	if g.loc == nil {
		g.loc = time.UTC
	}
	resets := p.Resets
	if len(resets) == 0 && p.Period > 0 {
		resets = []time.Duration{0}
	}
	const day = 24 * time.Hour
	for _, r := range resets {
		if r < 0 || r >= day {
			continue
		}
		g.offsets = append(g.offsets, r)
		if p.Period > 0 {
			for o := r + p.Period; o < day; o += p.Period {
				g.offsets = append(g.offsets, o)
			}
		}
	}
	return g
}

// bounds returns the interval containing t: its start (≤ t) and the instant it ends
// (> t), i.e. the previous and the next reset (minTime and maxTime when there are none).
// The interval is computed once per profile and reused for every t inside it.
func (g *growing) bounds(t event.Time) (start, end event.Time) {
	if g.cs <= t && t < g.ce {
		return g.cs, g.ce
	}
	if len(g.offsets) == 0 {
		return minTime, maxTime
	}
	g.cs, g.ce = g.compute(t)
	return g.cs, g.ce
}

// compute is bounds without the cache. It looks at the reset instants of the local days
// before, of and after t's local date: wall times only move forward across local days, so
// the previous reset is on t's date or the day before and the next one on t's date or the
// day after, and the result is the same for every t between them.
func (g *growing) compute(t event.Time) (start, end event.Time) {
	start, end = minTime, maxTime
	y, m, d := t.Std().In(g.loc).Date()
	for dd := -1; dd <= 1; dd++ {
		for _, off := range g.offsets {
			r := event.TimeOf(wallInstant(y, m, d+dd, off, g.loc))
			if r <= t && r > start {
				start = r
			}
			if r > t && r < end {
				end = r
			}
		}
	}
	return start, end
}

// wallInstant returns the first instant at which the local clock in loc reads at least
// the wall time off (from midnight) on the given date. On a day where that wall time does
// not exist (clocks jump forward over it) this is the end of the gap; on a day where it
// occurs twice (clocks fall back) it is the first occurrence.
func wallInstant(y int, m time.Month, d int, off time.Duration, loc *time.Location) time.Time {
	h, mi, s, ns := int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second), int(off%time.Second)
	t := time.Date(y, m, d, h, mi, s, ns, loc)
	want := time.Date(y, m, d, h, mi, s, ns, time.UTC) // the wall clock asked for, as a comparable value
	got := wallOf(t)
	if !got.Equal(want) {
		// A gap: time.Date normalized the wall time out of the missing hour. The reset
		// happens when the clock jumps past it, at the boundary of the zone period.
		zs, ze := t.ZoneBounds()
		if got.After(want) {
			return zs
		}
		return ze
	}
	// An overlap: the same wall time may exist earlier, under the previous offset.
	zs, _ := t.ZoneBounds()
	if zs.IsZero() {
		return t
	}
	_, off0 := t.Zone()
	_, offPrev := zs.Add(-time.Nanosecond).Zone()
	if offPrev > off0 {
		e := t.Add(-time.Duration(offPrev-off0) * time.Second)
		if e.Before(zs) && wallOf(e).Equal(want) {
			return e
		}
	}
	return t
}

// wallOf returns t's wall clock reading in its location, as the same reading in UTC.
func wallOf(t time.Time) time.Time {
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, m, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// Intervals gives the intervals of a Growing time profile by the engine's own rule, for
// code that needs them outside an engine (interval reports, history backfills), so that
// the two never disagree. It is not safe for concurrent use.
type Intervals struct{ g *growing }

// NewIntervals compiles Growing profile p (nil: the default profile).
func NewIntervals(p *config.TimeProfile) *Intervals {
	if p == nil {
		p = config.DefaultProfile()
	}
	return &Intervals{g: newGrowing(p)}
}

// Bounds returns the interval containing t: its start (≤ t) and end (> t); ok is false
// when the profile never resets (the interval has no start and no end).
func (iv *Intervals) Bounds(t event.Time) (start, end event.Time, ok bool) {
	start, end = iv.g.bounds(t)
	return start, end, end != maxTime
}
