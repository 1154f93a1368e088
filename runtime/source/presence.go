package source

import (
	"sort"
	"strings"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/event"
)

// defaultSlot is the agent-wide pause a queue unpause lifts.
const defaultSlot = "pause"

// agentOf returns the state of the current record's agent, creating it.
func (m *Mapper) agentOf() (*agentState, *event.Rejection) {
	c := &m.cur
	a, ok := m.st.Agents[c.agent]
	if ok {
		return a, nil
	}
	if len(m.st.Agents) >= MaxAgents {
		return nil, reject(CodeTooMany, "the mapper keeps presence for %d agents; %s is one too many", MaxAgents, Clip(c.agent))
	}
	a = &agentState{Queues: map[string]*member{}, Holds: map[string]pause{}}
	m.st.Agents[c.agent] = a
	return a, nil
}

// reason is a pause operation's reason for the current record.
func (m *Mapper) reason(d gs.Data) string {
	switch d.Kind {
	case gs.DataField:
		v, _ := m.value(d.Field)
		return strings.ToValidUTF8(v, "\uFFFD")
	case gs.DataValue:
		return d.Value
	}
	return ""
}

// op applies one presence operation to the state.
func (m *Mapper) op(op *gs.Op) *event.Rejection {
	c := &m.cur
	switch op.Kind {
	case gs.OpClearCalls:
		m.clearCalls(op.Report)
		return nil
	case gs.OpClearSessions:
		for _, id := range sortedKeys(m.st.Agents) {
			m.st.Agents[id].Session = false
			m.settle(id)
		}
		return nil
	}
	a, rej := m.agentOf()
	if rej != nil {
		return rej
	}
	if !a.Login {
		a.DN = c.dn
	}
	switch op.Kind {
	case gs.OpLogin:
		a.Session = true
	case gs.OpLogout:
		a.Session = false
	case gs.OpJoin:
		if a.Queues[c.queue] == nil {
			a.Queues[c.queue] = &member{}
		}
	case gs.OpLeave:
		delete(a.Queues, c.queue)
	case gs.OpPause:
		r := m.reason(op.Reason)
		if op.All {
			if h, ok := a.Holds[op.Slot]; !ok || (r != "" && r != h.Reason) {
				m.st.Seq++
				a.Holds[op.Slot] = pause{Reason: r, Seq: m.st.Seq}
			}
		}
		for _, q := range m.scope(a, op.All) {
			mb := a.Queues[q]
			if mb.Paused && (r == "" || r == mb.Reason) {
				continue
			}
			m.st.Seq++
			mb.Paused, mb.Reason, mb.Seq = true, r, m.st.Seq
		}
	case gs.OpUnpause:
		slot := op.Slot
		if !op.All {
			slot = defaultSlot
		}
		delete(a.Holds, slot)
		for _, q := range m.scope(a, op.All) {
			mb := a.Queues[q]
			mb.Paused, mb.Reason = false, ""
		}
	}
	return nil
}

// scope lists the memberships a pause or unpause acts on: every one with all or for a
// record without a queue, else the record's queue when the agent is a member of it.
func (m *Mapper) scope(a *agentState, all bool) []string {
	q := m.cur.queue
	if all || q == "" {
		return sortedKeys(a.Queues)
	}
	if a.Queues[q] == nil {
		return nil
	}
	return []string{q}
}

// clearCalls ends every call action in progress, reporting report (when set and it occurs
// on the class) on the source of each, with the time the action had lasted.
func (m *Mapper) clearCalls(report action.ID) {
	c := &m.cur
	for _, ixn := range sortedKeys(m.st.Calls) {
		for _, oc := range m.st.Calls[ixn] {
			src := event.Source{Class: oc.Class, ID: oc.Source}
			c.out = append(c.out, event.Event{Time: c.t, Action: oc.Action, Phase: event.PhaseEnd, Source: src,
				Interaction: ixn, Media: m.f.Media, Agent: oc.Agent, Line: c.r.Line})
			if report != action.None && report.Sources().Has(oc.Class) {
				c.out = append(c.out, event.Event{Time: c.t, Action: m.row(report, false, src), Source: src,
					Interaction: ixn, Media: m.f.Media, Duration: max(0, int64(c.t-oc.Start)), Data: oc.Data, Line: c.r.Line})
			}
		}
	}
	clear(m.st.Calls)
}

// settle reports the presence actions agent id's state now calls for that differ from
// those in progress: ends first, then starts.
func (m *Mapper) settle(id string) *event.Rejection {
	a := m.st.Agents[id]
	if a == nil {
		return nil
	}
	p := &m.f.Presence
	c := &m.cur
	loggedIn := a.Session || len(a.Queues) > 0
	queues := sortedKeys(a.Queues)
	everywhere := len(a.Holds) > 0
	if !everywhere && len(queues) > 0 {
		everywhere = true
		for _, q := range queues {
			everywhere = everywhere && a.Queues[q].Paused
		}
	}
	reason, latest := "", uint64(0)
	for _, h := range a.Holds {
		if h.Seq >= latest {
			reason, latest = h.Reason, h.Seq
		}
	}
	for _, q := range queues {
		if mb := a.Queues[q]; mb.Paused && mb.Seq >= latest {
			reason, latest = mb.Reason, mb.Seq
		}
	}
	wantReady := loggedIn && !everywhere && p.Ready != action.None
	wantNotReady := loggedIn && everywhere && p.NotReady != action.None
	readyIn := func(q string) bool {
		mb := a.Queues[q]
		return mb != nil && !mb.Paused && len(a.Holds) == 0 && p.QueueReady != action.None
	}
	dn := event.Source{Class: object.ClassRegularDN, ID: a.DN}
	queue := func(q string) event.Source { return event.Source{Class: object.ClassMediationDN, ID: q} }
	put := func(act action.ID, ph event.Phase, src event.Source, data event.Data, dur int64) {
		c.out = append(c.out, event.Event{Time: c.t, Action: act, Phase: ph, Source: src, Agent: id, Data: data,
			Duration: dur, Line: c.r.Line})
	}
	// Ends.
	for _, q := range sortedKeys(a.ReadyIn) {
		if !readyIn(q) {
			put(p.QueueReady, event.PhaseEnd, queue(q), nil, 0)
			delete(a.ReadyIn, q)
		}
	}
	for _, q := range sortedKeys(a.InQueues) {
		if a.Queues[q] == nil {
			put(p.QueueLogin, event.PhaseEnd, queue(q), nil, 0)
			delete(a.InQueues, q)
		}
	}
	if a.Ready && !wantReady {
		put(p.Ready, event.PhaseEnd, dn, nil, 0)
		a.Ready = false
	}
	if a.NotReady && (!wantNotReady || a.Reason != reason) {
		put(p.NotReady, event.PhaseEnd, dn, nil, 0)
		a.NotReady, a.Reason = false, ""
	}
	if a.Login && !loggedIn {
		put(p.Login, event.PhaseEnd, dn, nil, 0)
		if p.Logout != action.None {
			put(p.Logout, event.PhaseNone, dn, nil, max(0, int64(c.t-a.LoginStart)))
		}
		a.Login, a.LoginStart = false, 0
	}
	// Starts.
	if !a.Login && loggedIn {
		put(p.Login, event.PhaseStart, dn, nil, 0)
		if p.LoginMoment != action.None {
			put(p.LoginMoment, event.PhaseNone, dn, nil, 0)
		}
		a.Login, a.LoginStart = true, c.t
	}
	if p.QueueLogin != action.None {
		for _, q := range queues {
			if !a.InQueues[q] {
				if a.InQueues == nil {
					a.InQueues = map[string]bool{}
				}
				put(p.QueueLogin, event.PhaseStart, queue(q), nil, 0)
				a.InQueues[q] = true
			}
		}
		for _, q := range queues {
			if readyIn(q) && !a.ReadyIn[q] {
				if a.ReadyIn == nil {
					a.ReadyIn = map[string]bool{}
				}
				put(p.QueueReady, event.PhaseStart, queue(q), nil, 0)
				a.ReadyIn[q] = true
			}
		}
	}
	if wantReady && !a.Ready {
		put(p.Ready, event.PhaseStart, dn, nil, 0)
		a.Ready = true
	}
	if wantNotReady && !a.NotReady {
		var data event.Data
		if reason != "" && p.ReasonKey != "" {
			data = event.Data{{Key: p.ReasonKey, Value: reason}}
		}
		put(p.NotReady, event.PhaseStart, dn, data, 0)
		a.NotReady, a.Reason = true, reason
	}
	if a.empty() {
		delete(m.st.Agents, id)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
