package perf

import (
	"strings"
	"testing"
)

// BenchmarkRestartL measures a durable restart at L (issue 8) with MeasureRestart: an
// engine with 1,000,000 open statistics in steady state is snapshotted (snapshot-MiB,
// snapshot-s) into a store, then 1,000,000 further events are logged after it as the
// server logs them ('E' + NDJSON, BatchSize events a record). The restart is store.Open
// (the log's recovery scan), loading the snapshot and engine.Restore (restore-s), then
// decoding and applying the logged events (replay-s); restart-s is the sum. The restored
// engine is checked against the original one fed the same events, on every 997th
// statistic. `statkit bench --workloads L` reports the same figures in docs/performance.md.
//
//	go test -run '^$' -bench Restart -benchtime 1x ./internal/perf/
func BenchmarkRestartL(b *testing.B) {
	w := workload(b, L)
	var r *RestartResult
	b.ResetTimer()
	for range b.N {
		var err error
		if r, err = MeasureRestart(w, RestartEvents); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if !r.Verified() {
		b.Fatalf("restored engine differs: %s", strings.Join(r.Mismatches, "; "))
	}
	b.ReportMetric(float64(r.Open), "open-stats")
	b.ReportMetric(float64(r.SnapshotBytes)/(1<<20), "snapshot-MiB")
	b.ReportMetric(r.SnapshotTime.Seconds(), "snapshot-s")
	b.ReportMetric(float64(r.LogBytes)/(1<<20), "log-MiB")
	b.ReportMetric(r.RestoreTime.Seconds(), "restore-s")
	b.ReportMetric(r.ReplayTime.Seconds(), "replay-s")
	b.ReportMetric(r.Total.Seconds(), "restart-s")
}

// MeasureRestart on S: the restored engine matches, and the figures are filled.
func TestMeasureRestartS(t *testing.T) {
	w, err := Build(S, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := MeasureRestart(w, 3*BatchSize+7)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Verified() {
		t.Fatalf("restored engine differs: %s", strings.Join(r.Mismatches, "; "))
	}
	if r.SnapshotBytes == 0 || r.LogBytes == 0 || r.LogRecords != 4 || r.Total != r.RestoreTime+r.ReplayTime {
		t.Errorf("figures: %+v", r)
	}
	rep := &Report{Restart: r}
	var b strings.Builder
	if err := rep.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "## Restart (issue 8)") || !strings.Contains(b.String(), "| matches on ") {
		t.Errorf("markdown lacks the restart section:\n%s", b.String())
	}
	rep = &Report{RestartNote: "not run (--restart=false)"}
	b.Reset()
	rep.Markdown(&b)
	if !strings.Contains(b.String(), "pending — not run (--restart=false)") {
		t.Errorf("markdown lacks the pending restart note")
	}
}
