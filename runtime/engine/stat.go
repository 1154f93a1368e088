package engine

import (
	"iter"
	"math"
	"math/bits"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// acc accumulates the instances completing in one step of a Sliding ring that reads
// only counts, times and extremes (statExt.nring): their number, the sum of their
// overlaps with the interval and the longest and shortest full durations (ms).
type acc struct {
	n, sum   int64
	max, min int64 // min is math.MaxInt64 while no instance with a duration completed
}

// stat is one open statistic. Historical categories keep counters (n and v, or the
// buckets of ext) updated as actions and status changes arrive; current categories are
// computed when read from the object's in-progress instances or its members' statuses,
// and keep only the count of those (cur) and, for CurrentContinuousTime, when it last
// left 0.
//
// A slot is 64 bytes, one cache line (Go aligns an array of them to 64 bytes), so that
// an update reads and writes one line: with a million open statistics every byte counts
// (docs/performance.md). What an update does not read lives beside the slots: the
// definition in Engine.cfgs, the main mask and the profile's window as numbers into
// Engine.masks and Engine.wins, the media type as a number into Engine.medias; whether
// the statistic changed since Changed is a bit of Engine.dirtyBits.
type stat struct {
	ext *statExt // nil for a common statistic (see ext.go)
	// opened is when the statistic was opened; [start, now] is the interval I (start =
	// max(last reset, opened)) and end is when I next moves (a reset, a Sliding step).
	opened, start, end event.Time
	// n counts the instances (Main) completing in I of a common statistic; v is what its
	// category reads besides (role): their time in I, the longest or the shortest full
	// duration, or when cur last left 0 (CurrentContinuousTime, common or extended).
	n, v int64
	// cur is the number of counted mask instances in progress (DNAction) or of members
	// whose status is in the mask (status subjects).
	cur  int32
	obj  int32
	win  winID  // the profile's resets (none for non-Growing profiles)
	mask maskID // the stat type's MainMask
	cat  category.Category
	kind subjKind
	// media is the stat type's media type (Engine.medias), 0 for any.
	media uint8
	flags statFlags
}

// statFlags are a slot's flags and the role of its v.
type statFlags uint8

const (
	// flagOpen: the slot holds an open statistic.
	flagOpen statFlags = 1 << iota
	// flagLive: the value depends on in-progress instances (current, adjusted and
	// CurrentNumber-curve categories), so a durable start changes it.
	flagLive
	// flagNarrow: the extension is a narrow Sliding ring and nothing else (no filter,
	// formula, RelMask, category state or CurrentNumber curve): updates take the short
	// paths of narrow.go.
	flagNarrow
	// The role of v, in the top bits.
	roleShift = 5
	roleMask  = 7 << roleShift
)

// role is what stat.v holds.
type role uint8

const (
	roleNone role = iota
	roleSum       // the sum of the completions' times in I
	roleMax       // the longest full duration (0 while none)
	roleMin       // the shortest full duration (math.MaxInt64 while none)
	roleRun       // when cur last left 0 (CurrentContinuousTime)
)

// roleOf is the role of v for a statistic of category c, common (ext nil) or extended.
func roleOf(c category.Category, extended bool) role {
	if c == category.CurrentContinuousTime {
		return roleRun
	}
	if extended {
		return roleNone // its buckets hold what it counts
	}
	switch c {
	case category.TotalTime, category.TotalAdjustedTime, category.AverageTime:
		return roleSum
	case category.MaxTime:
		return roleMax
	case category.MinTime:
		return roleMin
	}
	return roleNone
}

func (s *stat) has(f statFlags) bool { return s.flags&f != 0 }
func (s *stat) live() bool           { return s.flags&flagLive != 0 }
func (s *stat) role() role           { return role(s.flags >> roleShift) }

// setRole sets the role of v and its empty value.
func (s *stat) setRole(r role) {
	s.flags = s.flags&^roleMask | statFlags(r)<<roleShift
	s.clear()
}

// clear empties the interval's counters (a Growing reset); the run start stays.
func (s *stat) clear() {
	s.n = 0
	switch s.role() {
	case roleRun:
	case roleMin:
		s.v = math.MaxInt64
	default:
		s.v = 0
	}
}

// add counts one instance completing with overlap ov with I and full duration d.
func (s *stat) add(ov, d int64) {
	s.n++
	switch s.role() {
	case roleSum:
		s.v += ov
	case roleMax:
		s.v = max(s.v, d)
	case roleMin:
		s.v = min(s.v, d)
	}
}

// run records, before cur is counted up at t, that a continuous run starts when cur is
// 0 (kept only where the category reads it).
func (s *stat) run(t event.Time) {
	if s.cur == 0 && s.role() == roleRun {
		s.v = int64(t)
	}
}

// bucket is a common statistic's counters as a bucket (what values read).
func (s *stat) bucket() bucket {
	b := bucket{n: s.n, min: math.MaxInt64}
	switch s.role() {
	case roleSum:
		b.sum = s.v
	case roleMax:
		b.max = s.v
	case roleMin:
		b.min = s.v
	}
	return b
}

// winID numbers the windows of the time profiles statistics use (Engine.wins).
type winID uint16

// maskID numbers the main masks of the stat types statistics use (Engine.masks).
type maskID uint16

// maskOf is the MainMask of s's stat type.
func (e *Engine) maskOf(s *stat) *config.Mask { return &e.masks[s.mask] }

// mediaOK reports whether s counts actions of media type media: its stat type has none,
// or that one.
func (e *Engine) mediaOK(s *stat, media string) bool {
	return s.media == 0 || e.medias[s.media] == media
}

// isOpen reports whether slot s holds an open statistic.
func (s *stat) isOpen() bool { return s.flags&flagOpen != 0 }

// roll moves statistic s to the interval containing t, zeroing its counters when a
// reset passed (small enough to be inlined where updates call it).
func (e *Engine) roll(s *stat, t event.Time) {
	if t >= s.end {
		e.rollOver(s, t)
	}
}

// rollOver is roll when t is past the interval's end.
func (e *Engine) rollOver(s *stat, t event.Time) {
	if s.ext != nil {
		s.ext.roll(s, t, e.wins[s.win])
		return
	}
	st, en := e.wins[s.win].bounds(t)
	s.start, s.end = max(st, s.opened), en
	s.clear()
}

// indexes reports whether s is indexed under action a (its MainMask or RelMask has a).
func (e *Engine) indexes(s *stat, a action.ID) bool {
	return e.maskOf(s).Has(a) || (s.ext != nil && s.ext.rel != nil && s.ext.rel.Has(a))
}

// indexed yields the actions s is indexed under, in ascending order: its MainMask, and
// its RelMask if any. It reads the masks' bits and allocates nothing.
func (e *Engine) indexed(s *stat) iter.Seq[action.ID] {
	words := e.maskOf(s).Bits()
	if s.ext != nil && s.ext.rel != nil {
		rel := s.ext.rel.Bits()
		for i := range words {
			words[i] |= rel[i]
		}
	}
	return func(yield func(action.ID) bool) {
		for w, word := range words {
			for ; word != 0; word &= word - 1 {
				a := action.ID(w*64 + bits.TrailingZeros64(word))
				if a.Valid() && !yield(a) {
					return
				}
			}
		}
	}
}

// match reports whether a statistic counts an instance with attributes a in mask m: the
// action is in m, of the stat type's media type, and the filter holds.
func (e *Engine) match(s *stat, m *config.Mask, a *attrs) bool {
	if !m.Has(a.act) || !e.mediaOK(s, a.media) {
		return false
	}
	return s.ext == nil || e.passes(s.ext, a)
}

// deliverStart passes the start of durable instance ii, of action a and media media, to
// ob's DNAction statistics.
func (e *Engine) deliverStart(ob *obj, a action.ID, media string, ii int32, t event.Time) {
	for _, si := range ob.idx[subjAction].get(a) {
		s := &e.stats[si]
		if !e.mediaOK(s, media) {
			continue
		}
		if s.ext != nil {
			if s.flags&flagNarrow != 0 {
				e.narrowStart(si, s, e.insts[ii].start, t)
			} else {
				e.extStart(si, s, &e.insts[ii], t)
			}
			continue
		}
		s.run(t)
		s.cur++
		if s.live() {
			e.touch(si)
		}
	}
}

// deliverEnd passes the end at t of durable instance ii, of action a and media media,
// which started at start.
func (e *Engine) deliverEnd(ob *obj, a action.ID, media string, ii int32, start, t event.Time) {
	for _, si := range ob.idx[subjAction].get(a) {
		s := &e.stats[si]
		if !e.mediaOK(s, media) {
			continue
		}
		if s.ext != nil {
			if s.flags&flagNarrow != 0 {
				e.narrowEnd(si, s, start, t)
			} else {
				e.extEnd(si, s, &e.insts[ii], t)
			}
			continue
		}
		e.roll(s, t)
		s.add(int64(t-max(start, s.start)), int64(t-max(start, s.opened)))
		s.cur--
		e.touch(si)
	}
}

// deliverInstant passes a momentary action, or a retrospective one (retro) whose duration
// is ev.Duration (ms).
func (e *Engine) deliverInstant(ob *obj, ev *event.Event, retro bool) {
	t := ev.Time
	for _, si := range ob.idx[subjAction].get(ev.Action) {
		s := &e.stats[si]
		if !e.mediaOK(s, ev.Media) {
			continue
		}
		if s.ext != nil {
			if s.flags&flagNarrow != 0 {
				e.narrowInstant(si, s, ev, retro)
			} else {
				e.extInstant(si, s, ev, retro)
			}
			continue
		}
		e.roll(s, t)
		if retro {
			from := t - event.Time(ev.Duration)
			s.add(int64(max(0, t-max(from, s.start))), int64(max(0, t-max(from, s.opened))))
		} else {
			s.n++ // a momentary action has no duration
		}
		e.touch(si)
	}
}

// extStart is deliverStart for an extended statistic.
func (e *Engine) extStart(si int32, s *stat, in *inst, t event.Time) {
	x := s.ext
	main := e.maskOf(s).Has(in.key.act) && e.passes(x, &in.at)
	if main {
		e.roll(s, t)
		x.integrate(s, t)
		if x.cs != nil {
			x.cs.started(in, s.cur)
		}
		s.run(t)
		s.cur++
		x.ctBase += int64(max(in.start, s.opened))
		x.counted(s.cur)
		if s.live() {
			e.touch(si)
		}
	} else if s.live() && x.rel != nil && x.rel.Has(in.key.act) && e.passes(x, &in.at) {
		e.touch(si) // a current Rel value changed
	}
}

// extEnd is deliverEnd for an extended statistic.
func (e *Engine) extEnd(si int32, s *stat, in *inst, t event.Time) {
	x := s.ext
	if x.filter != nil && in.holds != nil {
		if h := holdOf(in.holds, x.filter); h != nil {
			e.extEndHeld(si, s, in, h, t)
			return
		}
	}
	main := e.maskOf(s).Has(in.key.act) && e.passes(x, &in.at)
	rel := x.rel != nil && x.rel.Has(in.key.act) && e.passes(x, &in.at)
	if !main && !rel {
		return
	}
	e.roll(s, t)
	x.integrate(s, t)
	c := completion{main: main, rel: rel, from: in.start, t: t, d: int64(t - max(in.start, s.opened))}
	if main && x.formula != nil {
		c.cv = e.ex.value(x.formula, &in.at)
	}
	if x.cs != nil {
		x.cs.ended(x, in, c)
	}
	x.complete(s, c)
	if main {
		s.cur--
		x.ctBase -= int64(max(in.start, s.opened))
		x.counted(s.cur)
	}
	e.touch(si)
}

// extEndHeld is extEnd for an instance with the holds h of the statistic's filter: it
// counts if the filter held at some moment since its start (and the open), for the time
// it held; it is in s.cur if the filter holds now.
func (e *Engine) extEndHeld(si int32, s *stat, in *inst, h *hold, t event.Time) {
	x := s.ext
	lo := max(in.start, s.opened)
	inMain := e.maskOf(s).Has(in.key.act)
	main := inMain && h.counts(lo)
	rel := x.rel != nil && x.rel.Has(in.key.act) && h.counts(lo)
	if !main && !rel {
		return
	}
	e.roll(s, t)
	x.integrate(s, t)
	c := completion{main: main, rel: rel, from: in.start, t: t, d: h.held(lo, t)}
	if main && x.formula != nil {
		c.cv = e.ex.value(x.formula, &in.at)
	}
	if x.cs != nil {
		x.cs.ended(x, in, c)
	}
	x.completeHeld(s, c, h)
	if inMain && h.on {
		s.cur--
		x.ctBase -= int64(t) - c.d // t − its time so far, as flip added
		x.counted(s.cur)
	}
	e.touch(si)
}

// extInstant is deliverInstant for an extended statistic.
func (e *Engine) extInstant(si int32, s *stat, ev *event.Event, retro bool) {
	x := s.ext
	a := ev.Action
	inMain, inRel := e.maskOf(s).Has(a), x.rel != nil && x.rel.Has(a)
	if !inMain && !inRel {
		return
	}
	if x.filter != nil && !e.ex.holds(x.filter, e.eventAttrs(ev)) {
		return
	}
	t := ev.Time
	e.roll(s, t)
	x.integrate(s, t)
	c := completion{main: inMain, rel: inRel, from: t, t: t, d: -1}
	if retro {
		c.from = t - event.Time(ev.Duration)
		c.d = int64(max(0, t-max(c.from, s.opened)))
	}
	if inMain && x.formula != nil {
		c.cv = e.ex.value(x.formula, e.eventAttrs(ev))
	}
	if x.cs != nil && inRel {
		x.cs.answered(ev.Interaction, t)
	}
	x.complete(s, c)
	e.touch(si)
}

// member is one status-bearing member of a status statistic: the member object (a DN, a
// place or an agent), its status and since when it counts (clipped to the agent's login
// for DNStatus on an agent).
type member struct {
	o      int32
	status action.ID
	since  event.Time
}

// members appends the members of status statistic s to dst.
func (e *Engine) members(s *stat, dst []member) []member {
	ob := &e.objs[s.obj]
	one := func(o int32) { dst = append(dst, member{o, e.objs[o].status, e.objs[o].since}) }
	switch s.kind {
	case subjDN:
		switch ob.typ {
		case object.TypePlace:
			for _, d := range ob.dns {
				one(d)
			}
		case object.TypeAgent:
			for _, l := range ob.logins {
				dn := &e.objs[l.dn]
				dst = append(dst, member{l.dn, dn.status, max(dn.since, l.at)})
			}
		default:
			one(s.obj)
		}
	case subjAgent, subjPlace:
		list := ob.agents
		if s.kind == subjPlace {
			list = ob.places
		}
		if ob.typ == object.TypeAgent || ob.typ == object.TypePlace {
			one(s.obj)
		}
		for _, m := range list {
			one(m)
		}
	}
	return dst
}

// inProgress is the aggregate of in-progress items (mask instances or mask statuses) at now:
// their number, the sum, max and min of their elapsed times since max(start, opened), the
// sum of their overlaps with the interval, the number whose elapsed time is in the time
// range, and their custom values. An item whose data changed under the filter counts
// while the filter holds, with the time it held as its elapsed time; an and overlap count
// those whose filter has held so far, holding now or not, and their held time in the
// interval (what TotalAdjusted* and the in-progress statuses' time add).
type inProgress struct {
	n, sum, max, min, overlap, in int64
	an                            int64
	cv, cvMin, cvMax              float64
}

// current computes s's in-progress aggregate at now over mask m (its MainMask or RelMask),
// with its filter, media type and, for custom categories, formula.
func (e *Engine) current(s *stat, now event.Time, m *config.Mask) inProgress {
	c := inProgress{min: math.MaxInt64, cvMin: math.Inf(1), cvMax: math.Inf(-1)}
	x := s.ext
	add := func(el, ov int64, a *attrs) {
		c.n++
		c.sum += el
		c.max = max(c.max, el)
		c.min = min(c.min, el)
		c.overlap += ov
		c.an++
		if x == nil {
			return
		}
		if el >= x.lo && el <= x.hi {
			c.in++
		}
		if x.formula != nil && a != nil {
			v := e.ex.value(x.formula, a)
			c.cv += v
			c.cvMin, c.cvMax = min(c.cvMin, v), max(c.cvMax, v)
		}
	}
	// held adds an item whose filter has a hold: by the time it held.
	held := func(h *hold, since event.Time, a *attrs) {
		lo := max(since, s.opened)
		switch {
		case h.on:
			add(h.held(lo, now), h.held(max(since, s.start), now), a)
		case h.counts(lo):
			c.an++
			c.overlap += h.held(max(since, s.start), now)
		}
	}
	tracked := x != nil && x.filter != nil
	if s.kind == subjAction {
		for _, ii := range e.objs[s.obj].inprog {
			in := &e.insts[ii]
			if tracked && in.holds != nil && m.Has(in.key.act) && e.mediaOK(s, in.at.media) {
				if h := holdOf(in.holds, x.filter); h != nil {
					held(h, in.start, &in.at)
					continue
				}
			}
			if e.match(s, m, &in.at) {
				add(int64(now-max(in.start, s.opened)), int64(now-max(in.start, s.start)), &in.at)
			}
		}
	} else {
		e.mbuf = e.members(s, e.mbuf[:0])
		sh := tracked && len(e.sh) > 0
		for _, mb := range e.mbuf {
			if !m.Has(mb.status) {
				continue
			}
			if sh {
				if h := holdOf(e.sh[mb.o], x.filter); h != nil {
					held(h, mb.since, nil)
					continue
				}
			}
			if x == nil || e.passes(x, e.saOf(mb.o)) {
				add(int64(now-max(mb.since, s.opened)), int64(now-max(mb.since, s.start)), nil)
			}
		}
	}
	if c.n == 0 {
		c.min = 0
	}
	return c
}

// value computes statistic si at the clock.
func (e *Engine) value(si int32) Value {
	v, _ := e.valueAt(si, false)
	return v
}

// valueAt computes statistic si at the clock; closing computes the value of the interval
// ending at the clock (a Growing reset instant) instead of the one starting there. It
// also returns the start of the interval the value covers.
//
// A read changes no state: the statistic is seen as it would be rolled to the clock's
// interval and its CurrentNumber curve integrated up to the clock (view, statExt.viewAt),
// without writing either back, so that values, notifications and snapshots do not
// depend on which statistics were read when. The next update that concerns the
// statistic rolls and integrates it for real, with the same result.
func (e *Engine) valueAt(si int32, closing bool) (Value, event.Time) {
	s := &e.stats[si]
	now := e.clock
	switch s.cat {
	case category.CurrentState:
		return Value{State: e.state(s, false)}, s.start
	case category.CurrentStateReasons:
		return Value{State: e.state(s, true)}, s.start
	case category.CurrentTargetState:
		return Value{State: e.targetState(s)}, s.start
	case category.Formula:
		return e.formulaValue(s), s.start
	}
	if !e.started {
		return Value{}, s.start
	}
	// The interval ending at now is the one holding the instant before it.
	at := now
	if closing {
		at = now - 1
	}
	v := e.view(s, at, now)
	return e.valueOf(&v.stat, &v.b, now), v.start
}

// view is a statistic as a read sees it: a copy of its slot rolled to the interval
// holding at, and its window's aggregate with the CurrentNumber curve integrated up to
// now.
type view struct {
	stat
	b bucket
}

// view returns statistic s as seen at at (its interval, the one holding at) and now (its
// curve's integration), leaving s as it is.
func (e *Engine) view(s *stat, at, now event.Time) view {
	v := view{stat: *s}
	if x := s.ext; x != nil {
		v.b = x.viewAt(&v.stat, at, now, e.wins[s.win])
		return v
	}
	if at >= v.end {
		st, en := e.wins[s.win].bounds(at)
		v.start, v.end = max(st, v.opened), en
		v.clear()
	}
	v.b = v.bucket()
	return v
}

// valueOf computes the value at now of statistic s, a view whose window aggregates to b.
func (e *Engine) valueOf(s *stat, bp *bucket, now event.Time) Value {
	x := s.ext
	b := *bp
	if x != nil && x.prof == profSinceLogin && !x.active && s.cat.Kind() == category.KindHistorical {
		return Value{} // logged out: no interval
	}
	c := e.current(s, now, e.maskOf(s))
	status := s.kind != subjAction
	// total is TotalTime: an in-progress status adds its elapsed overlap with I, except for
	// Selection, which counts completed instances only.
	total := b.sum
	if status && (x == nil || x.prof != profSelection) {
		total += c.overlap
	}
	// length is the elapsed length of I (ms), from its start or the clock's start.
	length := int64(now - max(s.start, e.t0))
	var rel inProgress
	if x != nil && x.rel != nil {
		switch s.cat {
		case category.RelativeTimePercentage, category.CurrentRelativeTimePercentage,
			category.CurrentRelativeNumberPercentage, category.CurrentNumberInTimeRangePercentage,
			category.LoadBalance, category.AverageNumberPerRelativeHour:
			rel = e.current(s, now, x.rel)
		}
	}
	var ms int64
	switch s.cat {
	case category.TotalNumber:
		return count(b.n)
	case category.TotalAdjustedNumber:
		return count(b.n + c.an)
	case category.TotalTime:
		ms = total
	case category.TotalAdjustedTime:
		ms = b.sum + c.overlap
	case category.AverageTime:
		return avg(total, b.n)
	case category.MaxTime:
		ms = b.max
	case category.MinTime:
		if b.min != math.MaxInt64 {
			ms = b.min
		}
	case category.ElapsedTimePercentage:
		return percent(float64(total), float64(length))
	case category.RelativeTimePercentage:
		relTotal := b.rsum
		if status && x.prof != profSelection {
			relTotal += rel.overlap
		}
		return percent(float64(total), float64(relTotal))
	case category.RelativeNumberPercentage:
		return percent(float64(b.n), float64(b.rn))
	case category.RelativeNumber:
		return ratio(float64(b.n), float64(b.rn))
	case category.TotalNumberInTimeRange:
		return count(b.in)
	case category.TotalTimeInTimeRange:
		ms = b.inT
	case category.TotalNumberInTimeRangePercentage:
		if x.rel != nil {
			return percent(float64(b.in), float64(b.rn))
		}
		return percent(float64(b.in), float64(b.n))
	case category.ServiceFactor1:
		return percent(float64(b.le), float64(b.n+b.gt))
	case category.TotalNumberPerSecond:
		return ratio(float64(b.n)*1000, float64(length))
	case category.AverageOfCurrentNumber:
		return ratio(b.area, float64(length))
	case category.AverageOfCurrentTime:
		if length <= 0 {
			return undefined(whyZeroDenominator)
		}
		return Value{Number: math.Round(b.area2/float64(length)) / 1000}
	case category.MaxNumber:
		return count(int64(b.nmax))
	case category.MinNumber:
		return count(int64(b.nmin))
	case category.TotalCustomValue:
		return finite(b.cv)
	case category.AverageCustomValue:
		return finiteAvg(b.cv, b.n)
	case category.MinCustomValue:
		return finite(b.cvMin)
	case category.MaxCustomValue:
		return finite(b.cvMax)
	case category.CurrentNumber:
		return count(c.n)
	case category.CurrentTime:
		ms = c.sum
	case category.CurrentMaxTime:
		ms = c.max
	case category.CurrentMinTime:
		ms = c.min
	case category.CurrentAverageTime:
		return avg(c.sum, c.n)
	case category.CurrentContinuousTime:
		if s.cur > 0 {
			ms = int64(now) - s.v
		}
	case category.CurrentDistinctNumber:
		return count(e.distinct(s))
	case category.CurrentRelativeTimePercentage:
		return percent(float64(c.sum), float64(rel.sum))
	case category.CurrentRelativeNumberPercentage:
		return percent(float64(c.n), float64(rel.n))
	case category.CurrentNumberInTimeRange:
		return count(c.in)
	case category.CurrentNumberInTimeRangePercentage:
		if x.rel != nil {
			return percent(float64(c.in), float64(rel.n))
		}
		return percent(float64(c.in), float64(c.n))
	case category.CurrentCustomValue:
		return finite(c.cv)
	case category.CurrentAverageCustomValue:
		return finiteAvg(c.cv, c.n)
	case category.CurrentMinCustomValue:
		return finite(c.cvMin)
	case category.CurrentMaxCustomValue:
		return finite(c.cvMax)
	default:
		return e.moreValue(s, &valueInputs{b: &b, c: &c, rel: &rel, total: total, length: length, now: now, status: status})
	}
	return seconds(ms)
}

// distinct counts the distinct non-empty interactions among s's in-progress items: the
// mask instances (DNAction), or the instances deciding the members' mask statuses.
func (e *Engine) distinct(s *stat) int64 {
	clear(e.seen)
	if s.kind == subjAction {
		for _, ii := range e.objs[s.obj].inprog {
			in := &e.insts[ii]
			if in.key.ixn != "" && e.match(s, e.maskOf(s), &in.at) {
				e.seen[in.key.ixn] = struct{}{}
			}
		}
	} else {
		e.mbuf = e.members(s, e.mbuf[:0])
		for _, mb := range e.mbuf {
			sa := e.saOf(mb.o) // kept: Open turned them on for this statistic
			if sa.ixn != "" && e.maskOf(s).Has(mb.status) && (s.ext == nil || e.passes(s.ext, sa)) {
				e.seen[sa.ixn] = struct{}{}
			}
		}
	}
	return int64(len(e.seen))
}
