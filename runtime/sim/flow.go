package sim

import (
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/event"
)

// agentState is what an agent is doing.
type agentState uint8

const (
	agentOffline  agentState = iota // not logged in
	agentIdle                       // ready and waiting for a call (in the ready lists)
	agentReserved                   // chosen for a call the switch is routing to it
	agentRinging                    // a call rings at its DN
	agentTalking                    // connected to a caller (possibly on hold or consulting)
	agentACW                        // in after-call work
	agentNotReady                   // not ready, on a break
)

// agent is a simulated agent with its extension DN.
type agent struct {
	id       string
	src      event.Source // the agent's DN
	queues   []*queue     // the queues its groups serve, in queue order
	nodes    []readyNode  // its place in each served queue's ready list
	state    agentState
	ready    bool   // WaitForNextCall in progress
	listed   bool   // in the ready lists of its queues
	gen      uint32 // bumped at every break, to ignore stale break ends
	loginGen uint32 // bumped at every login, to ignore the break plans of an earlier login
	loginAt  int64
	// pendingLogin: a login is scheduled and has not happened yet.
	pendingLogin bool
	breakDue     bool // take a break after the current call
	logoutDue    bool // log out after the current call
	call         *call
}

// readyNode links an idle agent into one queue's ready list.
type readyNode struct {
	prev, next *readyNode
	a          *agent
	q          *queue
}

// queue is a simulated ACD queue.
type queue struct {
	id         string
	src        event.Source
	perMs      float64    // arrival rate, calls per millisecond
	head, tail *readyNode // idle agents serving it, longest idle first
	waiting    []*call    // calls in arrival order; abandoned ones are skipped lazily
	whead      int
}

// callState is where a call is.
type callState uint8

const (
	callWaiting callState = iota
	callRouted
	callAbandoned
	callRinging
	callConnected
)

// call is one customer call and its plan.
type call struct {
	id, consultID string
	q             *queue
	a             *agent
	data          event.Data
	state         callState
	arrive        int64
	distributed   int64
	answered      int64
	talk          int64 // connected time, hold included
	holdAt        int64 // 0 when the call is not held
	holdEnd       int64
	consult       bool
	dialAt        int64
	consultAt     int64
	consultEnd    int64
	acwStart      int64
}

// --- queue side -----------------------------------------------------------------------

// nextArrival schedules the next Poisson arrival at q, if before the end. Under a load
// profile the arrivals are a Poisson process whose rate follows the profile, drawn by
// thinning: candidates at the peak rate, each kept with probability factor/peak.
func (s *Sim) nextArrival(q *queue) {
	if q.perMs <= 0 {
		return
	}
	if s.load == nil || len(s.load.Profile) == 0 {
		t := s.now + max(1, int64(s.rng.ExpFloat64()/q.perMs))
		if t < s.end {
			s.at(t, hArrival, nil, nil, 0).q = q
		}
		return
	}
	peak := s.load.peak()
	t := s.now
	for {
		t += max(1, int64(s.rng.ExpFloat64()/(q.perMs*peak)))
		if t >= s.end {
			return
		}
		if s.rng.Float64()*peak < s.load.factorAt(t) {
			s.at(t, hArrival, nil, nil, 0).q = q
			return
		}
	}
}

// arrival brings a new call into q: it is routed to the longest-idle agent serving q,
// or waits with a patience.
func (s *Sim) arrival(q *queue) {
	s.nextArrival(q)
	s.calls++
	c := &call{id: interactionID(s.calls), q: q, arrive: s.now}
	c.data = s.segData[s.pick(len(segments), func(i int) float64 { return segments[i].weight })]
	s.emit(action.CallEntered, event.PhaseNone, q.src, c.id, 0, c.data)
	s.emit(action.CallWait, event.PhaseStart, q.src, c.id, 0, c.data)
	if q.head != nil {
		s.route(q.head.a, c)
		return
	}
	q.waiting = append(q.waiting, c)
	s.at(s.now+s.exponential(s.cfg.PatienceMean), hAbandon, nil, c, 0)
}

// firstWaiting returns the call that has waited longest at q, or nil.
func (q *queue) firstWaiting() *call {
	for q.whead < len(q.waiting) {
		if c := q.waiting[q.whead]; c.state == callWaiting {
			return c
		}
		q.waiting[q.whead] = nil
		q.whead++
	}
	q.waiting, q.whead = q.waiting[:0], 0
	return nil
}

// popWaiting removes the first waiting call of q (firstWaiting must have returned it).
func (q *queue) popWaiting() {
	q.waiting[q.whead] = nil
	q.whead++
	if q.whead > 64 && q.whead*2 > len(q.waiting) {
		n := copy(q.waiting, q.waiting[q.whead:])
		clear(q.waiting[n:])
		q.waiting, q.whead = q.waiting[:n], 0
	}
}

// abandon ends the wait of a caller whose patience ran out, unless the call was routed.
func (s *Sim) abandon(c *call) {
	if c.state != callWaiting {
		return
	}
	c.state = callAbandoned
	s.emit(action.CallWait, event.PhaseEnd, c.q.src, c.id, 0, c.data)
	s.emit(action.CallAbandoned, event.PhaseNone, c.q.src, c.id, s.now-c.arrive, c.data)
}

// route reserves agent a for call c; the switch delivers it after a short delay.
func (s *Sim) route(a *agent, c *call) {
	s.unlist(a)
	a.state, a.call = agentReserved, c
	c.state, c.a = callRouted, a
	s.at(s.now+s.uniform(routeDelayMin, routeDelayMax), hDistribute, nil, c, 0)
}

// --- call at the agent ----------------------------------------------------------------

// distribute takes the call out of its queue and rings the agent's DN.
func (s *Sim) distribute(c *call) {
	a := c.a
	c.state, c.distributed = callRinging, s.now
	a.state = agentRinging
	s.emit(action.CallWait, event.PhaseEnd, c.q.src, c.id, 0, c.data)
	s.emit(action.CallDistributed, event.PhaseNone, c.q.src, c.id, s.now-c.arrive, c.data)
	s.emit(action.CallRinging, event.PhaseStart, a.src, c.id, 0, c.data)
	s.emit(action.CallRingingStarted, event.PhaseNone, a.src, c.id, 0, c.data)
	s.at(s.now+s.uniform(s.cfg.RingMin, s.cfg.RingMax), hAnswer, nil, c, 0)
}

// answer connects the call and plans its talk, hold and consultation.
func (s *Sim) answer(c *call) {
	a, cfg := c.a, s.cfg
	c.state, c.answered = callConnected, s.now
	a.state = agentTalking
	s.emit(action.CallRinging, event.PhaseEnd, a.src, c.id, 0, c.data)
	s.emit(action.CallAnsweredRegularDNs, event.PhaseNone, a.src, c.id, s.now-c.distributed, c.data)
	s.emit(action.CallInbound, event.PhaseStart, a.src, c.id, 0, c.data)
	s.emit(action.CallInboundStarted, event.PhaseNone, a.src, c.id, 0, c.data)
	s.emit(action.CallAnsweredMediationDNs, event.PhaseNone, c.q.src, c.id, s.now-c.arrive, c.data)

	c.talk = s.lognormal(cfg.TalkMean, cfg.TalkSigma, 5000)
	const margin = 10_000 // the hold starts and ends at least 10 s inside the call
	var hold int64
	switch {
	case s.chance(cfg.ConsultProbability):
		c.consult = true
		dial := 500 + s.rng.Int64N(1501)                  // 0.5–2 s from hold to dialing
		ring := 2000 + s.rng.Int64N(4001)                 // 2–6 s dialing
		talk := s.uniform(cfg.ConsultMin, cfg.ConsultMax) // the consultation
		back := 1000 + s.rng.Int64N(2001)                 // 1–3 s to retrieve the caller
		hold = dial + ring + talk + back
		c.dialAt, c.consultAt, c.consultEnd = dial, dial+ring, dial+ring+talk
	case s.chance(cfg.HoldProbability):
		hold = s.uniform(cfg.HoldMin, cfg.HoldMax)
	}
	if hold > 0 && c.talk >= hold+2*margin {
		c.holdAt = s.now + margin + s.rng.Int64N(c.talk-hold-2*margin+1)
		c.holdEnd = c.holdAt + hold
		c.dialAt += c.holdAt
		c.consultAt += c.holdAt
		c.consultEnd += c.holdAt
		s.at(c.holdAt, hHoldStart, nil, c, 0)
		return
	}
	c.consult = false
	s.at(s.now+c.talk, hRelease, nil, c, 0)
}

// holdStart puts the caller on hold.
func (s *Sim) holdStart(c *call) {
	s.emit(action.CallOnHold, event.PhaseStart, c.a.src, c.id, 0, c.data)
	s.emit(action.CallHeld, event.PhaseNone, c.a.src, c.id, 0, c.data)
	if c.consult {
		s.at(c.dialAt, hDialStart, nil, c, 0)
		return
	}
	s.at(c.holdEnd, hHoldEnd, nil, c, 0)
}

// dialStart dials the consultation call.
func (s *Sim) dialStart(c *call) {
	c.consultID = c.id + ".1"
	s.emit(action.CallDialing, event.PhaseStart, c.a.src, c.consultID, 0, c.data)
	s.emit(action.CallDialingStarted, event.PhaseNone, c.a.src, c.consultID, 0, c.data)
	s.at(c.consultAt, hConsultStart, nil, c, 0)
}

// consultStart connects the consultation call.
func (s *Sim) consultStart(c *call) {
	src := c.a.src
	s.emit(action.CallDialing, event.PhaseEnd, src, c.consultID, 0, c.data)
	s.emit(action.CallDialed, event.PhaseNone, src, c.consultID, c.consultAt-c.dialAt, c.data)
	s.emit(action.CallConsult, event.PhaseStart, src, c.consultID, 0, c.data)
	s.emit(action.CallConsultStarted, event.PhaseNone, src, c.consultID, 0, c.data)
	s.emit(action.CallConsultOriginated, event.PhaseStart, src, c.consultID, 0, c.data)
	s.at(c.consultEnd, hConsultEnd, nil, c, 0)
}

// consultEnd releases the consultation call.
func (s *Sim) consultEnd(c *call) {
	src := c.a.src
	s.emit(action.CallConsult, event.PhaseEnd, src, c.consultID, 0, c.data)
	s.emit(action.CallConsultOriginated, event.PhaseEnd, src, c.consultID, 0, c.data)
	s.emit(action.CallConsultCompleted, event.PhaseNone, src, c.consultID, c.consultEnd-c.consultAt, c.data)
	s.at(c.holdEnd, hHoldEnd, nil, c, 0)
}

// holdEnd retrieves the caller from hold.
func (s *Sim) holdEnd(c *call) {
	s.emit(action.CallOnHold, event.PhaseEnd, c.a.src, c.id, 0, c.data)
	s.emit(action.CallRetrievedFromHold, event.PhaseNone, c.a.src, c.id, c.holdEnd-c.holdAt, c.data)
	s.at(c.answered+c.talk, hRelease, nil, c, 0)
}

// release ends the call; the agent goes into after-call work.
func (s *Sim) release(c *call) {
	a := c.a
	s.emit(action.CallInbound, event.PhaseEnd, a.src, c.id, 0, c.data)
	s.emit(action.CallInboundCompleted, event.PhaseNone, a.src, c.id, s.now-c.answered, c.data)
	s.emit(action.CallReleasedMediationDNs, event.PhaseNone, c.q.src, c.id, s.now-c.answered, c.data)
	s.endReady(a)
	a.state = agentACW
	c.acwStart = s.now
	s.emit(action.AfterCallWork, event.PhaseStart, a.src, "", 0, nil)
	s.at(s.now+s.lognormal(s.cfg.ACWMean, 0.5, 1000), hACWEnd, a, nil, 0)
}

// acwEnd ends after-call work: the agent logs out, takes a due break or goes ready.
func (s *Sim) acwEnd(a *agent) {
	c := a.call
	a.call = nil
	s.emit(action.AfterCallWork, event.PhaseEnd, a.src, "", 0, nil)
	s.emit(action.ACWCompleted, event.PhaseNone, c.q.src, c.id, s.now-c.acwStart, c.data)
	switch {
	case a.logoutDue:
		s.logout(a)
	case a.breakDue:
		s.startBreak(a)
	default:
		s.becomeReady(a)
	}
}

// --- agent states ---------------------------------------------------------------------

// login logs the agent in on its DN and makes it ready.
func (s *Sim) login(a *agent) {
	a.pendingLogin = false
	if a.state != agentOffline {
		return
	}
	a.loginGen++
	a.loginAt = s.now
	s.emitAgent(action.LoggedIn, event.PhaseStart, a, 0)
	s.emitAgent(action.AgentLoginRegularDNs, event.PhaseNone, a, 0)
	s.planBreak(a)
	s.becomeReady(a)
}

// logoutDue logs the agent out now, or after its current call.
func (s *Sim) logoutDue(a *agent) {
	switch a.state {
	case agentOffline:
	case agentIdle, agentNotReady:
		s.logout(a)
	default:
		a.logoutDue = true
	}
}

// logout ends every durable action in progress on the agent's DN and logs it out.
func (s *Sim) logout(a *agent) {
	s.unlist(a)
	s.endReady(a)
	if a.state == agentNotReady {
		s.emit(action.NotReadyForNextCall, event.PhaseEnd, a.src, "", 0, nil)
	}
	a.state, a.logoutDue, a.breakDue = agentOffline, false, false
	a.gen++
	s.emitAgent(action.AgentLogout, event.PhaseNone, a, s.now-a.loginAt)
	s.emitAgent(action.LoggedIn, event.PhaseEnd, a, 0)
}

// becomeReady starts WaitForNextCall and gives the agent the longest-waiting call of
// its queues, or lists it as idle.
func (s *Sim) becomeReady(a *agent) {
	s.emit(action.WaitForNextCall, event.PhaseStart, a.src, "", 0, nil)
	a.ready = true
	a.state = agentIdle
	var best *queue
	var first *call
	for _, q := range a.queues {
		if c := q.firstWaiting(); c != nil && (first == nil || c.arrive < first.arrive) {
			best, first = q, c
		}
	}
	if first != nil {
		best.popWaiting()
		s.route(a, first)
		return
	}
	s.list(a)
}

// endReady ends WaitForNextCall if it is in progress.
func (s *Sim) endReady(a *agent) {
	if a.ready {
		a.ready = false
		s.emit(action.WaitForNextCall, event.PhaseEnd, a.src, "", 0, nil)
	}
}

// planBreak schedules the agent's next not-ready period.
func (s *Sim) planBreak(a *agent) {
	if s.cfg.BreaksPerHour > 0 {
		mean := float64(60*60*1000) / s.cfg.BreaksPerHour
		s.at(s.now+max(1, int64(s.rng.ExpFloat64()*mean)), hBreakDue, a, nil, a.loginGen)
	}
}

// breakDue sends an idle agent on a break, or marks one due after the current call. A
// break planned during an earlier login (the agent logged out and in since) is dropped.
func (s *Sim) breakDue(a *agent, gen uint32) {
	if gen != a.loginGen {
		return
	}
	switch a.state {
	case agentOffline, agentNotReady:
	case agentIdle:
		s.startBreak(a)
	default:
		a.breakDue = true
	}
}

// startBreak makes the agent not ready with a reason.
func (s *Sim) startBreak(a *agent) {
	s.unlist(a)
	s.endReady(a)
	a.state, a.breakDue = agentNotReady, false
	a.gen++
	r := s.pick(len(breakReasons), func(i int) float64 { return breakReasons[i].weight })
	s.emit(action.NotReadyForNextCall, event.PhaseStart, a.src, "", 0, s.reasonData[r])
	s.at(s.now+s.uniform(breakReasons[r].min, breakReasons[r].max), hBreakEnd, a, nil, a.gen)
}

// breakEnd makes the agent ready again, unless the break was already ended by a logout.
func (s *Sim) breakEnd(a *agent, gen uint32) {
	if a.state != agentNotReady || a.gen != gen {
		return
	}
	s.emit(action.NotReadyForNextCall, event.PhaseEnd, a.src, "", 0, nil)
	s.planBreak(a)
	s.becomeReady(a)
}

// --- staffing ---------------------------------------------------------------------

// staffing reports whether logins follow the load (Load.MinStaff).
func (s *Sim) staffing() bool { return s.load != nil && s.load.MinStaff > 0 }

// staff brings the agents logged in to the number the load asks for now: the first n
// agents are on shift; those after them log out (after their call), those before them
// that are out log in within half a minute, and one about to leave after its call stays.
func (s *Sim) staff() {
	n := s.load.staffAt(s.now, len(s.agents))
	for i, a := range s.agents {
		switch {
		case i < n && a.state == agentOffline && !a.pendingLogin:
			a.pendingLogin = true
			s.at(s.now+s.uniform(0, 30*time.Second), hLogin, a, nil, 0)
		case i < n:
			a.logoutDue = false
		case a.state != agentOffline && !a.logoutDue:
			s.logoutDue(a)
		}
	}
	s.at(s.now+s.load.StaffStep.Milliseconds(), hStaff, nil, nil, 0)
}

// --- ready lists ----------------------------------------------------------------------

// list appends an idle agent to the ready list of every queue it serves: the lists stay
// in the order agents became idle, so each head is the longest-idle agent.
func (s *Sim) list(a *agent) {
	a.listed = true
	for i := range a.nodes {
		n := &a.nodes[i]
		q := n.q
		n.prev, n.next = q.tail, nil
		if q.tail != nil {
			q.tail.next = n
		} else {
			q.head = n
		}
		q.tail = n
	}
}

// unlist removes an agent from the ready lists, if it is in them.
func (s *Sim) unlist(a *agent) {
	if !a.listed {
		return
	}
	a.listed = false
	for i := range a.nodes {
		n := &a.nodes[i]
		q := n.q
		if n.prev != nil {
			n.prev.next = n.next
		} else {
			q.head = n.next
		}
		if n.next != nil {
			n.next.prev = n.prev
		} else {
			q.tail = n.prev
		}
		n.prev, n.next = nil, nil
	}
}
