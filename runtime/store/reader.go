package store

import (
	"fmt"
	"os"
)

// Reader reads a data directory without changing it — no recovery, no truncation, no
// lock — so that `statkit replay --log` can read the directory of a server that is
// running. A record being written at the end of the log is not read.
type Reader struct {
	dir   string
	segs  []segment
	snaps []segment
}

// OpenReader lists the segments and snapshots of data directory dir.
func OpenReader(dir string) (*Reader, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{opts: Options{Dir: dir}}
	segs, err := s.list(".log")
	if err != nil {
		return nil, err
	}
	snaps, err := s.list(".snap")
	if err != nil {
		return nil, err
	}
	return &Reader{dir: dir, segs: segs, snaps: snaps}, nil
}

// First returns the number of the first record the log holds (0 when it holds none).
func (r *Reader) First() uint64 {
	if len(r.segs) == 0 {
		return 0
	}
	return r.segs[0].first
}

// Snapshots returns the record numbers of the snapshots, oldest first.
func (r *Reader) Snapshots() []uint64 {
	out := make([]uint64, len(r.snaps))
	for i, sn := range r.snaps {
		out[i] = sn.first
	}
	return out
}

// Snapshot returns the payload of the snapshot covering the log up to record seq.
func (r *Reader) Snapshot(seq uint64) ([]byte, error) {
	for _, sn := range r.snaps {
		if sn.first == seq {
			return readSnapshot(sn)
		}
	}
	return nil, fmt.Errorf("store: no snapshot %d in %s", seq, r.dir)
}

// Records calls fn for every record after record after, in order, to the end of the log.
// Damage at the very end (a record cut short: being written, or torn) ends the log;
// damage before it, or a gap in the numbers, is an error wrapping ErrCorrupt.
func (r *Reader) Records(after uint64, fn func(seq uint64, rec []byte) error) error {
	if len(r.segs) > 0 && r.segs[0].first > after+1 {
		return fmt.Errorf("%w: the log starts at record %d; records %d… are gone", ErrCorrupt, r.segs[0].first, after+1)
	}
	next := after + 1
	for i, sg := range r.segs {
		if i+1 < len(r.segs) && r.segs[i+1].first <= next {
			continue // holds only records up to after
		}
		sc, err := scan(sg, i == len(r.segs)-1, func(seq uint64, _ int64, rec []byte) error {
			if seq < next {
				return nil
			}
			if seq != next {
				return fmt.Errorf("%w: %s: record %d follows record %d: records %d–%d are missing", ErrCorrupt, sg.path, seq, next-1, next, seq-1)
			}
			next++
			return fn(seq, rec)
		})
		if err != nil {
			return err
		}
		for _, d := range sc.damage {
			if d.seq >= next || d.next >= next {
				return fmt.Errorf("%w: %s at offset %d (record %d): %s", ErrCorrupt, sg.path, d.off, d.seq, d.why)
			}
		}
	}
	return nil
}
