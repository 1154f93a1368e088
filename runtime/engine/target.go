package engine

import (
	"fmt"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
)

// CurrentTargetState: the routing-target view of CurrentState.
//
// The tree is CurrentState's (see state.go), and every node says whether its object can
// take an interaction now (available) and why:
//
//   - a DN, a place or an agent is available when its status is a ready-role action
//     (WaitForNextCall): why is "ready"; otherwise why is "logged out" (the loggedOut
//     status of an agent logged in nowhere), "not ready" (a notReady-role status; the
//     node's reason has the ReasonCode), "logged in, not ready" (logged in with no other
//     status), "after-call work", "busy" (any other status: a call, ringing, dialing, …)
//     or "no status" (nothing in progress);
//   - a group or a tenant is available when one of its members is: why is "N of M
//     available".
//
// Masks, filters and profiles do not apply, as for CurrentState.

// targetState builds the CurrentTargetState tree of statistic s.
func (e *Engine) targetState(s *stat) *State {
	st := e.stateOf(s.obj, s.kind, false)
	markTargets(st)
	return st
}

// markTargets sets the target fields of st and its children.
func markTargets(st *State) {
	st.Target = true
	for i := range st.Children {
		markTargets(&st.Children[i])
	}
	switch st.Type {
	case object.TypeGroupAgents, object.TypeGroupPlaces, object.TypeGroupQueues, object.TypeTenant:
		n := 0
		for i := range st.Children {
			if st.Children[i].Available {
				n++
			}
		}
		st.Available, st.Why = n > 0, fmt.Sprintf("%d of %d available", n, len(st.Children))
	default:
		st.Available, st.Why = statusTarget(st.Status)
	}
}

// statusTarget says whether an object with status a is available, and why.
func statusTarget(a action.ID) (bool, string) {
	switch {
	case !a.Valid():
		return false, "no status"
	case a.HasRole(action.RoleReady):
		return true, "ready"
	case a.HasRole(action.RoleLoggedOut):
		return false, "logged out"
	case a.HasRole(action.RoleLogin):
		return false, "logged in, not ready"
	case a.HasRole(action.RoleNotReady):
		return false, "not ready"
	case a.HasRole(action.RoleAfterCallWork):
		return false, "after-call work"
	}
	return false, "busy"
}
