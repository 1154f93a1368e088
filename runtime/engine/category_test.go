package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// callScenario: agent 1001 logs in on DN 7001 (place P1) and takes two inbound calls.
//
//	09:00:00  LoggedIn start (agent 1001), WaitForNextCall start
//	09:01:00  WaitForNextCall end; CallRinging start c1
//	09:01:05  CallRinging end c1; CallAnswered c1 (5 s); CallInbound start c1
//	09:03:05  CallOnHold start c1; CallHeld c1 (momentary)
//	09:03:35  CallOnHold end c1; CallRetrievedFromHold c1 (30 s)
//	09:05:05  CallInbound end c1 (4:00); AfterCallWork start
//	09:05:35  AfterCallWork end; CallRinging start c2
//	09:05:45  CallInbound start c2, then CallRinging end c2; CallAnswered c2 (10 s)
//	(c2 is still in progress at the check instants)
func callScenario() []*event.Event {
	return []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:00"), action.WaitForNextCall, "7001", ""),
		end(at("09:01:00"), action.WaitForNextCall, "7001", ""),
		begin(at("09:01:00"), action.CallRinging, "7001", "c1"),
		end(at("09:01:05"), action.CallRinging, "7001", "c1"),
		once(at("09:01:05"), action.CallAnsweredRegularDNs, "7001", "c1", 5),
		begin(at("09:01:05"), action.CallInbound, "7001", "c1"),
		begin(at("09:03:05"), action.CallOnHold, "7001", "c1"),
		once(at("09:03:05"), action.CallHeld, "7001", "c1", 0),
		end(at("09:03:35"), action.CallOnHold, "7001", "c1"),
		once(at("09:03:35"), action.CallRetrievedFromHold, "7001", "c1", 30),
		end(at("09:05:05"), action.CallInbound, "7001", "c1"),
		begin(at("09:05:05"), action.AfterCallWork, "7001", ""),
		end(at("09:05:35"), action.AfterCallWork, "7001", ""),
		begin(at("09:05:35"), action.CallRinging, "7001", "c2"),
		begin(at("09:05:45"), action.CallInbound, "7001", "c2"),
		end(at("09:05:45"), action.CallRinging, "7001", "c2"),
		once(at("09:05:45"), action.CallAnsweredRegularDNs, "7001", "c2", 10),
	}
}

type catCase struct {
	name string
	cat  category.Category
	mask []action.ID
	at   string
	want float64
}

var (
	inbound     = []action.ID{action.CallInbound}
	inboundRing = []action.ID{action.CallInbound, action.CallRinging}
	instants    = []action.ID{action.CallAnsweredRegularDNs, action.CallHeld}
	callAndHold = []action.ID{action.CallInbound, action.CallOnHold, action.CallRinging}
)

// dnActionCases are worked out by hand from callScenario.
var dnActionCases = []catCase{
	// c1 completed (4:00); c2 in progress since 09:05:45, so 60 s at 09:06:45.
	{"TotalNumber inbound", category.TotalNumber, inbound, "09:06:45", 1},
	{"TotalTime inbound", category.TotalTime, inbound, "09:06:45", 240},
	{"TotalAdjustedNumber inbound: 1 done + 1 in progress", category.TotalAdjustedNumber, inbound, "09:06:45", 2},
	{"TotalAdjustedTime inbound: 240 + 60", category.TotalAdjustedTime, inbound, "09:06:45", 300},
	{"AverageTime inbound: 240/1", category.AverageTime, inbound, "09:06:45", 240},
	{"MaxTime inbound", category.MaxTime, inbound, "09:06:45", 240},
	{"MinTime inbound", category.MinTime, inbound, "09:06:45", 240},
	{"CurrentNumber inbound", category.CurrentNumber, inbound, "09:06:45", 1},
	{"CurrentTime inbound", category.CurrentTime, inbound, "09:06:45", 60},
	{"CurrentMaxTime inbound", category.CurrentMaxTime, inbound, "09:06:45", 60},
	{"CurrentMinTime inbound", category.CurrentMinTime, inbound, "09:06:45", 60},
	{"CurrentAverageTime inbound", category.CurrentAverageTime, inbound, "09:06:45", 60},
	{"CurrentContinuousTime inbound: since 09:05:45", category.CurrentContinuousTime, inbound, "09:06:45", 60},
	{"CurrentDistinctNumber inbound", category.CurrentDistinctNumber, inbound, "09:06:45", 1},

	// Inbound + ringing: ringing c1 5 s, c2 10 s, inbound c1 240 s.
	{"TotalNumber inbound+ringing", category.TotalNumber, inboundRing, "09:06:45", 3},
	{"TotalTime inbound+ringing: 240+5+10", category.TotalTime, inboundRing, "09:06:45", 255},
	{"AverageTime inbound+ringing: 255/3", category.AverageTime, inboundRing, "09:06:45", 85},
	{"MaxTime inbound+ringing", category.MaxTime, inboundRing, "09:06:45", 240},
	{"MinTime inbound+ringing", category.MinTime, inboundRing, "09:06:45", 5},
	// c2 rang from 09:05:35 and its inbound started before the ringing ended: one run.
	{"CurrentContinuousTime inbound+ringing: since 09:05:35", category.CurrentContinuousTime, inboundRing, "09:06:45", 70},
	// During c2's ringing (09:05:40): ringing c2 for 5 s; c1 ended at 09:05:05.
	{"CurrentNumber inbound+ringing at 09:05:40", category.CurrentNumber, inboundRing, "09:05:40", 1},
	{"CurrentTime inbound+ringing at 09:05:40", category.CurrentTime, inboundRing, "09:05:40", 5},
	{"TotalAdjustedTime inbound+ringing at 09:05:40: 245 + 5", category.TotalAdjustedTime, inboundRing, "09:05:40", 250},
	{"CurrentContinuousTime none in progress at 09:05:20", category.CurrentContinuousTime, inboundRing, "09:05:20", 0},

	// Instantaneous actions: CallAnswered 5 s and 10 s (retrospective), CallHeld (momentary).
	{"TotalNumber instants", category.TotalNumber, instants, "09:06:45", 3},
	{"TotalTime instants: 5+10+0", category.TotalTime, instants, "09:06:45", 15},
	{"AverageTime instants: 15/3", category.AverageTime, instants, "09:06:45", 5},
	{"MaxTime instants", category.MaxTime, instants, "09:06:45", 10},
	{"MinTime instants: the momentary one has no duration", category.MinTime, instants, "09:06:45", 5},
	{"CurrentNumber ignores instants", category.CurrentNumber, instants, "09:06:45", 0},
	{"TotalAdjustedNumber instants", category.TotalAdjustedNumber, instants, "09:06:45", 3},

	// At 09:03:20 c1 is inbound (since 09:01:05, 135 s) and on hold (since 09:03:05, 15 s).
	{"CurrentNumber call+hold", category.CurrentNumber, callAndHold, "09:03:20", 2},
	{"CurrentDistinctNumber call+hold: one interaction", category.CurrentDistinctNumber, callAndHold, "09:03:20", 1},
	{"CurrentTime call+hold: 135+15", category.CurrentTime, callAndHold, "09:03:20", 150},
	{"CurrentMaxTime call+hold", category.CurrentMaxTime, callAndHold, "09:03:20", 135},
	{"CurrentMinTime call+hold", category.CurrentMinTime, callAndHold, "09:03:20", 15},
	{"CurrentAverageTime call+hold: 150/2", category.CurrentAverageTime, callAndHold, "09:03:20", 75},
	// Ringing c1 ended at 09:01:05 just before inbound c1 started (same instant, in that
	// order), so the run restarted then: 09:01:05 → 09:03:20.
	{"CurrentContinuousTime call+hold: since 09:01:05", category.CurrentContinuousTime, callAndHold, "09:03:20", 135},
	{"TotalAdjustedNumber call+hold: 1 + 2", category.TotalAdjustedNumber, callAndHold, "09:03:20", 3},
	{"TotalAdjustedTime call+hold: 5 + 135 + 15", category.TotalAdjustedTime, callAndHold, "09:03:20", 155},
	{"Nothing completed: MaxTime 0", category.MaxTime, inbound, "09:03:20", 0},
	{"Nothing completed: AverageTime 0", category.AverageTime, inbound, "09:03:20", 0},
}

// TestDNActionCategories checks every category under DNAction, on every object the calls
// reach (DN, place, agent, their groups, the tenant): they all see the same actions.
func TestDNActionCategories(t *testing.T) {
	objects := []struct {
		typ object.Type
		id  string
	}{
		{object.TypeRegDN, "7001"}, {object.TypePlace, "P1"}, {object.TypeAgent, "1001"},
		{object.TypeGroupPlaces, "Floor1"}, {object.TypeGroupAgents, "Sales"}, {object.TypeTenant, "default"},
	}
	for _, c := range dnActionCases {
		t.Run(c.name, func(t *testing.T) {
			var stats []string
			e := newEngine(t)
			for _, o := range objects {
				id := o.typ.String() + ":" + o.id
				stats = append(stats, id)
				assert.NoError(t, e.Open(statOf(id, c.cat, category.SubjectDNAction, o.typ, o.id, c.mask...)))
			}
			replayTo(t, e, callScenario(), at(c.at))
			for _, id := range stats {
				assert.Equal(t, c.want, num(t, e, id), id)
			}
		})
	}
}

// statusScenario: two agents, with statuses worked out in the comments.
//
//	08:00:00  clock starts (Advance): both agents LoggedOut
//	09:00:00  1001 logs in on 7001 (P1) and is ready; 1002 logs in on 7003 (P2)
//	09:00:10  1002 not ready (reason Lunch)
//	09:02:00  1001 takes call c1 (ready ends)
//	09:04:00  c1 ends, 1001 ready again
//	09:05:00  1002 not ready ends
//
// Agent 1001: LoggedOut [08:00, 09:00), WaitForNextCall [09:00, 09:02), CallInbound
// [09:02, 09:04), WaitForNextCall [09:04, …). Agent 1002: LoggedOut [08:00, 09:00),
// LoggedIn [09:00, 09:00:10), NotReadyForNextCall [09:00:10, 09:05), LoggedIn [09:05, …).
// The LoggedIn statuses of 7001 at 09:00 and 09:02 last zero time and do not count.
// Places follow their only busy DN: P1 = 7001's statuses, P2 = 7003's.
func statusScenario() []*event.Event {
	return []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:00"), action.WaitForNextCall, "7001", ""),
		begin(at("09:00:00"), action.LoggedIn, "7003", "", agent("1002")),
		begin(at("09:00:10"), action.NotReadyForNextCall, "7003", "", reason("Lunch")),
		end(at("09:02:00"), action.WaitForNextCall, "7001", ""),
		begin(at("09:02:00"), action.CallInbound, "7001", "c1"),
		end(at("09:04:00"), action.CallInbound, "7001", "c1"),
		begin(at("09:04:00"), action.WaitForNextCall, "7001", ""),
		end(at("09:05:00"), action.NotReadyForNextCall, "7003", ""),
	}
}

type statusCase struct {
	name string
	cat  category.Category
	subj category.Subject
	typ  object.Type
	obj  string
	mask []action.ID
	at   string
	want float64
}

var (
	ready      = []action.ID{action.WaitForNextCall}
	readyOrNR  = []action.ID{action.WaitForNextCall, action.NotReadyForNextCall}
	notReady   = []action.ID{action.NotReadyForNextCall}
	loggedOut  = []action.ID{action.LoggedOut}
	loggedIn   = []action.ID{action.LoggedIn}
	agentStat  = category.SubjectAgentStatus
	placeStat  = category.SubjectPlaceStatus
	dnStat     = category.SubjectDNStatus
	groupSales = object.TypeGroupAgents
)

// statusCases are worked out by hand from statusScenario.
var statusCases = []statusCase{
	// Group Sales, mask ready, at 09:06: 1001's first ready (2:00) completed, the second
	// in progress for 2:00; 1002 never ready.
	{"Sales ready TotalNumber", category.TotalNumber, agentStat, groupSales, "Sales", ready, "09:06:00", 1},
	{"Sales ready TotalTime: 120 done + 120 in progress", category.TotalTime, agentStat, groupSales, "Sales", ready, "09:06:00", 240},
	{"Sales ready TotalAdjustedNumber: 1 + 1", category.TotalAdjustedNumber, agentStat, groupSales, "Sales", ready, "09:06:00", 2},
	{"Sales ready TotalAdjustedTime = TotalTime", category.TotalAdjustedTime, agentStat, groupSales, "Sales", ready, "09:06:00", 240},
	{"Sales ready AverageTime: 240/1", category.AverageTime, agentStat, groupSales, "Sales", ready, "09:06:00", 240},
	{"Sales ready MaxTime", category.MaxTime, agentStat, groupSales, "Sales", ready, "09:06:00", 120},
	{"Sales ready MinTime", category.MinTime, agentStat, groupSales, "Sales", ready, "09:06:00", 120},
	{"Sales ready CurrentNumber", category.CurrentNumber, agentStat, groupSales, "Sales", ready, "09:06:00", 1},
	{"Sales ready CurrentTime", category.CurrentTime, agentStat, groupSales, "Sales", ready, "09:06:00", 120},
	{"Sales ready CurrentMaxTime", category.CurrentMaxTime, agentStat, groupSales, "Sales", ready, "09:06:00", 120},
	{"Sales ready CurrentMinTime", category.CurrentMinTime, agentStat, groupSales, "Sales", ready, "09:06:00", 120},
	{"Sales ready CurrentAverageTime", category.CurrentAverageTime, agentStat, groupSales, "Sales", ready, "09:06:00", 120},
	{"Sales ready CurrentContinuousTime: since 09:04", category.CurrentContinuousTime, agentStat, groupSales, "Sales", ready, "09:06:00", 120},
	// Ready or not ready: 1001 ready [09:00, 09:02) and 1002 not ready [09:00:10, 09:05)
	// completed; 1001 ready since 09:04. Some member is in the mask from 09:00 on.
	{"Sales ready|NR TotalNumber", category.TotalNumber, agentStat, groupSales, "Sales", readyOrNR, "09:06:00", 2},
	{"Sales ready|NR TotalTime: 120 + 290 + 120", category.TotalTime, agentStat, groupSales, "Sales", readyOrNR, "09:06:00", 530},
	{"Sales ready|NR MaxTime", category.MaxTime, agentStat, groupSales, "Sales", readyOrNR, "09:06:00", 290},
	{"Sales ready|NR MinTime", category.MinTime, agentStat, groupSales, "Sales", readyOrNR, "09:06:00", 120},
	{"Sales ready|NR CurrentContinuousTime: since 09:00", category.CurrentContinuousTime, agentStat, groupSales, "Sales", readyOrNR, "09:06:00", 360},
	{"Sales ready|NR at 09:03 CurrentNumber: 1002 NR only", category.CurrentNumber, agentStat, groupSales, "Sales", readyOrNR, "09:03:00", 1},
	{"Sales ready|NR at 09:03 CurrentTime: 09:00:10 → 09:03", category.CurrentTime, agentStat, groupSales, "Sales", readyOrNR, "09:03:00", 170},
	// LoggedOut from the clock start (08:00) until the logins at 09:00.
	{"Tenant loggedOut TotalNumber", category.TotalNumber, agentStat, object.TypeTenant, "default", loggedOut, "09:06:00", 2},
	{"Tenant loggedOut TotalTime", category.TotalTime, agentStat, object.TypeTenant, "default", loggedOut, "09:06:00", 7200},
	{"Tenant loggedOut CurrentNumber at 08:30", category.CurrentNumber, agentStat, object.TypeTenant, "default", loggedOut, "08:30:00", 2},
	{"Tenant loggedOut CurrentTime at 08:30", category.CurrentTime, agentStat, object.TypeTenant, "default", loggedOut, "08:30:00", 3600},
	{"Tenant ready|NR TotalTime = Sales", category.TotalTime, agentStat, object.TypeTenant, "default", readyOrNR, "09:06:00", 530},
	{"Agent 1002 NR at 09:03 TotalTime (in progress)", category.TotalTime, agentStat, object.TypeAgent, "1002", notReady, "09:03:00", 170},
	{"Agent 1002 NR at 09:03 TotalNumber", category.TotalNumber, agentStat, object.TypeAgent, "1002", notReady, "09:03:00", 0},
	{"Agent 1002 NR at 09:03 CurrentNumber", category.CurrentNumber, agentStat, object.TypeAgent, "1002", notReady, "09:03:00", 1},
	{"Group Solo NR TotalTime", category.TotalTime, agentStat, groupSales, "Solo", notReady, "09:06:00", 290},

	// DNStatus: the DN's own status; a place's DNs; the DNs an agent is logged in on.
	{"DN 7001 inbound TotalNumber", category.TotalNumber, dnStat, object.TypeRegDN, "7001", inbound, "09:06:00", 1},
	{"DN 7001 inbound TotalTime", category.TotalTime, dnStat, object.TypeRegDN, "7001", inbound, "09:06:00", 120},
	{"DN 7001 inbound TotalAdjustedTime", category.TotalAdjustedTime, dnStat, object.TypeRegDN, "7001", inbound, "09:06:00", 120},
	{"DN 7001 inbound MaxTime", category.MaxTime, dnStat, object.TypeRegDN, "7001", inbound, "09:06:00", 120},
	{"Place P1 DNs ready TotalTime", category.TotalTime, dnStat, object.TypePlace, "P1", ready, "09:06:00", 240},
	{"Place P1 DNs ready CurrentNumber", category.CurrentNumber, dnStat, object.TypePlace, "P1", ready, "09:06:00", 1},
	{"Agent 1001 DNs ready TotalNumber", category.TotalNumber, dnStat, object.TypeAgent, "1001", ready, "09:06:00", 1},
	{"Agent 1001 DNs ready TotalTime", category.TotalTime, dnStat, object.TypeAgent, "1001", ready, "09:06:00", 240},
	{"Agent 1001 DNs ready CurrentContinuousTime", category.CurrentContinuousTime, dnStat, object.TypeAgent, "1001", ready, "09:06:00", 120},
	{"Agent 1002 DNs loggedIn TotalTime: 10 + 60", category.TotalTime, dnStat, object.TypeAgent, "1002", loggedIn, "09:06:00", 70},

	// DN 7001 alone, mask ready: WaitForNextCall [09:00, 09:02) done, [09:04, …) in progress.
	{"DN 7001 ready TotalAdjustedNumber", category.TotalAdjustedNumber, dnStat, object.TypeRegDN, "7001", ready, "09:06:00", 2},
	{"DN 7001 ready AverageTime: (120 + 120)/1", category.AverageTime, dnStat, object.TypeRegDN, "7001", ready, "09:06:00", 240},
	{"DN 7001 ready MinTime", category.MinTime, dnStat, object.TypeRegDN, "7001", ready, "09:06:00", 120},
	{"DN 7001 ready CurrentNumber", category.CurrentNumber, dnStat, object.TypeRegDN, "7001", ready, "09:06:00", 1},
	{"DN 7001 ready CurrentTime", category.CurrentTime, dnStat, object.TypeRegDN, "7001", ready, "09:06:00", 120},
	{"DN 7001 ready CurrentMaxTime", category.CurrentMaxTime, dnStat, object.TypeRegDN, "7001", ready, "09:06:00", 120},
	{"DN 7001 ready CurrentMinTime", category.CurrentMinTime, dnStat, object.TypeRegDN, "7001", ready, "09:06:00", 120},
	{"DN 7001 ready CurrentAverageTime", category.CurrentAverageTime, dnStat, object.TypeRegDN, "7001", ready, "09:06:00", 120},
	{"DN 7001 ready CurrentNumber on a call (09:03)", category.CurrentNumber, dnStat, object.TypeRegDN, "7001", ready, "09:03:00", 0},
	{"DN 7001 ready CurrentContinuousTime on a call (09:03)", category.CurrentContinuousTime, dnStat, object.TypeRegDN, "7001", ready, "09:03:00", 0},
	// Ready or inbound: the ready → inbound → ready changes pass through a zero-length
	// LoggedIn status (the end is applied before the next start), which restarts the run.
	{"Place P1 DNs ready|inbound CurrentContinuousTime: since 09:04", category.CurrentContinuousTime, dnStat, object.TypePlace, "P1", []action.ID{action.WaitForNextCall, action.CallInbound}, "09:06:00", 120},
	{"Place P1 DNs ready|inbound TotalTime", category.TotalTime, dnStat, object.TypePlace, "P1", []action.ID{action.WaitForNextCall, action.CallInbound}, "09:06:00", 360},

	// PlaceStatus.
	{"Place P2 loggedIn TotalNumber", category.TotalNumber, placeStat, object.TypePlace, "P2", loggedIn, "09:06:00", 1},
	{"Place P2 loggedIn TotalTime: 10 + 60", category.TotalTime, placeStat, object.TypePlace, "P2", loggedIn, "09:06:00", 70},
	{"Place P2 loggedIn TotalAdjustedNumber", category.TotalAdjustedNumber, placeStat, object.TypePlace, "P2", loggedIn, "09:06:00", 2},
	{"Place P2 loggedIn CurrentTime", category.CurrentTime, placeStat, object.TypePlace, "P2", loggedIn, "09:06:00", 60},
	{"Floor1 NR TotalNumber", category.TotalNumber, placeStat, object.TypeGroupPlaces, "Floor1", notReady, "09:06:00", 1},
	{"Floor1 NR TotalTime", category.TotalTime, placeStat, object.TypeGroupPlaces, "Floor1", notReady, "09:06:00", 290},
	{"Floor1 NR AverageTime", category.AverageTime, placeStat, object.TypeGroupPlaces, "Floor1", notReady, "09:06:00", 290},
	{"Floor1 NR CurrentMaxTime at 09:01", category.CurrentMaxTime, placeStat, object.TypeGroupPlaces, "Floor1", notReady, "09:01:00", 50},
	// Place P2, mask not ready: NotReadyForNextCall [09:00:10, 09:05).
	{"Place P2 NR at 09:03 CurrentNumber", category.CurrentNumber, placeStat, object.TypePlace, "P2", notReady, "09:03:00", 1},
	{"Place P2 NR at 09:03 CurrentMinTime", category.CurrentMinTime, placeStat, object.TypePlace, "P2", notReady, "09:03:00", 170},
	{"Place P2 NR at 09:03 CurrentAverageTime", category.CurrentAverageTime, placeStat, object.TypePlace, "P2", notReady, "09:03:00", 170},
	{"Place P2 NR at 09:03 CurrentContinuousTime", category.CurrentContinuousTime, placeStat, object.TypePlace, "P2", notReady, "09:03:00", 170},
	{"Place P2 NR at 09:03 TotalAdjustedTime = TotalTime", category.TotalAdjustedTime, placeStat, object.TypePlace, "P2", notReady, "09:03:00", 170},
	{"Place P2 NR MaxTime", category.MaxTime, placeStat, object.TypePlace, "P2", notReady, "09:06:00", 290},
	{"Place P2 NR MinTime", category.MinTime, placeStat, object.TypePlace, "P2", notReady, "09:06:00", 290},
	{"Place P2 NR CurrentNumber after", category.CurrentNumber, placeStat, object.TypePlace, "P2", notReady, "09:06:00", 0},
	{"Tenant places loggedIn TotalTime", category.TotalTime, placeStat, object.TypeTenant, "default", loggedIn, "09:06:00", 70},
}

func TestStatusSubjectCategories(t *testing.T) {
	for _, c := range statusCases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, statOf("s", c.cat, c.subj, c.typ, c.obj, c.mask...))
			e.Advance(at("08:00:00"))
			replayTo(t, e, statusScenario(), at(c.at))
			assert.Equal(t, c.want, num(t, e, "s"))
		})
	}
}

// TestCurrentState checks the structured value: agent → place → DNs.
func TestCurrentState(t *testing.T) {
	e := newEngine(t,
		statOf("agent", category.CurrentState, agentStat, object.TypeAgent, "1002"),
		statOf("dn", category.CurrentState, dnStat, object.TypeRegDN, "7001"),
		statOf("out", category.CurrentState, agentStat, object.TypeAgent, "1001"),
	)
	e.Advance(at("08:00:00"))
	evs := append(statusScenario(), end(at("09:05:30"), action.WaitForNextCall, "7001", ""), end(at("09:05:30"), action.LoggedIn, "7001", ""))
	replayTo(t, e, evs, at("09:03:00"))
	v, err := e.Value("agent")
	assert.NoError(t, err)
	assert.JSONEq(t, `{"type":"Agent","id":"1002","status":"NotReadyForNextCall","since":"2026-11-26T09:00:10.000Z","reason":"Lunch","children":[
		{"type":"Place","id":"P2","status":"NotReadyForNextCall","since":"2026-11-26T09:00:10.000Z","reason":"Lunch","children":[
			{"type":"RegDN","id":"7003","status":"NotReadyForNextCall","since":"2026-11-26T09:00:10.000Z","reason":"Lunch","children":[]}]}]}`,
		jsonOf(t, v))
	v, _ = e.Value("dn")
	assert.Equal(t, `{"type":"RegDN","id":"7001","status":"CallInbound","since":"2026-11-26T09:02:00.000Z","reason":"","children":[]}`, jsonOf(t, v))
	replayTo(t, e, evs[6:], at("09:06:00"))
	v, _ = e.Value("out")
	assert.Equal(t, `{"type":"Agent","id":"1001","status":"LoggedOut","since":"2026-11-26T09:05:30.000Z","reason":"","children":[]}`, jsonOf(t, v))
	v, _ = e.Value("dn")
	assert.Equal(t, `{"type":"RegDN","id":"7001","status":"","since":"2026-11-26T09:05:30.000Z","reason":"","children":[]}`, jsonOf(t, v))
}

// TestClipping: a statistic opened while a call is in progress counts the call from the
// open time on (DOMAIN §2.3).
func TestClipping(t *testing.T) {
	evs := callScenario()
	e := newEngine(t)
	replayTo(t, e, evs, at("09:03:00"))
	for _, c := range []category.Category{category.TotalNumber, category.TotalTime, category.MaxTime, category.CurrentTime, category.CurrentContinuousTime} {
		assert.NoError(t, e.Open(statOf(c.String(), c, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound)))
	}
	replayTo(t, e, evs[10:], at("09:04:00"))
	// c1 runs since 09:01:05, but the statistics were opened at 09:03:00.
	assert.Equal(t, 60.0, num(t, e, "CurrentTime"))
	assert.Equal(t, 60.0, num(t, e, "CurrentContinuousTime"))
	replayTo(t, e, evs[11:], at("09:05:30"))
	assert.Equal(t, 1.0, num(t, e, "TotalNumber"))
	assert.Equal(t, 125.0, num(t, e, "TotalTime")) // 09:03:00 → 09:05:05
	assert.Equal(t, 125.0, num(t, e, "MaxTime"))
	assert.Equal(t, 0.0, num(t, e, "CurrentTime"))
}

// TestMediaType: a stat type with a media type counts only actions of that media.
func TestMediaType(t *testing.T) {
	s := statOf("chat", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound)
	s.StatType.MediaType = "chat"
	e := newEngine(t, s)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.CallInbound, "7001", "v1", media("voice")),
		begin(at("09:00:00"), action.CallInbound, "7001", "c1", media("chat")),
		end(at("09:01:00"), action.CallInbound, "7001", "v1"),
		end(at("09:01:00"), action.CallInbound, "7001", "c1"),
	})
	assert.Equal(t, 1.0, num(t, e, "chat"))
}
