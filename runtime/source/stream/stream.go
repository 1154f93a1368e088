// Package stream keeps a live event connection up for the wire readers of package source
// (AMI, ESL): it dials with exponential backoff, reads frames on a goroutine, sends
// keep-alives, reconnects when the connection drops or goes quiet, and hands out frames in
// batches. TCP dials the sessions of TCP protocols (the handshake under a deadline, writes
// serialised and bounded). The protocols themselves (handshake, framing, keep-alive
// message) are the reader packages' Sessions.
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/statkit/statkit/internal/clock"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
)

// ErrAuth marks a dial error caused by refused credentials. It is fatal when it happens at
// the first connection (the configuration is wrong); later, it is retried with backoff
// (the platform may be reconfiguring).
var ErrAuth = errors.New("credentials refused")

// Session is one established connection of a protocol.
type Session interface {
	// Read returns the next event frame; nil, nil for traffic that is no event (a reply to
	// a keep-alive), which counts as activity. An error ends the session.
	Read() ([]byte, error)
	// Keepalive sends the protocol's keep-alive (nothing for protocols whose server sends
	// heartbeats). It may be called concurrently with Read, never with itself or Close.
	Keepalive() error
	// Close ends the session; a Read in progress returns.
	Close() error
}

// Dial establishes and authenticates a session.
type Dial func(ctx context.Context) (Session, error)

// Options configure a Stream.
type Options struct {
	// Name names the stream in logs (e.g. "ami 10.0.0.5:5038").
	Name string
	// Keepalive is how often Session.Keepalive is called; 0 means 20 s.
	Keepalive time.Duration
	// Idle is how long a session may stay silent before it is considered dead and
	// replaced; 0 means 3 × Keepalive.
	Idle time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed connection attempts, which
	// doubles from the first to the second (with jitter); 0 means 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// MaxBatch bounds the frames of one batch, MaxBytes their bytes (a batch has at least
	// one frame); 0 means source.DefaultMaxBatch (4096), source.DefaultMaxBytes (1 MiB).
	MaxBatch int
	MaxBytes int
	Logger   *slog.Logger
	// Now stamps the frames' receipt times; nil is time.Now.
	Now func() time.Time
}

// Stream is a reconnecting live source; it implements source.Source with nil positions
// (a live connection cannot be resumed: what happens while it is down is not delivered).
type Stream struct {
	dial Dial
	opts Options
	log  *slog.Logger

	mu        sync.Mutex // guards sess against Close
	sess      Session
	frames    chan item
	done      chan struct{} // closed when the session's reader stops
	lastSeen  time.Time
	connected bool // a session was established once
	failures  int  // consecutive failed attempts
	retry     clock.Backoff
	line      int
	closed    bool
}

type item struct {
	frame []byte
	at    time.Time
	err   error
}

// New returns a Stream that dials with dial on the first Next.
func New(dial Dial, opts Options) *Stream {
	if opts.Keepalive <= 0 {
		opts.Keepalive = 20 * time.Second
	}
	if opts.Idle <= 0 {
		opts.Idle = 3 * opts.Keepalive
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = source.DefaultMaxBatch
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = source.DefaultMaxBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Stream{dial: dial, opts: opts, log: opts.Logger}
	s.retry = clock.Backoff{Min: opts.MinBackoff, Max: opts.MaxBackoff}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("source", opts.Name)
	return s
}

// Next implements source.Source.
func (s *Stream) Next(ctx context.Context) (source.Batch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return source.Batch{}, err
		}
		if s.isClosed() {
			return source.Batch{}, errors.New(s.opts.Name + ": closed")
		}
		if s.frames == nil {
			if err := s.connect(ctx); err != nil {
				return source.Batch{}, err
			}
			continue
		}
		b, err := s.read(ctx)
		if err != nil || len(b.Frames) > 0 {
			return b, err
		}
	}
}

func (s *Stream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// connect dials, after the backoff the previous failures call for.
func (s *Stream) connect(ctx context.Context) error {
	if s.failures > 0 {
		if err := clock.Sleep(ctx, s.backoff()); err != nil {
			return err
		}
	}
	sess, err := s.dial(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrAuth) && !s.connected {
			return fmt.Errorf("%s: %w", s.opts.Name, err)
		}
		s.failures++
		s.log.Warn("connection failed; retrying", "attempt", s.failures, "error", err)
		return nil
	}
	if s.connected {
		s.log.Info("reconnected")
	} else {
		s.log.Info("connected")
	}
	s.connected, s.failures = true, 0
	s.retry.Reset()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sess.Close()
		return errors.New(s.opts.Name + ": closed")
	}
	s.sess = sess
	s.mu.Unlock()
	s.frames, s.done = make(chan item, 256), make(chan struct{})
	s.lastSeen = s.opts.Now()
	go s.reader(sess, s.frames, s.done)
	return nil
}

// backoff is the wait before the next attempt: MinBackoff doubled per failure beyond the
// first, up to MaxBackoff, less up to a quarter of jitter.
func (s *Stream) backoff() time.Duration {
	d := s.retry.Next()
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

// reader reads frames until the session fails.
func (s *Stream) reader(sess Session, out chan<- item, done chan struct{}) {
	defer close(done)
	for {
		f, err := sess.Read()
		it := item{frame: f, at: s.opts.Now(), err: err}
		out <- it
		if err != nil {
			return
		}
	}
}

// read waits for frames of the current session and returns the ones ready; on a session
// failure it drops the session (the next call reconnects).
func (s *Stream) read(ctx context.Context) (source.Batch, error) {
	ka := time.NewTicker(s.opts.Keepalive)
	defer ka.Stop()
	var b source.Batch
	for {
		select {
		case <-ctx.Done():
			return b, ctx.Err()
		case it := <-s.frames:
			if s.take(&b, it) {
				return b, nil
			}
			size := batchBytes(&b)
		drain:
			for len(b.Frames) < s.opts.MaxBatch && size < s.opts.MaxBytes {
				select {
				case it := <-s.frames:
					if s.take(&b, it) {
						return b, nil
					}
					size += len(it.frame)
				default:
					break drain
				}
			}
			if len(b.Frames) > 0 {
				return b, nil
			}
		case <-ka.C:
			if s.opts.Now().Sub(s.lastSeen) > s.opts.Idle {
				s.drop(fmt.Errorf("silent for %v", s.opts.Now().Sub(s.lastSeen).Round(time.Second)))
				return b, nil
			}
			s.mu.Lock()
			sess := s.sess
			s.mu.Unlock()
			if sess == nil {
				return b, nil // closed
			}
			if err := sess.Keepalive(); err != nil {
				s.drop(fmt.Errorf("keep-alive: %w", err))
				return b, nil
			}
		}
	}
}

// batchBytes is the size of b's frames.
func batchBytes(b *source.Batch) int {
	n := 0
	for _, f := range b.Frames {
		n += len(f.Data)
	}
	return n
}

// take adds an item to the batch; it reports true when the session ended.
func (s *Stream) take(b *source.Batch, it item) bool {
	if it.err != nil {
		s.drop(it.err)
		return true
	}
	s.lastSeen = it.at
	if it.frame != nil {
		s.line++
		b.Frames = append(b.Frames, source.Frame{Data: it.frame, Line: s.line, Received: event.TimeOf(it.at)})
	}
	return false
}

// drop closes the session after a failure and waits for its reader.
func (s *Stream) drop(cause error) {
	if s.isClosed() {
		s.log.Debug("connection closed", "error", cause)
	} else {
		s.log.Warn("connection lost; reconnecting", "error", cause)
	}
	s.mu.Lock()
	sess := s.sess
	s.sess = nil
	s.mu.Unlock()
	if sess != nil {
		sess.Close()
	}
	go func(frames chan item, done chan struct{}) { // let the reader finish sending
		for {
			select {
			case <-frames:
			case <-done:
				return
			}
		}
	}(s.frames, s.done)
	<-s.done
	s.frames, s.done = nil, nil
	s.failures = 1 // wait MinBackoff before dialling again
	s.retry.Reset()
}

// Close implements source.Source.
func (s *Stream) Close() error {
	s.mu.Lock()
	s.closed = true
	sess := s.sess
	s.sess = nil
	s.mu.Unlock()
	if sess != nil {
		return sess.Close()
	}
	return nil
}
