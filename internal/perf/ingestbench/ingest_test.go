package ingestbench

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/statkit/statkit/internal/perf"
)

// Measure runs end to end on loopback with S: every batch accepted, none late or
// rejected (Measure fails otherwise), the quantiles in order, and the values read back
// equal to the reference engine's. (Counts only; no figure is judged.)
func TestMeasure(t *testing.T) {
	r, err := Measure(context.Background(), Options{Size: perf.S, Cycles: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Events == 0 || r.Batches == 0 || r.Elapsed <= 0 {
		t.Fatalf("nothing measured: %+v", r)
	}
	if r.P99 < r.P50 || r.Max < r.P99 {
		t.Errorf("latency quantiles out of order: %+v", r)
	}
	if r.Verified == 0 {
		t.Errorf("no statistic verified")
	}
	if r.Window < 10*time.Second || r.Window%(10*time.Second) != 0 {
		t.Errorf("window %v", r.Window)
	}
	t.Log(r.Summary())
}

// profile names a file for the CPU profile of BenchmarkIngestM's timed run.
var (
	profile       = flag.String("ingest.cpuprofile", "", "write a CPU profile of BenchmarkIngestM's timed run to this file")
	fsyncInterval = flag.Duration("ingest.fsync-interval", 0, "the store's group commit period (0: the store's default)")
)

// BenchmarkIngestM is the measurement of statkit bench (M, 4 clients, batches of 500),
// once per b.N, for profiling (-cpuprofile also profiles the setup; this does not):
//
//	go test -run '^$' -bench IngestM -benchtime 1x -ingest.cpuprofile cpu.out -o ingest.test ./internal/perf/ingestbench/
func BenchmarkIngestM(b *testing.B) {
	for range b.N {
		o := Options{FsyncInterval: *fsyncInterval}
		if *profile != "" {
			f, err := os.Create(*profile)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			o.Profile = f
		}
		r, err := Measure(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.PerSecond(), "events/s")
		b.ReportMetric(float64(r.P99.Microseconds())/1000, "p99-ms")
		b.Log(r.Summary())
	}
}
