package replica

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/replica/natstest"
)

// ticker is a clock holder: under the lease it appends ticks "T<n>", n one more than the
// last tick in the log, fenced by AppendAfter. It records when it led.
type ticker struct {
	l     *Log
	lease *Lease
	mu    sync.Mutex
	spans [][2]time.Time
}

func (tk *ticker) lead(ctx context.Context) {
	start := time.Now()
	defer func() {
		tk.mu.Lock()
		tk.spans = append(tk.spans, [2]time.Time{start, time.Now()})
		tk.mu.Unlock()
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	_ = tk.l.LeadTicks(ctx, 'T', tick.C, func(prev []byte, _ time.Time) []byte {
		n := 0
		if prev != nil {
			n, _ = strconv.Atoi(string(prev[1:]))
		}
		return []byte("T" + strconv.Itoa(n+1))
	})
}

func (tk *ticker) led() [][2]time.Time {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	return slices.Clone(tk.spans)
}

// countTicks returns the ticks in the log so far.
func lastTick(t *testing.T, l *Log) int {
	t.Helper()
	_, r, err := l.Last(context.Background(), 'T')
	if err != nil || r == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(r[1:]))
	return n
}

// TestLeaseTakeover: two processes campaign for a group's clock; the holder dies (its
// connection drops without releasing); the other holds the lease within LeaseTTL and a
// quarter, never while the first still led, and the ticks go on from the last one: every
// tick once, none skipped. A holder that stops cleanly releases the lease at once.
func TestLeaseTakeover(t *testing.T) {
	cl := shared(t)
	const ttl = 1500 * time.Millisecond
	mk := func() *ticker {
		c := connect(t, cl.URLs(), func(o *Options) { o.LeaseTTL = ttl })
		l := mustLog(t, c, "g")
		return &ticker{l: l, lease: c.Lease(l.Group().Name())}
	}
	a, b := mk(), mk()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := func(tk *ticker, ctx context.Context) chan error {
		done := make(chan error, 1)
		go func() { done <- tk.lease.Run(ctx, tk.lead) }()
		return done
	}
	doneA := run(a, ctx)
	waitFor(t, 10*time.Second, "nobody took the lease", func() bool { return a.lease.Held() })
	ctxB, cancelB := context.WithCancel(ctx)
	doneB := run(b, ctxB)
	waitFor(t, 10*time.Second, "no ticks", func() bool { return lastTick(t, b.l) >= 10 })
	if b.lease.Held() {
		t.Fatal("both hold the lease")
	}
	if in, err := b.lease.Holder(ctx); err != nil || in.Holder != a.l.Client().ID() {
		t.Fatalf("holder seen by b: %+v %v, want %s", in, err, a.l.Client().ID())
	}
	// The holder dies.
	killed := time.Now()
	a.l.Client().Close()
	waitFor(t, 3*ttl, "b never took the lease over", func() bool { return b.lease.Held() })
	took := time.Since(killed)
	t.Logf("lease taken over %v after its holder died (TTL %v)", took.Round(time.Millisecond), ttl)
	if took > ttl+ttl/4+500*time.Millisecond {
		t.Errorf("takeover took %v, want at most about %v", took, ttl+ttl/4)
	}
	if err := <-doneA; err == nil {
		t.Error("the dead holder's Run returned no error")
	}
	as, bs := a.led(), b.led()
	waitFor(t, 5*time.Second, "b's ticks", func() bool { return len(b.led()) > 0 || lastTick(t, b.l) > 0 })
	bstart := time.Now()
	if len(bs) > 0 {
		bstart = bs[0][0]
	}
	if len(as) != 1 || !as[0][1].Before(bstart) {
		t.Fatalf("a led %v; b from %v: they overlap", as, bstart)
	}
	n := lastTick(t, b.l)
	waitFor(t, 10*time.Second, "ticks stopped after the takeover", func() bool { return lastTick(t, b.l) >= n+10 })

	// A clean stop releases the lease: a third process takes it well before the TTL.
	c := mk()
	doneC := run(c, ctx)
	time.Sleep(ttl / 2) // c is campaigning
	released := time.Now()
	cancelB()
	if err := <-doneB; !errors.Is(err, context.Canceled) {
		t.Errorf("b's Run: %v", err)
	}
	waitFor(t, 3*ttl, "c never took the released lease", func() bool { return c.lease.Held() })
	t.Logf("released lease taken %v after", time.Since(released).Round(time.Millisecond))
	if d := time.Since(released); d > ttl {
		t.Errorf("released lease taken after %v, not before the TTL %v", d, ttl)
	}
	n = lastTick(t, c.l)
	waitFor(t, 10*time.Second, "ticks stopped after the release", func() bool { return lastTick(t, c.l) >= n+5 })
	cancel()
	<-doneC

	// Every tick once, in order, none skipped.
	last, _, _ := c.l.Last(context.Background(), 'T')
	got := collect(t, c.l, 0, last)
	for i, r := range got {
		if want := "T" + strconv.Itoa(i+1); r.data != want {
			t.Fatalf("tick %d is %q, want %q", i, r.data, want)
		}
	}
	t.Logf("%d ticks across two takeovers", len(got))
}

// TestKillNode: appending while the node leading the stream is killed and later
// restarted loses no acknowledged record, stores none twice, and keeps their order; a
// follower running meanwhile (connected to the node killed, when the pool put it first)
// and a fresh one see exactly the acknowledged records.
func TestKillNode(t *testing.T) {
	cl := natstest.Start(t, 3)
	c := connect(t, cl.URLs(), nil)
	l := mustLog(t, c, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	live := mustLog(t, connect(t, cl.URLs(), nil), "a")
	var seen []rec
	liveCtx, stopLive := context.WithCancel(ctx)
	liveDone := make(chan error, 1)
	go func() {
		liveDone <- live.Follow(liveCtx, 0, func(seq uint64, r []byte) error {
			seen = append(seen, rec{seq, string(r)})
			return nil
		})
	}()
	const n = 300
	var acked []rec
	var worst time.Duration
	killed := -1
	newLeader := make(chan time.Duration, 1)
	for k := range n {
		if k == n/3 {
			killed = cl.StreamLeader(c.Stream())
			if killed < 0 {
				t.Fatal("no stream leader")
			}
			t0 := time.Now()
			cl.Kill(killed)
			go func() {
				for time.Since(t0) < 30*time.Second {
					if l := cl.StreamLeader(c.Stream()); l >= 0 && l != killed {
						newLeader <- time.Since(t0)
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
				newLeader <- -1
			}()
		}
		if k == 2*n/3 {
			cl.Restart(t, killed)
		}
		data := fmt.Sprintf("B%03d", k)
		t0 := time.Now()
		seq, dup, err := l.Append(ctx, []byte(data), "")
		if err != nil || dup {
			t.Fatalf("append %d: %v %v", k, dup, err)
		}
		worst = max(worst, time.Since(t0))
		acked = append(acked, rec{seq, data})
	}
	elected := <-newLeader
	if elected < 0 {
		t.Fatal("no new stream leader")
	}
	t.Logf("killed node %d (the stream leader); another led after %v; longest append %v",
		killed, elected.Round(time.Millisecond), worst.Round(time.Millisecond))
	for i := 1; i < len(acked); i++ {
		if acked[i].seq <= acked[i-1].seq {
			t.Fatalf("record %d stored at %d, after record %d at %d", i, acked[i].seq, i-1, acked[i-1].seq)
		}
	}
	waitFor(t, 30*time.Second, "the live follower never caught up", func() bool {
		st, err := live.Lag(ctx)
		return err == nil && st.Applied == acked[n-1].seq && st.CaughtUp()
	})
	stopLive()
	if err := <-liveDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("live follower: %v", err)
	}
	if !slices.Equal(seen, acked) {
		t.Fatalf("the live follower saw %d records, %d acknowledged (or not the same)", len(seen), len(acked))
	}
	// A fresh follower sees exactly the acknowledged records.
	f := mustLog(t, connect(t, cl.URLs(), nil), "a")
	if got := collect(t, f, 0, acked[n-1].seq); !slices.Equal(got, acked) {
		t.Fatalf("follower saw %d records, %d acknowledged (or not the same)", len(got), len(acked))
	}
}

// machine is a tiny deterministic state machine over records: a count, a sum and a hash
// of everything applied in order.
type machine struct {
	n, sum int
	h      uint64
}

func (m *machine) apply(r []byte) error {
	v, err := strconv.Atoi(string(r[1:]))
	if err != nil {
		return err
	}
	f := fnv.New64a()
	fmt.Fprintf(f, "%d|%s", m.h, r)
	m.n, m.sum, m.h = m.n+1, m.sum+v, f.Sum64()
	return nil
}

func (m *machine) snapshot() []byte { return fmt.Appendf(nil, "%d %d %d", m.n, m.sum, m.h) }

func (m *machine) restore(p []byte) error {
	_, err := fmt.Sscanf(string(p), "%d %d %d", &m.n, &m.sum, &m.h)
	return err
}

// TestCatchUp: a replica follows and snapshots (trimming the stream) and dies; records go
// on; a replica started from nothing restores the newest snapshot and applies the rest,
// and ends in the state of applying every record from the first.
func TestCatchUp(t *testing.T) {
	cl := shared(t)
	w := mustLog(t, connect(t, cl.URLs(), nil), "a")
	ctx := context.Background()
	var want machine
	var acked []uint64
	appendN := func(from, to int) {
		for k := from; k < to; k++ {
			r := []byte("B" + strconv.Itoa(k*7%101))
			seq, _, err := w.Append(ctx, r, "")
			if err != nil {
				t.Fatal(err)
			}
			acked = append(acked, seq)
			want.apply(r)
		}
	}
	appendN(0, 250)

	// Replica 1 follows, snapshots every 60 records, and dies at record 200.
	r1c := connect(t, cl.URLs(), nil)
	r1 := mustLog(t, r1c, "a")
	var m1 machine
	fctx, stop := context.WithCancel(ctx)
	err := r1.Follow(fctx, 0, func(seq uint64, r []byte) error {
		if err := m1.apply(r); err != nil {
			return err
		}
		if m1.n%60 == 0 {
			if err := r1.WriteSnapshot(seq, m1.snapshot()); err != nil {
				return err
			}
		}
		if m1.n == 200 {
			stop()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	r1c.Close()
	appendN(250, 400)
	snaps, _ := w.Snapshots(ctx)
	if !slices.Equal(snaps, []uint64{acked[119], acked[179]}) {
		t.Fatalf("snapshots %v, want those at records 120 and 180", snaps)
	}

	// Replica 2 starts from nothing.
	t0 := time.Now()
	r2 := mustLog(t, connect(t, cl.URLs(), nil), "a")
	var m2 machine
	from, err := r2.LoadSnapshot(func(seq uint64, p []byte) error { return m2.restore(p) })
	if err != nil || from != acked[179] {
		t.Fatalf("restored snapshot %d, %v; want %d", from, err, acked[179])
	}
	applied := 0
	last := acked[len(acked)-1]
	fctx, stop = context.WithCancel(ctx)
	defer stop()
	_ = r2.Follow(fctx, from, func(seq uint64, r []byte) error {
		applied++
		if seq >= last {
			stop()
		}
		return m2.apply(r)
	})
	t.Logf("caught up from snapshot %d plus %d records in %v", from, applied, time.Since(t0).Round(time.Millisecond))
	if m2 != want || applied != 400-180 {
		t.Fatalf("replica 2 ends at %+v after %d records, want %+v after %d", m2, applied, want, 400-180)
	}
	// The stream no longer holds the first records.
	if _, err := mustLog(t, connect(t, cl.URLs(), nil), "a").LoadSnapshot(func(uint64, []byte) error { return errors.New("no") }); !errors.Is(err, ErrTrimmed) {
		t.Fatalf("without a snapshot: %v, want ErrTrimmed", err)
	}
}

// TestEmbedded: --nats embedded runs a single-node JetStream server in process (stream
// replicas 1) that keeps its records in its directory across restarts.
func TestEmbedded(t *testing.T) {
	dir := t.TempDir()
	e, err := StartEmbedded("127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, []string{e.URL()}, nil)
	if c.Replicas() != 1 {
		t.Errorf("replicas %d on one server, want 1", c.Replicas())
	}
	l := mustLog(t, c, "default")
	var want []rec
	for i := range 3 {
		seq, _, err := l.Append(context.Background(), []byte("B"+strconv.Itoa(i)), "")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, rec{seq, "B" + strconv.Itoa(i)})
	}
	c.Close()
	e.Shutdown()
	e, err = StartEmbedded("127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	l = mustLog(t, connect(t, []string{e.URL()}, nil), "default")
	if got := collect(t, l, 0, want[2].seq); !slices.Equal(got, want) {
		t.Fatalf("after a restart: %v, want %v", got, want)
	}
	if _, err := StartEmbedded(strings.TrimPrefix(e.URL(), "nats://"), ""); err == nil {
		t.Error("a second embedded server on the same port started")
	}
}

// BenchmarkAppend measures Append on an in-process 3-node cluster (replicas 3, file
// storage): records of 4 KiB (a batch of about 20 events), one appender, then 16.
func BenchmarkAppend(b *testing.B) {
	cl := natstest.Start(b, 3)
	c, err := Connect(context.Background(), Options{URLs: cl.URLs(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	l, _ := c.Log("a")
	payload := append([]byte("B"), strings.Repeat("x", 4095)...)
	b.Run("sequential", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, _, err := l.Append(context.Background(), payload, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel16", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		b.SetParallelism(8) // 8 × GOMAXPROCS(2) = 16 appenders
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := l.Append(context.Background(), payload, ""); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("follow", func(b *testing.B) {
		// 10,000 records appended once; each iteration follows them all from the first.
		const n = 10_000
		var first, last uint64
		for k := range n {
			s, _, err := l.Append(context.Background(), payload, "")
			if err != nil {
				b.Fatal(err)
			}
			if k == 0 {
				first = s
			}
			last = s
		}
		b.SetBytes(n * int64(len(payload)))
		b.ResetTimer()
		for b.Loop() {
			f, _ := c.Log("a")
			ctx, cancel := context.WithCancel(context.Background())
			_ = f.Follow(ctx, first-1, func(seq uint64, _ []byte) error {
				if seq >= last {
					cancel()
				}
				return nil
			})
			cancel()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
