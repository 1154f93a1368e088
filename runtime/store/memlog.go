package store

import (
	"context"
	"fmt"
	"sync"
)

// MemLog is a record log in memory, for a server without a data directory: Append numbers
// a record and it is "durable" at once; Follow delivers the records in order, with what
// their appender attached, and forgets them. Nothing survives the process; snapshots are
// not kept.
type MemLog struct {
	mu      sync.Mutex
	next    uint64
	ready   []Entry
	readyCh chan struct{}
	closed  bool
}

// NewMemLog returns an empty memory log.
func NewMemLog() *MemLog { return &MemLog{next: 1, readyCh: make(chan struct{}, 1)} }

// Append numbers rec and queues it for Follow. rec must not be modified afterwards.
func (l *MemLog) Append(_ context.Context, rec []byte, _ string, local any) (uint64, bool, error) {
	if len(rec) > MaxRecord {
		return 0, false, fmt.Errorf("store: record of %d bytes is over the limit", len(rec))
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, false, errLogClosed
	}
	seq := l.next
	l.next++
	l.ready = append(l.ready, Entry{Seq: seq, Rec: rec, Local: local})
	l.mu.Unlock()
	select {
	case l.readyCh <- struct{}{}:
	default:
	}
	return seq, false, nil
}

// Follow calls apply for every record after record after, in order, until ctx ends or
// apply fails. Records before the first one still queued are gone.
func (l *MemLog) Follow(ctx context.Context, after uint64, apply func(seq uint64, rec []byte, local any) error) error {
	var batch []Entry
	for {
		l.mu.Lock()
		batch, l.ready = l.ready, batch[:0]
		l.mu.Unlock()
		for i, e := range batch {
			if e.Seq <= after {
				continue
			}
			if err := apply(e.Seq, e.Rec, e.Local); err != nil {
				l.mu.Lock()
				l.ready = append(append([]Entry(nil), batch[i+1:]...), l.ready...)
				l.mu.Unlock()
				return err
			}
			after = e.Seq
		}
		clear(batch)
		if len(batch) > 0 {
			continue
		}
		select {
		case <-l.readyCh:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Last returns the number of the last record appended.
func (l *MemLog) Last(context.Context) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next - 1, nil
}

// LoadSnapshot finds no snapshot.
func (l *MemLog) LoadSnapshot(func(seq uint64, payload []byte) error) (uint64, error) { return 0, nil }

// WriteSnapshot keeps nothing.
func (l *MemLog) WriteSnapshot(uint64, []byte) error { return nil }

// Err is always nil: memory does not fail.
func (l *MemLog) Err() error { return nil }

// Close fails later appends.
func (l *MemLog) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return nil
}
