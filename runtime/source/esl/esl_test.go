package esl_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/esl"
	"github.com/statkit/statkit/runtime/source/stream"
)

// eventBody is a plain-text event as FreeSWITCH serializes it: URL-encoded values, a
// blank line at the end.
func eventBody(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i] + ": " + url.PathEscape(kv[i+1]) + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// message frames a body as a text/event-plain message.
func message(body string) string {
	return fmt.Sprintf("Content-Length: %d\nContent-Type: text/event-plain\n\n%s", len(body), body)
}

func ccEvent(action string, kv ...string) string {
	return message(eventBody(append([]string{"Event-Name", "CUSTOM", "Core-UUID", "6b6f4c5e-0000-4000-8000-000000000001",
		"Event-Date-Timestamp", "1767225600000000", "Event-Subclass", "callcenter::info", "CC-Action", action}, kv...)...))
}

func TestParse(t *testing.T) {
	var rec source.Record
	body := eventBody("Event-Name", "CUSTOM", "Event-Subclass", "callcenter::info", "CC-Agent-Status", "On Break",
		"variable_segment", "Gold 100%") + "this is the event's own body\nnot: headers\n"
	require.NoError(t, esl.Parse([]byte(body), &rec))
	var got []string
	for _, f := range rec.Fields {
		got = append(got, f.Name+"="+f.Value)
	}
	assert.Equal(t, []string{"Event-Name=CUSTOM", "Event-Subclass=callcenter::info", "CC-Agent-Status=On Break", "variable_segment=Gold 100%"}, got)
	var rej *event.Rejection
	require.True(t, errors.As(esl.Parse([]byte("Event-Name: CUSTOM\nbroken\n"), &rec), &rej))
	assert.Equal(t, `line 2 of the event is not Name: value: "broken"`, rej.Reason)
}

func TestReader(t *testing.T) {
	in := "Content-Type: auth/request\n\n" +
		"Content-Type: command/reply\nReply-Text: +OK accepted\n\n" +
		"Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n" +
		ccEvent("member-queue-start", "CC-Queue", "support@default") +
		message("Event-Name: CUSTOM\nbad line\n\n") +
		message(eventBody("Event-Name", "HEARTBEAT", "Event-Date-Timestamp", "1767225620000000")) +
		"Content-Length: 500\nContent-Type: text/event-plain\n\nEvent-Name: CUS"
	r := esl.NewReader(strings.NewReader(in))
	var rec source.Record
	require.NoError(t, r.Next(&rec))
	v, _ := rec.Get("CC-Action")
	assert.Equal(t, "member-queue-start", v)
	v, _ = rec.Get("Event-Subclass")
	assert.Equal(t, "callcenter::info", v, "URL-decoded")
	var rej *event.Rejection
	require.True(t, errors.As(r.Next(&rec), &rej))
	assert.Equal(t, "bad_event", rej.Code)
	require.NoError(t, r.Next(&rec))
	v, _ = rec.Get("Event-Name")
	assert.Equal(t, "HEARTBEAT", v)
	require.True(t, errors.As(r.Next(&rec), &rej), "cut by the end")
	assert.Equal(t, "the last message is cut", rej.Reason)
	assert.ErrorIs(t, r.Next(&rec), io.EOF)
}

// fakeESL is FreeSWITCH's inbound event socket over loopback: auth/request, auth, event
// subscription, events pushed by the test, heartbeats on demand.
type fakeESL struct {
	ln       net.Listener
	password string
	mu       sync.Mutex
	conns    []net.Conn
	subs     []string
	ready    chan net.Conn
}

func newFakeESL(t *testing.T) *fakeESL {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeESL{ln: ln, password: "ClueCon", ready: make(chan net.Conn, 8)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			go f.serve(c)
		}
	}()
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

func (f *fakeESL) serve(c net.Conn) {
	io.WriteString(c, "Content-Type: auth/request\n\n")
	br := bufio.NewReader(c)
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
			if strings.TrimPrefix(cmd, "auth ") != f.password {
				io.WriteString(c, "Content-Type: command/reply\nReply-Text: -ERR invalid\n\n")
				io.WriteString(c, "Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n")
				c.Close()
				return
			}
			io.WriteString(c, "Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
		case strings.HasPrefix(cmd, "event plain "):
			f.mu.Lock()
			f.subs = append(f.subs, strings.TrimPrefix(cmd, "event plain "))
			f.mu.Unlock()
			io.WriteString(c, "Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n")
			f.ready <- c
		case cmd == "exit":
			io.WriteString(c, "Content-Type: command/reply\nReply-Text: +OK bye\n\n")
			c.Close()
			return
		default:
			io.WriteString(c, "Content-Type: command/reply\nReply-Text: -ERR command not found\n\n")
		}
	}
}

func (f *fakeESL) connected(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-f.ready:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no subscription")
		return nil
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func client(f *fakeESL, password string, ka time.Duration) *stream.Stream {
	return esl.Connect(esl.Config{Addr: f.ln.Addr().String(), Password: password, Timeout: time.Second,
		Stream: stream.Options{Keepalive: ka, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: quiet()}})
}

// actions reads until n events came and returns their CC-Action (or Event-Name).
func actions(t *testing.T, s *stream.Stream, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []string
	var rec source.Record
	for len(out) < n {
		b, err := s.Next(ctx)
		require.NoError(t, err, "after %v", out)
		for _, fr := range b.Frames {
			require.NoError(t, esl.Decode(fr.Data, &rec))
			name, ok := rec.Get("CC-Action")
			if !ok {
				name, _ = rec.Get("Event-Name")
			}
			out = append(out, name)
		}
	}
	require.Len(t, out, n)
	return out
}

func TestClientSubscribeEventsReconnect(t *testing.T) {
	f := newFakeESL(t)
	s := client(f, "ClueCon", time.Hour)
	defer s.Close()
	go func() {
		c := f.connected(t)
		io.WriteString(c, ccEvent("member-queue-start", "CC-Queue", "support@default", "CC-Member-Session-UUID", "m-1"))
		io.WriteString(c, "Content-Length: 400\nContent-Type: text/event-plain\n\nEvent-Name: CUSTOM\nCC-Act") // cut
		c.Close()
		c = f.connected(t)
		io.WriteString(c, ccEvent("member-queue-end", "CC-Queue", "support@default", "CC-Cause", "Cancel"))
	}()
	assert.Equal(t, []string{"member-queue-start"}, actions(t, s, 1))
	assert.Equal(t, []string{"member-queue-end"}, actions(t, s, 1), "the cut event is lost, the next session's is read")
	f.mu.Lock()
	assert.Equal(t, []string{esl.DefaultEvents, esl.DefaultEvents}, f.subs)
	f.mu.Unlock()
}

func TestClientBadPassword(t *testing.T) {
	f := newFakeESL(t)
	s := client(f, "wrong", time.Hour)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.Next(ctx)
	require.ErrorIs(t, err, stream.ErrAuth)
	assert.ErrorContains(t, err, "-ERR invalid")
}

func TestClientHeartbeatAndSilence(t *testing.T) {
	f := newFakeESL(t)
	s := client(f, "ClueCon", 10*time.Millisecond) // silent for 30 ms: dead
	defer s.Close()
	go func() {
		c := f.connected(t)
		io.WriteString(c, message(eventBody("Event-Name", "HEARTBEAT", "Event-Date-Timestamp", "1767225600000000")))
		// Then silence: the client must replace the connection.
		c = f.connected(t)
		io.WriteString(c, ccEvent("agent-status-change", "CC-Agent", "1000@default", "CC-Agent-Status", "Available"))
	}()
	assert.Equal(t, []string{"HEARTBEAT", "agent-status-change"}, actions(t, s, 2))
}

func TestClientDisconnectNotice(t *testing.T) {
	f := newFakeESL(t)
	s := client(f, "ClueCon", time.Hour)
	defer s.Close()
	go func() {
		c := f.connected(t)
		io.WriteString(c, "Content-Type: text/disconnect-notice\nContent-Length: 23\n\nDisconnected, goodbye.\n")
		c = f.connected(t)
		io.WriteString(c, ccEvent("agent-offering", "CC-Queue", "support@default"))
	}()
	assert.Equal(t, []string{"agent-offering"}, actions(t, s, 1))
}
