package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/statkit/statkit/runtime/replica"
	"github.com/statkit/statkit/runtime/store"
)

// Interval history's catch-up on the stream (server.ReplayLog, server.RetentionPinner).
//
// A replica's history writer re-derives the rows its database has not committed (a crash
// between a reset and its commit, an outage longer than the writer's memory) by restoring
// a second state machine from a snapshot at or before the database's position and
// applying the group's records after it. The Log lists the snapshots of the local cache
// and of the object store (Snapshots; those the stream was trimmed past are left out,
// their records being gone), reads one (ReadSnapshot) and reads a range of the group's
// records beside Follow with a consumer of its own (ReadRecords, replica.Log.Read).
//
// The writer's position is the Log's retention pin (SetRetentionPin), with the local
// store's rule (runtime/store/pin.go): keep the newest snapshot at or before the pin and
// every record after it. The local cache keeps it besides its newest snapshots. The
// replica announces its pin in the replicas bucket (replica.Member.Pin), and the lease
// holder — which writes the object store's snapshots and trims the stream — keeps the
// object store's newest snapshot at or before the lowest pin of the group's live
// replicas (its own read live, the others' as announced), trims no record after it, and
// trims nothing while no snapshot is at or before it; as before, it never trims past the
// lowest record a live replica has applied. A replica that is down longer than its
// announcement lives (three lease TTLs) no longer holds trimming back: the rows of the
// records trimmed meanwhile are counted as lost when it catches up.

// SetRetentionPin makes the Log keep what re-deriving state from record pin() needs (see
// above). pin is called when a snapshot is written and when the replica announces
// itself; it must not block. Nil removes the pin.
func (l *Log) SetRetentionPin(pin func() uint64) {
	if pin == nil {
		l.pin.Store(nil)
		return
	}
	l.pin.Store(&pin)
}

// pinFunc returns the retention pin, or nil.
func (l *Log) pinFunc() func() uint64 {
	if p := l.pin.Load(); p != nil {
		return *p
	}
	return nil
}

// pinned returns the retention pin's position, and whether there is a pin.
func (l *Log) pinned() (uint64, bool) {
	if f := l.pinFunc(); f != nil {
		return f(), true
	}
	return 0, false
}

// Snapshots returns the sequences of the group's snapshots this replica can restore and
// catch up from — its local cache's and the object store's, without those the stream was
// trimmed past — oldest first.
func (l *Log) Snapshots(ctx context.Context) ([]uint64, error) {
	cands, floor, err := l.candidates(ctx)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, c := range cands {
		if floor > 1 && c.seq+1 < floor {
			continue
		}
		seqs = append(seqs, c.seq)
	}
	slices.Sort(seqs)
	return slices.Compact(seqs), nil
}

// ReadSnapshot returns the payload of the group's snapshot covering the stream up to
// seq: the local cache's, else (absent or damaged) the object store's. Neither: an error
// wrapping store.ErrTrimmed.
func (l *Log) ReadSnapshot(ctx context.Context, seq uint64) ([]byte, error) {
	var errs []error
	if l.cache != nil {
		local, err := l.cache.list()
		if err != nil {
			return nil, err
		}
		if slices.Contains(local, seq) {
			b, err := l.cache.read(seq)
			if err == nil {
				return b, nil
			}
			errs = append(errs, err)
		}
	}
	remote, err := l.rl.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	if slices.Contains(remote, seq) {
		b, err := l.rl.ReadSnapshot(ctx, seq)
		if err == nil {
			return b, nil
		}
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return nil, fmt.Errorf("%w: no snapshot of group %s at record %d", store.ErrTrimmed, l.rl.Group().Name(), seq)
}

// ReadRecords calls fn for the group's records after `after` through `to`, in stream
// order, beside Follow (replica.Log.Read). Records trimmed from the stream, or missing
// from it, fail it with an error wrapping store.ErrTrimmed (and replica.ErrTrimmed or
// replica.ErrLogEnds).
func (l *Log) ReadRecords(ctx context.Context, after, to uint64, fn func(seq uint64, rec []byte) error) error {
	err := l.rl.Read(ctx, after, to, fn)
	if errors.Is(err, replica.ErrTrimmed) || errors.Is(err, replica.ErrLogEnds) {
		return fmt.Errorf("%w: %w", store.ErrTrimmed, err)
	}
	return err
}

// retentionPin is the group's retention pin (replica.Log.SetRetentionPin): the lowest of
// this replica's pin and those the group's live replicas announced; ok is false when
// none has one.
func (n *Node) retentionPin(ctx context.Context) (pin uint64, ok bool, err error) {
	pin, ok = n.lg.pinned()
	ms, err := n.c.Members(ctx)
	if err != nil {
		return 0, false, err
	}
	name := n.rl.Group().Name()
	for _, m := range ms {
		if m.Group != name || m.Pin == nil {
			continue
		}
		if !ok || *m.Pin < pin {
			pin, ok = *m.Pin, true
		}
	}
	return pin, ok, nil
}
