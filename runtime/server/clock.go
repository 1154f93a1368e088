package server

import (
	"time"

	"github.com/statkit/statkit/runtime/event"
)

// Clock is the wall clock the server's ticker reads: every tick the owner goroutine
// advances the engine to Now (less the tick lag), so current values grow between events.
// Tests inject a fake clock whose ticks they send themselves.
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
