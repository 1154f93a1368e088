// Package failoverbench measures replication failover on NATS JetStream (issue 17): how
// long the clock's lease takes to move when its holder dies, and how long a killed
// replica takes to catch up with its group after a day of events was fed without it. It
// is apart from package perf, as ingestbench is, so that perf does not depend on the
// server, the replica or the NATS server.
//
// # Method
//
// A 3-node JetStream cluster runs in process on loopback (runtime/replica/natstest, file
// storage, the stream replicated on all three), and two statkit replicas of one group
// run beside it, each a runtime/cluster.Node under a runtime/server.Server on a loopback
// HTTP port with a data directory of its own (the local snapshot cache), wired as
// `statkit serve --nats` wires them: the lease TTL (replica.DefaultLeaseTTL), tick
// interval, tick lag and reorder window are serve's defaults. Only the wall clock is the
// bench's: it stands at the times of the day fed (1999), and the snapshot period is
// Options.SnapshotEvery records instead of serve's 10,000 records or 5 minutes — the day
// is fed in seconds here, where a live site's sources feed it over hours, under which
// serve's 5-minute period snapshots every few hundred records anyway.
//
// The day is examples/bank (a real call center's day: 11,000 events), posted through
// POST /v1/events in batches of Options.Batch events (no instant split between two
// batches), each with an Idempotency-Key; every answer is checked: every event accepted,
// none late or rejected.
//
// Lease takeover. The holder of the clock dies uncleanly (cluster.Node.Kill: its NATS
// connection closes at once, its lease is neither released nor renewed, no last
// snapshot), at a moment drawn with a fixed seed in the third of a TTL between two of its
// renewals. Measured from the kill: the time until the other replica holds the lease
// (cluster.Node.HoldsClock), and until a tick it appended is the last tick in the stream
// (read from the stream's last tick message, whose id names its replica). The killed
// replica is then restarted (a new process, the same data directory) and the next round
// kills the new holder; Options.Takeovers rounds give the minimum, median and maximum.
//
// Catch-up. The replica that does not hold the clock is killed; the whole day is fed
// through the other one, the wall clock moved an hour past the day's last event and the
// survivor left to apply the tick that gets there; the killed replica is then restarted
// from its data directory. Measured: the time from its start (cluster.Start: connect,
// claim; server.New: restore the newest usable snapshot, apply the stream after it) until
// its applied sequence reaches the stream's last record (server.WaitApplied). Twice, on
// two streams: "snapshot", where the holder wrote a snapshot to the object store every
// Options.SnapshotEvery records (the restarted replica restores the newest, which the
// bench waits for, and applies the records after it: what happens), and "replay", where
// no snapshot is ever written (the whole stream is applied from its first record: the
// worst case). The restarted replica is then killed and restarted again, Options.Restarts
// times in all, for a median; what it applied (batches, their events, ticks) is read back
// from the stream for the first restart.
//
// The day is fed in seconds, so its stream holds the ticks of those seconds only, where a
// day fed live holds a tick a second besides (tens of thousands of records). Appending a
// day's ticks at that density through the cluster would take minutes; the section says
// so, and that serve's snapshot period bounds what a restarted replica applies.
//
// Checks. At the end of each scenario both replicas are settled at the same engine time
// and every statistic is read over HTTP from each: the values must be equal on both
// replicas, and equal to the engine alone (runtime/engine) fed the day's events in order
// and advanced to that time. The replay must find in the stream every batch posted, once.
// Any difference fails the bench.
package failoverbench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/statkit/statkit/runtime/cluster"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/replica"
	"github.com/statkit/statkit/runtime/replica/natstest"
	"github.com/statkit/statkit/runtime/server"
)

// Options configure Run. Zero fields take the defaults noted.
type Options struct {
	// Takeovers is the number of lease takeovers measured (3).
	Takeovers int
	// LeaseTTL is the clock's lease TTL (replica.DefaultLeaseTTL, what statkit serve
	// --nats uses).
	LeaseTTL time.Duration
	// Bank is the directory of the bank day (config.yaml, events.ndjson); "" looks for
	// examples/bank in the working directory and its parents (the module's root).
	Bank string
	// Events, when positive, feeds only the day's first Events events (a shorter run for
	// tests).
	Events int
	// Batch is the events a POST (25, about what a live source posts at once).
	Batch int
	// SnapshotEvery is the records between two snapshots in the "snapshot" scenario (100).
	SnapshotEvery int
	// Restarts is how many times the killed replica is restarted and timed in each
	// catch-up scenario (3).
	Restarts int
	// NoReplay skips the "replay" scenario (a second stream, the day fed again).
	NoReplay bool
	// Seed draws the moments the clock's holder is killed at (1).
	Seed uint64
	// Log, when set, receives a line per step.
	Log io.Writer
	// Logger receives the replicas' and servers' logs (nil: discarded; warnings are
	// expected while replicas die).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Takeovers <= 0 {
		o.Takeovers = 3
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = replica.DefaultLeaseTTL
	}
	if o.Restarts <= 0 {
		o.Restarts = 3
	}
	if o.Batch <= 0 {
		o.Batch = 25
	}
	if o.SnapshotEvery <= 0 {
		o.SnapshotEvery = 100
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Result is what Run measured.
type Result struct {
	// Nodes is the JetStream cluster's size; LeaseTTL, TickInterval the replicas'.
	Nodes                  int
	LeaseTTL, TickInterval time.Duration
	// Takeovers are the lease takeovers, in order.
	Takeovers []Takeover
	// Events and Batches are the day fed in each catch-up scenario.
	Events, Batches int
	// Snapshot and Replay are the catch-up scenarios (Replay nil with Options.NoReplay).
	Snapshot, Replay *CatchUp
	// CPUs is GOMAXPROCS; Elapsed the whole run.
	CPUs    int
	Elapsed time.Duration
}

// Takeover is one lease takeover, timed from the kill of the holder.
type Takeover struct {
	// Pause is how long after a renewal of the lease (seen by a watcher of its key) its
	// holder was killed.
	Pause time.Duration
	// Lease: until the other replica held the lease; Tick: until a tick it appended was
	// the stream's last.
	Lease, Tick time.Duration
}

// CatchUp is the restart of a replica killed before a day of events was fed.
type CatchUp struct {
	// Name is "snapshot" or "replay"; SnapshotEvery the records between snapshots
	// (negative: none).
	Name          string
	SnapshotEvery int
	// Restored is the snapshot the replica started from at its first restart (0: none),
	// FromCache whether it was its local cache's rather than the object store's.
	Restored  uint64
	FromCache bool
	// Last is the group's last record in the stream when the replica had started;
	// Records = Last − Restored, the records it applied: Batches batch records holding
	// Events events, Ticks ticks, and other records (opens, reloads).
	Last, Records          uint64
	Batches, Events, Ticks int
	// Restarts are the restarts timed: the first one's records are described above; each
	// later one is killed and restarted again, from the same state but for the ticks
	// appended since.
	Restarts []Restart
	// Statistics is how many statistics were equal on both replicas and to the engine
	// alone at the end.
	Statistics int
}

// Restart is one restart of a killed replica, timed from its start.
type Restart struct {
	// Start is cluster.Start and server.New (connect, claim, restore, apply the stream);
	// Elapsed until server.WaitApplied returned: its applied sequence at the stream's
	// last record.
	Start, Elapsed time.Duration
}

// Median returns the restart of median Elapsed (the zero Restart for none).
func (c *CatchUp) Median() Restart {
	if len(c.Restarts) == 0 {
		return Restart{}
	}
	rs := slices.Clone(c.Restarts)
	slices.SortFunc(rs, func(a, b Restart) int { return cmp.Compare(a.Elapsed, b.Elapsed) })
	return rs[len(rs)/2]
}

// waitLong bounds every wait (a loaded 2-core machine, NATS elections).
const waitLong = 60 * time.Second

// Run runs the measurement (see the package documentation).
func Run(ctx context.Context, o Options) (Result, error) {
	o = o.withDefaults()
	t0 := time.Now()
	day, err := loadDay(o.Bank, o.Events, o.Batch)
	if err != nil {
		return Result{}, err
	}
	cl, err := natstest.New(3)
	if err != nil {
		return Result{}, err
	}
	defer cl.Shutdown()
	nc, err := nats.Connect(strings.Join(cl.URLs(), ","), nats.Name("failoverbench"))
	if err != nil {
		return Result{}, fmt.Errorf("failoverbench: connecting to NATS: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp("", "statkit-failoverbench-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	group, err := replica.NewGroup(day.cfg.Topology.Tenants...)
	if err != nil {
		return Result{}, err
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	b := &bench{o: o, ctx: ctx, cl: cl, js: js, day: day, dir: dir, home: group.Home(), group: group.Name(),
		http: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
	defer b.stopAll()
	res := Result{Nodes: len(cl.Nodes()), LeaseTTL: o.LeaseTTL, TickInterval: server.DefaultTickInterval,
		Events: len(day.events), Batches: len(day.batches), CPUs: runtime.GOMAXPROCS(0)}

	// The clock stands a minute before the day while the lease moves.
	b.clock.set(day.events[0].Time - 60_000)
	b.stream, b.snapEvery = "failover", o.SnapshotEvery
	a, err := b.start()
	if err != nil {
		return res, err
	}
	if err := b.waitHolder(a); err != nil {
		return res, err
	}
	c, err := b.start()
	if err != nil {
		return res, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 17))
	for i := range o.Takeovers {
		tk, next, err := b.takeover(a, c, time.Duration(rng.Int64N(int64(o.LeaseTTL/3))))
		if err != nil {
			return res, fmt.Errorf("takeover %d: %w", i+1, err)
		}
		res.Takeovers = append(res.Takeovers, tk)
		b.logf("takeover %d: killed %s %v after a renewal; lease held by %s after %v, its first tick stored after %v",
			i+1, a.name, tk.Pause.Round(time.Millisecond), c.name, tk.Lease.Round(time.Millisecond), tk.Tick.Round(time.Millisecond))
		a, c = c, next // the new holder dies next
	}
	if res.Snapshot, err = b.catchUp(a, c, "snapshot"); err != nil {
		return res, fmt.Errorf("catch-up from a snapshot: %w", err)
	}
	b.stopAll()
	if !o.NoReplay {
		b.clock.set(day.events[0].Time - 60_000)
		b.stream, b.snapEvery = "failover-replay", -1
		if a, err = b.start(); err != nil {
			return res, err
		}
		if err := b.waitHolder(a); err != nil {
			return res, err
		}
		if c, err = b.start(); err != nil {
			return res, err
		}
		if res.Replay, err = b.catchUp(a, c, "replay"); err != nil {
			return res, fmt.Errorf("catch-up by replay: %w", err)
		}
		b.stopAll()
	}
	res.Elapsed = time.Since(t0)
	return res, nil
}

// bench is one run: the cluster, the day, and the replicas of the current stream.
type bench struct {
	o     Options
	ctx   context.Context
	cl    *natstest.Cluster
	js    jetstream.JetStream
	day   *day
	dir   string
	home  string // the group's home tenant: its ticks' subject
	group string // the group's name: its lease's key
	http  *http.Client
	clock clock

	stream    string
	snapEvery int
	procs     int // replicas started, to name them
	live      []*proc
}

func (b *bench) logf(format string, args ...any) {
	if b.o.Log != nil {
		fmt.Fprintf(b.o.Log, "failover: "+format+"\n", args...)
	}
}

// clock is the replicas' wall clock: the bench sets it (the day is in 1999); its ticks
// come at real intervals.
type clock struct{ ms atomic.Int64 }

func (c *clock) Now() time.Time { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *clock) Tick(d time.Duration) (<-chan time.Time, func()) {
	tk := time.NewTicker(d)
	return tk.C, tk.Stop
}
func (c *clock) set(t event.Time) { c.ms.Store(int64(t)) }

// proc is one replica process: its node, server and HTTP address.
type proc struct {
	name, dataDir string
	node          *cluster.Node
	srv           *server.Server
	url           string
	t0            time.Time     // when it was started
	started       time.Duration // cluster.Start and server.New

	stopServe, stopRun context.CancelFunc
	served, ran        chan error
	dead               bool
}

// start starts a replica of the current stream with a data directory of its own.
func (b *bench) start() (*proc, error) {
	b.procs++
	return b.startIn(fmt.Sprintf("r%d", b.procs), filepath.Join(b.dir, b.stream, fmt.Sprintf("r%d", b.procs)))
}

// restart starts a new process of the replica that ran as p, in p's data directory.
func (b *bench) restart(p *proc) (*proc, error) {
	b.procs++
	return b.startIn(fmt.Sprintf("r%d", b.procs), p.dataDir)
}

// startIn starts a replica as statkit serve --nats does: cluster.Start, server.New
// (restore and catch up), then Serve and the lease's campaign (Node.Run).
func (b *bench) startIn(name, dataDir string) (*proc, error) {
	ctx, cancel := context.WithTimeout(b.ctx, waitLong)
	defer cancel()
	t0 := time.Now()
	log := b.o.Logger.With("replica", name)
	node, err := cluster.Start(ctx, cluster.Options{NATS: strings.Join(b.cl.URLs(), ","), Stream: b.stream,
		Tenants: b.day.cfg.Topology.Tenants, DataDir: dataDir, ID: name, LeaseTTL: b.o.LeaseTTL, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("starting replica %s: %w", name, err)
	}
	interval := time.Duration(0) // serve's 5 minutes
	if b.snapEvery < 0 {
		interval = -1
	}
	srv, err := server.New(server.Options{Config: b.day.cfg, ConfigText: b.day.text, Log: node.Log(),
		HoldsClock: node.HoldsClock, Clock: &b.clock, MaxSkew: -1, SnapshotEvery: b.snapEvery,
		SnapshotInterval: interval, ShutdownTimeout: 3 * time.Second, Logger: log})
	if err != nil {
		node.Close()
		return nil, fmt.Errorf("replica %s: %w", name, err)
	}
	p := &proc{name: name, dataDir: dataDir, node: node, srv: srv, t0: t0, started: time.Since(t0)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		node.Close()
		return nil, err
	}
	p.url = "http://" + ln.Addr().String()
	sctx, scancel := context.WithCancel(context.Background())
	rctx, rcancel := context.WithCancel(context.Background())
	p.stopServe, p.stopRun = scancel, rcancel
	p.served, p.ran = make(chan error, 1), make(chan error, 1)
	go func() { p.served <- srv.Serve(sctx, ln) }()
	go func() { p.ran <- node.Run(rctx, nil) }()
	b.live = append(b.live, p)
	return p, nil
}

// kill crashes p (Node.Kill, again if it was already: no lease release, no last
// snapshot), then stops its server.
func (b *bench) kill(p *proc) {
	if p.dead {
		return
	}
	p.dead = true
	p.node.Kill()
	b.finish(p)
}

// stop stops p cleanly: the lease released, a last snapshot, the connection closed.
func (b *bench) stop(p *proc) {
	if p.dead {
		return
	}
	p.dead = true
	p.stopRun()
	b.finish(p)
	p.node.Close()
}

func (b *bench) finish(p *proc) {
	b.live = slices.DeleteFunc(b.live, func(q *proc) bool { return q == p })
	p.stopRun()
	p.stopServe()
	for _, ch := range []chan error{p.ran, p.served} {
		select {
		case <-ch:
		case <-time.After(waitLong):
			b.logf("%s did not stop within %v", p.name, waitLong)
		}
	}
}

// stopAll stops every live replica.
func (b *bench) stopAll() {
	for _, p := range slices.Clone(b.live) {
		b.stop(p)
	}
}

// wait polls cond every 2 ms until it holds (nil), ctx ends or waitLong passes.
func (b *bench) wait(what string, cond func() bool) error {
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("failoverbench: after %v: %s", waitLong, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

// lastTicker returns the replica that appended the group's last tick in the stream
// ("" when there is none): tick message ids are "<home>:t:<replica id>:<n>".
func (b *bench) lastTicker() (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := b.js.Stream(ctx, b.stream)
	if err != nil {
		return "", err
	}
	m, err := s.GetLastMsgForSubject(ctx, replica.Subject(b.stream, b.home, machine.KindTick))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	id := m.Header.Get(jetstream.MsgIDHeader)
	i := strings.Index(id, ":t:")
	j := strings.LastIndexByte(id, ':')
	if i < 0 || j <= i+3 {
		return "", fmt.Errorf("failoverbench: tick %d has no holder's name: %q", m.Sequence, id)
	}
	return id[i+3 : j], nil
}

// ticked waits until a tick p appended is the stream's last.
func (b *bench) ticked(p *proc) error {
	var err error
	werr := b.wait(p.name+" ticks", func() bool {
		var who string
		who, err = b.lastTicker()
		return err != nil || who == p.name
	})
	return errors.Join(err, werr)
}

// waitHolder waits until p holds the clock and ticks.
func (b *bench) waitHolder(p *proc) error {
	if err := b.wait(p.name+" holds the clock", p.node.HoldsClock); err != nil {
		return err
	}
	return b.ticked(p)
}

// takeover kills the clock's holder pause after a renewal of its lease (its renewals
// come every third of the TTL from when it took the lease) and times the other's
// takeover; it returns the killed replica's restarted process.
func (b *bench) takeover(holder, other *proc, pause time.Duration) (Takeover, *proc, error) {
	tk := Takeover{Pause: pause}
	if !holder.node.HoldsClock() || other.node.HoldsClock() {
		return tk, nil, fmt.Errorf("%s should hold the clock, %s not", holder.name, other.name)
	}
	if err := b.ticked(holder); err != nil {
		return tk, nil, err
	}
	// Line the kill up with a renewal: the holder renews every TTL/3 after a renewal
	// that is seen as a new revision of the lease's key.
	if err := b.renewed(); err != nil {
		return tk, nil, err
	}
	time.Sleep(pause)
	died := time.Now()
	holder.node.Kill() // its server is stopped once the takeover is timed
	if err := b.wait(other.name+" holds the clock", other.node.HoldsClock); err != nil {
		return tk, nil, err
	}
	tk.Lease = time.Since(died)
	if err := b.ticked(other); err != nil {
		return tk, nil, err
	}
	tk.Tick = time.Since(died)
	b.kill(holder)
	next, err := b.restart(holder)
	return tk, next, err
}

// renewed returns once the lease's key gets a new revision (its holder renewed it).
func (b *bench) renewed() error {
	ctx, cancel := context.WithTimeout(b.ctx, waitLong)
	defer cancel()
	kv, err := b.leaseBucket(ctx)
	if err != nil {
		return err
	}
	w, err := kv.Watch(ctx, b.leaseKey(), jetstream.UpdatesOnly())
	if err != nil {
		return err
	}
	defer w.Stop()
	for {
		select {
		case e := <-w.Updates():
			if e != nil && e.Operation() == jetstream.KeyValuePut {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("failoverbench: the lease was not renewed: %w", ctx.Err())
		}
	}
}

// leaseBucket opens the current stream's lease bucket (replica: <stream>_leases).
func (b *bench) leaseBucket(ctx context.Context) (jetstream.KeyValue, error) {
	return b.js.KeyValue(ctx, b.stream+"_leases")
}

// leaseKey is the group's lease's key (replica: the group's name).
func (b *bench) leaseKey() string { return b.group }
