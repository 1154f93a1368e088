package engine

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// allObjects are every object of the test topology.
var allObjects = []struct {
	typ object.Type
	id  string
}{
	{object.TypeRegDN, "7001"}, {object.TypeRegDN, "7002"}, {object.TypeRegDN, "7003"}, {object.TypeRegDN, "7004"},
	{object.TypePlace, "P1"}, {object.TypePlace, "P2"},
	{object.TypeAgent, "1001"}, {object.TypeAgent, "1002"},
	{object.TypeGroupAgents, "Sales"}, {object.TypeGroupAgents, "Solo"}, {object.TypeGroupPlaces, "Floor1"},
	{object.TypeQueue, "Support@SW1"}, {object.TypeRoutePoint, "RP1@SW1"}, {object.TypeGroupQueues, "AllQueues"},
	{object.TypeStagingArea, "SA1"}, {object.TypeWorkbin, "WB1"}, {object.TypeTenant, "default"},
}

// TestPropagation: for each propagation path, the objects whose TotalNumber statistic (on
// the event's action) counts the last event.
func TestPropagation(t *testing.T) {
	login := begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001"))
	cases := []struct {
		name   string
		before []*event.Event
		ev     *event.Event
		want   []string // "Type:id" of the objects reached
	}{
		{"regular DN → DN, place, place groups, logged-in agent, agent groups, tenant",
			[]*event.Event{login}, once(at("09:00:01"), action.CallAnsweredRegularDNs, "7001", "c1", 3),
			[]string{"RegDN:7001", "Place:P1", "Agent:1001", "GroupAgents:Sales", "GroupPlaces:Floor1", "Tenant:default"}},
		{"regular DN with nobody logged in: no agent",
			nil, once(at("09:00:01"), action.CallAnsweredRegularDNs, "7001", "c1", 3),
			[]string{"RegDN:7001", "Place:P1", "GroupPlaces:Floor1", "Tenant:default"}},
		{"regular DN without a place",
			nil, once(at("09:00:01"), action.CallAnsweredRegularDNs, "7004", "c1", 3),
			[]string{"RegDN:7004", "Tenant:default"}},
		{"an event naming an agent: that agent instead of the logged-in one",
			[]*event.Event{login}, once(at("09:00:01"), action.CallAnsweredRegularDNs, "7001", "c1", 3, agent("1002")),
			[]string{"RegDN:7001", "Place:P1", "Agent:1002", "GroupAgents:Sales", "GroupAgents:Solo", "GroupPlaces:Floor1", "Tenant:default"}},
		{"after the login ends the agent gets nothing",
			[]*event.Event{login, end(at("09:00:01"), action.LoggedIn, "7001", "")}, once(at("09:00:02"), action.CallAnsweredRegularDNs, "7001", "c1", 3),
			[]string{"RegDN:7001", "Place:P1", "GroupPlaces:Floor1", "Tenant:default"}},
		{"a durable end goes where its start went, even after logout",
			[]*event.Event{login, begin(at("09:00:01"), action.CallInbound, "7001", "c1"), end(at("09:00:02"), action.LoggedIn, "7001", "")},
			end(at("09:00:03"), action.CallInbound, "7001", "c1"),
			[]string{"RegDN:7001", "Place:P1", "Agent:1001", "GroupAgents:Sales", "GroupPlaces:Floor1", "Tenant:default"}},
		{"media channel naming an agent → agent, its groups, tenant",
			nil, once(at("09:00:01"), action.Accepted, "mc", "i1", 2, src(object.ClassMediaChannel, "mc"), agent("1002")),
			[]string{"Agent:1002", "GroupAgents:Sales", "GroupAgents:Solo", "Tenant:default"}},
		{"media channel naming a place → place, its groups, tenant",
			nil, once(at("09:00:01"), action.Accepted, "mc", "i1", 2, src(object.ClassMediaChannel, "mc"), place("P2")),
			[]string{"Place:P2", "GroupPlaces:Floor1", "Tenant:default"}},
		{"media channel naming both",
			nil, once(at("09:00:01"), action.Accepted, "mc", "i1", 2, src(object.ClassMediaChannel, "mc"), agent("1001"), place("P2")),
			[]string{"Agent:1001", "GroupAgents:Sales", "Place:P2", "GroupPlaces:Floor1", "Tenant:default"}},
		{"media channel whose source id is an agent",
			nil, once(at("09:00:01"), action.Accepted, "1001", "i1", 2, src(object.ClassMediaChannel, "1001")),
			[]string{"Agent:1001", "GroupAgents:Sales", "Tenant:default"}},
		{"mediation DN → queue, queue groups, tenant",
			nil, once(at("09:00:01"), action.CallDistributed, "Support@SW1", "c1", 7),
			[]string{"Queue:Support@SW1", "GroupQueues:AllQueues", "Tenant:default"}},
		{"routing point → itself, queue groups, tenant",
			nil, once(at("09:00:01"), action.CallDistributed, "RP1@SW1", "c1", 7),
			[]string{"RoutePoint:RP1@SW1", "GroupQueues:AllQueues", "Tenant:default"}},
		{"staging area → itself, tenant",
			nil, once(at("09:00:01"), action.InteractionEntered, "SA1", "i1", 0, src(object.ClassStagingArea, "SA1")),
			[]string{"StagingArea:SA1", "Tenant:default"}},
		{"agent workbin → workbin, the named agent, its groups, tenant",
			nil, once(at("09:00:01"), action.InteractionEnteredAgentWorkbin, "WB1", "i1", 0, src(object.ClassAgentWorkbin, "WB1"), agent("1002")),
			[]string{"Workbin:WB1", "Agent:1002", "GroupAgents:Sales", "GroupAgents:Solo", "Tenant:default"}},
		{"tenant → tenant",
			nil, once(at("09:00:01"), action.ExternalServiceRequestedTenants, "default", "i1", 0, src(object.ClassTenant, "default")),
			[]string{"Tenant:default"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t)
			for _, o := range allObjects {
				s := statOf(fmt.Sprintf("%v:%s", o.typ, o.id), category.TotalNumber, category.SubjectDNAction, o.typ, o.id, c.ev.Action)
				assert.NoError(t, e.Open(s))
			}
			applyAll(t, e, append(c.before, c.ev))
			var got []string
			for _, s := range e.Statistics() {
				if num(t, e, s.ID) > 0 {
					got = append(got, s.ID)
				}
			}
			assert.ElementsMatch(t, c.want, got)
		})
	}
}

// TestApplicability: an action is delivered only to the object types it reaches. A
// media-channel action never reaches a RegDN even where one is involved, and a mediation
// DN action never reaches agents.
func TestApplicability(t *testing.T) {
	e := newEngine(t,
		statOf("agentQ", category.TotalNumber, category.SubjectDNAction, object.TypeAgent, "1001", action.CallDistributed),
		statOf("dnMC", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", action.Accepted),
	)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		once(at("09:00:01"), action.CallDistributed, "Support@SW1", "c1", 7, agent("1001")),
		once(at("09:00:02"), action.Accepted, "1001", "i1", 2, src(object.ClassMediaChannel, "1001")),
	})
	assert.Equal(t, 0.0, num(t, e, "agentQ"))
	assert.Equal(t, 0.0, num(t, e, "dnMC"))
}
