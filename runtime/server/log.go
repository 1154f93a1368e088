package server

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"syscall"
)

// Log is the ordered, durable record log the server runs on (ARCH.md §2): every change
// of state is a record (runtime/machine's codec), appended first and applied by the
// owner goroutine only once it is durable, in log order. store.Log (a data directory),
// store.MemLog (no durability) and a JetStream log implement it.
type Log interface {
	// Append stores rec after every record appended before it and returns its sequence
	// number once it is durable (local store: under the fsync policy, group commit;
	// JetStream: acknowledged by the stream's quorum). id, when not empty, is an
	// idempotency id the log may use to refuse a duplicate (JetStream Nats-Msg-Id); a
	// duplicate returns the original's sequence number and dup = true. local is handed
	// back by Follow with the record when this process follows it (the decoded batch,
	// so that the owner does not decode it again); rec must not be modified afterwards.
	// When ctx ends first, Append returns ctx's error and the record may still be
	// appended.
	Append(ctx context.Context, rec []byte, id string, local any) (seq uint64, dup bool, err error)
	// Follow calls apply for every durable record after seq after, in order, from
	// whichever process appended it (local is nil for records this process did not
	// append, or appended before a restart), until ctx ends or apply fails.
	Follow(ctx context.Context, after uint64, apply func(seq uint64, rec []byte, local any) error) error
	// Last returns the sequence number of the last durable record: recovery applies the
	// log up to it before serving, shutdown applies it before stopping.
	Last(ctx context.Context) (uint64, error)
	// LoadSnapshot and WriteSnapshot: the newest usable snapshot and its seq (0: none),
	// and storing one that covers the log up to seq.
	LoadSnapshot(load func(seq uint64, payload []byte) error) (uint64, error)
	WriteSnapshot(seq uint64, payload []byte) error
	// Err is non-nil once the log has failed (write or fsync error, disk full): the
	// server is then read-only — fail-stop.
	Err() error
}

// appendGate lets appends through until the server stops: close waits for the appends
// in flight and refuses every later one, so that the records the owner applies at
// shutdown (up to the log's last) are all there will be, and the last snapshot covers
// the whole log.
type appendGate struct {
	mu     sync.RWMutex
	closed bool
}

// enter reports whether an append may go ahead; leave must follow a true.
func (g *appendGate) enter() bool {
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return false
	}
	return true
}

// leave ends an append that enter let through.
func (g *appendGate) leave() { g.mu.RUnlock() }

// close waits for the appends in flight and refuses the later ones.
func (g *appendGate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// appliedSeq is the last record the owner applied, and a way to wait for a later one.
type appliedSeq struct {
	mu      sync.Mutex
	seq     uint64
	ch      chan struct{} // closed and replaced when seq moves while someone waits
	waiters int
}

func (a *appliedSeq) init() { a.ch = make(chan struct{}) }

// set publishes seq (owner only).
func (a *appliedSeq) set(seq uint64) {
	a.mu.Lock()
	a.seq = seq
	if a.waiters > 0 {
		close(a.ch)
		a.ch = make(chan struct{})
	}
	a.mu.Unlock()
}

// get returns the last record applied.
func (a *appliedSeq) get() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seq
}

// wait returns once record seq is applied, or with the error of ctx or stop.
func (a *appliedSeq) wait(ctx context.Context, seq uint64, stopped <-chan struct{}) error {
	a.mu.Lock()
	a.waiters++
	defer func() { a.mu.Lock(); a.waiters--; a.mu.Unlock() }()
	for a.seq < seq {
		ch := a.ch
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-stopped:
			if a.get() >= seq {
				return nil
			}
			return ErrStopped
		}
		a.mu.Lock()
	}
	a.mu.Unlock()
	return nil
}

// WaitApplied returns once the owner goroutine has applied every record appended to the
// log so far (ticks included), or with ctx's error, or ErrStopped.
func (s *Server) WaitApplied(ctx context.Context) error {
	last, err := s.lg.Last(ctx)
	if err != nil {
		return err
	}
	return s.applied.wait(ctx, last, s.ownerDone)
}

// ErrFailed is wrapped by the errors of state changes refused because the log failed.
var ErrFailed = errors.New("server: the log failed; the server is read-only")

// fail makes the server read-only because of err, a failure of the log (or of a record
// that cannot be applied): every later state change is refused with 503 and /healthz
// answers 503 naming it. The first failure stays.
func (s *Server) fail(err error) {
	if err == nil {
		return
	}
	if s.failure.CompareAndSwap(nil, &err) {
		s.m.failed.Set(1)
		s.log.Error("the server is read-only from now on: the log failed; restart it once the cause is fixed", "err", err)
	}
}

// failed returns the failure that made the server read-only (nil: none); it looks at
// the log's own state too.
func (s *Server) failed() error {
	if p := s.failure.Load(); p != nil {
		return *p
	}
	if err := s.lg.Err(); err != nil {
		s.fail(err)
		return err
	}
	return nil
}

// failureText words a failure for clients: what failed, never where (no path).
func failureText(err error) string {
	var pe *fs.PathError
	var errno syscall.Errno
	why := "log error"
	switch {
	case errors.As(err, &pe):
		why = pe.Op + ": " + pe.Err.Error()
	case errors.As(err, &errno):
		why = errno.Error()
	case !strings.ContainsAny(err.Error(), `/\`):
		why = err.Error()
	}
	return "the data log failed (" + why + "); the server is read-only until it is restarted: nothing is applied that is not durable"
}
