// Package esl reads FreeSWITCH's event socket (mod_event_socket, inbound mode): its
// framing (a header block ending in a blank line, then Content-Length bytes of body),
// plain-text events (text/event-plain: URL-encoded "Name: value" headers), recorded
// socket streams, and a live client that authenticates, subscribes to mod_callcenter's
// events and FreeSWITCH's heartbeat, and reconnects with backoff when the connection
// drops or the heartbeat stops.
package esl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
)

// MaxMessage bounds a message's body; a longer one is skipped.
const MaxMessage = 1 << 20

// Rejection codes.
const (
	CodeBadEvent     = "bad_event"
	CodeEventTooLong = "event_too_long"
)

// Parse reads a plain-text event (the body of a text/event-plain message) into rec: its
// header lines up to the first blank line, values URL-decoded. The event's own body, after
// the blank line, is not read.
func Parse(body []byte, rec *source.Record) error {
	rec.Reset()
	if len(body) > MaxMessage {
		return &event.Rejection{Code: CodeEventTooLong, Reason: "event is longer than " + strconv.Itoa(MaxMessage) + " bytes"}
	}
	n := 0
	for line := range bytes.Lines(body) {
		n++
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\r'})
		if len(line) == 0 {
			break // the end of the headers
		}
		k, v, ok := bytes.Cut(line, []byte(": "))
		if !ok || len(k) == 0 {
			return &event.Rejection{Code: CodeBadEvent, Reason: fmt.Sprintf("line %d of the event is not Name: value: %q", n, source.Clip(string(line)))}
		}
		val := string(v)
		if d, err := url.PathUnescape(val); err == nil {
			val = d
		}
		rec.Add(string(k), val)
	}
	if len(rec.Fields) == 0 {
		return &event.Rejection{Code: CodeBadEvent, Reason: "empty event"}
	}
	return nil
}

// Decode is the source.Decoder of ESL event frames (text/event-plain bodies).
func Decode(frame []byte, rec *source.Record) error { return Parse(frame, rec) }

// message is one event-socket message.
type message struct {
	headers []byte // the header block, lines joined by \n
	body    []byte
	line    int // the stream line its headers start at
	tooLong bool
}

// header returns the value of a message header.
func (m *message) header(key string) string {
	for _, line := range bytes.Split(m.headers, []byte{'\n'}) {
		if k, v, ok := bytes.Cut(line, []byte(": ")); ok && string(k) == key {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// reader frames an event-socket stream into messages.
type reader struct {
	br   *bufio.Reader
	line int
}

func newReader(r io.Reader) *reader { return &reader{br: bufio.NewReaderSize(r, 64<<10)} }

// next reads the next message; io.EOF at a clean end, io.ErrUnexpectedEOF for a message
// cut by the end of the stream.
func (r *reader) next() (*message, error) {
	m := &message{}
	for {
		line, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("event socket: a header line is longer than %d bytes", r.br.Size())
		}
		if err != nil {
			if errors.Is(err, io.EOF) && (len(line) > 0 || len(m.headers) > 0) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		r.line++
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\r'})
		if len(line) == 0 {
			if len(m.headers) == 0 {
				continue // blank lines between messages
			}
			break
		}
		if len(m.headers) == 0 {
			m.line = r.line
		}
		if len(m.headers)+len(line) > MaxMessage {
			return nil, fmt.Errorf("event socket: a header block is longer than %d bytes", MaxMessage)
		}
		m.headers = append(append(m.headers, line...), '\n')
	}
	cl := m.header("Content-Length")
	if cl == "" {
		return m, nil
	}
	n, err := strconv.ParseInt(cl, 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("event socket: bad Content-Length %q", cl)
	}
	if n > MaxMessage {
		m.tooLong = true
		if _, err := io.CopyN(io.Discard, r.br, n); err != nil {
			return nil, unexpected(err)
		}
		return m, nil
	}
	m.body = make([]byte, n)
	if _, err := io.ReadFull(r.br, m.body); err != nil {
		return nil, unexpected(err)
	}
	r.line += bytes.Count(m.body, []byte{'\n'})
	return m, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Reader reads a recorded event-socket stream (what the client receives, saved by a
// capture): it yields the text/event-plain events and skips the other messages
// (auth/request, command/reply, api/response, text/disconnect-notice). It implements
// source.Reader.
type Reader struct {
	r *reader
	n int
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader { return &Reader{r: newReader(r)} }

// Next implements source.Reader. A recording cut in the middle of a message ends with a
// rejection for it; a framing error (a bad Content-Length) is fatal, since what follows
// cannot be framed.
func (r *Reader) Next(rec *source.Record) error {
	for {
		m, err := r.r.next()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return &event.Rejection{Line: r.r.line, Code: CodeBadEvent, Reason: "the last message is cut"}
		}
		if err != nil {
			return err
		}
		if m.header("Content-Type") != "text/event-plain" {
			continue
		}
		if m.tooLong {
			return &event.Rejection{Line: m.line, Code: CodeEventTooLong, Reason: "event is longer than " + strconv.Itoa(MaxMessage) + " bytes"}
		}
		if err := Parse(m.body, rec); err != nil {
			var rej *event.Rejection
			if errors.As(err, &rej) {
				rej.Line = m.line
			}
			return err
		}
		rec.Line = m.line
		return nil
	}
}
