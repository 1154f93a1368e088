package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// statusOf returns the status name in object o's CurrentState.
func statusOf(t *testing.T, e *Engine, id string) string {
	t.Helper()
	v, err := e.Value(id)
	assert.NoError(t, err)
	if v.State == nil {
		t.Fatalf("%s is not a CurrentState", id)
	}
	if !v.State.Status.Valid() {
		return ""
	}
	return v.State.Status.Name()
}

// TestStatusPriority: statuses from the generated regular-DN table (DOMAIN §5).
func TestStatusPriority(t *testing.T) {
	login := func(dn, ag string) *event.Event {
		return begin(at("09:00:00"), action.LoggedIn, dn, "", agent(ag))
	}
	cases := []struct {
		name   string
		events []*event.Event
		// want: status of DN 7001, place P1, agent 1001, agent 1002
		dn, place, agent1, agent2 string
	}{
		{"logged in, nothing else: LoggedIn; 1002 logged in nowhere: LoggedOut",
			[]*event.Event{login("7001", "1001")},
			"LoggedIn", "LoggedIn", "LoggedIn", "LoggedOut"},
		{"ready",
			[]*event.Event{login("7001", "1001"), begin(at("09:00:01"), action.WaitForNextCall, "7001", "")},
			"WaitForNextCall", "WaitForNextCall", "WaitForNextCall", "LoggedOut"},
		{"not ready (9) over ready (5)",
			[]*event.Event{login("7001", "1001"), begin(at("09:00:01"), action.WaitForNextCall, "7001", ""), begin(at("09:00:02"), action.NotReadyForNextCall, "7001", "")},
			"NotReadyForNextCall", "NotReadyForNextCall", "NotReadyForNextCall", "LoggedOut"},
		{"ACW (10) over ready (5)",
			[]*event.Event{login("7001", "1001"), begin(at("09:00:01"), action.WaitForNextCall, "7001", ""), begin(at("09:00:02"), action.AfterCallWork, "7001", "")},
			"AfterCallWork", "AfterCallWork", "AfterCallWork", "LoggedOut"},
		{"inbound call over ACW",
			[]*event.Event{login("7001", "1001"), begin(at("09:00:01"), action.AfterCallWork, "7001", ""), begin(at("09:00:02"), action.CallInbound, "7001", "c1")},
			"CallInbound", "CallInbound", "CallInbound", "LoggedOut"},
		{"hold hides the call type of the same interaction",
			[]*event.Event{login("7001", "1001"), begin(at("09:00:01"), action.CallInbound, "7001", "c1"), begin(at("09:00:02"), action.CallOnHold, "7001", "c1")},
			"CallOnHold", "CallOnHold", "CallOnHold", "LoggedOut"},
		{"hold of another interaction hides nothing",
			[]*event.Event{login("7001", "1001"), begin(at("09:00:01"), action.CallInbound, "7001", "c1"), begin(at("09:00:02"), action.CallOnHold, "7001", "c2")},
			"CallInbound", "CallInbound", "CallInbound", "LoggedOut"},
		{"retrieved from hold: the call type shows again",
			[]*event.Event{login("7001", "1001"), begin(at("09:00:01"), action.CallInbound, "7001", "c1"), begin(at("09:00:02"), action.CallOnHold, "7001", "c1"), end(at("09:00:03"), action.CallOnHold, "7001", "c1")},
			"CallInbound", "CallInbound", "CallInbound", "LoggedOut"},
		{"consult while the first call is held",
			[]*event.Event{login("7001", "1001"), begin(at("09:00:01"), action.CallInbound, "7001", "c1"), begin(at("09:00:02"), action.CallOnHold, "7001", "c1"), begin(at("09:00:03"), action.CallConsult, "7001", "c2")},
			"CallConsult", "CallConsult", "CallConsult", "LoggedOut"},
		{"place = highest over its DNs; the agent sees only its DN",
			[]*event.Event{login("7001", "1001"), begin(at("09:00:01"), action.WaitForNextCall, "7001", ""), begin(at("09:00:02"), action.CallInbound, "7002", "c1")},
			"WaitForNextCall", "CallInbound", "WaitForNextCall", "LoggedOut"},
		{"agent = highest over the DNs it is logged in on",
			[]*event.Event{login("7001", "1001"), login("7004", "1001"), begin(at("09:00:01"), action.WaitForNextCall, "7001", ""), begin(at("09:00:02"), action.CallOutbound, "7004", "c1")},
			"WaitForNextCall", "WaitForNextCall", "CallOutbound", "LoggedOut"},
		{"logged out again: LoggedOut; the DN has no status",
			[]*event.Event{login("7001", "1001"), end(at("09:00:05"), action.LoggedIn, "7001", "")},
			"", "", "LoggedOut", "LoggedOut"},
		{"two agents on two places",
			[]*event.Event{login("7001", "1001"), login("7003", "1002"), begin(at("09:00:01"), action.NotReadyForNextCall, "7003", "")},
			"LoggedIn", "LoggedIn", "LoggedIn", "NotReadyForNextCall"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t,
				statOf("dn", category.CurrentState, category.SubjectDNStatus, object.TypeRegDN, "7001"),
				statOf("place", category.CurrentState, category.SubjectPlaceStatus, object.TypePlace, "P1"),
				statOf("a1", category.CurrentState, category.SubjectAgentStatus, object.TypeAgent, "1001"),
				statOf("a2", category.CurrentState, category.SubjectAgentStatus, object.TypeAgent, "1002"),
			)
			applyAll(t, e, c.events)
			assert.Equal(t, c.dn, statusOf(t, e, "dn"), "DN 7001")
			assert.Equal(t, c.place, statusOf(t, e, "place"), "place P1")
			assert.Equal(t, c.agent1, statusOf(t, e, "a1"), "agent 1001")
			assert.Equal(t, c.agent2, statusOf(t, e, "a2"), "agent 1002")
		})
	}
}

// TestQueueStatus: a queue's status comes from the mediation-DN table.
func TestQueueStatus(t *testing.T) {
	e := newEngine(t,
		statOf("q", category.CurrentState, category.SubjectDNStatus, object.TypeQueue, "Support@SW1"),
		statOf("mon", category.TotalTime, category.SubjectDNStatus, object.TypeQueue, "Support@SW1", action.MonitoredMediationDNs),
	)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.NotMonitoredMediationDNs, "Support@SW1", ""),
		begin(at("09:00:10"), action.MonitoredMediationDNs, "Support@SW1", ""),
		begin(at("09:00:20"), action.CallWait, "Support@SW1", "c1"), // not a status
	})
	assert.Equal(t, "Monitored", statusOf(t, e, "q"))
	e.Advance(at("09:01:10"))
	assert.Equal(t, 60.0, num(t, e, "mon"))
}

// TestHoldStatusTimes: hold time counts as CallOnHold, not as the call type, for
// status subjects.
//
//	09:00 call c1 starts; 09:01 on hold; 09:01:30 retrieved; 09:03 ends.
//	CallInbound status: [09:00, 09:01) and [09:01:30, 09:03) = 60 + 90 s, 2 instances;
//	CallOnHold status: [09:01, 09:01:30) = 30 s.
func TestHoldStatusTimes(t *testing.T) {
	e := newEngine(t,
		statOf("in", category.TotalTime, category.SubjectDNStatus, object.TypeRegDN, "7001", action.CallInbound),
		statOf("inN", category.TotalNumber, category.SubjectDNStatus, object.TypeRegDN, "7001", action.CallInbound),
		statOf("hold", category.TotalTime, category.SubjectDNStatus, object.TypeRegDN, "7001", action.CallOnHold),
		statOf("act", category.TotalTime, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound),
	)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.CallInbound, "7001", "c1"),
		begin(at("09:01:00"), action.CallOnHold, "7001", "c1"),
		end(at("09:01:30"), action.CallOnHold, "7001", "c1"),
		end(at("09:03:00"), action.CallInbound, "7001", "c1"),
	})
	assert.Equal(t, 150.0, num(t, e, "in"))
	assert.Equal(t, 2.0, num(t, e, "inN"))
	assert.Equal(t, 30.0, num(t, e, "hold"))
	assert.Equal(t, 180.0, num(t, e, "act")) // the action itself lasts 3 minutes
}
