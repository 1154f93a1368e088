package history

import (
	"math"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// growing computes the intervals of a Growing profile exactly as the engine does
// (runtime/engine/profile.go): resets at local times of day in the profile's location,
// each repeated every period until the end of its local day; a reset time a
// daylight-saving change skips happens when the clock jumps past it, one that occurs
// twice at its first occurrence.
//
// The recorder takes an interval's start from its notification (Notification.From); this
// copy gives the slots of a report (Intervals) and the end of the interval a replay
// closes at the end of its input (IntervalEnd). TestIntervalsMatchEngine keeps the two in
// step.
type growing struct {
	loc     *time.Location
	offsets []time.Duration // reset wall times as offsets from local midnight, in [0, 24h)
	cs, ce  event.Time      // the interval last computed
}

const (
	minTime event.Time = math.MinInt64
	maxTime event.Time = math.MaxInt64
)

func newGrowing(p *config.TimeProfile) *growing {
	if p == nil {
		p = config.DefaultProfile()
	}
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

// bounds returns the interval containing t: the previous reset (≤ t) and the next (> t).
func (g *growing) bounds(t event.Time) (start, end event.Time) {
	if g.cs <= t && t < g.ce {
		return g.cs, g.ce
	}
	if len(g.offsets) == 0 {
		return minTime, maxTime
	}
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
	g.cs, g.ce = start, end
	return start, end
}

// wallInstant returns the first instant at which the local clock in loc reads at least
// the wall time off on the given date (the engine's rule; see growing).
func wallInstant(y int, m time.Month, d int, off time.Duration, loc *time.Location) time.Time {
	h, mi, s, ns := int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second), int(off%time.Second)
	t := time.Date(y, m, d, h, mi, s, ns, loc)
	want := time.Date(y, m, d, h, mi, s, ns, time.UTC)
	got := wallOf(t)
	if !got.Equal(want) {
		zs, ze := t.ZoneBounds()
		if got.After(want) {
			return zs
		}
		return ze
	}
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

func wallOf(t time.Time) time.Time {
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, m, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// IntervalEnd returns the end of the interval of profile p that contains t (the next
// reset after t), and whether there is one.
func IntervalEnd(p *config.TimeProfile, t time.Time) (time.Time, bool) {
	_, end := newGrowing(p).bounds(event.TimeOf(t))
	if end == maxTime {
		return time.Time{}, false
	}
	return end.Std(), true
}

// Intervals returns the intervals of profile p that end in (from, to], as [start, end)
// pairs in time order: the slots of an interval report.
func Intervals(p *config.TimeProfile, from, to time.Time) [][2]time.Time {
	g := newGrowing(p)
	var out [][2]time.Time
	t := event.TimeOf(from)
	end := event.TimeOf(to)
	for {
		s, e := g.bounds(t)
		if e == maxTime || e > end {
			return out
		}
		if s != minTime {
			out = append(out, [2]time.Time{s.Std(), e.Std()})
		}
		t = e
	}
}
