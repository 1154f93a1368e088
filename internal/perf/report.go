package perf

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Suite is a run of the measurements: which workloads, on how many cores, how long.
type Suite struct {
	// Workloads to measure, in order.
	Workloads []Size
	// CPUs are the GOMAXPROCS values to measure each workload with.
	CPUs []int
	// BenchTime is the least time of one timed run; Count the runs per figure (median).
	BenchTime time.Duration
	Count     int
	// Log receives progress lines (nil: none).
	Log io.Writer
	// Memory measures the memory figures of a size in a clean process; when nil, or for
	// S and M, the figures come from the in-process build (no RSS). It is called for L
	// and LGrowing when L is measured.
	Memory func(Size) (*Memory, error)
	// SQL runs comparison (c) (the perf/sqlbaseline module); nil or an error leaves it
	// pending with the reason.
	SQL func() (*SQLResult, error)
	// Notify measures SSE notifications; nil or an error leaves them pending.
	Notify func() (*NotifyResult, error)
	// Restart measures a durable restart of L (issue 8, MeasureRestart) when L is
	// measured: snapshot, RestartEvents events logged after it, restore and replay. It
	// needs a temporary directory (os.TempDir) and takes a couple of minutes.
	Restart bool
	// Ingest measures HTTP ingest into a durable server (issue 19 §2, package
	// ingestbench) for a measured workload other than L, on IngestCPUs; nil or an error
	// leaves it pending.
	Ingest func(Size) (*IngestResult, error)
	// History and Replica measure issue 19 §3's budgets of the history writer and of a
	// replica consuming JetStream on M, on one CPU; nil or an error leaves them pending.
	History, Replica func(Size) (*BudgetResult, error)
	// Failover measures replication failover (issue 17) and returns its report section
	// in Markdown and a one-line summary; nil or an error leaves it pending.
	Failover func() (markdown, summary string, err error)
}

// IngestCPUs is the GOMAXPROCS HTTP ingest is measured with: issue 19's target is on
// 2 cores (fewer when the machine has fewer).
func IngestCPUs() int { return min(2, runtime.NumCPU()) }

// Row holds the figures of one workload on one GOMAXPROCS value.
type Row struct {
	Size string
	CPUs int
	// Engine: Apply per action. NDJSON: per line, end to end. Decode and DecodeJSON: per
	// line, decode step only (statkit, encoding/json). Floor: per action.
	Engine, NDJSON, Decode, DecodeJSON, Floor Result
	// NDJSONIngest: NDJSON through the ingest pipeline (reorder window, idempotency
	// keys), per line, end to end: issue 19 §3's first budget.
	NDJSONIngest Result
}

// DecodeRatio is comparison (a): statkit's decode throughput over encoding/json's.
func (r Row) DecodeRatio() float64 { return ratio(r.Decode.PerSecond(), r.DecodeJSON.PerSecond()) }

// FloorRatio is comparison (b): the engine's time per action over the floor's.
func (r Row) FloorRatio() float64 { return ratio(r.Engine.NsPerOp(), r.Floor.NsPerOp()) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Memory holds the memory figures of a workload.
type Memory struct {
	Size                   string  `json:"size"`
	Configured             int     `json:"configured"`
	Open                   int     `json:"open"`
	GrowingNumericOpen     int     `json:"growingNumericOpen"`
	BytesPerStat           float64 `json:"bytesPerStat"`
	BytesPerGrowingNumeric float64 `json:"bytesPerGrowingNumeric"`
	// RSS and Heap are the process's VmRSS and live heap after one cycle (0: not
	// measured); Clean says they were measured in a process of their own.
	RSS   uint64 `json:"rss"`
	Heap  uint64 `json:"heap"`
	Clean bool   `json:"clean"`
}

// MemoryOf returns the memory figures of a built workload.
func MemoryOf(w *Workload) *Memory {
	return &Memory{Size: w.Size.Name, Configured: len(w.Statistics), Open: len(w.Open),
		GrowingNumericOpen: w.GrowingNumericOpen, BytesPerStat: w.BytesPerStat,
		BytesPerGrowingNumeric: w.BytesPerGrowingNumeric, RSS: w.RSS, Heap: w.HeapAtRSS}
}

// WorkloadInfo describes a measured workload.
type WorkloadInfo struct {
	Size                Size
	Configured, Open    int
	Sliding, SlidingOpn int
	Refused             []Refusal
	Events              int
	UpdatesPerAction    float64
	BuildTime           time.Duration
	Memory              *Memory
}

// Machine describes where the figures were measured.
type Machine struct {
	CPU       string
	Cores     int
	MemTotal  uint64
	GoVersion string
	OS, Arch  string
	// Load is /proc/loadavg at the start of the run: other work on the machine.
	Load string
}

// ThisMachine describes the machine this process runs on.
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	m.CPU = firstField("/proc/cpuinfo", "model name")
	if kb, err := strconv.ParseUint(strings.TrimSuffix(firstField("/proc/meminfo", "MemTotal"), " kB"), 10, 64); err == nil {
		m.MemTotal = kb << 10
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	if m.CPU == "" {
		m.CPU = "unknown"
	}
	return m
}

// firstField returns the value of the first "key: value" line of file with the key.
func firstField(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Report is the outcome of a Suite run.
type Report struct {
	Machine   Machine
	Started   time.Time
	Duration  time.Duration
	BenchTime time.Duration
	Count     int
	// Command is the command line that produced the report; Revision describes the
	// source measured (commit, uncommitted changes), when known.
	Command   string
	Revision  string
	Workloads []WorkloadInfo
	Rows      []Row
	// Memory figures measured in clean processes (L, L-growing).
	Memory []*Memory
	SQL    *SQLResult
	Notify *NotifyResult
	// Restart is the restart measurement of issue 8 (L).
	Restart *RestartResult
	// Ingest are the HTTP ingest measurements (issue 19 §2), one per workload measured.
	Ingest []*IngestResult
	// History and Replica are issue 19 §3's budgets of the history writer (issue 16) and
	// of a replica consuming JetStream (issue 17).
	History, Replica *BudgetResult
	// SQLNote, NotifyNote, RestartNote, IngestNote, HistoryNote and ReplicaNote say why a
	// measurement is missing.
	SQLNote, NotifyNote, RestartNote, IngestNote, HistoryNote, ReplicaNote string
	// Failover is the replication failover section (Markdown, from Suite.Failover) and
	// FailoverSummary its one line for the console; FailoverNote says why it is missing.
	Failover, FailoverSummary, FailoverNote string
}

// Run runs the suite.
func (s Suite) Run() (*Report, error) {
	rep := &Report{Machine: ThisMachine(), Started: time.Now(), BenchTime: s.BenchTime, Count: s.Count}
	logf := func(format string, args ...any) {
		if s.Log != nil {
			fmt.Fprintf(s.Log, format+"\n", args...)
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, size := range s.Workloads {
		if size.Name == L.Name && s.Memory != nil {
			for _, ms := range []Size{L, LGrowing} {
				logf("%s: memory, in a process of its own", ms.Name)
				m, err := s.Memory(ms)
				if err != nil {
					return nil, fmt.Errorf("memory of %s: %w", ms.Name, err)
				}
				m.Clean = true
				rep.Memory = append(rep.Memory, m)
			}
		}
		logf("%s: building", size)
		w, err := Build(size, Options{Log: s.Log})
		if err != nil {
			return nil, err
		}
		rep.Workloads = append(rep.Workloads, WorkloadInfo{Size: size, Configured: len(w.Statistics),
			Open: len(w.Open), Sliding: w.Sliding, SlidingOpn: w.SlidingOpen, Refused: w.Refused,
			Events: len(w.Events), UpdatesPerAction: w.UpdatesPerAction(), BuildTime: w.BuildTime,
			Memory: MemoryOf(w)})
		for _, cpu := range s.CPUs {
			runtime.GOMAXPROCS(cpu)
			row := Row{Size: size.Name, CPUs: cpu}
			for _, m := range []struct {
				name string
				f    Func
				dst  *Result
			}{
				{"engine", w.Apply, &row.Engine},
				{"floor", w.Floor, &row.Floor},
				{"ndjson", w.NDJSON, &row.NDJSON},
				{"ndjson+ingest", w.NDJSONIngest, &row.NDJSONIngest},
				{"decode", w.Decode, &row.Decode},
				{"encoding/json", w.DecodeEncodingJSON, &row.DecodeJSON},
			} {
				r, err := Measure(m.f, s.BenchTime, s.Count)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", size.Name, m.name, err)
				}
				*m.dst = r
				logf("  %s cpu=%d %-13s %10.1f ns/op %8.1f cpu-ns/op %6.2f allocs/op  ±%.0f%%",
					size.Name, cpu, m.name, r.NsPerOp(), r.CPUNsPerOp(), r.AllocsPerOp(), 100*r.Spread())
			}
			rep.Rows = append(rep.Rows, row)
		}
		if size.Name == L.Name && s.Restart {
			logf("%s: restart (snapshot, %s events logged, restore, replay)", size.Name, thousands(RestartEvents))
			r, err := MeasureRestart(w, RestartEvents)
			if err != nil {
				rep.RestartNote = err.Error()
			} else {
				logf("  %s", r.Summary())
			}
			rep.Restart = r
		}
		w = nil
		runtime.GC()
		debug.FreeOSMemory()
	}
	if rep.Restart == nil && rep.RestartNote == "" {
		switch {
		case !s.Restart:
			rep.RestartNote = "not run (--restart=false)"
		default:
			rep.RestartNote = "not run (measured with L only; run with --workloads including L)"
		}
	}
	if s.SQL != nil {
		logf("SQL baseline (c)")
		r, err := s.SQL()
		if err != nil {
			rep.SQLNote = err.Error()
		}
		rep.SQL = r
	} else {
		rep.SQLNote = "not run (--sql off)"
	}
	if s.Notify != nil {
		logf("notifications to SSE subscribers")
		r, err := s.Notify()
		if err != nil {
			rep.NotifyNote = err.Error()
		}
		rep.Notify = r
	} else {
		rep.NotifyNote = "not run"
	}
	s.runIngest(rep, logf)
	s.runBudgets(rep, logf)
	s.runFailover(rep, logf)
	rep.Duration = time.Since(rep.Started)
	return rep, nil
}

// runFailover measures replication failover, on the machine's CPUs.
func (s Suite) runFailover(rep *Report, logf func(string, ...any)) {
	if s.Failover == nil {
		rep.FailoverNote = "not run (--failover=false)"
		return
	}
	runtime.GOMAXPROCS(runtime.NumCPU())
	logf("replication failover: in-process 3-node JetStream cluster, two replicas")
	md, sum, err := s.Failover()
	if err != nil {
		rep.FailoverNote = "failed: " + err.Error()
		logf("replication failover: %v", err)
		return
	}
	rep.Failover, rep.FailoverSummary = md, sum
}

// runIngest measures HTTP ingest for the measured workloads but L.
func (s Suite) runIngest(rep *Report, logf func(string, ...any)) {
	if s.Ingest == nil {
		rep.IngestNote = "not run (--ingest=false)"
		return
	}
	for _, size := range s.Workloads {
		if size.Name == L.Name {
			continue
		}
		runtime.GOMAXPROCS(IngestCPUs())
		logf("%s: HTTP ingest into a durable server over loopback, %d CPUs", size.Name, IngestCPUs())
		r, err := s.Ingest(size)
		if err != nil {
			rep.IngestNote = fmt.Sprintf("%s: %v", size.Name, err)
			logf("  %s", rep.IngestNote)
			continue
		}
		if row, ok := rep.row(size.Name, perCore); ok && row.CPUs == perCore {
			r.EngineNsPerAction = row.Engine.NsPerOp()
		}
		logf("  %s", r.Summary())
		rep.Ingest = append(rep.Ingest, r)
	}
	if len(rep.Ingest) == 0 && rep.IngestNote == "" {
		rep.IngestNote = "not run (measured with S and M only)"
	}
}

// runBudgets measures issue 19 §3's budgets of the history writer and a replica on M.
func (s Suite) runBudgets(rep *Report, logf func(string, ...any)) {
	hasM := false
	for _, size := range s.Workloads {
		hasM = hasM || size.Name == M.Name
	}
	for _, b := range []struct {
		name string
		f    func(Size) (*BudgetResult, error)
		dst  **BudgetResult
		note *string
	}{
		{"history writer", s.History, &rep.History, &rep.HistoryNote},
		{"replica consuming JetStream", s.Replica, &rep.Replica, &rep.ReplicaNote},
	} {
		switch {
		case b.f == nil:
			*b.note = "not run (--budgets=false)"
			continue
		case !hasM:
			*b.note = "not run (measured with M only)"
			continue
		}
		runtime.GOMAXPROCS(perCore)
		logf("M: budget of the %s, %d CPU", b.name, perCore)
		r, err := b.f(M)
		if err != nil {
			*b.note = err.Error()
			logf("  %v", err)
			continue
		}
		logf("  %s", r.Summary())
		*b.dst = r
	}
}

// row returns the row of size on cpus, or on the fewest cores measured.
func (r *Report) row(size string, cpus int) (Row, bool) {
	var best Row
	found := false
	for _, x := range r.Rows {
		if x.Size != size {
			continue
		}
		if x.CPUs == cpus {
			return x, true
		}
		if !found || x.CPUs < best.CPUs {
			best, found = x, true
		}
	}
	return best, found
}

// memory returns the memory figures of size: from a clean process when measured, else
// from the build.
func (r *Report) memory(size string) *Memory {
	for _, m := range r.Memory {
		if m.Size == size {
			return m
		}
	}
	for _, w := range r.Workloads {
		if w.Size.Name == size {
			return w.Memory
		}
	}
	return nil
}

// Table writes the figures as a plain-text table.
func (r *Report) Table(w io.Writer) {
	tw := newTab(w)
	tw.row("workload", "CPUs", "engine actions/s", "ns/action", "CPU ns/action", "allocs/action",
		"NDJSON events/s", "NDJSON+ingest events/s", "decode events/s", "encoding/json events/s", "(a) decode ×", "floor ns/action", "(b) engine/floor", "noise")
	for _, x := range r.Rows {
		tw.row(x.Size, strconv.Itoa(x.CPUs), rate(x.Engine.PerSecond()), f1(x.Engine.NsPerOp()), f1(x.Engine.CPUNsPerOp()),
			f2(x.Engine.AllocsPerOp()), rate(x.NDJSON.PerSecond()), rate(x.NDJSONIngest.PerSecond()), rate(x.Decode.PerSecond()), rate(x.DecodeJSON.PerSecond()),
			f2(x.DecodeRatio())+"×", f1(x.Floor.NsPerOp()), f1(x.FloorRatio())+"×", fmt.Sprintf("±%.0f%%", 100*x.Engine.Spread()/2))
	}
	tw.flush()
	fmt.Fprintln(w)
	tw = newTab(w)
	tw.row("workload", "configured", "open", "refused", "Sliding open", "events/cycle", "updates/action", "B/stat", "B/Growing numeric stat", "RSS")
	for _, wi := range r.Workloads {
		m := r.memory(wi.Size.Name)
		tw.row(wi.Size.Name, thousands(int64(wi.Configured)), thousands(int64(wi.Open)), thousands(int64(wi.Configured-wi.Open)),
			fmt.Sprintf("%s/%s", thousands(int64(wi.SlidingOpn)), thousands(int64(wi.Sliding))),
			thousands(int64(wi.Events)), f1(wi.UpdatesPerAction), f0(m.BytesPerStat), f0(m.BytesPerGrowingNumeric), rssText(m))
	}
	for _, m := range r.Memory {
		if m.Size == LGrowing.Name {
			tw.row(m.Size, thousands(int64(m.Configured)), thousands(int64(m.Open)), thousands(int64(m.Configured-m.Open)),
				"0/0", "", "", f0(m.BytesPerStat), f0(m.BytesPerGrowingNumeric), rssText(m))
		}
	}
	tw.flush()
	for _, wi := range r.Workloads {
		if len(wi.Refused) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: refused by the engine:\n", wi.Size.Name)
		for _, rf := range wi.Refused {
			fmt.Fprintf(w, "  %9s  %s\n", thousands(int64(rf.Count)), rf.Reason)
		}
	}
	fmt.Fprintln(w)
	if r.SQL != nil {
		fmt.Fprintf(w, "(c) SQL: %s\n", r.SQL.Summary())
	} else {
		fmt.Fprintf(w, "(c) SQL: pending: %s\n", r.SQLNote)
	}
	if r.Notify != nil {
		fmt.Fprintf(w, "notifications: %s\n", r.Notify.Summary())
	} else {
		fmt.Fprintf(w, "notifications: pending: %s\n", r.NotifyNote)
	}
	if r.Restart != nil {
		fmt.Fprintf(w, "restart (%s): %s\n", r.Restart.Size, r.Restart.Summary())
	} else {
		fmt.Fprintf(w, "restart: pending: %s\n", r.RestartNote)
	}
	for _, in := range r.Ingest {
		fmt.Fprintf(w, "HTTP ingest (%s): %s\n", in.Workload, in.Summary())
	}
	if len(r.Ingest) == 0 {
		fmt.Fprintf(w, "HTTP ingest: pending: %s\n", r.IngestNote)
	}
	if m, ok := r.row(M.Name, perCore); ok {
		if cost, ok := ingestBudget(m); ok {
			fmt.Fprintf(w, "budget: reorder window + idempotency keys: NDJSON M %s events/s without, %s with: costs %.1f%% (budget %.0f%%, %d CPU)\n",
				rate(m.NDJSON.PerSecond()), rate(m.NDJSONIngest.PerSecond()), 100*cost, 100*BudgetLimit, m.CPUs)
		}
	}
	for _, b := range []struct {
		name string
		res  *BudgetResult
		note string
	}{{"history writer", r.History, r.HistoryNote}, {"replica consuming JetStream", r.Replica, r.ReplicaNote}} {
		if b.res != nil {
			fmt.Fprintf(w, "budget: %s\n", b.res.Summary())
		} else {
			fmt.Fprintf(w, "budget: %s: pending: %s\n", b.name, b.note)
		}
	}
	if r.FailoverSummary != "" {
		fmt.Fprintf(w, "replication failover: %s\n", r.FailoverSummary)
	} else if r.Failover == "" {
		fmt.Fprintf(w, "replication failover: pending: %s\n", r.FailoverNote)
	}
	fmt.Fprintln(w)
	for _, t := range r.Targets() {
		fmt.Fprintf(w, "target %-62s %-10s %s\n", t.Name, t.Status, t.Measured)
	}
}

func rssText(m *Memory) string {
	if m == nil || m.RSS == 0 {
		return "–"
	}
	return mib(m.RSS)
}

func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// tab is a minimal column aligner (text/tabwriter pads with the byte count, not runes).
type tab struct {
	w    io.Writer
	rows [][]string
}

func newTab(w io.Writer) *tab { return &tab{w: w} }

func (t *tab) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *tab) flush() {
	var width []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-len([]rune(c))))
			}
		}
		fmt.Fprintln(t.w, b.String())
	}
	t.rows = nil
}
