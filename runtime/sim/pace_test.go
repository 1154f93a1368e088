package sim_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// fakeClock advances only when slept on, and records the sleeps.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// listSource yields a fixed list of events.
type listSource []event.Event

func (l *listSource) Next() (event.Event, bool) {
	if len(*l) == 0 {
		return event.Event{}, false
	}
	e := (*l)[0]
	*l = (*l)[1:]
	return e, true
}

// at returns a momentary event at origin+offset.
func at(origin time.Time, offset time.Duration) event.Event {
	return event.Event{Time: event.TimeOf(origin.Add(offset)), Action: action.CallEntered,
		Source: event.Source{Class: object.ClassMediationDN, ID: "Q1@SW1"}, Interaction: "c-1"}
}

func TestPacedSleepsUntilEachEventIsDue(t *testing.T) {
	origin := sim.DefaultStart()
	src := listSource{at(origin, 2*time.Second), at(origin, 2*time.Second), at(origin, 5*time.Second), at(origin, 11*time.Second)}
	clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	wall0 := clock.now
	var released []time.Duration
	err := sim.Pace(context.Background(), &src, origin, 2, clock, func(e event.Event) error {
		released = append(released, clock.now.Sub(wall0))
		if due := e.Time.Std().Sub(origin) / 2; clock.now.Sub(wall0) < due {
			t.Errorf("event at +%s released at wall +%s, before +%s", e.Time.Std().Sub(origin), clock.now.Sub(wall0), due)
		}
		clock.now = clock.now.Add(100 * time.Millisecond) // the consumer takes some time
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The second event, due at the same time, is late by the consumer's 100 ms.
	want := []time.Duration{time.Second, 1100 * time.Millisecond, 2500 * time.Millisecond, 5500 * time.Millisecond}
	if len(released) != len(want) {
		t.Fatalf("released %d events, want %d", len(released), len(want))
	}
	for i := range want {
		if released[i] != want[i] {
			t.Errorf("event %d released at +%s, want +%s", i, released[i], want[i])
		}
	}
	// The second event needs no sleep; the others sleep what is left until they are due.
	wantSleeps := []time.Duration{time.Second, 1300 * time.Millisecond, 2900 * time.Millisecond}
	if len(clock.sleeps) != len(wantSleeps) {
		t.Fatalf("slept %v, want %v", clock.sleeps, wantSleeps)
	}
	for i := range wantSleeps {
		if clock.sleeps[i] != wantSleeps[i] {
			t.Fatalf("slept %v, want %v", clock.sleeps, wantSleeps)
		}
	}
}

func TestPacedOriginDefaultsToFirstEventAndSpeedZeroNeverSleeps(t *testing.T) {
	origin := sim.DefaultStart()
	src := listSource{at(origin, time.Minute), at(origin, 90*time.Second)}
	clock := &fakeClock{now: origin}
	p := sim.NewPaced(&src, time.Time{}, 1, clock)
	for range 2 {
		if _, err := p.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Next(context.Background()); err != io.EOF {
		t.Fatalf("after the last event: %v, want io.EOF", err)
	}
	if len(clock.sleeps) != 1 || clock.sleeps[0] != 30*time.Second {
		t.Fatalf("slept %v, want [30s]", clock.sleeps)
	}

	s, err := sim.New(sim.Config{Seed: 3, Agents: 5, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	clock = &fakeClock{now: origin}
	n := 0
	if err := sim.Pace(context.Background(), s, origin, 0, clock, func(event.Event) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n == 0 || len(clock.sleeps) != 0 {
		t.Fatalf("speed 0: %d events, %d sleeps", n, len(clock.sleeps))
	}
}

func TestPaceStopsWhenContextIsDone(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 3, Agents: 5, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	clock := &fakeClock{now: time.Now()}
	n := 0
	err = sim.Pace(ctx, s, s.Config().Start, 1, clock, func(event.Event) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 10 {
		t.Fatalf("Pace returned %v after %d events", err, n)
	}
	// The real clock sleeps and wakes up on cancellation.
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := sim.WallClock().Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WallClock.Sleep returned %v", err)
	}
}
