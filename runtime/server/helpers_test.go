package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// waitFor bounds every eventual check and every wait of the tests.
const waitFor = 10 * time.Second

// fakeClock is a Clock whose time and ticks the test sets.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	ticks chan time.Time // unbuffered: a send returns once the clock goroutine took the tick
	acked chan struct{}  // the clock goroutine appended the tick's record
	srv   *Server        // the server whose clock it is (set by startServer)
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, ticks: make(chan time.Time), acked: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Tick(time.Duration) (<-chan time.Time, func()) { return c.ticks, func() {} }

// tick sets the time to now, delivers a tick to the server's clock goroutine and waits
// until the tick's record is applied.
func (c *fakeClock) tick(t *testing.T, now time.Time) {
	t.Helper()
	c.mu.Lock()
	c.now = now
	c.mu.Unlock()
	select {
	case c.ticks <- now:
	case <-time.After(waitFor):
		t.Fatal("the clock goroutine took no tick")
	}
	select {
	case <-c.acked:
	case <-time.After(waitFor):
		t.Fatal("the tick was not logged")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, c.srv.WaitApplied(ctx))
}

// set sets the time without a tick.
func (c *fakeClock) set(now time.Time) {
	c.mu.Lock()
	c.now = now
	c.mu.Unlock()
}

// testServer is a Server serving on a loopback port for one test.
type testServer struct {
	t      *testing.T
	srv    *Server
	url    string
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// startServer serves opts on 127.0.0.1:0 until the test ends. prepare, when given, runs
// after New and before Serve; wrap, when given, wraps the listener. Unless the test sets
// one, there is no reorder window: a batch is applied when its POST returns (the tests of
// the window set it).
func startServer(t *testing.T, opts Options, prepare func(*Server), wrap func(net.Listener) net.Listener) *testServer {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.ReorderWindow == 0 {
		opts.ReorderWindow = -1
	}
	srv, err := New(opts)
	require.NoError(t, err)
	if c, ok := opts.Clock.(*fakeClock); ok {
		c.srv = srv
		srv.tickHook = func() { c.acked <- struct{}{} }
	}
	if prepare != nil {
		prepare(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	if wrap != nil {
		ln = wrap(ln)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{t: t, srv: srv, url: "http://" + addr, addr: addr, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { ts.stop() })
	return ts
}

// stop cancels Serve's context and waits for it to return; it returns Serve's error.
func (ts *testServer) stop() error {
	ts.cancel()
	select {
	case err := <-ts.done:
		ts.done <- err // later calls get the same answer
		return err
	case <-time.After(waitFor):
		ts.t.Fatal("Serve did not return after its context was cancelled")
		return nil
	}
}

// client has a timeout so a hung server fails the test instead of blocking it.
var client = &http.Client{Timeout: waitFor}

// do sends a request and returns the status and body.
func (ts *testServer) do(method, path, contentType string, body []byte) (int, []byte) {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
	require.NoError(ts.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	require.NoError(ts.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(ts.t, err)
	return resp.StatusCode, b
}

// postEvents posts an NDJSON body and decodes the answer.
func (ts *testServer) postEvents(body []byte) (int, eventsResponse) {
	ts.t.Helper()
	status, b := ts.do("POST", "/v1/events", "application/x-ndjson", body)
	var r eventsResponse
	require.NoError(ts.t, json.Unmarshal(b, &r), "body: %s", b)
	return status, r
}

// open opens a statistic through the API and returns its id.
func (ts *testServer) open(body string) string {
	ts.t.Helper()
	status, b := ts.do("POST", "/v1/statistics", "application/json", []byte(body))
	require.Equal(ts.t, http.StatusCreated, status, "body: %s", b)
	var r struct{ ID string }
	require.NoError(ts.t, json.Unmarshal(b, &r))
	return r.ID
}

// peek returns GET /v1/statistics/{id}.
func (ts *testServer) peek(id string) peekJSON {
	ts.t.Helper()
	status, b := ts.do("GET", "/v1/statistics/"+id, "", nil)
	require.Equal(ts.t, http.StatusOK, status, "body: %s", b)
	var p peekJSON
	require.NoError(ts.t, json.Unmarshal(b, &p))
	return p
}

// atOf is the time of a peek: its text, or "" for null (before the engine started).
func atOf(t *testing.T, p peekJSON) string {
	t.Helper()
	var at *string
	require.NoError(t, json.Unmarshal(p.At, &at), "at: %s", p.At)
	if at == nil {
		return ""
	}
	return *at
}

// loadSmall loads testdata/small.yaml, whose filter Broken does not compile (the engine
// refuses it), so without compiling the filters.
func loadSmall(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.LoadFileNoCompile("testdata/small.yaml")
	require.NoError(t, err)
	return cfg
}

// simEvents returns every event of the simulation c.
func simEvents(t *testing.T, c sim.Config) []event.Event {
	t.Helper()
	s, err := sim.New(c)
	require.NoError(t, err)
	var out []event.Event
	require.NoError(t, s.Run(context.Background(), func(e event.Event) error {
		out = append(out, e)
		return nil
	}))
	return out
}

// ndjson encodes events as an NDJSON body.
func ndjson(t *testing.T, events []event.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := event.NewEncoder(&buf)
	for _, e := range events {
		require.NoError(t, enc.Encode(e))
	}
	return buf.Bytes()
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	Name string
	Data []byte
}

// frameData is the data of a value or closed event.
type frameData struct {
	Statistic string          `json:"statistic"`
	At        string          `json:"at"`
	Value     json.RawMessage `json:"value"`
}

// stream is a client of GET /v1/stream collecting what it receives.
type stream struct {
	resp *http.Response
	mu   sync.Mutex
	got  []sseEvent
	beat int // heartbeat comments received
	done chan struct{}
}

// openStream starts a stream on path and collects its events in a goroutine. The
// response status must be 200.
func (ts *testServer) openStream(path string) *stream {
	ts.t.Helper()
	req, err := http.NewRequest("GET", ts.url+path, nil)
	require.NoError(ts.t, err)
	resp, err := (&http.Client{}).Do(req) // no timeout: streams are long
	require.NoError(ts.t, err)
	require.Equal(ts.t, http.StatusOK, resp.StatusCode)
	require.Equal(ts.t, "text/event-stream", resp.Header.Get("Content-Type"))
	st := &stream{resp: resp, done: make(chan struct{})}
	go st.read()
	ts.t.Cleanup(func() { resp.Body.Close(); <-st.done })
	return st
}

// read parses the stream until it ends.
func (st *stream) read() {
	defer close(st.done)
	sc := bufio.NewScanner(st.resp.Body)
	sc.Buffer(nil, 1<<20)
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Name != "" {
				st.mu.Lock()
				st.got = append(st.got, cur)
				st.mu.Unlock()
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"):
			st.mu.Lock()
			st.beat++
			st.mu.Unlock()
		case strings.HasPrefix(line, "event: "):
			cur.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.Data = []byte(strings.TrimPrefix(line, "data: "))
		}
	}
}

// events returns a copy of what was received so far.
func (st *stream) events() []sseEvent {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]sseEvent(nil), st.got...)
}

// heartbeats returns the number of heartbeat comments received so far.
func (st *stream) heartbeats() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.beat
}

// latest returns the newest value frame per statistic received so far.
func (st *stream) latest(t *testing.T) map[string]frameData {
	out := map[string]frameData{}
	for _, e := range st.events() {
		if e.Name != "value" {
			continue
		}
		var f frameData
		require.NoError(t, json.Unmarshal(e.Data, &f))
		out[f.Statistic] = f
	}
	return out
}

// ended reports whether the stream has ended.
func (st *stream) ended() bool {
	select {
	case <-st.done:
		return true
	default:
		return false
	}
}

// metricValue returns the value of a counter or gauge.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	require.NoError(t, m.Write(&d))
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	t.Fatalf("metric %v is no counter or gauge", m.Desc())
	return 0
}
