package stream_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/source/stream"
)

// listen accepts connections on a local port and hands them to the test.
func listen(t *testing.T) (string, <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	return ln.Addr().String(), conns
}

// lineSession reads newline-ended frames from a Conn.
type lineSession struct {
	c *stream.Conn
	r *bufio.Reader
}

func (s lineSession) Read() ([]byte, error) {
	line, err := s.r.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	return line[:len(line)-1], nil
}
func (s lineSession) Keepalive() error { return s.c.Send([]byte("ping\n")) }
func (s lineSession) Close() error     { return s.c.Close() }

func TestTCPHandshakeAndSession(t *testing.T) {
	addr, conns := listen(t)
	s := stream.TCP{Protocol: "line", Addr: addr, Timeout: time.Second}.Connect(opts(), func(c *stream.Conn) (stream.Session, error) {
		if err := c.Send([]byte("hello\n")); err != nil {
			return nil, err
		}
		return lineSession{c, bufio.NewReader(c)}, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		c := <-conns
		greeting, _ := bufio.NewReader(c).ReadString('\n')
		fmt.Fprintf(c, "got %s", greeting)
	}()
	b, err := s.Next(ctx)
	require.NoError(t, err)
	require.Len(t, b.Frames, 1)
	assert.Equal(t, "got hello", string(b.Frames[0].Data))
	require.NoError(t, s.Close())
}

func TestTCPFailedHandshakeClosesTheConnection(t *testing.T) {
	addr, conns := listen(t)
	o := opts()
	o.Name = "" // named after the protocol and the address
	s := stream.TCP{Protocol: "line", Addr: addr, Timeout: time.Second}.Connect(o, func(c *stream.Conn) (stream.Session, error) {
		return nil, fmt.Errorf("login: %w", stream.ErrAuth)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.Next(ctx)
	require.ErrorIs(t, err, stream.ErrAuth, "refused at the first connection: fatal")
	assert.ErrorContains(t, err, "line "+addr+": login")
	c := <-conns
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the client closed the connection")
}

func TestTCPHandshakeDeadline(t *testing.T) {
	addr, _ := listen(t) // accepts and says nothing
	timeout := 50 * time.Millisecond
	s := stream.TCP{Protocol: "line", Addr: addr, Timeout: timeout}.Connect(opts(), func(c *stream.Conn) (stream.Session, error) {
		_, err := c.Read(make([]byte, 1))
		return nil, fmt.Errorf("%w: %w", stream.ErrAuth, err) // fatal, so that Next returns it
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.Next(ctx)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "a silent server fails the handshake after Timeout")
}

func TestConnCloseTwice(t *testing.T) {
	addr, _ := listen(t)
	closed := make(chan error, 1)
	s := stream.TCP{Protocol: "line", Addr: addr, Timeout: time.Second}.Connect(opts(), func(c *stream.Conn) (stream.Session, error) {
		require.NoError(t, c.Close())
		closed <- c.Close()
		return nil, stream.ErrAuth
	})
	_, err := s.Next(context.Background())
	require.ErrorIs(t, err, stream.ErrAuth)
	assert.NoError(t, <-closed, "closing a closed connection is no error")
}
