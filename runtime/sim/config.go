package sim

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
)

// DefaultStart returns the simulated time a simulation starts at when Config.Start is
// zero: 2026-11-26T08:00:00Z.
func DefaultStart() time.Time { return time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC) }

// Config describes a simulated contact center and how its agents and callers behave.
//
// Every zero field takes the default documented next to it (WithDefaults). A negative
// HoldProbability, ConsultProbability, BreaksPerHour or LogoutFraction turns that
// behaviour off; a negative LoginSpread logs every agent in at Start, a negative
// LogoutWindow logs the leaving agents out just before the end.
type Config struct {
	// Agents is the number of agents, each with one place and one extension DN (default 50).
	Agents int
	// Queues is the number of ACD queues calls arrive at (default 4).
	Queues int
	// Groups is the number of skill groups of agents (default: Queues, at most Agents).
	// Each group serves at least one queue and each queue is served by at least one group.
	Groups int
	// Rate is the total call arrival rate in calls per minute, split over the queues in
	// proportion to the agents serving them (default: the rate that keeps the available
	// agents Occupancy busy).
	Rate float64
	// Start is the simulated time of the first instant (default DefaultStart). It is
	// truncated to the millisecond.
	Start time.Time
	// Duration is the simulated span; nothing happens at or after Start+Duration
	// (default 8h).
	Duration time.Duration
	// Seed selects the random sequence: one Config and Seed always give the same events.
	Seed uint64
	// Tenant is the tenant of every object (default config.DefaultTenant).
	Tenant string

	// Occupancy is the target share of available agent time spent on calls, used only to
	// derive the default Rate (default 0.85).
	Occupancy float64
	// TalkMean is the mean connected time of a call, hold included (default 240s); talk
	// times are lognormal with shape TalkSigma (default 0.5).
	TalkMean  time.Duration
	TalkSigma float64
	// ACWMean is the mean after-call work time (default 30s), lognormal with shape 0.5.
	ACWMean time.Duration
	// RingMin and RingMax bound the uniform ringing time (default 3s to 10s).
	RingMin, RingMax time.Duration
	// HoldProbability is the chance a call is put on hold once (default 0.15); the hold
	// lasts HoldMin to HoldMax (default 20s to 60s).
	HoldProbability  float64
	HoldMin, HoldMax time.Duration
	// ConsultProbability is the chance the agent places a consultation call while the
	// customer is on hold (default 0.05); the consultation lasts ConsultMin to ConsultMax
	// (default 20s to 90s).
	ConsultProbability     float64
	ConsultMin, ConsultMax time.Duration
	// PatienceMean is the mean of the callers' exponential patience in queue (default
	// 90s); a caller still waiting when it runs out abandons.
	PatienceMean time.Duration
	// BreaksPerHour is how often an agent goes not ready, per logged-in hour (default 2).
	// The reason is Break (1–5 min, 85%), Training (10–20 min, 10%) or Lunch (20–40 min, 5%).
	BreaksPerHour float64
	// LoginSpread staggers the agents' logins over the first minutes (default 5m, at
	// most a quarter of Duration).
	LoginSpread time.Duration
	// LogoutFraction of the agents log out during the last LogoutWindow of the run
	// (default 0.3 and 15m, the window at most a quarter of Duration).
	LogoutFraction float64
	LogoutWindow   time.Duration

	// Load shapes the arrival rate over time, splits it unevenly over the queues and makes
	// staffing follow it late (see Load; DemoLoad is the demo's). The zero Load changes
	// nothing: a constant rate, every agent logged in once.
	Load Load
}

// Defaults of Config.
const (
	DefaultAgents             = 50
	DefaultQueues             = 4
	DefaultDuration           = 8 * time.Hour
	DefaultOccupancy          = 0.85
	DefaultTalkMean           = 240 * time.Second
	DefaultTalkSigma          = 0.5
	DefaultACWMean            = 30 * time.Second
	DefaultRingMin            = 3 * time.Second
	DefaultRingMax            = 10 * time.Second
	DefaultHoldProbability    = 0.15
	DefaultHoldMin            = 20 * time.Second
	DefaultHoldMax            = 60 * time.Second
	DefaultConsultProbability = 0.05
	DefaultConsultMin         = 20 * time.Second
	DefaultConsultMax         = 90 * time.Second
	DefaultPatienceMean       = 90 * time.Second
	DefaultBreaksPerHour      = 2
	DefaultLoginSpread        = 5 * time.Minute
	DefaultLogoutFraction     = 0.3
	DefaultLogoutWindow       = 15 * time.Minute
)

// routeDelay bounds the time the switch takes to route a call to a ready agent.
const (
	routeDelayMin = 200 * time.Millisecond
	routeDelayMax = 1000 * time.Millisecond
)

// breakReason is one kind of not-ready period.
type breakReason struct {
	code     string
	weight   float64
	min, max time.Duration
}

// breakReasons are the not-ready reasons, their shares and lengths.
var breakReasons = [...]breakReason{
	{"Break", 0.85, 1 * time.Minute, 5 * time.Minute},
	{"Training", 0.10, 10 * time.Minute, 20 * time.Minute},
	{"Lunch", 0.05, 20 * time.Minute, 40 * time.Minute},
}

// segments are the customer segments attached to calls and their shares.
var segments = [...]struct {
	name   string
	weight float64
}{{"Gold", 0.2}, {"Silver", 0.3}, {"Bronze", 0.5}}

// WithDefaults returns c with every zero field set to its default, and Rate derived
// from the others when zero.
func (c Config) WithDefaults() Config {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setF := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	setInt(&c.Agents, DefaultAgents)
	setInt(&c.Queues, DefaultQueues)
	if c.Groups == 0 {
		c.Groups = min(c.Queues, max(c.Agents, 1))
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart()
	}
	c.Start = c.Start.Truncate(time.Millisecond).UTC()
	setDur(&c.Duration, DefaultDuration)
	if c.Tenant == "" {
		c.Tenant = config.DefaultTenant
	}
	setF(&c.Occupancy, DefaultOccupancy)
	setDur(&c.TalkMean, DefaultTalkMean)
	setF(&c.TalkSigma, DefaultTalkSigma)
	setDur(&c.ACWMean, DefaultACWMean)
	setDur(&c.RingMin, DefaultRingMin)
	setDur(&c.RingMax, DefaultRingMax)
	setF(&c.HoldProbability, DefaultHoldProbability)
	setDur(&c.HoldMin, DefaultHoldMin)
	setDur(&c.HoldMax, DefaultHoldMax)
	setF(&c.ConsultProbability, DefaultConsultProbability)
	setDur(&c.ConsultMin, DefaultConsultMin)
	setDur(&c.ConsultMax, DefaultConsultMax)
	setDur(&c.PatienceMean, DefaultPatienceMean)
	setF(&c.BreaksPerHour, DefaultBreaksPerHour)
	setDur(&c.LoginSpread, DefaultLoginSpread)
	setF(&c.LogoutFraction, DefaultLogoutFraction)
	setDur(&c.LogoutWindow, DefaultLogoutWindow)
	c.LoginSpread = min(c.LoginSpread, c.Duration/4)
	c.LogoutWindow = min(c.LogoutWindow, c.Duration/4)
	if c.Rate == 0 {
		c.Rate = c.autoRate()
	}
	c.Load = c.Load.withDefaults()
	return c
}

// autoRate is the arrival rate (calls per minute) that keeps the agents that are not on
// a break Occupancy busy.
func (c Config) autoRate() float64 {
	handle := (c.RingMin+c.RingMax)/2 + c.TalkMean + c.ACWMean + (routeDelayMin+routeDelayMax)/2
	breakMean := 0.0
	for _, r := range breakReasons {
		breakMean += r.weight * float64(r.min+r.max) / 2
	}
	notReady := 0.0
	if c.BreaksPerHour > 0 {
		notReady = min(c.BreaksPerHour*breakMean/float64(time.Hour), 0.9)
	}
	return c.Occupancy * float64(c.Agents) * (1 - notReady) * float64(time.Minute) / float64(handle)
}

// Validate reports what makes c unusable, after defaults (call it on WithDefaults()).
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.Agents > 0, "agents must be positive, not %d", c.Agents)
	check(c.Queues > 0, "queues must be positive, not %d", c.Queues)
	check(c.Groups > 0 && c.Groups <= c.Agents, "groups must be between 1 and the number of agents (%d), not %d", c.Agents, c.Groups)
	check(c.Rate > 0, "rate must be positive, not %g", c.Rate)
	check(c.Duration > 0, "duration must be positive, not %s", c.Duration)
	check(c.Occupancy > 0, "occupancy must be positive, not %g", c.Occupancy)
	check(c.TalkMean > 0 && c.TalkSigma > 0, "talk time mean and shape must be positive")
	check(c.ACWMean > 0, "after-call work mean must be positive, not %s", c.ACWMean)
	check(c.PatienceMean > 0, "patience mean must be positive, not %s", c.PatienceMean)
	for _, r := range []struct {
		name     string
		min, max time.Duration
	}{{"ringing", c.RingMin, c.RingMax}, {"hold", c.HoldMin, c.HoldMax}, {"consultation", c.ConsultMin, c.ConsultMax}} {
		check(r.min > 0 && r.min <= r.max, "%s time must satisfy 0 < min (%s) <= max (%s)", r.name, r.min, r.max)
	}
	if c.Load.active() {
		if err := c.Load.validate(c.Queues); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// naming gives the ids of the simulated objects.
type naming struct{ unit int }

// newNaming numbers agents from unit+1 and extension DNs from 7*unit+1, with unit a power
// of ten large enough that the two ranges never meet: agents "1001".., DNs "7001".. for up
// to 5,000 agents, "10001".. and "70001".. up to 50,000, and so on.
func newNaming(agents int) naming {
	unit := 1000
	for agents > 5*unit {
		unit *= 10
	}
	return naming{unit}
}

func (n naming) agent(i int) string { return strconv.Itoa(n.unit + 1 + i) }
func (n naming) dn(i int) string    { return strconv.Itoa(7*n.unit + 1 + i) }
func (n naming) place(i int) string { return "P" + n.agent(i) }

// queueID is the id of queue q (0-based): "Q1@SW1"...
func queueID(q int) string { return "Q" + strconv.Itoa(q+1) + "@SW1" }

// groupID is the id of agent group g (0-based): "Group1"...
func groupID(g int) string { return "Group" + strconv.Itoa(g+1) }

// placeGroupID is the id of the place group mirroring agent group g: "PlaceGroup1"...
func placeGroupID(g int) string { return "PlaceGroup" + strconv.Itoa(g+1) }

// AllQueuesGroup is the id of the queue group that holds every queue.
const AllQueuesGroup = "AllQueues"

// agentGroups returns the skill groups of agent i: its primary group i mod G, and for
// every other agent a second group. The assignment depends only on the counts, not on
// the seed, so one topology fits the events of every seed.
func agentGroups(i, groups int) []int {
	g := i % groups
	if groups == 1 || i%2 == 0 {
		return []int{g}
	}
	second := (g + 1 + (i/groups)%(groups-1)) % groups
	return []int{g, second}
}

// serves reports whether agent group g serves queue q: group g serves queue g mod Q and
// queue q is served by group q mod G.
func serves(g, q, groups, queues int) bool {
	return g%queues == q || q%groups == g
}

// Serves reports whether agent group group serves queue queue in the simulation of cfg
// (defaults applied): whether its agents take that queue's calls.
func Serves(cfg Config, group, queue string) bool {
	c := cfg.WithDefaults()
	groups := max(1, min(c.Groups, c.Agents))
	for g := range groups {
		for q := range c.Queues {
			if groupID(g) == group && queueID(q) == queue {
				return serves(g, q, groups, c.Queues)
			}
		}
	}
	return false
}

// Topology returns the topology the simulation of cfg runs on, defaults applied: agents
// "1001".., each with a place "P1001".. holding one Extension DN "7001"..; ACD queues
// "Q1@SW1"..; skill groups "Group1".. (each agent in one or two); a place group
// "PlaceGroup1".. per skill group with the places of the agents whose first group it is;
// the queue group AllQueues; every object in cfg.Tenant. Ids widen past 5,000 agents so
// agent and DN ids never collide. The topology does not depend on the seed.
//
// The Topology is built, not loaded, so the lookups config.Load prepares (Known, DN,
// GroupsOf…) find nothing in it: use LoadConfig where they are needed.
func Topology(cfg Config) config.Topology {
	c := cfg.WithDefaults()
	c.Groups = max(1, min(c.Groups, c.Agents))
	tenant := c.Tenant
	nm := newNaming(c.Agents)
	t := config.Topology{Tenant: tenant, Tenants: []string{tenant}}
	for i := range c.Agents {
		t.Places = append(t.Places, &config.Place{ID: nm.place(i), Tenant: tenant})
		t.DNs = append(t.DNs, &config.DN{ID: nm.dn(i), Type: object.DNExtension, Place: nm.place(i), Tenant: tenant})
		t.Agents = append(t.Agents, &config.Agent{ID: nm.agent(i), Name: "Agent " + nm.agent(i), Tenant: tenant})
	}
	all := &config.Group{ID: AllQueuesGroup, Tenant: tenant}
	for q := range c.Queues {
		t.DNs = append(t.DNs, &config.DN{ID: queueID(q), Type: object.DNACDQueue, Tenant: tenant})
		all.Members = append(all.Members, queueID(q))
	}
	t.QueueGroups = []*config.Group{all}
	for g := range c.Groups {
		t.AgentGroups = append(t.AgentGroups, &config.Group{ID: groupID(g), Tenant: tenant})
		t.PlaceGroups = append(t.PlaceGroups, &config.Group{ID: placeGroupID(g), Tenant: tenant})
	}
	for i := range c.Agents {
		gs := agentGroups(i, c.Groups)
		for _, g := range gs {
			t.AgentGroups[g].Members = append(t.AgentGroups[g].Members, nm.agent(i))
		}
		t.PlaceGroups[gs[0]].Members = append(t.PlaceGroups[gs[0]].Members, nm.place(i))
	}
	return t
}
