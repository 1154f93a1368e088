package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRetained: which snapshots retention drops and up to which record segments may go,
// worked out by hand for snapshots at 10, 20, 30, 40 with two kept.
func TestRetained(t *testing.T) {
	snaps := []segment{{first: 10}, {first: 20}, {first: 30}, {first: 40}}
	pinAt := func(p uint64) func() uint64 { return func() uint64 { return p } }
	firsts := func(ss []segment) []uint64 {
		out := []uint64{}
		for _, s := range ss {
			out = append(out, s.first)
		}
		return out
	}
	for _, c := range []struct {
		name    string
		keep    int
		pin     func() uint64
		drop    []uint64
		covered uint64
	}{
		{"no pin", 2, nil, []uint64{10, 20}, 30},
		{"pin after every snapshot", 2, pinAt(45), []uint64{10, 20}, 30},
		{"pin on a kept one", 2, pinAt(30), []uint64{10, 20}, 30},
		{"pin between 20 and 30 keeps 20", 2, pinAt(29), []uint64{10}, 20},
		{"pin on the oldest keeps it", 2, pinAt(10), []uint64{20}, 10},
		{"pin before every snapshot keeps every segment and the oldest", 2, pinAt(9), []uint64{20}, 0},
		{"pin 0 (not known yet) keeps every segment and the oldest", 2, pinAt(0), []uint64{20}, 0},
		{"one kept, pin before every snapshot", 1, pinAt(5), []uint64{20, 30}, 0},
		{"one kept, pin at 25", 1, pinAt(25), []uint64{10, 30}, 20},
		{"fewer than kept", 5, pinAt(15), []uint64{}, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			drop, covered := retained(snaps, c.keep, c.pin)
			assert.Equal(t, c.drop, firsts(drop))
			assert.Equal(t, c.covered, covered)
		})
	}
	drop, covered := retained(nil, 2, pinAt(5))
	assert.Empty(t, drop)
	assert.Zero(t, covered)
}

// TestRetentionPin: with small segments, a snapshot every 10 records and one kept, the
// pin keeps the newest snapshot at or before it and the records after it, so that state
// can be re-derived from there; without it they are removed. Moving the pin forward
// lets retention remove them at the next snapshot.
func TestRetentionPin(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, SegmentBytes: 120, KeepSnapshots: 1, Logger: quiet()})
	require.NoError(t, err)
	defer s.Close()
	var pin atomic.Uint64
	pin.Store(25)
	s.SetRetentionPin(pin.Load)
	for i := 1; i <= 60; i++ {
		_, err := s.AppendDurable(rec(i))
		require.NoError(t, err)
		if i%10 == 0 {
			require.NoError(t, s.WriteSnapshot(uint64(i), []byte(fmt.Sprintf("snap-%d", i))))
		}
	}
	snaps, err := s.Snapshots()
	require.NoError(t, err)
	assert.Equal(t, []uint64{20, 60}, snaps, "the newest, and the newest at or before the pin")
	assert.LessOrEqual(t, s.FirstSeq(), uint64(21), "the records after the pinned snapshot stay")
	payload, err := s.ReadSnapshot(20)
	require.NoError(t, err)
	assert.Equal(t, "snap-20", string(payload))
	var got []string
	require.NoError(t, s.ReadRecords(context.Background(), 20, 27, func(seq uint64, r []byte) error {
		got = append(got, fmt.Sprintf("%d:%s", seq, r))
		return nil
	}))
	want := []string{}
	for i := 21; i <= 27; i++ {
		want = append(want, fmt.Sprintf("%d:%s", i, rec(i)))
	}
	assert.Equal(t, want, got, "exactly the records asked for")

	// The pin moves past the next snapshot: retention removes what only it kept.
	pin.Store(61)
	for i := 61; i <= 70; i++ {
		_, err := s.AppendDurable(rec(i))
		require.NoError(t, err)
	}
	require.NoError(t, s.WriteSnapshot(70, []byte("snap-70")))
	snaps, err = s.Snapshots()
	require.NoError(t, err)
	assert.Equal(t, []uint64{60, 70}, snaps)
	assert.Greater(t, s.FirstSeq(), uint64(21))
	err = s.ReadRecords(context.Background(), 20, 27, func(uint64, []byte) error { return nil })
	assert.ErrorIs(t, err, ErrTrimmed)
	_, err = s.ReadSnapshot(20)
	assert.ErrorIs(t, err, ErrTrimmed)

	// No pin: only the newest snapshot stays.
	s.SetRetentionPin(nil)
	for i := 71; i <= 80; i++ {
		_, err := s.AppendDurable(rec(i))
		require.NoError(t, err)
	}
	require.NoError(t, s.WriteSnapshot(80, []byte("snap-80")))
	snaps, err = s.Snapshots()
	require.NoError(t, err)
	assert.Equal(t, []uint64{80}, snaps)
}

// TestRetentionPinBeforeEverySnapshot: a pin before every snapshot (a history database
// far behind, or one not connected yet: pin 0) keeps every segment, so the log can be
// read from record 1, and the oldest snapshot, for when the pin moves past it.
func TestRetentionPinBeforeEverySnapshot(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), SegmentBytes: 120, KeepSnapshots: 1, Logger: quiet()})
	require.NoError(t, err)
	defer s.Close()
	s.SetRetentionPin(func() uint64 { return 0 })
	for i := 1; i <= 40; i++ {
		_, err := s.AppendDurable(rec(i))
		require.NoError(t, err)
		if i%10 == 0 {
			require.NoError(t, s.WriteSnapshot(uint64(i), []byte("x")))
		}
	}
	snaps, err := s.Snapshots()
	require.NoError(t, err)
	assert.Equal(t, []uint64{10, 40}, snaps, "the oldest snapshot and the newest")
	assert.Equal(t, uint64(1), s.FirstSeq())
	n := 0
	require.NoError(t, s.ReadRecords(context.Background(), 0, 40, func(uint64, []byte) error { n++; return nil }))
	assert.Equal(t, 40, n)
}

// TestReadRecordsBesideLog: ReadRecords reads durable records while a Log appends (group
// commit, segment rotation) and Follow runs; each read sees exactly its range.
func TestReadRecordsBesideLog(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), SegmentBytes: 4 << 10, Fsync: FsyncNone, Logger: quiet()})
	require.NoError(t, err)
	defer s.Close()
	l, err := NewLog(s)
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var followed atomic.Uint64
	go func() {
		_ = l.Follow(ctx, 0, func(seq uint64, _ []byte, _ any) error { followed.Store(seq); return nil })
	}()
	const n = 2000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= n; i++ {
			_, _, err := l.Append(ctx, rec(i), "", nil)
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	reads := 0
	for {
		last, _ := l.Last(ctx)
		if last >= 10 {
			from := last / 2
			next := from + 1
			err := l.ReadRecords(ctx, from, last, func(seq uint64, r []byte) error {
				if seq != next || string(r) != string(rec(int(seq))) {
					return fmt.Errorf("record %d %q, want %d %q", seq, r, next, rec(int(next)))
				}
				next++
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, last+1, next, "read through record %d", last)
			reads++
		}
		if last == n {
			break
		}
	}
	wg.Wait()
	assert.Positive(t, reads)
	segs, err := s.list(".log")
	require.NoError(t, err)
	assert.Greater(t, len(segs), 3, "the reads crossed segment rotations")
}
