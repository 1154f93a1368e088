package ingest

import (
	"strconv"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/event"
)

// clockEngine is an engine that only keeps the clock: the pipeline's own cost.
type clockEngine struct {
	now     event.Time
	started bool
}

func (c *clockEngine) Apply(ev *event.Event) error { c.now, c.started = ev.Time, true; return nil }
func (c *clockEngine) Advance(t event.Time)        { c.now, c.started = t, true }
func (c *clockEngine) Now() event.Time             { return c.now }
func (c *clockEngine) Started() bool               { return c.started }

// BenchmarkPipelineInOrder: the pipeline alone, per event, on in-order input in batches
// of 500 with a key each, under the default settings (2 s window, keys kept): what the
// pipeline adds to every event of NDJSON M (about 1.3 µs an event end to end). It must
// not allocate per event.
func BenchmarkPipelineInOrder(b *testing.B) {
	const batch = 500
	evs := make([]event.Event, batch)
	for i := range evs {
		evs[i] = ev(i+1, 0)
	}
	p := New(&clockEngine{}, DefaultOptions())
	var key []byte
	t := event.Time(1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n += batch {
		for i := range evs {
			t += 7 // 500 events in 3.5 s of event time
			evs[i].Time = t
		}
		key = strconv.AppendInt(append(key[:0], 'k'), int64(n), 10)
		p.Batch(&Batch{Input: "b", Key: string(key), Wall: t, Events: evs})
	}
}

// BenchmarkPipelineJitter is BenchmarkPipelineInOrder with every event up to a second
// out of order (within the window).
func BenchmarkPipelineJitter(b *testing.B) {
	const batch = 500
	evs := make([]event.Event, batch)
	for i := range evs {
		evs[i] = ev(i+1, 0)
	}
	p := New(&clockEngine{}, DefaultOptions())
	t := event.Time(1_000_000)
	x := uint64(1)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n += batch {
		for i := range evs {
			t += 7
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			evs[i].Time = t - event.Time(x%1000)
		}
		p.Batch(&Batch{Input: "b", Wall: t, Events: evs})
	}
}

// BenchmarkPipelineSwapped: batches of 500 in-order events, every second pair of batches
// sequenced newer first, under a 60 s window (concurrent posters of one stream, as
// statkit bench's HTTP ingest has them): a batch that comes after a newer one is merged
// into the buffer in one pass, not event by event.
func BenchmarkPipelineSwapped(b *testing.B) {
	const batch = 500
	mk := func() []event.Event {
		evs := make([]event.Event, batch)
		for i := range evs {
			evs[i] = ev(i+1, 0)
		}
		return evs
	}
	older, newer := mk(), mk()
	o := DefaultOptions()
	o.Window = time.Minute
	p := New(&clockEngine{}, o)
	t := event.Time(1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n += 2 * batch {
		for i := range older {
			t += 20 // 500 events in 10 s of event time
			older[i].Time = t
		}
		for i := range newer {
			t += 20
			newer[i].Time = t
		}
		p.Batch(&Batch{Input: "b", Wall: t, Events: newer})
		p.Batch(&Batch{Input: "b", Wall: t, Events: older})
	}
}
