package engine

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// TestPerAgentActionsOnAQueue: several agents log in to one ACD queue at once. Their
// AgentLogin instances carry no interaction, so the agent each event names tells them
// apart; a second start for the same agent is still a duplicate, and an end names the
// agent whose instance it ends.
func TestPerAgentActionsOnAQueue(t *testing.T) {
	login := action.AgentLoginMediationDNs
	cur := statOf("cur", category.CurrentNumber, category.SubjectDNAction, object.TypeQueue, "Support@SW1", login)
	total := statOf("total", category.TotalNumber, category.SubjectDNAction, object.TypeQueue, "Support@SW1", login)
	tt := statOf("time", category.TotalTime, category.SubjectDNAction, object.TypeQueue, "Support@SW1", login)
	e := newEngine(t, cur, total, tt)

	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), login, "Support@SW1", "", agent("1001")),
		begin(at("09:00:10"), login, "Support@SW1", "", agent("1002")),
	})
	assert.Equal(t, 2.0, num(t, e, "cur"), "both agents are logged in to the queue")

	err := e.Apply(begin(at("09:00:20"), login, "Support@SW1", "", agent("1002")))
	assert.ErrorContains(t, err, "duplicate_start")
	assert.ErrorContains(t, err, `agent "1002"`)
	err = e.Apply(end(at("09:00:20"), login, "Support@SW1", "", agent("1003")))
	assert.ErrorContains(t, err, "end_without_start")

	applyAll(t, e, []*event.Event{end(at("09:01:00"), login, "Support@SW1", "", agent("1001"))})
	assert.Equal(t, 1.0, num(t, e, "cur"))
	assert.Equal(t, 1.0, num(t, e, "total"))
	assert.Equal(t, 60.0, num(t, e, "time"), "1001's login: 09:00:00 to 09:01:00")
	applyAll(t, e, []*event.Event{end(at("09:02:10"), login, "Support@SW1", "", agent("1002"))})
	assert.Equal(t, 0.0, num(t, e, "cur"))
	assert.Equal(t, 2.0, num(t, e, "total"))
	assert.Equal(t, 180.0, num(t, e, "time"), "plus 1002's: 09:00:10 to 09:02:10")
}

// TestPerAgentKeysSurviveASnapshot: a restored engine still tells apart the agents whose
// instances were in progress on one queue when the snapshot was taken.
func TestPerAgentKeysSurviveASnapshot(t *testing.T) {
	login := action.AgentLoginMediationDNs
	e := newEngine(t)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), login, "Support@SW1", "", agent("1001")),
		begin(at("09:00:10"), login, "Support@SW1", "", agent("1002")),
	})
	var buf bytes.Buffer
	require.NoError(t, e.Snapshot(&buf))
	r, err := Restore(&config.Config{Topology: testTopology()}, bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	require.NoError(t, r.Open(statOf("cur", category.CurrentNumber, category.SubjectDNAction, object.TypeQueue, "Support@SW1", login)))
	assert.Equal(t, 2.0, num(t, r, "cur"))
	applyAll(t, r, []*event.Event{end(at("09:01:00"), login, "Support@SW1", "", agent("1002"))})
	assert.Equal(t, 1.0, num(t, r, "cur"))
	applyAll(t, r, []*event.Event{end(at("09:02:00"), login, "Support@SW1", "", agent("1001"))})
	assert.Equal(t, 0.0, num(t, r, "cur"))
}
