package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Entry is a log record as Follow delivers it: its number, its payload and, when this
// process appended it, what the appender attached (nil otherwise).
type Entry struct {
	Seq   uint64
	Rec   []byte
	Local any
}

// errLogClosed is returned by Append after Close.
var errLogClosed = errors.New("store: log closed")

// errStop ends a replay early.
var errStop = errors.New("stop")

// Log is a Store as the server runs on it (log first, apply after): Append returns once a
// record is durable under the fsync policy, and Follow delivers the durable records in
// order — those on disk when the Log was made, read from the segments, then those appended
// since, from memory, with what their appender attached.
//
// Appends are group-committed: any number of goroutines may Append at once; a writer
// goroutine takes every record waiting, frames them into one buffer, writes it with one
// write and makes it durable with one fsync (FsyncAlways: as soon as records wait, while
// the previous fsync runs the next group gathers; FsyncInterval: at most one write and
// fsync per Options.FsyncInterval; FsyncNone: written at once, durable for Append when
// written). A write or fsync failure fails the Log for good (Err): every waiting and
// later Append returns the error and nothing after the last durable record is delivered.
//
// Only one Follow may run at a time. Use a Store either through its Log or through
// Store.Append, not both.
type Log struct {
	s *Store

	mu      sync.Mutex
	next    uint64  // the number the next Append gets
	pend    []Entry // appended, waiting for the writer
	gen     *flushGen
	durable uint64  // the last durable record
	ready   []Entry // durable, not yet delivered by Follow
	err     error
	closed  bool

	w0      uint64        // the last record on disk when the Log was made
	kick    chan struct{} // wakes the writer
	readyCh chan struct{} // wakes Follow
	done    chan struct{} // closed when the writer has returned

	// writer's own
	buf   []byte
	spare []Entry
	// write writes b to f (a test injects failures).
	write func(f file, b []byte) (int, error)
}

// flushGen is one group of appends: done is closed once they are durable or failed.
type flushGen struct {
	done chan struct{}
	err  error
}

// NewLog returns the Log of s. It checks first that the data directory can be written
// (a durable server must not start on a directory it cannot write). Close it before the
// Store.
func NewLog(s *Store) (*Log, error) {
	if err := checkWritable(s.opts.Dir); err != nil {
		return nil, err
	}
	s.mu.Lock()
	w0 := s.written
	s.mu.Unlock()
	l := &Log{s: s, next: w0 + 1, durable: w0, w0: w0, gen: &flushGen{done: make(chan struct{})},
		kick: make(chan struct{}, 1), readyCh: make(chan struct{}, 1), done: make(chan struct{}),
		write: func(f file, b []byte) (int, error) { return f.Write(b) }}
	go l.writer()
	return l, nil
}

// checkWritable creates, syncs and removes a file in dir.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, "probe-*.tmp")
	if err != nil {
		return fmt.Errorf("store: the data directory cannot be written: %w", err)
	}
	name := f.Name()
	_, err = f.Write([]byte{0})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("store: the data directory cannot be written: %w", err)
	}
	return nil
}

// Append stores rec after every record appended before it and returns its number once
// it is durable. local is handed to Follow with the record. rec must not be modified
// afterwards. id (an idempotency id) is not used: the store refuses no duplicate, the
// machine's key table does. When ctx ends first, Append returns ctx's error; the record
// may still become durable (and be delivered).
func (l *Log) Append(ctx context.Context, rec []byte, id string, local any) (uint64, bool, error) {
	if len(rec) > MaxRecord {
		return 0, false, fmt.Errorf("store: record of %d bytes is over the limit", len(rec))
	}
	l.mu.Lock()
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return 0, false, err
	}
	if l.closed {
		l.mu.Unlock()
		return 0, false, errLogClosed
	}
	seq := l.next
	l.next++
	l.pend = append(l.pend, Entry{Seq: seq, Rec: rec, Local: local})
	g := l.gen
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	select {
	case <-g.done:
		if g.err != nil {
			return 0, false, g.err
		}
		return seq, false, nil
	case <-ctx.Done():
		return 0, false, ctx.Err()
	}
}

// writer writes and syncs the waiting records, one group at a time.
func (l *Log) writer() {
	defer close(l.done)
	var last time.Time
	for {
		<-l.kick
		l.mu.Lock()
		if len(l.pend) == 0 {
			closed := l.closed
			l.mu.Unlock()
			if closed {
				return
			}
			continue
		}
		if l.s.opts.Fsync == FsyncInterval && !l.closed {
			if wait := time.Until(last.Add(l.s.opts.FsyncInterval)); wait > 0 {
				l.mu.Unlock()
				time.Sleep(wait) // appends gather meanwhile
				l.mu.Lock()
			}
		}
		ents, g := l.pend, l.gen
		l.pend, l.gen = l.spare[:0], &flushGen{done: make(chan struct{})}
		l.mu.Unlock()

		err := l.flush(ents)
		last = time.Now()
		l.mu.Lock()
		if err != nil {
			if l.err == nil {
				l.err = err
			}
			// The appends waiting for the next group fail too; later ones see l.err.
			g.err, l.gen.err = l.err, l.err
			close(l.gen.done)
			l.pend = nil
		} else {
			l.durable = ents[len(ents)-1].Seq
			l.ready = append(l.ready, ents...)
		}
		clear(ents)
		l.spare = ents[:0]
		closed := l.closed && len(l.pend) == 0
		l.mu.Unlock()
		close(g.done)
		select {
		case l.readyCh <- struct{}{}:
		default:
		}
		if err != nil {
			l.s.log.Error("store: the log failed; nothing more is appended", "err", err)
			return
		}
		if closed {
			return
		}
	}
}

// flush frames ents into one buffer, writes it to the segment (rotating first when the
// segment is full) and makes it durable under the policy.
func (l *Log) flush(ents []Entry) error {
	s := l.s
	b := l.buf[:0]
	t := s.now().UnixNano()
	for _, e := range ents {
		b = appendFrame(b, e.Seq, t, e.Rec)
	}
	if cap(b) <= 16<<20 {
		l.buf = b // keep a buffer of ordinary size for the next group
	} else {
		l.buf = nil
	}
	last := ents[len(ents)-1].Seq
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return s.err
	}
	if s.closed {
		s.mu.Unlock()
		return errors.New("store: closed")
	}
	if s.written+1 != ents[0].Seq {
		s.mu.Unlock()
		return fmt.Errorf("store: the log is at record %d, the next group starts at %d (was Store.Append used too?)", s.written, ents[0].Seq)
	}
	if s.w != nil && s.w.Buffered() > 0 {
		if err := s.w.Flush(); err != nil {
			s.err = fmt.Errorf("store: write: %w", err)
			s.mu.Unlock()
			return s.err
		}
	}
	if s.f == nil || s.size >= s.opts.SegmentBytes {
		if err := s.rotate(); err != nil {
			s.err = err
			s.mu.Unlock()
			return err
		}
	}
	f := s.f
	n, err := l.write(f, b)
	s.size += int64(n)
	if err != nil {
		s.err = fmt.Errorf("store: write: %w", err)
		s.mu.Unlock()
		return s.err
	}
	s.written = last
	s.mu.Unlock()
	if s.opts.Fsync != FsyncNone {
		if err := f.Sync(); err != nil {
			s.mu.Lock()
			s.err = fmt.Errorf("store: fsync: %w", err)
			s.cond.Broadcast()
			s.mu.Unlock()
			return s.err
		}
	}
	s.mu.Lock()
	if s.synced < last {
		s.synced = last
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	return nil
}

// Follow calls apply for every durable record after record after, in order, until ctx
// ends (it returns ctx's error) or apply fails (its error). The records on disk when the
// Log was made are read from the segments (Local nil); the later ones come from memory as
// they become durable.
func (l *Log) Follow(ctx context.Context, after uint64, apply func(seq uint64, rec []byte, local any) error) error {
	if after < l.w0 {
		reached := after
		err := l.s.Replay(after, func(seq uint64, rec []byte) error {
			if seq > l.w0 {
				return errStop
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := apply(seq, rec, nil); err != nil {
				return err
			}
			reached = seq
			return nil
		})
		if reached < l.w0 {
			if err == nil || errors.Is(err, errStop) {
				err = fmt.Errorf("%w: the log ends at record %d, before record %d", ErrCorrupt, reached, l.w0)
			}
			return err
		}
		after = l.w0
	}
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
				l.requeue(batch[i+1:])
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

// requeue puts back records Follow took but did not deliver, before the newer ones.
func (l *Log) requeue(rest []Entry) {
	if len(rest) == 0 {
		return
	}
	l.mu.Lock()
	l.ready = append(append([]Entry(nil), rest...), l.ready...)
	l.mu.Unlock()
}

// Last returns the number of the last record of the log: it first waits for the records
// appended so far to be durable (or failed) — an Append whose context ended may still
// have its record become durable, and a caller draining the log (shutdown, WaitApplied)
// must see it — then returns the last durable one.
func (l *Log) Last(ctx context.Context) (uint64, error) {
	l.mu.Lock()
	if len(l.pend) == 0 || l.err != nil {
		defer l.mu.Unlock()
		return l.durable, nil
	}
	g := l.gen // the group the waiting records will be flushed with
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	select {
	case <-g.done:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.durable, nil
}

// LoadSnapshot is Store.LoadSnapshot.
func (l *Log) LoadSnapshot(load func(seq uint64, payload []byte) error) (uint64, error) {
	return l.s.LoadSnapshot(load)
}

// WriteSnapshot is Store.WriteSnapshot.
func (l *Log) WriteSnapshot(seq uint64, payload []byte) error { return l.s.WriteSnapshot(seq, payload) }

// Err returns the failure that stopped the log, or nil.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close writes what is waiting, stops the writer and fails later appends. It does not
// close the Store.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return l.err
	}
	l.closed = true
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}
