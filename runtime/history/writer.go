package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Replayer re-derives rows from the durable log; the state machine's owner (the server)
// implements it over its Log and snapshots. The Writer calls it, on its own goroutine,
// when rows it was given never reached the database: after a restart (the database's
// position is behind the snapshot the server started from) and after an outage long
// enough to fill the writer's memory.
type Replayer interface {
	// Replay builds a state machine from the newest snapshot at or before record `after`
	// (or the log's start), applies the durable records after it through record `to`
	// exactly as the live machine did, and calls emit, in order, with each record after
	// `after` that produced rows and those rows (Recorder.Rows of the notifications
	// drained after applying it). It returns the position its rows start after: `after`
	// when the log still held what was needed, or a later seq when the log no longer
	// holds a snapshot at or before `after` (rows of records in between are lost). It
	// stops at the first error of emit or of the log, and when ctx ends.
	Replay(ctx context.Context, after, to uint64, emit func(seq uint64, rows []Row) error) (from uint64, err error)
}

// WriterOptions configure a Writer.
type WriterOptions struct {
	// Stream names the log whose position the writer records (e.g. "log"); empty records
	// none (a backfill from an event file, whose lines are no log).
	Stream string
	// MaxPending bounds the rows held in memory while the database lags (default 262,144).
	// Past it, with a Replayer, the writer drops what it holds and later re-derives it from
	// the log; without one, Add waits for room (backpressure: for replay, never a server).
	MaxPending int
	// Replayer re-derives rows from the log; nil for a writer fed by a replay.
	Replayer Replayer
	// RetryMin and RetryMax bound the backoff between attempts after a database error
	// (defaults 100ms and 30s).
	RetryMin, RetryMax time.Duration
	// PositionEvery is how often a position advanced by records without rows is written
	// (default 1s).
	PositionEvery time.Duration
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// Writer writes rows to a Store on its own goroutine (Run), one transaction per reset
// instant, and records the log position it has committed up to. Add never waits for the
// database (unless the writer has no Replayer): a slow or unreachable database makes
// history lag, never the caller.
type Writer struct {
	st   *Store
	opts WriterOptions
	log  *slog.Logger

	mu        sync.Mutex
	wake      chan struct{} // 1-slot: work was added
	flushReq  chan struct{} // 1-slot: Flush waits for the idle position
	changed   chan struct{} // closed and replaced on progress (Flush, blocked Add)
	queue     []item
	pending   int    // rows in queue
	floor     uint64 // Adds at or below are ignored: committed, or being caught up
	added     uint64 // the last seq added
	committed uint64 // the position committed in the database
	inflight  bool   // the loop holds taken work not yet committed
	behind    bool   // rows of records in (committed, behindTo] must come from the log
	catching  bool   // a catch-up is running
	behindTo  uint64
	lost      uint64 // records whose rows the log no longer held
	lastErr   error
	closed    bool

	// afterWrite, when set (tests), runs on Run's goroutine after each write of queued
	// rows or catch-up, before the writer says it is done with it.
	afterWrite func()
}

// item is what one Add gave: the rows of one record (possibly none).
type item struct {
	seq  uint64
	rows []Row
}

// Status is a writer's progress, for health checks and metrics.
type Status struct {
	// Committed is the log position up to which every row is in the database.
	Committed uint64
	// Added is the last position the writer was given.
	Added uint64
	// Pending is the number of rows held in memory.
	Pending int
	// CatchingUp is true while rows are being re-derived from the log.
	CatchingUp bool
	// Lost counts records whose rows could not be re-derived (the log no longer held
	// them); they are logged as errors.
	Lost uint64
	// Err is the last database error, nil once a write succeeded after it.
	Err error
}

// NewWriter returns a writer for st. after is the log position the caller's state
// machine starts from (the snapshot it restored; 0 for a fresh log or a replay): the
// caller's first Add is for a record after it. When the database has a position for the
// stream that is behind after, the writer first catches up from the log (needs a
// Replayer); when it is ahead, Adds up to it are ignored (their rows are stored). A
// database without a position (a new history) starts at after: it is not backfilled
// (statkit replay --log --history does that).
func NewWriter(ctx context.Context, st *Store, after uint64, opts WriterOptions) (*Writer, error) {
	if opts.MaxPending <= 0 {
		opts.MaxPending = 1 << 18
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 100 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(30*time.Second, opts.RetryMin)
	}
	if opts.PositionEvery <= 0 {
		opts.PositionEvery = time.Second
	}
	w := &Writer{st: st, opts: opts, log: opts.Logger, wake: make(chan struct{}, 1), flushReq: make(chan struct{}, 1),
		changed: make(chan struct{})}
	if w.log == nil {
		w.log = slog.Default()
	}
	w.committed, w.floor, w.added = after, after, after
	if opts.Stream == "" {
		return w, nil
	}
	pos, ok, err := st.Position(ctx, opts.Stream)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		w.log.Info("history: new history, recording from the current log position", "stream", opts.Stream, "seq", after)
	case pos >= after:
		w.committed, w.floor, w.added = pos, pos, pos
	default:
		if opts.Replayer == nil {
			return nil, fmt.Errorf("history: the database is at log position %d, behind %d, and the writer has no Replayer to catch up", pos, after)
		}
		w.committed, w.behind, w.behindTo = pos, true, after
		w.log.Info("history: catching up from the log", "stream", opts.Stream, "from", pos, "to", after)
	}
	return w, nil
}

// Add hands the writer the rows applying record seq produced (possibly none: the
// position still advances). Records come in log order, each once; one whose seq is at
// or below what the writer already holds is ignored. Add does not wait for the database;
// without a Replayer it waits while MaxPending rows are held.
func (w *Writer) Add(seq uint64, rows []Row) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if seq <= w.floor || w.closed {
		return
	}
	w.added, w.floor = seq, seq
	if w.behind {
		w.behindTo = seq // its rows will come from the log
		return
	}
	for w.opts.Replayer == nil && w.pending > 0 && w.pending+len(rows) > w.opts.MaxPending && !w.closed {
		ch := w.changed
		w.mu.Unlock()
		<-ch
		w.mu.Lock()
	}
	if w.opts.Replayer != nil && w.pending+len(rows) > w.opts.MaxPending {
		w.log.Warn("history: the database lags too far; dropping rows held in memory, to re-derive them from the log",
			"rows", w.pending+len(rows), "committed", w.committed, "seq", seq)
		clear(w.queue)
		w.queue, w.pending = w.queue[:0], 0
		w.behind, w.behindTo = true, seq
	} else {
		w.queue = append(w.queue, item{seq: seq, rows: rows})
		w.pending += len(rows)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Missed tells the writer that the rows of the records after the last one it was given,
// through seq, will not be added: its caller could not hand them over (they were applied
// before the writer existed, or dropped while the database did not answer). They are
// re-derived from the log, as rows dropped past MaxPending are; the next Add is for a
// record after seq. Without a Replayer they are counted as lost.
func (w *Writer) Missed(seq uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if seq <= w.floor || w.closed {
		return
	}
	if w.opts.Replayer == nil {
		w.lost += seq - w.floor
		w.log.Error("history: rows of records not handed to the writer are missing (no log to re-derive them from)",
			"records_from", w.floor+1, "records_to", seq)
		w.added, w.floor = seq, seq
		return
	}
	w.added, w.floor = seq, seq
	clear(w.queue)
	w.queue, w.pending = w.queue[:0], 0
	w.behind, w.behindTo = true, seq
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Status returns the writer's progress.
func (w *Writer) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Status{Committed: w.committed, Added: w.added, Pending: w.pending, CatchingUp: w.behind || w.catching,
		Lost: w.lost, Err: w.lastErr}
}

// Pin returns the oldest log position the writer may still need: the log must keep a
// snapshot at or before it, and every record after it (the store's retention pin).
func (w *Writer) Pin() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.committed
}

// Flush waits until every row added so far is committed, or ctx ends.
func (w *Writer) Flush(ctx context.Context) error {
	for {
		w.mu.Lock()
		done := w.committed >= w.added && !w.behind && len(w.queue) == 0 && !w.inflight
		closed := w.closed
		ch := w.changed
		w.mu.Unlock()
		switch {
		case done:
			return nil
		case closed:
			return errClosed
		}
		select {
		case w.flushReq <- struct{}{}: // the loop writes an idle position at once when asked
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			st := w.Status()
			return fmt.Errorf("history: flush: %w (committed %d of %d, %d rows pending)", ctx.Err(), st.Committed, st.Added, st.Pending)
		}
	}
}

// progress records a committed position and wakes the waiters.
func (w *Writer) progress(seq uint64) {
	w.mu.Lock()
	w.committed = max(w.committed, seq)
	w.lastErr = nil
	w.changedLocked()
	w.mu.Unlock()
}

// changedLocked wakes the waiters (Flush, a blocked Add) to look at the state again (mu
// held).
func (w *Writer) changedLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// Run writes until ctx ends; what is not committed then is caught up from the log at the
// next start. It returns ctx's error.
func (w *Writer) Run(ctx context.Context) error {
	defer func() {
		w.mu.Lock()
		w.closed = true
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
	}()
	var idle *time.Timer
	for {
		w.mu.Lock()
		switch {
		case w.behind && !w.inflight:
			// Adds after `to` are queued again while the log is replayed up to it; if
			// they overflow too, behind is set again and the next round takes them.
			from, to := w.committed, w.behindTo
			w.behind, w.catching, w.inflight = false, true, true
			w.mu.Unlock()
			err := w.catchUp(ctx, from, to)
			if w.afterWrite != nil {
				w.afterWrite()
			}
			w.mu.Lock()
			w.catching, w.inflight = false, false
			w.changedLocked() // a Flush woken by the last commit checks again
			w.mu.Unlock()
			if err != nil {
				return err
			}
			continue
		case len(w.queue) > 0:
			it := w.queue[0]
			w.queue[0] = item{}
			w.queue = w.queue[1:]
			w.pending -= len(it.rows)
			w.inflight = true
			w.mu.Unlock()
			err := w.writeItem(ctx, it)
			if w.afterWrite != nil {
				w.afterWrite()
			}
			w.mu.Lock()
			w.inflight = false
			w.changedLocked() // a Flush woken by the last commit checks again
			w.mu.Unlock()
			if err != nil {
				return err
			}
			continue
		}
		// Idle: records without rows advanced the position; write it after PositionEvery
		// (at once when Flush asks), not once per record.
		needPos := w.opts.Stream != "" && w.added > w.committed
		w.mu.Unlock()
		if needPos && idle == nil {
			idle = time.NewTimer(w.opts.PositionEvery)
		}
		var idleC <-chan time.Time
		if idle != nil {
			idleC = idle.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.wake:
		case <-w.flushReq:
			if err := w.writePosition(ctx); err != nil {
				return err
			}
		case <-idleC:
			idle = nil
			if err := w.writePosition(ctx); err != nil {
				return err
			}
		}
	}
}

// writePosition commits the position every record before the first queued one brings
// the history to (called by the loop, between items: nothing is in flight).
func (w *Writer) writePosition(ctx context.Context) error {
	w.mu.Lock()
	seq := w.added
	if len(w.queue) > 0 {
		seq = w.queue[0].seq - 1
	}
	ok := !w.behind && seq > w.committed && w.opts.Stream != ""
	w.mu.Unlock()
	if !ok {
		return nil
	}
	return w.commit(ctx, &batch{stream: w.opts.Stream, seq: seq})
}

// writeItem commits a record's rows, one transaction per reset instant. Every record
// before it is committed, so a transaction that is not the record's last brings the
// position to seq−1 and the last to seq.
func (w *Writer) writeItem(ctx context.Context, it item) error {
	if len(it.rows) == 0 {
		if w.opts.Stream == "" {
			w.progress(it.seq) // no position to write: nothing to wait for
		}
		// Else committed with the next rows, or by the idle position write.
		return nil
	}
	for i := 0; i < len(it.rows); {
		j := i + 1
		for j < len(it.rows) && it.rows[j].End == it.rows[i].End {
			j++
		}
		seq := it.seq - 1
		if j == len(it.rows) {
			seq = it.seq
		}
		if err := w.commit(ctx, &batch{rows: it.rows[i:j], stream: w.opts.Stream, seq: seq}); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// commit writes b, retrying with backoff until it succeeds or ctx ends.
func (w *Writer) commit(ctx context.Context, b *batch) error {
	delay := w.opts.RetryMin
	for attempt := 1; ; attempt++ {
		err := w.st.write(ctx, b)
		if err == nil {
			if attempt > 1 {
				w.log.Info("history: database writes resumed", "attempts", attempt, "seq", b.seq)
			}
			w.progress(b.seq)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.mu.Lock()
		w.lastErr = err
		w.mu.Unlock()
		if attempt == 1 || attempt%10 == 0 {
			w.log.Error("history: database write failed; retrying (history lags, nothing is lost)",
				"err", err, "attempt", attempt, "retry_in", delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, w.opts.RetryMax)
	}
}

// catchUp re-derives and commits the rows of records in (from, to] through the
// Replayer, retrying with backoff while the log or the database fails.
func (w *Writer) catchUp(ctx context.Context, from, to uint64) error {
	delay := w.opts.RetryMin
	for {
		start, err := w.opts.Replayer.Replay(ctx, from, to, func(seq uint64, rows []Row) error {
			if seq <= from || seq > to {
				return nil
			}
			return w.writeItem(ctx, item{seq: seq, rows: rows})
		})
		if err == nil {
			if start > from {
				w.mu.Lock()
				w.lost += start - from
				w.mu.Unlock()
				w.log.Error("history: the log no longer holds records whose rows were not stored; their intervals are missing",
					"records_from", from+1, "records_to", start)
			}
			w.log.Info("history: caught up from the log", "from", from, "to", to)
			return w.commit(ctx, &batch{stream: w.opts.Stream, seq: to})
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.mu.Lock()
		w.lastErr = err
		from = max(from, w.committed) // rows committed before the failure stay
		w.mu.Unlock()
		w.log.Error("history: catch-up from the log failed; retrying", "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, w.opts.RetryMax)
	}
}

// errClosed is returned by waits on a writer whose Run ended.
var errClosed = errors.New("history: writer stopped")
