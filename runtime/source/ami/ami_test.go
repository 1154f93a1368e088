package ami_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/ami"
	"github.com/statkit/statkit/runtime/source/stream"
)

func TestParse(t *testing.T) {
	var rec source.Record
	block := "Event: QueueCallerJoin\r\nPrivilege: agent,all\r\nTimestamp: 1767225600.250000\r\nChannel: PJSIP/trunk-00000001\r\n" +
		"Uniqueid: 1767225600.1\r\nQueue: sales\r\nPosition: 1\r\nCount: 1\r\nChanVariable: SEGMENT=Gold\r\n" +
		"ChanVariable(PJSIP/trunk-00000001): LANG=fr\r\nEmpty:\r\nSpaces:  two\r\n"
	require.NoError(t, ami.Parse([]byte(block), &rec))
	var got []string
	for _, f := range rec.Fields {
		got = append(got, f.Name+"="+f.Value)
	}
	assert.Equal(t, []string{"Event=QueueCallerJoin", "Privilege=agent,all", "Timestamp=1767225600.250000", "Channel=PJSIP/trunk-00000001",
		"Uniqueid=1767225600.1", "Queue=sales", "Position=1", "Count=1", "ChanVariable=SEGMENT=Gold", "ChanVariable=LANG=fr",
		"Empty=", "Spaces= two"}, got)
	var rej *event.Rejection
	require.True(t, errors.As(ami.Parse([]byte("Event: X\r\nno colon here\r\n"), &rec), &rej))
	assert.Equal(t, `line 2 of the message is not Key: Value: "no colon here"`, rej.Reason)
}

func TestReader(t *testing.T) {
	in := "Asterisk Call Manager/9.0.0\r\n" +
		"Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n" +
		"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n" +
		"\r\n" +
		"Event: QueueCallerLeave\r\nQueue: sales\r\nno colon\r\n\r\n" +
		"Event: QueueCallerJoin\r\nQueue: sales\r\n\r\n" +
		"Event: QueueCallerAbandon\r\nQueue: sa"
	r := ami.NewReader(strings.NewReader(in))
	var rec source.Record
	require.NoError(t, r.Next(&rec))
	name, _ := rec.Get("Event")
	assert.Equal(t, "FullyBooted", name, "the banner and the login response are skipped")
	assert.Equal(t, 6, rec.Line)
	var rej *event.Rejection
	require.True(t, errors.As(r.Next(&rec), &rej))
	assert.Equal(t, 11, rej.Line)
	require.NoError(t, r.Next(&rec))
	name, _ = rec.Get("Event")
	assert.Equal(t, "QueueCallerJoin", name)
	require.True(t, errors.As(r.Next(&rec), &rej), "a message cut by the end")
	assert.Equal(t, "the last message is cut (no blank line ends it)", rej.Reason)
	assert.ErrorIs(t, r.Next(&rec), io.EOF)
}

// fakeAMI is a Manager speaking the real protocol over loopback: banner, Login (with one
// valid account), Ping, QueueStatus (answered with one member), events pushed by the test.
type fakeAMI struct {
	t     *testing.T
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	pings int
	acts  []string // actions received, in order
	accts map[string]string
	ready chan net.Conn // a connection after a successful login
	mute  bool          // stop answering pings
}

func newFakeAMI(t *testing.T) *fakeAMI {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeAMI{t: t, ln: ln, accts: map[string]string{"statkit": "s3cret"}, ready: make(chan net.Conn, 8)}
	go f.accept()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
	})
	return f
}

func (f *fakeAMI) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		go f.serve(c)
	}
}

func (f *fakeAMI) serve(c net.Conn) {
	io.WriteString(c, "Asterisk Call Manager/9.0.0\r\n")
	br := bufio.NewReader(c)
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
		f.mu.Lock()
		f.acts = append(f.acts, hdr["Action"])
		mute := f.mute
		f.mu.Unlock()
		switch hdr["Action"] {
		case "Login":
			if f.accts[hdr["Username"]] != hdr["Secret"] || hdr["Secret"] == "" {
				io.WriteString(c, "Response: Error\r\nActionID: "+id+"\r\nMessage: Authentication failed\r\n\r\n")
				c.Close()
				return
			}
			io.WriteString(c, "Response: Success\r\nActionID: "+id+"\r\nMessage: Authentication accepted\r\n\r\n")
			io.WriteString(c, "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 12\r\nLastReload: 12\r\nStatus: Fully Booted\r\n\r\n")
		case "Ping":
			f.mu.Lock()
			f.pings++
			f.mu.Unlock()
			if !mute {
				io.WriteString(c, "Response: Success\r\nActionID: "+id+"\r\nPing: Pong\r\nTimestamp: 1767225600.000000\r\n\r\n")
			}
		case "QueueStatus":
			io.WriteString(c, "Response: Success\r\nActionID: "+id+"\r\nEventList: start\r\nMessage: Queue status will follow\r\n\r\n"+
				"Event: QueueMember\r\nActionID: "+id+"\r\nQueue: sales\r\nName: Alice\r\nMemberName: Alice\r\nLocation: PJSIP/alice\r\n"+
				"StateInterface: PJSIP/alice\r\nMembership: dynamic\r\nPenalty: 0\r\nCallsTaken: 0\r\nLastCall: 0\r\nLastPause: 0\r\n"+
				"InCall: 0\r\nStatus: 1\r\nPaused: 0\r\nPausedReason: \r\nWrapuptime: 0\r\n\r\n"+
				"Event: QueueStatusComplete\r\nActionID: "+id+"\r\nEventList: Complete\r\nListItems: 1\r\n\r\n")
			f.ready <- c // logged in and answered
		case "Logoff":
			io.WriteString(c, "Response: Goodbye\r\nActionID: "+id+"\r\nMessage: Thanks for all the fish.\r\n\r\n")
			c.Close()
			return
		}
	}
}

func (f *fakeAMI) connected(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-f.ready:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no login")
		return nil
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// client connects to f with keep-alives every ka; a session silent for 10 × ka (several
// pongs missed, even on a loaded machine) is replaced.
func client(f *fakeAMI, user, secret string, ka time.Duration) *stream.Stream {
	return ami.Connect(ami.Config{Addr: f.ln.Addr().String(), Username: user, Secret: secret, Timeout: time.Second,
		Stream: stream.Options{Keepalive: ka, Idle: 10 * ka, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: quiet()}})
}

// reader buffers a stream's events by name ("Event Queue").
type reader struct {
	s   *stream.Stream
	buf []string
}

// events returns the next n events, reading batches as needed.
func (r *reader) events(t *testing.T, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rec source.Record
	for len(r.buf) < n {
		b, err := r.s.Next(ctx)
		require.NoError(t, err, "after %v", r.buf)
		assert.Nil(t, b.Position, "a live connection cannot be resumed")
		for _, fr := range b.Frames {
			require.NoError(t, ami.Decode(fr.Data, &rec))
			name, _ := rec.Get("Event")
			if q, ok := rec.Get("Queue"); ok {
				name += " " + q
			}
			r.buf = append(r.buf, name)
			assert.NotZero(t, fr.Received)
		}
	}
	out := r.buf[:n:n]
	r.buf = r.buf[n:]
	return out
}

func TestClientLoginEventsReconnect(t *testing.T) {
	f := newFakeAMI(t)
	s := client(f, "statkit", "s3cret", time.Hour)
	defer s.Close()
	r := &reader{s: s}
	assert.Equal(t, []string{"FullyBooted", "QueueMember sales", "QueueStatusComplete"}, r.events(t, 3),
		"after the login, the answer to QueueStatus")
	c := f.connected(t)
	io.WriteString(c, "Event: QueueCallerJoin\r\nPrivilege: agent,all\r\nUniqueid: 1.1\r\nQueue: sales\r\nPosition: 1\r\nCount: 1\r\n\r\n")
	// Disconnect in the middle of an event: it must never be delivered.
	io.WriteString(c, "Event: QueueCallerLeave\r\nQueue: sa")
	c.Close()
	assert.Equal(t, []string{"QueueCallerJoin sales", "FullyBooted", "QueueMember sales", "QueueStatusComplete"}, r.events(t, 4),
		"the complete event, then a new session")
	c = f.connected(t)
	io.WriteString(c, "Event: QueueCallerLeave\r\nPrivilege: agent,all\r\nUniqueid: 1.1\r\nQueue: support\r\nCount: 0\r\n\r\n")
	assert.Equal(t, []string{"QueueCallerLeave support"}, r.events(t, 1))
	f.mu.Lock()
	acts := append([]string(nil), f.acts...)
	f.mu.Unlock()
	assert.Equal(t, []string{"Login", "QueueStatus", "Login", "QueueStatus"}, acts)
}

func TestClientBadCredentials(t *testing.T) {
	f := newFakeAMI(t)
	s := client(f, "statkit", "wrong", time.Hour)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.Next(ctx)
	require.ErrorIs(t, err, stream.ErrAuth, "refused credentials at the first connection are fatal")
	assert.ErrorContains(t, err, `login as "statkit": Authentication failed`)
}

func TestClientKeepaliveAndSilence(t *testing.T) {
	f := newFakeAMI(t)
	s := client(f, "statkit", "s3cret", 10*time.Millisecond)
	defer s.Close()
	r := &reader{s: s}
	r.events(t, 3) // logged in
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err := s.Next(ctx)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	f.mu.Lock()
	pings := f.pings
	f.mute = true // the Manager stops answering: the connection is dead
	f.mu.Unlock()
	assert.GreaterOrEqual(t, pings, 3, "a ping every keep-alive interval")
	assert.Equal(t, []string{"FullyBooted", "QueueMember sales", "QueueStatusComplete"}, r.events(t, 3), "a new session after the silence")
}

func TestClientRetriesUntilTheManagerIsUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens yet
	s := ami.Connect(ami.Config{Addr: addr, Username: "statkit", Secret: "s3cret", Timeout: time.Second,
		Stream: stream.Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 10 * time.Millisecond, Logger: quiet()}})
	defer s.Close()
	done := make(chan []string)
	r := &reader{s: s}
	go func() { done <- r.events(t, 3) }()
	time.Sleep(50 * time.Millisecond)
	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	f := &fakeAMI{t: t, ln: ln, accts: map[string]string{"statkit": "s3cret"}, ready: make(chan net.Conn, 8)}
	go f.accept()
	defer ln.Close()
	select {
	case got := <-done:
		assert.Equal(t, []string{"FullyBooted", "QueueMember sales", "QueueStatusComplete"}, got)
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnection")
	}
}
