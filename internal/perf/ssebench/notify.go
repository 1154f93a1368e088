// Package ssebench measures notifications: a statkit server (runtime/server) on a
// loopback port, 1,000 SSE subscribers and a poster of NDJSON batches. It is apart from
// package perf so that the SQL baseline module, which imports perf, does not depend on
// the server.
//
// # Method
//
// A latency is only meaningful at a load the server sustains: a poster that sends each
// batch the moment the previous one is answered keeps the machine saturated, and what it
// measures then is the queueing of a saturated server. So the figure judged against the
// target (Measure's result) is taken at a fixed offered load: one poster sends batches of
// Options.Batch events (64) on a fixed schedule of Options.EventRate events per second,
// whatever the server does, and each notification's latency runs from the instant its
// batch was due — not from when its POST actually started — to the moment a subscriber
// reads the notification's data line. A server that falls behind therefore makes the
// poster late and the latencies grow (no coordinated omission); the result also says how
// far behind schedule the poster got. The notifications/s reported is what the
// subscribers read over the run, and the latency target only counts at ≥ 100,000/s.
// Separately, the same server is then driven as fast as it answers (a closed loop) to
// report its capacity, with the latencies of that saturated run for information.
//
// Notifications are matched to their batch by "at", the event time of the batch's last
// event (batches end before an instant the next does not share). Nothing is dropped to
// improve a figure: a subscriber that is behind gets the newest value of each
// statistic (the server's documented coalescing), and the server's counts of coalesced
// and discarded notifications and of dropped subscribers are reported with the figures.
//
// Each subscriber follows one agent group's and one queue's statistics, as a wallboard
// does. In workload M a batch of 64 events changes about 14 of them for each of the 1,000
// subscribers: each batch is a burst of some 14,000 notifications, and a notification's
// latency includes the delivery of the part of its burst that went before it. The
// subscribers are plain net/http clients that only look for "at" in each data line, but
// they, the poster and the server share the machine's cores: their reading (1,000 HTTP
// chunked streams) is part of the figures, as it would not be with clients on other
// machines.
package ssebench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/internal/perf"
	"github.com/statkit/statkit/runtime/auth"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/server"
)

// Options configure Measure. Zero fields take the defaults noted.
type Options struct {
	// Size is the workload whose topology, statistics and events are served (M).
	Size perf.Size
	// Subscribers is the number of SSE subscribers (1,000); each follows one agent
	// group's and one queue's statistics, as a wallboard does.
	Subscribers int
	// Batch is the number of events per POST /v1/events (64).
	Batch int
	// EventRate is the offered load of the measured run, in events per second (600):
	// batches of Batch events are due on a fixed schedule.
	EventRate float64
	// Duration bounds the time spent posting in each run (3s); Drain bounds the wait for
	// the last notifications after it (2s).
	Duration, Drain time.Duration
	// NoCapacity skips the second, closed-loop run.
	NoCapacity bool
}

func (o Options) withDefaults() Options {
	if o.Size.Name == "" {
		o.Size = perf.M
	}
	if o.Subscribers <= 0 {
		o.Subscribers = 1000
	}
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.EventRate <= 0 {
		o.EventRate = 600
	}
	if o.Duration <= 0 {
		o.Duration = 3 * time.Second
	}
	if o.Drain <= 0 {
		o.Drain = 2 * time.Second
	}
	return o
}

// Measure runs a statkit server (runtime/server) on a loopback port with the
// workload's topology and open statistics, connects the subscribers to GET /v1/stream,
// and measures two runs one after the other on that server, each posting the next events
// of the workload as NDJSON batches (each ending before an instant the next does not
// share) for at most Duration, then waiting for the last notifications:
//
//  1. The measured run, at a fixed offered load: one poster sends batch k when it is
//     due, at start + (events before it)/EventRate — an open loop, so the schedule does
//     not slow down when the server does. Each notification's latency runs from the
//     instant its batch was due to its arrival at a subscriber, so a POST that starts late
//     because the previous one took long counts its lateness too (no coordinated
//     omission). The notification's "at" (the event time of the batch's last event)
//     names its batch.
//  2. Capacity (unless NoCapacity): a closed loop, each POST sent when the previous one
//     was answered, to show how far the offered load is from saturation. Its latencies
//     run from the start of each POST, and are those of a saturated server.
//
// Delivered notifications/s is the count of value notifications the subscribers read,
// over the time from the run's start to the last notification read. A subscriber that is
// behind gets the newest value of a statistic, not every one (the server's documented
// coalescing): the server's coalesced and discarded counts (from /metrics) are reported
// beside the dropped subscribers. The subscribers read with a plain HTTP client that
// only looks for the "at" of each data line; they, the poster and the server share the
// machine's cores, so the latencies include the clients' own reading. All traffic
// stays on 127.0.0.1, and the run is bounded in time.
func Measure(ctx context.Context, o Options) (*perf.NotifyResult, error) {
	o = o.withDefaults()
	cfg, evs, err := perf.ServerConfig(o.Size)
	if err != nil {
		return nil, err
	}
	topo, open := cfg.Topology, cfg.Statistics
	// Every subscriber connects from 127.0.0.1: the stream quota per client address must
	// hold them all.
	guard, err := auth.New(auth.Options{Logger: slog.New(slog.DiscardHandler), Quota: auth.Quota{Streams: o.Subscribers + 8}})
	if err != nil {
		return nil, err
	}
	srv, err := server.New(server.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler), TickInterval: -1, TickLag: -1, ReorderWindow: -1, Guard: guard})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()

	// The wallboards: subscriber i follows agent group i mod G and queue i mod Q.
	byObj := map[string][]string{}
	for _, st := range open {
		if t := st.Object.Type; t == object.TypeGroupAgents || t == object.TypeQueue {
			k := t.String() + ":" + st.Object.ID
			byObj[k] = append(byObj[k], st.ID)
		}
	}
	tr := &http.Transport{MaxIdleConnsPerHost: o.Subscribers + 8, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	m := &meter{posts: map[string]post{}}
	subs := make([]*subscriber, o.Subscribers)
	var ready sync.WaitGroup
	cctx, cancelSubs := context.WithCancel(ctx)
	defer cancelSubs()
	queues := queueIDs(&topo)
	for i := range subs {
		g := topo.AgentGroups[i%len(topo.AgentGroups)].ID
		q := queues[i%len(queues)]
		ids := append(slices.Clone(byObj[object.TypeGroupAgents.String()+":"+g]), byObj[object.TypeQueue.String()+":"+q]...)
		s := &subscriber{done: make(chan struct{})}
		subs[i] = s
		ready.Add(1)
		go s.run(cctx, client, base+"/v1/stream?"+query(ids), m, &ready)
	}
	ready.Wait()
	for _, s := range subs {
		if s.err != nil {
			return nil, fmt.Errorf("subscriber: %w", s.err)
		}
	}

	r := &runner{o: o, client: client, base: base, evs: evs, m: m, subs: subs}
	res, err := r.run(0, o.EventRate)
	if err == nil && !o.NoCapacity {
		res.Capacity, err = r.run(1, 0)
	}
	cancelSubs()
	for _, s := range subs {
		s.wait()
	}
	stop()
	if serr := <-served; err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	res.Statistics = len(open)
	res.Bound = fmt.Sprintf("one poster sends batches of %d events on a fixed schedule of %s events/s, latency counted from when each batch was due; the %d subscriber connections and their readers run on the same cores as the server and the poster",
		o.Batch, thousands(o.EventRate), o.Subscribers)
	if c := res.Capacity; c != nil {
		c.Statistics = len(open)
		res.Bound += fmt.Sprintf("; capacity: %s notifications/s when each POST is sent as soon as the previous one is answered (p99 %s there)",
			thousands(c.PerSecond()), c.P99.Round(10*time.Microsecond))
	}
	return res, nil
}

// runner posts the workload's events to the server, run after run.
type runner struct {
	o      Options
	client *http.Client
	base   string
	evs    []event.Event
	next   int // the first event not posted yet
	m      *meter
	subs   []*subscriber
}

// run posts events for at most Duration, at rate events/s (0: each POST as soon as the
// previous one was answered), waits for the last notifications and measures them; phase
// (0 or 1) tells its notifications apart.
func (r *runner) run(phase int, rate float64) (*perf.NotifyResult, error) {
	o := r.o
	res := &perf.NotifyResult{Subscribers: o.Subscribers, Batch: o.Batch, EventRate: rate}
	coalesced0, discarded0, err := r.counters()
	if err != nil {
		return nil, err
	}
	dropped0 := r.dropped()
	cpu0 := perf.CPUTime()
	start := time.Now()
	var buf []byte
	posted := 0
	for r.next < len(r.evs) && time.Since(start) < o.Duration {
		i := r.next
		j := min(i+o.Batch, len(r.evs))
		for j < len(r.evs) && r.evs[j].Time == r.evs[j-1].Time {
			j++
		}
		buf = buf[:0]
		for k := i; k < j; k++ {
			if buf, err = event.AppendJSON(buf, r.evs[k]); err != nil {
				return nil, err
			}
			buf = append(buf, '\n')
		}
		due := time.Now()
		if rate > 0 {
			due = start.Add(time.Duration(float64(posted) / rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			} else {
				res.Behind = max(res.Behind, -d)
			}
		}
		r.m.set(r.evs[j-1].Time.String(), post{due: due, phase: phase})
		resp, err := r.client.Post(r.base+"/v1/events", "application/x-ndjson", bytes.NewReader(buf))
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"rejected":[{`)) {
			return nil, fmt.Errorf("POST /v1/events: %s: %s", resp.Status, clipBytes(body))
		}
		posted += j - i
		r.next = j
	}
	res.Events = posted
	// Wait for the last notifications: until none came for 200 ms, at most Drain.
	deadline := time.Now().Add(o.Drain)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if time.Since(time.Unix(0, r.m.last[phase].Load())) > 200*time.Millisecond {
			break
		}
	}
	res.CPU = perf.CPUTime() - cpu0
	var lat []time.Duration
	for _, s := range r.subs {
		lat = append(lat, s.latencies(phase)...)
	}
	res.Delivered = len(lat)
	if last := r.m.last[phase].Load(); last > 0 {
		res.Elapsed = time.Unix(0, last).Sub(start)
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50, res.P99, res.Max = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
	}
	coalesced1, discarded1, err := r.counters()
	if err != nil {
		return nil, err
	}
	res.Coalesced, res.Discarded = coalesced1-coalesced0, discarded1-discarded0
	res.Dropped = r.dropped() - dropped0
	return res, nil
}

// dropped counts the subscribers whose stream ended before the measurement did.
func (r *runner) dropped() int {
	n := 0
	for _, s := range r.subs {
		if s.ended.Load() {
			n++
		}
	}
	return n
}

// counters reads the server's counts of coalesced and discarded notifications from
// GET /metrics.
func (r *runner) counters() (coalesced, discarded int64, err error) {
	resp, err := r.client.Get(r.base + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	get := func(name string) (int64, error) {
		for line := range strings.Lines(string(body)) {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return int64(f), err
			}
		}
		return 0, fmt.Errorf("GET /metrics: no %s", name)
	}
	if coalesced, err = get("statkit_notifications_coalesced_total"); err != nil {
		return 0, 0, err
	}
	discarded, err = get("statkit_notifications_dropped_total")
	return coalesced, discarded, err
}

// post is a batch posted: when it was due and in which run.
type post struct {
	due   time.Time
	phase int
}

// meter maps the event time of a batch's last event (as the notifications' "at" spells
// it) to its post, and keeps the arrival time of the last notification of each run.
type meter struct {
	mu    sync.RWMutex
	posts map[string]post
	last  [2]atomic.Int64 // unix nanoseconds
}

func (m *meter) set(at string, p post) {
	m.mu.Lock()
	m.posts[at] = p
	m.mu.Unlock()
}

// lookup returns the post of the batch whose last event's time is at.
func (m *meter) lookup(at []byte) (post, bool) {
	m.mu.RLock()
	p, ok := m.posts[string(at)]
	m.mu.RUnlock()
	return p, ok
}

// arrived records that a notification of p was read at now.
func (m *meter) arrived(p post, now time.Time) {
	ns, last := now.UnixNano(), &m.last[p.phase]
	for old := last.Load(); ns > old && !last.CompareAndSwap(old, ns); old = last.Load() {
	}
}

// subscriber is one SSE client.
type subscriber struct {
	mu    sync.Mutex
	lat   [2][]time.Duration // by run
	err   error
	ended atomic.Bool // the stream ended before the measurement did
	done  chan struct{}
}

// run reads the stream at url until ctx ends, recording the latency of every value
// notification caused by a posted batch; it calls ready.Done once the stream is open.
func (s *subscriber) run(ctx context.Context, c *http.Client, url string, m *meter, ready *sync.WaitGroup) {
	defer close(s.done)
	once := sync.OnceFunc(ready.Done)
	defer once()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		s.err = err
		return
	}
	resp, err := c.Do(req)
	if err != nil {
		s.err = err
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.err = fmt.Errorf("GET /v1/stream: %s", resp.Status)
		return
	}
	once()
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	var (
		now    time.Time
		lastAt []byte // the "at" of the last notification, and its post
		last   post
		known  bool
	)
	for {
		buffered := br.Buffered()
		line, err := br.ReadSlice('\n')
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				s.ended.Store(true)
			}
			return
		}
		if len(line) > buffered || now.IsZero() {
			now = time.Now() // the line came with this read; the others arrived with an earlier one
		}
		rest, ok := bytes.CutPrefix(line, []byte(`data: {`))
		if !ok {
			continue
		}
		_, after, ok := bytes.Cut(rest, []byte(`"at":"`))
		if !ok {
			continue
		}
		at, _, _ := bytes.Cut(after, []byte(`"`))
		if !bytes.Equal(at, lastAt) || !known {
			lastAt = append(lastAt[:0], at...)
			last, known = m.lookup(at)
		}
		if known {
			m.arrived(last, now)
			s.mu.Lock()
			s.lat[last.phase] = append(s.lat[last.phase], now.Sub(last.due))
			s.mu.Unlock()
		}
	}
}

// latencies returns the latencies recorded in run phase.
func (s *subscriber) latencies(phase int) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lat[phase])
}

func (s *subscriber) wait() { <-s.done }

// query builds ?statistic=…&statistic=….
func query(ids []string) string {
	v := url.Values{"statistic": ids}
	return v.Encode()
}

// queueIDs lists the queues of t.
func queueIDs(t *config.Topology) []string {
	var out []string
	for _, d := range t.DNs {
		if d.Type.ObjectType() == object.TypeQueue {
			out = append(out, d.ID)
		}
	}
	return out
}

func clipBytes(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// thousands formats v rounded, with thousands separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
