// Command sqlbaseline measures issue 7's comparison (c): recomputing statistics from an
// events table with SQL (modernc.org/sqlite, in memory) at each refresh, against the
// statkit engine that keeps them up to date as events arrive. It is a module of its own so
// that statkit's main module does not depend on SQLite; `statkit bench` runs it and puts
// its figures into docs/performance.md.
//
//	go run . [-workload M] [-n 1000] [-at 50m] [-refresh 10s] [-count 5] [-json]
//
// It fills the table with the workload's first simulated hour (internal/perf.Cycle), opens
// the same statistics in an engine and applies the same events up to -at, picks the first
// -n statistics of the mix that one SQL query per stat type can recompute (DNAction,
// Default profile, totals, averages, max/min and current values on agents, agent groups,
// queues, the queue group and the tenant), checks that SQL and the engine give the same
// values, then times one SQL refresh against reading the values from the engine, and
// against the engine's whole work per refresh (applying the events of one refresh
// interval, measured on the perf workload, plus the reads).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"time"

	"github.com/statkit/statkit/internal/perf"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sqlbaseline:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	workload  string
	n         int
	at        time.Duration
	refresh   time.Duration
	count     int
	benchTime time.Duration
	json      bool
}

func run(args []string, stdout, stderr io.Writer) error {
	var o options
	fl := flag.NewFlagSet("sqlbaseline", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&o.workload, "workload", "M", "workload whose events and statistics are used (S, M or L)")
	fl.IntVar(&o.n, "n", 1000, "statistics recomputed at each refresh")
	fl.DurationVar(&o.at, "at", 50*time.Minute, "refresh instant, from the start of the simulated hour")
	fl.DurationVar(&o.refresh, "refresh", 10*time.Second, "refresh interval of the amortized comparison")
	fl.IntVar(&o.count, "count", 5, "timed refreshes (median)")
	fl.DurationVar(&o.benchTime, "benchtime", time.Second, "least time of one engine measurement run")
	fl.BoolVar(&o.json, "json", false, "print the result as JSON (for statkit bench)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	size, err := perf.SizeNamed(o.workload)
	if err != nil {
		return err
	}
	res, err := measure(size, o, stderr)
	if err != nil {
		return err
	}
	if o.json {
		return json.NewEncoder(stdout).Encode(res)
	}
	_, err = fmt.Fprintln(stdout, res.Summary())
	return err
}

// setup is the state both sides share: the events up to the refresh instant, the
// statistics compared, an engine that applied the events and the SQL store holding them.
type setup struct {
	stats      []*config.Statistic
	events     int
	hourEvents int
	start, now event.Time
	eng        *engine.Engine
	store      *store
	queries    []*query
}

// prepare builds both sides for size and checks that they agree.
func prepare(size perf.Size, o options) (*setup, error) {
	topo, all, evs, err := perf.Cycle(size)
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(&config.Config{Topology: topo})
	if err != nil {
		return nil, err
	}
	s := &setup{eng: eng}
	for _, st := range all {
		if eng.Open(st) == nil && eligible(st) && len(s.stats) < o.n {
			s.stats = append(s.stats, st)
		}
	}
	if len(s.stats) == 0 {
		return nil, fmt.Errorf("no statistic of %s fits the baseline", size.Name)
	}
	t0 := evs[0].Time
	s.now = t0 + event.Time(o.at/time.Millisecond)
	end := t0 + event.Time(size.Cycle/time.Millisecond)
	for i := range evs {
		if evs[i].Time < end {
			s.hourEvents++
		}
	}
	cut := slices.IndexFunc(evs, func(ev event.Event) bool { return ev.Time > s.now })
	if cut < 0 {
		cut = len(evs)
	}
	evs = evs[:cut]
	for i := range evs {
		if err := eng.Apply(&evs[i]); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
	}
	eng.Advance(s.now)
	s.events = len(evs)
	// The Default profile resets at midnight UTC: the interval starts at the day's start.
	day := event.Time(24 * 60 * 60 * 1000)
	s.start = s.now / day * day
	if s.store, err = newStore(&topo); err != nil {
		return nil, err
	}
	if err := s.store.insert(evs); err != nil {
		return nil, err
	}
	s.queries = plan(s.stats)
	return s, nil
}

// measure runs the comparison.
func measure(size perf.Size, o options, log io.Writer) (*perf.SQLResult, error) {
	s, err := prepare(size, o)
	if err != nil {
		return nil, err
	}
	res := &perf.SQLResult{Driver: "modernc.org/sqlite " + sqliteVersion(), Workload: size.Name, Events: s.events,
		Statistics: len(s.stats), Queries: len(s.queries), RefreshInterval: o.refresh}
	vals := map[string]float64{}
	if err := s.store.refresh(s.queries, s.start, s.now, vals); err != nil {
		return nil, err
	}
	if res.Verified, res.Mismatches, err = check(s.eng, s.stats, vals); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "sqlbaseline: %d statistics, %d queries, %d/%d equal to the engine's\n", len(s.stats), len(s.queries), res.Verified, len(s.stats))

	// One SQL refresh, median of count.
	var times []time.Duration
	for range max(o.count, 1) {
		t := time.Now()
		if err := s.store.refresh(s.queries, s.start, s.now, vals); err != nil {
			return nil, err
		}
		times = append(times, time.Since(t))
	}
	slices.Sort(times)
	res.SQLRecomputeNs = float64(times[len(times)/2].Nanoseconds())

	// The engine's reads of the same statistics.
	read, err := perf.Measure(func(_ perf.Timer, n int) error {
		for i := range n {
			if _, err := s.eng.Value(s.stats[i%len(s.stats)].ID); err != nil {
				return err
			}
		}
		return nil
	}, o.benchTime, o.count)
	if err != nil {
		return nil, err
	}
	res.EngineValuesNs = read.NsPerOp() * float64(len(s.stats))

	// The engine's work per refresh: the events of one interval, applied, plus the reads.
	w, err := perf.Build(size, perf.Options{})
	if err != nil {
		return nil, err
	}
	apply, err := perf.Measure(w.Apply, o.benchTime, o.count)
	if err != nil {
		return nil, err
	}
	res.EventsPerRefresh = float64(s.hourEvents) * float64(o.refresh) / float64(size.Cycle)
	res.EngineRefreshNs = apply.NsPerOp()*res.EventsPerRefresh + res.EngineValuesNs
	return res, nil
}

// sqliteVersion is the module version of modernc.org/sqlite in this binary.
func sqliteVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "modernc.org/sqlite" {
				return d.Version
			}
		}
	}
	return "(unknown version)"
}
