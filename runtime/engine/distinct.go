package engine

import (
	"cmp"
	"slices"

	"github.com/statkit/statkit/runtime/event"
)

// TotalDistinctTime: the length of the union of the Main instances' spans within I.
//
// Each Main completion adds its span [max(start, open), end] (for a retrospective action
// [t − d, t]); for status subjects the member statuses in the mask now add [the earliest
// of their starts, now], as TotalTime adds their elapsed time. Under Growing, Sliding and
// SinceLogin profiles the spans are kept merged (completions come in time order, so a new
// span only merges with the latest ones) and the union is clipped to I; under Selection
// the spans of the last count completions are kept as they are and their union counts
// whole, as TotalTime counts full durations there.

// intervals are the spans of a TotalDistinctTime statistic: disjoint and ascending, or
// (Selection) the last ones in completion order.
type intervals struct {
	lo, hi []event.Time
}

// add records span [from, to], to being the latest end so far; count is the Selection
// profile's count (0 for the other profiles).
func (iv *intervals) add(from, to event.Time, count int) {
	if count > 0 {
		iv.lo, iv.hi = append(iv.lo, from), append(iv.hi, to)
		if len(iv.lo) > count {
			iv.lo, iv.hi = iv.lo[1:], iv.hi[1:]
		}
		return
	}
	n := len(iv.lo)
	for n > 0 && iv.hi[n-1] >= from {
		n--
		from = min(from, iv.lo[n])
	}
	iv.lo, iv.hi = append(iv.lo[:n], from), append(iv.hi[:n], to)
}

// prune forgets the spans that end before start (union clips them away: this only frees
// their memory).
func (iv *intervals) prune(start event.Time) {
	i := 0
	for i < len(iv.hi) && iv.hi[i] < start {
		i++
	}
	iv.lo, iv.hi = iv.lo[i:], iv.hi[i:]
}

// union is the length (ms) of the union of the spans and [extraLo, extraHi] (ignored when
// extraHi ≤ extraLo) clipped to [lo, hi]; selection takes the spans unclipped.
func (iv *intervals) union(lo, hi event.Time, extraLo, extraHi event.Time, selection bool) int64 {
	type span struct{ lo, hi event.Time }
	spans := make([]span, 0, len(iv.lo)+1)
	for k := range iv.lo {
		spans = append(spans, span{iv.lo[k], iv.hi[k]})
	}
	if extraHi > extraLo {
		spans = append(spans, span{extraLo, extraHi})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	var total int64
	var cur span
	started := false
	for _, sp := range spans {
		if !selection {
			sp.lo, sp.hi = max(sp.lo, lo), min(sp.hi, hi)
		}
		if sp.hi <= sp.lo {
			continue
		}
		switch {
		case !started:
			cur, started = sp, true
		case sp.lo <= cur.hi:
			cur.hi = max(cur.hi, sp.hi)
		default:
			total += int64(cur.hi - cur.lo)
			cur = sp
		}
	}
	if started {
		total += int64(cur.hi - cur.lo)
	}
	return total
}

// distinctTime is TotalDistinctTime of statistic s (ms).
func (e *Engine) distinctTime(s *stat, v *valueInputs) int64 {
	x := s.ext
	iv := x.cs.dist
	selection := x.prof == profSelection
	var extraLo, extraHi event.Time
	if v.status && !selection && v.c.n > 0 {
		extraLo, extraHi = v.now-event.Time(v.c.max), v.now
	}
	return iv.union(s.start, v.now, extraLo, extraHi, selection)
}

func (iv *intervals) write(b *snapW) {
	b.u(uint64(len(iv.lo)))
	for k := range iv.lo {
		b.i(int64(iv.lo[k]))
		b.i(int64(iv.hi[k]))
	}
}

func (iv *intervals) read(d *snapR) {
	for range d.n(2) {
		iv.lo = append(iv.lo, d.t())
		iv.hi = append(iv.hi, d.t())
	}
}
