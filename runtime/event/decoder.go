package event

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// memoAfter is the line from which a Decoder shares strings and Data between events: the
// memo is not worth making for a few lines.
const memoAfter = 8

// readBufferSize is the Decoder's read buffer; longer lines are assembled in a side buffer
// up to the line length bound.
const readBufferSize = 16 << 10

// Decoder reads NDJSON events from a stream, one line at a time. Lines are numbered from 1;
// blank lines (only spaces, tabs or a carriage return) are skipped but counted. A line that
// fails validation becomes a Rejection and decoding goes on with the next line; only a
// read error from the underlying reader stops it.
//
// The events of a Decoder share memory: it remembers the strings and Data of recent
// events and hands the same ones to later events that carry equal values, so that the ids,
// media and data that a stream repeats take no new memory. An Event's Data may thus be the
// Data of other events too: treat it as read-only.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	r    *bufio.Reader
	opts Options
	max  int
	line int    // number of the last line read
	long []byte // assembles lines longer than the read buffer
	err  error  // sticky: io.EOF or a read error
	fw   fastWire
}

// NewDecoder returns a Decoder reading from r with opts.
func NewDecoder(r io.Reader, opts Options) *Decoder {
	max := opts.maxLine()
	return &Decoder{r: bufio.NewReaderSize(r, min(max+1, readBufferSize)), opts: opts, max: max}
}

// Next returns the next line's outcome: an accepted Event (rejection and error nil), or a
// Rejection for that line (error nil), or an error and no line: io.EOF at the end of the
// input, or a read error wrapped with the line it occurred on. After an error, Next keeps
// returning it.
//
// The decoder checks each line on its own (see DecodeLine); stateful checks (end without
// start, duplicate start, late events) belong to the engine.
func (d *Decoder) Next() (Event, *Rejection, error) {
	for d.err == nil {
		line, tooLong, err := d.readLine()
		if err != nil {
			d.err = err
			break
		}
		if tooLong {
			return Event{}, &Rejection{Line: d.line, Code: CodeLineTooLong,
				Reason: "line is longer than " + strconv.Itoa(d.max) + " bytes"}, nil
		}
		if isBlank(line) {
			continue
		}
		if d.fw.memo == nil && d.line >= memoAfter {
			d.fw.memo = newMemo()
		}
		e, rej := decodeLine(line, d.line, &d.opts, &d.fw)
		return e, rej, nil
	}
	return Event{}, nil, d.err
}

// Reset makes d decode from r as a new stream (line numbers start again at 1), keeping its
// options and buffers.
func (d *Decoder) Reset(r io.Reader) {
	d.r.Reset(r)
	d.line, d.long, d.err = 0, d.long[:0], nil
}

// Line returns the number of the last line read (0 before the first).
func (d *Decoder) Line() int { return d.line }

// readLine reads the next line without its newline. A line longer than d.max is read to
// its end and discarded (tooLong). It returns io.EOF once the input is exhausted.
func (d *Decoder) readLine() (line []byte, tooLong bool, err error) {
	frag, err := d.r.ReadSlice('\n')
	if err == nil || (errors.Is(err, io.EOF) && len(frag) > 0) {
		d.line++
		line = bytes.TrimSuffix(frag, []byte{'\n'})
		return line, len(line) > d.max, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, false, d.readErr(err)
	}
	d.long = append(d.long[:0], frag...)
	for errors.Is(err, bufio.ErrBufferFull) {
		frag, err = d.r.ReadSlice('\n')
		if !tooLong {
			d.long = append(d.long, frag...)
			if tooLong = len(d.long) > d.max+1; tooLong {
				d.long = d.long[:0]
			}
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, d.readErr(err)
	}
	d.line++
	if tooLong {
		return nil, true, nil
	}
	line = bytes.TrimSuffix(d.long, []byte{'\n'})
	return line, len(line) > d.max, nil
}

// readErr wraps a read error with the line being read; io.EOF stays io.EOF.
func (d *Decoder) readErr(err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	return fmt.Errorf("event: reading line %d: %w", d.line+1, err)
}

// isBlank reports whether line has only JSON whitespace.
func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
