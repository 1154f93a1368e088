package perf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/statkit/statkit/runtime/event"
)

// jsonEvent is the wire format as a struct for encoding/json: the same fields as
// event.Event before validation, with the time parsed (time.Time's RFC 3339 decoding)
// and the data as a map. It is the encoding/json side of the decode comparison.
type jsonEvent struct {
	Time    time.Time `json:"time"`
	Action  string    `json:"action"`
	Variant string    `json:"variant"`
	Phase   string    `json:"phase"`
	Source  struct {
		Class string `json:"class"`
		ID    string `json:"id"`
	} `json:"source"`
	Interaction string         `json:"interaction"`
	Media       string         `json:"media"`
	Agent       string         `json:"agent"`
	Place       string         `json:"place"`
	Duration    json.Number    `json:"duration"`
	Data        map[string]any `json:"data"`
}

// readBufferSize is the bufio buffer of the encoding/json side, the same as the
// event.Decoder's.
const readBufferSize = 16 << 10

// lineCursor reads the workload's NDJSON buffer round and round.
type lineCursor struct {
	rd    *bytes.Reader
	br    *bufio.Reader
	dec   *event.Decoder
	data  []byte
	cycle int64
}

// stale reports whether c must be repositioned on w's current buffer.
func (c *lineCursor) stale(w *Workload) bool {
	return !sameBuffer(c.data, w.buf) || c.cycle != w.bufCycle
}

// lines returns the NDJSON of a cycle, encoding the current one, with t stopped, when
// none is encoded yet.
func (w *Workload) lines(t Timer) ([]byte, error) {
	if w.bufCycle < 0 {
		t.StopTimer()
		err := w.encode(w.cycle)
		t.StartTimer()
		if err != nil {
			return nil, err
		}
	}
	return w.buf, nil
}

// Decode reads, decodes and validates the next n lines of the current cycle's NDJSON
// (round and round), with the engine as Resolver, and applies nothing: the decode step of
// the NDJSON path on its own.
func (w *Workload) Decode(t Timer, n int) error {
	buf, err := w.lines(t)
	if err != nil {
		return err
	}
	c := &w.decode
	if c.dec == nil {
		c.rd = bytes.NewReader(nil)
		c.dec = event.NewDecoder(c.rd, event.Options{Resolver: w.Engine})
	}
	if c.stale(w) {
		c.data, c.cycle = buf, w.bufCycle
		c.rd.Reset(buf)
		c.dec.Reset(c.rd)
	}
	for range n {
		_, rej, err := c.dec.Next()
		if err == io.EOF {
			c.rd.Reset(buf)
			c.dec.Reset(c.rd)
			_, rej, err = c.dec.Next()
		}
		if err != nil {
			return fmt.Errorf("perf: decode: %w", err)
		}
		if rej != nil {
			return fmt.Errorf("perf: decode line %d: %s", rej.Line, rej.Reason)
		}
	}
	return nil
}

// DecodeEncodingJSON reads the same lines as Decode with a bufio.Reader of the same size
// and unmarshals each with encoding/json into a new jsonEvent, without validation: what
// a server built on the standard library would do at least.
func (w *Workload) DecodeEncodingJSON(t Timer, n int) error {
	buf, err := w.lines(t)
	if err != nil {
		return err
	}
	c := &w.jsonDec
	if c.br == nil {
		c.rd = bytes.NewReader(nil)
		c.br = bufio.NewReaderSize(c.rd, readBufferSize)
	}
	if c.stale(w) {
		c.data, c.cycle = buf, w.bufCycle
		c.rd.Reset(buf)
		c.br.Reset(c.rd)
	}
	for range n {
		line, err := c.br.ReadSlice('\n')
		if err == io.EOF {
			c.rd.Reset(buf)
			c.br.Reset(c.rd)
			line, err = c.br.ReadSlice('\n')
		}
		if err != nil {
			return fmt.Errorf("perf: encoding/json: %w", err)
		}
		var je jsonEvent
		if err := json.Unmarshal(line, &je); err != nil {
			return fmt.Errorf("perf: encoding/json: %w", err)
		}
	}
	return nil
}

// sameBuffer reports whether a and b are the same memory.
func sameBuffer(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
