package stream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/source/stream"
)

// session is an in-memory Session: frames pushed by the test, an error ends it.
type session struct {
	in     chan []byte
	once   sync.Once
	closed chan struct{}
	pings  int
	mu     sync.Mutex
}

func newSession() *session { return &session{in: make(chan []byte, 16), closed: make(chan struct{})} }

func (s *session) Read() ([]byte, error) {
	select {
	case f, ok := <-s.in:
		if !ok {
			return nil, io.EOF
		}
		return f, nil
	case <-s.closed:
		return nil, errors.New("closed")
	}
}

func (s *session) Keepalive() error {
	s.mu.Lock()
	s.pings++
	s.mu.Unlock()
	return nil
}

func (s *session) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func opts() stream.Options {
	return stream.Options{Name: "test", Keepalive: time.Hour, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Logger: quiet()}
}

func TestAuthFatalOnlyAtFirst(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := stream.New(func(context.Context) (stream.Session, error) { return nil, stream.ErrAuth }, opts())
	_, err := s.Next(ctx)
	require.ErrorIs(t, err, stream.ErrAuth)

	// Once connected, a refused login (the platform is being reconfigured) is retried.
	first := newSession()
	dials := 0
	s = stream.New(func(context.Context) (stream.Session, error) {
		dials++
		switch dials {
		case 1:
			return first, nil
		case 2, 3:
			return nil, stream.ErrAuth
		}
		sess := newSession()
		sess.in <- []byte("after")
		return sess, nil
	}, opts())
	first.in <- []byte("before")
	b, err := s.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "before", string(b.Frames[0].Data))
	close(first.in) // the connection drops
	b, err = s.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "after", string(b.Frames[0].Data))
	assert.Equal(t, 2, b.Frames[0].Line, "frames are numbered across sessions")
	assert.Equal(t, 4, dials)
}

func TestCloseWhileWaiting(t *testing.T) {
	sess := newSession()
	s := stream.New(func(context.Context) (stream.Session, error) { return sess, nil }, opts())
	done := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background())
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, s.Close())
	select {
	case err := <-done:
		assert.ErrorContains(t, err, "closed")
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not return after Close")
	}
}

func TestKeepaliveAndIdle(t *testing.T) {
	sessions := make(chan *session, 4)
	o := opts()
	// Idle is many keep-alives long, so that a loaded machine still pings before it
	// gives up; a dial never blocks on the test (a hang would outlive the test's context).
	o.Keepalive, o.Idle = 5*time.Millisecond, 100*time.Millisecond
	s := stream.New(func(context.Context) (stream.Session, error) {
		sess := newSession()
		select {
		case sessions <- sess:
		default:
		}
		return sess, nil
	}, o)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		first := <-sessions // silent: pinged, then replaced
		second := <-sessions
		first.mu.Lock()
		pings := first.pings
		first.mu.Unlock()
		if pings > 0 {
			second.in <- []byte("next session")
		}
	}()
	b, err := s.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "next session", string(b.Frames[0].Data), "a pinged but silent session is replaced")
}
