package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/internal/fakepbx"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/input"
	"github.com/statkit/statkit/runtime/source/queuelog"
)

// liveSource returns the Source of spec (FORMAT:ADDRESS) opened with input.Open.
func liveSource(t *testing.T, spec string, attach []string, opts input.LiveOptions) Source {
	t.Helper()
	sp, err := input.ParseSpec(spec)
	require.NoError(t, err)
	opts.Attach = attach
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts.Follow.Poll = 5 * time.Millisecond
	opts.Stream.MinBackoff, opts.Stream.MaxBackoff = 5*time.Millisecond, 20*time.Millisecond
	return Source{Input: sp.Format.Name + ":" + sp.Address, Format: sp.Format.Name, Attach: attach,
		Open: func(pos []byte) (source.Source, error) { return input.Open(sp, pos, opts) }}
}

// waitUntil polls cond until it holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// metricsText returns GET /metrics.
func (ts *testServer) metricsText() string {
	ts.t.Helper()
	_, b := ts.do("GET", "/metrics", "", nil)
	return string(b)
}

// replayQueueLog maps the queue_log file at path line by line and sequences the events
// one at a time through a pipeline with window, as statkit replay --input does: the
// second computation the server's values are compared with.
func replayQueueLog(t *testing.T, cfg *config.Config, path string, window time.Duration) *engine.Engine {
	t.Helper()
	eng, err := engine.New(cfg)
	require.NoError(t, err)
	f, err := input.Format("asterisk-queue-log")
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	mp := source.NewMapper(f, source.Options{Topology: &cfg.Topology, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	evs := source.NewEvents(queuelog.NewReader(f, bytes.NewReader(data)), mp, 0)
	p := ingest.New(eng, ingest.Options{Window: window})
	for {
		ev, rej, err := evs.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if rej != nil {
			continue
		}
		p.Batch(&ingest.Batch{Events: []event.Event{ev}})
	}
	p.Flush()
	return eng
}

// requireValues requires every statistic of cfg to have the same value on ts as in eng.
func requireValues(t *testing.T, ts *testServer, cfg *config.Config, eng *engine.Engine) {
	t.Helper()
	got := ts.allValues()
	n := 0
	for _, st := range cfg.Statistics {
		v, err := eng.Value(st.ID)
		require.NoError(t, err)
		want, err := json.Marshal(v)
		require.NoError(t, err)
		var compact bytes.Buffer
		require.NoError(t, json.Compact(&compact, []byte(got[st.ID])))
		require.Equal(t, string(want), compact.String(), st.ID)
		n++
	}
	require.Greater(t, n, 0)
}

// A durable server follows a queue_log: it applies the lines there are, then those
// appended while it runs, and after a restart exactly those written while it was down —
// none lost, none twice: every statistic ends equal to the whole file replayed. An event
// no rule maps is counted per name, a line naming an unknown queue is refused and
// counted, neither stops the source.
func TestSourceQueueLogRestart(t *testing.T) {
	text, err := os.ReadFile("../../examples/asterisk/config.yaml")
	require.NoError(t, err)
	cfg, err := config.LoadWith("config.yaml", bytes.NewReader(text), machine.LoadOptions)
	require.NoError(t, err)
	ql, err := os.ReadFile("../../examples/asterisk/queue_log")
	require.NoError(t, err)
	lines := strings.SplitAfter(string(ql), "\n")
	lines = lines[:len(lines)-1]
	require.Greater(t, len(lines), 3000)
	// Two quirks in the middle: an event no rule maps, and an unknown queue.
	mid := len(lines) / 2
	ts0 := strings.SplitN(lines[mid], "|", 2)[0]
	lines = append(lines[:mid], append([]string{
		ts0 + "|x1|NOSUCH@Bank|NONE|ENTERQUEUE||555|1\n",
		ts0 + "|NONE|PS@Bank|NONE|SOMETHINGNEW|a|b\n",
	}, lines[mid:]...)...)

	dir := t.TempDir()
	path := filepath.Join(dir, "queue_log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	defer f.Close()
	write := func(ls []string) {
		_, err := f.WriteString(strings.Join(ls, ""))
		require.NoError(t, err)
	}
	src := liveSource(t, "asterisk-queue-log:"+path, nil, input.LiveOptions{})
	data := filepath.Join(dir, "data")
	const window = 200 * time.Millisecond
	start := func() (*testServer, func()) {
		st := openStore(t, data)
		ts := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, ReorderWindow: window, Store: st,
			Sources: []Source{src}}, nil, nil)
		return ts, func() { require.NoError(t, ts.stop()); require.NoError(t, st.Close()) }
	}
	frames := func(ts *testServer) float64 { return metricValue(t, ts.srv.src.frames.WithLabelValues(src.Input)) }
	held := func(ts *testServer) bool { return ts.srv.held.Load() == 0 }

	write(lines[:1000])
	ts, stop := start()
	waitUntil(t, "the first lines", func() bool { return frames(ts) == 1000 })
	write(lines[1000 : mid+10]) // appended while it follows
	waitUntil(t, "the lines appended", func() bool { return frames(ts) == float64(mid+10) && held(ts) })
	m := ts.metricsText()
	assert.Contains(t, m, `statkit_source_unmapped_total{event="SOMETHINGNEW",input="`+src.Input+`"} 1`)
	assert.Contains(t, m, `statkit_source_rejected_total{code="unknown_queue",input="`+src.Input+`"} 1`)
	assert.Contains(t, m, `statkit_source_up{input="`+src.Input+`"} 1`)
	stop()

	write(lines[mid+10 : mid+2000]) // written while no server runs
	ts, stop = start()
	waitUntil(t, "the lines written while down", func() bool { return frames(ts) == 1990 })
	write(lines[mid+2000:])
	waitUntil(t, "the rest", func() bool { return frames(ts) == float64(len(lines)-mid-10) && held(ts) })
	requireValues(t, ts, cfg, replayQueueLog(t, cfg, path, window))
	stop()
}

// amiConfig is a small topology for the live-connection tests: queues sales and
// support@default, agents Alice and Bob (each with its regular DN).
const amiConfig = `
topology:
  dns:
    - {id: sales, type: ACDQueue}
    - {id: "support@default", type: ACDQueue}
    - {id: Alice, type: Extension, place: P-Alice}
    - {id: Bob, type: Extension, place: P-Bob}
  places: [{id: P-Alice}, {id: P-Bob}]
  agents: [{id: Alice, name: Alice}, {id: Bob, name: Bob}]
statTypes:
  CallsEntered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  CallsDistributed: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
  CallsAbandoned: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallAbandoned]}
  AgentsLoggedIn: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [AgentLogin]}
  CallsHandled: {objects: [Agent], category: TotalNumber, subject: DNAction, mainMask: [CallInbound]}
  TalkTime: {objects: [Agent], category: TotalTime, subject: DNAction, mainMask: [CallInbound]}
  LoggedIn: {objects: [Agent], category: CurrentNumber, subject: DNAction, mainMask: [LoggedIn]}
filters:
  Platinum: 'data["segment"] == "Platinum"'
statistics:
  - {id: sales.Entered, statType: CallsEntered, object: {type: Queue, id: sales}}
  - {id: sales.Distributed, statType: CallsDistributed, object: {type: Queue, id: sales}}
  - {id: sales.Abandoned, statType: CallsAbandoned, object: {type: Queue, id: sales}}
  - {id: sales.LoggedIn, statType: AgentsLoggedIn, object: {type: Queue, id: sales}}
  - {id: support.Entered, statType: CallsEntered, object: {type: Queue, id: "support@default"}}
  - {id: support.Distributed, statType: CallsDistributed, object: {type: Queue, id: "support@default"}}
  - {id: support.Abandoned, statType: CallsAbandoned, object: {type: Queue, id: "support@default"}}
  - {id: Alice.Handled, statType: CallsHandled, object: {type: Agent, id: Alice}}
  - {id: Alice.Talk, statType: TalkTime, object: {type: Agent, id: Alice}}
  - {id: Alice.Platinum, statType: CallsHandled, object: {type: Agent, id: Alice}, filter: Platinum}
  - {id: Alice.LoggedIn, statType: LoggedIn, object: {type: Agent, id: Alice}}
  - {id: Bob.Handled, statType: CallsHandled, object: {type: Agent, id: Bob}}
  - {id: Bob.LoggedIn, statType: LoggedIn, object: {type: Agent, id: Bob}}
`

// values polls until the statistics have the values want (JSON).
func (ts *testServer) waitValues(want map[string]string) {
	ts.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		got := map[string]string{}
		for id := range want {
			got[id] = ts.value(id)
		}
		if assert.ObjectsAreEqual(want, got) {
			return
		}
		if time.Now().After(deadline) {
			require.Equal(ts.t, want, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A live AMI connection through the server: the agent's membership from QueueStatus,
// calls entered, answered, abandoned; a disconnect in the middle of an event (which is
// never delivered) and a reconnection whose QueueStatus repeats the membership without
// counting it twice; an event no rule maps counted. A durable restart keeps the agent
// presence (the mapper's state is in the snapshot). A second source with refused
// credentials is retried and counted, and stops nothing.
func TestSourceAMI(t *testing.T) {
	cfg, err := config.LoadWith("ami.yaml", strings.NewReader(amiConfig), machine.LoadOptions)
	require.NoError(t, err)
	pbx, err := fakepbx.NewAMI("statkit", "s3cret")
	require.NoError(t, err)
	defer pbx.Close()
	pbx.SetMembers([]string{"Queue", "sales", "MemberName", "Alice", "Interface", "PJSIP/alice", "Paused", "0", "PausedReason", ""})
	stamp := func(s int) string { return strconv.Itoa(1767225600+s) + ".000000" }
	pbx.SetTimestamp(stamp(0))
	t.Setenv(input.EnvAMIUsername, "statkit")
	t.Setenv(input.EnvAMISecret, "s3cret")
	good := liveSource(t, "asterisk-ami:"+pbx.Addr(), nil, input.LiveOptions{})
	credFile := filepath.Join(t.TempDir(), "ami.env")
	require.NoError(t, os.WriteFile(credFile, []byte("STATKIT_AMI_USERNAME=statkit\nSTATKIT_AMI_SECRET=wrong\n"), 0o600))
	bad := liveSource(t, "asterisk-ami:"+pbx.Addr(), nil, input.LiveOptions{Credentials: credFile})
	bad.Input = "pbx-with-a-wrong-secret"

	data := t.TempDir()
	st := openStore(t, data)
	ts := startServer(t, Options{Config: cfg, ConfigText: []byte(amiConfig), TickInterval: -1, Store: st,
		Sources: []Source{good, bad}}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := pbx.Conn(ctx)
	require.NoError(t, err)
	send := func(c *fakepbx.Conn, t0 int, name string, kv ...string) {
		require.NoError(t, c.Event(append([]string{"Event", name, "Privilege", "agent,all",
			"Timestamp", stamp(t0)}, kv...)...))
	}
	send(c, 10, "QueueCallerJoin", "Uniqueid", "c1", "Queue", "sales", "Position", "1", "Count", "1")
	send(c, 12, "Newchannel", "Uniqueid", "c9", "Channel", "PJSIP/x") // not mapped
	send(c, 15, "QueueCallerLeave", "Uniqueid", "c1", "Queue", "sales", "Position", "1", "Count", "0")
	send(c, 15, "AgentConnect", "Uniqueid", "c1", "Queue", "sales", "MemberName", "Alice", "Interface", "PJSIP/alice",
		"HoldTime", "5", "RingTime", "2")
	send(c, 20, "QueueCallerJoin", "Uniqueid", "c2", "Queue", "sales", "Position", "1", "Count", "1")
	ts.waitValues(map[string]string{"sales.Entered": "2", "sales.Distributed": "1", "sales.LoggedIn": "1", "Alice.Handled": "0",
		"Alice.LoggedIn": "1"})
	// Cut in the middle of the abandon, then the connection drops.
	require.NoError(t, c.Write("Event: QueueCallerAbandon\r\nPrivilege: agent,all\r\nUniqueid: c2\r\nQueue: sal"))
	pbx.SetTimestamp(stamp(35))
	require.NoError(t, c.Close())
	c, err = pbx.Conn(ctx)
	require.NoError(t, err)
	send(c, 40, "QueueCallerAbandon", "Uniqueid", "c2", "Queue", "sales", "Position", "1", "OriginalPosition", "1", "HoldTime", "20")
	send(c, 40, "QueueCallerLeave", "Uniqueid", "c2", "Queue", "sales", "Position", "1", "Count", "0")
	send(c, 75, "AgentComplete", "Uniqueid", "c1", "Queue", "sales", "MemberName", "Alice", "Interface", "PJSIP/alice",
		"HoldTime", "5", "TalkTime", "60", "Reason", "caller")
	want := map[string]string{"sales.Entered": "2", "sales.Distributed": "1", "sales.Abandoned": "1", "sales.LoggedIn": "1",
		"Alice.Handled": "1", "Alice.Talk": "60", "Alice.LoggedIn": "1", "Bob.LoggedIn": "0"}
	ts.waitValues(want)
	m := ts.metricsText()
	assert.Contains(t, m, `statkit_source_unmapped_total{event="Newchannel",input="`+good.Input+`"} 1`)
	assert.Contains(t, m, `statkit_source_up{input="`+good.Input+`"} 1`)
	waitUntil(t, "the wrong secret retried", func() bool {
		_, refused := pbx.Logins()
		return refused >= 1 && metricValue(t, ts.srv.src.failures.WithLabelValues(bad.Input)) >= 1
	})
	require.NoError(t, ts.stop())
	require.NoError(t, st.Close())

	// A restart: Alice is still logged in and a member of sales (the snapshot has the
	// mapper's state); the new connection's QueueStatus does not log her in twice, and
	// Bob's membership starts his login.
	pbx.SetMembers([]string{"Queue", "sales", "MemberName", "Alice", "Paused", "0"},
		[]string{"Queue", "sales", "MemberName", "Bob", "Paused", "0"})
	pbx.SetTimestamp(stamp(90))
	st = openStore(t, data)
	ts = startServer(t, Options{Config: cfg, ConfigText: []byte(amiConfig), TickInterval: -1, Store: st,
		Sources: []Source{good}}, nil, nil)
	defer st.Close()
	c, err = pbx.Conn(ctx)
	require.NoError(t, err)
	send(c, 100, "QueueCallerJoin", "Uniqueid", "c3", "Queue", "sales", "Position", "1", "Count", "1")
	want["sales.Entered"], want["sales.LoggedIn"], want["Bob.LoggedIn"] = "3", "2", "1"
	ts.waitValues(want)
}

// A live FreeSWITCH event socket through the server: an agent's status, a call queued,
// bridged and ended, another abandoned; a disconnect in the middle of an event and a
// reconnection.
func TestSourceESL(t *testing.T) {
	cfg, err := config.LoadWith("esl.yaml", strings.NewReader(amiConfig), machine.LoadOptions)
	require.NoError(t, err)
	pbx, err := fakepbx.NewESL("ClueCon")
	require.NoError(t, err)
	defer pbx.Close()
	t.Setenv(input.EnvESLPassword, "ClueCon")
	src := liveSource(t, "freeswitch-esl:"+pbx.Addr(), []string{"segment"}, input.LiveOptions{})
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, Sources: []Source{src}}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := pbx.Conn(ctx)
	require.NoError(t, err)
	at := func(s int) string { return strconv.Itoa(1767225600+s) + "000000" }
	epoch := func(s int) string { return strconv.Itoa(1767225600 + s) }
	cc := func(c *fakepbx.Conn, s int, action string, kv ...string) {
		require.NoError(t, c.Event(append([]string{"Event-Name", "CUSTOM", "Core-UUID", "6b6f4c5e-0000-4000-8000-000000000001",
			"Event-Date-Timestamp", at(s), "Event-Subclass", "callcenter::info", "CC-Action", action}, kv...)...))
	}
	cc(c, 1, "agent-status-change", "CC-Agent", "Alice", "CC-Agent-Status", "Available")
	cc(c, 10, "member-queue-start", "CC-Queue", "support@default", "CC-Member-Session-UUID", "m1", "CC-Member-UUID", "u1",
		"CC-Member-CID-Number", "5551234", "variable_segment", "Gold")
	cc(c, 16, "bridge-agent-start", "CC-Queue", "support@default", "CC-Agent", "Alice", "CC-Member-Session-UUID", "m1",
		"CC-Agent-Called-Time", epoch(14), "CC-Agent-Answered-Time", epoch(16), "CC-Member-Joined-Time", epoch(10))
	// The caller's segment changes during the call (an attached variable).
	require.NoError(t, c.Event("Event-Name", "CHANNEL_EXECUTE_COMPLETE", "Event-Date-Timestamp", at(18), "Unique-ID", "m1",
		"Application", "set", "Application-Data", "segment=Platinum"))
	cc(c, 20, "member-queue-start", "CC-Queue", "support@default", "CC-Member-Session-UUID", "m2")
	require.NoError(t, c.Event("Event-Name", "HEARTBEAT", "Event-Date-Timestamp", at(21)))
	require.NoError(t, c.Write("Content-Length: 400\nContent-Type: text/event-plain\n\nEvent-Name: CUSTOM\nCC-Act"))
	require.NoError(t, c.Close())
	c, err = pbx.Conn(ctx)
	require.NoError(t, err)
	cc(c, 30, "member-queue-end", "CC-Queue", "support@default", "CC-Member-Session-UUID", "m2", "CC-Cause", "Cancel",
		"CC-Cancel-Reason", "NONE", "CC-Member-Joined-Time", epoch(20), "CC-Member-Leaving-Time", epoch(30))
	cc(c, 76, "bridge-agent-end", "CC-Queue", "support@default", "CC-Agent", "Alice", "CC-Member-Session-UUID", "m1",
		"CC-Hangup-Cause", "NORMAL_CLEARING")
	ts.waitValues(map[string]string{"support.Entered": "2", "support.Distributed": "1", "support.Abandoned": "1",
		"Alice.Handled": "1", "Alice.Talk": "60", "Alice.LoggedIn": "1",
		"Alice.Platinum": "1"}) // the call became Platinum while Alice handled it: the filter follows the update
	assert.NotContains(t, ts.metricsText(), `statkit_source_unmapped_total{event="HEARTBEAT"`, "HEARTBEAT is listed, so not unmapped")
	assert.Equal(t, 1.0, metricValue(t, ts.srv.src.updates.WithLabelValues(src.Input)), "the update of Alice's call")
	subs := pbx.Subscriptions()
	require.Len(t, subs, 2)
	assert.Contains(t, subs[0], "CHANNEL_EXECUTE_COMPLETE", "attached data asks for the variables' events")
}

// A process that does not hold the clock runs no source; once it does, the source starts
// from the position in the log.
func TestSourceOnlyOnTheClockHolder(t *testing.T) {
	text, err := os.ReadFile("../../examples/asterisk/config.yaml")
	require.NoError(t, err)
	cfg, err := config.LoadWith("config.yaml", bytes.NewReader(text), machine.LoadOptions)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "queue_log")
	require.NoError(t, os.WriteFile(path, []byte("915425934|MANAGER|NE@Bank|AVI|ADDMEMBER|\n"), 0o644))
	src := liveSource(t, "asterisk-queue-log:"+path, nil, input.LiveOptions{})
	var holds atomic.Bool
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, HoldsClock: holds.Load, Sources: []Source{src}}, nil, nil)
	time.Sleep(3 * holdPoll)
	assert.Equal(t, 0.0, metricValue(t, ts.srv.src.frames.WithLabelValues(src.Input)))
	assert.Equal(t, 0.0, metricValue(t, ts.srv.src.up.WithLabelValues(src.Input)))
	holds.Store(true)
	waitUntil(t, "the source started", func() bool { return metricValue(t, ts.srv.src.frames.WithLabelValues(src.Input)) == 1 })
	waitUntil(t, "caught up", func() bool { return !ts.srv.catchingUp() })
	time.Sleep(50 * time.Millisecond) // waiting for more lines
	holds.Store(false)
	waitUntil(t, "the source stopped", func() bool { return metricValue(t, ts.srv.src.up.WithLabelValues(src.Input)) == 0 })
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	pos, err := ts.srv.Position(ctx, src.Input)
	require.NoError(t, err)
	assert.NotEmpty(t, pos)
}

// slowSource hands out batches of queue_log lines while more is set, then nothing.
type slowSource struct {
	mu    sync.Mutex
	lines []string
	next  int
}

func (s *slowSource) Next(ctx context.Context) (source.Batch, error) {
	s.mu.Lock()
	if s.next < len(s.lines) {
		i := s.next
		s.next++
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
		return source.Batch{Frames: []source.Frame{{Data: []byte(s.lines[i]), Line: i + 1}}, Position: []byte(strconv.Itoa(i + 1))}, nil
	}
	s.mu.Unlock()
	<-ctx.Done()
	return source.Batch{}, ctx.Err()
}

func (s *slowSource) Close() error { return nil }

// While a source catches up its backlog, the clock does not advance the engine (the
// lines are applied at their own times, not late); once it has, ticks go on.
func TestSourceCatchUpHoldsTheClock(t *testing.T) {
	text, err := os.ReadFile("../../examples/asterisk/config.yaml")
	require.NoError(t, err)
	cfg, err := config.LoadWith("config.yaml", bytes.NewReader(text), machine.LoadOptions)
	require.NoError(t, err)
	ql, err := os.ReadFile("../../examples/asterisk/queue_log")
	require.NoError(t, err)
	lines := strings.Split(string(ql), "\n")[:300]
	ss := &slowSource{lines: lines}
	started := make(chan struct{})
	src := Source{Input: "backlog", Format: "asterisk-queue-log", Open: func([]byte) (source.Source, error) {
		close(started)
		return ss, nil
	}}
	clock := newFakeClock(time.Unix(915500000, 0))
	ts := startServer(t, Options{Config: cfg, Clock: clock, TickInterval: time.Second, MaxSkew: -1, Sources: []Source{src}}, nil, nil)
	<-started
	waitUntil(t, "the backlog started", func() bool { return ts.srv.catchingUp() })
	// A tick while the backlog is read: not appended.
	select {
	case clock.ticks <- clock.Now():
	case <-time.After(waitFor):
		t.Fatal("the clock goroutine took no tick")
	}
	select {
	case <-clock.acked:
		if ts.srv.catchingUp() {
			t.Fatal("a tick was appended while a source was catching up")
		}
	case <-time.After(50 * time.Millisecond):
	}
	waitUntil(t, "caught up", func() bool { return !ts.srv.catchingUp() })
	select { // a tick that slipped through after the catch-up ended
	case <-clock.acked:
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, ts.srv.WaitApplied(ctx))
	assert.Equal(t, 300.0, metricValue(t, ts.srv.src.frames.WithLabelValues(src.Input)))
	assert.Equal(t, 0.0, metricValue(t, ts.srv.m.late.WithLabelValues(src.Input)), "no line applied late")
	clock.tick(t, time.Unix(915600000, 0))
	assert.Equal(t, event.TimeOf(time.Unix(915600000-1, 0)).String(), atOf(t, ts.peek("AllQueues.CallsEntered")), "the ticks go on")
}

// The log of an input's refused lines is bounded per minute; the next minute says how
// many were not logged.
func TestSourceLogLimit(t *testing.T) {
	l := &logLimit{since: time.Now()}
	logged := 0
	for range 3 * maxSourceLogged {
		if l.note() {
			logged++
		}
	}
	assert.Equal(t, maxSourceLogged, logged)
	assert.Equal(t, 0, l.roll(), "the minute is not over")
	l.since = l.since.Add(-time.Minute)
	assert.Equal(t, 2*maxSourceLogged, l.roll())
	assert.True(t, l.note(), "a new minute")
	assert.Equal(t, 0, l.suppressed)
}

// gated holds each batch of a source until gate is closed; a batch whose wait ends with
// the context is kept for the next call.
type gated struct {
	source.Source
	gate    <-chan struct{}
	pending *source.Batch
}

func (g *gated) Next(ctx context.Context) (source.Batch, error) {
	if g.pending == nil {
		b, err := g.Source.Next(ctx)
		if err != nil {
			return b, err
		}
		g.pending = &b
	}
	select {
	case <-g.gate:
	case <-ctx.Done():
		return source.Batch{}, ctx.Err()
	}
	b := *g.pending
	g.pending = nil
	return b, nil
}

// Two readers of the same lines (a former clock holder still appending, say): the batch
// logged second does not continue the input's position, so it is not applied, and its
// source opens again at the position the first one left — every line counts once.
func TestSourceStaleBatch(t *testing.T) {
	text, err := os.ReadFile("../../examples/asterisk/config.yaml")
	require.NoError(t, err)
	cfg, err := config.LoadWith("config.yaml", bytes.NewReader(text), machine.LoadOptions)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "queue_log")
	first := "915425934|MANAGER|NE@Bank|AVI|ADDMEMBER|\n915425937|c1|NE@Bank|NONE|ENTERQUEUE||1234|1\n915425939|c2|NE@Bank|NONE|ENTERQUEUE||1234|1\n"
	require.NoError(t, os.WriteFile(path, []byte(first), 0o644))
	live := liveSource(t, "asterisk-queue-log:"+path, nil, input.LiveOptions{})
	gate := make(chan struct{})
	opened := make(chan struct{}, 4)
	src := live
	src.Open = func(pos []byte) (source.Source, error) {
		s, err := live.Open(pos)
		opened <- struct{}{}
		return &gated{Source: s, gate: gate}, err
	}
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, Sources: []Source{src}}, nil, nil)
	<-opened

	// The other reader logs the same three lines first.
	other, err := queuelog.Follow(path, nil, queuelog.FollowOptions{})
	require.NoError(t, err)
	defer other.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	b, err := other.Next(ctx)
	require.NoError(t, err)
	require.Len(t, b.Frames, 3)
	rec, err := machine.AppendFrames(nil, &machine.FramesHeader{Input: src.Input, Format: src.Format, Position: b.Position}, b.Frames)
	require.NoError(t, err)
	_, _, err = ts.srv.lg.Append(ctx, rec, "", nil)
	require.NoError(t, err)
	require.NoError(t, ts.srv.WaitApplied(ctx))
	assert.Equal(t, "2", ts.value("NE@Bank.CallsEntered"))

	close(gate) // the server's own batch of the same lines: stale
	waitUntil(t, "the stale batch", func() bool { return metricValue(t, ts.srv.src.stale.WithLabelValues(src.Input)) == 1 })
	select {
	case <-opened:
	case <-time.After(waitFor):
		t.Fatal("the source was not opened again")
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("915425950|c3|NE@Bank|NONE|ENTERQUEUE||1234|1\n")
	require.NoError(t, err)
	f.Close()
	waitUntil(t, "the next line", func() bool { return metricValue(t, ts.srv.src.frames.WithLabelValues(src.Input)) == 4 })
	assert.Equal(t, "3", ts.value("NE@Bank.CallsEntered"), "c1, c2 once, and c3")
}

// Two replicas of one group follow the same queue_log: only the clock holder reads it;
// when the clock moves, the other resumes at the position the log holds; while both
// believe they hold it (a lease that lapsed during a pause), both read the same lines and
// the batch logged second does not continue the position, so it is not applied. Every
// line counts once: both replicas end with the values of the whole file replayed.
func TestSourceReplicas(t *testing.T) {
	text, err := os.ReadFile("../../examples/asterisk/config.yaml")
	require.NoError(t, err)
	cfg, err := config.LoadWith("config.yaml", bytes.NewReader(text), machine.LoadOptions)
	require.NoError(t, err)
	ql, err := os.ReadFile("../../examples/asterisk/queue_log")
	require.NoError(t, err)
	lines := strings.SplitAfter(string(ql), "\n")
	lines = lines[:len(lines)-1]
	path := filepath.Join(t.TempDir(), "queue_log")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	write := func(ls []string) {
		for len(ls) > 0 { // in chunks, as Asterisk writes
			n := min(len(ls), 150)
			_, err := f.WriteString(strings.Join(ls[:n], ""))
			require.NoError(t, err)
			ls = ls[n:]
			time.Sleep(15 * time.Millisecond) // a few polls of the followers

		}
	}
	src := liveSource(t, "asterisk-queue-log:"+path, nil, input.LiveOptions{})
	st := newSharedStream()
	var holdsA, holdsB atomic.Bool
	start := func(holds *atomic.Bool) *testServer {
		return startServer(t, Options{Config: cfg, ConfigText: text, Log: newFakeReplica(st, "default"), TickInterval: -1,
			HoldsClock: holds.Load, Sources: []Source{src}}, nil, nil)
	}
	holdsA.Store(true)
	a, b := start(&holdsA), start(&holdsB)
	frames := func(ts *testServer) float64 { return metricValue(t, ts.srv.src.frames.WithLabelValues(src.Input)) }
	stale := func(ts *testServer) float64 { return metricValue(t, ts.srv.src.stale.WithLabelValues(src.Input)) }

	write(lines[:2000])
	waitUntil(t, "a's batches, applied by both", func() bool { return frames(a) == 2000 && frames(b) == 2000 })
	assert.Equal(t, 1.0, metricValue(t, a.srv.src.up.WithLabelValues(src.Input)))
	assert.Equal(t, 0.0, metricValue(t, b.srv.src.up.WithLabelValues(src.Input)), "b does not hold the clock")

	holdsB.Store(true) // both, for a while
	waitUntil(t, "b follows too", func() bool { return metricValue(t, b.srv.src.up.WithLabelValues(src.Input)) == 1 })
	write(lines[2000:4000])
	waitUntil(t, "the lines both read", func() bool { return frames(a) == 4000 && frames(b) == 4000 })

	holdsA.Store(false) // the clock moves to b
	waitUntil(t, "a stopped", func() bool { return metricValue(t, a.srv.src.up.WithLabelValues(src.Input)) == 0 })
	write(lines[4000:])
	waitUntil(t, "b's batches", func() bool { return frames(a) == float64(len(lines)) && frames(b) == float64(len(lines)) })
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, float64(len(lines)), frames(a), "no line twice")
	t.Logf("stale batches: %v (the same on both)", stale(a))
	assert.Greater(t, stale(a), 0.0, "both read the same lines")
	assert.Equal(t, stale(a), stale(b))

	want := replayQueueLog(t, cfg, path, 0)
	requireValues(t, a, cfg, want)
	requireValues(t, b, cfg, want)
}
