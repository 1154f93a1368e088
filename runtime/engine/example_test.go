package engine_test

import (
	"fmt"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// An agent logs in, takes a call and goes to after-call work; statistics on the agent
// and its group follow.
func Example() {
	var talk, ready config.Mask
	talk.Add(action.CallInbound)
	ready.Add(action.WaitForNextCall)
	cfg := &config.Config{
		Topology: config.Topology{
			Tenant:      "default",
			DNs:         []*config.DN{{ID: "7001", Type: object.DNExtension, Place: "P1"}},
			Places:      []*config.Place{{ID: "P1"}},
			Agents:      []*config.Agent{{ID: "1001"}},
			AgentGroups: []*config.Group{{ID: "Sales", Members: []string{"1001"}}},
		},
		Statistics: []*config.Statistic{
			{ID: "talk-time", Object: config.ObjectRef{Type: object.TypeAgent, ID: "1001"}, Def: &config.Def{StatType: &config.StatType{Name: "TalkTime", Category: category.TotalTime, Subject: category.SubjectDNAction, MainMask: talk}}},
			{ID: "ready-now", Object: config.ObjectRef{Type: object.TypeGroupAgents, ID: "Sales"}, Def: &config.Def{StatType: &config.StatType{Name: "AgentsReady", Category: category.CurrentNumber, Subject: category.SubjectAgentStatus, MainMask: ready}}},
			{ID: "state", Object: config.ObjectRef{Type: object.TypeAgent, ID: "1001"}, Def: &config.Def{StatType: &config.StatType{Name: "AgentState", Category: category.CurrentState, Subject: category.SubjectAgentStatus}}},
		},
	}
	e, err := engine.New(cfg)
	if err != nil {
		panic(err)
	}
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	at := func(sec int) event.Time { return event.TimeOf(t0.Add(time.Duration(sec) * time.Second)) }
	dn := event.Source{Class: object.ClassRegularDN, ID: "7001"}
	for _, ev := range []event.Event{
		{Time: at(0), Action: action.LoggedIn, Phase: event.PhaseStart, Source: dn, Agent: "1001"},
		{Time: at(0), Action: action.WaitForNextCall, Phase: event.PhaseStart, Source: dn},
		{Time: at(30), Action: action.WaitForNextCall, Phase: event.PhaseEnd, Source: dn},
		{Time: at(30), Action: action.CallInbound, Phase: event.PhaseStart, Source: dn, Interaction: "c1"},
		{Time: at(150), Action: action.CallInbound, Phase: event.PhaseEnd, Source: dn, Interaction: "c1"},
		{Time: at(150), Action: action.AfterCallWork, Phase: event.PhaseStart, Source: dn, Data: event.Data{{Key: "ReasonCode", Value: "Notes"}}},
		{Time: at(150), Action: action.CallInbound, Phase: event.PhaseEnd, Source: dn, Interaction: "c1"},
	} {
		if err := e.Apply(&ev); err != nil {
			fmt.Println("rejected:", err, engine.CodeOf(err))
		}
	}
	e.Advance(at(160))
	for _, s := range e.Statistics() {
		v, _ := e.Value(s.ID)
		fmt.Printf("%s = %v\n", s.ID, v)
	}
	// Output:
	// rejected: end_without_start: CallInbound is not in progress on regular_dn "7001" (interaction "c1") end_without_start
	// talk-time = 120
	// ready-now = 0
	// state = {"type":"Agent","id":"1001","status":"AfterCallWork","since":"2026-11-26T09:02:30.000Z","reason":"Notes","children":[{"type":"Place","id":"P1","status":"AfterCallWork","since":"2026-11-26T09:02:30.000Z","reason":"Notes","children":[{"type":"RegDN","id":"7001","status":"AfterCallWork","since":"2026-11-26T09:02:30.000Z","reason":"Notes","children":[]}]}]}
}
