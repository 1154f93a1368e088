package queuelog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
)

// Reader reads a recorded queue_log (a copy of the file, or standard input). It
// implements source.Reader. Blank lines are skipped; a last line without a newline is read
// (a recorded file may lack the final newline).
type Reader struct {
	f    *gs.Format
	br   *bufio.Reader
	line int
	buf  []byte
}

// NewReader returns a Reader of r's lines in format f.
func NewReader(f *gs.Format, r io.Reader) *Reader {
	return &Reader{f: f, br: bufio.NewReaderSize(r, 64<<10)}
}

// Next implements source.Reader.
func (r *Reader) Next(rec *source.Record) error {
	for {
		line, err := r.readLine()
		if err != nil {
			return err
		}
		r.line++
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			continue
		}
		if perr := Parse(r.f, line, rec); perr != nil {
			var rej *event.Rejection
			if errors.As(perr, &rej) {
				rej.Line = r.line
			}
			return perr
		}
		rec.Line = r.line
		return nil
	}
}

// readLine returns the next line without its newline; a line longer than MaxLine is
// returned cut (Parse rejects it) and the rest of it skipped.
func (r *Reader) readLine() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf) <= MaxLine {
			r.buf = append(r.buf, chunk...)
		}
		switch {
		case err == nil:
			return trimNewline(r.buf), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(r.buf) == 0 {
				return nil, io.EOF
			}
			return r.buf, nil
		default:
			return nil, fmt.Errorf("queue_log line %s: %w", strconv.Itoa(r.line+1), err)
		}
	}
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}
