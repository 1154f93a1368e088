// Package ssebench measures notifications: a statkit server (runtime/server) on a
// loopback port, 1,000 SSE subscribers and a poster of NDJSON batches. It is apart from
// package perf so that the SQL baseline module, which imports perf, does not depend on
// the server.
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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/internal/perf"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
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
	// Duration bounds the time spent posting (3s); Drain bounds the wait for the last
	// notifications after it (2s).
	Duration, Drain time.Duration
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
// posts the workload's events as NDJSON batches one after the other for at most
// Duration, and counts the value notifications the subscribers receive, with each one's
// latency from the start of the POST of the batch that caused it (the notification's
// "at" is the event time of that batch's last event). Client and server share the
// machine's cores. All traffic stays on 127.0.0.1, and the run is bounded in time.
func Measure(ctx context.Context, o Options) (*perf.NotifyResult, error) {
	o = o.withDefaults()
	topo, stats, evs, err := perf.Cycle(o.Size)
	if err != nil {
		return nil, err
	}
	scratch, err := engine.New(&config.Config{Topology: topo})
	if err != nil {
		return nil, err
	}
	var open []*config.Statistic
	for _, st := range stats {
		if scratch.Open(st) == nil {
			open = append(open, st)
		}
	}
	cfg := &config.Config{Topology: topo, Statistics: open}
	seen := map[*config.StatType]bool{}
	seenP := map[*config.TimeProfile]bool{}
	for _, st := range open {
		if !seen[st.StatType] {
			seen[st.StatType] = true
			cfg.StatTypes = append(cfg.StatTypes, st.StatType)
		}
		if st.Profile != nil && !seenP[st.Profile] {
			seenP[st.Profile] = true
			cfg.TimeProfiles = append(cfg.TimeProfiles, st.Profile)
		}
	}
	cfg.Index()
	srv, err := server.New(server.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler), TickInterval: -1, TickLag: -1})
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
	posts := &postTimes{at: map[string]time.Time{}}
	subs := make([]*subscriber, o.Subscribers)
	var ready sync.WaitGroup
	cctx, cancelSubs := context.WithCancel(ctx)
	defer cancelSubs()
	var lastFrame atomic.Int64
	queues := queueIDs(&topo)
	for i := range subs {
		g := topo.AgentGroups[i%len(topo.AgentGroups)].ID
		q := queues[i%len(queues)]
		ids := append(slices.Clone(byObj[object.TypeGroupAgents.String()+":"+g]), byObj[object.TypeQueue.String()+":"+q]...)
		s := &subscriber{done: make(chan struct{})}
		subs[i] = s
		ready.Add(1)
		go s.run(cctx, client, base+"/v1/stream?"+query(ids), posts, &ready, &lastFrame)
	}
	ready.Wait()
	for _, s := range subs {
		if s.err != nil {
			return nil, fmt.Errorf("subscriber: %w", s.err)
		}
	}

	// Post the events in batches, each ending before an instant the next does not share.
	res := &perf.NotifyResult{Subscribers: o.Subscribers, Statistics: len(open)}
	start := time.Now()
	var buf []byte
	for i := 0; i < len(evs) && time.Since(start) < o.Duration; {
		j := min(i+o.Batch, len(evs))
		for j < len(evs) && evs[j].Time == evs[j-1].Time {
			j++
		}
		buf = buf[:0]
		for k := i; k < j; k++ {
			if buf, err = event.AppendJSON(buf, evs[k]); err != nil {
				return nil, err
			}
			buf = append(buf, '\n')
		}
		posts.set(evs[j-1].Time.String(), time.Now())
		resp, err := client.Post(base+"/v1/events", "application/x-ndjson", bytes.NewReader(buf))
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"rejected":[{`)) {
			return nil, fmt.Errorf("POST /v1/events: %s: %s", resp.Status, clipBytes(body))
		}
		res.Events += j - i
		i = j
	}
	// Wait for the last notifications: until none came for 200 ms, at most Drain.
	deadline := time.Now().Add(o.Drain)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if time.Since(time.Unix(0, lastFrame.Load())) > 200*time.Millisecond {
			break
		}
	}
	cancelSubs()
	var lat []time.Duration
	for _, s := range subs {
		s.wait()
		lat = append(lat, s.lat...)
		if s.dropped {
			res.Dropped++
		}
	}
	stop()
	if err := <-served; err != nil {
		return nil, err
	}
	res.Delivered = len(lat)
	if last := lastFrame.Load(); last > 0 {
		res.Elapsed = time.Unix(0, last).Sub(start)
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50, res.P99, res.Max = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
	}
	res.Bound = fmt.Sprintf("one poster sends batches of %d events one after the other (each POST waits for its answer); the %d subscriber connections and their readers run on the same cores as the server", o.Batch, o.Subscribers)
	return res, nil
}

// postTimes maps the event time of a batch's last event (as the notifications' "at"
// spells it) to when its POST started.
type postTimes struct {
	mu sync.RWMutex
	at map[string]time.Time
}

func (p *postTimes) set(at string, t time.Time) {
	p.mu.Lock()
	p.at[at] = t
	p.mu.Unlock()
}

func (p *postTimes) get(at string) (time.Time, bool) {
	p.mu.RLock()
	t, ok := p.at[at]
	p.mu.RUnlock()
	return t, ok
}

// subscriber is one SSE client.
type subscriber struct {
	lat     []time.Duration
	err     error
	dropped bool
	done    chan struct{}
}

// run reads the stream at url until ctx ends, recording the latency of every value
// notification caused by a posted batch; it calls ready.Done once the stream is open.
func (s *subscriber) run(ctx context.Context, c *http.Client, url string, posts *postTimes, ready *sync.WaitGroup, last *atomic.Int64) {
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
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				s.dropped = true
			}
			return
		}
		rest, ok := bytes.CutPrefix(line, []byte(`data: {`))
		if !ok {
			continue
		}
		now := time.Now()
		last.Store(now.UnixNano())
		_, after, ok := bytes.Cut(rest, []byte(`"at":"`))
		if !ok {
			continue
		}
		at, _, _ := bytes.Cut(after, []byte(`"`))
		if t, ok := posts.get(string(at)); ok {
			s.lat = append(s.lat, now.Sub(t))
		}
	}
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
