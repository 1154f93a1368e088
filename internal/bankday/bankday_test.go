package bankday

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/event"
)

const sample = `vru+line,call_id,type,vru_entry,vru_exit,vru_time,q_start,q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server,server_abv
AA0101,1,PS,0:10:00,0:10:10,10,0:10:10,0:10:30,20,AGENT,0:10:30,0:14:30,240,ANN,ANN
AA0102,2,PS,0:11:00,0:11:05,5,0:11:05,0:12:05,60,HANG,0:00:00,0:00:00,0,NO_SERVER,NO_
AA0103,3,NW,0:12:00,0:12:03,3,0:00:00,0:00:00,0,AGENT,0:12:03,0:13:03,60,BOB,BOB
AA0104,4,NW,bad,0:12:03,3,0:00:00,0:00:00,0,AGENT,0:12:03,0:13:03,60,BOB,BOB
AA0105,5,NW,0:20:00,0:20:03,3,0:20:03,0:20:01,0,AGENT,0:00:00,0:00:00,0,NO_SERVER,NO_
`

func TestParseSkipsMalformedRowsWithTheirLine(t *testing.T) {
	day, err := Parse(strings.NewReader(sample))
	require.NoError(t, err)
	assert.Len(t, day.Calls, 4)    // line 5's bad vru_entry is a column the converter does not read
	require.Len(t, day.Skipped, 1) // line 6 leaves the queue before it entered
	assert.Contains(t, day.Skipped[0].Error(), "line 6: queue exit before queue start")
	assert.Equal(t, "AA0101/1", day.Calls[0].ID)
	assert.Equal(t, 10*60+10, day.Calls[0].QStart)
}

func TestEventsByHand(t *testing.T) {
	day, err := Parse(strings.NewReader(sample))
	require.NoError(t, err)
	evs := day.Events()
	// Call 1: 4 queue events + 2 agent events; call 2: 4 queue events; call 3 (unqueued,
	// served): 2 agent events; line 5's row is served too. Logins: ANN and BOB, 2 each.
	count := map[action.ID]int{}
	for _, e := range evs {
		count[e.Action]++
	}
	assert.Equal(t, 2, count[action.CallEntered])
	assert.Equal(t, 1, count[action.CallDistributed])
	assert.Equal(t, 1, count[action.CallAbandoned])
	assert.Equal(t, 6, count[action.CallInbound]) // calls 1, 3 and line 5's row, start+end
	assert.Equal(t, 4, count[action.LoggedIn])
	for i := 1; i < len(evs); i++ {
		assert.LessOrEqual(t, evs[i-1].Time, evs[i].Time, "events out of order at %d", i)
	}
	// The abandon carries the 60 s wait; ANN logs in a minute before 0:10:30.
	for _, e := range evs {
		switch {
		case e.Action == action.CallAbandoned:
			assert.Equal(t, int64(60_000), e.Duration)
		case e.Action == action.LoggedIn && e.Agent == "ANN" && e.Phase == event.PhaseStart:
			assert.Equal(t, at(10*60+30-60), e.Time)
		}
	}
}

func TestTopology(t *testing.T) {
	day, err := Parse(strings.NewReader(sample))
	require.NoError(t, err)
	top := day.Topology()
	assert.Len(t, top.Agents, 2)
	assert.Len(t, top.DNs, 2+1) // two extensions, one queue (PS; NW never queued validly)
	assert.Equal(t, []string{"PS@Bank"}, top.QueueGroups[0].Members)
}

func TestRealDay(t *testing.T) {
	f, err := os.Open(dataPath)
	require.NoError(t, err, "the bank day's CSV is part of the repository")
	defer f.Close()
	day, err := Parse(f)
	require.NoError(t, err)
	assert.Equal(t, 2375, len(day.Calls)+len(day.Skipped))
}
