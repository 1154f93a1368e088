package replica

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

// AppendLocal's attachment comes back with the record on this process's FollowLocal —
// also when the delivery overtakes the acknowledgement — and nowhere else: not with a
// duplicate, not on another process, not for another process's records.
func TestAttachments(t *testing.T) {
	cl := shared(t)
	c1, c2 := connect(t, cl.URLs(), nil), connect(t, cl.URLs(), nil)
	l1, l2 := mustLog(t, c1, "a", "b"), mustLog(t, c2, "a", "b")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	type got struct {
		rec   string
		local any
	}
	var mu sync.Mutex
	seen := map[uint64]got{}
	follow := func(l *Log, into map[uint64]got) {
		go func() {
			_ = l.FollowLocal(ctx, 0, func(seq uint64, rec []byte, local any) error {
				mu.Lock()
				into[seq] = got{string(rec), local}
				mu.Unlock()
				return nil
			})
		}()
	}
	seen2 := map[uint64]got{}
	follow(l1, seen)
	follow(l2, seen2)

	// Concurrent appends from both processes, under both tenants, half with ids.
	type sent struct {
		seq   uint64
		local *int
		proc  int
	}
	var (
		smu   sync.Mutex
		sent1 []sent
		wg    sync.WaitGroup
	)
	for p, l := range []*Log{l1, l2} {
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					n := p*1000 + g*100 + i
					id := ""
					if i%2 == 0 {
						id = "k" + strconv.Itoa(n)
					}
					tenant := []string{"a", "b"}[i%2]
					seq, dup, err := l.AppendLocal(ctx, tenant, []byte("B"+strconv.Itoa(n)), id, &n)
					if err != nil || dup {
						t.Errorf("append %d: %v dup %v", n, err, dup)
						return
					}
					smu.Lock()
					sent1 = append(sent1, sent{seq, &n, p})
					smu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	// A duplicate carries no attachment, and takes none from the original.
	other := 7
	seq, dup, err := l1.AppendLocal(ctx, "a", []byte("B0"), "k0", &other)
	if err != nil || !dup {
		t.Fatalf("duplicate: %d %v %v", seq, dup, err)
	}
	last, err := l1.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "every record followed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == len(sent1) && len(seen2) == len(sent1)
	})
	mu.Lock()
	defer mu.Unlock()
	var maxSeq uint64
	for _, s := range sent1 {
		maxSeq = max(maxSeq, s.seq)
		mine, theirs := seen, seen2
		if s.proc == 1 {
			mine, theirs = seen2, seen
		}
		if g := mine[s.seq]; g.local != s.local {
			t.Errorf("record %d: attachment %v on its own process, want %p", s.seq, g.local, s.local)
		}
		if g := theirs[s.seq]; g.local != nil {
			t.Errorf("record %d: attachment %v on the other process", s.seq, g.local)
		}
		if mine[s.seq].rec != "B"+strconv.Itoa(*s.local) {
			t.Errorf("record %d: %q", s.seq, mine[s.seq].rec)
		}
	}
	if last != maxSeq {
		t.Errorf("LastSeq %d, want %d", last, maxSeq)
	}
	if n := len(l1.locals) + len(l2.locals); n != 0 {
		t.Errorf("%d attachments left behind", n)
	}
}

// Claim refuses a group one of whose tenants another group claimed, and lets the
// replicas of one group claim (renew) the same tenants.
func TestClaim(t *testing.T) {
	cl := shared(t)
	c := connect(t, cl.URLs(), nil)
	ctx := context.Background()
	ab, ab2, bc, cOnly := mustLog(t, c, "a", "b"), mustLog(t, c, "b", "a"), mustLog(t, c, "b", "c"), mustLog(t, c, "c")
	if err := ab.Claim(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ab2.Claim(ctx); err != nil {
		t.Fatalf("a replica of the same group: %v", err)
	}
	var oe *OverlapError
	if err := bc.Claim(ctx); !errors.As(err, &oe) || oe.Tenant != "b" || oe.Other != "a.b" {
		t.Fatalf("overlapping group: %v", err)
	}
	if err := cOnly.Claim(ctx); err != nil {
		t.Fatalf("a disjoint group: %v", err)
	}
}

// A trim limit keeps the records a replica running behind still needs.
func TestTrimLimit(t *testing.T) {
	cl := shared(t)
	c := connect(t, cl.URLs(), nil)
	l := mustLog(t, c, "a")
	ctx := context.Background()
	var seqs []uint64
	for i := range 10 {
		s, _, err := l.Append(ctx, []byte("B"+strconv.Itoa(i)), "")
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s)
	}
	l.SetTrimLimit(func(context.Context) (uint64, error) { return seqs[2], nil })
	for _, i := range []int{5, 6, 8} {
		if err := l.WriteSnapshot(seqs[i], []byte("s")); err != nil {
			t.Fatal(err)
		}
	}
	// Two snapshots kept (6 and 8); trimmed up to the limit (2), not up to 6.
	if f, err := l.Floor(ctx); err != nil || f != seqs[2]+1 {
		t.Fatalf("floor %d %v, want %d", f, err, seqs[2]+1)
	}
	got := collect(t, mustLog(t, c, "a"), seqs[2], seqs[9])
	if len(got) != 7 {
		t.Fatalf("after the limit: %v", got)
	}
	p, err := l.ReadSnapshot(ctx, seqs[8])
	if err != nil || string(p) != "s" {
		t.Fatalf("ReadSnapshot: %q %v", p, err)
	}
}
