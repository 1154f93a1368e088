package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
)

// post sends a POST /v1/events with headers and returns the status, body and headers.
func (ts *testServer) post(body []byte, headers ...string) (int, []byte, http.Header) {
	ts.t.Helper()
	req, err := http.NewRequest("POST", ts.url+"/v1/events", bytes.NewReader(body))
	require.NoError(ts.t, err)
	req.Header.Set("Content-Type", "application/x-ndjson")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(ts.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(ts.t, err)
	return resp.StatusCode, b, resp.Header
}

// health returns GET /healthz's status and body.
func (ts *testServer) health() (int, map[string]any) {
	ts.t.Helper()
	status, b := ts.do("GET", "/healthz", "", nil)
	var h map[string]any
	require.NoError(ts.t, json.Unmarshal(b, &h), "%s", b)
	return status, h
}

// A batch posted again with its Idempotency-Key is answered with the first answer, the
// same status and body, marked as a repeat, and applied once; the same key with another
// body is refused (422) and changes nothing.
func TestIdempotencyKey(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	body := []byte(evEntered + "\nnot json\n" + evWaitStart + "\n")
	status, first, h := ts.post(body, IdempotencyHeader, "batch-1")
	require.Equal(t, http.StatusOK, status, "%s", first)
	assert.Empty(t, h.Get(ReplayedHeader))
	for range 3 {
		status, again, h := ts.post(body, IdempotencyHeader, "batch-1")
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, string(first), string(again))
		assert.Equal(t, "true", h.Get(ReplayedHeader))
	}
	assert.Equal(t, "1", string(ts.peek("entered").Value), "applied once")
	assert.Equal(t, float64(3), metricValue(t, ts.srv.m.duplicates))

	// A 400 is repeated too (the engine refused every line: a second start).
	status, b400, _ := ts.post([]byte(evWaitStart+"\n"), IdempotencyHeader, "batch-2")
	require.Equal(t, http.StatusBadRequest, status)
	status, again, h := ts.post([]byte(evWaitStart+"\n"), IdempotencyHeader, "batch-2")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, string(b400), string(again))
	assert.Equal(t, "true", h.Get(ReplayedHeader))

	status, b, _ := ts.post([]byte(strings.Replace(evEntered, "c-1", "c-2", 1)), IdempotencyHeader, "batch-1")
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Contains(t, errorBody(t, b).Error, "another body")
	assert.Equal(t, "1", string(ts.peek("entered").Value))

	status, b, _ = ts.post(body, IdempotencyHeader, strings.Repeat("k", 256))
	assert.Equal(t, http.StatusBadRequest, status, "%s", b)
}

// Concurrent requests with the same key: one applies the batch, the others wait for it
// and repeat its answer; the batch is counted once.
func TestIdempotencyConcurrentDuplicates(t *testing.T) {
	sc := sim.Config{Seed: 6, Agents: 10, Queues: 2, Duration: time.Hour, LoginSpread: time.Minute}
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	batches := splitAtTimes(simEvents(t, sc), 10)
	ts := startServer(t, Options{Config: cfg, TickInterval: -1}, func(s *Server) {
		s.own.hookBatch = func() { time.Sleep(2 * time.Millisecond) } // let the duplicates pile up
	}, nil)
	ref := startServer(t, Options{Config: cfg, TickInterval: -1}, nil, nil)
	for k, b := range batches {
		body := ndjson(t, b)
		key := fmt.Sprintf("b%d", k)
		const n = 8
		type res struct {
			status   int
			body     string
			replayed bool
		}
		out := make(chan res, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, b, h := ts.post(body, IdempotencyHeader, key)
				out <- res{status, string(b), h.Get(ReplayedHeader) == "true"}
			}()
		}
		wg.Wait()
		close(out)
		var all []res
		replays := 0
		for r := range out {
			require.Equal(t, http.StatusOK, r.status, r.body)
			if r.replayed {
				replays++
			}
			all = append(all, r)
		}
		assert.Equal(t, n-1, replays, "batch %d: one request applies, the others repeat", k)
		for _, r := range all[1:] {
			assert.Equal(t, all[0].body, r.body, "every answer is the first one")
		}
		status, _ := ref.postEvents(body)
		require.Equal(t, http.StatusOK, status)
	}
	assert.Equal(t, ref.allValues(), ts.allValues())
	assert.Equal(t, metricValue(t, ref.srv.m.accepted), metricValue(t, ts.srv.m.accepted))
}

// Keys live in the log and in snapshots: a retry after a restart is still a repeat.
func TestIdempotencyKeysSurviveRestart(t *testing.T) {
	cfg := loadSmall(t)
	dir := t.TempDir()
	body := []byte(evEntered + "\n")
	for run := range 3 {
		st := openStore(t, dir)
		ts := startServer(t, Options{Config: cfg, TickInterval: -1, Store: st, SnapshotEvery: 1 + run%2}, nil, nil)
		status, _, h := ts.post(body, IdempotencyHeader, "once")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, run > 0, h.Get(ReplayedHeader) == "true", "run %d", run)
		assert.Equal(t, "1", string(ts.peek("entered").Value), "run %d", run)
		require.NoError(t, ts.stop())
		require.NoError(t, st.Close())
	}
}

// Content types other than NDJSON, JSON and text are 415; a gzip body is decoded
// within the body limit, counted after decompression; other encodings are 415.
func TestContentTypeAndEncoding(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1, MaxBodyBytes: 4096}, nil, nil)
	for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "image/png", "text/html"} {
		status, b, _ := ts.post([]byte(evEntered), "Content-Type", ct)
		assert.Equal(t, http.StatusUnsupportedMediaType, status, ct)
		errorBody(t, b)
	}
	for _, ct := range []string{"application/json", "application/x-ndjson; charset=utf-8", "text/plain", "application/jsonl"} {
		status, b, _ := ts.post([]byte(strings.Replace(evEntered, "c-1", "c-"+ct, 1)), "Content-Type", ct)
		assert.Equal(t, http.StatusOK, status, "%s: %s", ct, b)
	}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	status, b, _ := ts.post(gz([]byte(evWaitStart+"\n")), "Content-Encoding", "gzip")
	require.Equal(t, http.StatusOK, status, "%s", b)
	assert.Equal(t, "1", string(ts.peek("waiting").Value))
	// 100 KB of blank lines compress to a few hundred bytes: over the limit once
	// decompressed.
	bomb := gz(bytes.Repeat([]byte("\n"), 100_000))
	require.Less(t, len(bomb), 4096)
	status, b, _ = ts.post(bomb, "Content-Encoding", "gzip")
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, "%s", b)
	status, _, _ = ts.post([]byte("not gzip"), "Content-Encoding", "gzip")
	assert.Equal(t, http.StatusBadRequest, status)
	status, _, _ = ts.post([]byte(evEntered), "Content-Encoding", "br")
	assert.Equal(t, http.StatusUnsupportedMediaType, status)
}

// Garbage (512 KiB of bad lines here) costs bounded memory and a bounded answer: the first 100 rejections are
// listed, the rest counted; a reason never quotes more than 64 bytes of the input.
func TestGarbageBodyBounded(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	var body bytes.Buffer
	lines := 0
	for body.Len() < 512<<10 { // (statkit serve measured with 8 MiB: see the report)
		body.WriteString("x\n")
		lines++
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	status, b, _ := ts.post(body.Bytes())
	runtime.ReadMemStats(&m1)
	require.Equal(t, http.StatusBadRequest, status)
	assert.Less(t, len(b), 32<<10, "the answer is bounded")
	var r eventsResponse
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Len(t, r.Rejected, 100)
	assert.Equal(t, lines, r.RejectedTotal)
	assert.Equal(t, 100, r.Rejected[99].Line)
	// The decoder words a reason for every bad line (transient garbage, collected as
	// it goes); what stays is bounded: the body, the blank record, the listed 100.
	var m2 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m2)
	t.Logf("8 MiB of garbage: %d lines, answer %d bytes, %.0f MiB allocated in all, %.1f MiB live after",
		lines, len(b), float64(m1.TotalAlloc-m0.TotalAlloc)/(1<<20), float64(m2.HeapAlloc)/(1<<20))
	assert.Less(t, int64(m2.HeapAlloc)-int64(m0.HeapAlloc), int64(16<<20))
	assert.Equal(t, float64(lines), metricValue(t, ts.srv.m.rejected.WithLabelValues("bad_json")))

	// A long bad value is quoted clipped.
	long := strings.Repeat("Z", 5000)
	status, b, _ = ts.post([]byte(`{"time":"2026-11-26T09:00:00Z","action":"` + long + `","source":{"class":"mediation_dn","id":"Support@SW1"}}`))
	require.Equal(t, http.StatusBadRequest, status)
	require.NoError(t, json.Unmarshal(b, &r))
	require.Len(t, r.Rejected, 1)
	assert.Less(t, strings.Count(r.Rejected[0].Reason, "Z"), 65)

	// Garbage around a valid line: the valid line is applied, the record holds it alone.
	status, b, _ = ts.post([]byte(strings.Repeat("garbage\n", 5000) + evEntered + "\n" + strings.Repeat("garbage\n", 5000)))
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, 1, r.Accepted)
	assert.Equal(t, 10000, r.RejectedTotal)
	assert.Equal(t, "1", string(ts.peek("entered").Value))
}

// An event too far ahead of the wall clock is refused at receipt (future_event) and
// changes nothing — not the engine clock, not a value — so the real events after it are
// applied as usual; one within the skew is accepted.
func TestFutureEventRefused(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 26, 9, 0, 1, 0, time.UTC))
	ts := startServer(t, Options{Config: loadSmall(t), Clock: clock, TickInterval: time.Hour, TickLag: -1}, nil, nil)
	for _, future := range []string{"9999-12-31T23:59:59Z", "2026-11-26T10:00:00Z", "2026-11-26T09:00:11.001Z"} {
		status, b, _ := ts.post([]byte(strings.Replace(evEntered, "2026-11-26T09:00:00Z", future, 1)))
		require.Equal(t, http.StatusBadRequest, status, future)
		var r eventsResponse
		require.NoError(t, json.Unmarshal(b, &r))
		assert.Equal(t, []string{"1:future_event"}, codes(r), future)
		assert.Contains(t, r.Rejected[0].Reason, "ahead of the server clock")
		assert.Equal(t, "", atOf(t, ts.peek("entered")), "the engine clock did not move")
		assert.Equal(t, "0", string(ts.peek("entered").Value))
	}
	assert.Equal(t, float64(3), metricValue(t, ts.srv.m.rejected.WithLabelValues("future_event")))
	status, _, _ := ts.post([]byte(strings.Replace(evEntered, "2026-11-26T09:00:00Z", "2026-11-26T09:00:10Z", 1) + "\n" + evWaitStart))
	require.Equal(t, http.StatusOK, status, "10 s ahead is within the default skew")
	assert.Equal(t, "1", string(ts.peek("entered").Value))
	assert.Equal(t, "1", string(ts.peek("waiting").Value), "an event before it in time is not late")
}

// reorder returns events in an arrival order where each distinct time is delayed by up
// to maxDelay (equal times keep their order), and the events picked by late delayed by
// lateBy: a feed with ±maxDelay of jitter and some events minutes late.
func reorder(events []event.Event, rng *rand.Rand, maxDelay, lateBy time.Duration, late func(event.Event) bool) []event.Event {
	type arr struct {
		at event.Time
		ev event.Event
	}
	delay := map[event.Time]event.Time{}
	out := make([]arr, len(events))
	for i, e := range events {
		d, ok := delay[e.Time]
		if !ok {
			d = event.Time(rng.Int64N(maxDelay.Milliseconds() + 1))
			delay[e.Time] = d
		}
		if late(e) {
			d = event.Time(lateBy.Milliseconds())
		}
		out[i] = arr{e.Time + d, e}
	}
	slices.SortStableFunc(out, func(a, b arr) int { return int(a.at - b.at) })
	evs := make([]event.Event, len(out))
	for i, a := range out {
		evs[i] = a.ev
	}
	return evs
}

// The bank day posted with ±1 s of reordering and 25 abandons two minutes late: no line
// is rejected, the late ones are reported late, and every statistic of the day ends
// exactly as the sorted file replayed into an engine gives it.
func TestBankDayReorderedAndLate(t *testing.T) {
	cfg, err := config.LoadFileWith("../../examples/bank/config.yaml", machine.LoadOptions)
	require.NoError(t, err)
	f, err := os.Open("../../examples/bank/events.ndjson")
	require.NoError(t, err)
	defer f.Close()
	var events []event.Event
	dec := event.NewDecoder(bufio.NewReader(f), event.Options{Resolver: &cfg.Topology})
	for {
		ev, rej, err := dec.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej)
		events = append(events, ev)
	}
	ref, err := engine.New(cfg)
	require.NoError(t, err)
	for i := range events {
		require.NoError(t, ref.Apply(&events[i]), "the sorted day applies cleanly")
	}

	rng := rand.New(rand.NewPCG(1999, 1))
	lateOnes := map[int]bool{}
	for len(lateOnes) < 25 {
		i := rng.IntN(len(events))
		h := events[i].Time.Std().Hour() // UTC; the day runs 05:00–22:00 there
		if events[i].Action == action.CallAbandoned && h >= 8 && h < 18 {
			lateOnes[events[i].Line] = true
		}
	}
	arrival := reorder(events, rng, time.Second, 2*time.Minute, func(e event.Event) bool { return lateOnes[e.Line] })

	ts := startServer(t, Options{Config: cfg, TickInterval: -1, ReorderWindow: 2 * time.Second}, nil, nil)
	late := 0
	// Batches of 10 events (about 50 s of the day each), as a PBX link posts.
	for i := 0; i < len(arrival); i += 10 {
		status, r := ts.postEvents(ndjson(t, arrival[i:min(i+10, len(arrival))]))
		require.Equal(t, http.StatusOK, status)
		require.Empty(t, r.Rejected)
		late += r.LateTotal
	}
	assert.Equal(t, 25, late, "exactly the delayed abandons are late")
	// Nothing waits for a quiet feed: the wall-time flush releases what the window holds.
	require.Eventually(t, func() bool { _, h := ts.health(); return h["held"] == 0.0 }, waitFor, 10*time.Millisecond)
	assert.Equal(t, float64(25), metricValue(t, ts.srv.m.late.WithLabelValues("http")))
	assert.Equal(t, float64(0), metricValue(t, ts.srv.m.rejected.WithLabelValues("late_event")))
	got := ts.allValues()
	require.Len(t, got, len(cfg.Statistics))
	for _, st := range cfg.Statistics {
		assert.Equal(t, valueJSONOf(t, ref, st.ID), got[st.ID], st.ID)
	}
	assert.Equal(t, ref.Now().String(), atOf(t, ts.peek(cfg.Statistics[0].ID)))
}

// The reorder window's held events and the watermark are in snapshots: a server stopped
// while events are held, and restarted, continues exactly as one that was not.
func TestHeldEventsSurviveRestart(t *testing.T) {
	sc := sim.Config{Seed: 9, Agents: 10, Queues: 2, Duration: time.Hour, LoginSpread: time.Minute}
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	events := simEvents(t, sc)
	arrival := reorder(events, rand.New(rand.NewPCG(9, 9)), 1500*time.Millisecond, 0, func(event.Event) bool { return false })
	batches := [][]event.Event{arrival[:len(arrival)/3], arrival[len(arrival)/3 : 2*len(arrival)/3], arrival[2*len(arrival)/3:]}
	// No flush by wall time in either server: a 1 h window of wall time is never over.
	opts := Options{Config: cfg, TickInterval: -1, ReorderWindow: 5 * time.Second}
	clock := newFakeClock(time.Unix(0, 0))
	opts.Clock = clock

	ref := startServer(t, opts, nil, nil)
	for _, b := range batches {
		status, _ := ref.postEvents(ndjson(t, b))
		require.Equal(t, http.StatusOK, status)
	}
	_, h := ref.health()
	require.Positive(t, h["held"])
	want := ref.allValues()

	dir := t.TempDir()
	for i, b := range batches {
		st := openStore(t, dir)
		o := opts
		o.Store = st
		ts := startServer(t, o, nil, nil)
		if i > 0 {
			_, h := ts.health()
			require.Positive(t, h["held"], "the held events came back")
		}
		status, _ := ts.postEvents(ndjson(t, b))
		require.Equal(t, http.StatusOK, status)
		if i == len(batches)-1 {
			_, hh := ts.health()
			assert.Equal(t, h["held"], hh["held"])
			assert.Equal(t, want, ts.allValues())
		}
		require.NoError(t, ts.stop())
		require.NoError(t, st.Close())
	}
}

// A batch's position is recorded with it: the input's last position is the one of its
// last batch applied, and survives a restart; a repeat does not move it.
func TestPositionRecordedWithBatch(t *testing.T) {
	cfg := loadSmall(t)
	dir := t.TempDir()
	st := openStore(t, dir)
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, Store: st}, nil, nil)
	ctx := context.Background()
	pos, err := ts.srv.Position(ctx, "pbx")
	require.NoError(t, err)
	assert.Nil(t, pos)
	evs := func(line string) []event.Event {
		ev, err := event.DecodeLine([]byte(line), 1, event.Options{})
		require.NoError(t, err)
		return []event.Event{ev}
	}
	_, err = ts.srv.IngestBatch(ctx, InputBatch{Input: "pbx", Key: "k1", Position: []byte("offset=10"), Events: evs(evEntered)})
	require.NoError(t, err)
	_, err = ts.srv.IngestBatch(ctx, InputBatch{Input: "pbx", Key: "k2", Position: []byte("offset=20"), Events: evs(evWaitStart)})
	require.NoError(t, err)
	_, err = ts.srv.IngestBatch(ctx, InputBatch{Input: "pbx", Key: "k1", Position: []byte("offset=10"), Events: evs(evEntered)})
	require.NoError(t, err)
	pos, err = ts.srv.Position(ctx, "pbx")
	require.NoError(t, err)
	assert.Equal(t, "offset=20", string(pos))
	require.NoError(t, ts.stop())
	require.NoError(t, st.Close())
	st = openStore(t, dir)
	defer st.Close()
	ts = startServer(t, Options{Config: cfg, TickInterval: -1, Store: st}, nil, nil)
	pos, err = ts.srv.Position(ctx, "pbx")
	require.NoError(t, err)
	assert.Equal(t, "offset=20", string(pos))
	assert.Equal(t, "1", string(ts.peek("entered").Value))
}
