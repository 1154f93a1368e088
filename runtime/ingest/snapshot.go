package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/statkit/statkit/runtime/event"
)

// snapVersion is the version of the state AppendSnapshot writes.
const snapVersion = 1

// AppendSnapshot appends the pipeline's whole state to buf — settings, watermark, held
// events (in their canonical NDJSON), idempotency keys and their answers — in a compact
// binary form that Restore reads.
func (p *Pipeline) AppendSnapshot(buf []byte) ([]byte, error) {
	w := snapWriter{buf: buf}
	w.u(snapVersion)
	w.i(p.opts.Window.Milliseconds())
	w.i(p.opts.KeyWindow.Milliseconds())
	w.u(uint64(max(p.opts.MaxKeys, 0)))
	w.u(uint64(max(p.opts.MaxKeyBytes, 0)))
	w.i(int64(p.wm))
	w.bool(p.wmOK)
	w.i(int64(p.wall))
	w.u(p.tags)
	w.u(uint64(len(p.inputs)))
	for _, s := range p.inputs {
		w.s(s)
	}
	w.u(uint64(p.Held()))
	var line []byte
	for i := p.head; i < len(p.held); i++ {
		h := &p.held[i]
		var err error
		if line, err = event.AppendJSON(line[:0], h.ev); err != nil {
			return buf, fmt.Errorf("ingest: snapshot of a held event (line %d): %w", h.ev.Line, err)
		}
		w.i(int64(h.recv))
		w.u(h.tag)
		w.u(h.seq)
		w.u(uint64(h.in))
		w.i(int64(h.ev.Line))
		w.b(line)
	}
	keys := p.keys.entries()
	w.u(uint64(len(keys)))
	for _, e := range keys {
		w.s(e.Key)
		w.i(int64(e.Wall))
		w.u(e.Sum)
		w.u(e.Seq)
		a := &e.Answer
		w.i(int64(a.Accepted))
		w.u(uint64(a.RejectedTotal))
		w.u(uint64(len(a.Rejected)))
		for _, r := range a.Rejected {
			w.i(int64(r.Line))
			w.s(r.Code)
			w.s(r.Reason)
		}
		w.u(uint64(a.LateTotal))
		w.u(uint64(len(a.Late)))
		for _, l := range a.Late {
			w.i(int64(l.Line))
			w.i(l.By)
			w.i(int64(l.At))
		}
	}
	return w.buf, nil
}

// Restore reads a state written by AppendSnapshot into a new pipeline driving eng. It
// returns the bytes after the state.
func Restore(eng Engine, data []byte) (*Pipeline, []byte, error) {
	r := snapReader{data: data}
	if v := r.u(); r.err == nil && v != snapVersion {
		return nil, nil, fmt.Errorf("ingest: snapshot version %d, this pipeline reads %d", v, snapVersion)
	}
	var o Options
	o.Window = time.Duration(r.i()) * time.Millisecond
	o.KeyWindow = time.Duration(r.i()) * time.Millisecond
	o.MaxKeys = r.n()
	o.MaxKeyBytes = r.n()
	p := New(eng, o)
	p.wm = event.Time(r.i())
	p.wmOK = r.bool()
	p.wall = event.Time(r.i())
	p.tags = r.u()
	for n := r.count(); n > 0 && r.err == nil; n-- {
		p.input(r.s())
	}
	nh := r.count()
	p.held = make([]held, 0, nh)
	for ; nh > 0 && r.err == nil; nh-- {
		h := held{recv: event.Time(r.i()), tag: r.u(), seq: r.u()}
		in := r.u()
		line := int(r.i())
		js := r.b()
		if r.err != nil {
			break
		}
		if in >= uint64(len(p.inputs)) {
			r.fail("input %d of a held event out of range", in)
			break
		}
		ev, err := event.DecodeLine(js, line, event.Options{})
		if err != nil {
			r.fail("held event: %v", err)
			break
		}
		h.ev, h.in = ev, int32(in)
		if n := len(p.held); n > 0 && p.held[n-1].ev.Time > ev.Time {
			r.fail("held events out of order")
			break
		}
		p.held = append(p.held, h)
	}
	for nk := r.count(); nk > 0 && r.err == nil; nk-- {
		e := &KeyEntry{Key: r.s(), Wall: event.Time(r.i()), Sum: r.u(), Seq: r.u()}
		a := &e.Answer
		a.Accepted = int(r.i())
		a.RejectedTotal = r.n()
		for n := r.count(); n > 0 && r.err == nil; n-- {
			a.Rejected = append(a.Rejected, event.Rejection{Line: int(r.i()), Code: r.s(), Reason: r.s()})
		}
		a.LateTotal = r.n()
		for n := r.count(); n > 0 && r.err == nil; n-- {
			a.Late = append(a.Late, Late{Line: int(r.i()), By: r.i(), At: event.Time(r.i())})
		}
		if r.err == nil {
			if _, dup := p.keys.m[e.Key]; dup {
				r.fail("key %q twice", e.Key)
				break
			}
			p.keys.add(e)
		}
	}
	if r.err != nil {
		return nil, nil, fmt.Errorf("ingest: snapshot: %w", r.err)
	}
	return p, r.data[r.off:], nil
}

// snapWriter appends varints and length-prefixed bytes.
type snapWriter struct{ buf []byte }

func (w *snapWriter) u(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *snapWriter) i(v int64)  { w.buf = binary.AppendVarint(w.buf, v) }
func (w *snapWriter) s(v string) { w.u(uint64(len(v))); w.buf = append(w.buf, v...) }
func (w *snapWriter) b(v []byte) { w.u(uint64(len(v))); w.buf = append(w.buf, v...) }
func (w *snapWriter) bool(v bool) {
	if v {
		w.u(1)
	} else {
		w.u(0)
	}
}

// snapReader reads what snapWriter writes; the first problem sticks in err and later
// reads return zero values.
type snapReader struct {
	data []byte
	off  int
	err  error
}

var errShort = errors.New("truncated")

func (r *snapReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *snapReader) u() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.data[r.off:])
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.off += n
	return v
}

func (r *snapReader) i() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.data[r.off:])
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.off += n
	return v
}

func (r *snapReader) bool() bool { return r.u() != 0 }

// n reads a non-negative int.
func (r *snapReader) n() int {
	v := r.u()
	if v > 1<<40 {
		r.fail("count %d out of range", v)
		return 0
	}
	return int(v)
}

// count reads a number of items that each take at least one byte, so a damaged count
// cannot make the reader allocate beyond the data.
func (r *snapReader) count() int {
	v := r.u()
	if v > uint64(len(r.data)-r.off) {
		r.fail("count %d beyond the data", v)
		return 0
	}
	return int(v)
}

func (r *snapReader) b() []byte {
	n := r.count()
	if r.err != nil {
		return nil
	}
	v := r.data[r.off : r.off+n]
	r.off += n
	return v
}

func (r *snapReader) s() string { return string(r.b()) }
