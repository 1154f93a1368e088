// Package ami reads the Asterisk Manager Interface: the framing of its messages
// ("Key: Value" lines ending in a blank line), recorded event streams, and a live client
// that logs in, subscribes to the queue events, sends keep-alive pings, asks for the queue
// status after every login and reconnects with backoff.
package ami

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
)

// MaxBlock bounds a message's size; a longer one is refused and skipped.
const MaxBlock = 256 << 10

// Rejection codes of Parse.
const (
	CodeBadBlock     = "bad_block"
	CodeBlockTooLong = "block_too_long"
)

// Banner is how the Manager greets a connection: "Asterisk Call Manager/<version>".
const Banner = "Asterisk Call Manager/"

// Parse reads one message (its lines, without the blank line that ends it) into rec.
// Values keep their text after "Key: "; a key written Name(detail) — Asterisk 11 and
// earlier write ChanVariable(SIP/1001-0000002a) — is named Name. A line without a colon
// is refused.
func Parse(block []byte, rec *source.Record) error {
	rec.Reset()
	if len(block) > MaxBlock {
		return &event.Rejection{Code: CodeBlockTooLong, Reason: "message is longer than " + strconv.Itoa(MaxBlock) + " bytes"}
	}
	n := 0
	for line := range bytes.Lines(block) {
		n++
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\r'})
		if len(line) == 0 {
			continue
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return &event.Rejection{Code: CodeBadBlock, Reason: fmt.Sprintf("line %d of the message is not Key: Value: %q", n, source.Clip(string(line)))}
		}
		key := line[:i]
		if j := bytes.IndexByte(key, '('); j > 0 && key[len(key)-1] == ')' {
			key = key[:j]
		}
		val := line[i+1:]
		if len(val) > 0 && val[0] == ' ' {
			val = val[1:]
		}
		rec.Add(string(bytes.TrimSpace(key)), string(val))
	}
	return nil
}

// Decode is the source.Decoder of AMI event frames.
func Decode(frame []byte, rec *source.Record) error { return Parse(frame, rec) }

// scanner frames a Manager stream into messages.
type scanner struct {
	br    *bufio.Reader
	line  int // lines read
	start int // the line the current message starts at
	buf   []byte
}

func newScanner(r io.Reader) *scanner { return &scanner{br: bufio.NewReaderSize(r, 64<<10)} }

// readLine returns the next line with its terminator stripped; io.EOF at the end (an
// unterminated last line is io.ErrUnexpectedEOF: a message cut by a disconnect).
func (s *scanner) readLine() ([]byte, error) {
	line, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A line longer than the buffer: keep reading it into a copy.
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.br.ReadSlice('\n')
			if len(long) <= MaxBlock {
				long = append(long, line...)
			}
		}
		line = long
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	s.line++
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\r'}), nil
}

// next returns the next message's bytes (lines joined by \n) and whether it was too long
// to keep. Blank lines between messages are skipped. io.EOF at a clean end; a message
// cut by the end is io.ErrUnexpectedEOF.
func (s *scanner) next() ([]byte, bool, error) {
	s.buf = s.buf[:0]
	long := false
	for {
		line, err := s.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && len(s.buf) > 0 {
				return nil, false, io.ErrUnexpectedEOF
			}
			return nil, false, err
		}
		if len(line) == 0 {
			if len(s.buf) == 0 && !long {
				continue
			}
			return s.buf, long, nil
		}
		if len(s.buf) == 0 && !long {
			s.start = s.line
		}
		if len(s.buf)+len(line)+1 > MaxBlock {
			long = true
			continue
		}
		s.buf = append(s.buf, line...)
		s.buf = append(s.buf, '\n')
	}
}

// Reader reads a recorded Manager stream (what the client receives, as a tcpdump or a
// `nc` capture saves it): an optional banner line, then messages. It yields the events;
// responses to actions are skipped. It implements source.Reader.
type Reader struct {
	s      *scanner
	banner bool
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader { return &Reader{s: newScanner(r)} }

// Next implements source.Reader.
func (r *Reader) Next(rec *source.Record) error {
	if !r.banner {
		r.banner = true
		b, err := r.s.br.Peek(len(Banner))
		if err == nil && string(b) == Banner {
			if _, err := r.s.readLine(); err != nil {
				if errors.Is(err, io.ErrUnexpectedEOF) {
					return io.EOF // a capture cut inside its banner holds no message
				}
				return err
			}
		}
	}
	for {
		block, long, err := r.s.next()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return &event.Rejection{Line: r.s.start, Code: CodeBadBlock, Reason: "the last message is cut (no blank line ends it)"}
		}
		if err != nil {
			return err
		}
		if long {
			return &event.Rejection{Line: r.s.start, Code: CodeBlockTooLong, Reason: "message is longer than " + strconv.Itoa(MaxBlock) + " bytes"}
		}
		if err := Parse(block, rec); err != nil {
			var rej *event.Rejection
			if errors.As(err, &rej) {
				rej.Line = r.s.start
			}
			return err
		}
		if _, ok := rec.Get("Event"); !ok {
			continue // a response to an action
		}
		rec.Line = r.s.start
		return nil
	}
}
