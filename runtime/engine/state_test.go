package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// TestCurrentStateReasons: agent 1001 goes not ready (Break) on 7001 at 09:00:10 and takes
// call c1 at 09:01:00 while still not ready; DN 7002 (same place) enters after-call work
// (Notes) at 09:01:10. The status is the call, the reasons show what is behind it.
func TestCurrentStateReasons(t *testing.T) {
	e := newEngine(t,
		statOf("agent", category.CurrentStateReasons, agentStat, object.TypeAgent, "1001"),
		statOf("group", category.CurrentState, agentStat, object.TypeGroupAgents, "Solo"),
		statOf("tenant", category.CurrentState, placeStat, object.TypeTenant, "default"),
	)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:10"), action.NotReadyForNextCall, "7001", "", reason("Break")),
		begin(at("09:01:00"), action.CallInbound, "7001", "c1"),
		begin(at("09:01:10"), action.AfterCallWork, "7002", "", reason("Notes")),
	})
	v, err := e.Value("agent")
	require.NoError(t, err)
	nr := `{"action":"NotReadyForNextCall","reason":"Break","dn":"7001","since":"2026-11-26T09:00:10.000Z"}`
	acw := `{"action":"AfterCallWork","reason":"Notes","dn":"7002","since":"2026-11-26T09:01:10.000Z"}`
	assert.JSONEq(t, `{"type":"Agent","id":"1001","status":"CallInbound","since":"2026-11-26T09:01:00.000Z","reason":"","reasons":[`+nr+`],"children":[
		{"type":"Place","id":"P1","status":"CallInbound","since":"2026-11-26T09:01:00.000Z","reason":"","reasons":[`+nr+`,`+acw+`],"children":[
			{"type":"RegDN","id":"7001","status":"CallInbound","since":"2026-11-26T09:01:00.000Z","reason":"","reasons":[`+nr+`],"children":[]},
			{"type":"RegDN","id":"7002","status":"AfterCallWork","since":"2026-11-26T09:01:10.000Z","reason":"Notes","reasons":[`+acw+`],"children":[]}]}]}`,
		jsonOf(t, v))
	// A group lists its members; a logged-out agent is a leaf.
	v, _ = e.Value("group")
	assert.JSONEq(t, `{"type":"GroupAgents","id":"Solo","status":"","since":"2026-11-26T09:00:00.000Z","reason":"","children":[
		{"type":"Agent","id":"1002","status":"LoggedOut","since":"2026-11-26T09:00:00.000Z","reason":"","children":[]}]}`, jsonOf(t, v))
	// A tenant with a place subject lists its places.
	v, _ = e.Value("tenant")
	assert.Len(t, v.State.Children, 2)
	assert.Equal(t, "P2", v.State.Children[1].ID)
}

// TestGroupStatus: GroupStatus counts the member agents' statuses on a GroupAgents (as
// AgentStatus) and the member places' on a GroupPlaces (as PlaceStatus).
func TestGroupStatus(t *testing.T) {
	for _, c := range []category.Category{category.TotalNumber, category.TotalTime, category.CurrentNumber, category.CurrentTime, category.MaxTime, category.AverageOfCurrentNumber} {
		t.Run(c.String(), func(t *testing.T) {
			e := newEngine(t,
				statOf("ga", c, category.SubjectGroupStatus, object.TypeGroupAgents, "Sales", readyOrNR...),
				statOf("as", c, agentStat, object.TypeGroupAgents, "Sales", readyOrNR...),
				statOf("gp", c, category.SubjectGroupStatus, object.TypeGroupPlaces, "Floor1", readyOrNR...),
				statOf("ps", c, placeStat, object.TypeGroupPlaces, "Floor1", readyOrNR...),
			)
			e.Advance(at("08:00:00"))
			for _, until := range []string{"09:01:00", "09:03:00", "09:06:00"} {
				replayTo(t, e, dropApplied(statusScenario(), e.Now()), at(until))
				assert.Equal(t, num(t, e, "as"), num(t, e, "ga"), until)
				assert.Equal(t, num(t, e, "ps"), num(t, e, "gp"), until)
			}
			assert.NotZero(t, num(t, e, "ga"))
		})
	}
}
