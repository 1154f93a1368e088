package stream

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// TCP is where the sessions of a TCP text protocol (AMI, ESL) connect to, and how. The
// protocol itself is the handshake given to Connect.
type TCP struct {
	// Protocol names the stream "Protocol Addr" when Options.Name is empty.
	Protocol string
	// Addr is host:port.
	Addr string
	// Timeout bounds dialling, the handshake and every write; 0 means 10 s.
	Timeout time.Duration
	// DialContext dials; nil is a net.Dialer's.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Handshake opens a session on a new connection (reads the greeting, logs in,
// subscribes); the whole of it runs under a deadline of TCP.Timeout.
type Handshake func(c *Conn) (Session, error)

// Connect returns a Stream whose sessions are connections to t.Addr on which handshake
// succeeded; a connection whose handshake fails is closed. It dials on the first Next.
func (t TCP) Connect(opts Options, handshake Handshake) *Stream {
	if t.Timeout <= 0 {
		t.Timeout = 10 * time.Second
	}
	if t.DialContext == nil {
		var d net.Dialer
		t.DialContext = d.DialContext
	}
	if opts.Name == "" {
		opts.Name = t.Protocol + " " + t.Addr
	}
	return New(func(ctx context.Context) (Session, error) { return t.dial(ctx, handshake) }, opts)
}

// dial connects within the timeout and runs the handshake under a deadline.
func (t TCP) dial(ctx context.Context, handshake Handshake) (Session, error) {
	dctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	nc, err := t.DialContext(dctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(t.Timeout))
	sess, err := handshake(&Conn{nc: nc, timeout: t.Timeout})
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return sess, nil
}

// Conn is the connection of a TCP session. Its writes are serialised (Keepalive may run
// beside Close) and each is bounded by the timeout.
type Conn struct {
	nc      net.Conn
	timeout time.Duration
	wmu     sync.Mutex
}

// Read implements io.Reader.
func (c *Conn) Read(p []byte) (int, error) { return c.nc.Read(p) }

// Send writes p whole.
func (c *Conn) Send(p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.timeout))
	_, err := c.nc.Write(p)
	return err
}

// Close closes the connection; a Read in progress returns. Closing it again is no error.
func (c *Conn) Close() error {
	if err := c.nc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
