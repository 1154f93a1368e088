package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fuzzRecord is record i of the fuzzed directory (sizes vary, so frames straddle
// sectors and segment limits differently).
func fuzzRecord(i uint64) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("<%d>", i)), 1+int(i*7%23))
}

// FuzzRecover damages a real data directory at random (bit flips, cuts, zeroed
// stretches, overwritten bytes, removed or zeroed files) and recovers it. Recovery never
// panics; when it starts, the state is a snapshot and the records after it, contiguous
// and exactly as appended; a strict start never leaves an intact record on disk beyond
// the state; a lossy start always succeeds, leaves a directory a strict start accepts,
// and appending continues right after the state.
func FuzzRecover(f *testing.F) {
	tmpl := f.TempDir()
	clk := t0
	s, err := Open(Options{Dir: tmpl, Logger: quiet(), Fsync: FsyncNone, SegmentBytes: 400, Now: func() time.Time { return clk }})
	require.NoError(f, err)
	for i := uint64(1); i <= 60; i++ {
		clk = t0.Add(time.Duration(i) * time.Second)
		_, err := s.Append(fuzzRecord(i))
		require.NoError(f, err)
		if i == 25 || i == 45 {
			require.NoError(f, s.WriteSnapshot(i, []byte(fmt.Sprintf("state@%d", i))))
		}
	}
	require.NoError(f, s.Close())
	names, err := filepath.Glob(filepath.Join(tmpl, "*"))
	require.NoError(f, err)
	files := map[string][]byte{}
	for _, p := range names {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		files[filepath.Base(p)] = b
	}
	var order []string
	for _, p := range names {
		order = append(order, filepath.Base(p))
	}

	// Seeds: each kind of damage, and the tricky ones aimed at the last segment: a bit
	// flip making its first record's length larger (it then reads as cut short, like a
	// torn write, but intact records follow) and a cut inside its last record.
	lastSeg := byte(0)
	for i, n := range order {
		if filepath.Ext(n) == ".log" {
			lastSeg = byte(i)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 3, 40, 0, 1})  // a bit flip
	f.Add([]byte{1, 9, 200, 0, 0}) // a cut
	f.Add([]byte{3, 2, 0, 0, 0})   // a file removed
	f.Add([]byte{5, 4, 0, 0, 0, 0, 1, 2, 0, 0})
	f.Add([]byte{2, 8, 10, 1, 0, 3, 10, 0, 0, 0})
	f.Add([]byte{0, lastSeg, 9, 0, 2})       // length +0x400
	f.Add([]byte{1, lastSeg, 0xff, 0xff, 0}) // a cut near the end
	f.Add([]byte{4, lastSeg, 10, 0, 0x7f})   // length byte overwritten
	f.Fuzz(func(t *testing.T, ops []byte) {
		dir := t.TempDir()
		damaged := map[string][]byte{}
		for n, b := range files {
			damaged[n] = bytes.Clone(b)
		}
		for len(ops) >= 5 {
			op, name, pos, val := ops[0]%6, order[int(ops[1])%len(order)], int(ops[2])|int(ops[3])<<8, ops[4]
			ops = ops[5:]
			b, ok := damaged[name]
			if !ok {
				continue
			}
			if len(b) > 0 {
				pos %= len(b)
			} else {
				pos = 0 // an emptied file: the operations below act on nothing
			}
			switch op {
			case 0:
				if len(b) > 0 {
					b[pos] ^= 1 << (val % 8)
				}
			case 1:
				damaged[name] = b[:pos]
			case 2:
				clear(b[pos:min(len(b), pos+64)])
			case 3:
				delete(damaged, name)
			case 4:
				if len(b) > 0 {
					b[pos] = val
				}
			case 5:
				clear(b)
			}
		}
		for n, b := range damaged {
			require.NoError(t, os.WriteFile(filepath.Join(dir, n), b, 0o600))
		}
		intact := intactMax(t, dir)

		s, err := Open(Options{Dir: dir, Logger: quiet(), ReadOnly: true})
		if err == nil {
			end := checkState(t, s)
			require.GreaterOrEqual(t, end, intact, "a strict start left an intact record beyond its state")
			require.NoError(t, s.Close())
		}
		s, err = Open(Options{Dir: dir, Logger: quiet(), RecoverLossy: true, Fsync: FsyncNone})
		require.NoError(t, err, "lossy recovery must start")
		end := checkState(t, s)
		seq, err := s.Append([]byte("next"))
		require.NoError(t, err)
		require.Equal(t, end+1, seq)
		require.NoError(t, s.Close())
		s, err = Open(Options{Dir: dir, Logger: quiet()})
		require.NoError(t, err, "after a lossy start the directory must be consistent")
		base, err := s.LoadSnapshot(func(uint64, []byte) error { return nil })
		require.NoError(t, err)
		last := base
		require.NoError(t, s.Replay(base, func(seq uint64, r []byte) error {
			require.Equal(t, last+1, seq)
			last = seq
			return nil
		}))
		require.Equal(t, end+1, last)
		require.NoError(t, s.Close())
	})
}

// checkState loads the store's snapshot and replays the log after it, checking both are
// what was written and the replay is contiguous; it returns the state's last record.
func checkState(t *testing.T, s *Store) uint64 {
	t.Helper()
	base, err := s.LoadSnapshot(func(seq uint64, p []byte) error {
		require.Equal(t, fmt.Sprintf("state@%d", seq), string(p))
		return nil
	})
	require.NoError(t, err)
	last := base
	require.NoError(t, s.Replay(base, func(seq uint64, r []byte) error {
		require.Equal(t, last+1, seq, "replay not contiguous")
		require.Equal(t, fuzzRecord(seq), r)
		last = seq
		return nil
	}))
	require.Equal(t, s.LastSeq(), last)
	return last
}

// intactMax returns the highest record found intact anywhere in the directory's
// segments, by trying a version 2 frame at every offset (a search of its own, not the
// store's scanner).
func intactMax(t *testing.T, dir string) uint64 {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	tab := crc32.MakeTable(crc32.Castagnoli)
	var top uint64
	for _, p := range segs {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		for off := 0; off+24 <= len(b); off++ {
			n := int(binary.LittleEndian.Uint32(b[off:]))
			if n > len(b) || off+24+n > len(b) {
				continue
			}
			if crc32.Checksum(b[off+8:off+24+n], tab) != binary.LittleEndian.Uint32(b[off+4:]) {
				continue
			}
			seq := binary.LittleEndian.Uint64(b[off+8:])
			if seq >= 1 && seq <= 60 && bytes.Equal(b[off+24:off+24+n], fuzzRecord(seq)) {
				top = max(top, seq)
			}
		}
	}
	return top
}
