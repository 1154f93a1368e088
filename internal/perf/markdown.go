package perf

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Markdown writes the report as docs/performance.md: method, machine, the figures, the
// ratios, the targets with what bounds each, and the commands that produced it. The file
// is measured output, not generated code: it carries no generated-code header.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := r.Machine
	p("# statkit performance\n\n")
	p("Measured by `%s` on %s UTC (%s). Regenerate on a quiet machine with the same command.\n",
		r.Command, r.Started.UTC().Format("2006-01-02 15:04"), r.Duration.Round(time.Second))
	p("Every figure below comes from that one run; nothing here is edited by hand.\n")
	if r.Revision != "" {
		p("Source: %s.\n", r.Revision)
	}
	p("\n")

	p("## Machine\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s |\n| cores (nproc) | %d |\n| memory | %.1f GiB |\n| Go | %s %s/%s |\n| load average at start | %s |\n\n",
		m.CPU, m.Cores, float64(m.MemTotal)/(1<<30), m.GoVersion, m.OS, m.Arch, orDash(m.Load))
	if m.Load != "" {
		p("A load average above the number of cores means other processes competed for them: the\n")
		p("wall-time figures are then pessimistic. The CPU ns/action column (process CPU time, all\n")
		p("threads) is less sensitive to that; the noise column is half the spread of the runs.\n\n")
	}

	p("## Method\n\n")
	p("- **Workloads** (`internal/perf`): a contact center from `runtime/sim` with seed %d — %s; %s; %s.\n",
		S.Seed, S, M, L)
	p("  The statistics are a fixed mix (`internal/perf/mix.go`): queue, queue-group, tenant, agent-group,\n")
	p("  place-group, agent, DN and place statistics of the common categories (totals, averages, max/min,\n")
	p("  adjusted totals, current numbers and times, CurrentState, distinct and continuous current values,\n")
	p("  service level), every historical one under Growing (midnight, shifts, every 15 minutes) and\n")
	p("  Sliding (15 min by 1 min, 1 h by 5 min) profiles. Statistics the engine refuses today are\n")
	p("  counted as refused with the engine's reason (table below) and are picked up as soon as the\n")
	p("  engine opens them.\n")
	p("- **Events**: one simulated hour per cycle (logins over the first minutes, Poisson calls through\n")
	p("  queues, ringing, talk, holds, consultations, breaks, after-call work, some logouts), then a\n")
	p("  closing wave that ends whatever is still in progress, so the engine returns to its initial\n")
	p("  state; the cycle is generated once, kept in memory and replayed shifted by one cycle each time.\n")
	p("  Build applies one cycle untimed (warm-up) before any measurement.\n")
	p("- **Engine**: `Engine.Apply` per action, `Engine.Changed` drained every %d actions as a server does\n", BatchSize)
	p("  per batch. **NDJSON**: the cycle encoded with `event.AppendJSON`, then read (bufio over memory) →\n")
	p("  decoded → validated (the engine as topology `Resolver`) → applied, per line. **Decode**: the same\n")
	p("  without apply; **NDJSON + ingest pipeline**: NDJSON gathered into batches of %d, each sequenced by\n", BatchSize)
	p("  `ingest.Pipeline` with an idempotency key (default settings: 2 s reorder window) before the events it\n")
	p("  releases are applied (issue 19's first budget); **encoding/json**: the same lines through a bufio.Reader of the same size and\n")
	p("  `json.Unmarshal` into an equivalent struct (parsed time, strings, data map) with no validation.\n")
	p("- **Floor** (comparison b): in the warm-up cycle, the statistics `Engine.Changed` reports after each\n")
	p("  action are recorded (this is *updates/action*); the floor then does, per action, one array lookup\n")
	p("  and one float add per recorded update, on a flat array of the open statistics — nothing else.\n")
	p("- **Timing**: each figure is the median of %d runs of at least %s each (n calibrated as `go test\n", r.Count, r.BenchTime)
	p("  -bench` does), a GC before each run, GOMAXPROCS set per CPUs column. Allocations are\n")
	p("  `runtime.MemStats.Mallocs` deltas over the timed runs.\n")
	p("- **Build**: the statkit binary (and so `statkit bench` and `statkit serve`) is built with\n")
	p("  profile-guided optimization from `tools/statkit/default.pgo`, a CPU profile of the NDJSON M\n")
	p("  benchmark (see `go doc ./tools/statkit`); `go test -bench` builds library packages without it,\n")
	p("  so its figures are those of a build without PGO (5–15%% slower on engine and NDJSON M here).\n")
	p("- **Memory**: bytes per open statistic = heap growth (after GC) while opening the statistics,\n")
	p("  divided by the statistics opened (their configs, built before, excluded); Growing numeric ones are\n")
	p("  opened first and measured alone. RSS (`VmRSS` of /proc/self/status, after one streamed cycle, a\n")
	p("  GC and `debug.FreeOSMemory`) is measured for L and L-growing (L with only Growing numeric\n")
	p("  statistics, 1,000,000 open) in a process of their own, without the replay buffer.\n\n")

	p("## Figures\n\n")
	p("| workload | CPUs | engine actions/s | ns/action | CPU ns/action | allocs/action | NDJSON events/s (end to end) | allocs/line | NDJSON + ingest pipeline events/s | decode events/s | encoding/json events/s | floor ns/action | noise |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, x := range r.Rows {
		p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | ±%.0f%% |\n", x.Size, x.CPUs,
			rate(x.Engine.PerSecond()), f1(x.Engine.NsPerOp()), f1(x.Engine.CPUNsPerOp()), f2(x.Engine.AllocsPerOp()),
			rate(x.NDJSON.PerSecond()), f2(x.NDJSON.AllocsPerOp()), rate(x.NDJSONIngest.PerSecond()), rate(x.Decode.PerSecond()), rate(x.DecodeJSON.PerSecond()),
			f1(x.Floor.NsPerOp()), 100*x.Engine.Spread()/2)
	}
	p("\n| workload | statistics configured | open | refused | Sliding open / configured | events per cycle | updates/action | bytes/open statistic | bytes/Growing numeric statistic | RSS |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, wi := range r.Workloads {
		mm := r.memory(wi.Size.Name)
		p("| %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s |\n", wi.Size.Name, thousands(int64(wi.Configured)),
			thousands(int64(wi.Open)), thousands(int64(wi.Configured-wi.Open)), thousands(int64(wi.SlidingOpn)), thousands(int64(wi.Sliding)),
			thousands(int64(wi.Events)), f1(wi.UpdatesPerAction), f0(mm.BytesPerStat), f0(mm.BytesPerGrowingNumeric), rssText(mm))
	}
	for _, mm := range r.Memory {
		if mm.Size == LGrowing.Name {
			p("| %s | %s | %s | %s | 0 / 0 | (memory only) | | %s | %s | %s |\n", mm.Size, thousands(int64(mm.Configured)),
				thousands(int64(mm.Open)), thousands(int64(mm.Configured-mm.Open)), f0(mm.BytesPerStat), f0(mm.BytesPerGrowingNumeric), rssText(mm))
		}
	}
	for _, wi := range r.Workloads {
		if len(wi.Refused) == 0 {
			continue
		}
		p("\n%s — statistics the engine refused, by its reason:\n\n", wi.Size.Name)
		for _, rf := range wi.Refused {
			p("- %s × %s\n", thousands(int64(rf.Count)), rf.Reason)
		}
	}

	p("\n## Comparisons (measured in the same run)\n\n")
	p("| workload | CPUs | (a) statkit decode ÷ encoding/json (events/s) | (b) engine ÷ floor (ns/action) |\n|---|--:|--:|--:|\n")
	for _, x := range r.Rows {
		p("| %s | %d | %s× | %s× |\n", x.Size, x.CPUs, f2(x.DecodeRatio()), f1(x.FloorRatio()))
	}
	p("\n(c) SQL at each refresh: ")
	if r.SQL != nil {
		p("%s.\n", r.SQL.Summary())
		p("The statistics are the first of the mix's Default-profile (Growing from midnight) DNAction\n")
		p("statistics on agents, agent groups, queues, the queue group and the tenant that one SQL query\n")
		p("per stat type can recompute (totals, averages, max/min, current number/time/max/average); each\n")
		p("SQL value is checked against the engine's. The events table holds the simulated hour up to the\n")
		p("refresh instant, indexed on (action, phase, t) and (action, src, ixn, phase, t); the topology is a\n")
		p("source → object table. The engine's per-refresh cost is its Apply time for the events of one\n")
		p("refresh interval plus the reads.\n")
		if len(r.SQL.Mismatches) > 0 {
			p("Mismatches: %s.\n", strings.Join(r.SQL.Mismatches, "; "))
		}
	} else {
		p("pending — %s.\n", r.SQLNote)
	}
	p("\nNotifications to SSE subscribers: ")
	if r.Notify != nil {
		p("%s.\n", r.Notify.Summary())
	} else {
		p("pending — %s.\n", r.NotifyNote)
	}

	p("\n## Restart (issue 8)\n\n")
	if rr := r.Restart; rr != nil {
		p("| workload | open statistics | snapshot size | snapshot time | events logged after it | log size | restore | replay | restart (restore + replay) | restored engine |\n")
		p("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
		check := fmt.Sprintf("matches on %s statistics", thousands(int64(rr.Checked)))
		if !rr.Verified() {
			check = fmt.Sprintf("**differs** on %s of %s statistics", thousands(int64(rr.Differ)), thousands(int64(rr.Checked)))
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", rr.Size, thousands(int64(rr.Open)),
			mib(uint64(rr.SnapshotBytes)), secs(rr.SnapshotTime), thousands(int64(rr.Events)), mib(uint64(rr.LogBytes)),
			secs(rr.RestoreTime), secs(rr.ReplayTime), secs(rr.Total), check)
		p("\nMethod (`perf.MeasureRestart`, GOMAXPROCS %d): the %s engine in steady state is snapshotted (`Engine.Snapshot`\n", rr.CPUs, rr.Size)
		p("into memory, in a buffer sized by a previous snapshot as the server sizes it; snapshot time, during which the server's owner goroutine applies no event) and written to a store in a temporary directory (fsync off), then the next %s\n", thousands(int64(rr.Events)))
		p("events of the cycle are logged after it as the server logs them ('E' + NDJSON, %d events a record, %s records);\n", BatchSize, thousands(int64(rr.LogRecords)))
		p("restore is `store.Open` (the log's recovery scan), loading the snapshot and `engine.Restore`, replay is\n")
		p("decoding, validating and applying the logged events; the restored engine is then compared with the\n")
		p("original one fed the same events on every %dth open statistic.\n", restartCheckStride)
		if len(rr.Mismatches) > 0 {
			p("First differences: %s.\n", strings.Join(rr.Mismatches, "; "))
		}
	} else {
		p("pending — %s.\n", r.RestartNote)
	}

	r.markdownIngest(p)

	if r.Failover != "" {
		p("\n%s", r.Failover)
	} else {
		p("\n## Replication failover (issue 17)\n\npending — %s.\n", r.FailoverNote)
	}

	p("\n## Targets (issues 7 and 19; one core unless the target names more)\n\n")
	p("| target | status | measured | what bounds it |\n|---|---|---|---|\n")
	for _, t := range r.Targets() {
		p("| %s | %s | %s | %s |\n", t.Name, t.Status, t.Measured, t.Bound)
	}

	p("\n## Commands\n\n")
	p("This file:\n\n```sh\n%s\n```\n\n", r.Command)
	p("The same measurements as Go benchmarks (L is skipped under `-short`), and the profiles the\n")
	p("tuning works from:\n\n```sh\n")
	p("go test -run '^$' -bench . -benchtime 2s -cpu 1,2 ./internal/perf/\n")
	p("go test -run '^$' -bench 'EngineM$' -benchtime 5s -cpu 1 -cpuprofile cpu.out -o perf.test ./internal/perf/\n")
	p("go tool pprof -top -cum -focus 'Workload..Apply' perf.test cpu.out\n")
	p("go test -run '^$' -bench 'EngineM$' -benchtime 5s -cpu 1 -memprofile mem.out -memprofilerate 1 -o perf.test ./internal/perf/\n")
	p("(cd perf/sqlbaseline && go run . -json)   # comparison (c) alone\n")
	p("```\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// markdownIngest writes the HTTP ingest figures and the budgets of issue 19.
func (r *Report) markdownIngest(p func(string, ...any)) {
	p("\n## HTTP ingest and the ingest boundary's budgets (issue 19)\n\n")
	if len(r.Ingest) > 0 {
		p("| workload | CPUs | events/s | p50 per batch | p99 per batch | max | engine-only actions/s (1 CPU, same run) | ratio | CPU µs/event | owner applying | statistics verified | CPUs busy | concurrency ceiling (Little's law) |\n")
		p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, in := range r.Ingest {
			eng, ratio := "–", "–"
			if in.EngineNsPerAction > 0 {
				eng, ratio = rate(1e9/in.EngineNsPerAction), fmt.Sprintf("%.0f%%", 100*in.EngineRatio())
			}
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %.2f | %.0f%% | %d | %.0f%% | %s events/s |\n", in.Workload, in.CPUs, rate(in.PerSecond()),
				in.P50.Round(10*time.Microsecond), in.P99.Round(10*time.Microsecond), in.Max.Round(10*time.Microsecond), eng, ratio,
				float64(in.CPU.Nanoseconds())/1000/float64(max(in.Events, 1)), 100*in.Apply.Seconds()/max(in.Elapsed.Seconds(), 1e-9), in.Verified,
				100*in.Busy(), rate(in.Ceiling()))
		}
		p("\nMethod (`internal/perf/ingestbench`): a `runtime/server` with a data directory (`--fsync interval`,\n")
		p("group commit) on a loopback port, the reorder window on, %d clients posting the workload's cycles\n", r.Ingest[0].Clients)
		p("as NDJSON in batches of %d with an `Idempotency-Key` on each, over one HTTP transport in the same\n", r.Ingest[0].Batch)
		p("process; one warm-up cycle, then timed cycles; latency from a POST's start to its answer read.\n")
		p("A client takes the next batch only when at most %d batches are unanswered (so that no event is late\n", r.Ingest[0].Lead)
		p("beyond the reorder window): the rate is then at most that many batches per mean latency, the\n")
		p("concurrency ceiling; CPUs busy is the process's CPU time over the run's wall time and CPUs.\n")
		p("Every answer is checked (all accepted, none late), and a sample of statistics read back over HTTP\n")
		p("equals a reference engine's. Details: %s.\n", r.Ingest[len(r.Ingest)-1].Summary())
	} else {
		p("HTTP ingest: pending — %s.\n", r.IngestNote)
	}
	p("\n| budget (≤ %.0f%%) | covers | without | with | cost | produced | status |\n|---|---|--:|--:|--:|--:|---|\n", 100*BudgetLimit)
	if m, ok := r.row(M.Name, perCore); ok {
		if cost, ok := ingestBudget(m); ok {
			p("| reorder window + idempotency keys, NDJSON M (%d CPU) | issue 13's `runtime/ingest` (`ingest.Pipeline`) | %s events/s | %s events/s | %.1f%% | %s keys a cycle | %s |\n",
				m.CPUs, rate(m.NDJSON.PerSecond()), rate(m.NDJSONIngest.PerSecond()), 100*cost, thousands(int64(r.eventsOf(M.Name)/BatchSize)), verdict(cost <= BudgetLimit))
		} else {
			p("| reorder window + idempotency keys | | | | | | pending — NDJSON through the ingest pipeline not measured |\n")
		}
	} else {
		p("| reorder window + idempotency keys | | | | | | pending — M not measured in this run |\n")
	}
	for _, b := range []struct {
		name string
		res  *BudgetResult
		note string
	}{{"history writer", r.History, r.HistoryNote}, {"replica consuming JetStream", r.Replica, r.ReplicaNote}} {
		if b.res == nil {
			p("| %s | | | | | | pending — %s |\n", b.name, b.note)
			continue
		}
		p("| %s, %s (%d CPU) | %s | %s events/s | %s events/s | %.1f%% | %s %s | %s |\n", b.res.Name, b.res.Workload, b.res.CPUs, b.res.Covers,
			rate(b.res.BaseRate()), rate(b.res.WithRate()), 100*b.res.Cost(), thousands(b.res.Produced), b.res.ProducedUnit, verdict(b.res.Met()))
	}
	for _, b := range []*BudgetResult{r.History, r.Replica} {
		if b != nil {
			p("\n%s: without — %s; with — %s. %s%s.\n", b.Name, b.Base, b.With, b.Detail, b.StepsText())
		}
	}
}

// eventsOf returns the events per cycle of workload size (0: not measured).
func (r *Report) eventsOf(size string) int {
	for _, w := range r.Workloads {
		if w.Size.Name == size {
			return w.Events
		}
	}
	return 0
}
