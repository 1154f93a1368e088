package perf

import (
	"fmt"
	"time"
)

// BudgetLimit is issue 19 §3's budget for each piece of work at the ingest boundary: it
// may cost at most this fraction of the rate of the same run without it.
const BudgetLimit = 0.10

// BudgetResult is one budget measurement of issue 19 §3: the same work timed without and
// with a piece of the ingest boundary (the history writer, a JetStream replica), median
// of Runs alternating runs each.
type BudgetResult struct {
	// Name names the piece measured ("history writer"); Covers says which issue's code
	// the figure covers and how it runs; Base and With describe the two runs.
	Name   string `json:"name"`
	Covers string `json:"covers"`
	Base   string `json:"base"`
	With   string `json:"with"`
	// Workload is the size measured; Events the events of one timed run; Records the log
	// records they were in.
	Workload string `json:"workload"`
	Events   int    `json:"events"`
	Records  int    `json:"records"`
	// BaseTime and WithTime are the medians of the timed runs; BaseCPU and WithCPU the
	// process CPU time of those runs (medians too).
	BaseTime, WithTime time.Duration
	BaseCPU, WithCPU   time.Duration
	Runs               int `json:"runs"`
	// CPUs is GOMAXPROCS during the runs.
	CPUs int `json:"cpus"`
	// Produced counts what the piece produced in one timed run (history rows written,
	// records read from the stream) and ProducedUnit names it; Detail adds what the
	// figure needs to be read (how many statistics are recorded, where the stream is).
	Produced     int64  `json:"produced"`
	ProducedUnit string `json:"producedUnit"`
	Detail       string `json:"detail"`
	// Steps, when measured, are intermediate runs between without and with that say
	// where the cost goes (e.g. the engine's notifications alone), medians alike.
	Steps []BudgetStep `json:"steps,omitempty"`
}

// BudgetStep is an intermediate run of a budget measurement.
type BudgetStep struct {
	Name string        `json:"name"`
	Time time.Duration `json:"time"`
	CPU  time.Duration `json:"cpu"`
}

// StepsText describes the steps with their rates and their share of the cost ("" when
// none).
func (b *BudgetResult) StepsText() string {
	s := ""
	for _, st := range b.Steps {
		share := 0.0
		if d := b.WithTime - b.BaseTime; d > 0 {
			share = float64(st.Time-b.BaseTime) / float64(d)
		}
		s += fmt.Sprintf("; %s: %s events/s (%.0f%% of the added time)", st.Name, rate(perSecond(b.Events, st.Time)), 100*share)
	}
	return s
}

// BaseRate and WithRate are events per second without and with the piece.
func (b *BudgetResult) BaseRate() float64 { return perSecond(b.Events, b.BaseTime) }

// WithRate is events per second with the piece.
func (b *BudgetResult) WithRate() float64 { return perSecond(b.Events, b.WithTime) }

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Cost is the fraction of the base rate the piece costs: 1 − with/base (0.1: the rate
// with it is 10% lower).
func (b *BudgetResult) Cost() float64 {
	if b.BaseRate() == 0 {
		return 0
	}
	return 1 - b.WithRate()/b.BaseRate()
}

// CostCPU is Cost by process CPU time instead of wall time: less sensitive to other
// work on the machine (0 when CPU time was not measured).
func (b *BudgetResult) CostCPU() float64 {
	if b.BaseCPU <= 0 || b.WithCPU <= 0 {
		return 0
	}
	return 1 - float64(b.BaseCPU)/float64(b.WithCPU)
}

// Met reports whether the cost is within BudgetLimit.
func (b *BudgetResult) Met() bool { return b.Events > 0 && b.Cost() <= BudgetLimit }

// Summary is a one-line account of the measurement.
func (b *BudgetResult) Summary() string {
	return fmt.Sprintf("%s: %s events/s without (%s), %s events/s with (%s): costs %.1f%% of the rate (%.1f%% by CPU time; budget %.0f%%); %s events in %s records of %s a run, %s %s a run, median of %d runs each on %d CPU, CPU time %s → %s; %s",
		b.Name, rate(b.BaseRate()), b.Base, rate(b.WithRate()), b.With, 100*b.Cost(), 100*b.CostCPU(), 100*BudgetLimit,
		thousands(int64(b.Events)), thousands(int64(b.Records)), b.Workload, thousands(b.Produced), b.ProducedUnit, b.Runs, b.CPUs,
		b.BaseCPU.Round(time.Millisecond), b.WithCPU.Round(time.Millisecond), b.Detail) + b.StepsText()
}

// ingestBudget is budget (a): the reorder window and idempotency keys, NDJSONIngest
// against NDJSON of the same row.
func ingestBudget(x Row) (cost float64, ok bool) {
	if x.NDJSON.PerSecond() == 0 || x.NDJSONIngest.PerSecond() == 0 {
		return 0, false
	}
	return 1 - x.NDJSONIngest.PerSecond()/x.NDJSON.PerSecond(), true
}

// budgets judges issue 19 §3's budgets on the report.
func (r *Report) budgets() []Target {
	var out []Target
	name := fmt.Sprintf("Budget: reorder window + idempotency keys ≤ %.0f%% of NDJSON M (issue 13's runtime/ingest)", 100*BudgetLimit)
	if m, ok := r.row(M.Name, perCore); ok {
		if cost, ok := ingestBudget(m); ok {
			out = append(out, Target{Name: name, Status: verdict(cost <= BudgetLimit),
				Measured: fmt.Sprintf("%.1f%% (%s by CPU time; %s → %s events/s, %d CPU)", 100*cost, cpuCost(m.NDJSON, m.NDJSONIngest), rate(m.NDJSON.PerSecond()), rate(m.NDJSONIngest.PerSecond()), m.CPUs),
				Bound: fmt.Sprintf("NDJSON M end to end against the same lines gathered into batches of %d, each sequenced by ingest.Pipeline with an idempotency key under the default settings (2 s reorder window, keys kept 24 h) before the released events are applied: %.0f ns per line more (%.2f → %.2f allocs/line)",
					BatchSize, m.NDJSONIngest.NsPerOp()-m.NDJSON.NsPerOp(), m.NDJSON.AllocsPerOp(), m.NDJSONIngest.AllocsPerOp())})
		} else {
			out = append(out, Target{Name: name, Status: "pending", Measured: "–", Bound: "NDJSON through the ingest pipeline not measured"})
		}
	} else {
		out = append(out, Target{Name: name, Status: "pending", Measured: "–", Bound: "M not measured in this run"})
	}
	for _, b := range []struct {
		name, issue string
		res         *BudgetResult
		note        string
	}{
		{"history writer", "issue 16's runtime/history", r.History, r.HistoryNote},
		{"replica consuming JetStream", "issue 17's runtime/replica", r.Replica, r.ReplicaNote},
	} {
		name := fmt.Sprintf("Budget: %s ≤ %.0f%% of the engine's rate (%s)", b.name, 100*BudgetLimit, b.issue)
		if b.res == nil {
			out = append(out, Target{Name: name, Status: "pending", Measured: "–", Bound: b.note})
			continue
		}
		out = append(out, Target{Name: name, Status: verdict(b.res.Met()),
			Measured: fmt.Sprintf("%.1f%% (%.1f%% by CPU time; %s → %s events/s, %s %s, %d CPU)", 100*b.res.Cost(), 100*b.res.CostCPU(), rate(b.res.BaseRate()), rate(b.res.WithRate()),
				thousands(b.res.Produced), b.res.ProducedUnit, b.res.CPUs),
			Bound: fmt.Sprintf("%s; without: %s; with: %s; %s%s", b.res.Covers, b.res.Base, b.res.With, b.res.Detail, b.res.StepsText())})
	}
	return out
}

// ingestTargets judges issue 19 §2's HTTP ingest targets on the report.
func (r *Report) ingestTargets() []Target {
	names := []string{"HTTP ingest, durable, ≥ 500,000 events/s (2 CPUs)", "HTTP ingest p99 per batch < 50 ms", "HTTP ingest ≥ 40% of the engine-only rate"}
	in := r.IngestFor(M.Name)
	if in == nil {
		why := r.IngestNote
		if why == "" {
			why = "M not measured over HTTP in this run"
		}
		var out []Target
		for _, n := range names {
			out = append(out, Target{Name: n, Status: "pending", Measured: "–", Bound: why})
		}
		return out
	}
	bound := fmt.Sprintf("the process used %.0f%% of its %d CPUs (server and clients); at most %d batches of %d are unanswered at once, each for %s on average, so the clients' concurrency allows at most %s events/s at that latency (Little's law); the owner goroutine applied for %.0f%% of the time; the rest of the CPU is HTTP, decoding and validation on the request goroutines, the log's appends and group commit, and the clients themselves. %s",
		100*in.Busy(), in.CPUs, min(in.Lead, in.Clients), in.Batch, in.Mean.Round(10*time.Microsecond), rate(in.Ceiling()),
		100*in.Apply.Seconds()/max(in.Elapsed.Seconds(), 1e-9), in.Summary())
	ratioStatus := "pending"
	ratioMeasured := "– (engine M not measured on 1 CPU)"
	if in.EngineNsPerAction > 0 {
		ratioStatus = verdict(in.EngineRatio() >= 0.4)
		ratioMeasured = fmt.Sprintf("%.1f%% (%s of %s events/s)", 100*in.EngineRatio(), rate(in.PerSecond()), rate(1e9/in.EngineNsPerAction))
	}
	return []Target{
		{Name: fmt.Sprintf("HTTP ingest, durable, ≥ 500,000 events/s (%d CPUs)", in.CPUs), Status: verdict(in.PerSecond() >= 5e5 && in.CPUs <= 2),
			Measured: rate(in.PerSecond()) + " events/s", Bound: bound},
		{Name: names[1], Status: verdict(in.P99 < 50*time.Millisecond),
			Measured: fmt.Sprintf("p99 %s (p50 %s)", in.P99.Round(10*time.Microsecond), in.P50.Round(10*time.Microsecond)), Bound: "each POST timed from its start to its answer read: decode and validate, the log's append and its group commit (the answer waits for durability), the owner's apply"},
		{Name: names[2], Status: ratioStatus, Measured: ratioMeasured,
			Bound: "the engine-only figure is the M row's engine actions/s on 1 CPU of this run; HTTP ingest adds decoding, validation, the reorder window, the log and HTTP itself"},
	}
}

// IngestFor returns the HTTP ingest result of workload size, nil when not measured.
func (r *Report) IngestFor(size string) *IngestResult {
	for _, in := range r.Ingest {
		if in.Workload == size {
			return in
		}
	}
	return nil
}

// cpuCost is 1 − base/with by CPU time per op, as a percentage ("–" when not measured).
func cpuCost(base, with Result) string {
	if base.CPUNsPerOp() <= 0 || with.CPUNsPerOp() <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*(1-base.CPUNsPerOp()/with.CPUNsPerOp()))
}
