// Package boundbench measures issue 19 §3's budgets of the work at the ingest boundary
// that is neither the engine nor the pipeline: the history writer (issue 16,
// runtime/history) and a replica consuming JetStream (issue 17, runtime/replica). Each
// may cost at most perf.BudgetLimit (10 %) of the rate of the same run without it.
//
// Both run the workload's cycle as the server's state machine (runtime/machine) applies
// it: batch records of Options.Batch events (no instant split between two batches), one
// warm-up cycle untimed, then Options.Cycles timed cycles, on a fresh machine per run,
// runs without and with the piece alternating, the median of Options.Runs each.
//
//   - History: the workload's statistics that history can record (Growing profile,
//     historical category: history.Recorded once given notification mode reset) are in
//     mode reset. Without: the machine applies the records as the owner goroutine of a
//     server without history does (events already decoded on the request goroutines,
//     notifications off). With: notifications on, history.Recorder turns each record's
//     reset notifications into rows and history.Writer commits them to SQLite (a file in
//     a temporary directory, WAL) on its own goroutine; the timed run ends when the writer
//     has committed every row (Flush), so its work is counted whatever the cores.
//   - Replica: the records are appended to a JetStream stream (runtime/replica, a
//     single-node server in process from the nats-server module, file storage in a
//     temporary directory) before anything is timed. Without: the machine applies the
//     records from memory, decoding them (a replica did not receive the events). With:
//     it applies the same records as a replica does, delivered by replica.Log.Follow from
//     the stream. The JetStream server runs in the same process, so its work (reading its
//     file store, delivering) is counted in the cost: an upper bound for a replica whose
//     NATS servers run elsewhere.
//
// It is apart from package perf so that the SQL baseline module, which imports perf,
// depends on neither SQLite's driver nor NATS.
package boundbench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/internal/perf"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/history"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/replica"
)

// Options configure History and Replica. Zero fields take the defaults noted.
type Options struct {
	// Size is the workload (perf.M).
	Size perf.Size
	// Batch is the events of a batch record (500, as HTTP ingest posts them).
	Batch int
	// Cycles is the timed cycles of a run (1); Runs the runs without and with (3 each).
	Cycles, Runs int
	// Dir is where the temporary files go ("": os.TempDir).
	Dir string
}

func (o Options) withDefaults() Options {
	if o.Size.Name == "" {
		o.Size = perf.M
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Cycles <= 0 {
		o.Cycles = 1
	}
	if o.Runs <= 0 {
		o.Runs = 3
	}
	return o
}

// record is one batch record: its bytes and its events (the decoded form the owner of
// a server passes to Apply).
type record struct {
	seq    uint64
	rec    []byte
	header machine.BatchHeader
	events []event.Event
}

// workload is the config and the records of the warm-up and timed cycles.
type workload struct {
	cfg         *config.Config
	warm, timed []record
	events      int // of the timed records
}

// build makes the workload's records: cycle 0 (warm-up) then o.Cycles timed ones, each
// shifted one cycle later in event time, numbered from 1.
func build(o Options, mod func(*config.Config)) (*workload, error) {
	cfg, evs, err := perf.ServerConfig(o.Size)
	if err != nil {
		return nil, err
	}
	if mod != nil {
		mod(cfg)
	}
	w := &workload{cfg: cfg}
	span := o.Size.Span()
	seq := uint64(0)
	for c := range 1 + o.Cycles {
		off := event.Time(c) * span
		for i := 0; i < len(evs); {
			j := min(i+o.Batch, len(evs))
			for j < len(evs) && evs[j].Time == evs[j-1].Time {
				j++ // an instant is never split: events of one instant keep their order
			}
			r := record{events: make([]event.Event, j-i)}
			var body []byte
			for k := i; k < j; k++ {
				ev := evs[k]
				ev.Time += off
				r.events[k-i] = ev
				if body, err = event.AppendJSON(body, ev); err != nil {
					return nil, err
				}
				body = append(body, '\n')
			}
			seq++
			r.seq = seq
			r.header = machine.BatchHeader{Input: "bench", Key: "b" + strconv.FormatUint(seq, 10), Wall: int64(r.events[len(r.events)-1].Time), Line: 1}
			if r.rec, err = machine.AppendBatch(nil, &r.header, body); err != nil {
				return nil, err
			}
			if c == 0 {
				w.warm = append(w.warm, r)
			} else {
				w.timed = append(w.timed, r)
				w.events += j - i
			}
			i = j
		}
	}
	return w, nil
}

// newMachine returns a machine of the workload's config with the warm-up cycle applied
// through apply.
func (w *workload) newMachine(notifications bool) (*machine.Machine, error) {
	return machine.New(machine.Options{Config: w.cfg, Ingest: ingest.DefaultOptions(),
		Logger: slog.New(slog.DiscardHandler), Notifications: notifications})
}

// decoded returns the records' decoded forms, with events of their own (the pipeline may
// keep them), made before a run is timed.
func decoded(rs []record) []machine.Decoded {
	out := make([]machine.Decoded, len(rs))
	for i := range rs {
		out[i] = machine.Decoded{Header: &rs[i].header, Events: slices.Clone(rs[i].events)}
	}
	return out
}

// check fails on a batch whose events were not all accepted in time.
func check(r *record, res *machine.Result) error {
	if res.Err != nil {
		return fmt.Errorf("record %d: %w", r.seq, res.Err)
	}
	if b := res.Batch; b != nil && (b.Answer.LateTotal > 0 || len(res.Outcome.Rejected) > 0) {
		return fmt.Errorf("record %d: %d late, %d rejected (a bug of the bench)", r.seq, b.Answer.LateTotal, len(res.Outcome.Rejected))
	}
	return nil
}

// sample is one timed run.
type sample struct {
	wall, cpu time.Duration
	produced  int64
}

// runs times the variants alternately, o.Runs each, and returns their medians (with the
// produced count of the last run of each).
func runs(o Options, variants ...func() (sample, error)) ([]sample, error) {
	all := make([][]sample, len(variants))
	for range o.Runs {
		for i, f := range variants {
			runtime.GC()
			s, err := f()
			if err != nil {
				return nil, err
			}
			all[i] = append(all[i], s)
		}
	}
	out := make([]sample, len(variants))
	for i := range all {
		out[i] = median(all[i])
	}
	return out, nil
}

func median(s []sample) sample {
	walls := make([]time.Duration, len(s))
	cpus := make([]time.Duration, len(s))
	for i := range s {
		walls[i], cpus[i] = s[i].wall, s[i].cpu
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	return sample{wall: walls[len(s)/2], cpu: cpus[len(s)/2], produced: s[len(s)-1].produced}
}

// timed runs f between two readings of the clocks.
func timed(f func() (int64, error)) (sample, error) {
	cpu0, t0 := perf.CPUTime(), time.Now()
	n, err := f()
	return sample{wall: time.Since(t0), cpu: perf.CPUTime() - cpu0, produced: n}, err
}

// recordable reports whether st may be put in notification mode reset: a Growing profile
// (or none) and a historical category (config's rule for mode reset).
func recordable(st *config.Statistic) bool {
	return (st.Profile == nil || st.Profile.Type == config.ProfileGrowing) &&
		st.StatType != nil && st.StatType.Category.Kind() == category.KindHistorical
}

// History measures the history writer's budget (see the package documentation).
func History(ctx context.Context, o Options) (*perf.BudgetResult, error) {
	o = o.withDefaults()
	recorded := 0
	w, err := build(o, func(cfg *config.Config) {
		for _, st := range cfg.Statistics {
			if recordable(st) {
				st.SetNotification(config.Notification{Mode: config.NotifyReset})
				if history.Recorded(st) {
					recorded++
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if recorded == 0 {
		return nil, errors.New("history budget: the workload has no statistic history records")
	}
	dir, err := os.MkdirTemp(o.Dir, "statkit-boundbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	plain := func(notifications bool) (sample, error) {
		m, err := w.newMachine(notifications)
		if err != nil {
			return sample{}, err
		}
		warm, tim := decoded(w.warm), decoded(w.timed)
		for i := range w.warm {
			res, err := m.Apply(w.warm[i].seq, w.warm[i].rec, &warm[i])
			if err == nil {
				err = check(&w.warm[i], res)
			}
			if err != nil {
				return sample{}, err
			}
		}
		return timed(func() (int64, error) {
			for i := range w.timed {
				res, err := m.Apply(w.timed[i].seq, w.timed[i].rec, &tim[i])
				if err == nil {
					err = check(&w.timed[i], res)
				}
				if err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
	}
	run := 0
	with := func() (sample, error) {
		run++
		m, err := w.newMachine(true)
		if err != nil {
			return sample{}, err
		}
		dsn := "sqlite:" + filepath.Join(dir, fmt.Sprintf("history-%d.db", run))
		quiet := slog.New(slog.DiscardHandler)
		st, err := history.Open(ctx, dsn, history.StoreOptions{Logger: quiet})
		if err != nil {
			return sample{}, err
		}
		defer st.Close()
		hw, err := history.NewWriter(ctx, st, 0, history.WriterOptions{Stream: "log", Logger: quiet})
		if err != nil {
			return sample{}, err
		}
		wctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- hw.Run(wctx) }()
		defer func() {
			stop()
			<-done
		}()
		rec := history.NewRecorder(m.Statistic)
		apply := func(rs []record, ds []machine.Decoded) (int64, error) {
			var n int64
			for i := range rs {
				res, err := m.Apply(rs[i].seq, rs[i].rec, &ds[i])
				if err == nil {
					err = check(&rs[i], res)
				}
				if err != nil {
					return n, err
				}
				var rows []history.Row
				if len(res.Notifications) > 0 {
					rows = rec.Rows(nil, res.Notifications) // a fresh slice: the writer keeps it
				}
				n += int64(len(rows))
				hw.Add(rs[i].seq, rows)
			}
			return n, hw.Flush(ctx)
		}
		warm, tim := decoded(w.warm), decoded(w.timed)
		if _, err := apply(w.warm, warm); err != nil {
			return sample{}, err
		}
		s, err := timed(func() (int64, error) { return apply(w.timed, tim) })
		if err == nil && s.produced == 0 {
			err = errors.New("history budget: the timed run wrote no row")
		}
		return s, err
	}
	ss, err := runs(o, func() (sample, error) { return plain(false) }, func() (sample, error) { return plain(true) }, with)
	if err != nil {
		return nil, fmt.Errorf("history budget: %w", err)
	}
	b, nt, h := ss[0], ss[1], ss[2]
	return &perf.BudgetResult{Name: "history writer", Workload: o.Size.Name,
		Covers: "issue 16's runtime/history: history.Recorder over the machine's notifications, history.Writer committing to SQLite on its own goroutine (one transaction per reset instant, upserts, the log position)",
		Base:   "runtime/machine applying the batch records with their events already decoded (a server's owner goroutine), notifications off",
		With:   "notifications on, every reset-mode notification turned into a row and committed to SQLite (a file, WAL); timed until the writer has committed every row",
		Events: w.events, Records: len(w.timed), BaseTime: b.wall, WithTime: h.wall, BaseCPU: b.cpu, WithCPU: h.cpu,
		Runs: o.Runs, CPUs: runtime.GOMAXPROCS(0), Produced: h.produced, ProducedUnit: "rows written",
		Detail: fmt.Sprintf("%s of the %s statistics are in mode reset (every one with a Growing profile and a historical category); one simulated hour a cycle: rows at each 15-minute reset, and at the shifts' and midnight's when a cycle crosses them",
			thousands(recorded), thousands(len(w.cfg.Statistics))),
		Steps: []perf.BudgetStep{{Name: "the engine's notifications on (machine.Options.Notifications, drained after each record) without recorder or writer", Time: nt.wall, CPU: nt.cpu}}}, nil
}

// Replica measures the budget of a replica consuming JetStream (see the package
// documentation).
func Replica(ctx context.Context, o Options) (*perf.BudgetResult, error) {
	o = o.withDefaults()
	w, err := build(o, nil)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.Dir, "statkit-boundbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)
	ns, err := replica.StartEmbedded("127.0.0.1:0", dir)
	if err != nil {
		return nil, err
	}
	defer ns.Shutdown()
	c, err := replica.Connect(ctx, replica.Options{URLs: []string{ns.URL()}, Stream: "bench", Logger: quiet})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	lg, err := c.Log(w.cfg.Topology.Tenants...)
	if err != nil {
		return nil, err
	}
	var bytes int64
	for _, rs := range [][]record{w.warm, w.timed} {
		for i := range rs {
			if len(rs[i].rec) > c.MaxRecord() {
				return nil, fmt.Errorf("replica budget: record of %d bytes, over the server's %d", len(rs[i].rec), c.MaxRecord())
			}
			seq, _, err := lg.Append(ctx, rs[i].rec, rs[i].header.Key)
			if err != nil {
				return nil, fmt.Errorf("replica budget: append: %w", err)
			}
			rs[i].seq = seq // the stream's numbering (the same records apply from memory)
			bytes += int64(len(rs[i].rec))
		}
	}
	warmLast, last := w.warm[len(w.warm)-1].seq, w.timed[len(w.timed)-1].seq
	bySeq := make(map[uint64]*record, len(w.timed))
	for i := range w.timed {
		bySeq[w.timed[i].seq] = &w.timed[i]
	}

	prepare := func() (*machine.Machine, error) {
		m, err := w.newMachine(false)
		if err != nil {
			return nil, err
		}
		for i := range w.warm {
			res, err := m.Apply(w.warm[i].seq, w.warm[i].rec, nil)
			if err == nil {
				err = check(&w.warm[i], res)
			}
			if err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	base := func() (sample, error) {
		m, err := prepare()
		if err != nil {
			return sample{}, err
		}
		return timed(func() (int64, error) {
			for i := range w.timed {
				res, err := m.Apply(w.timed[i].seq, w.timed[i].rec, nil)
				if err == nil {
					err = check(&w.timed[i], res)
				}
				if err != nil {
					return 0, err
				}
			}
			return int64(len(w.timed)), nil
		})
	}
	errDone := errors.New("caught up")
	with := func() (sample, error) {
		m, err := prepare()
		if err != nil {
			return sample{}, err
		}
		return timed(func() (int64, error) {
			var n int64
			err := lg.Follow(ctx, warmLast, func(seq uint64, rec []byte) error {
				r := bySeq[seq]
				if r == nil {
					return fmt.Errorf("record %d is not one the bench appended", seq)
				}
				res, err := m.Apply(seq, rec, nil)
				if err == nil {
					err = check(r, res)
				}
				if err != nil {
					return err
				}
				n++
				if seq == last {
					return errDone
				}
				return nil
			})
			if !errors.Is(err, errDone) {
				return n, fmt.Errorf("follow: %w", err)
			}
			if n != int64(len(w.timed)) {
				return n, fmt.Errorf("follow delivered %d records, %d appended", n, len(w.timed))
			}
			return n, nil
		})
	}
	ss, err := runs(o, base, with)
	if err != nil {
		return nil, fmt.Errorf("replica budget: %w", err)
	}
	b, r := ss[0], ss[1]
	return &perf.BudgetResult{Name: "replica consuming JetStream", Workload: o.Size.Name,
		Covers: "issue 17's runtime/replica: replica.Log.Follow (one ordered consumer on the group's subjects) delivering the records a replica applies",
		Base:   "runtime/machine applying the batch records from memory, decoding and validating their events (a replica did not receive them)",
		With:   "the same records delivered by replica.Log.Follow from a JetStream stream, then applied alike",
		Events: w.events, Records: len(w.timed), BaseTime: b.wall, WithTime: r.wall, BaseCPU: b.cpu, WithCPU: r.cpu,
		Runs: o.Runs, CPUs: runtime.GOMAXPROCS(0), Produced: r.produced, ProducedUnit: "records read from the stream",
		Detail: fmt.Sprintf("the stream holds %s records (%s of NDJSON and headers) on a single-node JetStream server in this process (nats-server module, file storage), whose work is counted in the cost: an upper bound for a replica whose NATS servers run elsewhere",
			thousands(len(w.warm)+len(w.timed)), mibs(bytes))}, nil
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func mibs(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
