package ssebench

import (
	"context"
	"testing"
	"time"

	"github.com/statkit/statkit/internal/perf"
)

// Measure runs end to end on loopback: subscribers receive notifications caused by
// the posted batches, in the paced run and in the capacity run, none is dropped.
// (Counts only; no figure is judged.)
func TestMeasure(t *testing.T) {
	r, err := Measure(context.Background(), Options{Size: perf.S, Subscribers: 20, Duration: 300 * time.Millisecond, Drain: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Events == 0 || r.Delivered == 0 {
		t.Fatalf("nothing measured: %+v", r)
	}
	if r.Dropped != 0 {
		t.Errorf("%d subscribers dropped", r.Dropped)
	}
	if r.P99 < r.P50 || r.Max < r.P99 {
		t.Errorf("latency quantiles out of order: %+v", r)
	}
	if r.EventRate <= 0 || r.Batch != 64 {
		t.Errorf("offered load not reported: %+v", r)
	}
	c := r.Capacity
	if c == nil || c.Events == 0 || c.Delivered == 0 || c.EventRate != 0 || c.Dropped != 0 {
		t.Errorf("capacity run: %+v", c)
	}
	t.Log(r.Summary())
}
