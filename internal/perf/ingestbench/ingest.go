// Package ingestbench measures HTTP ingest into a durable server (issue 19): a statkit
// server (runtime/server) on a loopback port with a data directory (fsync interval, group
// commit), the reorder window on, and concurrent clients posting a workload's cycles as
// NDJSON batches, each with an Idempotency-Key. It is apart from package perf so that
// the SQL baseline module, which imports perf, does not depend on the server.
//
// # Method
//
// The events are the workload's cycle (perf.ServerConfig), one warm-up cycle and then
// Options.Cycles timed ones, each shifted one cycle later in event time. They are cut
// into batches of Options.Batch events, extended so that no instant is split between two
// batches, encoded before anything is timed, and posted by Options.Clients goroutines
// over one HTTP transport. Every answer is checked: 200, every event accepted, none late,
// none rejected — a late or rejected event is a bug of the bench, which then fails.
//
// The clients post one historical stream, taking its batches in order from a shared
// cursor. A server applies events in event-time order, through a reorder window that
// holds them up to the window of event time: a batch posted after a batch newer by more
// than the window would be late. Concurrent clients cannot keep their batches within a
// 2 s window of each other: at the workload's density a batch of 500 spans about 10 s of
// event time by itself, and splitting the stream by client (a tenant, queues or agents
// each) only makes each client's batch span more. So the spread is bounded instead: a
// client takes batch j only once every batch up to j − Lead has been answered (Lead =
// Clients: at most that many batches unanswered, consecutive in the stream), and the window is the longest event time that Lead
// consecutive batches span, rounded up to 10 s — then no event can be late, however
// the clients are scheduled. A live site, whose sources post events within a second or
// two of their time, keeps the 2 s default; the window's cost per event is the pipeline's
// (perf's NDJSONIngest measures it with the default).
//
// The figure is events per second from the first POST of the timed run to its last
// answer, with the latency of each POST (from its start to its answer read). At the end,
// the values of a sample of statistics read over HTTP are checked against a reference
// engine fed directly the events the window released (those up to the newest event time
// less the window; the server holds the rest).
package ingestbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/statkit/statkit/internal/perf"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/server"
	"github.com/statkit/statkit/runtime/store"
)

// Options configure Measure. Zero fields take the defaults noted.
type Options struct {
	// Size is the workload posted (perf.M).
	Size perf.Size
	// Clients post at once (4), Batch events a POST (500).
	Clients, Batch int
	// Cycles is the number of timed cycles (3), after one warm-up cycle.
	Cycles int
	// FsyncInterval is the store's group commit period (store.DefaultFsyncInterval).
	FsyncInterval time.Duration
	// Window is the reorder window; 0 derives it from the stream (see the package
	// documentation).
	Window time.Duration
	// Dir is the data directory, which must be empty or absent; "" makes a temporary one,
	// removed at the end.
	Dir string
	// VerifyEvery checks every VerifyEvery-th open statistic at the end (97).
	VerifyEvery int
	// Profile, when set, receives a CPU profile of the timed run (runtime/pprof).
	Profile io.Writer
}

func (o Options) withDefaults() Options {
	if o.Size.Name == "" {
		o.Size = perf.M
	}
	if o.Clients <= 0 {
		o.Clients = 4
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Cycles <= 0 {
		o.Cycles = 3
	}
	if o.FsyncInterval <= 0 {
		o.FsyncInterval = store.DefaultFsyncInterval
	}
	if o.VerifyEvery <= 0 {
		o.VerifyEvery = 97
	}
	return o
}

// batch is one POST: its body, its key, its event count and time range.
type batch struct {
	body     []byte
	key      string
	n        int
	min, max event.Time
}

// Measure runs the measurement (see the package documentation).
func Measure(ctx context.Context, o Options) (*perf.IngestResult, error) {
	o = o.withDefaults()
	cfg, evs, err := perf.ServerConfig(o.Size)
	if err != nil {
		return nil, err
	}
	warm, timed, err := batches(evs, o)
	if err != nil {
		return nil, err
	}
	all := append(slices.Clip(warm), timed...)
	if o.Window <= 0 {
		o.Window = window(all, o.Clients)
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "statkit-ingestbench-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(store.Options{Dir: dir, Fsync: store.FsyncInterval, FsyncInterval: o.FsyncInterval, Logger: quiet})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	srv, err := server.New(server.Options{Config: cfg, Logger: quiet, Store: st,
		TickInterval: -1, TickLag: -1, ReorderWindow: o.Window})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	defer func() {
		stop()
		<-served
	}()
	tr := &http.Transport{MaxIdleConnsPerHost: o.Clients + 2, DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &client{http: &http.Client{Transport: tr}, base: "http://" + ln.Addr().String()}

	if _, err := c.run(ctx, warm, o.Clients); err != nil {
		return nil, fmt.Errorf("warm-up cycle: %w", err)
	}
	apply0, err := c.applySeconds()
	if err != nil {
		return nil, err
	}
	log0 := dirSize(dir)
	runtime.GC()
	if o.Profile != nil {
		if err := pprof.StartCPUProfile(o.Profile); err != nil {
			return nil, err
		}
	}
	cpu0 := perf.CPUTime()
	start := time.Now()
	lat, err := c.run(ctx, timed, o.Clients)
	if o.Profile != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return nil, err
	}
	res := &perf.IngestResult{Workload: o.Size.Name, Clients: o.Clients, Batch: o.Batch, Lead: o.Clients,
		Batches: len(timed), Elapsed: time.Since(start), CPU: perf.CPUTime() - cpu0, CPUs: runtime.GOMAXPROCS(0),
		Fsync: fmt.Sprintf("interval (group commit every %s)", o.FsyncInterval), Window: o.Window}
	for _, b := range timed {
		res.Events += b.n
	}
	slices.Sort(lat)
	res.P50, res.P99, res.Max = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
	apply1, err := c.applySeconds()
	if err != nil {
		return nil, err
	}
	res.Apply = time.Duration((apply1 - apply0) * float64(time.Second))
	res.LogBytes = dirSize(dir) - log0
	if res.Held, err = c.held(); err != nil {
		return nil, err
	}
	if err := verify(ctx, c, cfg, all, o, res); err != nil {
		return nil, err
	}
	return res, nil
}

// batches cuts the warm-up cycle and the timed cycles of evs into batches, encoded.
func batches(evs []event.Event, o Options) (warm, timed []batch, err error) {
	span := o.Size.Span()
	for c := range 1 + o.Cycles {
		off := event.Time(c) * span
		for i := 0; i < len(evs); {
			j := min(i+o.Batch, len(evs))
			for j < len(evs) && evs[j].Time == evs[j-1].Time {
				j++ // an instant is never split: events of one instant keep their order
			}
			b := batch{key: fmt.Sprintf("bench-%d-%d", c, i), n: j - i, min: evs[i].Time + off, max: evs[j-1].Time + off}
			for k := i; k < j; k++ {
				ev := evs[k]
				ev.Time += off
				if b.body, err = event.AppendJSON(b.body, ev); err != nil {
					return nil, nil, err
				}
				b.body = append(b.body, '\n')
			}
			if c == 0 {
				warm = append(warm, b)
			} else {
				timed = append(timed, b)
			}
			i = j
		}
	}
	return warm, timed, nil
}

// window is the reorder window that makes no event late when a client posts batch j
// only once every batch up to j − lead was answered: longer than the event time any
// lead consecutive batches span, rounded up to 10 s.
func window(bs []batch, lead int) time.Duration {
	var longest event.Time
	for j := range bs {
		i := max(0, j-lead+1)
		longest = max(longest, bs[j].max-bs[i].min)
	}
	const step = 10 * time.Second
	return (time.Duration(longest)*time.Millisecond/step + 1) * step
}

// client posts batches to the server.
type client struct {
	http *http.Client
	base string
}

// run posts bs with clients goroutines, each taking the next batch j of the shared
// cursor once every batch before j − clients + 1 was answered (so at most clients
// batches, consecutive in event time, are unanswered at any moment), and returns each
// POST's time.
func (c *client) run(ctx context.Context, bs []batch, clients int) ([]time.Duration, error) {
	lat := make([]time.Duration, len(bs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		moved    = sync.NewCond(&mu)
		answered = make([]bool, len(bs))
		low      int // the oldest batch not answered
		next     int // the next batch to take
		failed   error
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		moved.Broadcast()
	})
	defer stop()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				j := next
				next++
				for j < len(bs) && j-low >= clients && ctx.Err() == nil {
					moved.Wait()
				}
				mu.Unlock()
				if j >= len(bs) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := c.post(ctx, &bs[j])
				mu.Lock()
				if err != nil {
					if failed == nil {
						failed = err
					}
					cancel()
				} else {
					lat[j] = time.Since(t0)
					answered[j] = true
					for low < len(bs) && answered[low] {
						low++
					}
				}
				moved.Broadcast()
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		return nil, failed
	}
	return lat, ctx.Err()
}

// answer is what the bench reads of POST /v1/events's answer.
type answer struct {
	Accepted      int `json:"accepted"`
	RejectedTotal int `json:"rejectedTotal"`
	LateTotal     int `json:"lateTotal"`
	Rejected      []struct {
		Line   int    `json:"line"`
		Reason string `json:"reason"`
	} `json:"rejected"`
}

// post posts b and checks that every event was accepted, none late or rejected.
func (c *client) post(ctx context.Context, b *batch) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/events", bytes.NewReader(b.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set(server.IdempotencyHeader, b.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /v1/events (%s): %s: %s", b.key, resp.Status, clip(body))
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("POST /v1/events (%s): %w", b.key, err)
	}
	if a.Accepted != b.n || a.RejectedTotal != 0 || a.LateTotal != 0 {
		return fmt.Errorf("POST /v1/events (%s): %d of %d events accepted, %d rejected, %d late (a bug of the bench): %s",
			b.key, a.Accepted, b.n, a.RejectedTotal, a.LateTotal, clip(body))
	}
	return nil
}

// get reads path's body.
func (c *client) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s: %s", path, resp.Status, clip(body))
	}
	return body, err
}

// applySeconds reads statkit_apply_seconds_sum from /metrics.
func (c *client) applySeconds() (float64, error) {
	body, err := c.get(context.Background(), "/metrics")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, "statkit_apply_seconds_sum "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, errors.New("GET /metrics: no statkit_apply_seconds_sum")
}

// held reads the events the reorder window holds from /healthz.
func (c *client) held() (int, error) {
	body, err := c.get(context.Background(), "/healthz")
	if err != nil {
		return 0, err
	}
	var h struct{ Held int }
	err = json.Unmarshal(body, &h)
	return h.Held, err
}

// verify reads every VerifyEvery-th statistic over HTTP and compares it with a
// reference engine fed the events the window released: every event up to the newest
// event time less the window, in time order (no instant is split between batches, so
// that is the order the server applied them in).
func verify(ctx context.Context, c *client, cfg *config.Config, bs []batch, o Options, res *perf.IngestResult) error {
	ref, err := engine.New(cfg)
	if err != nil {
		return err
	}
	var newest event.Time = math.MinInt64
	for _, b := range bs {
		newest = max(newest, b.max)
	}
	bound := newest - event.Time(o.Window.Milliseconds())
	for _, b := range bs {
		if b.min > bound {
			continue
		}
		dec := event.NewDecoder(bytes.NewReader(b.body), event.Options{Resolver: ref})
		for {
			ev, rej, err := dec.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || rej != nil {
				return fmt.Errorf("reference: batch %s: %v %v", b.key, err, rej)
			}
			if ev.Time > bound {
				continue
			}
			if err := ref.Apply(&ev); err != nil {
				return fmt.Errorf("reference: batch %s: %w", b.key, err)
			}
		}
	}
	for i, st := range cfg.Statistics {
		if i%o.VerifyEvery != 0 {
			continue
		}
		body, err := c.get(ctx, "/v1/statistics/"+url.PathEscape(st.ID))
		if err != nil {
			return err
		}
		var got struct{ Value json.RawMessage }
		if err := json.Unmarshal(body, &got); err != nil {
			return err
		}
		v, err := ref.Value(st.ID)
		if err != nil {
			return err
		}
		want, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if !bytes.Equal(bytes.TrimSpace(got.Value), want) {
			if len(res.Mismatches) < 5 {
				res.Mismatches = append(res.Mismatches, fmt.Sprintf("%s: server %s, reference %s", st.ID, clip(got.Value), clip(want)))
			}
			continue
		}
		res.Verified++
	}
	if len(res.Mismatches) > 0 {
		return fmt.Errorf("the server's values differ from the reference engine's: %s", strings.Join(res.Mismatches, "; "))
	}
	return nil
}

// dirSize is the bytes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
