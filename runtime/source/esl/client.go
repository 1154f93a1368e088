package esl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/statkit/statkit/runtime/source/stream"
)

// DefaultEvents is the subscription of a live client: FreeSWITCH's heartbeat (the
// keep-alive) and mod_callcenter's events. CUSTOM and its subclasses come last, as the
// event command requires.
const DefaultEvents = "HEARTBEAT CUSTOM callcenter::info"

// Config configure a live event-socket connection.
type Config struct {
	// Addr is host:port (mod_event_socket listens on 8021 by default).
	Addr string
	// Password authenticates (event_socket.conf.xml); read it with
	// source.LoadCredentials, never from a command-line flag.
	Password string
	// Events is the event subscription; empty is DefaultEvents. Add
	// CHANNEL_EXECUTE_COMPLETE before CUSTOM for attached-data updates.
	Events string
	// Timeout bounds dialling and the handshake; 0 means 10 s.
	Timeout time.Duration
	// Stream configures reconnection and batching. Its Keepalive defaults to 20 s, the
	// heartbeat interval of FreeSWITCH, so a connection without any event for a minute
	// (Idle) is replaced; Name defaults to "esl ADDR".
	Stream stream.Options
	// DialContext dials; nil is a net.Dialer's.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Connect returns a live source of the event socket's plain-text events; it dials on the
// first Next.
func Connect(cfg Config) *stream.Stream {
	if cfg.Events == "" {
		cfg.Events = DefaultEvents
	}
	t := stream.TCP{Protocol: "esl", Addr: cfg.Addr, Timeout: cfg.Timeout, DialContext: cfg.DialContext}
	return t.Connect(cfg.Stream, func(c *stream.Conn) (stream.Session, error) { return open(c, cfg) })
}

// session is one authenticated, subscribed event-socket connection.
type session struct {
	conn *stream.Conn
	r    *reader
}

// open authenticates and subscribes.
func open(c *stream.Conn, cfg Config) (stream.Session, error) {
	se := &session{conn: c, r: newReader(c)}
	if err := se.handshake(cfg); err != nil {
		return nil, err
	}
	return se, nil
}

func (se *session) handshake(cfg Config) error {
	m, err := se.r.next()
	if err != nil {
		return fmt.Errorf("read the greeting: %w", err)
	}
	if ct := m.header("Content-Type"); ct != "auth/request" {
		return fmt.Errorf("not a FreeSWITCH event socket: the greeting is %q", ct)
	}
	if err := se.command("auth " + cfg.Password); err != nil {
		if errors.Is(err, errRefused) {
			return fmt.Errorf("auth: %w: %w", err, stream.ErrAuth)
		}
		return fmt.Errorf("auth: %w", err)
	}
	if err := se.command("event plain " + cfg.Events); err != nil {
		return fmt.Errorf("subscribe to %q: %w", cfg.Events, err)
	}
	return nil
}

var errRefused = errors.New("refused")

// command sends a command and reads its command/reply (events may not come before it:
// the subscription starts with this reply).
func (se *session) command(cmd string) error {
	if err := se.write(cmd); err != nil {
		return err
	}
	for {
		m, err := se.r.next()
		if err != nil {
			return err
		}
		switch m.header("Content-Type") {
		case "command/reply":
			if reply := m.header("Reply-Text"); !strings.HasPrefix(reply, "+OK") {
				return fmt.Errorf("%s: %w", reply, errRefused)
			}
			return nil
		case "text/disconnect-notice":
			return fmt.Errorf("disconnected: %s", strings.TrimSpace(string(m.body)))
		}
	}
}

func (se *session) write(cmd string) error { return se.conn.Send([]byte(cmd + "\n\n")) }

// Read implements stream.Session: the next plain-text event; other messages are activity
// without a frame, and a disconnect notice ends the session.
func (se *session) Read() ([]byte, error) {
	m, err := se.r.next()
	if err != nil {
		return nil, err
	}
	switch m.header("Content-Type") {
	case "text/event-plain":
		if m.tooLong {
			return nil, nil
		}
		return m.body, nil
	case "text/disconnect-notice":
		return nil, fmt.Errorf("FreeSWITCH disconnected: %s", strings.TrimSpace(string(m.body)))
	}
	return nil, nil
}

// Keepalive implements stream.Session: FreeSWITCH sends HEARTBEAT events, so the client
// sends nothing; a silent connection is replaced (stream.Options.Idle).
func (se *session) Keepalive() error { return nil }

// Close implements stream.Session: it says exit (best effort) and closes the connection.
func (se *session) Close() error {
	_ = se.write("exit")
	return se.conn.Close()
}
