package perf

import "testing"

// BenchmarkNDJSONIngest is BenchmarkNDJSON through the ingest pipeline (reorder window,
// idempotency keys): the pipeline's cost is the difference.
func BenchmarkNDJSONIngest(b *testing.B) { bench(b, workload(b, M).NDJSONIngest, "events/s") }
