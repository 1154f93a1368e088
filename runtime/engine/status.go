package engine

import (
	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/generated/status"
	"github.com/statkit/statkit/runtime/event"
)

// Statuses.
//
// A DN's status is the highest-priority durable action in progress on it in its status
// table (regular DN or mediation DN), where a call-type action (role callType) is hidden
// while a hold action (role hold) of the same interaction is in progress on the DN, and
// the loggedOut-role action never counts (it is the status of an agent logged in
// nowhere). A place's status is the highest over its DNs; an agent's is the highest over
// the DNs it is logged in on, the loggedOut action when it is logged in nowhere. With
// nothing in progress the status is action.None (no status).
//
// A status instance of a member (a DN, place or agent counted by a status-subject
// statistic) is a maximal period during which the member has one status; it completes
// when the status changes. Instances of zero length (several changes at one instant) are
// not counted. For DNStatus on an agent, the agent's DNs are members only while it is
// logged in on them, so a DN's status instance is clipped to the login.
//
// A status instance's attributes (what filters read) are those of the action instance
// deciding it when it began: for a DN its top instance, for a place or an agent the top
// instance of its highest-status DN (the first in DN or login order on ties), none for
// LoggedOut. They do not change while the status lasts, even if another instance of the
// same action takes over.

// dnTop returns the status of DN object ob and the instance that decides it (-1 when no
// status action is in progress).
func (e *Engine) dnTop(ob *obj) (action.ID, int32) {
	best, top, bp := action.None, int32(-1), 0
	for _, ii := range ob.inprog {
		in := &e.insts[ii]
		a := in.key.act
		p := ob.table.Priority(a)
		if p == 0 || p < bp || a.HasRole(action.RoleLoggedOut) {
			continue
		}
		if p == bp && in.start >= e.insts[top].start {
			continue // ties: the earliest instance decides (reason)
		}
		if a.HasRole(action.RoleCallType) && e.onHold(ob, in.key.ixn) {
			continue
		}
		best, top, bp = a, ii, p
	}
	return best, top
}

// onHold reports whether a hold-role action of interaction ixn is in progress on ob.
func (e *Engine) onHold(ob *obj, ixn string) bool {
	for _, ii := range ob.inprog {
		in := &e.insts[ii]
		if in.key.ixn == ixn && in.key.act.HasRole(action.RoleHold) {
			return true
		}
	}
	return false
}

// higher returns the higher-priority of two statuses in the regular-DN table.
func higher(a, b action.ID) action.ID {
	if status.TableRegularDN.Priority(b) > status.TableRegularDN.Priority(a) {
		return b
	}
	return a
}

// updateDN recomputes the status of DN d at t and, when it changed, passes the change to
// the DNStatus statistics of the DN, its place and the agents logged in on it, then
// updates the place's and the agents' statuses.
func (e *Engine) updateDN(d int32, t event.Time) {
	dn := &e.objs[d]
	ns, top := e.dnTop(dn)
	if ns == dn.status {
		return
	}
	old, since := dn.status, dn.since
	dn.status, dn.since = ns, t
	var oa, na *attrs // nil unless status attributes are kept
	var oh []hold     // the filter holds of the status d leaves (kept with attributes)
	if e.needSA {
		e.saDN, oa = e.sa[d], &e.saDN
		e.sa[d], na = e.topAttrs(top), &e.sa[d]
		oh = e.endStatusHolds(d)
		e.setOH(oh) // e.oh is nil while status attributes are not kept
	}
	e.transition(&dn.idx[subjDN], old, since, oa, ns, na, t)
	if p := dn.place; p != noObj {
		e.transition(&e.objs[p].idx[subjDN], old, since, oa, ns, na, t)
		e.updatePlace(p, t)
	}
	for _, a := range dn.logged {
		ag := &e.objs[a]
		if e.needSA {
			e.setOH(oh) // updatePlace and updateAgent set their own
		}
		e.transition(&ag.idx[subjDN], old, max(since, loginAt(ag, d)), oa, ns, na, t)
		e.updateAgent(a, t)
	}
}

// loginAt returns when agent ag logged in on DN d.
func loginAt(ag *obj, d int32) event.Time {
	for _, l := range ag.logins {
		if l.dn == d {
			return l.at
		}
	}
	return 0
}

// updatePlace recomputes place p's status and passes a change to the PlaceStatus
// statistics of the place, its groups and its tenant.
func (e *Engine) updatePlace(p int32, t event.Time) {
	pl := &e.objs[p]
	ns, by := action.None, noObj
	for _, d := range pl.dns {
		if h := higher(ns, e.objs[d].status); h != ns || by == noObj {
			ns, by = h, d
		}
	}
	e.setStatus(p, ns, by, subjPlace, t)
}

// updateAgent recomputes agent a's status and passes a change to the AgentStatus
// statistics of the agent, its groups and its tenant.
func (e *Engine) updateAgent(a int32, t event.Time) {
	ag := &e.objs[a]
	ns, by := e.loggedOut, noObj
	if len(ag.logins) > 0 {
		ns = action.None
		for _, l := range ag.logins {
			if h := higher(ns, e.objs[l.dn].status); h != ns || by == noObj {
				ns, by = h, l.dn
			}
		}
	}
	e.setStatus(a, ns, by, subjAgent, t)
}

// setStatus sets the status of place or agent o, decided by DN by (noObj: none), and
// passes a change to the statistics of subject kind k on o, its groups and its tenant.
func (e *Engine) setStatus(o int32, ns action.ID, by int32, k subjKind, t event.Time) {
	ob := &e.objs[o]
	if ns == ob.status {
		return
	}
	old, since := ob.status, ob.since
	ob.status, ob.since = ns, t
	var oa, na *attrs // nil unless status attributes are kept
	var oh []hold     // the filter holds of the status o leaves (kept with attributes)
	if e.needSA {
		e.saObj, oa = e.sa[o], &e.saObj
		e.sa[o], na = e.byAttrs(ns, by), &e.sa[o]
		oh = e.endStatusHolds(o)
		e.setOH(oh)
	}
	e.transition(&ob.idx[k], old, since, oa, ns, na, t)
	for _, g := range ob.groups {
		e.transition(&e.objs[g].idx[k], old, since, oa, ns, na, t)
	}
	e.transition(&e.objs[ob.tenant].idx[k], old, since, oa, ns, na, t)
}

// saOf returns the status attributes of object o, nil when they are not kept.
func (e *Engine) saOf(o int32) *attrs {
	if !e.needSA {
		return nil
	}
	return &e.sa[o]
}

// topAttrs are the status attributes given by a DN's top instance top (-1: none).
func (e *Engine) topAttrs(top int32) attrs {
	if top < 0 {
		return attrs{}
	}
	return e.insts[top].at
}

// byAttrs are the status attributes of a place or agent with status ns decided by DN by
// (noObj: none, e.g. LoggedOut).
func (e *Engine) byAttrs(ns action.ID, by int32) attrs {
	if by == noObj {
		return attrs{act: ns}
	}
	return e.sa[by]
}

// needStatusAttrs turns on the upkeep of status attributes (e.sa), which only status
// statistics with a filter and CurrentDistinctNumber read, setting them from the current
// statuses: a status already in progress gets the attributes of the instance deciding it
// now.
func (e *Engine) needStatusAttrs() {
	if e.needSA {
		return
	}
	e.needSA = true
	e.sa = make([]attrs, len(e.objs))
	for i := range e.objs {
		if ob := &e.objs[i]; ob.table.Valid() && ob.typ != object.TypePlace && ob.typ != object.TypeAgent {
			_, top := e.dnTop(ob)
			e.sa[i] = e.topAttrs(top)
		}
	}
	for i := range e.objs {
		switch ob := &e.objs[i]; ob.typ {
		case object.TypePlace:
			by := noObj
			ns := action.None
			for _, d := range ob.dns {
				if h := higher(ns, e.objs[d].status); h != ns || by == noObj {
					ns, by = h, d
				}
			}
			e.sa[i] = e.byAttrs(ob.status, by)
		case object.TypeAgent:
			by := noObj
			if len(ob.logins) > 0 {
				ns := action.None
				for _, l := range ob.logins {
					if h := higher(ns, e.objs[l.dn].status); h != ns || by == noObj {
						ns, by = h, l.dn
					}
				}
			}
			e.sa[i] = e.byAttrs(ob.status, by)
		}
	}
}

// join logs agent a in on DN d at t: the DN becomes a member of the agent's DNStatus
// statistics, and the agent's status is updated.
func (e *Engine) join(a, d int32, t event.Time) {
	ag, dn := &e.objs[a], &e.objs[d]
	first := len(ag.logins) == 0
	ag.logins = append(ag.logins, login{dn: d, at: t})
	dn.logged = append(dn.logged, a)
	if e.needSA {
		e.setOH(nil)
	}
	e.transition(&ag.idx[subjDN], action.None, t, nil, dn.status, e.saOf(d), t)
	e.updateAgent(a, t)
	if first {
		e.objs[a].session = t
		e.sessionStart(a, t)
	}
}

// leave logs agent a out of DN d at t: the DN's status instance, as a member of the
// agent's DNStatus statistics, completes. The caller updates the agent's status.
func (e *Engine) leave(a, d int32, t event.Time) {
	ag, dn := &e.objs[a], &e.objs[d]
	at := loginAt(ag, d)
	for i, l := range ag.logins {
		if l.dn == d {
			ag.logins = append(ag.logins[:i], ag.logins[i+1:]...)
			break
		}
	}
	dn.logged = removeInt32(dn.logged, a)
	if e.needSA {
		e.setOH(e.statusHolds(d))
	}
	e.transition(&ag.idx[subjDN], dn.status, max(dn.since, at), e.saOf(d), action.None, nil, t)
}

// transition passes one member's status change at t, from old (held since oldSince, with
// attributes oa and filter holds e.oh) to nw (attributes na), to the status statistics of
// index x whose masks have old or nw.
func (e *Engine) transition(x *actIndex, old action.ID, oldSince event.Time, oa *attrs, nw action.ID, na *attrs, t event.Time) {
	if x.empty() || old == nw {
		return
	}
	for _, si := range x.get(old) {
		s := &e.stats[si]
		if s.ext != nil {
			if s.flags&flagNarrow != 0 {
				e.narrowTransition(si, s, true, e.maskOf(s).Has(nw), oldSince, t)
			} else {
				e.extTransition(si, s, old, oldSince, oa, nw, na, t)
			}
			continue
		}
		e.roll(s, t)
		if t > oldSince {
			s.add(int64(t-max(oldSince, s.start)), int64(t-max(oldSince, s.opened)))
		}
		s.cur--
		if e.maskOf(s).Has(nw) {
			s.cur++ // still in the mask: the run goes on
		}
		e.touch(si)
	}
	for _, si := range x.get(nw) {
		s := &e.stats[si]
		if e.indexes(s, old) {
			continue // done above
		}
		if s.ext != nil {
			if s.flags&flagNarrow != 0 {
				e.narrowTransition(si, s, false, true, oldSince, t)
			} else {
				e.extTransition(si, s, old, oldSince, oa, nw, na, t)
			}
			continue
		}
		s.run(t)
		s.cur++
		e.touch(si)
	}
}

// extTransition is transition for an extended statistic: the filter is tested on the
// attributes of each status instance (nil attributes: no status); when an update changed
// the old one's attributes, its holds (e.oh) decide (extTransitionHeld).
func (e *Engine) extTransition(si int32, s *stat, old action.ID, oldSince event.Time, oa *attrs, nw action.ID, na *attrs, t event.Time) {
	x := s.ext
	wasM, isM := e.maskOf(s).Has(old) && e.passes(x, oa), e.maskOf(s).Has(nw) && e.passes(x, na)
	wasR, isR := x.rel != nil && x.rel.Has(old) && e.passes(x, oa), x.rel != nil && x.rel.Has(nw) && e.passes(x, na)
	if x.filter != nil && e.oh != nil {
		if h := holdOf(e.oh, x.filter); h != nil {
			e.extTransitionHeld(si, s, old, oldSince, h, isM, isR, t)
			return
		}
	}
	if !wasM && !isM && !wasR && !isR {
		return
	}
	e.roll(s, t)
	x.integrate(s, t)
	if (wasM || wasR) && t > oldSince {
		x.complete(s, completion{main: wasM, rel: wasR, from: oldSince, t: t, d: int64(t - max(oldSince, s.opened))})
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
	if wasM != isM {
		x.counted(s.cur)
	}
	e.touch(si)
}

// extTransitionHeld is extTransition for an old status with the holds h of its filter: it
// counts if the filter held at some moment since oldSince (and the open), for the time
// it held; it is in s.cur if the filter holds now.
func (e *Engine) extTransitionHeld(si int32, s *stat, old action.ID, oldSince event.Time, h *hold, isM, isR bool, t event.Time) {
	x := s.ext
	lo := max(oldSince, s.opened)
	counts := h.counts(lo)
	inM := e.maskOf(s).Has(old)
	wasM, wasR := inM && counts, x.rel != nil && x.rel.Has(old) && counts
	if !wasM && !isM && !wasR && !isR {
		return
	}
	e.roll(s, t)
	x.integrate(s, t)
	d := h.held(lo, t)
	if (wasM || wasR) && t > oldSince {
		x.completeHeld(s, completion{main: wasM, rel: wasR, from: oldSince, t: t, d: d}, h)
	}
	wasM = inM && h.on // in s.cur
	if wasM {
		s.cur--
		x.ctBase -= int64(t) - d // t − its time so far, as flip added
	}
	if isM {
		if !wasM {
			s.run(t)
		}
		s.cur++
		x.ctBase += int64(max(t, s.opened))
	}
	if wasM != isM {
		x.counted(s.cur)
	}
	e.touch(si)
}

// passes reports whether the filter of extended statistic x holds on a (true without a
// filter; false for no attributes).
func (e *Engine) passes(x *statExt, a *attrs) bool {
	if x.filter == nil {
		return true
	}
	return a != nil && e.ex.holds(x.filter, a)
}

// sessionStart starts the SinceLogin intervals of agent a, which logged in at t after
// being logged in nowhere.
func (e *Engine) sessionStart(a int32, t event.Time) {
	for _, si := range e.sinceLogin[a] {
		s := &e.stats[si]
		x := s.ext
		x.integrate(s, t)
		x.active, s.start = true, max(t, s.opened)
		x.b.reset(s.cur)
		x.last = t
		e.touch(si)
	}
}

// sessionEnd ends the SinceLogin intervals of agent a, logged out everywhere at t.
func (e *Engine) sessionEnd(a int32, t event.Time) {
	for _, si := range e.sinceLogin[a] {
		s := &e.stats[si]
		x := s.ext
		x.active = false
		x.b.reset(s.cur)
		e.touch(si)
	}
}
