package sim

import (
	"context"
	"io"
	"time"

	"github.com/statkit/statkit/internal/clock"
	"github.com/statkit/statkit/runtime/event"
)

// Clock is the wall clock pacing reads and waits on; tests inject a fake one.
type Clock interface {
	// Now returns the current wall time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done and then returns ctx's error.
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock returns the real clock.
func WallClock() Clock { return wallClock{} }

// wallClock is the real clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) Sleep(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, d) }

// Source yields events in nondecreasing time order; *Sim is one.
type Source interface {
	Next() (event.Event, bool)
}

// Paced releases the events of a Source no earlier than their event times allow, scaled
// by a speed: with speed 1 an event at origin+10s is released 10 s of wall time after the
// first call to Next, with speed 60 a simulated minute passes in a wall second. A pacer
// that falls behind releases the late events at once; it never drops or reorders any.
// It is not safe for concurrent use.
type Paced struct {
	src       Source
	speed     float64
	clock     Clock
	origin    event.Time
	hasOrigin bool
	wall0     time.Time
	started   bool
}

// NewPaced paces src at speed (0 or less: no waiting at all) on clock (nil: WallClock).
// origin is the simulated time that maps to the wall time of the first Next, typically
// the simulation's Config().Start; the zero time means the first event's time.
func NewPaced(src Source, origin time.Time, speed float64, clock Clock) *Paced {
	if clock == nil {
		clock = WallClock()
	}
	p := &Paced{src: src, speed: speed, clock: clock}
	if !origin.IsZero() {
		p.origin, p.hasOrigin = event.TimeOf(origin), true
	}
	return p
}

// Next waits until the next event is due and returns it. At the end of the source it
// returns io.EOF; when ctx is done while waiting, ctx's error (the event is then lost).
func (p *Paced) Next(ctx context.Context) (event.Event, error) {
	if !p.started {
		p.started, p.wall0 = true, p.clock.Now()
	}
	e, ok := p.src.Next()
	if !ok {
		return event.Event{}, io.EOF
	}
	if p.speed <= 0 {
		return e, nil
	}
	if !p.hasOrigin {
		p.origin, p.hasOrigin = e.Time, true
	}
	due := p.wall0.Add(time.Duration(float64(time.Duration(e.Time-p.origin)*time.Millisecond) / p.speed))
	if wait := due.Sub(p.clock.Now()); wait > 0 {
		if err := p.clock.Sleep(ctx, wait); err != nil {
			return event.Event{}, err
		}
	}
	return e, nil
}

// Pace calls fn with every event of src, each when it is due (see Paced), until src ends
// (nil), fn fails (its error) or ctx is done (ctx's error).
func Pace(ctx context.Context, src Source, origin time.Time, speed float64, clock Clock, fn func(event.Event) error) error {
	p := NewPaced(src, origin, speed, clock)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, err := p.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}
