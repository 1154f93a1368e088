// Package sim simulates a contact center and produces its stream of Stat Server actions:
// agents log in (staggered over the first minutes), go ready and not ready with reason
// codes, take calls routed from ACD queues (Poisson arrivals per queue, longest-idle
// agent first), ring, talk, put callers on hold, consult, do after-call work and log out;
// callers who wait longer than their patience abandon.
//
// The simulation is a discrete-event simulation in event time, driven by a priority
// queue and one PCG random source seeded from Config.Seed: the same Config always gives
// the same events, and no wall clock is read (except by Paced, which exists to read it).
// Events come out one at a time in nondecreasing time order (Sim.Next), generated as
// they are needed, so memory stays bounded by the agents and the calls in progress.
//
// The action flow of one answered call, all events of one call carrying its interaction
// id "c-N", media "voice" and data {"Segment": Gold|Silver|Bronze}:
//
//	queue Qn@SW1: CallEntered, CallWait start
//	              … CallWait end, CallDistributed (duration = wait)
//	agent DN:     CallRinging start, CallRingingStarted
//	              … CallRinging end, CallAnswered (duration = ringing),
//	                CallInbound start, CallInboundStarted
//	queue:        CallAnswered (duration = queue entry to answer)
//	agent DN:     [CallOnHold start, CallHeld … CallOnHold end, CallRetrievedFromHold]
//	              … CallInbound end, CallInboundCompleted (duration = connected time)
//	queue:        CallReleased (duration = connected time)
//	agent DN:     WaitForNextCall end, AfterCallWork start … AfterCallWork end
//	queue:        ACWCompleted (duration = after-call work)
//
// An abandoned call ends with CallWait end and CallAbandoned (duration = wait) on its
// queue. A consultation happens while the customer is on hold, on the agent DN with its
// own interaction id "c-N.1": CallDialing start, CallDialingStarted … CallDialing end,
// CallDialed, CallConsult start, CallConsultStarted, CallConsultOriginated start …
// CallConsult end, CallConsultOriginated end, CallConsultCompleted.
//
// Agent states follow T-Server: LoggedIn start (with the agent) and AgentLogin at
// login; WaitForNextCall from the agent becoming ready until its next agent-state change
// (after-call work, not ready, logout) — it stays in progress while the agent rings and
// talks, as T-Server keeps the agent Ready during a call, and statuses rank the call
// above it; NotReadyForNextCall with data {"ReasonCode": Break|Training|Lunch};
// AfterCallWork after every call; at logout every durable action in progress on the DN
// ends, then AgentLogout (duration = login session) and LoggedIn end.
package sim

import (
	"container/heap"
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// Media is the media type of simulated calls.
const Media = "voice"

// Data keys the simulator attaches.
const (
	// SegmentKey is the call data key of the customer segment (Gold, Silver, Bronze).
	SegmentKey = "Segment"
	// ReasonKey is the not-ready data key of the reason (Break, Training, Lunch).
	ReasonKey = "ReasonCode"
)

// Sim is one running simulation. It is not safe for concurrent use.
type Sim struct {
	cfg        Config
	rng        *rand.Rand
	now, end   int64 // milliseconds since the Unix epoch
	seq        uint64
	hq         hqueue
	free       []*happening
	agents     []*agent
	queues     []*queue
	calls      int
	out        []event.Event
	head       int
	done       bool
	segData    [len(segments)]event.Data
	reasonData [len(breakReasons)]event.Data
	// load is the config's Load when it is active, nil otherwise (the constant-rate
	// simulation, whose events must not change).
	load *Load
}

// New returns a simulation of cfg (defaults applied), positioned before its first event.
func New(cfg Config) (*Sim, error) {
	c := cfg.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	start := c.Start.UnixMilli()
	s := &Sim{
		cfg: c,
		rng: rand.New(rand.NewPCG(c.Seed, 0x5354_4154_4b49_5453)), // "STATKITS"
		now: start,
		end: start + c.Duration.Milliseconds(),
	}
	for i, sg := range segments {
		s.segData[i] = event.Data{{Key: SegmentKey, Value: sg.name}}
	}
	for i, r := range breakReasons {
		s.reasonData[i] = event.Data{{Key: ReasonKey, Value: r.code}}
	}
	if c.Load.active() {
		s.load = &s.cfg.Load
	}
	s.build()
	s.schedule()
	return s, nil
}

// Config returns the configuration the simulation runs, defaults applied.
func (s *Sim) Config() Config { return s.cfg }

// build creates the agents and queues of Topology(cfg) and the queues' arrival rates.
func (s *Sim) build() {
	c, nm := s.cfg, newNaming(s.cfg.Agents)
	for q := range c.Queues {
		id := queueID(q)
		s.queues = append(s.queues, &queue{id: id, src: event.Source{Class: object.ClassMediationDN, ID: id}})
	}
	weights := make([]float64, c.Queues)
	for i := range c.Agents {
		a := &agent{id: nm.agent(i), src: event.Source{Class: object.ClassRegularDN, ID: nm.dn(i)}}
		groups := agentGroups(i, c.Groups)
		for q := range c.Queues {
			for _, g := range groups {
				if serves(g, q, c.Groups, c.Queues) {
					a.queues = append(a.queues, s.queues[q])
					break
				}
			}
		}
		a.nodes = make([]readyNode, len(a.queues))
		for k, q := range a.queues {
			a.nodes[k] = readyNode{a: a, q: q}
			weights[s.indexOf(q)] += 1 / float64(len(a.queues))
		}
		s.agents = append(s.agents, a)
	}
	if s.load != nil {
		for q := range weights {
			weights[q] *= s.load.share(q)
		}
	}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	for q, w := range weights {
		s.queues[q].perMs = c.Rate * w / total / float64(time.Minute/time.Millisecond)
	}
}

// indexOf returns the index of q in s.queues.
func (s *Sim) indexOf(q *queue) int {
	for i, x := range s.queues {
		if x == q {
			return i
		}
	}
	return -1
}

// schedule plans the logins, the logouts near the end and the first arrivals; with
// staffing (Load.MinStaff), only the agents on shift at the start log in, and the
// staffing checks begin.
func (s *Sim) schedule() {
	c := s.cfg
	onShift := len(s.agents)
	if s.staffing() {
		onShift = s.load.staffAt(s.now, len(s.agents))
		s.at(s.now+c.Load.StaffStep.Milliseconds(), hStaff, nil, nil, 0)
	}
	for i, a := range s.agents {
		if i >= onShift {
			continue
		}
		a.pendingLogin = true
		login := s.now + s.uniform(0, c.LoginSpread)
		s.at(login, hLogin, a, nil, 0)
		if c.LogoutFraction > 0 && s.rng.Float64() < c.LogoutFraction {
			logout := s.end - 1 - s.uniform(0, c.LogoutWindow)
			if logout > login {
				s.at(logout, hLogoutDue, a, nil, 0)
			}
		}
	}
	for _, q := range s.queues {
		s.nextArrival(q)
	}
}

// Next returns the next event in time order, and false when the simulation has reached
// Start+Duration. Durable actions still in progress then are left open. Events share
// their Data slices: do not modify them.
func (s *Sim) Next() (event.Event, bool) {
	for s.head >= len(s.out) {
		s.out, s.head = s.out[:0], 0
		if !s.step() {
			return event.Event{}, false
		}
	}
	e := s.out[s.head]
	s.head++
	return e, true
}

// Run calls fn with every event in order until the simulation ends, fn fails or ctx is
// done; it returns fn's error or ctx's.
func (s *Sim) Run(ctx context.Context, fn func(event.Event) error) error {
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		e, ok := s.Next()
		if !ok {
			return nil
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// step runs the earliest happening, which emits zero or more events; it reports false
// when nothing is left before the end.
func (s *Sim) step() bool {
	if s.done || len(s.hq) == 0 || s.hq[0].at >= s.end {
		s.done = true
		return false
	}
	h := heap.Pop(&s.hq).(*happening)
	s.now = h.at
	kind, a, c, q, gen := h.kind, h.a, h.c, h.q, h.gen
	*h = happening{}
	s.free = append(s.free, h)
	switch kind {
	case hArrival:
		s.arrival(q)
	case hAbandon:
		s.abandon(c)
	case hDistribute:
		s.distribute(c)
	case hAnswer:
		s.answer(c)
	case hHoldStart:
		s.holdStart(c)
	case hDialStart:
		s.dialStart(c)
	case hConsultStart:
		s.consultStart(c)
	case hConsultEnd:
		s.consultEnd(c)
	case hHoldEnd:
		s.holdEnd(c)
	case hRelease:
		s.release(c)
	case hACWEnd:
		s.acwEnd(a)
	case hLogin:
		s.login(a)
	case hLogoutDue:
		s.logoutDue(a)
	case hBreakDue:
		s.breakDue(a, gen)
	case hBreakEnd:
		s.breakEnd(a, gen)
	case hStaff:
		s.staff()
	}
	return true
}

// hkind is what a happening does.
type hkind uint8

const (
	hArrival hkind = iota
	hAbandon
	hDistribute
	hAnswer
	hHoldStart
	hDialStart
	hConsultStart
	hConsultEnd
	hHoldEnd
	hRelease
	hACWEnd
	hLogin
	hLogoutDue
	hBreakDue
	hBreakEnd
	hStaff
)

// happening is a scheduled change of the simulated world.
type happening struct {
	at   int64
	seq  uint64 // scheduling order: ties run first-scheduled first
	kind hkind
	gen  uint32
	a    *agent
	c    *call
	q    *queue
}

// hqueue is the priority queue of happenings, earliest (then first scheduled) first.
type hqueue []*happening

func (h hqueue) Len() int { return len(h) }
func (h hqueue) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h hqueue) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *hqueue) Push(x any)   { *h = append(*h, x.(*happening)) }
func (h *hqueue) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

// at schedules a happening at time t (milliseconds), reusing a freed one.
func (s *Sim) at(t int64, kind hkind, a *agent, c *call, gen uint32) *happening {
	var h *happening
	if n := len(s.free); n > 0 {
		h, s.free = s.free[n-1], s.free[:n-1]
	} else {
		h = new(happening)
	}
	s.seq++
	*h = happening{at: t, seq: s.seq, kind: kind, gen: gen, a: a, c: c}
	heap.Push(&s.hq, h)
	return h
}

// emit appends an event at the current time. Interaction-related actions carry media.
func (s *Sim) emit(id action.ID, ph event.Phase, src event.Source, ixn string, dur int64, data event.Data) {
	e := event.Event{Time: event.Time(s.now), Action: id, Phase: ph, Source: src, Interaction: ixn, Duration: dur, Data: data}
	if id.IsInteraction() {
		e.Media = Media
	}
	s.out = append(s.out, e)
}

// emitAgent appends an event naming the agent.
func (s *Sim) emitAgent(id action.ID, ph event.Phase, a *agent, dur int64) {
	s.emit(id, ph, a.src, "", dur, nil)
	s.out[len(s.out)-1].Agent = a.id
}

// uniform returns a uniform duration in [lo, hi], in milliseconds.
func (s *Sim) uniform(lo, hi time.Duration) int64 {
	l, h := lo.Milliseconds(), hi.Milliseconds()
	if h <= l {
		return l
	}
	return l + s.rng.Int64N(h-l+1)
}

// lognormal returns a lognormal duration with the given mean and shape, in
// milliseconds, at least floor.
func (s *Sim) lognormal(mean time.Duration, sigma float64, floor int64) int64 {
	mu := math.Log(float64(mean.Milliseconds())) - sigma*sigma/2
	return max(floor, int64(math.Exp(mu+sigma*s.rng.NormFloat64())))
}

// exponential returns an exponential duration with the given mean, in milliseconds, at
// least 1.
func (s *Sim) exponential(mean time.Duration) int64 {
	return max(1, int64(s.rng.ExpFloat64()*float64(mean.Milliseconds())))
}

// chance reports true with probability p (never for p <= 0).
func (s *Sim) chance(p float64) bool { return p > 0 && s.rng.Float64() < p }

// pick returns an index drawn with the given weights (which sum to 1).
func (s *Sim) pick(n int, weight func(int) float64) int {
	u := s.rng.Float64()
	for i := range n - 1 {
		if u -= weight(i); u < 0 {
			return i
		}
	}
	return n - 1
}

// interactionID returns "c-N".
func interactionID(n int) string { return "c-" + strconv.Itoa(n) }
