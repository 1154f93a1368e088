package engine

import (
	"fmt"
	"math"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// Extended statistics (see the package documentation for the profiles' intervals).
//
// The common statistic — a Growing profile, no filter, no RelMask, one of the base
// categories — keeps its counters inline in stat.acc. Every other statistic has a
// *statExt, allocated at Open, holding what it needs: the RelMask, the time range, the
// compiled filter and formula, and its window of buckets (one for Growing and SinceLogin,
// a ring of window/step buckets for Sliding, a ring of Count one-instance records for
// Selection).

// profKind is how an extended statistic's interval I is kept.
type profKind uint8

const (
	profGrowing profKind = iota
	profSliding
	profSelection
	profSinceLogin
)

// bucket aggregates what completed in one part of I (times in ms): a Growing interval, a
// Sliding step, or one Selection instance with the segment of time since the previous one.
type bucket struct {
	n, sum   int64 // Main completions, and their time in I (overlaps; Selection: full durations)
	max, min int64 // Main full durations (min is math.MaxInt64 while none)
	rn, rsum int64 // Rel completions and their time in I
	in, inT  int64 // Main completions with a duration d in [lo, hi], and the sum of those d
	le, gt   int64 // Main completions with d ≤ hi; Rel completions with d > hi
	cv       float64
	cvMin    float64 // custom values of Main completions (cvMin is +Inf while none)
	cvMax    float64 // (cvMax is -Inf while none)
	area     float64 // ∫ CurrentNumber dt (ms)
	area2    float64 // ∫ CurrentTime dt (ms²)
	nmax     int32   // max and min of CurrentNumber over the bucket's time
	nmin     int32
	at       event.Time // Selection: the instance's completion
}

// reset empties b; the CurrentNumber extremes start at cur.
func (b *bucket) reset(cur int32) {
	*b = bucket{min: math.MaxInt64, cvMin: math.Inf(1), cvMax: math.Inf(-1), nmax: cur, nmin: cur}
}

// merge adds o into b.
func (b *bucket) merge(o *bucket) {
	b.n += o.n
	b.sum += o.sum
	b.max = max(b.max, o.max)
	b.min = min(b.min, o.min)
	b.rn += o.rn
	b.rsum += o.rsum
	b.in += o.in
	b.inT += o.inT
	b.le += o.le
	b.gt += o.gt
	b.cv += o.cv
	b.cvMin = min(b.cvMin, o.cvMin)
	b.cvMax = max(b.cvMax, o.cvMax)
	b.area += o.area
	b.area2 += o.area2
	b.nmax = max(b.nmax, o.nmax)
	b.nmin = min(b.nmin, o.nmin)
}

// completion is one instance completing for a statistic.
type completion struct {
	main, rel bool
	from      event.Time // start of the instance's span (t for momentary actions)
	t         event.Time // completion instant
	d         int64      // full duration from max(start, opened), -1 for momentary actions
	cv        float64    // formula value (Main, custom categories)
}

// statExt is the extra state of an extended statistic. It is 320 bytes, five cache lines
// (an allocation of that size class starts on a line boundary), laid out by use: the
// first line has all a narrow Sliding statistic's update reads (narrow.go) but the ring's
// steps, the second what every other update reads first; then the other profiles' rings,
// records and interval bucket.
type statExt struct {
	// Sliding: ring[k mod len] is step k for k in (head-len, head], and hpos is head mod
	// len; step is S in ms. A statistic whose value reads only the number, time and
	// duration extremes of what completed (see narrow) keeps its steps in nring instead, a
	// quarter of the size: exactly one of ring and nring is non-nil.
	nring []acc
	head  int64
	hpos  int64
	step  int64
	// ctBase is Σ max(start, opened) over the counted in-progress items, so that
	// CurrentTime(t) = cur·t − ctBase.
	ctBase int64
	prof   profKind
	// track: the category reads the CurrentNumber curve (areas, extremes), which is then
	// integrated up to last whenever CurrentNumber or its start sum changes.
	track bool
	// active: SinceLogin, the agent is logged in (I = [its login, now]); otherwise every
	// historical value is 0.
	active bool

	rel     *config.Mask // nil without RelMask
	filter  *program     // nil without filter
	formula *program     // nil unless a custom category
	// cs is the state of the categories that keep more than buckets (catstate.go).
	cs     *catState
	lo, hi int64 // time range, ms
	last   event.Time
	// Selection: the last count records, oldest at recs[next] once full.
	next int

	ring  []bucket
	recs  []bucket
	count int
	b     bucket // Growing, SinceLogin: the interval; Selection: the open segment
}

// newExt builds the extension of statistic st, or nil when st is a common one.
func (e *Engine) newExt(st *config.Statistic) (*statExt, error) {
	t := st.StatType
	if t.Category == category.Formula {
		return newFormulaExt(st)
	}
	x := &statExt{}
	need := false
	if !t.RelMask.Empty() && t.Category.UsesRelMask() {
		x.rel, need = &t.RelMask, true
	}
	if st.TimeRange != nil {
		x.lo, x.hi = st.TimeRange.Lo, st.TimeRange.Hi
	} else if t.Category.UsesTimeRange() {
		d := config.DefaultTimeRange()
		x.lo, x.hi = d.Lo, d.Hi
	}
	if t.Category.UsesTimeRange() {
		need = true
	}
	if st.Filter != nil {
		p, err := e.ex.filter(st.Filter.Expr)
		if err != nil {
			return nil, fmt.Errorf("filter %q: %v", st.Filter.Name, err)
		}
		x.filter, need = p, true
	}
	if t.Category.UsesFormula() {
		p, err := e.ex.formula(t.Formula)
		if err != nil {
			return nil, fmt.Errorf("formula %q: %v", t.Formula, err)
		}
		x.formula, need = p, true
	}
	switch t.Category {
	case category.AverageOfCurrentNumber, category.AverageOfCurrentTime, category.MaxNumber, category.MinNumber:
		x.track, need = true, true
	}
	if !base(t.Category) {
		need = true
	}
	p := st.Profile
	if p == nil {
		p = e.defaultProfile
	}
	switch p.Type {
	case config.ProfileSliding:
		w, s := p.Window.Milliseconds(), p.Step.Milliseconds()
		if s <= 0 || w <= 0 || w%s != 0 {
			return nil, fmt.Errorf("time profile %q: Sliding window %v is not a positive multiple of step %v", p.Name, p.Window, p.Step)
		}
		x.prof, x.step, need = profSliding, s, true
		if narrow(t.Category) && x.rel == nil && x.formula == nil && !x.track {
			x.nring = make([]acc, w/s)
		} else {
			x.ring = make([]bucket, w/s)
		}
	case config.ProfileSelection:
		if p.Count < 1 {
			return nil, fmt.Errorf("time profile %q: Selection count %d is not positive", p.Name, p.Count)
		}
		x.prof, x.count, need = profSelection, p.Count, true
	case config.ProfileSinceLogin:
		x.prof, need = profSinceLogin, true
	}
	if !need {
		return nil, nil
	}
	x.cs = newCatState(st, x)
	x.b.reset(0)
	return x, nil
}

// base reports whether c is computed by the common path (from stat.acc and in-progress
// items).
func base(c category.Category) bool {
	switch c {
	case category.TotalNumber, category.TotalTime, category.TotalAdjustedNumber, category.TotalAdjustedTime,
		category.AverageTime, category.MaxTime, category.MinTime,
		category.CurrentNumber, category.CurrentTime, category.CurrentMaxTime, category.CurrentMinTime,
		category.CurrentAverageTime, category.CurrentContinuousTime, category.CurrentDistinctNumber,
		category.CurrentState, category.CurrentStateReasons, category.CurrentTargetState:
		return true
	}
	return false
}

// narrow reports whether a statistic of category c reads only n, sum, max and min of its
// buckets (or none of them), so that a Sliding ring of acc holds all it needs.
func narrow(c category.Category) bool {
	switch c {
	case category.TotalNumber, category.TotalTime, category.TotalAdjustedNumber, category.TotalAdjustedTime,
		category.AverageTime, category.MaxTime, category.MinTime, category.ElapsedTimePercentage,
		category.TotalNumberPerSecond:
		return true
	}
	return c.Kind() == category.KindCurrent
}

// ringLen is the number of steps of a Sliding window (0 for other profiles).
func (x *statExt) ringLen() int64 { return int64(len(x.ring) + len(x.nring)) }

// resetStep empties the step at position i of a Sliding ring; the CurrentNumber
// extremes start at cur.
func (x *statExt) resetStep(i int64, cur int32) {
	if x.nring != nil {
		x.nring[i] = acc{min: math.MaxInt64}
		return
	}
	x.ring[i].reset(cur)
}

// setHead makes step k the head of a Sliding ring, at position hpos = k mod the ring's
// length (kept so that updates find the head without a division).
func (x *statExt) setHead(k int64) {
	x.head, x.hpos = k, mod(k, x.ringLen())
}

// prev is the position before i in a ring of n steps.
func prev(i, n int64) int64 {
	if i == 0 {
		return n - 1
	}
	return i - 1
}

// start initializes x for statistic s opened at now with cur items in progress whose
// elapsed times sum to curSum (ms).
func (x *statExt) start(s *stat, now event.Time, cur int32, curSum int64) {
	x.last = now
	x.ctBase = int64(cur)*int64(now) - curSum
	x.b.reset(cur)
	switch x.prof {
	case profSliding:
		x.setHead(floorDiv(int64(now), x.step))
		for i := range x.ringLen() {
			x.resetStep(i, cur)
		}
		x.setSlidingBounds(s)
	case profSelection, profSinceLogin:
		s.start, s.end = s.opened, maxTime
	}
}

// setSlidingBounds sets s.start and s.end from x.head: I starts (len−1) steps before
// the head step, and the next step begins at s.end.
func (x *statExt) setSlidingBounds(s *stat) {
	ws := event.Time((x.head - x.ringLen() + 1) * x.step)
	s.start, s.end = max(ws, s.opened), event.Time((x.head+1)*x.step)
}

// roll moves the interval of an extended statistic to t ≥ s.end: a Growing reset or a
// Sliding step (Selection and SinceLogin have s.end = maxTime and move on instances and
// logins instead). The CurrentNumber curve is integrated up to the boundaries crossed.
func (x *statExt) roll(s *stat, t event.Time, w *growing) {
	switch x.prof {
	case profGrowing:
		st, en := w.bounds(t)
		s.start, s.end = max(st, s.opened), en
		x.b.reset(s.cur)
		x.last = max(x.last, s.start)
	case profSliding:
		x.slide(s, t)
	}
}

// slide advances a Sliding ring to the step of t, integrating the curve into each step
// it leaves and clearing the steps it enters.
func (x *statExt) slide(s *stat, t event.Time) {
	k := floorDiv(int64(t), x.step)
	if k <= x.head {
		return
	}
	n := x.ringLen()
	if k-x.head >= n {
		// Every step in the ring expires: skip to the oldest step of the new window.
		x.setHead(k - n)
		x.last = max(x.last, event.Time((x.head+1)*x.step))
	}
	for x.head < k {
		b := event.Time((x.head + 1) * x.step)
		if x.track && x.last < b {
			x.integrateInto(&x.ring[x.hpos], s.cur, x.last, b)
			x.last = b
		}
		x.head++
		if x.hpos++; x.hpos == n {
			x.hpos = 0
		}
		x.resetStep(x.hpos, s.cur)
	}
	x.setSlidingBounds(s)
}

// integrate adds the CurrentNumber curve from x.last to t (constant cur meanwhile) to the
// bucket(s) of the window; call it before cur or ctBase changes, after roll(t).
func (x *statExt) integrate(s *stat, t event.Time) {
	if !x.track || t <= x.last {
		return
	}
	switch x.prof {
	case profSliding:
		// After slide(t), [last, t) lies within the head step.
		x.integrateInto(&x.ring[x.hpos], s.cur, x.last, t)
	case profSinceLogin:
		if x.active {
			x.integrateInto(&x.b, s.cur, x.last, t)
		}
	default:
		x.integrateInto(&x.b, s.cur, x.last, t)
	}
	x.last = t
}

// integrateInto adds ∫ CurrentNumber and ∫ CurrentTime over [a, b) to bk, with cur items
// whose clipped starts sum to x.ctBase: CurrentTime is cur·τ − ctBase, and its integral is
// (b − a) · CurrentTime((a + b)/2), computed exactly in integers up to the last product.
func (x *statExt) integrateInto(bk *bucket, cur int32, a, b event.Time) {
	if b <= a {
		return
	}
	w := int64(b - a)
	bk.area += float64(int64(cur) * w)
	mid2 := int64(cur)*int64(a+b) - 2*x.ctBase // 2 · CurrentTime at the midpoint
	bk.area2 += float64(w) * float64(mid2) / 2
}

// counted updates the extremes of CurrentNumber after it changed to cur at t.
func (x *statExt) counted(cur int32) {
	if !x.track {
		return
	}
	var bk *bucket
	switch x.prof {
	case profSliding:
		bk = &x.ring[x.hpos]
	case profSinceLogin:
		if !x.active {
			return
		}
		bk = &x.b
	default:
		bk = &x.b
	}
	bk.nmax = max(bk.nmax, cur)
	bk.nmin = min(bk.nmin, cur)
}

// complete accounts for one completion c of statistic s (after roll(c.t)).
func (x *statExt) complete(s *stat, c completion) {
	if x.cs != nil && (x.prof != profSinceLogin || x.active) {
		x.cs.completed(s, x, c)
	}
	switch x.prof {
	case profSinceLogin:
		if !x.active {
			return
		}
		x.add(&x.b, s, c, int64(c.t-max(c.from, s.start)))
	case profGrowing:
		x.add(&x.b, s, c, int64(c.t-max(c.from, s.start)))
	case profSliding:
		if x.nring != nil {
			x.completeNarrow(s, c)
			return
		}
		n := int64(len(x.ring))
		x.add(&x.ring[x.hpos], s, c, 0)
		// The instance's time in I, [max(from, start of I), t), is spread over the steps
		// it overlaps, newest first.
		from, end := max(c.from, s.start), c.t
		for k, i := x.head, x.hpos; k > x.head-n && end > from; k, i = k-1, prev(i, n) {
			lo := max(from, event.Time(k*x.step))
			bk := &x.ring[i]
			if c.main {
				bk.sum += int64(end - lo)
			}
			if c.rel {
				bk.rsum += int64(end - lo)
			}
			end = lo
		}
	case profSelection:
		var r bucket
		r.reset(s.cur)
		x.add(&r, s, c, max(c.d, 0))
		// The record carries the curve since the previous completion.
		r.area, r.area2, r.nmax, r.nmin = x.b.area, x.b.area2, x.b.nmax, x.b.nmin
		r.at = c.t
		x.b.reset(s.cur)
		if len(x.recs) < x.count {
			x.recs = append(x.recs, r)
			return
		}
		// The oldest record leaves: I now starts at its completion.
		s.start = max(x.recs[x.next].at, s.opened)
		x.recs[x.next] = r
		x.next = (x.next + 1) % x.count
	}
}

// completeHeld is complete for an instance whose data changed under the statistic's
// filter, with h the periods the filter held (update.go): its time in I is theirs, not
// its span's (a Sliding profile spreads them over the steps they overlap); c.d is their
// total, which Selection records as for any instance.
func (x *statExt) completeHeld(s *stat, c completion, h *hold) {
	if cs := x.cs; cs != nil && (x.prof != profSinceLogin || x.active) {
		cs.completedHeld(s, x, c, h)
	}
	lo := max(c.from, s.start)
	switch x.prof {
	case profSinceLogin:
		if x.active {
			x.add(&x.b, s, c, h.held(lo, c.t))
		}
		return
	case profGrowing:
		x.add(&x.b, s, c, h.held(lo, c.t))
		return
	case profSelection:
		cs := x.cs
		x.cs = nil // told above
		x.complete(s, c)
		x.cs = cs
		return
	}
	if x.nring == nil {
		x.add(&x.ring[x.hpos], s, c, 0)
		h.each(lo, c.t, func(from, to event.Time) { x.spread(c.main, c.rel, from, to) })
		return
	}
	if !c.main {
		return
	}
	bk := &x.nring[x.hpos]
	bk.n++
	bk.max = max(bk.max, c.d)
	bk.min = min(bk.min, c.d)
	h.each(lo, c.t, x.spreadNarrow)
}

// spread adds the time [from, end) (end at most the end of the head step) to the Main
// and/or Rel sums of the Sliding steps it overlaps, newest first: complete's loop for a
// period that may end before the head step.
func (x *statExt) spread(main, rel bool, from, end event.Time) {
	n := int64(len(x.ring))
	for k, i := x.head, x.hpos; k > x.head-n && end > from; k, i = k-1, prev(i, n) {
		lo := max(from, event.Time(k*x.step))
		if end <= lo {
			continue // [from, end) ends before step k
		}
		bk := &x.ring[i]
		if main {
			bk.sum += int64(end - lo)
		}
		if rel {
			bk.rsum += int64(end - lo)
		}
		end = lo
	}
}

// completeNarrow is complete for a Sliding statistic with a narrow ring: only Main
// completions count (it has no RelMask).
func (x *statExt) completeNarrow(s *stat, c completion) {
	if !c.main {
		return
	}
	n := int64(len(x.nring))
	bk := &x.nring[x.hpos]
	bk.n++
	if c.d >= 0 {
		bk.max = max(bk.max, c.d)
		bk.min = min(bk.min, c.d)
	}
	// Spread the time in I over the steps it overlaps, newest first (as complete does),
	// walking the ring backwards from the head's slot.
	from, end := max(c.from, s.start), c.t
	i, lo := x.hpos, event.Time(x.head*x.step)
	for range n {
		if end <= from {
			break
		}
		l := max(from, lo)
		x.nring[i].sum += int64(end - l)
		end, lo = l, lo-event.Time(x.step)
		if i--; i < 0 {
			i = n - 1
		}
	}
}

// spreadNarrow is spread for a narrow ring: the time [from, end), which may end before the
// head step, goes to the steps it overlaps, newest first.
func (x *statExt) spreadNarrow(from, end event.Time) {
	n := int64(len(x.nring))
	i, lo := x.hpos, event.Time(x.head*x.step)
	for range n {
		if end <= from {
			break
		}
		if l := max(from, lo); end > l {
			x.nring[i].sum += int64(end - l)
			end = l
		}
		lo -= event.Time(x.step)
		if i--; i < 0 {
			i = n - 1
		}
	}
}

// add puts completion c into bk; ov is its time in I (0 for Sliding, which spreads it).
func (x *statExt) add(bk *bucket, s *stat, c completion, ov int64) {
	if c.main {
		bk.n++
		bk.sum += ov
		if c.d >= 0 {
			bk.max = max(bk.max, c.d)
			bk.min = min(bk.min, c.d)
			if c.d >= x.lo && c.d <= x.hi {
				bk.in++
				bk.inT += c.d
			}
			if c.d <= x.hi {
				bk.le++
			}
		}
		if x.formula != nil {
			bk.cv += c.cv
			bk.cvMin = min(bk.cvMin, c.cv)
			bk.cvMax = max(bk.cvMax, c.cv)
		}
	}
	if c.rel {
		bk.rn++
		bk.rsum += ov
		if c.d > x.hi {
			bk.gt++
		}
	}
}

// viewAt returns the aggregate of x's window as a read at now sees it — rolled to the
// interval holding at, the CurrentNumber curve integrated up to now — and sets s's start
// and end to that interval's, s being a copy of the statistic's slot; x is left as it is.
// It computes what roll(at), integrate(now) and then aggregating the window compute, with
// the same floating-point operations in the same order, so that a value does not depend
// on whether the statistic was read before.
func (x *statExt) viewAt(s *stat, at, now event.Time, w *growing) bucket {
	var t bucket
	switch x.prof {
	case profGrowing:
		t = x.b
		last := x.last
		if at >= s.end {
			st, en := w.bounds(at)
			s.start, s.end = max(st, s.opened), en
			t.reset(s.cur)
			last = max(last, s.start)
		}
		x.integrateView(&t, s.cur, last, now)
	case profSinceLogin:
		if !x.active {
			t.reset(s.cur)
			t.nmax, t.nmin = 0, 0
			return t
		}
		t = x.b
		x.integrateView(&t, s.cur, x.last, now)
	case profSelection:
		t = x.b
		x.integrateView(&t, s.cur, x.last, now)
		for i := range x.recs {
			t.merge(&x.recs[i])
		}
	case profSliding:
		return x.slidingView(s, at, now)
	}
	return t
}

// slidingView is viewAt for a Sliding ring: the steps of the window holding at are those
// of the ring still in it, and empty ones for the steps slide would enter; each gets the
// curve over its part of [last, now).
func (x *statExt) slidingView(s *stat, at, now event.Time) bucket {
	n := x.ringLen()
	k := max(floorDiv(int64(at), x.step), x.head) // the head step of the view
	s.start, s.end = max(event.Time((k-n+1)*x.step), s.opened), event.Time((k+1)*x.step)
	var t bucket
	t.reset(s.cur)
	if x.nring != nil {
		for j := k - n + 1; j <= x.head; j++ {
			a := &x.nring[mod(j, n)]
			t.n += a.n
			t.sum += a.sum
			t.max = max(t.max, a.max)
			t.min = min(t.min, a.min)
		}
		return t
	}
	for j := k; j > k-n; j-- {
		var bk bucket
		if j <= x.head {
			bk = x.ring[mod(j, n)]
		} else {
			bk.reset(s.cur)
		}
		if x.track {
			x.integrateView(&bk, s.cur, max(x.last, event.Time(j*x.step)), min(now, event.Time((j+1)*x.step)))
		}
		if j == k {
			t = bk
		} else {
			t.merge(&bk)
		}
	}
	return t
}

// integrateView adds the CurrentNumber curve over [a, b) to bk when the statistic tracks
// it: what integrate adds to the bucket of those instants.
func (x *statExt) integrateView(bk *bucket, cur int32, a, b event.Time) {
	if x.track {
		x.integrateInto(bk, cur, a, b)
	}
}

// floorDiv is ⌊a/b⌋ for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// mod is a mod n in [0, n).
func mod(a, n int64) int64 {
	m := a % n
	if m < 0 {
		m += n
	}
	return m
}
