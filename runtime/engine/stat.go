package engine

import (
	"math"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// acc accumulates the instances completing in the current interval: their number, the sum
// of their overlaps with the interval and the longest and shortest full durations (ms).
// Sliding profiles will keep one acc per step.
type acc struct {
	n, sum   int64
	max, min int64 // min is math.MaxInt64 while no instance with a duration completed
}

// add counts one instance with overlap ov and full duration d.
func (a *acc) add(ov, d int64) {
	a.n++
	a.sum += ov
	a.max = max(a.max, d)
	a.min = min(a.min, d)
}

// stat is one open statistic. Historical categories keep counters (acc) updated as
// actions and status changes arrive; current categories are computed when read from the
// object's in-progress instances or its members' statuses, and keep only the continuous
// run (cur, runStart).
type stat struct {
	cfg  *config.Statistic
	mask *config.Mask
	win  window
	obj  int32
	cat  category.Category
	kind subjKind
	// hasMedia: the stat type restricts actions to cfg.StatType.MediaType; live: the value
	// depends on in-progress instances (current and adjusted categories), so a durable
	// start changes it.
	hasMedia, live, open, dirty bool

	// opened is when the statistic was opened; [start, now] is the interval I (start =
	// max(last reset, opened)) and end is the next reset.
	opened, start, end event.Time
	acc
	// cur is the number of mask instances in progress (DNAction) or of members whose
	// status is in the mask (status subjects); runStart is when cur last left 0.
	cur      int32
	runStart event.Time
}

// roll moves the statistic to the interval containing t, zeroing its counters when a
// reset passed.
func (s *stat) roll(t event.Time) {
	if t < s.end {
		return
	}
	st, en := s.win.bounds(t)
	s.start, s.end = max(st, s.opened), en
	s.acc = acc{min: math.MaxInt64}
}

// match reports whether a DNAction statistic counts action a of media type media.
func (s *stat) match(a action.ID, media string) bool {
	return s.mask.Has(a) && (!s.hasMedia || media == s.cfg.StatType.MediaType)
}

// deliverStart passes the start of durable action a to ob's DNAction statistics.
func (e *Engine) deliverStart(ob *obj, a action.ID, media string, t event.Time) {
	for _, si := range ob.idx[subjAction].get(a) {
		s := &e.stats[si]
		if s.hasMedia && media != s.cfg.StatType.MediaType {
			continue
		}
		if s.cur == 0 {
			s.runStart = t
		}
		s.cur++
		if s.live {
			e.touch(si, s)
		}
	}
}

// deliverEnd passes the end at t of a durable action a that started at start.
func (e *Engine) deliverEnd(ob *obj, a action.ID, media string, start, t event.Time) {
	for _, si := range ob.idx[subjAction].get(a) {
		s := &e.stats[si]
		if s.hasMedia && media != s.cfg.StatType.MediaType {
			continue
		}
		s.roll(t)
		s.acc.add(int64(t-max(start, s.start)), int64(t-max(start, s.opened)))
		s.cur--
		e.touch(si, s)
	}
}

// deliverInstant passes a momentary action, or a retrospective one of duration d (ms).
func (e *Engine) deliverInstant(ob *obj, a action.ID, media string, t event.Time, d int64, retro bool) {
	for _, si := range ob.idx[subjAction].get(a) {
		s := &e.stats[si]
		if s.hasMedia && media != s.cfg.StatType.MediaType {
			continue
		}
		s.roll(t)
		if retro {
			from := t - event.Time(d)
			s.acc.add(int64(max(0, t-max(from, s.start))), int64(max(0, t-max(from, s.opened))))
		} else {
			s.acc.n++ // a momentary action has no duration
		}
		e.touch(si, s)
	}
}

// member is one status-bearing member of a status statistic: its status and since when
// it counts (clipped to the agent's login for DNStatus on an agent).
type member struct {
	status action.ID
	since  event.Time
}

// members appends the members of status statistic s to dst.
func (e *Engine) members(s *stat, dst []member) []member {
	ob := &e.objs[s.obj]
	one := func(o int32) { dst = append(dst, member{e.objs[o].status, e.objs[o].since}) }
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
				dst = append(dst, member{dn.status, max(dn.since, l.at)})
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
// their number, the sum, max and min of their elapsed times since max(start, opened), and
// the sum of their overlaps with the interval.
type inProgress struct {
	n, sum, max, min, overlap int64
}

// current computes s's in-progress aggregate at now.
func (e *Engine) current(s *stat, now event.Time) inProgress {
	c := inProgress{min: math.MaxInt64}
	addItem := func(start event.Time) {
		el := int64(now - max(start, s.opened))
		c.n++
		c.sum += el
		c.max = max(c.max, el)
		c.min = min(c.min, el)
		c.overlap += int64(now - max(start, s.start))
	}
	if s.kind == subjAction {
		for _, ii := range e.objs[s.obj].inprog {
			in := &e.insts[ii]
			if s.match(in.key.act, in.media) {
				addItem(in.start)
			}
		}
	} else {
		for _, m := range e.members(s, nil) {
			if s.mask.Has(m.status) {
				addItem(m.since)
			}
		}
	}
	if c.n == 0 {
		c.min = 0
	}
	return c
}

// countCurrent returns the number of in-progress items of s (its initial cur).
func (e *Engine) countCurrent(s *stat) int64 {
	return e.current(s, e.clock).n
}

// value computes statistic si at the clock.
func (e *Engine) value(si int32) Value {
	s := &e.stats[si]
	now := e.clock
	if s.cat == category.CurrentState {
		return Value{State: e.state(s.obj)}
	}
	if !e.started {
		return Value{}
	}
	s.roll(now)
	c := e.current(s, now)
	status := s.kind != subjAction
	total := s.acc.sum
	if status {
		total += c.overlap // an in-progress status adds its elapsed overlap
	}
	var ms int64
	switch s.cat {
	case category.TotalNumber:
		return count(s.acc.n)
	case category.TotalAdjustedNumber:
		return count(s.acc.n + c.n)
	case category.TotalTime:
		ms = total
	case category.TotalAdjustedTime:
		ms = total
		if !status {
			ms += c.overlap
		}
	case category.AverageTime:
		return avg(total, s.acc.n)
	case category.MaxTime:
		ms = s.acc.max
	case category.MinTime:
		if s.acc.min != math.MaxInt64 {
			ms = s.acc.min
		}
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
			ms = int64(now - s.runStart)
		}
	case category.CurrentDistinctNumber:
		return count(e.distinct(s))
	}
	return seconds(ms)
}

// distinct counts the distinct non-empty interactions among s's in-progress instances.
func (e *Engine) distinct(s *stat) int64 {
	seen := map[string]struct{}{}
	for _, ii := range e.objs[s.obj].inprog {
		in := &e.insts[ii]
		if in.key.ixn != "" && s.match(in.key.act, in.media) {
			seen[in.key.ixn] = struct{}{}
		}
	}
	return int64(len(seen))
}

// state builds the CurrentState tree of object o.
func (e *Engine) state(o int32) *State {
	ob := &e.objs[o]
	st := &State{Type: ob.typ, ID: ob.id, Status: ob.status, Since: ob.since, Children: []State{}}
	switch ob.typ {
	case object.TypeRegDN, object.TypeQueue, object.TypeRoutePoint:
		st.Reason = e.reason(ob)
	case object.TypePlace:
		st.Reason = e.topReason(ob.dns)
		for _, d := range ob.dns {
			st.Children = append(st.Children, *e.state(d))
		}
	case object.TypeAgent:
		dns := make([]int32, 0, len(ob.logins))
		seen := map[int32]bool{}
		for _, l := range ob.logins {
			dns = append(dns, l.dn)
			p := e.objs[l.dn].place
			switch {
			case p == noObj:
				st.Children = append(st.Children, *e.state(l.dn))
			case !seen[p]:
				seen[p] = true
				st.Children = append(st.Children, *e.state(p))
			}
		}
		st.Reason = e.topReason(dns)
	}
	return st
}

// topReason returns the reason of the highest-status DN among dns (the first on ties).
func (e *Engine) topReason(dns []int32) string {
	best := noObj
	for _, d := range dns {
		if best == noObj || higher(e.objs[best].status, e.objs[d].status) != e.objs[best].status {
			best = d
		}
	}
	if best == noObj {
		return ""
	}
	return e.reason(&e.objs[best])
}

// reasonKey is the data key of a status's reason code.
const reasonKey = "ReasonCode"

// reason returns the ReasonCode of the instance deciding DN ob's status.
func (e *Engine) reason(ob *obj) string {
	_, top := e.dnTop(ob)
	if top < 0 {
		return ""
	}
	r, _ := e.insts[top].data.Get(reasonKey)
	return r
}
