package source

import (
	"errors"
	"io"
	"sort"

	"github.com/statkit/statkit/runtime/event"
)

// Events reads a recorded input through a Mapper: it yields the events of each record in
// order, and each record that could not be read or mapped as a rejection, as
// event.Decoder does for NDJSON. With a reorder window it also puts the events in time
// order: an event is held until one more than the window later has been read, and events
// are released by time, ties in input order (a platform's clock is read before its log is
// locked, so lines of a busy second can be written out of order).
type Events struct {
	r      Reader
	m      *Mapper
	window event.Time
	rec    Record
	held   []event.Event // sorted by time, stable
	out    []event.Event // released, in order
	rejs   []*event.Rejection
	maxT   event.Time
	eof    bool
	buf    []event.Event
}

// NewEvents returns the events of r mapped by m, reordered within window milliseconds
// (0: in input order).
func NewEvents(r Reader, m *Mapper, window int64) *Events {
	return &Events{r: r, m: m, window: event.Time(window)}
}

// Next returns the next event, or the next record rejection (with its line), or io.EOF at
// the end; any other error means the input could not be read. A rejection is reported as
// soon as its record is read, so with a window it may come before events of earlier
// records that are still held.
func (e *Events) Next() (event.Event, *event.Rejection, error) {
	for {
		if len(e.rejs) > 0 {
			rej := e.rejs[0]
			e.rejs = e.rejs[1:]
			return event.Event{}, rej, nil
		}
		if len(e.out) > 0 {
			ev := e.out[0]
			e.out = e.out[1:]
			return ev, nil, nil
		}
		if e.eof {
			if len(e.held) == 0 {
				return event.Event{}, nil, io.EOF
			}
			e.out, e.held = e.held, nil
			continue
		}
		if err := e.read(); err != nil {
			return event.Event{}, nil, err
		}
	}
}

// read maps one more record.
func (e *Events) read() error {
	err := e.r.Next(&e.rec)
	if errors.Is(err, io.EOF) {
		e.eof = true
		return nil
	}
	var rej *event.Rejection
	if errors.As(err, &rej) {
		e.rejs = append(e.rejs, rej)
		return nil
	}
	if err != nil {
		return err
	}
	evs, rej := e.m.Map(&e.rec, e.buf[:0])
	if rej != nil {
		e.rejs = append(e.rejs, rej)
		return nil
	}
	e.buf = evs
	if e.window <= 0 {
		e.out = append(e.out, evs...)
		return nil
	}
	for _, ev := range evs {
		e.maxT = max(e.maxT, ev.Time)
		// Insert after every held event of the same time or earlier (stable).
		i := sort.Search(len(e.held), func(i int) bool { return e.held[i].Time > ev.Time })
		e.held = append(e.held, event.Event{})
		copy(e.held[i+1:], e.held[i:])
		e.held[i] = ev
	}
	n := sort.Search(len(e.held), func(i int) bool { return e.held[i].Time > e.maxT-e.window })
	e.out = append(e.out, e.held[:n]...)
	e.held = append(e.held[:0], e.held[n:]...)
	return nil
}
