package perf

import (
	"sync"
	"testing"
)

// The benchmarks. Each op is one action (Engine, NDJSON, Floor) or one line (Decode*).
// Workloads are built once per test binary and shared; L is skipped under -short.
//
//	go test -run '^$' -bench . -benchtime 2s -cpu 1,2 ./internal/perf/
//	go test -run '^$' -bench 'EngineM$' -cpu 1 -cpuprofile cpu.out ./internal/perf/

var (
	cacheMu   sync.Mutex
	workloads = map[string]*Workload{}
)

// workload returns the built workload of size s, building it on first use.
func workload(b *testing.B, s Size) *Workload {
	b.Helper()
	if s.Name == "L" && testing.Short() {
		b.Skip("L (1,000,000 statistics) is skipped under -short")
	}
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if w, ok := workloads[s.Name]; ok {
		return w
	}
	w, err := Build(s, Options{MeasureRSS: s.Name == "L"})
	if err != nil {
		b.Fatal(err)
	}
	workloads[s.Name] = w
	return w
}

// bench runs f for b.N units with allocations reported, then reports units/s as unit.
func bench(b *testing.B, f Func, unit string) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	if err := f(b, b.N); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

// benchEngine reports Engine.Apply on size s, with the workload's memory figures.
func benchEngine(b *testing.B, s Size) {
	w := workload(b, s)
	bench(b, w.Apply, "actions/s")
	b.ReportMetric(w.BytesPerStat, "B/stat")
	b.ReportMetric(float64(len(w.Open)), "open-stats")
	b.ReportMetric(w.UpdatesPerAction(), "updates/action")
	if w.RSS > 0 {
		b.ReportMetric(float64(w.RSS)/(1<<20), "RSS-MiB")
	}
}

// BenchmarkEngineS applies the S workload's actions: 100 agents, 1,000 statistics.
func BenchmarkEngineS(b *testing.B) { benchEngine(b, S) }

// BenchmarkEngineM applies the M workload's actions: 1,000 agents, 10,000 statistics.
func BenchmarkEngineM(b *testing.B) { benchEngine(b, M) }

// BenchmarkEngineL applies the L workload's actions: 10,000 agents, 1,000,000
// statistics; it also reports the process RSS after the first cycle.
func BenchmarkEngineL(b *testing.B) { benchEngine(b, L) }

// BenchmarkNDJSON reads, decodes, validates and applies the M workload's NDJSON.
func BenchmarkNDJSON(b *testing.B) { bench(b, workload(b, M).NDJSON, "events/s") }

// BenchmarkNDJSONS is BenchmarkNDJSON on S.
func BenchmarkNDJSONS(b *testing.B) { bench(b, workload(b, S).NDJSON, "events/s") }

// BenchmarkDecodeStatkit decodes and validates the M workload's NDJSON lines.
func BenchmarkDecodeStatkit(b *testing.B) { bench(b, workload(b, M).Decode, "events/s") }

// BenchmarkDecodeEncodingJSON decodes the same lines with encoding/json.
func BenchmarkDecodeEncodingJSON(b *testing.B) {
	bench(b, workload(b, M).DecodeEncodingJSON, "events/s")
}

// BenchmarkFloor does the floor's unavoidable work for the M workload's actions.
func BenchmarkFloor(b *testing.B) { bench(b, workload(b, M).Floor, "actions/s") }
