package ami

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/stream"
)

// Config configure a live Manager connection.
type Config struct {
	// Addr is host:port (the Manager's port is 5038 by default).
	Addr string
	// Username and Secret log in (manager.conf); read them with source.LoadCredentials,
	// never from a command-line flag.
	Username, Secret string
	// Events is the Login's event mask: app_queue's events are in class agent (the
	// default); VarSet, for attached data, is in class dialplan.
	Events string
	// NoQueueStatus leaves out the QueueStatus action sent after every login, whose
	// QueueMember answers restore memberships and pauses changed while disconnected.
	NoQueueStatus bool
	// Timeout bounds dialling, the banner and the login; 0 means 10 s.
	Timeout time.Duration
	// Stream configures keep-alive pings, reconnection and batching; Name defaults to
	// "ami ADDR".
	Stream stream.Options
	// DialContext dials; nil is a net.Dialer's.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Connect returns a live source of the Manager's events; it dials on the first Next.
func Connect(cfg Config) *stream.Stream {
	if cfg.Events == "" {
		cfg.Events = "agent"
	}
	t := stream.TCP{Protocol: "ami", Addr: cfg.Addr, Timeout: cfg.Timeout, DialContext: cfg.DialContext}
	return t.Connect(cfg.Stream, func(c *stream.Conn) (stream.Session, error) { return open(c, cfg) })
}

// session is one logged-in Manager connection.
type session struct {
	conn *stream.Conn
	s    *scanner
	seq  atomic.Int64 // numbers the actions
}

// open reads the banner, logs in and sends QueueStatus.
func open(c *stream.Conn, cfg Config) (stream.Session, error) {
	se := &session{conn: c, s: newScanner(c)}
	if err := se.login(cfg); err != nil {
		return nil, err
	}
	if !cfg.NoQueueStatus {
		if err := se.send("QueueStatus", nil); err != nil {
			return nil, err
		}
	}
	return se, nil
}

func (se *session) login(cfg Config) error {
	banner, err := se.s.readLine()
	if err != nil {
		return fmt.Errorf("read the banner: %w", err)
	}
	if !bytes.HasPrefix(banner, []byte(Banner)) {
		return fmt.Errorf("not an Asterisk Manager: the banner is %q", source.Clip(string(banner)))
	}
	id, err := se.sendID("Login", []string{"Username", cfg.Username, "Secret", cfg.Secret, "Events", cfg.Events})
	if err != nil {
		return err
	}
	for {
		block, _, err := se.s.next()
		if err != nil {
			return fmt.Errorf("read the login response: %w", err)
		}
		resp, aid := field(block, "Response"), field(block, "ActionID")
		if resp == "" || aid != id {
			continue // an event before the response
		}
		if !strings.EqualFold(resp, "Success") {
			return fmt.Errorf("login as %q: %s: %w", cfg.Username, field(block, "Message"), stream.ErrAuth)
		}
		return nil
	}
}

// field returns the value of key in a message's lines (for the few the client reads).
func field(block []byte, key string) string {
	for _, line := range bytes.Split(block, []byte{'\n'}) {
		if k, v, ok := bytes.Cut(line, []byte{':'}); ok && string(bytes.TrimSpace(k)) == key {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// send writes an action (its headers as name, value pairs).
func (se *session) send(action string, headers []string) error {
	_, err := se.sendID(action, headers)
	return err
}

func (se *session) sendID(action string, headers []string) (string, error) {
	id := "statkit-" + strconv.FormatInt(se.seq.Add(1), 10)
	var b strings.Builder
	b.WriteString("Action: " + action + "\r\nActionID: " + id + "\r\n")
	for i := 0; i+1 < len(headers); i += 2 {
		b.WriteString(headers[i] + ": " + headers[i+1] + "\r\n")
	}
	b.WriteString("\r\n")
	return id, se.conn.Send([]byte(b.String()))
}

// Read implements stream.Session: the next event; responses (to pings, QueueStatus) are
// activity without a frame.
func (se *session) Read() ([]byte, error) {
	block, long, err := se.s.next()
	if err != nil {
		return nil, err
	}
	if long {
		return nil, nil // refused by its size; skipped
	}
	if !bytes.HasPrefix(block, []byte("Event:")) && field(block, "Event") == "" {
		return nil, nil
	}
	return bytes.Clone(block), nil
}

// Keepalive implements stream.Session with a Ping action.
func (se *session) Keepalive() error { return se.send("Ping", nil) }

// Close implements stream.Session: it logs off (best effort) and closes the connection.
func (se *session) Close() error {
	_ = se.send("Logoff", nil)
	return se.conn.Close()
}
