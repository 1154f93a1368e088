package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// follow collects what Follow delivers after `after` until n records came.
func follow(t *testing.T, l interface {
	Follow(context.Context, uint64, func(uint64, []byte, any) error) error
}, after uint64, n int) []Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []Entry
	stop := errors.New("enough")
	err := l.Follow(ctx, after, func(seq uint64, rec []byte, local any) error {
		got = append(got, Entry{Seq: seq, Rec: append([]byte(nil), rec...), Local: local})
		if len(got) == n {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	return got
}

// Many goroutines append at once: every Append returns a distinct number once durable,
// the numbers are gap-free, Follow delivers the records in number order with what their
// appender attached, fewer fsync groups than records were written, and a reopened store
// replays exactly the same records.
func TestLogGroupCommit(t *testing.T) {
	for _, policy := range []Policy{FsyncAlways, FsyncInterval, FsyncNone} {
		t.Run(policy.String(), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(Options{Dir: dir, Fsync: policy, FsyncInterval: 2 * time.Millisecond, SegmentBytes: 4096, Logger: quiet()})
			require.NoError(t, err)
			l, err := NewLog(s)
			require.NoError(t, err)
			var writes int
			var mu sync.Mutex
			l.write = func(f file, b []byte) (int, error) {
				mu.Lock()
				writes++
				mu.Unlock()
				return f.Write(b)
			}
			const goroutines, each = 16, 40
			seqs := make(chan uint64, goroutines*each)
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						rec := []byte(fmt.Sprintf("g%d-%d", g, i))
						seq, dup, err := l.Append(context.Background(), rec, "", string(rec))
						assert.NoError(t, err)
						assert.False(t, dup)
						seqs <- seq
					}
				}()
			}
			wg.Wait()
			close(seqs)
			seen := map[uint64]bool{}
			for s := range seqs {
				assert.False(t, seen[s], "record number %d given twice", s)
				seen[s] = true
			}
			got := follow(t, l, 0, goroutines*each)
			for i, e := range got {
				require.Equal(t, uint64(i+1), e.Seq)
				require.Equal(t, string(e.Rec), e.Local, "the attachment travels with its record")
			}
			last, _ := l.Last(context.Background())
			assert.Equal(t, uint64(goroutines*each), last)
			assert.Less(t, writes, goroutines*each, "appends were grouped")
			require.NoError(t, l.Close())
			require.NoError(t, s.Close())
			segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
			assert.Greater(t, len(segs), 1, "segments rotate")

			s, err = Open(Options{Dir: dir, Fsync: policy, Logger: quiet()})
			require.NoError(t, err)
			defer s.Close()
			l, err = NewLog(s)
			require.NoError(t, err)
			defer l.Close()
			again := follow(t, l, 0, goroutines*each)
			for i := range got {
				require.Equal(t, got[i].Seq, again[i].Seq)
				require.Equal(t, got[i].Rec, again[i].Rec)
				require.Nil(t, again[i].Local, "records from disk carry no attachment")
			}
			// Follow after a point: the disk records after it, then those appended now.
			seq, _, err := l.Append(context.Background(), []byte("new"), "", "n")
			require.NoError(t, err)
			tail := follow(t, l, uint64(goroutines*each-2), 3)
			assert.Equal(t, []uint64{goroutines*each - 1, goroutines * each, seq}, []uint64{tail[0].Seq, tail[1].Seq, tail[2].Seq})
			assert.Equal(t, "n", tail[2].Local)
		})
	}
}

// A write that fails fails the log for good: that Append and every later one return the
// error, Err says it, nothing of the failed group is delivered, and a restart finds
// exactly the records acknowledged before.
func TestLogFailStop(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Logger: quiet()})
	require.NoError(t, err)
	l, err := NewLog(s)
	require.NoError(t, err)
	for i := range 3 {
		_, _, err := l.Append(context.Background(), []byte{byte('a' + i)}, "", nil)
		require.NoError(t, err)
	}
	disk := errors.New("no space left on device")
	l.write = func(file, []byte) (int, error) { return 0, disk }
	_, _, err = l.Append(context.Background(), []byte("d"), "", nil)
	require.ErrorIs(t, err, disk)
	require.ErrorIs(t, l.Err(), disk)
	_, _, err = l.Append(context.Background(), []byte("e"), "", nil)
	require.ErrorIs(t, err, disk)
	got := follow(t, l, 0, 3)
	assert.Len(t, got, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = l.Follow(ctx, 3, func(uint64, []byte, any) error { t.Error("a failed record was delivered"); return nil })
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	l.Close()
	s.Close()

	s, err = Open(Options{Dir: dir, Logger: quiet()})
	require.NoError(t, err)
	defer s.Close()
	var recs []string
	require.NoError(t, s.Replay(0, func(_ uint64, rec []byte) error { recs = append(recs, string(rec)); return nil }))
	assert.Equal(t, []string{"a", "b", "c"}, recs)
}

// A durable log refuses a data directory it cannot write.
func TestLogRefusesReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Logger: quiet()})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, os.Chmod(dir, 0o500))
	defer os.Chmod(dir, 0o700)
	_, err = NewLog(s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot be written")
}

// The memory log numbers records, delivers them in order with their attachments, and
// forgets them once delivered.
func TestMemLog(t *testing.T) {
	l := NewMemLog()
	for i := range 5 {
		seq, _, err := l.Append(context.Background(), []byte{byte(i)}, "", i)
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), seq)
	}
	got := follow(t, l, 2, 3)
	assert.Equal(t, []uint64{3, 4, 5}, []uint64{got[0].Seq, got[1].Seq, got[2].Seq})
	assert.Equal(t, 4, got[2].Local)
	last, _ := l.Last(context.Background())
	assert.Equal(t, uint64(5), last)
}

// The reader reads a directory without changing it, and stops at a record being written.
func TestReader(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Logger: quiet()})
	require.NoError(t, err)
	for i := range 4 {
		_, err := s.AppendDurable([]byte{byte('a' + i)})
		require.NoError(t, err)
	}
	require.NoError(t, s.WriteSnapshot(2, []byte("snap")))
	require.NoError(t, s.Close())
	segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte{9, 0, 0, 0, 1, 2}) // half a frame: a record being written
	require.NoError(t, err)
	f.Close()
	before, _ := os.ReadFile(segs[len(segs)-1])

	r, err := OpenReader(dir)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), r.First())
	assert.Equal(t, []uint64{2}, r.Snapshots())
	p, err := r.Snapshot(2)
	require.NoError(t, err)
	assert.Equal(t, "snap", string(p))
	var recs []string
	require.NoError(t, r.Records(1, func(_ uint64, rec []byte) error { recs = append(recs, string(rec)); return nil }))
	assert.Equal(t, []string{"b", "c", "d"}, recs)
	after, _ := os.ReadFile(segs[len(segs)-1])
	assert.Equal(t, before, after, "the reader changed nothing")
}

// Last waits for the records appended so far: an Append whose context ended before its
// group was flushed still gets its record durable, and a caller draining the log (a
// server's shutdown) must see it, not stop one group short.
func TestLastWaitsForAppendsInFlight(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), Fsync: FsyncInterval, FsyncInterval: 300 * time.Millisecond, Logger: quiet()})
	require.NoError(t, err)
	l, err := NewLog(s)
	require.NoError(t, err)
	defer l.Close()
	first, _, err := l.Append(context.Background(), []byte("a"), "", nil) // flushed at once: the interval starts
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, _, err = l.Append(ctx, []byte("b"), "", nil) // waits for the interval: gives up first
	require.ErrorIs(t, err, context.DeadlineExceeded)
	last, err := l.Last(context.Background())
	require.NoError(t, err)
	assert.Equal(t, first+1, last, "the abandoned append's record is durable and counted")
}
