// Package fakepbx is a fake Asterisk Manager (AMI) and a fake FreeSWITCH event socket
// (ESL) speaking the real protocols over loopback, for the tests that follow a live
// platform through statkit: the banner or greeting, the login or auth (one valid
// account), the subscription, keep-alives, QueueStatus, and events the test pushes on the
// connection it chooses — cut in the middle if it likes, before a disconnect.
package fakepbx

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
)

// server is what both fakes share: a listener and the connections it accepted.
type server struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	ready chan *Conn // connections logged in and subscribed
	auths int        // logins accepted
	fails int        // logins refused
}

func listen() (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &server{ln: ln, ready: make(chan *Conn, 16)}, nil
}

func (s *server) accept(serve func(net.Conn)) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		go serve(c)
	}
}

// Addr returns the fake's host:port.
func (s *server) Addr() string { return s.ln.Addr().String() }

// Close stops listening and closes every connection.
func (s *server) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	return err
}

// Conn waits for the next connection that logged in and subscribed (for AMI, whose
// QueueStatus was answered).
func (s *server) Conn(ctx context.Context) (*Conn, error) {
	select {
	case c := <-s.ready:
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("fakepbx: no client logged in: %w", ctx.Err())
	}
}

// Logins returns the logins accepted and refused so far.
func (s *server) Logins() (accepted, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths, s.fails
}

// offer hands a ready connection to Conn (dropped when 16 wait already).
func (s *server) offer(c *Conn) {
	select {
	case s.ready <- c:
	default:
	}
}

func (s *server) count(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.auths++
	} else {
		s.fails++
	}
}

// Conn is one client connection of a fake.
type Conn struct {
	c   net.Conn
	wmu sync.Mutex
	esl bool
}

// Write writes raw bytes (part of an event, to cut it before Close).
func (c *Conn) Write(s string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := io.WriteString(c.c, s)
	return err
}

// Close closes the connection (the client reconnects).
func (c *Conn) Close() error { return c.c.Close() }

// Event sends an event given as name, value pairs: an AMI "Key: Value" block, or an ESL
// text/event-plain message (values URL-encoded, as FreeSWITCH does).
func (c *Conn) Event(kv ...string) error { return c.Write(c.Frame(kv...)) }

// Frame returns what Event sends.
func (c *Conn) Frame(kv ...string) string {
	if c.esl {
		return ESLEvent(kv...)
	}
	return AMIEvent(kv...)
}

// AMIEvent is an AMI event block of name, value pairs (CRLF line ends, a blank line at
// the end).
func AMIEvent(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i] + ": " + kv[i+1] + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// ESLEvent is a text/event-plain message of name, value pairs.
func ESLEvent(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i] + ": " + url.PathEscape(kv[i+1]) + "\n")
	}
	b.WriteString("\n")
	body := b.String()
	return fmt.Sprintf("Content-Length: %d\nContent-Type: text/event-plain\n\n%s", len(body), body)
}

// AMI is a fake Asterisk Manager.
type AMI struct {
	*server
	user, secret string
	members      [][]string // QueueMember answers to QueueStatus, as name, value pairs
	timestamp    string     // the Timestamp of the events the fake sends itself ("": none)
}

// NewAMI starts a fake Manager accepting user and secret.
func NewAMI(user, secret string) (*AMI, error) {
	s, err := listen()
	if err != nil {
		return nil, err
	}
	a := &AMI{server: s, user: user, secret: secret}
	go s.accept(a.serve)
	return a, nil
}

// SetMembers sets the queue members QueueStatus answers, each as name, value pairs of a
// QueueMember event (Queue, MemberName, Paused, …).
func (a *AMI) SetMembers(members ...[]string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.members = members
}

// SetTimestamp sets the Timestamp header (Unix seconds with microseconds, as Asterisk's
// timestampevents writes it) of the events the fake sends itself — FullyBooted and the
// answers to QueueStatus; "" leaves it out (timestampevents = no).
func (a *AMI) SetTimestamp(ts string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.timestamp = ts
}

// event is an event the fake sends itself: name, its Timestamp when set, then kv.
func (a *AMI) event(name string, kv ...string) string {
	a.mu.Lock()
	ts := a.timestamp
	a.mu.Unlock()
	head := []string{"Event", name}
	if ts != "" {
		head = append(head, "Timestamp", ts)
	}
	return AMIEvent(append(head, kv...)...)
}

func (a *AMI) serve(nc net.Conn) {
	c := &Conn{c: nc}
	c.Write("Asterisk Call Manager/9.0.0\r\n")
	br := bufio.NewReader(nc)
	for {
		hdr := map[string]string{}
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			k, v, _ := strings.Cut(line, ": ")
			hdr[k] = v
		}
		id := hdr["ActionID"]
		switch hdr["Action"] {
		case "Login":
			ok := hdr["Username"] == a.user && hdr["Secret"] == a.secret && a.secret != ""
			a.count(ok)
			if !ok {
				c.Write(AMIEvent("Response", "Error", "ActionID", id, "Message", "Authentication failed"))
				nc.Close()
				return
			}
			c.Write(AMIEvent("Response", "Success", "ActionID", id, "Message", "Authentication accepted"))
			c.Write(a.event("FullyBooted", "Privilege", "system,all", "Status", "Fully Booted"))
		case "Ping":
			c.Write(AMIEvent("Response", "Success", "ActionID", id, "Ping", "Pong", "Timestamp", "0.000000"))
		case "QueueStatus":
			a.mu.Lock()
			members := a.members
			a.mu.Unlock()
			var b strings.Builder
			b.WriteString(AMIEvent("Response", "Success", "ActionID", id, "EventList", "start", "Message", "Queue status will follow"))
			for _, m := range members {
				b.WriteString(a.event("QueueMember", append([]string{"ActionID", id}, m...)...))
			}
			b.WriteString(a.event("QueueStatusComplete", "ActionID", id, "EventList", "Complete", "ListItems", fmt.Sprint(len(members))))
			c.Write(b.String())
			a.offer(c)
		case "Logoff":
			c.Write(AMIEvent("Response", "Goodbye", "ActionID", id, "Message", "Thanks for all the fish."))
			nc.Close()
			return
		default:
			c.Write(AMIEvent("Response", "Error", "ActionID", id, "Message", "Invalid/unknown command"))
		}
	}
}

// ESL is a fake FreeSWITCH inbound event socket.
type ESL struct {
	*server
	password string
	subs     []string
}

// NewESL starts a fake event socket accepting password.
func NewESL(password string) (*ESL, error) {
	s, err := listen()
	if err != nil {
		return nil, err
	}
	e := &ESL{server: s, password: password}
	go s.accept(e.serve)
	return e, nil
}

// Subscriptions returns the event subscriptions received, in order.
func (e *ESL) Subscriptions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.subs...)
}

func (e *ESL) serve(nc net.Conn) {
	c := &Conn{c: nc, esl: true}
	c.Write("Content-Type: auth/request\n\n")
	br := bufio.NewReader(nc)
	for {
		var cmd string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			cmd = line
		}
		switch {
		case strings.HasPrefix(cmd, "auth "):
			ok := strings.TrimPrefix(cmd, "auth ") == e.password
			e.count(ok)
			if !ok {
				c.Write("Content-Type: command/reply\nReply-Text: -ERR invalid\n\n")
				nc.Close()
				return
			}
			c.Write("Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
		case strings.HasPrefix(cmd, "event plain "):
			e.mu.Lock()
			e.subs = append(e.subs, strings.TrimPrefix(cmd, "event plain "))
			e.mu.Unlock()
			c.Write("Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n")
			e.offer(c)
		case cmd == "exit":
			c.Write("Content-Type: command/reply\nReply-Text: +OK bye\n\n")
			nc.Close()
			return
		default:
			c.Write("Content-Type: command/reply\nReply-Text: -ERR command not found\n\n")
		}
	}
}
