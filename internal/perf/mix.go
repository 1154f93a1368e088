package perf

import (
	"fmt"
	"strconv"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
)

// The statistic mix.
//
// Each object of the topology gets statistics from the catalog of its role: every
// historical kind once per time profile, every current kind once with the Default
// profile (a current value does not depend on the profile). The tenant, the queue group,
// the queues, the agent groups and the place groups get their whole catalog; the rest of
// the budget is spread evenly over the agents, each agent taking the next entries of the
// combined agent, DN and place catalog (so the agent population as a whole covers every
// kind and profile in equal measure). Profiles are Growing (midnight, shift changes, every
// 15 minutes) and Sliding (15 minutes by 1 minute, 1 hour by 5 minutes); the categories
// are the common wallboard ones, including service level (TotalNumberInTimeRange*,
// ServiceFactor1), which the engine may not compute yet: a statistic the engine refuses
// is counted, with the reason, in Workload.Refused.

// kindDef is one stat type of the catalog.
type kindDef struct {
	name    string
	cat     category.Category
	subj    category.Subject
	main    []string // action names; "*" for all actions
	rel     []string
	objects []object.Type
}

// historical reports whether the kind is computed over a time profile's interval.
func (k kindDef) historical() bool { return k.cat.Kind() == category.KindHistorical }

var (
	objAgent      = []object.Type{object.TypeAgent}
	objDN         = []object.Type{object.TypeRegDN}
	objPlace      = []object.Type{object.TypePlace}
	objAgentGroup = []object.Type{object.TypeGroupAgents, object.TypeTenant}
	objPlaceGroup = []object.Type{object.TypeGroupPlaces}
	objQueue      = []object.Type{object.TypeQueue, object.TypeGroupQueues, object.TypeTenant}
	objAgentAll   = []object.Type{object.TypeAgent, object.TypeGroupAgents, object.TypeTenant}
	callTypes     = []string{"CallRinging", "CallInbound", "CallOnHold", "CallConsult"}
)

// Catalogs by role.
var (
	queueKinds = []kindDef{
		{"CallsEntered", category.TotalNumber, category.SubjectDNAction, []string{"CallEntered"}, nil, objQueue},
		{"CallsDistributed", category.TotalNumber, category.SubjectDNAction, []string{"CallDistributed"}, nil, objQueue},
		{"CallsAbandoned", category.TotalNumber, category.SubjectDNAction, []string{"CallAbandoned"}, nil, objQueue},
		{"QueueAnswered", category.TotalNumber, category.SubjectDNAction, []string{"CallAnswered"}, nil, objQueue},
		{"AvgWait", category.AverageTime, category.SubjectDNAction, []string{"CallDistributed"}, nil, objQueue},
		{"MaxWait", category.MaxTime, category.SubjectDNAction, []string{"CallDistributed"}, nil, objQueue},
		{"AvgAbandonWait", category.AverageTime, category.SubjectDNAction, []string{"CallAbandoned"}, nil, objQueue},
		{"AvgSpeedAnswer", category.AverageTime, category.SubjectDNAction, []string{"CallAnswered"}, nil, objQueue},
		{"ServiceLevel", category.TotalNumberInTimeRangePercentage, category.SubjectDNAction, []string{"CallAnswered"}, nil, objQueue},
		{"ServiceFactor", category.ServiceFactor1, category.SubjectDNAction, []string{"CallAnswered"}, []string{"CallAbandoned"}, objQueue},
		{"CallsWaiting", category.CurrentNumber, category.SubjectDNAction, []string{"CallWait"}, nil, objQueue},
		{"LongestWaiting", category.CurrentMaxTime, category.SubjectDNAction, []string{"CallWait"}, nil, objQueue},
		{"AvgWaitingNow", category.CurrentAverageTime, category.SubjectDNAction, []string{"CallWait"}, nil, objQueue},
		{"WaitingTimeNow", category.CurrentTime, category.SubjectDNAction, []string{"CallWait"}, nil, objQueue},
	}
	agentGroupKinds = []kindDef{
		{"CallsAnswered", category.TotalNumber, category.SubjectDNAction, []string{"CallAnswered"}, nil, objAgentAll},
		{"TalkTime", category.TotalTime, category.SubjectDNAction, []string{"CallInbound"}, nil, objAgentAll},
		{"AvgTalk", category.AverageTime, category.SubjectDNAction, []string{"CallInbound"}, nil, objAgentAll},
		{"MaxTalk", category.MaxTime, category.SubjectDNAction, []string{"CallInbound"}, nil, objAgentAll},
		{"AvgACW", category.AverageTime, category.SubjectDNAction, []string{"AfterCallWork"}, nil, objAgentAll},
		{"NotReadyTime", category.TotalTime, category.SubjectAgentStatus, []string{"NotReadyForNextCall"}, nil, objAgentAll},
		{"ReadyTime", category.TotalTime, category.SubjectAgentStatus, []string{"WaitForNextCall"}, nil, objAgentAll},
		{"HandleTimeAdj", category.TotalAdjustedTime, category.SubjectDNAction, []string{"CallInbound", "AfterCallWork"}, nil, objAgentAll},
		{"AgentsReady", category.CurrentNumber, category.SubjectAgentStatus, []string{"WaitForNextCall"}, nil, objAgentGroup},
		{"AgentsOnCall", category.CurrentNumber, category.SubjectAgentStatus, callTypes, nil, objAgentGroup},
		{"AgentsNotReady", category.CurrentNumber, category.SubjectAgentStatus, []string{"NotReadyForNextCall"}, nil, objAgentGroup},
		{"AgentsInACW", category.CurrentNumber, category.SubjectAgentStatus, []string{"AfterCallWork"}, nil, objAgentGroup},
		{"CallsInProgress", category.CurrentDistinctNumber, category.SubjectDNAction, []string{"CallInbound", "CallConsult"}, nil, objAgentGroup},
		{"LongestNotReady", category.CurrentMaxTime, category.SubjectAgentStatus, []string{"NotReadyForNextCall"}, nil, objAgentGroup},
	}
	placeGroupKinds = []kindDef{
		{"PlaceACW", category.AverageTime, category.SubjectDNAction, []string{"AfterCallWork"}, nil, objPlaceGroup},
		{"PlacesReady", category.CurrentNumber, category.SubjectPlaceStatus, []string{"WaitForNextCall"}, nil, objPlaceGroup},
	}
	agentKinds = []kindDef{
		// The kinds shared with agent groups, then the agent's own.
		agentGroupKinds[0], agentGroupKinds[1], agentGroupKinds[2], agentGroupKinds[3], agentGroupKinds[4],
		agentGroupKinds[5], agentGroupKinds[6], agentGroupKinds[7],
		{"MinTalk", category.MinTime, category.SubjectDNAction, []string{"CallInbound"}, nil, objAgent},
		{"ACWTime", category.TotalTime, category.SubjectDNAction, []string{"AfterCallWork"}, nil, objAgent},
		{"HoldTime", category.TotalTime, category.SubjectDNAction, []string{"CallOnHold"}, nil, objAgent},
		{"HoldCount", category.TotalNumber, category.SubjectDNAction, []string{"CallHeld"}, nil, objAgent},
		{"RingTime", category.TotalTime, category.SubjectDNAction, []string{"CallRinging"}, nil, objAgent},
		{"ConsultCalls", category.TotalNumber, category.SubjectDNAction, []string{"CallConsult"}, nil, objAgent},
		{"CallsHandledAdj", category.TotalAdjustedNumber, category.SubjectDNAction, []string{"CallInbound"}, nil, objAgent},
		{"ShortCalls", category.TotalNumberInTimeRange, category.SubjectDNAction, []string{"CallInbound"}, nil, objAgent},
		{"BusyTime", category.TotalTime, category.SubjectAgentStatus, callTypes, nil, objAgent},
		{"State", category.CurrentState, category.SubjectAgentStatus, []string{"*"}, nil, objAgent},
		{"TalkNow", category.CurrentTime, category.SubjectDNAction, []string{"CallInbound"}, nil, objAgent},
		{"OnHoldNow", category.CurrentNumber, category.SubjectDNAction, []string{"CallOnHold"}, nil, objAgent},
		{"CallsNow", category.CurrentDistinctNumber, category.SubjectDNAction, []string{"CallInbound", "CallConsult"}, nil, objAgent},
		{"BusyRun", category.CurrentContinuousTime, category.SubjectAgentStatus, callTypes, nil, objAgent},
	}
	dnKinds = []kindDef{
		{"RingCount", category.TotalNumber, category.SubjectDNAction, []string{"CallRinging"}, nil, objDN},
		{"NotReadyTime", category.TotalTime, category.SubjectDNStatus, []string{"NotReadyForNextCall"}, nil, objDN},
		{"TalkNow", category.CurrentTime, category.SubjectDNAction, []string{"CallInbound"}, nil, objDN},
	}
	placeKinds = []kindDef{
		{"ACW", category.AverageTime, category.SubjectDNAction, []string{"AfterCallWork"}, nil, objPlace},
		{"ReadyTime", category.TotalTime, category.SubjectPlaceStatus, []string{"WaitForNextCall"}, nil, objPlace},
		{"ReadyNow", category.CurrentNumber, category.SubjectPlaceStatus, []string{"WaitForNextCall"}, nil, objPlace},
	}
)

// profileDef is a time profile of the mix with its short name in statistic ids.
type profileDef struct {
	short string
	p     *config.TimeProfile
}

// newProfiles returns the mix's time profiles; the first is Default (current kinds use it).
func newProfiles() []profileDef {
	return []profileDef{
		{"Day", config.DefaultProfile()},
		{"Shift", &config.TimeProfile{Name: "Shift", Type: config.ProfileGrowing, Location: time.UTC,
			Resets: []time.Duration{6 * time.Hour, 14 * time.Hour, 22 * time.Hour}}},
		{"15m", &config.TimeProfile{Name: "Interval15m", Type: config.ProfileGrowing, Location: time.UTC,
			Resets: []time.Duration{0}, Period: 15 * time.Minute}},
		{"S15m", &config.TimeProfile{Name: "Sliding15m", Type: config.ProfileSliding, Window: 15 * time.Minute, Step: time.Minute}},
		{"S1h", &config.TimeProfile{Name: "Sliding1h", Type: config.ProfileSliding, Window: time.Hour, Step: 5 * time.Minute}},
	}
}

// entry is one statistic of a catalog: a kind and, for historical kinds, a profile.
type entry struct {
	kind    *kindDef
	st      *config.StatType
	profile int
}

// mixer builds the statistics of a mix, sharing stat types and profiles.
type mixer struct {
	// growingNumeric keeps only Growing profiles and numeric categories without time
	// range or RelMask.
	growingNumeric bool
	profiles       []profileDef
	types          map[*kindDef]*config.StatType
	rng            *config.TimeRange
	out            []*config.Statistic
	ids            map[string]int
	defs           map[config.Def]*config.Def // shared by the statistics with equal definitions, as Load shares them
}

func newMixer(growingNumeric bool) *mixer {
	return &mixer{growingNumeric: growingNumeric, profiles: newProfiles(), types: map[*kindDef]*config.StatType{},
		rng: config.DefaultTimeRange(), ids: map[string]int{}, defs: map[config.Def]*config.Def{}}
}

// statType returns the stat type of k, building it once.
func (m *mixer) statType(k *kindDef) *config.StatType {
	if st, ok := m.types[k]; ok {
		return st
	}
	st := &config.StatType{Name: k.name, Category: k.cat, Subject: k.subj, Objects: object.TypeSetOf(k.objects...)}
	st.MainMask = maskOf(k.main)
	st.RelMask = maskOf(k.rel)
	m.types[k] = st
	return st
}

// maskOf builds a mask from action names ("*" for every action).
func maskOf(names []string) config.Mask {
	var mk config.Mask
	for _, n := range names {
		if n == "*" {
			for _, a := range action.AllIDs() {
				mk.Add(a)
			}
			continue
		}
		ids := action.ByName(n)
		if len(ids) == 0 {
			panic("perf: unknown action " + n)
		}
		for _, a := range ids {
			mk.Add(a)
		}
	}
	mk.Text = append([]string(nil), names...)
	return mk
}

// catalog lists the entries of kinds: current kinds first (Default profile), then the
// historical kinds once per profile, enumerated diagonally (round j gives kind t the
// profile (t+j) mod P) so that any run of consecutive entries mixes kinds and profiles.
func (m *mixer) catalog(kinds ...[]kindDef) []entry {
	var cur, hist []*kindDef
	for _, ks := range kinds {
		for i := range ks {
			c := ks[i].cat
			if m.growingNumeric && (c.IsStructured() || c.UsesTimeRange() || c.UsesRelMask()) {
				continue
			}
			if ks[i].historical() {
				hist = append(hist, &ks[i])
			} else {
				cur = append(cur, &ks[i])
			}
		}
	}
	var out []entry
	for _, k := range cur {
		out = append(out, entry{kind: k, st: m.statType(k)})
	}
	p := len(m.profiles)
	for j := range p {
		for t, k := range hist {
			pr := (t + j) % p
			if m.growingNumeric && m.profiles[pr].p.Type != config.ProfileGrowing {
				continue
			}
			out = append(out, entry{kind: k, st: m.statType(k), profile: pr})
		}
	}
	return out
}

// add appends the statistic of e on object (typ, id).
func (m *mixer) add(e entry, typ object.Type, id string) {
	pd := m.profiles[e.profile]
	sid := id + "." + e.kind.name
	if e.kind.historical() {
		sid += "." + pd.short
	}
	if n := m.ids[sid]; n > 0 {
		m.ids[sid] = n + 1
		sid += "#" + strconv.Itoa(n+1) // a repeat, when the budget exceeds the catalog
	} else {
		m.ids[sid] = 1
	}
	def := config.Def{StatType: e.st, Profile: pd.p}
	if e.kind.cat.UsesTimeRange() {
		def.TimeRange = m.rng
	}
	d, ok := m.defs[def]
	if !ok {
		d = &def
		m.defs[def] = d
	}
	m.out = append(m.out, &config.Statistic{ID: sid, Object: config.ObjectRef{Type: typ, ID: id}, Def: d})
}

// full adds the whole catalog cat to each object, as long as the budget n lasts.
func (m *mixer) full(n int, cat []entry, typ object.Type, ids ...string) {
	for _, id := range ids {
		for _, e := range cat {
			if len(m.out) >= n {
				return
			}
			m.add(e, typ, id)
		}
	}
}

// mix returns n statistics over topology t (built by sim.Topology); growingNumeric
// restricts it as Size.GrowingNumeric says.
func mix(t *config.Topology, n int, growingNumeric bool) []*config.Statistic {
	m := newMixer(growingNumeric)
	queues := m.catalog(queueKinds)
	agentGroups := m.catalog(agentGroupKinds)
	placeGroups := m.catalog(placeGroupKinds)
	tenant := append(append([]entry(nil), queues...), agentGroups...)

	m.full(n, tenant, object.TypeTenant, t.Tenant)
	m.full(n, queues, object.TypeGroupQueues, ids(t.QueueGroups)...)
	var qs []string
	for _, d := range t.DNs {
		if d.Type.ObjectType() == object.TypeQueue {
			qs = append(qs, d.ID)
		}
	}
	m.full(n, queues, object.TypeQueue, qs...)
	m.full(n, agentGroups, object.TypeGroupAgents, ids(t.AgentGroups)...)
	m.full(n, placeGroups, object.TypeGroupPlaces, ids(t.PlaceGroups)...)

	// The agents share the rest: agent i's unit is the agent, its DN and its place.
	unit := m.catalog(agentKinds, dnKinds, placeKinds)
	dnOf, placeOf := map[string]string{}, map[string]string{}
	for _, d := range t.DNs {
		if d.Place != "" {
			dnOf[d.Place] = d.ID
		}
	}
	for i, p := range t.Places {
		placeOf[t.Agents[i].ID] = p.ID
	}
	left, agents := n-len(m.out), len(t.Agents)
	pos := 0
	for i, a := range t.Agents {
		k := left / agents
		if i < left%agents {
			k++
		}
		for range k {
			e := unit[pos%len(unit)]
			pos++
			switch e.kind.objects[0] {
			case object.TypeRegDN:
				m.add(e, object.TypeRegDN, dnOf[placeOf[a.ID]])
			case object.TypePlace:
				m.add(e, object.TypePlace, placeOf[a.ID])
			default:
				m.add(e, object.TypeAgent, a.ID)
			}
		}
	}
	if len(m.out) != n {
		panic(fmt.Sprintf("perf: mix built %d statistics, want %d", len(m.out), n))
	}
	return m.out
}

func ids(gs []*config.Group) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}
