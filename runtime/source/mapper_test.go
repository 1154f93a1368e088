package source_test

import (
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/queuelog"
)

// t0 is 2026-01-01T00:00:00Z; queue_log lines below are at t0 + seconds.
const t0 = 1767225600

// mapLines maps queue_log lines and returns every produced event as canonical NDJSON, one
// group per line, and the rejections.
func mapLines(t *testing.T, m *source.Mapper, lines ...string) ([][]string, []*event.Rejection) {
	t.Helper()
	var out [][]string
	var rejs []*event.Rejection
	var rec source.Record
	for i, l := range lines {
		require.NoError(t, queuelog.Parse(m.Format(), []byte(l), &rec), l)
		rec.Line = i + 1
		evs, rej := m.Map(&rec, nil)
		if rej != nil {
			rejs = append(rejs, rej)
		}
		out = append(out, encode(t, evs))
	}
	return out, rejs
}

func encode(t *testing.T, evs []event.Event) []string {
	t.Helper()
	out := []string{}
	for _, ev := range evs {
		b, err := event.AppendJSON(nil, ev)
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}

func qlMapper(opts source.Options) *source.Mapper {
	return source.NewMapper(gs.AsteriskQueueLog(), opts)
}

func TestQueueLogCallLines(t *testing.T) {
	m := qlMapper(source.Options{})
	got, rejs := mapLines(t, m,
		"1767225600|1700.1|sales|NONE|ENTERQUEUE||5551234|1",
		"1767225612|1700.1|sales|SIP/alice|CONNECT|12|1700.2|3",
		"1767225700|1700.1|sales|SIP/alice|COMPLETECALLER|12|88|1",
	)
	require.Empty(t, rejs)
	assert.Equal(t, []string{
		`{"time":"2026-01-01T00:00:00.000Z","action":"CallEntered","source":{"class":"mediation_dn","id":"sales"},"interaction":"1700.1","media":"voice","data":{"CallerID":"5551234"}}`,
		`{"time":"2026-01-01T00:00:00.000Z","action":"CallWait","phase":"start","source":{"class":"mediation_dn","id":"sales"},"interaction":"1700.1","media":"voice","data":{"CallerID":"5551234"}}`,
	}, got[0])
	// CONNECT: the agent is a member (implicit join, so it is logged in and ready), then
	// the wait ends, the distribution with the hold time, the call and the answer.
	assert.Equal(t, []string{
		`{"time":"2026-01-01T00:00:12.000Z","action":"LoggedIn","phase":"start","source":{"class":"regular_dn","id":"SIP/alice"},"agent":"SIP/alice"}`,
		`{"time":"2026-01-01T00:00:12.000Z","action":"AgentLogin","variant":"Regular DNs","source":{"class":"regular_dn","id":"SIP/alice"},"agent":"SIP/alice"}`,
		`{"time":"2026-01-01T00:00:12.000Z","action":"AgentLogin","variant":"Mediation DNs","phase":"start","source":{"class":"mediation_dn","id":"sales"},"agent":"SIP/alice"}`,
		`{"time":"2026-01-01T00:00:12.000Z","action":"AgentReady","phase":"start","source":{"class":"mediation_dn","id":"sales"},"agent":"SIP/alice"}`,
		`{"time":"2026-01-01T00:00:12.000Z","action":"WaitForNextCall","phase":"start","source":{"class":"regular_dn","id":"SIP/alice"},"agent":"SIP/alice"}`,
		`{"time":"2026-01-01T00:00:12.000Z","action":"CallWait","phase":"end","source":{"class":"mediation_dn","id":"sales"},"interaction":"1700.1","media":"voice"}`,
		`{"time":"2026-01-01T00:00:12.000Z","action":"CallDistributed","source":{"class":"mediation_dn","id":"sales"},"interaction":"1700.1","media":"voice","agent":"SIP/alice","duration":12}`,
		`{"time":"2026-01-01T00:00:12.000Z","action":"CallInbound","phase":"start","source":{"class":"regular_dn","id":"SIP/alice"},"interaction":"1700.1","media":"voice","agent":"SIP/alice"}`,
		`{"time":"2026-01-01T00:00:12.000Z","action":"CallAnswered","variant":"Regular DNs","source":{"class":"regular_dn","id":"SIP/alice"},"interaction":"1700.1","media":"voice","agent":"SIP/alice","duration":3}`,
	}, got[1])
	assert.Equal(t, []string{
		`{"time":"2026-01-01T00:01:40.000Z","action":"CallInbound","phase":"end","source":{"class":"regular_dn","id":"SIP/alice"},"interaction":"1700.1","media":"voice","agent":"SIP/alice"}`,
		`{"time":"2026-01-01T00:01:40.000Z","action":"CallReleased","variant":"Mediation DNs","source":{"class":"mediation_dn","id":"sales"},"interaction":"1700.1","media":"voice","agent":"SIP/alice","duration":88,"data":{"ReleasedBy":"caller"}}`,
	}, got[2])
	s := m.Stats()
	assert.Equal(t, int64(3), s.Records)
	assert.Equal(t, int64(13), s.Events)
}

func TestQueueLogOldLayouts(t *testing.T) {
	m := qlMapper(source.Options{})
	got, rejs := mapLines(t, m,
		// Asterisk 1.2: ENTERQUEUE url|callerid, CONNECT holdtime only, COMPLETEAGENT holdtime|calltime.
		"1767225600|1.1|q|NONE|ENTERQUEUE||555",
		"1767225605|1.1|q|Agent/1001|CONNECT|5",
		"1767225665|1.1|q|Agent/1001|COMPLETEAGENT|5|60",
		// Asterisk 1.4: EXITWITHTIMEOUT position only: the wait ends, no CallCleared.
		"1767225700|1.2|q|NONE|ENTERQUEUE||556",
		"1767225760|1.2|q|NONE|EXITWITHTIMEOUT|1",
		// Asterisk 1.4 PAUSE without a reason, 1.8 EXITWITHTIMEOUT with the wait.
		"1767225800|NONE|q|Agent/1001|PAUSE|",
		"1767225900|1.3|q|NONE|ENTERQUEUE||557|1",
		"1767225930|1.3|q|NONE|EXITWITHTIMEOUT|1|1|30",
	)
	require.Empty(t, rejs)
	// CONNECT: no ring time, so no CallAnswered; the "Agent/" prefix is removed.
	assert.Len(t, got[1], 8)
	assert.Contains(t, got[1], `{"time":"2026-01-01T00:00:05.000Z","action":"CallInbound","phase":"start","source":{"class":"regular_dn","id":"1001"},"interaction":"1.1","media":"voice","agent":"1001"}`)
	assert.Equal(t, []string{
		`{"time":"2026-01-01T00:02:40.000Z","action":"CallWait","phase":"end","source":{"class":"mediation_dn","id":"q"},"interaction":"1.2","media":"voice"}`,
	}, got[4])
	// The agent's only queue paused without a reason: not ready, no ReasonCode.
	assert.Equal(t, []string{
		`{"time":"2026-01-01T00:03:20.000Z","action":"AgentReady","phase":"end","source":{"class":"mediation_dn","id":"q"},"agent":"1001"}`,
		`{"time":"2026-01-01T00:03:20.000Z","action":"WaitForNextCall","phase":"end","source":{"class":"regular_dn","id":"1001"},"agent":"1001"}`,
		`{"time":"2026-01-01T00:03:20.000Z","action":"NotReadyForNextCall","phase":"start","source":{"class":"regular_dn","id":"1001"},"agent":"1001"}`,
	}, got[5])
	assert.Equal(t, []string{
		`{"time":"2026-01-01T00:05:30.000Z","action":"CallWait","phase":"end","source":{"class":"mediation_dn","id":"q"},"interaction":"1.3","media":"voice"}`,
		`{"time":"2026-01-01T00:05:30.000Z","action":"CallCleared","source":{"class":"mediation_dn","id":"q"},"interaction":"1.3","media":"voice","duration":30,"data":{"ExitReason":"TIMEOUT"}}`,
	}, got[7])
}

// TestQueueLogAgentInSeveralQueues: one login on the DN, one per queue; pauses per queue;
// the DN is not ready only when paused everywhere; a PAUSEALL's own PAUSE lines change
// nothing; leaving the last queue logs out with the login's duration.
func TestQueueLogAgentInSeveralQueues(t *testing.T) {
	m := qlMapper(source.Options{})
	got, rejs := mapLines(t, m,
		"1767225600|MANAGER|sales|1001|ADDMEMBER|",
		"1767225601|MANAGER|support|1001|ADDMEMBER|",
		"1767225700|NONE|sales|1001|PAUSE|Lunch",
		"1767225701|NONE|support|1001|PAUSE|Lunch",
		"1767225800|NONE|sales|1001|UNPAUSE|",
		"1767225900|NONE|NONE|1001|PAUSEALL|Meeting",
		"1767225900|NONE|sales|1001|PAUSE|Meeting",
		"1767225900|NONE|support|1001|PAUSE|Meeting",
		"1767226000|MANAGER|sales|1001|REMOVEMEMBER|",
		"1767226001|MANAGER|support|1001|REMOVEMEMBER|",
	)
	require.Empty(t, rejs)
	dn := `"source":{"class":"regular_dn","id":"1001"},"agent":"1001"`
	q := func(id string) string { return `"source":{"class":"mediation_dn","id":"` + id + `"},"agent":"1001"` }
	at := func(s int) string { return `{"time":"2026-01-01T` + clock(s) + `",` }
	assert.Equal(t, []string{
		at(0) + `"action":"LoggedIn","phase":"start",` + dn + `}`,
		at(0) + `"action":"AgentLogin","variant":"Regular DNs",` + dn + `}`,
		at(0) + `"action":"AgentLogin","variant":"Mediation DNs","phase":"start",` + q("sales") + `}`,
		at(0) + `"action":"AgentReady","phase":"start",` + q("sales") + `}`,
		at(0) + `"action":"WaitForNextCall","phase":"start",` + dn + `}`,
	}, got[0])
	assert.Equal(t, []string{
		at(1) + `"action":"AgentLogin","variant":"Mediation DNs","phase":"start",` + q("support") + `}`,
		at(1) + `"action":"AgentReady","phase":"start",` + q("support") + `}`,
	}, got[1], "the second queue: a queue login, no second DN login")
	assert.Equal(t, []string{at(100) + `"action":"AgentReady","phase":"end",` + q("sales") + `}`}, got[2], "still ready in support")
	assert.Equal(t, []string{
		at(101) + `"action":"AgentReady","phase":"end",` + q("support") + `}`,
		at(101) + `"action":"WaitForNextCall","phase":"end",` + dn + `}`,
		at(101) + `"action":"NotReadyForNextCall","phase":"start",` + dn + `,"data":{"ReasonCode":"Lunch"}}`,
	}, got[3])
	assert.Equal(t, []string{
		at(200) + `"action":"NotReadyForNextCall","phase":"end",` + dn + `}`,
		at(200) + `"action":"AgentReady","phase":"start",` + q("sales") + `}`,
		at(200) + `"action":"WaitForNextCall","phase":"start",` + dn + `}`,
	}, got[4])
	assert.Equal(t, []string{
		at(300) + `"action":"AgentReady","phase":"end",` + q("sales") + `}`,
		at(300) + `"action":"WaitForNextCall","phase":"end",` + dn + `}`,
		at(300) + `"action":"NotReadyForNextCall","phase":"start",` + dn + `,"data":{"ReasonCode":"Meeting"}}`,
	}, got[5])
	assert.Empty(t, got[6])
	assert.Empty(t, got[7])
	assert.Equal(t, []string{at(400) + `"action":"AgentLogin","variant":"Mediation DNs","phase":"end",` + q("sales") + `}`}, got[8])
	assert.Equal(t, []string{
		at(401) + `"action":"AgentLogin","variant":"Mediation DNs","phase":"end",` + q("support") + `}`,
		at(401) + `"action":"NotReadyForNextCall","phase":"end",` + dn + `}`,
		at(401) + `"action":"LoggedIn","phase":"end",` + dn + `}`,
		at(401) + `"action":"AgentLogout",` + dn + `,"duration":401}`,
	}, got[9])
}

// clock formats t0+s as the time of day of an event's time.
func clock(s int) string {
	return event.Time(int64(t0+s) * 1000).String()[11:]
}

func TestQueueLogSessionsAndRestart(t *testing.T) {
	m := qlMapper(source.Options{})
	got, rejs := mapLines(t, m,
		"1767225600|1.9|NONE|Agent/1001|AGENTLOGIN|SIP/1001-0000000a",
		"1767225610|2.1|q|NONE|ENTERQUEUE||555|1",
		"1767225620|3.1|q|NONE|ENTERQUEUE||556|2",
		"1767225630|3.1|q|Agent/1001|CONNECT|10|3.2|2",
		"1767225700|NONE|NONE|NONE|QUEUESTART|",
	)
	require.Empty(t, rejs)
	assert.Len(t, got[0], 3, "LoggedIn, AgentLogin (Regular DNs), WaitForNextCall")
	// The restart: the wait of 2.1 (90 s so far) and of nothing else ends with
	// StuckCallCleaned; 3.1's agent call ends; the session ends (and with it the login,
	// which a queue membership — from CONNECT's implicit join — keeps).
	assert.Equal(t, []string{
		`{"time":"2026-01-01T00:01:40.000Z","action":"CallWait","phase":"end","source":{"class":"mediation_dn","id":"q"},"interaction":"2.1","media":"voice"}`,
		`{"time":"2026-01-01T00:01:40.000Z","action":"StuckCallCleaned","source":{"class":"mediation_dn","id":"q"},"interaction":"2.1","media":"voice","duration":90,"data":{"CallerID":"555"}}`,
		`{"time":"2026-01-01T00:01:40.000Z","action":"CallInbound","phase":"end","source":{"class":"regular_dn","id":"1001"},"interaction":"3.1","media":"voice","agent":"1001"}`,
	}, got[4])
	// A second QUEUESTART has nothing left to end.
	got, _ = mapLines(t, m, "1767225800|NONE|NONE|NONE|QUEUESTART|")
	assert.Empty(t, got[0])
}

func TestQueueLogRefusedAndUnmapped(t *testing.T) {
	cfg, err := config.Load("t.yaml", strings.NewReader(`topology:
  dns:
    - {id: sales, type: ACDQueue}
    - {id: "1001", type: Extension}
    - {id: "1002", type: Extension}
  agents:
    - {id: "1001"}
`))
	require.NoError(t, err)
	m := qlMapper(source.Options{Topology: &cfg.Topology, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	got, rejs := mapLines(t, m,
		"1767225600|1.1|support|NONE|ENTERQUEUE||555|1",     // unknown queue
		"1767225601|MANAGER|sales|1002|ADDMEMBER|",          // agent 1002 is not in the topology
		"1767225602|MANAGER|sales|1003|ADDMEMBER|",          // neither is 1003
		"1767225603|1.2|sales|NONE|DID|5551000",             // an event no rule maps
		"1767225604|1.2|sales|NONE|DID|5551001",             // counted again, logged once
		"1767225605|1.3|sales|NONE|CONNECT|abc|x|1",         // holdtime is no number
		"1767225606|1.4|sales|NONE|ABANDON|1|1",             // waittime missing
		"1767225607|1.5|sales|1001|CONNECT|5|1.6|1",         // fine
		"1767225608|1.5|NONE|1001|COMPLETECALLER|5|10|1",    // no queue for CallReleased
		"bogus|1.7|sales|NONE|ENTERQUEUE||1",                // bad time
		"1767225610|1.8|sales|NONE|ENTERQUEUE||555|1|Bob|x", // an extra field is fine
	)
	codes := []string{}
	for _, r := range rejs {
		codes = append(codes, r.Code)
	}
	assert.Equal(t, []string{"unknown_queue", "unknown_agent", "unknown_agent", "bad_field", "missing_field", "no_queue", "bad_field"}, codes)
	assert.Equal(t, 1, rejs[0].Line)
	assert.Equal(t, `ENTERQUEUE: queue "support" is not a mediation DN of the topology (declare it, e.g. {id: "support", type: ACDQueue})`, rejs[0].Reason)
	assert.Equal(t, `ADDMEMBER: agent "1002" is not in the topology`, rejs[1].Reason)
	assert.Equal(t, `CONNECT: field holdtime "abc" is not a number of seconds`, rejs[3].Reason)
	assert.Equal(t, `ABANDON: field waittime is missing`, rejs[4].Reason)
	assert.Equal(t, `COMPLETECALLER names no queue (field queue)`, rejs[5].Reason)
	assert.Equal(t, 10, rejs[6].Line)
	for _, i := range []int{0, 1, 2, 3, 4, 5, 6, 8, 9} {
		assert.Empty(t, got[i], "line %d", i+1)
	}
	assert.NotEmpty(t, got[7])
	assert.Len(t, got[10], 2)
	s := m.Stats()
	assert.Equal(t, map[string]int64{"DID": 2}, s.Unmapped)
	assert.Equal(t, int64(7), s.Rejected)
}

// TestMapperStateSurvives: a mapper restored from another's state after some lines maps
// the rest exactly as the uninterrupted one.
func TestMapperStateSurvives(t *testing.T) {
	lines := []string{
		"1767225600|MANAGER|sales|1001|ADDMEMBER|",
		"1767225601|MANAGER|support|1001|ADDMEMBER|PAUSED",
		"1767225602|1.1|sales|NONE|ENTERQUEUE||555|1",
		"1767225700|NONE|sales|1001|PAUSE|Break",
		"1767225800|1.1|sales|NONE|ABANDON|1|1|198",
		"1767225900|MANAGER|support|1001|REMOVEMEMBER|",
		"1767225901|NONE|NONE|NONE|QUEUESTART|",
		"1767225902|MANAGER|sales|1001|REMOVEMEMBER|",
	}
	whole := qlMapper(source.Options{})
	want, _ := mapLines(t, whole, lines...)
	for cut := 0; cut <= len(lines); cut++ {
		first := qlMapper(source.Options{})
		got, _ := mapLines(t, first, lines[:cut]...)
		state, err := first.MarshalBinary()
		require.NoError(t, err)
		second := qlMapper(source.Options{})
		require.NoError(t, second.UnmarshalBinary(state))
		again, err := second.MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, string(state), string(again), "the encoding is stable")
		rest, _ := mapLines(t, second, lines[cut:]...)
		assert.Equal(t, want, append(got, rest...), "cut after %d lines", cut)
	}
	other := source.NewMapper(gs.FreeSWITCHESL(), source.Options{})
	state, _ := whole.MarshalBinary()
	assert.ErrorContains(t, other.UnmarshalBinary(state), `for format "asterisk-queue-log", not "freeswitch-esl"`)
	assert.Error(t, other.UnmarshalBinary([]byte(`{"version":7}`)))
}

// TestRejectedRecordChangesNoState: a record refused halfway (its CallReleased has no
// queue, after the presence operations ran) leaves the state as it was.
func TestRejectedRecordChangesNoState(t *testing.T) {
	m := qlMapper(source.Options{})
	mapLines(t, m, "1767225600|MANAGER|sales|1001|ADDMEMBER|")
	before, _ := m.MarshalBinary()
	_, rejs := mapLines(t, m, "1767225601|1.1|sales|1001|CONNECT|-5|x|1")
	require.Len(t, rejs, 1)
	after, _ := m.MarshalBinary()
	assert.Equal(t, string(before), string(after))
}

// BenchmarkMapQueueLog maps the lines of a busy queue: a call enters, connects,
// completes, with an agent paused and unpaused now and then.
func BenchmarkMapQueueLog(b *testing.B) {
	f := gs.AsteriskQueueLog()
	var lines [][]byte
	for i := range 1000 {
		t := 1767225600 + i*10
		id := "1767225600." + strconv.Itoa(i)
		agent := "10" + strconv.Itoa(i%20)
		lines = append(lines,
			[]byte(strconv.Itoa(t)+"|"+id+"|sales|NONE|ENTERQUEUE||555"+strconv.Itoa(i)+"|1"),
			[]byte(strconv.Itoa(t+3)+"|"+id+"|sales|"+agent+"|CONNECT|3|"+id+"1|2"),
			[]byte(strconv.Itoa(t+9)+"|"+id+"|sales|"+agent+"|COMPLETECALLER|3|6|1"))
		if i%50 == 0 {
			lines = append(lines, []byte(strconv.Itoa(t+9)+"|NONE|sales|"+agent+"|PAUSE|Lunch"),
				[]byte(strconv.Itoa(t+9)+"|NONE|sales|"+agent+"|UNPAUSE|"))
		}
	}
	var rec source.Record
	var evs []event.Event
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		m := qlMapper(source.Options{})
		for _, l := range lines {
			if err := queuelog.Parse(f, l, &rec); err != nil {
				b.Fatal(err)
			}
			evs, _ = m.Map(&rec, evs[:0])
		}
	}
	b.ReportMetric(float64(b.N*len(lines))/b.Elapsed().Seconds(), "lines/s")
}

func TestClip(t *testing.T) {
	short := strings.Repeat("a", 64)
	assert.Equal(t, short, source.Clip(short), "64 bytes are quoted whole")
	assert.Equal(t, short+"…", source.Clip(short+"b"), "longer values keep their first 64 bytes")
	assert.Equal(t, "", source.Clip(""))
}
