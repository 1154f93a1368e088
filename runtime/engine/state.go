package engine

import (
	"slices"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
)

// CurrentState and CurrentStateReasons.
//
// The value is a tree rooted at the statistic's object. A DN (RegDN, Queue, RoutePoint)
// is a leaf with its status; a place has its DNs as children; an agent has the places of
// the DNs it is logged in on (each with all its DNs) and the place-less DNs it is logged
// in on. A GroupAgents has its member agents, a GroupPlaces its member places, a
// GroupQueues its member queues and routing points, a Tenant its agents (subject
// AgentStatus or GroupStatus) or its places (other subjects); these nodes have no status
// of their own (status "", since the clock's start). A StagingArea or Workbin is a single
// node without status. Masks, filters and profiles do not apply.
//
// CurrentStateReasons adds to every node the reasons in progress under it: each in-progress
// instance of a ready, notReady or afterCallWork-role action (WaitForNextCall,
// NotReadyForNextCall, AfterCallWork) on the node's DNs — the DN itself, a place's DNs, the
// DNs an agent is logged in on; none for groups and tenants, whose children carry them —
// with its ReasonCode data ("" when absent), its DN and its start, ordered by start, then
// DN, then action. The reason may change while the status does not (e.g. a not-ready
// reason under a call).

// reasonRoles are the roles of the actions CurrentStateReasons reports.
var reasonRoles = action.RoleSetOf(action.RoleReady, action.RoleNotReady, action.RoleAfterCallWork)

// state builds the CurrentState tree of statistic s, with reasons for CurrentStateReasons.
func (e *Engine) state(s *stat, reasons bool) *State {
	return e.stateOf(s.obj, s.kind, reasons)
}

// stateOf builds the tree of object o; kind chooses a tenant's children.
func (e *Engine) stateOf(o int32, kind subjKind, reasons bool) *State {
	ob := &e.objs[o]
	st := &State{Type: ob.typ, ID: ob.id, Status: ob.status, Since: ob.since, Children: []State{}}
	var dns []int32 // the DNs whose reasons the node carries
	switch ob.typ {
	case object.TypeRegDN, object.TypeQueue, object.TypeRoutePoint:
		st.Reason = e.reason(ob)
		dns = []int32{o}
	case object.TypePlace:
		st.Reason = e.topReason(ob.dns)
		for _, d := range ob.dns {
			st.Children = append(st.Children, *e.stateOf(d, kind, reasons))
		}
		dns = ob.dns
	case object.TypeAgent:
		seen := map[int32]bool{}
		for _, l := range ob.logins {
			dns = append(dns, l.dn)
			p := e.objs[l.dn].place
			switch {
			case p == noObj:
				st.Children = append(st.Children, *e.stateOf(l.dn, kind, reasons))
			case !seen[p]:
				seen[p] = true
				st.Children = append(st.Children, *e.stateOf(p, kind, reasons))
			}
		}
		st.Reason = e.topReason(dns)
	default:
		st.Status, st.Since = action.None, e.t0
		var members []int32
		switch ob.typ {
		case object.TypeGroupAgents:
			members = ob.agents
		case object.TypeGroupPlaces:
			members = ob.places
		case object.TypeGroupQueues:
			members = ob.queues
		case object.TypeTenant:
			members = ob.places
			if kind == subjAgent {
				members = ob.agents
			}
		}
		for _, m := range members {
			st.Children = append(st.Children, *e.stateOf(m, kind, reasons))
		}
	}
	if reasons {
		st.Reasons = e.reasons(dns)
	}
	return st
}

// reasons lists the in-progress reason-role instances on dns (see above).
func (e *Engine) reasons(dns []int32) []StateReason {
	out := []StateReason{}
	for _, d := range dns {
		for _, ii := range e.objs[d].inprog {
			in := &e.insts[ii]
			if in.src != d || in.key.act.Roles()&reasonRoles == 0 {
				continue
			}
			r, _ := in.at.data.Get(reasonKey)
			out = append(out, StateReason{Action: in.key.act, Reason: r, DN: e.objs[d].id, Since: in.start})
		}
	}
	slices.SortFunc(out, func(a, b StateReason) int {
		switch {
		case a.Since != b.Since:
			return int(a.Since - b.Since)
		case a.DN != b.DN:
			if a.DN < b.DN {
				return -1
			}
			return 1
		}
		return int(a.Action) - int(b.Action)
	})
	return out
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
	r, _ := e.insts[top].at.data.Get(reasonKey)
	return r
}
