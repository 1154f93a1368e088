package store

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func open(t *testing.T, dir string, p Policy, seg int64) *Store {
	t.Helper()
	var logs bytes.Buffer
	s, err := Open(Options{Dir: dir, Fsync: p, SegmentBytes: seg, FsyncInterval: 2 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	return s
}

func records(t *testing.T, s *Store, after uint64) []string {
	t.Helper()
	var out []string
	require.NoError(t, s.Replay(after, func(seq uint64, rec []byte) error {
		out = append(out, fmt.Sprintf("%d:%s", seq, rec))
		return nil
	}))
	return out
}

func rec(i int) []byte { return []byte(fmt.Sprintf("record-%03d", i)) }

// Records appended under every policy are durable and replayed after a reopen, across
// segments.
func TestAppendReopenReplay(t *testing.T) {
	for _, p := range []Policy{FsyncAlways, FsyncInterval, FsyncNone} {
		t.Run(p.String(), func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, p, 200)
			var want []string
			for i := 1; i <= 50; i++ {
				seq, err := s.AppendDurable(rec(i))
				require.NoError(t, err)
				require.Equal(t, uint64(i), seq)
				want = append(want, fmt.Sprintf("%d:%s", i, rec(i)))
			}
			require.NoError(t, s.Close())
			s = open(t, dir, p, 200)
			defer s.Close()
			require.Equal(t, want, records(t, s, 0))
			require.Equal(t, want[20:], records(t, s, 20))
			segs, _ := s.list(".log")
			require.Greater(t, len(segs), 3)
			seq, err := s.AppendDurable(rec(51))
			require.NoError(t, err)
			require.Equal(t, uint64(51), seq)
		})
	}
}

// A record cut short at the end of the log is truncated with a warning, and appending
// resumes after the last good record.
func TestTornWriteTruncated(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, FsyncAlways, 1<<20)
	for i := 1; i <= 10; i++ {
		_, err := s.AppendDurable(rec(i))
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	require.Len(t, segs, 1)
	st, _ := os.Stat(segs[0])
	require.NoError(t, os.Truncate(segs[0], st.Size()-5)) // mid-record
	var logs bytes.Buffer
	s, err := Open(Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	require.Contains(t, logs.String(), "torn write")
	got := records(t, s, 0)
	require.Len(t, got, 9)
	seq, err := s.AppendDurable(rec(99))
	require.NoError(t, err)
	require.Equal(t, uint64(10), seq)
	require.NoError(t, s.Close())
	s = open(t, dir, FsyncAlways, 1<<20)
	defer s.Close()
	require.Equal(t, "10:record-099", records(t, s, 0)[9])
}

// A damaged record followed by good ones, or in an earlier segment, is refused.
func TestCorruptionRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, FsyncAlways, 100)
	for i := 1; i <= 20; i++ {
		_, err := s.AppendDurable(rec(i))
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	b, _ := os.ReadFile(segs[0])
	b[segHeader+frameHeadV2+2] ^= 0xff // the first record's payload
	require.NoError(t, os.WriteFile(segs[0], b, 0o644))
	_, err := Open(Options{Dir: dir})
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "checksum mismatch")
	require.ErrorContains(t, err, segs[0])
}

// Snapshots: the newest valid one is loaded, a damaged one falls back to the older one,
// retention removes old snapshots and the segments they cover.
func TestSnapshots(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, FsyncAlways, 100)
	for i := 1; i <= 30; i++ {
		_, err := s.AppendDurable(rec(i))
		require.NoError(t, err)
		if i%10 == 0 {
			require.NoError(t, s.WriteSnapshot(uint64(i), []byte(fmt.Sprintf("state@%d", i))))
		}
	}
	snaps, err := s.Snapshots()
	require.NoError(t, err)
	require.Equal(t, []uint64{20, 30}, snaps)
	segs, _ := s.list(".log")
	require.LessOrEqual(t, segs[0].first, uint64(21))
	require.Greater(t, segs[0].first, uint64(1), "covered segments removed")
	require.NoError(t, s.Close())

	s = open(t, dir, FsyncAlways, 100)
	var got string
	seq, err := s.LoadSnapshot(func(seq uint64, p []byte) error { got = string(p); return nil })
	require.NoError(t, err)
	require.Equal(t, uint64(30), seq)
	require.Equal(t, "state@30", got)
	require.NoError(t, s.Close())

	// Damage the newest: fall back to 20 and replay 21…30.
	p := filepath.Join(dir, fmt.Sprintf("%020d.snap", 30))
	b, _ := os.ReadFile(p)
	b[30] ^= 1
	require.NoError(t, os.WriteFile(p, b, 0o644))
	var logs bytes.Buffer
	s, err = Open(Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer s.Close()
	seq, err = s.LoadSnapshot(func(seq uint64, p []byte) error { got = string(p); return nil })
	require.NoError(t, err)
	require.Equal(t, uint64(20), seq)
	require.Equal(t, "state@20", got)
	require.Contains(t, logs.String(), "checksum mismatch")
	require.Len(t, records(t, s, 20), 10)
	// A payload the loader refuses falls back too.
	seq, err = s.LoadSnapshot(func(seq uint64, p []byte) error { return io.ErrUnexpectedEOF })
	require.Error(t, err, "no snapshot usable and the log was cut")
	require.Equal(t, uint64(0), seq)
}
