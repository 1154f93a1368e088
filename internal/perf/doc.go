// Package perf is statkit's benchmark suite (issue 7): fixed-seed contact-center
// workloads and the measurements on them, shared by the Go benchmarks of this package and
// by `statkit bench`, which prints them as a table and writes docs/performance.md.
//
// # Workloads
//
// A workload (Size S, M or L) is a topology from runtime/sim, a mix of queue, group and
// agent statistics over it (mix.go), an engine with those statistics open, and one
// pre-generated cycle of events: one simulated hour of the contact center (logins spread
// over the first minutes, calls, holds, consultations, breaks, after-call work, some
// logouts) followed by a closing wave that ends every durable action still in progress and
// logs everyone out. After a cycle the engine is back where it started (no instance in
// progress, every agent logged out), so the cycle is applied again and again, each time
// shifted one cycle later in event time. Nothing is generated while a measurement runs.
//
// # Measurements
//
// Every measurement is a function of (Timer, n): it does n units of work (actions, lines,
// updates) continuing where the previous call stopped, pausing the Timer around untimed
// setup (re-encoding the next cycle's NDJSON). A *testing.B is a Timer, so the benchmarks
// call the same functions as the CLI, which times them with a Stopwatch and Measure.
//
//   - Engine: Engine.Apply per action, draining Engine.Changed every BatchSize actions as
//     a server does after each batch. Reported as actions/s, ns/action, allocs/action.
//   - NDJSON: read (bufio over an in-memory cycle) → decode → validate (with the engine as
//     the topology Resolver) → Apply, per line.
//   - Decode: the read → decode → validate steps alone; DecodeEncodingJSON does the same
//     lines with bufio + encoding/json into an equivalent struct (jsonEvent), without
//     validation.
//   - Floor: the unavoidable work (see Workload.Floor).
//   - Memory: heap bytes per open statistic and VmRSS (Build, Options.MeasureRSS).
//   - NDJSONIngest: NDJSON through the ingest pipeline (reorder window, idempotency keys);
//     its cost over NDJSON is issue 19's first budget.
//
// Comparison (c), SQL recomputation, is the separate module perf/sqlbaseline; the
// notification measurement (a server and SSE subscribers on loopback) is package ssebench;
// HTTP ingest into a durable server (issue 19 §2, IngestResult) is package ingestbench;
// the budgets of the history writer and of a replica consuming JetStream (issue 19 §3,
// BudgetResult) are package boundbench. Report.Targets judges all of them.
//
// No test in this package depends on the speed of the machine: tests check the
// workloads' shape and the report's format; speed is measured only by benchmarks and by
// `statkit bench`.
package perf
