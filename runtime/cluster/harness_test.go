package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/replica"
	"github.com/statkit/statkit/runtime/replica/natstest"
	"github.com/statkit/statkit/runtime/server"
)

// waitLong bounds every wait of the tests (a loaded 2-core machine, NATS elections).
const waitLong = 60 * time.Second

// logger is the replicas' logger: quiet unless STATKIT_TEST_LOG is set (warnings are
// expected while nodes and replicas die).
func logger(t testing.TB, name string) *slog.Logger {
	if os.Getenv("STATKIT_TEST_LOG") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("replica", name)
}

// eventually polls cond every 10 ms until it holds, failing the test after d.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testClock is the replicas' wall clock: the test sets it (the bank day is in 1999);
// its ticks come at real intervals.
type testClock struct{ ms atomic.Int64 }

func (c *testClock) Now() time.Time { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *testClock) Tick(d time.Duration) (<-chan time.Time, func()) {
	tk := time.NewTicker(d)
	return tk.C, tk.Stop
}
func (c *testClock) set(t event.Time) { c.ms.Store(int64(t)) }

// bank is the real bank day: its config and events, cut into batches.
type bank struct {
	cfg    *config.Config
	text   []byte
	events []event.Event
	lines  [][]byte
	// batches are cut where the time changes, about size events each.
	batches []bankBatch
}

type bankBatch struct {
	body        []byte
	first, last int        // events[first:last]
	max         event.Time // the time of its last event
}

func loadBank(t testing.TB, size int) *bank {
	t.Helper()
	text, err := os.ReadFile("../../examples/bank/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadWith("config.yaml", bytes.NewReader(text), machine.LoadOptions)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../../examples/bank/events.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := &bank{cfg: cfg, text: text}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := append([]byte(nil), sc.Bytes()...)
		ev, err := event.DecodeLine(line, len(b.lines)+1, event.Options{Resolver: &cfg.Topology})
		if err != nil {
			t.Fatalf("bank line %d: %v", len(b.lines)+1, err)
		}
		b.lines, b.events = append(b.lines, line), append(b.events, ev)
	}
	for start := 0; start < len(b.events); {
		end := min(start+size, len(b.events))
		for end < len(b.events) && b.events[end].Time == b.events[end-1].Time {
			end++
		}
		var body []byte
		for _, l := range b.lines[start:end] {
			body = append(append(body, l...), '\n')
		}
		b.batches = append(b.batches, bankBatch{body: body, first: start, last: end, max: b.events[end-1].Time})
		start = end
	}
	return b
}

// harness runs replicas of one group on a JetStream cluster.
type harness struct {
	t      testing.TB
	cl     *natstest.Cluster
	stream string
	bank   *bank
	clock  *testClock
	ttl    time.Duration
	// tick and snapEvery are the servers' TickInterval and SnapshotEvery (defaults 50 ms
	// and 150 records).
	tick      time.Duration
	snapEvery int
	// keep is the nodes' KeepSnapshots (0: the default); history, when set, gives a
	// replica's history options (nil: none).
	keep    int
	history func(name string, node *Node) *server.HistoryOptions

	mu   sync.Mutex
	text []byte // the config a reload loads
	live []*proc
}

// proc is one replica process: its node, server and HTTP address.
type proc struct {
	h       *harness
	name    string
	dataDir string
	node    *Node
	srv     *server.Server
	url     string
	started time.Duration // Start and New: connect, restore, catch up

	stopServe, stopRun context.CancelFunc
	served, ran        chan error
	leads              atomic.Int64 // times this replica took the clock
	dead               atomic.Bool
}

// start starts a replica: Start, New (restore and catch up), then Serve and Run.
func (h *harness) start(name, dataDir string) *proc {
	h.t.Helper()
	b := h.bank
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	node, err := Start(ctx, Options{NATS: joinURLs(h.cl.URLs()), Stream: h.stream, Tenants: b.cfg.Topology.Tenants,
		DataDir: dataDir, ID: name, LeaseTTL: h.ttl, KeepSnapshots: h.keep, Logger: logger(h.t, name)})
	if err != nil {
		h.t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{h: h, name: name, dataDir: dataDir, node: node}
	tick, snapEvery := h.tick, h.snapEvery
	if tick == 0 {
		tick = 50 * time.Millisecond
	}
	if snapEvery == 0 {
		snapEvery = 150
	}
	var hist *server.HistoryOptions
	if h.history != nil {
		hist = h.history(name, node)
	}
	srv, err := server.New(server.Options{
		Config: b.cfg, ConfigText: b.text, Reload: h.reload, Log: node.Log(), HoldsClock: node.HoldsClock,
		Clock: h.clock, TickInterval: tick, TickLag: -1, MaxSkew: -1,
		SnapshotEvery: snapEvery, ShutdownTimeout: 3 * time.Second, Logger: logger(h.t, name),
		HistoryDB: hist,
	})
	if err != nil {
		node.Close()
		h.t.Fatalf("server %s: %v", name, err)
	}
	p.started = time.Since(t0)
	p.srv = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	p.url = "http://" + ln.Addr().String()
	sctx, scancel := context.WithCancel(context.Background())
	rctx, rcancel := context.WithCancel(context.Background())
	p.stopServe, p.stopRun = scancel, rcancel
	p.served, p.ran = make(chan error, 1), make(chan error, 1)
	go func() { p.served <- srv.Serve(sctx, ln) }()
	go func() {
		p.ran <- node.Run(rctx, func(ctx context.Context) { p.leads.Add(1) })
	}()
	h.mu.Lock()
	h.live = append(h.live, p)
	h.mu.Unlock()
	h.t.Cleanup(p.stop)
	return p
}

func joinURLs(urls []string) string {
	out := ""
	for i, u := range urls {
		if i > 0 {
			out += ","
		}
		out += u
	}
	return out
}

// kill crashes p: its NATS connection drops (the lease is not released, no last
// snapshot), then its server and campaign stop.
func (p *proc) kill() {
	if p.dead.Swap(true) {
		return
	}
	p.node.Kill()
	p.finish()
}

// stop stops p cleanly: the lease released, a last snapshot, the connection closed.
func (p *proc) stop() {
	if p.dead.Swap(true) {
		return
	}
	p.stopRun()
	err := <-p.ran
	p.ran <- err
	p.finish()
	p.node.Close()
}

func (p *proc) finish() {
	h := p.h
	h.mu.Lock()
	h.live = slices.DeleteFunc(h.live, func(q *proc) bool { return q == p })
	h.mu.Unlock()
	p.stopRun()
	p.stopServe()
	for _, ch := range []chan error{p.ran, p.served} {
		select {
		case err := <-ch:
			ch <- err
		case <-time.After(waitLong):
			// Every goroutine's stack, to see what the stop waits for.
			where := ""
			if f, err := os.CreateTemp("", "statkit-cluster-stacks-*.txt"); err == nil {
				_ = pprof.Lookup("goroutine").WriteTo(f, 2)
				f.Close()
				where = " (goroutines: " + f.Name() + ")"
			}
			h.t.Errorf("%s did not stop%s", p.name, where)
		}
	}
}

// reload is the servers' Options.Reload: the harness's current config.
func (h *harness) reload() (*config.Config, []byte, error) {
	h.mu.Lock()
	text := h.text
	h.mu.Unlock()
	cfg, err := config.LoadWith("config.yaml", bytes.NewReader(text), machine.LoadOptions)
	return cfg, text, err
}

// liveProcs returns the replicas running now.
func (h *harness) liveProcs() []*proc {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.live)
}

// holder returns the live replica holding the clock, or nil.
func (h *harness) holder() *proc {
	for _, p := range h.liveProcs() {
		if p.node.HoldsClock() {
			return p
		}
	}
	return nil
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// postTo posts body with key to p; it returns the status, the body and whether the
// answer was a replay (err: no answer).
func postTo(p *proc, body []byte, key string) (int, []byte, bool, error) {
	req, err := http.NewRequest("POST", p.url+"/v1/events", bytes.NewReader(body))
	if err != nil {
		return 0, nil, false, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set(server.IdempotencyHeader, key)
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, false, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get(server.ReplayedHeader) == "true", err
}

// answer is POST /v1/events' answer.
type answer struct {
	Accepted      int               `json:"accepted"`
	Rejected      []event.Rejection `json:"rejected"`
	RejectedTotal int               `json:"rejectedTotal"`
	LateTotal     int               `json:"lateTotal"`
}

// get fetches path from p as JSON into v; it returns the status.
func get(p *proc, path string, v any) (int, error) {
	resp, err := httpClient.Get(p.url + path)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if v == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, err
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
}

// health is /healthz.
type health struct {
	Status     string               `json:"status"`
	EngineTime *string              `json:"engineTime"`
	Applied    uint64               `json:"applied"`
	Held       int                  `json:"held"`
	Replica    server.ReplicaStatus `json:"replica"`
}

// settled waits until p has applied the group's last record, holds no event and its
// engine is at engine time at.
func (h *harness) settled(p *proc, at event.Time) {
	h.t.Helper()
	h.reached(p, at, 0)
}

// reached waits until p's engine is at engine time at with held events in its reorder
// buffer, then until it has applied the group's last record.
func (h *harness) reached(p *proc, at event.Time, held int) {
	h.t.Helper()
	want := at.String()
	var last health
	deadline := time.Now().Add(waitLong)
	for {
		var hl health
		if s, err := get(p, "/healthz", &hl); err == nil && s == http.StatusOK {
			last = hl
			if hl.EngineTime != nil && *hl.EngineTime == want && hl.Held == held {
				break
			}
		}
		if time.Now().After(deadline) {
			engineTime := "none"
			if last.EngineTime != nil {
				engineTime = *last.EngineTime
			}
			h.t.Fatalf("after %v: %s reaches %s with %d events held: last seen at %s with %d held, %d records applied",
				waitLong, p.name, want, held, engineTime, last.Held, last.Applied)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := p.srv.WaitApplied(ctx); err != nil {
		h.t.Fatalf("%s: %v", p.name, err)
	}
}

// values returns every open statistic's value JSON on p.
func values(t testing.TB, p *proc) map[string]string {
	t.Helper()
	var list struct {
		Statistics []struct{ ID string } `json:"statistics"`
	}
	if s, err := get(p, "/v1/statistics", &list); err != nil || s != http.StatusOK {
		t.Fatalf("%s: list: %d %v", p.name, s, err)
	}
	out := map[string]string{}
	for _, st := range list.Statistics {
		var pk struct {
			Value json.RawMessage `json:"value"`
		}
		if s, err := get(p, "/v1/statistics/"+st.ID, &pk); err != nil || s != http.StatusOK {
			t.Fatalf("%s: peek %s: %d %v", p.name, st.ID, s, err)
		}
		out[st.ID] = string(pk.Value)
	}
	return out
}

// observed is a record of the stream as an independent follower saw it.
type observed struct {
	seq  uint64
	kind byte
	id   string // message id
	key  string // a batch's idempotency key
	tick event.Time
}

// observer follows the group's records from the start, announced as a member of the
// group so that nothing it has not read is trimmed.
type observer struct {
	mu   sync.Mutex
	recs []observed
}

func (h *harness) observe(ctx context.Context) *observer {
	h.t.Helper()
	c, err := replica.Connect(ctx, replica.Options{URLs: h.cl.URLs(), Stream: h.stream, ID: "observer", LeaseTTL: h.ttl,
		Logger: logger(h.t, "observer")})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	l, err := c.Log(h.bank.cfg.Topology.Tenants...)
	if err != nil {
		h.t.Fatal(err)
	}
	o := &observer{}
	go func() {
		_ = c.Announce(ctx, func() replica.Member {
			return replica.Member{Group: l.Group().Name(), Tenants: l.Group().Tenants(), Applied: l.Status().Applied}
		})
	}()
	go func() {
		err := l.FollowIDs(ctx, 0, func(seq uint64, rec []byte, id string) error {
			r := observed{seq: seq, kind: rec[0], id: id}
			switch rec[0] {
			case machine.KindTick:
				tk, err := machine.DecodeTick(rec)
				if err != nil {
					return err
				}
				r.tick = tk.Time
			case machine.KindBatch:
				bh, _, err := machine.DecodeBatch(rec)
				if err != nil {
					return err
				}
				r.key = bh.Key
			}
			o.mu.Lock()
			o.recs = append(o.recs, r)
			o.mu.Unlock()
			return nil
		})
		if err != nil && ctx.Err() == nil {
			h.t.Errorf("observer: %v", err)
		}
	}()
	return o
}

func (o *observer) records() []observed {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.recs)
}

// errAckLost is what a killed replica's append returns: the record may be stored.
var errAckLost = errors.New("test: the replica died before its append was acknowledged")

// describeTicks sums up the ticks' message ids: runs of one replica.
func describeTicks(recs []observed) string {
	s, prev := "", ""
	n := 0
	for _, r := range recs {
		if r.kind != machine.KindTick {
			continue
		}
		who := tickOwner(r.id)
		if who != prev && n > 0 {
			s += fmt.Sprintf("%s×%d ", prev, n)
			n = 0
		}
		prev = who
		n++
	}
	return s + fmt.Sprintf("%s×%d", prev, n)
}

// tickOwner and tickNumber read a tick's message id, "<home token>:t:<replica id>:<n>"
// ("" and 0 for another id).
func tickOwner(id string) string {
	o, _ := parseTickID(id)
	return o
}

func tickNumber(id string) uint64 {
	_, n := parseTickID(id)
	return n
}

func parseTickID(id string) (string, uint64) {
	i := strings.Index(id, ":t:")
	j := strings.LastIndexByte(id, ':')
	if i < 0 || j <= i+2 {
		return "", 0
	}
	n, err := strconv.ParseUint(id[j+1:], 10, 64)
	if err != nil {
		return "", 0
	}
	return id[i+3 : j], n
}
