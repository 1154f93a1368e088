package replica

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// readAll reads l's records in (after, to] with Read.
func readAll(t *testing.T, l *Log, after, to uint64) ([]rec, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []rec
	err := l.Read(ctx, after, to, func(seq uint64, r []byte) error {
		out = append(out, rec{seq, string(r)})
		return nil
	})
	return out, err
}

// publishMany stores records quickly (asynchronous publishes, in order): for each i,
// the record data(i) under tenant(i). It returns their sequences.
func publishMany(t *testing.T, c *Client, n int, tenant func(i int) string, data func(i int) string) []uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var futs []jetstream.PubAckFuture
	for i := range n {
		d := data(i)
		f, err := c.js.PublishAsync(Subject(c.opts.Stream, tenant(i), d[0]), []byte(d))
		if err != nil {
			t.Fatal(err)
		}
		futs = append(futs, f)
	}
	seqs := make([]uint64, n)
	for i, f := range futs {
		select {
		case ack := <-f.Ok():
			seqs[i] = ack.Sequence
		case err := <-f.Err():
			t.Fatalf("publish %d: %v", i, err)
		case <-ctx.Done():
			t.Fatal("publishing: no acknowledgement")
		}
	}
	if !slices.IsSorted(seqs) {
		t.Fatal("asynchronous publishes stored out of order")
	}
	return seqs
}

// TestRead: Read delivers exactly the group's records of a range — both its tenants, in
// stream order, none of another group's — beside the follower (whose position it leaves
// alone); it ends at the group's last record before a `to` that is not the group's,
// fails fast past the stream's end, returns fn's error as is, starts again after the last
// record taken when its consumer is removed while fn is slow, and fails with ErrTrimmed
// for trimmed records.
func TestRead(t *testing.T) {
	cl := shared(t)
	c := connect(t, cl.URLs(), nil)
	l := mustLog(t, c, "a", "c")
	const n = 1500 // more than one pull (1000 messages)
	isOther := func(i int) bool { return i%7 == 3 }
	seqs := publishMany(t, c, n, func(i int) string {
		switch {
		case isOther(i):
			return "b"
		case i%2 == 0:
			return "c"
		}
		return "a"
	}, func(i int) string { return fmt.Sprintf("B%d", i) })
	var want []rec // the group's records
	for i, s := range seqs {
		if !isOther(i) {
			want = append(want, rec{s, fmt.Sprintf("B%d", i)})
		}
	}
	last := want[len(want)-1].seq

	got, err := readAll(t, l, 0, last)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("read all: %d records, %v; want %d", len(got), err, len(want))
	}
	if got, err := readAll(t, l, want[99].seq, want[500].seq); err != nil || !slices.Equal(got, want[100:501]) {
		t.Fatalf("read a range: %d records %v", len(got), err)
	}
	// `to` another group's record: up to the group's record before it.
	if got, err := readAll(t, l, want[10].seq, seqs[3*7+3]); err != nil || got[len(got)-1].seq != seqs[3*7+2] || !slices.Equal(got, want[11:11+len(got)]) {
		t.Fatalf("read to another group's record %d: %v %v", seqs[3*7+3], got, err)
	}
	if st := l.Status(); st.Applied != 0 {
		t.Fatalf("Read moved the follower's position: %+v", st)
	}

	// Past the end: an error at once, not a wait.
	t0 := time.Now()
	if got, err := readAll(t, l, want[len(want)-3].seq, last+100); !errors.Is(err, ErrLogEnds) || len(got) != 2 {
		t.Fatalf("read past the end: %d records, %v; want 2 and ErrLogEnds", len(got), err)
	}
	if _, err := readAll(t, l, last, last+100); !errors.Is(err, ErrLogEnds) {
		t.Fatalf("read after the end: %v, want ErrLogEnds", err)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Fatalf("reading past the end took %v", d)
	}

	// fn's error, as is.
	stop := errors.New("stop")
	var taken int
	err = l.Read(context.Background(), 0, last, func(uint64, []byte) error {
		if taken++; taken == 3 {
			return stop
		}
		return nil
	})
	if err != stop || taken != 3 {
		t.Fatalf("fn's error: %v after %d records", err, taken)
	}

	// The consumer removed while fn is slow (the first pull's records taken already):
	// Read starts again after the last record taken.
	got = got[:0]
	removed := false
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = l.Read(ctx, 0, last, func(seq uint64, r []byte) error {
		got = append(got, rec{seq, string(r)})
		if len(got) == 10 {
			names := c.stream.ConsumerNames(ctx)
			for name := range names.Name() {
				if strings.HasPrefix(name, "statkit_") {
					if err := c.js.DeleteConsumer(ctx, c.opts.Stream, name); err != nil {
						return err
					}
					removed = true
				}
			}
		}
		return nil
	})
	if err != nil || !removed || !slices.Equal(got, want) {
		t.Fatalf("read with its consumer removed: %d records, %v (removed %v); want %d", len(got), err, removed, len(want))
	}

	// Trimmed records: ErrTrimmed; after the floor, read.
	if err := l.Trim(context.Background(), want[199].seq); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, l, 0, last); !errors.Is(err, ErrTrimmed) {
		t.Fatalf("read from 0 after a trim: %v, want ErrTrimmed", err)
	}
	if _, err := readAll(t, l, want[150].seq, want[300].seq); !errors.Is(err, ErrTrimmed) {
		t.Fatalf("read from before the floor: %v, want ErrTrimmed", err)
	}
	if got, err := readAll(t, l, want[199].seq, want[300].seq); err != nil || !slices.Equal(got, want[200:301]) {
		t.Fatalf("read from the floor: %d records, %v", len(got), err)
	}
}

// TestRetentionPin: after a snapshot, the newest one at or before the pin is kept besides
// the newest KeepSnapshots and no record after it is trimmed; with no snapshot at or
// before the pin nothing is trimmed; an unknown pin deletes and trims nothing; a pin that
// moves on releases what it held; the trim limit still bounds trimming.
func TestRetentionPin(t *testing.T) {
	cl := shared(t)
	c := connect(t, cl.URLs(), func(o *Options) { o.KeepSnapshots = 1 })
	ctx := context.Background()
	l := mustLog(t, c, "p")
	seqs := publishMany(t, c, 40, func(int) string { return "p" }, func(i int) string { return fmt.Sprintf("B%d", i) })
	var (
		pin    uint64
		pinOK  = true
		pinErr error
	)
	l.SetRetentionPin(func(context.Context) (uint64, bool, error) { return pin, pinOK, pinErr })
	check := func(what string, snaps []uint64, floor uint64) {
		t.Helper()
		have, err := l.Snapshots(ctx)
		if err != nil || !slices.Equal(have, snaps) {
			t.Fatalf("%s: snapshots %v %v, want %v", what, have, err, snaps)
		}
		f, err := l.Floor(ctx)
		if err != nil || f != floor {
			t.Fatalf("%s: floor %d %v, want %d", what, f, err, floor)
		}
		// The records from the floor on are all there.
		for i, s := range seqs {
			_, err := c.stream.GetMsg(ctx, s)
			if gone := err != nil; gone != (s < floor) {
				t.Fatalf("%s: record %d (seq %d) gone %v (%v), floor %d", what, i, s, gone, err, floor)
			}
		}
	}
	snap := func(i int) {
		t.Helper()
		if err := l.WriteSnapshot(seqs[i], []byte(fmt.Sprint("snap", i))); err != nil {
			t.Fatal(err)
		}
	}

	// No snapshot at or before the pin: the oldest stays (for when the pin passes it),
	// the others beyond the newest go, nothing is trimmed.
	pin = seqs[2]
	snap(4)
	snap(7)
	snap(9)
	check("no snapshot at or before the pin", []uint64{seqs[4], seqs[9]}, 0)
	// The pin at a snapshot's record and after: that one stays, the stream is trimmed up
	// to it, not further.
	pin = seqs[12]
	snap(11)
	snap(14)
	snap(19)
	check("pinned", []uint64{seqs[11], seqs[19]}, seqs[11]+1)
	// An unknown pin: nothing deleted, nothing trimmed.
	pinErr = errors.New("members not listed")
	snap(24)
	check("unknown pin", []uint64{seqs[11], seqs[19], seqs[24]}, seqs[11]+1)
	pinErr = nil
	// The pin moves on: the newest at or before it (among the newest kept) is enough.
	pin = seqs[27]
	snap(26)
	check("pin moved", []uint64{seqs[26]}, seqs[26]+1)
	// No pin now (ok false): the newest KeepSnapshots, trimmed up to it — within the
	// trim limit.
	pinOK = false
	l.SetTrimLimit(func(context.Context) (uint64, error) { return seqs[30], nil })
	snap(33)
	check("no pin, trim limit", []uint64{seqs[33]}, seqs[30]+1)
	// A pin below the trim limit and no snapshot at or before it: nothing more trimmed.
	pinOK, pin = true, seqs[31]
	snap(36)
	check("pin without its snapshot", []uint64{seqs[33], seqs[36]}, seqs[30]+1)
}

// TestWriteSnapshotEndsWithTheConnection: a snapshot being written when the connection
// closes (a replica losing NATS, then stopping) fails at once. The object store waits
// for its chunks' acknowledgements, which a closed connection never delivers: before,
// the write — and the server's stop, which waits for it — took the whole two minutes of
// the operation's timeout.
func TestWriteSnapshotEndsWithTheConnection(t *testing.T) {
	cl := shared(t)
	c := connect(t, cl.URLs(), nil)
	l := mustLog(t, c, "p")
	payload := make([]byte, 16<<20)
	done := make(chan error, 1)
	go func() { done <- l.WriteSnapshot(1, payload) }()
	time.Sleep(20 * time.Millisecond) // the chunks on their way
	c.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Log("the snapshot was stored before the connection closed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WriteSnapshot still waits 10 s after the connection closed")
	}
}
