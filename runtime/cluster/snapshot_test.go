package cluster

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/replica/natstest"
)

// shared is a 3-node cluster the tests share, each on a stream of its own;
// TestReplicatedBankDay starts its own (it kills a node).
var shared, sharedDown = func() (func(t *testing.T) *natstest.Cluster, func()) {
	var (
		once sync.Once
		c    *natstest.Cluster
		err  error
	)
	return func(t *testing.T) *natstest.Cluster {
			t.Helper()
			once.Do(func() { c, err = natstest.New(3) })
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, func() {
			if c != nil {
				c.Shutdown()
			}
		}
}()

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

// Snapshots: a replica stopped cleanly restarts from its local cache when that is newer
// than the object store's; the holder's snapshots trim the stream, but not past what a
// live replica has applied; a replica whose cache the stream was trimmed past restarts
// from the object store; every replica ends with the same values.
func TestSnapshotsCacheAndTrim(t *testing.T) {
	b := loadBank(t, 10)
	h := &harness{t: t, cl: shared(t), stream: streamOf(t), bank: b, clock: &testClock{}, ttl: 500 * time.Millisecond,
		text: b.text, tick: -1, snapEvery: 20}
	dir := t.TempDir()
	p1 := h.start("p1", filepath.Join(dir, "p1"))
	eventually(t, waitLong, "p1 holds the lease", func() bool { return p1.node.lease.Held() })
	next := 0
	feed := func(n int) {
		t.Helper()
		for range n {
			bt := b.batches[next]
			h.post(next, bt.body, fmt.Sprintf("b%d", next), nil)
			next++
		}
	}
	feed(30)
	ctx := context.Background()
	eventually(t, waitLong, "a snapshot in the object store", func() bool {
		s, err := p1.node.rl.Snapshots(ctx)
		return err == nil && len(s) > 0
	})
	p2 := h.start("p2", filepath.Join(dir, "p2"))
	if c := p2.node.lg.restored; c.seq == 0 || c.local {
		t.Fatalf("p2 restored %+v, want the object store's snapshot", c)
	}
	feed(5)
	last, err := p1.node.Log().Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p2.stop() // a last snapshot in its cache, newer than the object store's
	if remote, _ := p1.node.rl.Snapshots(ctx); len(remote) == 0 || remote[len(remote)-1] >= last {
		t.Fatalf("the object store has %v, want older than %d", remote, last)
	}
	p2 = h.start("p2b", filepath.Join(dir, "p2"))
	if c := p2.node.lg.restored; !c.local || c.seq != last {
		t.Fatalf("p2 restarted from %+v, want its cache's snapshot at %d", c, last)
	}

	// The holder's snapshots trim the stream, never past a live replica.
	for floor := uint64(0); floor <= 1; {
		feed(1)
		if floor, err = p1.node.rl.Floor(ctx); err != nil {
			t.Fatal(err)
		}
	}
	p2.kill()
	seqs, err := p2.node.lg.cache.list()
	if err != nil || len(seqs) == 0 {
		t.Fatalf("p2's cache: %v %v", seqs, err)
	}
	cached := seqs[len(seqs)-1]
	// Dead, it holds trimming back only until its announcement expires (3 lease TTLs).
	for floor := uint64(0); floor <= cached+1; {
		if next == len(b.batches) {
			t.Fatalf("the stream was not trimmed past the dead replica's cache (record %d) within the day", cached)
		}
		feed(1)
		time.Sleep(10 * time.Millisecond) // a feed paced over the announcement's expiry
		if floor, err = p1.node.rl.Floor(ctx); err != nil {
			t.Fatal(err)
		}
	}
	p2 = h.start("p2c", filepath.Join(dir, "p2"))
	if c := p2.node.lg.restored; c.local || c.seq <= cached {
		t.Fatalf("p2 restarted from %+v, want the object store's (its cache at %d was trimmed past)", c, cached)
	}
	feed(3)
	for _, p := range h.liveProcs() {
		if err := p.srv.WaitApplied(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if v1, v2 := values(t, p1), values(t, p2); !maps.Equal(v1, v2) {
		t.Fatalf("the replicas differ:\n%v\n%v", v1, v2)
	}
}

// The local cache keeps the newest snapshots, refuses damaged ones and empties itself for
// another stream's incarnation.
func TestCache(t *testing.T) {
	dir := t.TempDir()
	c, err := openCache(dir, "stream s created 1\ngroup g\n", 2, logger(t, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []uint64{5, 9, 12} {
		if err := c.write(s, []byte(fmt.Sprint("snap", s)), nil); err != nil {
			t.Fatal(err)
		}
	}
	seqs, err := c.list()
	if err != nil || fmt.Sprint(seqs) != "[9 12]" {
		t.Fatalf("kept %v %v, want [9 12]", seqs, err)
	}
	if p, err := c.read(12); err != nil || string(p) != "snap12" {
		t.Fatalf("read: %q %v", p, err)
	}
	// A flipped byte is refused.
	path := c.path(12)
	raw, _ := os.ReadFile(path)
	raw[len(raw)-6] ^= 1
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.read(12); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("a damaged snapshot: %v", err)
	}
	// The same incarnation keeps them; another empties the cache.
	if c, err = openCache(dir, "stream s created 1\ngroup g\n", 2, logger(t, "cache")); err != nil {
		t.Fatal(err)
	}
	if seqs, _ := c.list(); len(seqs) != 2 {
		t.Fatalf("reopened: %v", seqs)
	}
	if c, err = openCache(dir, "stream s created 2\ngroup g\n", 2, logger(t, "cache")); err != nil {
		t.Fatal(err)
	}
	if seqs, _ := c.list(); len(seqs) != 0 {
		t.Fatalf("another incarnation: %v", seqs)
	}
}

// TestCachePin: with one snapshot kept, the retention pin keeps the newest at or before
// it; with none there — a pin of 0 (history's position not known yet) or one before
// every snapshot — the oldest, which the pin reaches when it moves on.
func TestCachePin(t *testing.T) {
	c, err := openCache(t.TempDir(), "stream s created 1\ngroup g\n", 1, logger(t, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		seq, pin uint64
		want     string
	}{
		{5, 0, "[5]"},
		{9, 0, "[5 9]"},     // pin 0: the oldest stays
		{12, 3, "[5 12]"},   // a pin before every snapshot: the oldest stays
		{15, 13, "[12 15]"}, // the newest at or before the pin
		{20, 20, "[20]"},
	} {
		if err := c.write(step.seq, []byte("x"), func() uint64 { return step.pin }); err != nil {
			t.Fatal(err)
		}
		if seqs, err := c.list(); err != nil || fmt.Sprint(seqs) != step.want {
			t.Fatalf("after %d with the pin at %d: %v %v, want %s", step.seq, step.pin, seqs, err, step.want)
		}
	}
}
