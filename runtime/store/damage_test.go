package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// t0 is the wall time of record 0 in the damage tests; record i is appended at t0+i s.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func at(i uint64) string { return stamp(t0.Add(time.Duration(i) * time.Second)) }

// fixture is a data directory built for a damage test.
type fixture struct {
	dir  string
	logs *bytes.Buffer
	clk  time.Time
}

// build appends records 1…n (record i appended at t0+i s), with segments of about seg
// bytes, taking a snapshot ("state@N") after each record listed in snaps.
func build(t *testing.T, n int, seg int64, keep int, snaps ...int) *fixture {
	t.Helper()
	fx := &fixture{dir: t.TempDir()}
	s := fx.open(t, Options{SegmentBytes: seg, KeepSnapshots: keep})
	fx.append(t, s, 1, n, snaps...)
	require.NoError(t, s.Close())
	return fx
}

func (fx *fixture) append(t *testing.T, s *Store, from, to int, snaps ...int) {
	t.Helper()
	for i := from; i <= to; i++ {
		fx.clk = t0.Add(time.Duration(i) * time.Second)
		seq, err := s.AppendDurable(rec(i))
		require.NoError(t, err)
		require.Equal(t, uint64(i), seq)
		for _, k := range snaps {
			if k == i {
				require.NoError(t, s.WriteSnapshot(uint64(i), []byte(fmt.Sprintf("state@%d", i))))
			}
		}
	}
}

// open opens the fixture's directory with opts (Dir, Logger and Now set).
func (fx *fixture) open(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := fx.try(opts)
	require.NoError(t, err)
	return s
}

func (fx *fixture) try(opts Options) (*Store, error) {
	fx.logs = &bytes.Buffer{}
	opts.Dir = fx.dir
	opts.Logger = slog.New(slog.NewTextHandler(fx.logs, nil))
	opts.Now = func() time.Time { return fx.clk }
	return Open(opts)
}

// segFiles returns the log segments, in order.
func (fx *fixture) segFiles(t *testing.T) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(fx.dir, "*.log"))
	require.NoError(t, err)
	return segs // Glob sorts, and the names are zero-padded
}

// frameAt is a record's frame in a segment, found by a parser of its own.
type frameAt struct {
	off, size int
	seq       uint64
}

// frames parses a version 2 segment's frames (stopping at a seal or at anything else).
func frames(t *testing.T, path string) []frameAt {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "SKLOG\x00\x00\x02", string(b[:8]))
	var out []frameAt
	for off := 8; off+24 <= len(b); {
		n := binary.LittleEndian.Uint32(b[off:])
		if n == 0xFFFFFFFF || off+24+int(n) > len(b) {
			break
		}
		out = append(out, frameAt{off: off, size: 24 + int(n), seq: binary.LittleEndian.Uint64(b[off+8:])})
		off += 24 + int(n)
	}
	return out
}

// find returns the segment and frame of record seq.
func (fx *fixture) find(t *testing.T, seq uint64) (string, frameAt) {
	t.Helper()
	for _, p := range fx.segFiles(t) {
		for _, f := range frames(t, p) {
			if f.seq == seq {
				return p, f
			}
		}
	}
	t.Fatalf("record %d not found", seq)
	return "", frameAt{}
}

func flip(t *testing.T, path string, off int) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[off] ^= 0x10
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// recover loads the snapshot the store offers and replays the log after it, checking
// that every record is the one appended; it returns the snapshot and the records.
func recovered(t *testing.T, s *Store) (uint64, []uint64) {
	t.Helper()
	base, err := s.LoadSnapshot(func(seq uint64, p []byte) error {
		require.Equal(t, fmt.Sprintf("state@%d", seq), string(p))
		return nil
	})
	require.NoError(t, err)
	var got []uint64
	require.NoError(t, s.Replay(base, func(seq uint64, r []byte) error {
		require.Equal(t, string(rec(int(seq))), string(r))
		got = append(got, seq)
		return nil
	}))
	return base, got
}

func seqs(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// lossError opens fx strictly and returns the *LossError it must fail with.
func (fx *fixture) lossError(t *testing.T) *LossError {
	t.Helper()
	_, err := fx.try(Options{})
	require.Error(t, err)
	require.ErrorIs(t, err, ErrCorrupt)
	var le *LossError
	require.True(t, errors.As(err, &le), "%v", err)
	return le
}

// A torn write at the end of the log is cut off with a warning, whatever form it takes;
// appending resumes after the last complete record.
func TestTornTail(t *testing.T) {
	cases := []struct {
		name string
		tear func(t *testing.T, fx *fixture, path string, last frameAt)
	}{
		{"record cut short", func(t *testing.T, fx *fixture, path string, last frameAt) {
			require.NoError(t, os.Truncate(path, int64(last.off+last.size-5)))
		}},
		{"header cut short", func(t *testing.T, fx *fixture, path string, last frameAt) {
			require.NoError(t, os.Truncate(path, int64(last.off+10)))
		}},
		{"complete record ending in zero sectors", func(t *testing.T, fx *fixture, path string, last frameAt) {
			b, _ := os.ReadFile(path)
			k := (last.off + 24 + 100 + sectorSize - 1) / sectorSize * sectorSize // a sector boundary inside the record
			require.Less(t, k, last.off+last.size)
			clear(b[k:])
			require.NoError(t, os.WriteFile(path, b, 0o600))
		}},
		{"zero tail beyond the record", func(t *testing.T, fx *fixture, path string, last frameAt) {
			require.NoError(t, os.Truncate(path, int64(last.off))) // the last record never made it
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write(make([]byte, 3000))
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := &fixture{dir: t.TempDir()}
			s := fx.open(t, Options{})
			fx.append(t, s, 1, 9)
			fx.clk = t0.Add(10 * time.Second)
			_, err := s.AppendDurable(bytes.Repeat([]byte("x"), 2000)) // record 10 spans sectors
			require.NoError(t, err)
			require.NoError(t, s.Close())
			path, last := fx.find(t, 10)
			c.tear(t, fx, path, last)

			s = fx.open(t, Options{})
			require.Contains(t, fx.logs.String(), "torn write")
			_, got := recovered(t, s)
			require.Equal(t, seqs(1, 9), got)
			fx.append(t, s, 10, 11)
			require.NoError(t, s.Close())
			s = fx.open(t, Options{})
			defer s.Close()
			_, got = recovered(t, s)
			require.Equal(t, seqs(1, 11), got)
			require.NotContains(t, fx.logs.String(), "torn")
		})
	}
}

// A torn segment header (a crash while the segment was being created) is written again
// and fsynced; the log continues in it.
func TestTornHeader(t *testing.T) {
	fx := build(t, 5, 1<<20, 0)
	next := filepath.Join(fx.dir, segName(6))
	require.NoError(t, os.WriteFile(next, []byte("SKL"), 0o600))
	s := fx.open(t, Options{})
	require.Contains(t, fx.logs.String(), "header was torn")
	b, err := os.ReadFile(next)
	require.NoError(t, err)
	require.Equal(t, "SKLOG\x00\x00\x02", string(b))
	fx.append(t, s, 6, 7)
	require.NoError(t, s.Close())
	s = fx.open(t, Options{})
	defer s.Close()
	_, got := recovered(t, s)
	require.Equal(t, seqs(1, 7), got)
}

// A bit flip in the complete last record is damage, not a torn write: refused, naming
// the record, the file and offset and when it was appended; lossy recovery drops it
// and keeps the bytes cut.
func TestBitFlipLastRecord(t *testing.T) {
	fx := build(t, 10, 1<<20, 0)
	path, last := fx.find(t, 10)
	flip(t, path, last.off+24+3)

	le := fx.lossError(t)
	require.Len(t, le.Lost, 1)
	l := le.Lost[0]
	require.Equal(t, uint64(10), l.First)
	require.Equal(t, uint64(0), l.Last, "how far the unreadable tail went is unknown")
	require.False(t, l.Intact)
	msg := le.Error()
	require.Contains(t, msg, fmt.Sprintf("%s from offset %d (%d bytes) cannot be read (checksum mismatch)", path, last.off, last.size))
	require.Contains(t, msg, "appended after "+at(9))
	require.Contains(t, msg, "the consistent state ends at record 9")
	require.Equal(t, uint64(9), le.End)

	s := fx.open(t, Options{RecoverLossy: true})
	_, got := recovered(t, s)
	require.Equal(t, seqs(1, 9), got)
	rec := s.Recovery()
	require.Len(t, rec.Dropped, 1)
	kept, err := os.ReadFile(filepath.Join(rec.LostDir, filepath.Base(path)+".from-"+fmt.Sprint(last.off)))
	require.NoError(t, err)
	require.Len(t, kept, last.size, "the cut bytes are kept")
	require.Contains(t, fx.logs.String(), "dropped record")
	fx.append(t, s, 10, 10)
	require.NoError(t, s.Close())
	s = fx.open(t, Options{})
	defer s.Close()
	_, got = recovered(t, s)
	require.Equal(t, seqs(1, 10), got)
}

// A bit flip in the middle of the log: the damaged record is lost, and the records after
// it are intact but cannot be applied; refused with both named, or lossy from before it.
// The same damage where a snapshot covers it loses nothing.
func TestBitFlipMidLog(t *testing.T) {
	fx := build(t, 40, 300, 0)
	path, f := fx.find(t, 17)
	flip(t, path, f.off+24+1)

	le := fx.lossError(t)
	require.Len(t, le.Lost, 2, "%v", le)
	require.Equal(t, Loss{First: 17, Last: 17, From: t0.Add(16 * time.Second), To: t0.Add(18 * time.Second),
		What: fmt.Sprintf("%s is damaged at offset %d (%d bytes): checksum mismatch", path, f.off, f.size)}, le.Lost[0])
	require.Equal(t, uint64(18), le.Lost[1].First)
	require.Equal(t, uint64(40), le.Lost[1].Last)
	require.True(t, le.Lost[1].Intact)
	require.Contains(t, le.Error(), fmt.Sprintf("record 17 are lost: %s is damaged", path))
	require.Contains(t, le.Error(), "records 18–40 (23) are intact but follow missing records")
	require.Contains(t, le.Error(), "(appended between "+at(16)+" and "+at(18)+")")

	segsBefore := fx.segFiles(t)
	s := fx.open(t, Options{RecoverLossy: true})
	_, got := recovered(t, s)
	require.Equal(t, seqs(1, 16), got)
	moved, _ := filepath.Glob(filepath.Join(s.Recovery().LostDir, "*.log"))
	require.NotEmpty(t, moved)
	require.Equal(t, len(segsBefore), len(fx.segFiles(t))+len(moved))
	require.NoError(t, s.Close())

	// Covered by a snapshot: nothing lost, a warning.
	fx = build(t, 40, 300, 2, 5, 20)
	path, f = fx.find(t, 17)
	flip(t, path, f.off+24+1)
	s = fx.open(t, Options{})
	defer s.Close()
	base, got := recovered(t, s)
	require.Equal(t, uint64(20), base)
	require.Equal(t, seqs(21, 40), got)
	require.Contains(t, fx.logs.String(), "damage in the log that loses nothing")
	// Replaying from before the damage is refused, not silently skipped.
	err := s.Replay(10, func(uint64, []byte) error { return nil })
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "records 17–17 are missing")
}

// A missing segment in the middle: the records it held are named from the neighbours'
// numbers; a missing last segment is found through its predecessor's seal.
func TestMissingSegment(t *testing.T) {
	fx := build(t, 40, 300, 0)
	segs := fx.segFiles(t)
	require.Greater(t, len(segs), 4)
	gone := frames(t, segs[2])
	require.NoError(t, os.Remove(segs[2]))
	first, last := gone[0].seq, gone[len(gone)-1].seq
	le := fx.lossError(t)
	require.Equal(t, first, le.Lost[0].First)
	require.Equal(t, last, le.Lost[0].Last)
	require.Equal(t, t0.Add(time.Duration(first-1)*time.Second), le.Lost[0].From)
	require.Equal(t, t0.Add(time.Duration(last+1)*time.Second), le.Lost[0].To)
	require.Equal(t, segs[1]+" says the log continues in "+filepath.Base(segs[2])+", which is missing", le.Lost[0].What)
	require.Equal(t, Loss{First: last + 1, Last: 40, From: t0.Add(time.Duration(last+1) * time.Second), To: t0.Add(40 * time.Second),
		Intact: true, What: "in " + strings.Join(segs[3:], ", ")}, le.Lost[1])
	s := fx.open(t, Options{RecoverLossy: true})
	_, got := recovered(t, s)
	require.Equal(t, seqs(1, first-1), got)
	require.NoError(t, s.Close())

	// The newest segment removed: its predecessor's seal says it existed.
	fx = build(t, 40, 300, 0)
	segs = fx.segFiles(t)
	lastFirst := frames(t, segs[len(segs)-1])[0].seq
	require.NoError(t, os.Remove(segs[len(segs)-1]))
	le = fx.lossError(t)
	require.Len(t, le.Lost, 1)
	require.Equal(t, Loss{First: lastFirst, From: t0.Add(time.Duration(lastFirst-1) * time.Second),
		What: fmt.Sprintf("%s says the log continues in %s, which is missing; how many records it held is unknown", segs[len(segs)-2], segName(lastFirst))}, le.Lost[0])
	require.Contains(t, le.Error(), fmt.Sprintf("records from %d on are lost", lastFirst))
}

// A zeroed segment (every byte zero, the size kept) is not a torn write, in the middle
// or at the end of the log.
func TestZeroedSegment(t *testing.T) {
	for _, which := range []string{"middle", "last"} {
		t.Run(which, func(t *testing.T) {
			fx := build(t, 40, 300, 0)
			segs := fx.segFiles(t)
			i := 2
			if which == "last" {
				i = len(segs) - 1
			}
			fr := frames(t, segs[i])
			st, err := os.Stat(segs[i])
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(segs[i], make([]byte, st.Size()), 0o600))
			le := fx.lossError(t)
			require.Equal(t, fr[0].seq, le.Lost[0].First)
			require.Contains(t, le.Lost[0].What, "reads as zero bytes")
			if which == "middle" {
				require.Equal(t, fr[len(fr)-1].seq, le.Lost[0].Last)
				require.True(t, le.Lost[1].Intact)
			} else {
				require.Equal(t, uint64(0), le.Lost[0].Last)
			}
			s := fx.open(t, Options{RecoverLossy: true})
			defer s.Close()
			_, got := recovered(t, s)
			require.Equal(t, seqs(1, fr[0].seq-1), got)
		})
	}
}

// Double damage: the log's tail is lost but the newest snapshot covers it (the store
// starts from the snapshot and the log continues after it); later that snapshot is
// damaged. The older snapshot's log has a gap: refused, never replayed across it.
func TestGapAcrossDamagedSnapshot(t *testing.T) {
	fx := build(t, 30, 300, 2, 20, 30)
	// The log's tail (records 26…30) is lost.
	path, f := fx.find(t, 26)
	require.NoError(t, os.Truncate(path, int64(f.off)))
	for _, p := range fx.segFiles(t) {
		if frs := frames(t, p); len(frs) > 0 && frs[0].seq > 26 {
			require.NoError(t, os.Remove(p))
		}
	}
	s := fx.open(t, Options{})
	require.Contains(t, fx.logs.String(), "the log ends before the newest snapshot")
	base, got := recovered(t, s)
	require.Equal(t, uint64(30), base)
	require.Empty(t, got)
	fx.append(t, s, 31, 40)
	require.NoError(t, s.Close())

	// Now snapshot 30 is damaged.
	snap30 := filepath.Join(fx.dir, fmt.Sprintf("%020d.snap", 30))
	flip(t, snap30, 30)
	le := fx.lossError(t)
	require.Equal(t, uint64(20), le.Base)
	require.Equal(t, uint64(25), le.End)
	require.Len(t, le.Lost, 2, "%v", le)
	require.Equal(t, uint64(26), le.Lost[0].First)
	require.Equal(t, uint64(30), le.Lost[0].Last)
	require.Contains(t, le.Lost[0].What, "only the damaged snapshot "+snap30+" covered them")
	require.Equal(t, t0.Add(25*time.Second), le.Lost[0].From)
	require.Equal(t, t0.Add(31*time.Second), le.Lost[0].To)
	require.Equal(t, uint64(31), le.Lost[1].First)
	require.Equal(t, uint64(40), le.Lost[1].Last)
	require.True(t, le.Lost[1].Intact)

	s = fx.open(t, Options{RecoverLossy: true})
	base, got = recovered(t, s)
	require.Equal(t, uint64(20), base)
	require.Equal(t, seqs(21, 25), got)
	_, err := os.Stat(snap30)
	require.ErrorIs(t, err, os.ErrNotExist, "the damaged snapshot is moved aside")
	fx.append(t, s, 26, 27)
	require.NoError(t, s.Close())
	s = fx.open(t, Options{})
	defer s.Close()
	base, got = recovered(t, s)
	require.Equal(t, uint64(20), base)
	require.Equal(t, seqs(21, 27), got)
}

// A segment holding records an earlier one holds too is refused.
func TestOverlappingSegment(t *testing.T) {
	fx := build(t, 40, 300, 0)
	segs := fx.segFiles(t)
	b, err := os.ReadFile(segs[1])
	require.NoError(t, err)
	// The same bytes under a name that says it starts a record earlier than it does.
	fr := frames(t, segs[1])
	require.NoError(t, os.WriteFile(filepath.Join(fx.dir, segName(fr[0].seq+1)), b, 0o600))
	le := fx.lossError(t)
	require.Contains(t, le.Error(), "records an earlier segment holds too")
}

// Version 1 segments (no append times) are still read, and the log continues in a
// version 2 segment.
func TestVersion1(t *testing.T) {
	dir := t.TempDir()
	b := []byte("SKLOG\x00\x00\x01")
	for i := 1; i <= 5; i++ {
		r := rec(i)
		fr := binary.LittleEndian.AppendUint32(nil, uint32(len(r)))
		fr = binary.LittleEndian.AppendUint32(fr, 0)
		fr = binary.LittleEndian.AppendUint64(fr, uint64(i))
		fr = append(fr, r...)
		binary.LittleEndian.PutUint32(fr[4:], crc32c(fr[8:]))
		b = append(b, fr...)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, segName(1)), b, 0o644))
	fx := &fixture{dir: dir}
	s := fx.open(t, Options{})
	_, got := recovered(t, s)
	require.Equal(t, seqs(1, 5), got)
	fx.append(t, s, 6, 7)
	require.NoError(t, s.Close())
	segs := fx.segFiles(t)
	require.Equal(t, []string{filepath.Join(dir, segName(1)), filepath.Join(dir, segName(6))}, segs)
	s = fx.open(t, Options{})
	_, got = recovered(t, s)
	require.Equal(t, seqs(1, 7), got)
	require.NoError(t, s.Close())

	// Damage in version 1: no times.
	flip(t, segs[0], 8+2*26+16+2) // record 3's payload (frames of 16+10 bytes)
	le := fx.lossError(t)
	require.Equal(t, uint64(3), le.Lost[0].First)
	require.True(t, le.Lost[0].From.IsZero())
	require.NotContains(t, le.Lost[0].String(), "appended between")
}

// Files are created 0600, the directory 0700.
func TestPermissions(t *testing.T) {
	fx := &fixture{dir: filepath.Join(t.TempDir(), "data")}
	s := fx.open(t, Options{SegmentBytes: 100})
	fx.append(t, s, 1, 10, 5)
	require.NoError(t, s.Close())
	st, err := os.Stat(fx.dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	files, _ := filepath.Glob(filepath.Join(fx.dir, "*"))
	require.NotEmpty(t, files)
	for _, p := range files {
		st, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), p)
	}
}

// The fixture's segments end with a seal naming the next one; the last one has none.
func TestSeals(t *testing.T) {
	fx := build(t, 20, 200, 0)
	segs := fx.segFiles(t)
	require.Greater(t, len(segs), 2)
	for i, p := range segs {
		sc, err := scan(segment{first: frames(t, p)[0].seq, path: p}, i == len(segs)-1, nil)
		require.NoError(t, err)
		if i < len(segs)-1 {
			require.Equal(t, frames(t, segs[i+1])[0].seq, sc.sealed)
		} else {
			require.Zero(t, sc.sealed)
		}
		require.Empty(t, sc.damage)
	}
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }

// An empty version 1 segment after the last record (a crash right after it was created
// by an older statkit) is replaced by a version 2 one of the same name.
func TestEmptyV1LastSegment(t *testing.T) {
	fx := build(t, 5, 1<<20, 0)
	require.NoError(t, os.WriteFile(filepath.Join(fx.dir, segName(6)), []byte("SKLOG\x00\x00\x01"), 0o600))
	s := fx.open(t, Options{})
	fx.append(t, s, 6, 8)
	require.Len(t, s.segs, 2)
	require.NoError(t, s.Close())
	s = fx.open(t, Options{})
	defer s.Close()
	_, got := recovered(t, s)
	require.Equal(t, seqs(1, 8), got)
	require.Len(t, frames(t, filepath.Join(fx.dir, segName(6))), 3)
}
