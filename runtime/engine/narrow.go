package engine

import "github.com/statkit/statkit/runtime/event"

// Narrow Sliding statistics: a Sliding profile, a category that reads only counts, times
// and extremes (narrow), and nothing else — no filter, formula, RelMask, category state
// or CurrentNumber curve. They are a good part of the statistics a wallboard shows (the
// last 15 minutes' calls, waits, handle times), so their updates take these short
// paths, which do what extStart, extEnd, extInstant and extTransition do for them, and
// nothing those would find nothing to do for.

// isNarrow reports whether x is the extension of a narrow Sliding statistic.
func (x *statExt) isNarrow() bool {
	return x.nring != nil && x.filter == nil && x.formula == nil && x.rel == nil && x.cs == nil && !x.track
}

// narrowStart is extStart for a narrow statistic: an instance that started at start,
// counted from t.
func (e *Engine) narrowStart(si int32, s *stat, start, t event.Time) {
	e.roll(s, t)
	s.run(t)
	s.cur++
	s.ext.ctBase += int64(max(start, s.opened))
	if s.live() {
		e.touch(si)
	}
}

// narrowEnd is extEnd for a narrow statistic: an instance that started at start ends at
// t.
func (e *Engine) narrowEnd(si int32, s *stat, start, t event.Time) {
	e.roll(s, t)
	x := s.ext
	x.completeNarrow(s, completion{main: true, from: start, t: t, d: int64(t - max(start, s.opened))})
	s.cur--
	x.ctBase -= int64(max(start, s.opened))
	e.touch(si)
}

// narrowInstant is extInstant for a narrow statistic.
func (e *Engine) narrowInstant(si int32, s *stat, ev *event.Event, retro bool) {
	t := ev.Time
	e.roll(s, t)
	c := completion{main: true, from: t, t: t, d: -1}
	if retro {
		c.from = t - event.Time(ev.Duration)
		c.d = int64(max(0, t-max(c.from, s.opened)))
	}
	s.ext.completeNarrow(s, c)
	e.touch(si)
}

// narrowTransition is extTransition for a narrow statistic: a member's status held since
// oldSince changes at t; wasM and isM say whether the old and new statuses are in the
// MainMask.
func (e *Engine) narrowTransition(si int32, s *stat, wasM, isM bool, oldSince, t event.Time) {
	e.roll(s, t)
	x := s.ext
	if wasM && t > oldSince {
		x.completeNarrow(s, completion{main: true, from: oldSince, t: t, d: int64(t - max(oldSince, s.opened))})
	}
	if wasM {
		s.cur--
		x.ctBase -= int64(max(oldSince, s.opened))
	}
	if isM {
		if !wasM {
			s.run(t)
		}
		s.cur++
		x.ctBase += int64(max(t, s.opened))
	}
	e.touch(si)
}
