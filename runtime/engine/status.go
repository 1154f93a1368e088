package engine

import (
	"github.com/statkit/statkit/generated/action"
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
	ns, _ := e.dnTop(dn)
	if ns == dn.status {
		return
	}
	old, since := dn.status, dn.since
	dn.status, dn.since = ns, t
	e.transition(&dn.idx[subjDN], old, since, ns, t)
	if p := dn.place; p != noObj {
		e.transition(&e.objs[p].idx[subjDN], old, since, ns, t)
		e.updatePlace(p, t)
	}
	for _, a := range dn.logged {
		ag := &e.objs[a]
		e.transition(&ag.idx[subjDN], old, max(since, loginAt(ag, d)), ns, t)
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
	ns := action.None
	for _, d := range pl.dns {
		ns = higher(ns, e.objs[d].status)
	}
	e.setStatus(p, ns, subjPlace, t)
}

// updateAgent recomputes agent a's status and passes a change to the AgentStatus
// statistics of the agent, its groups and its tenant.
func (e *Engine) updateAgent(a int32, t event.Time) {
	ag := &e.objs[a]
	ns := e.loggedOut
	if len(ag.logins) > 0 {
		ns = action.None
		for _, l := range ag.logins {
			ns = higher(ns, e.objs[l.dn].status)
		}
	}
	e.setStatus(a, ns, subjAgent, t)
}

// setStatus sets the status of place or agent o and passes a change to the statistics of
// subject kind k on o, its groups and its tenant.
func (e *Engine) setStatus(o int32, ns action.ID, k subjKind, t event.Time) {
	ob := &e.objs[o]
	if ns == ob.status {
		return
	}
	old, since := ob.status, ob.since
	ob.status, ob.since = ns, t
	e.transition(&ob.idx[k], old, since, ns, t)
	for _, g := range ob.groups {
		e.transition(&e.objs[g].idx[k], old, since, ns, t)
	}
	e.transition(&e.objs[ob.tenant].idx[k], old, since, ns, t)
}

// join logs agent a in on DN d at t: the DN becomes a member of the agent's DNStatus
// statistics, and the agent's status is updated.
func (e *Engine) join(a, d int32, t event.Time) {
	ag, dn := &e.objs[a], &e.objs[d]
	ag.logins = append(ag.logins, login{dn: d, at: t})
	dn.logged = append(dn.logged, a)
	e.transition(&ag.idx[subjDN], action.None, t, dn.status, t)
	e.updateAgent(a, t)
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
	e.transition(&ag.idx[subjDN], dn.status, max(dn.since, at), action.None, t)
}

// transition passes one member's status change at t, from old (held since oldSince) to
// nw, to the status statistics of index x whose mask has old or nw.
func (e *Engine) transition(x *actIndex, old action.ID, oldSince event.Time, nw action.ID, t event.Time) {
	if len(x.acts) == 0 || old == nw {
		return
	}
	for _, si := range x.get(old) {
		s := &e.stats[si]
		s.roll(t)
		if t > oldSince {
			s.acc.add(int64(t-max(oldSince, s.start)), int64(t-max(oldSince, s.opened)))
		}
		s.cur--
		if s.mask.Has(nw) {
			s.cur++ // still in the mask: the run goes on
		}
		e.touch(si, s)
	}
	for _, si := range x.get(nw) {
		s := &e.stats[si]
		if s.mask.Has(old) {
			continue // done above
		}
		if s.cur == 0 {
			s.runStart = t
		}
		s.cur++
		e.touch(si, s)
	}
}
