package source_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/input"
)

// brief is an event in one line: seconds after t0, action, phase, source, interaction,
// agent, duration in seconds, data.
func brief(ev event.Event) string {
	s := fmt.Sprintf("+%g %s", float64(int64(ev.Time)-t0*1000)/1000, ev.Action)
	if ev.Phase != event.PhaseNone {
		s += " " + ev.Phase.String()
	}
	s += " " + ev.Source.ID
	if ev.Interaction != "" {
		s += " ixn=" + ev.Interaction
	}
	if ev.Agent != "" {
		s += " agent=" + ev.Agent
	}
	if ev.Action.Kind() == action.KindRetrospective {
		s += fmt.Sprintf(" %gs", float64(ev.Duration)/1000)
	}
	for _, p := range ev.Data {
		s += " " + p.Key + "=" + p.Value
	}
	return s
}

// replayFixture reads a recorded fixture of format name through the mapper and returns
// the events in brief, the rejections and the mapper.
func replayFixture(t *testing.T, name, file string, opts source.Options) ([]string, []*event.Rejection, *source.Mapper) {
	t.Helper()
	f, err := input.Format(name)
	require.NoError(t, err)
	fh, err := os.Open(file)
	require.NoError(t, err)
	defer fh.Close()
	r, err := input.Recorded(f, fh)
	require.NoError(t, err)
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m := source.NewMapper(f, opts)
	evs := source.NewEvents(r, m, 0)
	var out []string
	var rejs []*event.Rejection
	for {
		ev, rej, err := evs.Next()
		if errors.Is(err, io.EOF) {
			return out, rejs, m
		}
		require.NoError(t, err)
		if rej != nil {
			rejs = append(rejs, rej)
			continue
		}
		out = append(out, brief(ev))
	}
}

func TestAMIFixture(t *testing.T) {
	got, rejs, m := replayFixture(t, "asterisk-ami", "testdata/ami-calls.txt", source.Options{Attach: []string{"SEGMENT"}})
	require.Empty(t, rejs)
	u1, u2 := "ixn=1767225700.11", "ixn=1767225800.12"
	assert.Equal(t, []string{
		"+10 LoggedIn start Alice agent=Alice",
		"+10 AgentLogin (Regular DNs) Alice agent=Alice",
		"+10 AgentLogin (Mediation DNs) start sales agent=Alice",
		"+10 AgentReady start sales agent=Alice",
		"+10 WaitForNextCall start Alice agent=Alice",
		"+10 AgentLogin (Mediation DNs) start support agent=Alice",
		"+10 AgentReady start support agent=Alice",
		"+100.25 CallEntered sales " + u1 + " CallerID=5550001 CallerName=Bob Caller SEGMENT=Gold",
		"+100.25 CallWait start sales " + u1 + " CallerID=5550001 CallerName=Bob Caller SEGMENT=Gold",
		"+101 CallRingingStarted Alice " + u1 + " agent=Alice CallerID=5550001",
		"+104 CallWait end sales " + u1,
		"+104 CallDistributed sales " + u1 + " agent=Alice 4s",
		"+104 CallInbound start Alice " + u1 + " agent=Alice CallerID=5550001 CallerName=Bob Caller SEGMENT=Gold",
		"+104 CallAnswered (Regular DNs) Alice " + u1 + " agent=Alice 3s",
		"+150 CallInbound update Alice " + u1 + " agent=Alice SEGMENT=Platinum",
		"+204 CallInbound end Alice " + u1 + " agent=Alice",
		"+204 CallReleased (Mediation DNs) sales " + u1 + " agent=Alice 100s ReleasedBy=caller",
		"+300 CallEntered support " + u2 + " CallerID=5550002 CallerName=Carol",
		"+300 CallWait start support " + u2 + " CallerID=5550002 CallerName=Carol",
		"+316 CallMissed support " + u2 + " agent=Alice 15s",
		"+330 CallAbandoned support " + u2 + " 30s",
		"+330 CallWait end support " + u2,
		"+400 AgentReady end sales agent=Alice",
		"+401 AgentReady end support agent=Alice",
		"+401 WaitForNextCall end Alice agent=Alice",
		"+401 NotReadyForNextCall start Alice agent=Alice ReasonCode=Lunch",
		"+500 AgentLogin (Mediation DNs) end sales agent=Alice",
		"+501 AgentLogin (Mediation DNs) end support agent=Alice",
		"+501 NotReadyForNextCall end Alice agent=Alice",
		"+501 LoggedIn end Alice agent=Alice",
		"+501 AgentLogout Alice agent=Alice 491s",
	}, got)
	s := m.Stats()
	assert.Equal(t, map[string]int64{"Newchannel": 1}, s.Unmapped)
	assert.Equal(t, int64(1), s.Updates, "SEGMENT changed on the call in progress (DIALSTATUS is not attached)")
	assert.Zero(t, s.UpdatesHeld)
}

func TestESLFixture(t *testing.T) {
	got, rejs, m := replayFixture(t, "freeswitch-esl", "testdata/esl-calls.txt", source.Options{Attach: []string{"segment"}})
	require.Empty(t, rejs)
	a := "1000@default"
	q := "support@default"
	m1, m2, m3 := "ixn=a1b2c3d4-0000-4000-8000-000000000001", "ixn=a1b2c3d4-0000-4000-8000-000000000002", "ixn=a1b2c3d4-0000-4000-8000-000000000003"
	assert.Equal(t, []string{
		"+5 LoggedIn start " + a + " agent=" + a,
		"+5 AgentLogin (Regular DNs) " + a + " agent=" + a,
		"+5 WaitForNextCall start " + a + " agent=" + a,
		"+100 CallEntered " + q + " " + m1 + " CallerID=5550001 CallerName=Bob Caller segment=Gold",
		"+100 CallWait start " + q + " " + m1 + " CallerID=5550001 CallerName=Bob Caller segment=Gold",
		"+102 CallRingingStarted " + a + " " + m1 + " agent=" + a + " CallerID=5550001",
		"+110 CallWait end " + q + " " + m1,
		"+110 CallDistributed " + q + " " + m1 + " agent=" + a + " 10s",
		"+110 CallInbound start " + a + " " + m1 + " agent=" + a + " CallerID=5550001 CallerName=Bob Caller",
		"+110 CallAnswered (Regular DNs) " + a + " " + m1 + " agent=" + a + " 8s",
		"+150 CallInbound update " + a + " " + m1 + " agent=" + a + " segment=Platinum",
		"+210 CallInbound end " + a + " " + m1 + " agent=" + a,
		"+210 CallReleased (Mediation DNs) " + q + " " + m1 + " agent=" + a + " 100s",
		"+300 CallEntered " + q + " " + m2 + " CallerID=5550002 CallerName=Carol",
		"+300 CallWait start " + q + " " + m2 + " CallerID=5550002 CallerName=Carol",
		"+301 CallRingingStarted " + a + " " + m2 + " agent=" + a,
		"+321 CallMissed " + q + " " + m2 + " agent=" + a + " 20s",
		"+330 CallWait end " + q + " " + m2,
		"+330 CallAbandoned " + q + " " + m2 + " 30s",
		"+400 CallEntered " + q + " " + m3,
		"+400 CallWait start " + q + " " + m3,
		"+460 CallWait end " + q + " " + m3,
		"+460 CallCleared " + q + " " + m3 + " 60s ExitReason=TIMEOUT",
		"+500 WaitForNextCall end " + a + " agent=" + a,
		"+500 NotReadyForNextCall start " + a + " agent=" + a + " ReasonCode=On Break",
		"+501 NotReadyForNextCall end " + a + " agent=" + a, // Idle is the latest reason now
		"+501 NotReadyForNextCall start " + a + " agent=" + a + " ReasonCode=Idle",
		"+650 NotReadyForNextCall end " + a + " agent=" + a, // Available (600) left Idle; Waiting lifts it
		"+650 WaitForNextCall start " + a + " agent=" + a,
		"+700 WaitForNextCall end " + a + " agent=" + a,
		"+700 LoggedIn end " + a + " agent=" + a,
		"+700 AgentLogout " + a + " agent=" + a + " 695s",
	}, got)
	s := m.Stats()
	assert.Empty(t, s.Unmapped)
	assert.Equal(t, int64(1), s.Updates, "segment set on the caller's channel during the agent call")
	assert.Zero(t, s.UpdatesHeld)
}

// TestRejectedRecordUndoes: a record refused after it changed the call state (its
// CallWait end was tracked, then its CallDistributed came out negative) leaves the state
// as it was, so the wait can still end.
func TestRejectedRecordUndoes(t *testing.T) {
	m := source.NewMapper(gs.FreeSWITCHESL(), source.Options{})
	rec := func(kv ...string) *source.Record {
		r := &source.Record{}
		for i := 0; i+1 < len(kv); i += 2 {
			r.Add(kv[i], kv[i+1])
		}
		return r
	}
	base := []string{"Event-Name", "CUSTOM", "Event-Date-Timestamp", "1767225700000000", "CC-Queue", "q", "CC-Member-Session-UUID", "m"}
	evs, rej := m.Map(rec(append(base, "CC-Action", "member-queue-start")...), nil)
	require.Nil(t, rej)
	require.Len(t, evs, 2)
	before, _ := m.MarshalBinary()
	bad := append(base, "CC-Action", "bridge-agent-start", "CC-Agent", "a", "CC-Agent-Called-Time", "1767225690",
		"CC-Agent-Answered-Time", "1767225690", "CC-Member-Joined-Time", "1767225695")
	evs, rej = m.Map(rec(bad...), nil)
	require.NotNil(t, rej)
	assert.Empty(t, evs)
	assert.Equal(t, "bad_field", rej.Code)
	assert.Equal(t, "bridge-agent-start: the duration of CallDistributed is negative (-5000 ms)", rej.Reason)
	after, _ := m.MarshalBinary()
	assert.Equal(t, string(before), string(after))
}

// TestQueueLogQuirksStatistics replays a queue_log with real-world quirks (a restart
// line, an old layout, an agent in two queues, a call transferred from one queue to the
// other, a line written out of order, an unmapped event, an old EXITWITHTIMEOUT without
// its wait) through the mapper and the engine, and checks figures worked out by hand.
func TestQueueLogQuirksStatistics(t *testing.T) {
	cfg, err := config.Load("quirks.yaml", strings.NewReader(`topology:
  dns:
    - {id: sales, type: ACDQueue}
    - {id: support, type: ACDQueue}
    - {id: "1001", type: Extension}
    - {id: "1002", type: Extension}
  agents:
    - {id: "1001", name: Alice}
    - {id: "1002", name: Bob}
statTypes:
  Entered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  Distributed: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
  Abandoned: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallAbandoned]}
  Cleared: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallCleared]}
  Missed: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallMissed]}
  AverageWait: {objects: [Queue], category: AverageTime, subject: DNAction, mainMask: [CallDistributed]}
  WaitTime: {objects: [Queue], category: TotalTime, subject: DNAction, mainMask: [CallWait]}
  LoggedIn: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [AgentLogin]}
  Ready: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [AgentReady]}
  Handled: {objects: [Agent], category: TotalNumber, subject: DNAction, mainMask: [CallInbound]}
  Talk: {objects: [Agent], category: TotalTime, subject: DNAction, mainMask: [CallInbound]}
  State: {objects: [Agent], category: CurrentState, subject: AgentStatus, mainMask: ["*"]}
statistics:
  - {id: s.entered, statType: Entered, object: {type: Queue, id: sales}}
  - {id: s.distributed, statType: Distributed, object: {type: Queue, id: sales}}
  - {id: s.abandoned, statType: Abandoned, object: {type: Queue, id: sales}}
  - {id: s.cleared, statType: Cleared, object: {type: Queue, id: sales}}
  - {id: s.wait, statType: AverageWait, object: {type: Queue, id: sales}}
  - {id: s.waittime, statType: WaitTime, object: {type: Queue, id: sales}}
  - {id: s.loggedin, statType: LoggedIn, object: {type: Queue, id: sales}}
  - {id: s.ready, statType: Ready, object: {type: Queue, id: sales}}
  - {id: u.entered, statType: Entered, object: {type: Queue, id: support}}
  - {id: u.distributed, statType: Distributed, object: {type: Queue, id: support}}
  - {id: u.missed, statType: Missed, object: {type: Queue, id: support}}
  - {id: u.wait, statType: AverageWait, object: {type: Queue, id: support}}
  - {id: u.waittime, statType: WaitTime, object: {type: Queue, id: support}}
  - {id: u.loggedin, statType: LoggedIn, object: {type: Queue, id: support}}
  - {id: u.ready, statType: Ready, object: {type: Queue, id: support}}
  - {id: alice.handled, statType: Handled, object: {type: Agent, id: "1001"}}
  - {id: alice.talk, statType: Talk, object: {type: Agent, id: "1001"}}
  - {id: alice.state, statType: State, object: {type: Agent, id: "1001"}}
  - {id: bob.handled, statType: Handled, object: {type: Agent, id: "1002"}}
  - {id: bob.talk, statType: Talk, object: {type: Agent, id: "1002"}}
  - {id: bob.state, statType: State, object: {type: Agent, id: "1002"}}
`))
	require.NoError(t, err)
	f := gs.AsteriskQueueLog()
	fh, err := os.Open("testdata/queue_log-quirks")
	require.NoError(t, err)
	defer fh.Close()
	r, err := input.Recorded(f, fh)
	require.NoError(t, err)
	m := source.NewMapper(f, source.Options{Topology: &cfg.Topology, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	evs := source.NewEvents(r, m, 5000)
	e, err := engine.New(cfg)
	require.NoError(t, err)
	for {
		ev, rej, err := evs.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej)
		require.NoError(t, e.Apply(&ev), brief(ev))
	}
	e.Advance(event.Time((t0 + 1000) * 1000))
	num := func(id string) float64 {
		v, err := e.Value(id)
		require.NoError(t, err)
		return v.Number
	}
	// sales: c1 (waited 30, distributed), c3 (abandoned after 60), c4 (timed out after 20,
	// an old line without its wait: no CallCleared); Alice is paused there.
	assert.Equal(t, 3.0, num("s.entered"))
	assert.Equal(t, 1.0, num("s.distributed"))
	assert.Equal(t, 1.0, num("s.abandoned"))
	assert.Equal(t, 0.0, num("s.cleared"))
	assert.Equal(t, 30.0, num("s.wait"))
	assert.Equal(t, 110.0, num("s.waittime"))
	assert.Equal(t, 1.0, num("s.loggedin"))
	assert.Equal(t, 0.0, num("s.ready"))
	// support: c2 (rang Bob's phone 15 s unanswered — the line written before an earlier
	// one —, then Bob took it after 50 s) and c1 transferred in (Alice after 25 s); Bob left.
	assert.Equal(t, 2.0, num("u.entered"))
	assert.Equal(t, 2.0, num("u.distributed"))
	assert.Equal(t, 1.0, num("u.missed"))
	assert.Equal(t, 37.5, num("u.wait"))
	assert.Equal(t, 75.0, num("u.waittime"))
	assert.Equal(t, 1.0, num("u.loggedin"))
	assert.Equal(t, 1.0, num("u.ready"))
	// Alice: c1 in sales (100 s, until her transfer) and in support (200 s); Bob: c2 (150 s).
	assert.Equal(t, 2.0, num("alice.handled"))
	assert.Equal(t, 300.0, num("alice.talk"))
	assert.Equal(t, 1.0, num("bob.handled"))
	assert.Equal(t, 150.0, num("bob.talk"))
	state := func(id string) action.ID {
		v, err := e.Value(id)
		require.NoError(t, err)
		return v.State.Status
	}
	assert.Equal(t, action.WaitForNextCall, state("alice.state"), "paused in sales, not in support: ready")
	assert.Equal(t, action.LoggedOut, state("bob.state"), "removed from his only queue")
	assert.Equal(t, map[string]int64{"DID": 1}, m.Stats().Unmapped)
}

// TestUpdatesKeepData: a variable set on a waiting caller's channel updates the wait: an
// update event carries the pair that changed and the mapper keeps the merged data; the
// same value again is no change; a variable that is not attached is ignored.
func TestUpdatesKeepData(t *testing.T) {
	m := source.NewMapper(gs.AsteriskAMI(), source.Options{Attach: []string{"SEGMENT"}})
	rec := func(kv ...string) *source.Record {
		r := &source.Record{}
		for i := 0; i+1 < len(kv); i += 2 {
			r.Add(kv[i], kv[i+1])
		}
		return r
	}
	base := []string{"Timestamp", "1767225700.000000", "Uniqueid", "u1"}
	_, rej := m.Map(rec(append(base, "Event", "QueueCallerJoin", "Queue", "sales", "Position", "1", "Count", "1", "ChanVariable", "SEGMENT=Gold", "ChanVariable", "LANG=fr")...), nil)
	require.Nil(t, rej)
	var got []string
	for _, v := range [][2]string{{"SEGMENT", "Platinum"}, {"SEGMENT", "Platinum"}, {"DIALSTATUS", "ANSWER"}} {
		evs, rej := m.Map(rec(append(base, "Event", "VarSet", "Variable", v[0], "Value", v[1])...), nil)
		require.Nil(t, rej)
		for _, ev := range evs {
			got = append(got, brief(ev))
		}
	}
	assert.Equal(t, []string{"+100 CallWait update sales ixn=u1 SEGMENT=Platinum"}, got, "the changed pair only, once")
	assert.Equal(t, int64(1), m.Stats().Updates)
	assert.Zero(t, m.Stats().UpdatesHeld)
	state, err := m.MarshalBinary()
	require.NoError(t, err)
	assert.Contains(t, string(state), `"data":[{"Key":"SEGMENT","Value":"Platinum"}]`)
	assert.NotContains(t, string(state), "DIALSTATUS")
}

// TestMapFrames maps a live AMI batch: an event without Timestamp takes the frame's
// receipt time, a broken frame is a rejection with its line, the rest goes on.
func TestMapFrames(t *testing.T) {
	m := source.NewMapper(gs.AsteriskAMI(), source.Options{})
	recv := event.Time((t0 + 5) * 1000)
	frames := []source.Frame{
		{Data: []byte("Event: QueueCallerJoin\r\nUniqueid: u1\r\nQueue: sales\r\nPosition: 1\r\nCount: 1\r\n"), Line: 1, Received: recv},
		{Data: []byte("Event: QueueCallerLeave\r\nbroken\r\n"), Line: 2, Received: recv},
		{Data: []byte("Event: QueueCallerLeave\r\nUniqueid: u1\r\nQueue: sales\r\nPosition: 1\r\nCount: 0\r\n"), Line: 3},
	}
	dec, err := input.Decoder(gs.AsteriskAMI())
	require.NoError(t, err)
	evs, rejs := source.MapFrames(dec, m, frames, nil)
	require.Len(t, rejs, 2)
	assert.Equal(t, 2, rejs[0].Line)
	assert.Equal(t, "bad_block", rejs[0].Code)
	assert.Equal(t, 3, rejs[1].Line)
	assert.Equal(t, "no_time", rejs[1].Code, "neither a Timestamp nor a receipt time")
	require.Len(t, evs, 2)
	assert.Equal(t, recv, evs[0].Time)
	assert.Equal(t, "+5 CallWait start sales ixn=u1", brief(evs[1]))
}
