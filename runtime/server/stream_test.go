package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
)

func TestSubscriberQueueCoalescesAndBounds(t *testing.T) {
	m := newMetrics(func() float64 { return 0 }, func() float64 { return 0 })
	h := &hub{m: m}
	s := newSubscriber(nil, 2)
	h.add(s)

	h.publish("a", []byte("a1"))
	h.publish("b", []byte("b1"))
	h.publish("a", []byte("a2")) // replaces a1 in place
	h.flush()
	select {
	case <-s.wake:
	default:
		t.Fatal("flush did not wake the subscriber")
	}
	assert.Equal(t, [][]byte{[]byte("a2"), []byte("b1")}, s.take(nil))
	assert.Equal(t, float64(1), metricValue(t, m.coalesced))

	// A third statistic pending beyond the bound drops the subscriber.
	h.publish("a", []byte("a3"))
	h.publish("b", []byte("b2"))
	h.publish("c", []byte("c1"))
	select {
	case <-s.dropped:
	default:
		t.Fatal("the subscriber over its bound was not dropped")
	}
	h.flush()
	assert.Empty(t, h.subs)
	assert.Equal(t, float64(1), metricValue(t, m.subsDropped))
	assert.Equal(t, float64(3), metricValue(t, m.dropped)) // c1, then a3 and b2 at removal

	// A filtered subscriber only gets its statistics.
	f := newSubscriber(map[string]struct{}{"b": {}}, 10)
	h.add(f)
	h.publish("a", []byte("a4"))
	h.publish("b", []byte("b3"))
	h.flush()
	assert.Equal(t, [][]byte{[]byte("b3")}, f.take(nil))
}

// smallBuffers shrinks the socket write buffer of accepted connections, so that a
// client that does not read blocks the server's writes early.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// A stream client that stops reading is dropped, while another subscriber keeps
// receiving and event posts keep being answered at once: by the owner when its queue
// goes over the bound, or by its handler when a write misses the deadline (the bound
// is then larger than the number of statistics, so the queue can never exceed it).
func TestSlowSubscriberIsDropped(t *testing.T) {
	t.Run("queue bound", func(t *testing.T) { testSlowSubscriber(t, 32) })
	t.Run("write deadline", func(t *testing.T) { testSlowSubscriber(t, DefaultSubscriberLimit) })
}

func testSlowSubscriber(t *testing.T, limit int) {
	sc := sim.Config{Seed: 5, Agents: 30, Queues: 3, Duration: 2 * time.Hour, LoginSpread: time.Minute}
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	events := simEvents(t, sc)
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, WriteTimeout: 200 * time.Millisecond, SubscriberLimit: limit},
		nil, func(ln net.Listener) net.Listener { return smallBuffers{ln} })

	fast := ts.openStream("/v1/stream?statistic=AllQueues.CallsEntered&statistic=AllQueues.CallsWaiting")

	// The slow client subscribes to everything and never reads past the request.
	slow, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	defer slow.Close()
	require.NoError(t, slow.(*net.TCPConn).SetReadBuffer(1024))
	_, err = fmt.Fprintf(slow, "GET /v1/stream HTTP/1.1\r\nHost: %s\r\n\r\n", ts.addr)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return metricValue(t, ts.srv.m.subscribers) == 2 }, waitFor, time.Millisecond)

	batches := splitAtTimes(events, 200)
	i := 0
	post := func() {
		t.Helper()
		require.Less(t, i, len(batches), "ran out of events")
		t0 := time.Now()
		status, r := ts.postEvents(ndjson(t, batches[i]))
		require.Equal(t, http.StatusOK, status)
		require.Empty(t, r.Rejected)
		require.Less(t, time.Since(t0), 2*time.Second, "a post waited for a slow subscriber")
		i++
	}
	dropped := func() bool { return metricValue(t, ts.srv.m.subsDropped) > 0 }
	deadline := time.Now().Add(waitFor)
	for !dropped() {
		require.True(t, time.Now().Before(deadline), "the slow subscriber was never dropped")
		post()
		// Give a blocked write time to miss its deadline before adding more.
		for wait := time.Now().Add(20 * time.Millisecond); !dropped() && time.Now().Before(wait); {
			time.Sleep(time.Millisecond)
		}
	}
	require.Eventually(t, func() bool { return metricValue(t, ts.srv.m.subscribers) == 1 }, waitFor, time.Millisecond)

	// The fast subscriber still receives: it ends on the values after more batches.
	for range 5 {
		post()
	}
	want := ts.peek("AllQueues.CallsEntered")
	require.Eventually(t, func() bool {
		f, ok := fast.latest(t)["AllQueues.CallsEntered"]
		return ok && f.At == atOf(t, want) && jsonEqual(string(f.Value), string(want.Value))
	}, waitFor, time.Millisecond)
	assert.False(t, fast.ended())
	assert.Equal(t, float64(1), metricValue(t, ts.srv.m.subsDropped), "only the slow subscriber was dropped")
	assert.Positive(t, metricValue(t, ts.srv.m.dropped))
}

// A stream outlives the server's ReadTimeout, and sends heartbeats.
func TestStreamOutlivesReadTimeout(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1, ReadTimeout: 100 * time.Millisecond,
		Heartbeat: 20 * time.Millisecond}, nil, nil)
	st := ts.openStream("/v1/stream?statistic=entered")
	require.Eventually(t, func() bool { return st.heartbeats() >= 3 }, waitFor, time.Millisecond)
	time.Sleep(300 * time.Millisecond) // well past the ReadTimeout
	require.False(t, st.ended())
	status, _ := ts.postEvents([]byte(evEntered))
	require.Equal(t, http.StatusOK, status)
	require.Eventually(t, func() bool {
		f, ok := st.latest(t)["entered"]
		return ok && string(f.Value) == "1"
	}, waitFor, time.Millisecond)
	evs := st.events()
	assert.Equal(t, "value", evs[0].Name)
	assert.Equal(t, `{"statistic":"entered","at":null,"value":0}`, string(evs[0].Data), "no time before the first event")
}

// Before the first event or tick the engine has no time: at and engineTime are null,
// not the zero time; the first event sets them.
func TestNoTimeBeforeTheFirstEvent(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	p := ts.peek("entered")
	assert.Equal(t, "null", string(p.At))
	assert.Equal(t, "0", string(p.Value))
	status, b := ts.do("GET", "/healthz", "", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"status":"ok","engineTime":null,"applied":0,"held":0}`, string(b))

	status, _ = ts.postEvents([]byte(evEntered))
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "2026-11-26T09:00:00.000Z", atOf(t, ts.peek("entered")))
	_, b = ts.do("GET", "/healthz", "", nil)
	assert.JSONEq(t, `{"status":"ok","engineTime":"2026-11-26T09:00:00.000Z","applied":1,"held":0}`, string(b))
}

// A stream without a filter includes statistics opened later, starting with their
// current value.
func TestStreamIncludesOpenedStatistics(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	all := ts.openStream("/v1/stream")
	some := ts.openStream("/v1/stream?statistic=waiting")
	require.Eventually(t, func() bool { return len(all.latest(t)) == 5 }, waitFor, time.Millisecond)
	status, _ := ts.postEvents([]byte(evEntered + "\n" + evWaitStart))
	require.Equal(t, http.StatusOK, status)
	id := ts.open(`{"statType":"CallsWaiting","object":{"type":"GroupQueues","id":"AllQueues"}}`)
	require.Eventually(t, func() bool {
		f, ok := all.latest(t)[id]
		return ok && string(f.Value) == "1" && f.At == "2026-11-26T09:00:00.000Z"
	}, waitFor, time.Millisecond)
	require.Eventually(t, func() bool { return string(some.latest(t)["waiting"].Value) == "1" }, waitFor, time.Millisecond)
	for _, e := range some.events() {
		var f frameData
		require.NoError(t, json.Unmarshal(e.Data, &f))
		assert.Equal(t, "waiting", f.Statistic)
	}
}

// Ticks advance the engine to the clock less the lag, so current times grow between
// events and are notified.
func TestTicksAdvanceTheClock(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	ts := startServer(t, Options{Config: loadSmall(t), Clock: clock, TickInterval: time.Second, TickLag: 2 * time.Second}, nil, nil)
	st := ts.openStream("/v1/stream?statistic=longest")
	status, _ := ts.postEvents([]byte(evWaitStart))
	require.Equal(t, http.StatusOK, status)

	clock.tick(t, time.Date(2026, 11, 26, 9, 0, 9, 500_000_000, time.UTC))
	p := ts.peek("longest")
	assert.Equal(t, "2026-11-26T09:00:07.500Z", atOf(t, p))
	assert.Equal(t, "7.5", string(p.Value))
	require.Eventually(t, func() bool { return string(st.latest(t)["longest"].Value) == "7.5" }, waitFor, time.Millisecond)

	// An event older than the engine clock is late: applied at the clock.
	status, r := ts.postEvents([]byte(strings.Replace(evEntered, "09:00:00Z", "09:00:07Z", 1)))
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, codes(r))
	require.Len(t, r.Late, 1)
	assert.Equal(t, int64(500), r.Late[0].By)
	assert.Equal(t, "1", string(ts.peek("entered").Value))
	// A tick behind the engine clock changes nothing.
	clock.tick(t, time.Date(2026, 11, 26, 9, 0, 8, 0, time.UTC))
	assert.Equal(t, "2026-11-26T09:00:07.500Z", atOf(t, ts.peek("longest")))
}
