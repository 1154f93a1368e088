package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Retention pin and reads beside the log (history catch-up).
//
// Interval history (runtime/history) re-derives the rows it has not committed by
// restoring a state machine from a snapshot at or before its database's position and
// applying the records after it. The store must therefore keep that snapshot and the
// records after it, however old: SetRetentionPin names the position (a function, read at
// every retention), and retention keeps, besides the newest Options.KeepSnapshots
// snapshots, the newest snapshot at or before the pin, and every segment with a record
// after it. When no snapshot is at or before the pin, every segment is kept (the log read
// from its first record is the only way back) and so is the oldest snapshot: the pin only
// moves forward, and once past it that snapshot is the way back — a pin of 0 is a position
// not known yet (history's database not connected at start), and dropping the snapshot
// the database's real position needs would lose the rows after it. ReadSnapshot and
// ReadRecords read the snapshots and the records while the Log appends and follows.

// ErrTrimmed is wrapped by the errors of reads that need records retention removed.
var ErrTrimmed = errors.New("store: the log no longer holds the records asked for")

// SetRetentionPin makes retention keep what re-deriving state from record pin() needs
// (see above). pin is called at every retention, on the goroutine writing the snapshot;
// it must not block. Nil removes the pin.
func (s *Store) SetRetentionPin(pin func() uint64) {
	s.mu.Lock()
	s.pin = pin
	s.mu.Unlock()
}

// retention returns which of snaps (oldest first) retention removes, and the last record
// the oldest kept snapshot covers, up to which segments may be removed (0: none may).
func (s *Store) retention(snaps []segment) (drop []segment, covered uint64) {
	s.mu.Lock()
	pin := s.pin
	s.mu.Unlock()
	return retained(snaps, s.opts.KeepSnapshots, pin)
}

// retained implements retention: the newest keep snapshots, and the newest at or before
// pin() when pin is set — the oldest when none is (see above).
func retained(snaps []segment, keep int, pin func() uint64) (drop []segment, covered uint64) {
	if len(snaps) == 0 {
		return nil, 0
	}
	from := max(len(snaps)-keep, 0) // snaps[from:] are the newest keep
	pinned := -1
	if pin != nil {
		p := pin()
		for i := len(snaps) - 1; i >= 0; i-- {
			if snaps[i].first <= p {
				pinned = i
				break
			}
		}
		if pinned < 0 {
			// No snapshot at or before the pin: only the log from its start gets there, and
			// the oldest snapshot once the pin has moved past it.
			if from == 0 {
				return nil, 0
			}
			return snaps[1:from], 0
		}
	}
	for i, sn := range snaps[:from] {
		if i != pinned {
			drop = append(drop, sn)
		}
	}
	covered = snaps[from].first
	if pinned >= 0 && pinned < from {
		covered = snaps[pinned].first
	}
	return drop, covered
}

// FirstSeq returns the number of the first record the log holds (0 when it holds none).
func (s *Store) FirstSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.segs) == 0 {
		return 0
	}
	return s.segs[0].first
}

// ReadSnapshot returns the payload of the snapshot covering the log up to record seq.
func (s *Store) ReadSnapshot(seq uint64) ([]byte, error) {
	snaps, err := s.list(".snap")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(snaps, func(sn segment) bool { return sn.first == seq })
	if i < 0 {
		return nil, fmt.Errorf("%w: no snapshot of record %d in %s", ErrTrimmed, seq, s.opts.Dir)
	}
	return readSnapshot(snaps[i])
}

// errReadDone ends ReadRecords' replay at its last record.
var errReadDone = errors.New("done")

// ReadRecords calls fn for every record after record after through record to, in order,
// reading the segments (it may run while a Log appends and follows; the records asked
// for must have been written). It fails with an error wrapping ErrTrimmed when the log
// no longer reaches back to record after+1, and stops at ctx's end.
func (s *Store) ReadRecords(ctx context.Context, after, to uint64, fn func(seq uint64, rec []byte) error) error {
	if to <= after {
		return nil
	}
	if first := s.FirstSeq(); first > after+1 {
		return fmt.Errorf("%w: records %d… are needed and the log starts at record %d", ErrTrimmed, after+1, first)
	}
	reached := after
	err := s.Replay(after, func(seq uint64, rec []byte) error {
		if seq > to {
			return errReadDone
		}
		if seq&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(seq, rec); err != nil {
			return err
		}
		reached = seq
		if seq == to {
			return errReadDone
		}
		return nil
	})
	switch {
	case errors.Is(err, errReadDone):
		return nil
	case err != nil:
		return err
	case reached < to:
		return fmt.Errorf("store: the log ends at record %d, before record %d", reached, to)
	}
	return nil
}

// SetRetentionPin is Store.SetRetentionPin.
func (l *Log) SetRetentionPin(pin func() uint64) { l.s.SetRetentionPin(pin) }

// Snapshots returns the record numbers of the snapshots present, oldest first.
func (l *Log) Snapshots(context.Context) ([]uint64, error) { return l.s.Snapshots() }

// ReadSnapshot is Store.ReadSnapshot.
func (l *Log) ReadSnapshot(_ context.Context, seq uint64) ([]byte, error) {
	return l.s.ReadSnapshot(seq)
}

// ReadRecords is Store.ReadRecords: durable records read beside Follow.
func (l *Log) ReadRecords(ctx context.Context, after, to uint64, fn func(seq uint64, rec []byte) error) error {
	return l.s.ReadRecords(ctx, after, to, fn)
}
