package server

import (
	"context"
	"errors"
	"time"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/machine"
)

// Clock is the wall clock the server reads: receipt times, the future-event check, and
// the ticker that advances the engine to Now (less the tick lag and the reorder window),
// so current values grow between events. Tests inject a fake clock whose ticks they send
// themselves.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Tick returns a channel that receives a value every d, and a function that stops it.
	Tick(d time.Duration) (ticks <-chan time.Time, stop func())
}

// WallClock returns the real clock.
func WallClock() Clock { return wallClock{} }

// wallClock is the real clock.
type wallClock struct{}

// Now returns time.Now().
func (wallClock) Now() time.Time { return time.Now() }

// Tick returns a time.Ticker's channel and its Stop.
func (wallClock) Tick(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// ScaledClock returns a clock whose time starts at origin now and runs speed times as
// fast as the wall clock: the event time of a simulation paced at speed (see sim.Paced)
// with the same origin. Its ticks come at wall-clock intervals. A speed of 0 or less is
// taken as 1.
func ScaledClock(origin time.Time, speed float64) Clock {
	if speed <= 0 {
		speed = 1
	}
	return scaledClock{origin: origin, wall0: time.Now(), speed: speed}
}

// scaledClock maps wall time to simulated time.
type scaledClock struct {
	origin, wall0 time.Time
	speed         float64
}

// Now returns the origin plus the wall time since the clock was made, times the speed.
func (c scaledClock) Now() time.Time {
	return c.origin.Add(time.Duration(float64(time.Since(c.wall0)) * c.speed))
}

// Tick ticks every d of wall time.
func (c scaledClock) Tick(d time.Duration) (<-chan time.Time, func()) {
	return wallClock{}.Tick(d)
}

// tickTime is the engine time a tick at now advances to: now less lag.
func tickTime(now time.Time, lag time.Duration) event.Time {
	return event.TimeOf(now.Add(-lag))
}

// runClock appends the clock's records until ctx ends. With Options.TickInterval > 0,
// every tick of the Clock is a tick record that advances the engine to the wall clock
// less the larger of the tick lag and the reorder window (so that the window is
// honoured), and releases the events that waited the window in wall time. Without ticks
// (or with ticks rarer than half the window) a flush record — the wall time alone — is
// appended every half window while events are held and no tick came for that long, so
// that nothing waits for a quiet feed. A process that does not hold the clock
// (Options.HoldsClock) appends nothing; a failed server neither; while a source catches
// up its backlog (sources.go), no tick advances the engine.
func (s *Server) runClock(ctx context.Context) {
	o := s.opts
	var ticks <-chan time.Time
	if o.TickInterval > 0 {
		c, stop := o.Clock.Tick(o.TickInterval)
		defer stop()
		ticks = c
	}
	var flushes <-chan time.Time
	half := o.ReorderWindow / 2
	if o.ReorderWindow > 0 && (o.TickInterval < 0 || o.TickInterval > half) {
		t := time.NewTicker(min(max(half, 10*time.Millisecond), time.Second))
		defer t.Stop()
		flushes = t.C
	}
	if ticks == nil && flushes == nil {
		return
	}
	lag := max(o.TickLag, o.ReorderWindow)
	var rec []byte
	for {
		var t ingest.Tick
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			now := o.Clock.Now()
			t = ingest.Tick{Wall: event.TimeOf(now), Time: tickTime(now, lag), Advance: true}
		case <-flushes:
			now := o.Clock.Now()
			if s.held.Load() == 0 || now.UnixMilli()-s.tickWall.Load() < half.Milliseconds() {
				continue
			}
			t = ingest.Tick{Wall: event.TimeOf(now)}
		}
		if (o.HoldsClock != nil && !o.HoldsClock()) || s.failed() != nil {
			continue
		}
		if t.Advance && s.catchingUp() {
			continue // a source's backlog first, at its own times (sources.go)
		}
		rec = machine.AppendTick(rec[:0], t)
		r := append([]byte(nil), rec...)
		if !s.gate.enter() {
			return
		}
		_, _, err := s.lg.Append(ctx, r, "", nil)
		s.gate.leave()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, ErrNotClockHolder) { // another replica ticks now
				continue
			}
			s.fail(err)
		}
		if s.tickHook != nil && t.Advance {
			s.tickHook()
		}
	}
}
