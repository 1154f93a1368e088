package engine

import (
	"slices"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/event"
)

// Updates: the attached data of a durable instance in progress changes (see the package
// documentation, "Data that changes during an action", for the rules).
//
// A filter's result on an instance changes only when its data does. Instances whose data
// never changed keep no history: their filters hold for their whole life or not at all,
// as before updates existed. An update that changes an instance's data starts a hold
// (inst.holds) for each filter of a statistic that can see the instance and has none yet
// — the periods during which the filter held, which the statistics reading that filter
// use instead of the instance's span — and moves on every hold the instance has. So a
// filter with no hold has held, or not, since the instance's last update, and every
// statistic reading it opened after that update. The statuses of status subjects whose
// attributes come from an updated instance get the same treatment (Engine.sh), by member
// object, for as long as the member keeps its status. The paths that complete an item
// with a hold are functions of their own (extEndHeld, extTransitionHeld, completeHeld),
// so that the common ones stay as they were.

// period is a span of event time [from, to).
type period struct{ from, to event.Time }

// hold is the history of one filter over one instance whose attributes changed while it
// was in progress: the periods during which the filter held. The last one is open (from
// since) while the filter holds.
type hold struct {
	p      *program
	closed []period // the held periods that ended, in time order
	on     bool     // the filter holds now, since since
	since  event.Time
}

// set moves h to the filter result ok at t.
func (h *hold) set(t event.Time, ok bool) {
	switch {
	case ok && !h.on:
		h.on, h.since = true, t
	case !ok && h.on:
		h.on = false
		h.closed = append(h.closed, period{h.since, t})
	}
}

// each calls f with every held period clipped to start at lo or later, the open one
// ending at now; empty periods are passed too.
func (h *hold) each(lo, now event.Time, f func(from, to event.Time)) {
	for _, p := range h.closed {
		if p.to >= lo {
			f(max(p.from, lo), p.to)
		}
	}
	if h.on {
		f(max(h.since, lo), now)
	}
}

// held is the time the filter held from lo (ms), up to now.
func (h *hold) held(lo, now event.Time) int64 {
	var ms int64
	for _, p := range h.closed {
		ms += max(0, int64(p.to-max(p.from, lo)))
	}
	if h.on {
		ms += max(0, int64(now-max(h.since, lo)))
	}
	return ms
}

// counts reports whether the filter held at some moment from lo on: it holds now, or a
// held period ended after lo or began at lo or later (a period of no length counts: the
// filter held between two updates at the same instant).
func (h *hold) counts(lo event.Time) bool {
	return h.on || h.heldBefore(lo)
}

// heldBefore reports whether a closed held period of h lasted past lo (or began at lo or
// later): whether the filter held from lo on before its current period.
func (h *hold) heldBefore(lo event.Time) bool {
	for _, p := range h.closed {
		if p.to > lo || p.from >= lo {
			return true
		}
	}
	return false
}

// completedHeld is catState.completed for a completion with held periods h: what
// EstimTimeToComplete records is c.d, their total; TotalDistinctTime records the held
// periods themselves (under Selection, which keeps one span per instance, the span from
// the first held moment to the last).
func (cs *catState) completedHeld(s *stat, x *statExt, c completion, h *hold) {
	if cs.dist == nil || !c.main {
		cs.completed(s, x, c)
		return
	}
	lo := max(c.from, s.opened)
	if x.count > 0 {
		first, last := c.t, lo
		h.each(lo, c.t, func(from, to event.Time) { first, last = min(first, from), max(last, to) })
		if first <= last {
			cs.dist.add(first, last, x.count)
		}
		return
	}
	h.each(lo, c.t, cs.dist.insert)
	cs.dist.prune(s.start)
}

// insert records span [from, to] in disjoint, ascending spans (add's, for a span that
// may end before the latest), merging it with those it meets.
func (iv *intervals) insert(from, to event.Time) {
	k := 0
	for k < len(iv.hi) && iv.hi[k] < from {
		k++
	}
	j := k
	for j < len(iv.lo) && iv.lo[j] <= to {
		from, to = min(from, iv.lo[j]), max(to, iv.hi[j])
		j++
	}
	iv.lo = slices.Replace(iv.lo, k, j, from)
	iv.hi = slices.Replace(iv.hi, k, j, to)
}

// holdOf returns the hold of filter p in hs, nil when there is none.
func holdOf(hs []hold, p *program) *hold {
	for i := range hs {
		if hs[i].p == p {
			return &hs[i]
		}
	}
	return nil
}

// mergeData applies an update to data d: each key set replaces the value of that key
// (every occurrence of a repeated key: the first keeps its place, the others go), a key
// new to d is appended in the update's order, and each key in unset is removed (a key both
// set and removed is set). It returns d itself when nothing changes, else a new Data: d
// may be shared and is never modified.
func mergeData(d, set event.Data, unset []string) (event.Data, bool) {
	changed := false
	for _, p := range set {
		if v, ok := d.Get(p.Key); !ok || v != p.Value || keyCount(d, p.Key) > 1 {
			changed = true
			break
		}
	}
	for _, k := range unset {
		if _, ok := d.Get(k); ok {
			if _, isSet := set.Get(k); !isSet {
				changed = true
				break
			}
		}
	}
	if !changed {
		return d, false
	}
	out := make(event.Data, 0, len(d)+len(set))
	for _, p := range d {
		if _, dup := out.Get(p.Key); dup {
			continue // a repeated key: its first occurrence took the update
		}
		if v, ok := set.Get(p.Key); ok {
			p.Value = v
		} else if hasString(unset, p.Key) {
			continue
		}
		out = append(out, p)
	}
	for _, p := range set {
		if _, ok := out.Get(p.Key); !ok {
			out = append(out, p)
		}
	}
	return out, true
}

// keyCount is the number of pairs of d with key k.
func keyCount(d event.Data, k string) int {
	n := 0
	for _, p := range d {
		if p.Key == k {
			n++
		}
	}
	return n
}

// hasString reports whether list has s.
func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// update changes the data of the durable instance ev names.
func (e *Engine) update(ev *event.Event) error {
	key := keyOf(ev)
	ii, ok := e.live.get(key, e.instHash(key), e.keyOfInst)
	if !ok {
		if !e.sourceKnown(ev.Source) {
			return reject(CodeUnknownObject, "unknown %v source %q", ev.Source.Class, ev.Source.ID)
		}
		return reject(CodeUpdateWithoutStart, "%v is not in progress on %v: nothing to update", ev.Action, key)
	}
	t := ev.Time
	e.tick(t)
	in := &e.insts[ii]
	data, changed := mergeData(in.at.data, ev.Data, ev.Unset)
	if !changed {
		return nil
	}
	e.durables++ // CurrentStateReasons shows the data (ReasonCode)
	old := in.at
	in.at.data, in.at.done, in.at.pass = data, 0, 0
	e.refilter(ii, &old, t)
	if e.needSA && in.src != noObj {
		e.refilterStatus(in.src, &e.insts[ii].at, t)
	}
	return nil
}

// refilter passes the change at t of instance ii's attributes from old to the DNAction
// statistics that see it: filters that start or stop holding move its holds and the
// current values; current custom values read the new data.
func (e *Engine) refilter(ii int32, old *attrs, t event.Time) {
	in := &e.insts[ii]
	for k := range in.holds {
		h := &in.holds[k]
		h.set(t, e.ex.holds(h.p, &in.at))
	}
	for _, o := range in.targets {
		for _, si := range e.objs[o].idx[subjAction].get(in.key.act) {
			s := &e.stats[si]
			x := s.ext
			if x == nil || !e.mediaOK(s, in.at.media) {
				continue
			}
			if x.filter == nil {
				if x.formula != nil && s.live() {
					e.touch(si) // a current custom value reads the data
				}
				continue
			}
			was, is := e.ex.holds(x.filter, old), e.ex.holds(x.filter, &in.at)
			if holdOf(in.holds, x.filter) == nil {
				in.holds = append(in.holds, hold{p: x.filter, on: was, since: in.start})
				in.holds[len(in.holds)-1].set(t, is)
			}
			if was == is {
				if x.formula != nil && s.live() && is {
					e.touch(si)
				}
				continue
			}
			main := e.maskOf(s).Has(in.key.act)
			h := holdOf(in.holds, x.filter)
			if lo := max(in.start, s.opened); main && is && x.cs != nil && !h.heldBefore(lo) {
				e.roll(s, t)
				x.cs.started(in, s.cur) // first held: as if it started now (EstimWaitingTime)
			}
			e.flip(si, s, main, h, max(in.start, s.opened), is, t)
		}
	}
}

// flip passes to statistic si a counted item (an instance, or a member's status) whose
// filter starts (is) or stops holding at t; main: it is in the MainMask (else only in
// the RelMask, whose values are read when needed). h is its hold and lo the start of its
// time for s (its start or since, or the open).
func (e *Engine) flip(si int32, s *stat, main bool, h *hold, lo event.Time, is bool, t event.Time) {
	x := s.ext
	if main {
		e.roll(s, t)
		x.integrate(s, t)
		// CurrentTime is cur·t − ctBase: an item counts t − (its time so far) in ctBase,
		// the same just before and just after the flip.
		base := int64(t) - h.held(lo, t)
		if is {
			s.run(t)
			s.cur++
			x.ctBase += base
		} else {
			s.cur--
			x.ctBase -= base
		}
		x.counted(s.cur)
	}
	if s.live() || s.kind != subjAction {
		e.touch(si)
	}
}

// refilterStatus passes the change at t of the attributes of instance at (whose data was
// updated), on DN d, to the statuses whose attributes are that instance's: d's, its
// place's and its agents', when the instance decided them when they began.
func (e *Engine) refilterStatus(d int32, at *attrs, t event.Time) {
	serial := at.from
	dn := &e.objs[d]
	if e.sa[d].from == serial {
		old := e.restatus(d, at, t)
		e.statusFlips(&dn.idx[subjDN], d, dn.status, dn.since, &old, t)
		if p := dn.place; p != noObj {
			e.statusFlips(&e.objs[p].idx[subjDN], d, dn.status, dn.since, &old, t)
		}
		for _, a := range dn.logged {
			e.statusFlips(&e.objs[a].idx[subjDN], d, dn.status, max(dn.since, loginAt(&e.objs[a], d)), &old, t)
		}
	}
	if p := dn.place; p != noObj && e.sa[p].from == serial {
		e.restatusObj(p, subjPlace, at, t)
	}
	for _, a := range dn.logged {
		if e.sa[a].from == serial {
			e.restatusObj(a, subjAgent, at, t)
		}
	}
}

// restatus gives member m's status the attributes at at t, moving its holds, and returns
// the attributes it had.
func (e *Engine) restatus(m int32, at *attrs, t event.Time) attrs {
	old := e.sa[m]
	e.sa[m] = *at
	hs := e.sh[m]
	for k := range hs {
		hs[k].set(t, e.ex.holds(hs[k].p, &e.sa[m]))
	}
	return old
}

// restatusObj is restatus for a place or an agent, whose status statistics (kind k) are
// on the object, its groups and its tenant.
func (e *Engine) restatusObj(o int32, k subjKind, at *attrs, t event.Time) {
	old := e.restatus(o, at, t)
	ob := &e.objs[o]
	e.statusFlips(&ob.idx[k], o, ob.status, ob.since, &old, t)
	for _, g := range ob.groups {
		e.statusFlips(&e.objs[g].idx[k], o, ob.status, ob.since, &old, t)
	}
	e.statusFlips(&e.objs[ob.tenant].idx[k], o, ob.status, ob.since, &old, t)
}

// statusFlips passes the change of member m's status attributes (from old to e.sa[m]) at
// t to the filtered status statistics of index x; since is when the status began, as the
// index's statistics see it.
func (e *Engine) statusFlips(x *actIndex, m int32, st action.ID, since event.Time, old *attrs, t event.Time) {
	if x.empty() || !st.Valid() {
		return
	}
	for _, si := range x.get(st) {
		s := &e.stats[si]
		xe := s.ext
		if xe == nil || xe.filter == nil {
			continue
		}
		was, is := e.ex.holds(xe.filter, old), e.ex.holds(xe.filter, &e.sa[m])
		if holdOf(e.sh[m], xe.filter) == nil {
			h := hold{p: xe.filter, on: was, since: e.objs[m].since}
			h.set(t, is)
			if e.sh == nil {
				e.sh = map[int32][]hold{}
			}
			e.sh[m] = append(e.sh[m], h)
		}
		if was != is {
			e.flip(si, s, e.maskOf(s).Has(st), holdOf(e.sh[m], xe.filter), max(since, s.opened), is, t)
		}
	}
}

// setOH sets the holds of the status a member leaves, which transition reads (e.oh),
// storing only when they change (nil, nil on the common path).
func (e *Engine) setOH(oh []hold) {
	if oh != nil || e.oh != nil {
		e.oh = oh
	}
}

// statusHolds returns the holds of member m's status, nil when none.
func (e *Engine) statusHolds(m int32) []hold {
	if len(e.sh) == 0 {
		return nil
	}
	return e.sh[m]
}

// endStatusHolds forgets the holds of member m's status, which ended, returning them for
// its completion.
func (e *Engine) endStatusHolds(m int32) []hold {
	if len(e.sh) == 0 {
		return nil
	}
	hs, ok := e.sh[m]
	if ok {
		delete(e.sh, m)
	}
	return hs
}
