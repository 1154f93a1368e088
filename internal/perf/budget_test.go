package perf

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// result is a Result of ops units in d.
func result(ops int, d time.Duration) Result {
	return Result{Sample: Sample{Ops: ops, Elapsed: d, CPU: d}, Runs: 1}
}

// The report carries issue 19's rows and judges them: the figures below are chosen so
// that each verdict follows by hand.
func TestIngestAndBudgetRows(t *testing.T) {
	// Engine M 1,000 ns/action (1M/s); NDJSON 1,000 ns/line, through the pipeline 1,250:
	// 1M/s → 800k/s, a cost of 20% (not met).
	row := Row{Size: M.Name, CPUs: 1, Engine: result(1000, time.Millisecond), NDJSON: result(1000, time.Millisecond),
		NDJSONIngest: result(1000, 1250*time.Microsecond), Decode: result(1000, time.Millisecond),
		DecodeJSON: result(1000, time.Millisecond), Floor: result(1000, time.Microsecond)}
	// HTTP: 600,000 events in 1 s on 2 CPUs = 600k/s ≥ 500k (met), p99 60 ms (not met),
	// 60% of the engine's 1M/s (met).
	in := &IngestResult{Workload: M.Name, Clients: 4, Batch: 500, Events: 600_000, Batches: 1200, Elapsed: time.Second,
		P50: 5 * time.Millisecond, P99: 60 * time.Millisecond, Max: 70 * time.Millisecond, Mean: 10 * time.Millisecond,
		Lead: 4, CPUs: 2, CPU: time.Second, EngineNsPerAction: 1000}
	// 1 s of CPU over 1 s on 2 CPUs: 50% busy; 4 batches of 500 per 10 ms: a ceiling of
	// 200,000 events/s.
	if b, c := in.Busy(), in.Ceiling(); b != 0.5 || c != 200_000 {
		t.Errorf("busy %v, ceiling %v; want 0.5, 200,000", b, c)
	}
	// History: 100,000 events in 100 ms without, 105 ms with: 1 − 100/105 = 4.8% (met).
	hist := &BudgetResult{Name: "history writer", Workload: M.Name, Events: 100_000, Records: 200,
		BaseTime: 100 * time.Millisecond, WithTime: 105 * time.Millisecond, Runs: 3, CPUs: 1, Produced: 40_000, ProducedUnit: "rows written"}
	rep := &Report{Machine: ThisMachine(), Started: time.Now(), Count: 1, BenchTime: time.Second, Command: "statkit bench",
		Workloads: []WorkloadInfo{{Size: M, Configured: 10, Open: 10, Events: 100_000, Memory: &Memory{}}},
		Rows:      []Row{row}, Ingest: []*IngestResult{in}, History: hist, ReplicaNote: "not run (--budgets=false)",
		SQLNote: "not run", NotifyNote: "not run"}

	if c := hist.Cost(); c < 0.0475 || c > 0.0477 {
		t.Errorf("history cost %v, want 1 − 100/105", c)
	}
	if r := in.EngineRatio(); r < 0.5999 || r > 0.6001 {
		t.Errorf("ingest ratio %v, want 0.6", r)
	}
	want := map[string]string{
		"HTTP ingest, durable, ≥ 500,000 events/s (2 CPUs)":                                           "met",
		"HTTP ingest p99 per batch < 50 ms":                                                           "not met",
		"HTTP ingest ≥ 40% of the engine-only rate":                                                   "met",
		"Budget: reorder window + idempotency keys ≤ 10% of NDJSON M (issue 13's runtime/ingest)":     "not met",
		"Budget: history writer ≤ 10% of the engine's rate (issue 16's runtime/history)":              "met",
		"Budget: replica consuming JetStream ≤ 10% of the engine's rate (issue 17's runtime/replica)": "pending",
	}
	got := map[string]Target{}
	for _, tg := range rep.Targets() {
		got[tg.Name] = tg
	}
	for name, status := range want {
		tg, ok := got[name]
		switch {
		case !ok:
			t.Errorf("no target %q", name)
		case tg.Status != status:
			t.Errorf("%s: %s (%s), want %s", name, tg.Status, tg.Measured, status)
		}
	}
	if m := got["Budget: reorder window + idempotency keys ≤ 10% of NDJSON M (issue 13's runtime/ingest)"].Measured; !strings.HasPrefix(m, "20.0%") {
		t.Errorf("ingest budget measured %q, want 20.0%%", m)
	}
	if m := got["Budget: history writer ≤ 10% of the engine's rate (issue 16's runtime/history)"].Measured; !strings.HasPrefix(m, "4.8%") || !strings.Contains(m, "40,000 rows written") {
		t.Errorf("history budget measured %q", m)
	}

	var md, tb bytes.Buffer
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	rep.Table(&tb)
	for _, want := range []string{"## HTTP ingest and the ingest boundary's budgets (issue 19)",
		"| M | 2 | 600k | 5ms | 60ms | 70ms | 1.00M | 60% |", "| 50% | 200k events/s |", "| history writer, M (1 CPU) |", "| 4.8% | 40,000 rows written | met |",
		"| reorder window + idempotency keys, NDJSON M (1 CPU) |", "| 20.0% |",
		"| replica consuming JetStream | | | | | | pending — not run (--budgets=false) |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	for _, want := range []string{"NDJSON+ingest events/s", "HTTP ingest (M): 600k events/s", "costs 20.0%", "budget: history writer: 1.00M events/s without",
		"budget: replica consuming JetStream: pending: not run (--budgets=false)"} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}
}

// The restart targets of issue 19 §1, judged by hand: restore 1.5 s + replay 2.0 s is
// 3.5 s (met, ≤ 4 s); a 0.6 s snapshot is not met (≤ 0.5 s); 1,000 events in 2 s replay
// at 2 ms each.
func TestRestartTargets(t *testing.T) {
	find := func(r *Report, name string) Target {
		t.Helper()
		for _, x := range r.Targets() {
			if x.Name == name {
				return x
			}
		}
		t.Fatalf("no target %q", name)
		return Target{}
	}
	r := &Report{Restart: &RestartResult{Size: "L", Open: 10, Events: 1000, SnapshotBytes: 64 << 20,
		SnapshotTime: 600 * time.Millisecond, RestoreTime: 1500 * time.Millisecond, ReplayTime: 2 * time.Second,
		Total: 3500 * time.Millisecond, Checked: 3}}
	got := find(r, "L restart (restore + replay) ≤ 4 s")
	if got.Status != "met" || got.Measured != "3.50 s (restore 1.50 s + replay 2.00 s)" || !strings.Contains(got.Bound, "2ms per event") {
		t.Errorf("restart: %+v", got)
	}
	if got := find(r, "L snapshot ≤ 0.5 s"); got.Status != "not met" || !strings.Contains(got.Bound, "107 MiB/s") {
		t.Errorf("snapshot: %+v", got)
	}
	r.Restart.Differ = 1 // a restart that is not verified meets nothing
	if got := find(r, "L restart (restore + replay) ≤ 4 s"); got.Status != "not met" {
		t.Errorf("unverified restart: %+v", got)
	}
	if got := find(&Report{RestartNote: "not run"}, "L snapshot ≤ 0.5 s"); got.Status != "pending" {
		t.Errorf("no restart: %+v", got)
	}
}
