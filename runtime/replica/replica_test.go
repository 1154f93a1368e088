package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/statkit/statkit/runtime/replica/natstest"
)

// quiet is a logger for clients in tests (warnings are expected when nodes die).
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// shared is the 3-node cluster the tests share (each on a stream of its own, named after
// the test); TestKillNode starts its own.
var shared = func() func(t *testing.T) *natstest.Cluster {
	var (
		once sync.Once
		c    *natstest.Cluster
		err  error
	)
	sharedDown = func() {
		if c != nil {
			c.Shutdown()
		}
	}
	return func(t *testing.T) *natstest.Cluster {
		t.Helper()
		once.Do(func() { c, err = natstest.New(3) })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}()

var sharedDown func()

func TestMain(m *testing.M) {
	code := m.Run()
	sharedDown()
	os.Exit(code)
}

// streamOf names a test's stream after the test.
func streamOf(t *testing.T) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, t.Name())
}

func connect(t *testing.T, urls []string, mod func(*Options)) *Client {
	t.Helper()
	o := Options{URLs: urls, Logger: quiet, LeaseTTL: 1500 * time.Millisecond, Stream: streamOf(t)}
	if mod != nil {
		mod(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, o)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustLog(t *testing.T, c *Client, tenants ...string) *Log {
	t.Helper()
	l, err := c.Log(tenants...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type rec struct {
	seq  uint64
	data string
}

// collect follows l from after until it has applied a record at or past seq `until`, and
// returns what it applied.
func collect(t *testing.T, l *Log, after, until uint64) []rec {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []rec
	reached := false
	err := l.Follow(ctx, after, func(seq uint64, r []byte) error {
		out = append(out, rec{seq, string(r)})
		if seq >= until {
			reached = true
			cancel()
		}
		return nil
	})
	if !reached {
		t.Fatalf("follow from %d to %d: %v (got %d records)", after, until, err, len(out))
	}
	return out
}

// waitFor polls cond every 10ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTenantTokens(t *testing.T) {
	cases := map[string]string{
		"default":  "default",
		"bank-2_x": "bank-2_x",
		"a.b":      "_x612e62",
		"_x61":     "_x5f783631",
		"":         "_x",
		"é":        "_xc3a9",
		"a b":      "_x612062",
		"*":        "_x2a",
	}
	seen := map[string]string{}
	for id, want := range cases {
		tok := TenantToken(id)
		if tok != want {
			t.Errorf("TenantToken(%q) = %q, want %q", id, tok, want)
		}
		back, err := TenantOf(tok)
		if err != nil || back != id {
			t.Errorf("TenantOf(%q) = %q, %v; want %q", tok, back, err, id)
		}
		if other, ok := seen[tok]; ok {
			t.Errorf("%q and %q share token %q", id, other, tok)
		}
		seen[tok] = id
	}
	if _, err := TenantOf("_y00"); err == nil {
		t.Error("TenantOf(_y00): no error")
	}
	if got := Subject("statkit", "a.b", 'B'); got != "statkit._x612e62.B" {
		t.Errorf("Subject = %q", got)
	}
	if got := KindToken(0x01); got != "x01" {
		t.Errorf("KindToken(1) = %q", got)
	}
	g, err := NewGroup("b", "a", "b")
	if err != nil || g.Name() != "a.b" || g.Home() != "a" || !g.Has("b") || g.Has("c") {
		t.Errorf("NewGroup(b, a, b) = %v (%s), %v", g.Tenants(), g.Name(), err)
	}
	if _, err := NewGroup(); !errors.Is(err, ErrNoTenant) {
		t.Errorf("NewGroup() error %v", err)
	}
}

func TestParseSpec(t *testing.T) {
	for in, want := range map[string]Spec{
		"embedded":                 {Embedded: true, Listen: DefaultEmbeddedListen},
		"embedded:127.0.0.1:14222": {Embedded: true, Listen: "127.0.0.1:14222"},
		"nats://a:4222,b:4222":     {URLs: []string{"nats://a:4222", "nats://b:4222"}},
		" tls://a:1 , ":            {URLs: []string{"tls://a:1"}},
	} {
		got, err := ParseSpec(in)
		if err != nil || got.Embedded != want.Embedded || got.Listen != want.Listen || !slices.Equal(got.URLs, want.URLs) {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", ",", "embedded:nohost"} {
		if _, err := ParseSpec(in); err == nil {
			t.Errorf("ParseSpec(%q): no error", in)
		}
	}
}

// TestAppendFollowOrder: two clients append concurrently to the same group; followers on
// both see every acknowledged record once, in stream order, each client's records in the
// order it appended them, and a record of another group never.
func TestAppendFollowOrder(t *testing.T) {
	cl := shared(t)
	a, b := connect(t, cl.URLs(), nil), connect(t, cl.URLs(), nil)
	if a.Replicas() != 3 {
		t.Fatalf("replicas = %d on a 3-node cluster, want 3", a.Replicas())
	}
	la, lb := mustLog(t, a, "t1", "t2"), mustLog(t, b, "t2", "t1")
	lother := mustLog(t, a, "t3")
	const n = 200
	acked := make([][]rec, 2)
	var wg sync.WaitGroup
	for i, l := range []*Log{la, lb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range n {
				data := fmt.Sprintf("B%c%03d", 'a'+i, k)
				tenant := []string{"t1", "t2"}[k%2]
				seq, dup, err := l.AppendTenant(context.Background(), tenant, []byte(data), "")
				if err != nil || dup {
					t.Errorf("append %s: %d %v %v", data, seq, dup, err)
					return
				}
				acked[i] = append(acked[i], rec{seq, data})
				if k%50 == 0 {
					if _, _, err := lother.Append(context.Background(), []byte("Bother"), ""); err != nil {
						t.Errorf("append other: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	all := append(slices.Clone(acked[0]), acked[1]...)
	slices.SortFunc(all, func(x, y rec) int { return int(x.seq) - int(y.seq) })
	for i := 1; i < len(all); i++ {
		if all[i].seq == all[i-1].seq {
			t.Fatalf("two records acknowledged at %d", all[i].seq)
		}
	}
	for i := range acked {
		for k := 1; k < len(acked[i]); k++ {
			if acked[i][k].seq <= acked[i][k-1].seq {
				t.Fatalf("client %d: record %d stored at %d, before the one appended before it (%d)", i, k, acked[i][k].seq, acked[i][k-1].seq)
			}
		}
	}
	last := all[len(all)-1].seq
	fa, fb := collect(t, la, 0, last), collect(t, lb, 0, last)
	if !slices.Equal(fa, all) || !slices.Equal(fb, all) {
		t.Fatalf("followers saw %d and %d records, %d acknowledged (or not in stream order)", len(fa), len(fb), len(all))
	}
	// From the middle: exactly the records after it.
	mid := all[len(all)/2].seq
	if got := collect(t, lb, mid, last); !slices.Equal(got, all[len(all)/2+1:]) {
		t.Fatalf("following from %d: %d records, want %d", mid, len(got), len(all)/2-1)
	}
	if st, err := la.Lag(context.Background()); err != nil || st.Applied != last || st.Pending != 0 || st.Behind != 0 || !st.CaughtUp() {
		t.Errorf("lag after catching up: %+v %v", st, err)
	}
	if st, err := lb.Lag(context.Background()); err != nil || st.Applied != last || !st.CaughtUp() {
		t.Errorf("lag after catching up: %+v %v", st, err)
	}
	// One more record: lb is one behind, by about as long as since it was stored.
	before := time.Now()
	if _, _, err := la.AppendTenant(context.Background(), "t2", []byte("Blast"), ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	st, err := lb.Lag(context.Background())
	if err != nil || st.Applied != last || st.Pending < 1 || st.CaughtUp() || st.Behind < 20*time.Millisecond || st.Behind > time.Since(before) {
		t.Errorf("lag one record behind: %+v %v", st, err)
	}
}

// TestDedup: a record appended twice with one id is stored once and the repeat answers
// the original's sequence; ids are per tenant; past the duplicate window JetStream stores
// it again (the engine's key table decides then).
func TestDedup(t *testing.T) {
	cl := shared(t)
	c := connect(t, cl.URLs(), func(o *Options) { o.DuplicateWindow = time.Second })
	c2 := connect(t, cl.URLs(), nil) // another replica the client retries on
	l, l2 := mustLog(t, c, "a"), mustLog(t, c2, "a")
	ctx := context.Background()
	s1, dup, err := l.Append(ctx, []byte("Bfirst"), "key-1")
	if err != nil || dup {
		t.Fatalf("first append: %d %v %v", s1, dup, err)
	}
	s2, dup, err := l2.Append(ctx, []byte("Bretry"), "key-1")
	if err != nil || !dup || s2 != s1 {
		t.Fatalf("retry on another client: seq %d dup %v err %v; want %d true", s2, dup, err, s1)
	}
	s3, dup, err := l.AppendTenant(ctx, "b", []byte("Bother tenant"), "key-1")
	if err != nil || dup || s3 == s1 {
		t.Fatalf("same id, other tenant: seq %d dup %v err %v; want a new record", s3, dup, err)
	}
	got := collect(t, l, 0, s1)
	if len(got) != 1 || got[0] != (rec{s1, "Bfirst"}) {
		t.Fatalf("follower saw %v", got)
	}
	// Past the window the id is forgotten.
	var s4 uint64
	waitFor(t, 10*time.Second, "the duplicate window never passed", func() bool {
		s, dup, err := l.Append(ctx, []byte("Blate"), "key-1")
		if err != nil {
			t.Fatal(err)
		}
		if dup && s != s1 {
			t.Fatalf("duplicate answered %d, want %d", s, s1)
		}
		s4 = s
		return !dup
	})
	if s4 <= s3 {
		t.Fatalf("late repeat stored at %d", s4)
	}
	if got := collect(t, l, s1, s4); len(got) != 1 || got[0].data != "Blate" {
		t.Fatalf("after the window the follower saw %v", got)
	}
}

// TestSnapshots: snapshots are named by sequence, loaded newest first with fallback,
// kept to the newest KeepSnapshots; the stream is trimmed below the oldest kept for the
// group's tenants only; a follower that needs trimmed records fails with ErrTrimmed.
func TestSnapshots(t *testing.T) {
	cl := shared(t)
	c := connect(t, cl.URLs(), nil)
	l, other := mustLog(t, c, "a"), mustLog(t, c, "b")
	ctx := context.Background()
	if seq, err := l.LoadSnapshot(func(uint64, []byte) error { t.Fatal("load called"); return nil }); seq != 0 || err != nil {
		t.Fatalf("no snapshot: %d %v", seq, err)
	}
	var seqs, otherSeqs []uint64
	for i := range 20 {
		s, _, err := l.Append(ctx, []byte("B"+strconv.Itoa(i)), "")
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s)
		s, _, err = other.Append(ctx, []byte("Bo"+strconv.Itoa(i)), "")
		if err != nil {
			t.Fatal(err)
		}
		otherSeqs = append(otherSeqs, s)
	}
	big := strings.Repeat("0123456789", 50_000) // several object-store chunks
	for _, i := range []int{4, 9, 14} {
		if err := l.WriteSnapshot(seqs[i], []byte(fmt.Sprintf("snap@%d %s", seqs[i], big))); err != nil {
			t.Fatal(err)
		}
	}
	have, err := l.Snapshots(ctx)
	if err != nil || !slices.Equal(have, []uint64{seqs[9], seqs[14]}) {
		t.Fatalf("snapshots kept: %v %v, want %v", have, err, []uint64{seqs[9], seqs[14]})
	}
	var loaded []uint64
	seq, err := l.LoadSnapshot(func(s uint64, p []byte) error {
		loaded = append(loaded, s)
		if string(p) != fmt.Sprintf("snap@%d %s", s, big) {
			return fmt.Errorf("payload of %d differs", s)
		}
		return nil
	})
	if err != nil || seq != seqs[14] || !slices.Equal(loaded, []uint64{seqs[14]}) {
		t.Fatalf("load: %d %v (offered %v)", seq, err, loaded)
	}
	loaded = nil
	seq, err = l.LoadSnapshot(func(s uint64, p []byte) error {
		loaded = append(loaded, s)
		if s == seqs[14] {
			return errors.New("refused")
		}
		return nil
	})
	if err != nil || seq != seqs[9] || !slices.Equal(loaded, []uint64{seqs[14], seqs[9]}) {
		t.Fatalf("fallback: %d %v (offered %v)", seq, err, loaded)
	}
	if _, err := l.LoadSnapshot(func(uint64, []byte) error { return errors.New("refused") }); !errors.Is(err, ErrTrimmed) {
		t.Fatalf("every snapshot refused on a trimmed stream: %v, want ErrTrimmed", err)
	}
	// The group's records up to the oldest kept snapshot are gone; the rest and the other
	// tenant's are all there.
	for i, s := range seqs {
		_, err := c.stream.GetMsg(ctx, s)
		if gone := err != nil; gone != (i <= 9) {
			t.Errorf("record %d (seq %d): gone %v (%v), want %v", i, s, gone, err, i <= 9)
		}
	}
	got := collect(t, mustLog(t, c, "a"), seqs[9], seqs[19])
	var want []rec
	for i := 10; i < 20; i++ {
		want = append(want, rec{seqs[i], "B" + strconv.Itoa(i)})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after the snapshot: %v, want %v", got, want)
	}
	if got := collect(t, other, 0, otherSeqs[19]); len(got) != 20 {
		t.Fatalf("other tenant: %d records, want 20 (trimmed with a)", len(got))
	}
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l2 := mustLog(t, c, "a")
	err = l2.Follow(ctx2, 0, func(uint64, []byte) error { return nil })
	if !errors.Is(err, ErrTrimmed) || !errors.Is(l2.Err(), ErrTrimmed) {
		t.Fatalf("following a trimmed log from 0: %v (Err %v), want ErrTrimmed", err, l2.Err())
	}
}

// TestTickFencing: AppendAfter extends a subject only from the record expected, so two
// processes that both think they hold the clock cannot both append the next tick.
func TestTickFencing(t *testing.T) {
	cl := shared(t)
	a, b := mustLog(t, connect(t, cl.URLs(), nil), "g"), mustLog(t, connect(t, cl.URLs(), nil), "g")
	ctx := context.Background()
	s1, err := a.AppendAfter(ctx, []byte("T1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AppendAfter(ctx, []byte("T1"), 0); !errors.Is(err, ErrConflict) {
		t.Fatalf("second first tick: %v, want ErrConflict", err)
	}
	// Other kinds do not move the tick subject.
	if _, _, err := b.Append(ctx, []byte("Bx"), ""); err != nil {
		t.Fatal(err)
	}
	last, r, err := b.Last(ctx, 'T')
	if err != nil || last != s1 || string(r) != "T1" {
		t.Fatalf("Last(T) = %d %q %v", last, r, err)
	}
	s2, err := b.AppendAfter(ctx, []byte("T2"), last)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AppendAfter(ctx, []byte("T2"), s1); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale holder's tick: %v, want ErrConflict", err)
	}
	got := collect(t, a, 0, s2)
	if len(got) != 3 || got[0].data != "T1" || got[1].data != "Bx" || got[2].data != "T2" {
		t.Fatalf("log: %v", got)
	}

	// LeadTicks continues from the last tick and stops once another process ticked.
	ticks := make(chan time.Time)
	done := make(chan error, 1)
	skipped := false
	go func() {
		done <- a.LeadTicks(ctx, 'T', ticks, func(prev []byte, _ time.Time) []byte {
			if string(prev) == "T3" && !skipped {
				skipped = true
				return nil // nothing to tick this time
			}
			return []byte("T" + strconv.Itoa(int(prev[1]-'0')+1))
		})
	}()
	ticks <- time.Now() // T3
	ticks <- time.Now() // skipped
	last, r, err = b.Last(ctx, 'T')
	if err != nil || string(r) != "T3" {
		t.Fatalf("after LeadTicks: %q %v", r, err)
	}
	if _, err := b.AppendAfter(ctx, []byte("T9"), last); err != nil {
		t.Fatal(err)
	}
	select {
	case ticks <- time.Now():
	case err := <-done:
		t.Fatalf("LeadTicks returned before its tick: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("LeadTicks after another's tick: %v, want ErrConflict", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("LeadTicks went on after another process ticked")
	}
}

// TestMembers: replicas announce themselves; a client finds a tenant's replicas; one that
// stops is removed.
func TestMembers(t *testing.T) {
	cl := shared(t)
	a := connect(t, cl.URLs(), func(o *Options) { o.ID = "host-a:1" })
	b := connect(t, cl.URLs(), func(o *Options) { o.ID = "host-b" })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctxA, stopA := context.WithCancel(ctx)
	doneA := make(chan error, 1)
	go func() {
		doneA <- a.Announce(ctxA, func() Member {
			return Member{Group: "t1.t2", Tenants: []string{"t1", "t2"}, URL: "http://a:8080", CaughtUp: false}
		})
	}()
	go b.Announce(ctx, func() Member {
		return Member{Group: "t1.t2", Tenants: []string{"t1", "t2"}, URL: "http://b:8080", CaughtUp: true, Applied: 7}
	})
	var ms []Member
	waitFor(t, 10*time.Second, "both announced", func() bool {
		var err error
		ms, err = a.Members(ctx)
		return err == nil && len(ms) == 2
	})
	if ms[0].ID != "host-a:1" || ms[1].ID != "host-b" || ms[1].Applied != 7 || ms[0].Updated.IsZero() {
		t.Fatalf("members %+v", ms)
	}
	if r := ReplicasOf(ms, "t2"); len(r) != 2 || r[0].URL != "http://b:8080" {
		t.Fatalf("replicas of t2: %+v (caught-up first)", r)
	}
	if r := ReplicasOf(ms, "t3"); len(r) != 0 {
		t.Fatalf("replicas of t3: %+v", r)
	}
	stopA()
	if err := <-doneA; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a still listed", func() bool {
		ms, err := b.Members(ctx)
		return err == nil && len(ms) == 1 && ms[0].ID == "host-b"
	})
}

// TestForeignStream: a stream of the same name that does not hold <name>.> is refused.
func TestForeignStream(t *testing.T) {
	cl := shared(t)
	c := connect(t, cl.URLs(), nil) // creates the stream TestForeignStream
	ctx := context.Background()
	if _, err := c.js.CreateStream(ctx, jetstream.StreamConfig{Name: "orders", Subjects: []string{"orders.new"}}); err != nil {
		t.Fatal(err)
	}
	_, err := Connect(ctx, Options{URLs: cl.URLs(), Stream: "orders", Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "orders.>") {
		t.Fatalf("connecting to a foreign stream: %v", err)
	}
}

// archLog is the server's Log interface as ARCH.md §2 states it; *Log implements it.
type archLog interface {
	Append(ctx context.Context, rec []byte, id string) (seq uint64, dup bool, err error)
	Follow(ctx context.Context, after uint64, apply func(seq uint64, rec []byte) error) error
	LoadSnapshot(load func(seq uint64, payload []byte) error) (uint64, error)
	WriteSnapshot(seq uint64, payload []byte) error
	Err() error
}

var _ archLog = (*Log)(nil)
