package perf

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/statkit/statkit/runtime/config"
)

// Target is one target of issue 7 with its verdict on a report.
type Target struct {
	Name string
	// Status is "met", "not met" or "pending" (not measured in this run).
	Status string
	// Measured is the figure compared; Bound says what limits it, from the measurements.
	Measured, Bound string
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

// perCore is the GOMAXPROCS value the targets are judged on.
const perCore = 1

// Targets judges the report against issue 7's targets (on one core where measured).
func (r *Report) Targets() []Target {
	var out []Target
	pending := func(name, why string) {
		out = append(out, Target{Name: name, Status: "pending", Measured: "–", Bound: why})
	}

	if m, ok := r.row(M.Name, perCore); ok {
		e, f := m.Engine, m.Floor
		upd := 0.0
		for _, w := range r.Workloads {
			if w.Size.Name == M.Name {
				upd = w.UpdatesPerAction
			}
		}
		bound := fmt.Sprintf("engine work per action: %.0f ns (%.0f ns CPU), %.0f ns per statistic update (%.1f updates per action), against a floor of %.1f ns per action (%.0f×) that reads the same updates from one sequential array", e.NsPerOp(), e.CPUNsPerOp(), e.NsPerOp()/max(upd, 1), upd, f.NsPerOp(), m.FloorRatio())
		if s, ok := r.row(S.Name, perCore); ok {
			// The same mix with a tenth of the statistics: its state stays in the core's caches.
			bound += fmt.Sprintf("; the same mix on S (a tenth of the objects and statistics, whose state stays in the core's caches) runs at %.0f ns per action, so about %.0f ns of M's are cache misses on statistics, instances and objects spread over megabytes, and the rest is the per-update work itself", s.Engine.NsPerOp(), max(0, e.NsPerOp()-s.Engine.NsPerOp()))
		}
		out = append(out, Target{Name: fmt.Sprintf("Engine M ≥ 2,000,000 actions/s (%d CPU)", m.CPUs),
			Status: verdict(e.PerSecond() >= 2e6), Measured: rate(e.PerSecond()) + " actions/s (" + cpuRate(e) + " by CPU time)",
			Bound: bound + "; where the time goes: the CPU profile of BenchmarkEngineM (commands below)"})
		out = append(out, Target{Name: "Engine M: 0 allocations per action in steady state",
			Status: verdict(e.Mallocs == 0), Measured: fmt.Sprintf("%d allocations in %s actions", e.Mallocs, thousands(int64(e.Ops))),
			Bound: "heap allocations of the process during the median timed run (runtime.MemStats.Mallocs), the engine's and any other goroutine's"})
		n, d := m.NDJSON, m.Decode
		out = append(out, Target{Name: fmt.Sprintf("NDJSON M ≥ 1,000,000 events/s end to end (%d CPU)", m.CPUs),
			Status: verdict(n.PerSecond() >= 1e6), Measured: rate(n.PerSecond()) + " events/s (" + cpuRate(n) + " by CPU time)",
			Bound: fmt.Sprintf("%.0f ns per line = decode and validate %.0f ns (%.0f%%) + apply about %.0f ns; the apply part is the engine's, the decode part the decoder's (%.1f allocs/line)",
				n.NsPerOp(), d.NsPerOp(), 100*ratio(d.NsPerOp(), n.NsPerOp()), max(0, n.NsPerOp()-d.NsPerOp()), n.AllocsPerOp())})
		out = append(out, Target{Name: "Decode M ≥ 3× encoding/json",
			Status: verdict(m.DecodeRatio() >= 3), Measured: f2(m.DecodeRatio()) + "×",
			Bound: fmt.Sprintf("statkit %.0f ns/line (%.1f allocs) with full validation against encoding/json %.0f ns/line (%.1f allocs) without any",
				d.NsPerOp(), d.AllocsPerOp(), m.DecodeJSON.NsPerOp(), m.DecodeJSON.AllocsPerOp())})
	} else {
		for _, n := range []string{"Engine M ≥ 2,000,000 actions/s", "Engine M: 0 allocations per action in steady state",
			"NDJSON M ≥ 1,000,000 events/s end to end", "Decode M ≥ 3× encoding/json"} {
			pending(n, "M not measured in this run")
		}
	}

	if g := r.memory(LGrowing.Name); g != nil {
		out = append(out, Target{Name: "L: ≤ 128 bytes per open Growing numeric statistic",
			Status: verdict(g.BytesPerGrowingNumeric <= 128), Measured: f0(g.BytesPerGrowingNumeric) + " B/stat",
			Bound: "the engine's heap per statistic: its 96-byte slot in the statistics array, its entry in the id index (4–8 B), one index entry per action of its mask, its place in the open-order list, and the slack of those growing arrays"})
		out = append(out, Target{Name: "L: 1,000,000 statistics in < 256 MiB RSS",
			Status: verdict(g.RSS > 0 && g.RSS < 256<<20 && g.Open >= 1_000_000), Measured: fmt.Sprintf("%s with %s open", mib(g.RSS), thousands(int64(g.Open))),
			Bound: fmt.Sprintf("live heap %s at that moment: the engine's statistics (%s B × %s = %s) and the rest, mostly the config the engine was given and keeps (a %d-byte config.Statistic and its id string per statistic, stat types, profiles, topology); the RSS above the live heap (%s) is the Go runtime's (GC metadata, spans not yet returned, stacks) and the binary",
				mib(g.Heap), f0(g.BytesPerStat), thousands(int64(g.Open)), mib(uint64(g.BytesPerStat*float64(g.Open))), unsafe.Sizeof(config.Statistic{}), mib(g.RSS-min(g.RSS, g.Heap)))})
	} else {
		pending("L: ≤ 128 bytes per open Growing numeric statistic", "L not measured in this run")
		pending("L: 1,000,000 statistics in < 256 MiB RSS", "L not measured in this run")
	}

	if rr := r.Restart; rr != nil {
		perEvent := time.Duration(0)
		if rr.Events > 0 {
			perEvent = rr.ReplayTime / time.Duration(rr.Events)
		}
		out = append(out, Target{Name: fmt.Sprintf("%s restart (restore + replay) ≤ 4 s", rr.Size),
			Status: verdict(rr.Verified() && rr.Total <= 4*time.Second), Measured: fmt.Sprintf("%s (restore %s + replay %s)", secs(rr.Total), secs(rr.RestoreTime), secs(rr.ReplayTime)),
			Bound: fmt.Sprintf("restore: the log's recovery scan, reading the %s snapshot and rebuilding %s statistics from it; replay: %s events logged after the snapshot, %s per event decoded, validated and applied — about the NDJSON figure of %s, whose engine part is cache misses over the state of a million statistics; a snapshot more often shortens the replay (it is taken every --snapshot-every records or --snapshot-interval)",
				mib(uint64(rr.SnapshotBytes)), thousands(int64(rr.Open)), thousands(int64(rr.Events)), perEvent, rr.Size)})
		out = append(out, Target{Name: fmt.Sprintf("%s snapshot ≤ 0.5 s", rr.Size),
			Status: verdict(rr.SnapshotTime <= 500*time.Millisecond), Measured: fmt.Sprintf("%s (%s)", secs(rr.SnapshotTime), mib(uint64(rr.SnapshotBytes))),
			Bound: fmt.Sprintf("Engine.Snapshot encodes every statistic, instance and object into memory on the owner goroutine (no event is applied meanwhile): %s for %s statistics; writing it out (%s) happens off the owner", perByte(rr.SnapshotTime, rr.SnapshotBytes), thousands(int64(rr.Open)), secs(rr.SnapshotWriteTime))})
	} else {
		pending("L restart (restore + replay) ≤ 4 s", r.RestartNote)
		pending("L snapshot ≤ 0.5 s", r.RestartNote)
	}

	if n := r.Notify; n != nil {
		measured := rate(n.PerSecond()) + "/s"
		if n.EventRate > 0 {
			measured += " at " + thousands(int64(n.EventRate)) + " events/s offered"
		}
		if c := n.Capacity; c != nil {
			measured += fmt.Sprintf(" (capacity %s/s as fast as the server answers)", rate(c.PerSecond()))
		}
		out = append(out, Target{Name: fmt.Sprintf("≥ 100,000 notifications/s to %s subscribers", thousands(int64(n.Subscribers))),
			Status: verdict(n.PerSecond() >= 1e5 && n.Subscribers >= 1000), Measured: measured, Bound: n.Bound})
		// The latency counts only when taken at the target's rate.
		out = append(out, Target{Name: "notification p99 latency from ingest < 50 ms",
			Status:   verdict(n.P99 < 50*time.Millisecond && n.Delivered > 0 && n.PerSecond() >= 1e5 && n.Subscribers >= 1000),
			Measured: fmt.Sprintf("%s at %s/s", n.P99.Round(10*time.Microsecond), rate(n.PerSecond())), Bound: n.Bound})
	} else {
		pending("≥ 100,000 notifications/s to 1,000 subscribers", r.NotifyNote)
		pending("notification p99 latency from ingest < 50 ms", r.NotifyNote)
	}
	out = append(out, r.ingestTargets()...)
	out = append(out, r.budgets()...)
	return out
}

// cpuRate is the throughput by process CPU time, "–" when not measured.
func cpuRate(r Result) string {
	if r.CPUNsPerOp() <= 0 {
		return "–"
	}
	return rate(1e9 / r.CPUNsPerOp())
}

// perByte describes d spent on n bytes as a rate.
func perByte(d time.Duration, n int64) string {
	if d <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MiB/s", float64(n)/(1<<20)/d.Seconds())
}
