package perf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// Size names a workload: a simulated contact center and the number of statistics open
// on it.
type Size struct {
	// Name is "S", "M" or "L".
	Name string
	// Agents, Groups (agent groups, each mirrored by a place group) and Queues of the
	// simulated topology (runtime/sim).
	Agents, Groups, Queues int
	// Statistics is the number of statistics configured (the mix, mix.go).
	Statistics int
	// Cycle is the simulated span of one cycle of events.
	Cycle time.Duration
	// Seed is the simulator's seed.
	Seed uint64
	// GrowingNumeric restricts the mix to numeric statistics with Growing profiles, of the
	// categories that take neither a time range nor a RelMask (LGrowing).
	GrowingNumeric bool
}

// The workloads of issue 7. M is DESIGN.md §6's contact center: 1,000 agents, 50 agent
// groups, 20 queues, 10,000 statistics.
var (
	S = Size{Name: "S", Agents: 100, Groups: 5, Queues: 4, Statistics: 1_000, Cycle: time.Hour, Seed: 7}
	M = Size{Name: "M", Agents: 1_000, Groups: 50, Queues: 20, Statistics: 10_000, Cycle: time.Hour, Seed: 7}
	L = Size{Name: "L", Agents: 10_000, Groups: 500, Queues: 200, Statistics: 1_000_000, Cycle: time.Hour, Seed: 7}
)

// LGrowing is L with only Growing numeric statistics (the mix without Sliding profiles,
// CurrentState and service-level categories, repeating entries to reach 1,000,000): the
// workload of issue 7's memory target. It is used for memory figures only.
var LGrowing = Size{Name: "L-growing", Agents: 10_000, Groups: 500, Queues: 200, Statistics: 1_000_000,
	Cycle: time.Hour, Seed: 7, GrowingNumeric: true}

// Sizes returns S, M and L.
func Sizes() []Size { return []Size{S, M, L} }

// SizeNamed returns the size called name (case-insensitive).
func SizeNamed(name string) (Size, error) {
	for _, s := range append(Sizes(), LGrowing) {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
	}
	return Size{}, fmt.Errorf("unknown workload %q (S, M, L or L-growing)", name)
}

// String describes the size.
func (s Size) String() string {
	return fmt.Sprintf("%s (%s agents, %d agent groups, %d queues, %s statistics)",
		s.Name, thousands(int64(s.Agents)), s.Groups, s.Queues, thousands(int64(s.Statistics)))
}

// Span is how far apart in event time two cycles of the size are: the simulated span
// and a second (cycle c is cycle 0 with Span·c added to every time).
func (s Size) Span() event.Time { return event.Time(s.Cycle/time.Millisecond) + 1000 }

// simConfig is the simulator configuration of the size.
func (s Size) simConfig() sim.Config {
	return sim.Config{Agents: s.Agents, Groups: s.Groups, Queues: s.Queues, Duration: s.Cycle, Seed: s.Seed}
}

// BatchSize is how many actions the measurements apply between two Engine.Changed calls,
// as a server drains the changed statistics after each batch of events.
const BatchSize = 256

// Refusal counts the statistics of the mix the engine refused for one reason.
type Refusal struct {
	Reason string
	Count  int
}

// Options configure Build.
type Options struct {
	// Log, when non-nil, receives one line per build phase with its duration.
	Log io.Writer
	// MeasureRSS makes Build stream the first cycle from the simulator into the engine
	// without keeping it, then read the process's resident set (after a GC and returning
	// freed memory to the OS) into Workload.RSS, before it generates the cycle the
	// measurements replay. The figure then holds the config, the engine and its
	// statistics in steady state, but not the pre-generated events.
	MeasureRSS bool
	// MemoryOnly makes Build return right after the RSS measurement, without the cycle
	// the measurements replay: for memory figures alone.
	MemoryOnly bool
}

// Workload is a built workload: an engine with the mix's statistics open and one cycle
// of events, positioned in steady state (at least one cycle applied).
type Workload struct {
	Size Size
	// Topology is the simulated topology; Statistics the configured mix.
	Topology   config.Topology
	Statistics []*config.Statistic
	// Open are the statistics the engine opened; Refused the others, by reason.
	Open    []*config.Statistic
	Refused []Refusal
	// Sliding and SlidingOpen count the mix's Sliding statistics, configured and opened.
	Sliding, SlidingOpen int
	Engine               *engine.Engine
	// BytesPerStat is the heap growth while opening the statistics, after a GC, divided by
	// the statistics opened: the engine's memory per open statistic (their configs, built
	// before, excluded). BytesPerGrowingNumeric is the same for the Growing numeric
	// statistics alone (opened first), GrowingNumericOpen their number. HeapAfterOpen is
	// the live heap after opening.
	BytesPerStat           float64
	BytesPerGrowingNumeric float64
	GrowingNumericOpen     int
	HeapAfterOpen          uint64
	// RSS is the process's VmRSS in bytes after the first cycle (Options.MeasureRSS), 0
	// when not measured; HeapAtRSS the live heap at that moment.
	RSS, HeapAtRSS uint64
	// Events is one cycle of events with the times of cycle 0; cycle c is applied with
	// Span·c added to every time.
	Events []event.Event
	Span   event.Time
	// Updates is the number of statistic updates of one cycle (Floor); BuildTime the
	// wall time Build took.
	Updates   int
	BuildTime time.Duration

	base    []event.Time
	cycle   int64 // the cycle the engine cursor is in
	k       int   // the next event of the cycle
	pending int   // actions applied since the last Changed
	changed []string

	// NDJSON: buf holds cycle bufCycle encoded, lineAt[k] the offset of event k's line.
	buf      []byte
	lineAt   []int
	bufCycle int64
	rd       *bytes.Reader
	dec      *event.Decoder
	decAt    int // the event the decoder reads next, -1 when it must be repositioned
	decode   lineCursor
	jsonDec  lineCursor
	ingest   ingestState // NDJSONIngest's pipeline

	// Floor: the statistic updates of event k are upd[off[k]:off[k+1]], slots in vals.
	off    []int32
	upd    []int32
	weight []float64
	vals   []float64
	floorK int
}

// Build builds the workload of size s. It can take a while for L (about a million
// statistics and two million events): see Options.Log.
func Build(s Size, opts Options) (*Workload, error) {
	t0 := time.Now()
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, "  %s: %-44s %6.2fs\n", s.Name, fmt.Sprintf(format, args...), time.Since(t0).Seconds())
		}
	}
	w := &Workload{Size: s, Topology: sim.Topology(s.simConfig()), bufCycle: -1, decAt: -1}
	w.Span = s.Span()
	w.Statistics = mix(&w.Topology, s.Statistics, s.GrowingNumeric)
	logf("mix of %s statistics", thousands(int64(len(w.Statistics))))
	eng, err := engine.New(&config.Config{Topology: w.Topology})
	if err != nil {
		return nil, fmt.Errorf("perf: %s: %w", s.Name, err)
	}
	w.Engine = eng
	w.open()
	logf("opened %s, refused %s", thousands(int64(len(w.Open))), thousands(int64(len(w.Statistics)-len(w.Open))))

	if opts.MeasureRSS {
		n := 0
		err := w.generate(func(ev *event.Event) error { n++; return w.Engine.Apply(ev) })
		if err != nil {
			return nil, fmt.Errorf("perf: %s: streaming the first cycle: %w", s.Name, err)
		}
		w.Engine.Changed(nil)
		runtime.GC()
		debug.FreeOSMemory()
		w.RSS = RSS()
		w.HeapAtRSS = heapAlloc()
		w.cycle = 1
		logf("streamed cycle 0 (%s events), RSS %s", thousands(int64(n)), mib(w.RSS))
		if opts.MemoryOnly {
			w.BuildTime = time.Since(t0)
			return w, nil
		}
	}

	err = w.generate(func(ev *event.Event) error { w.Events = append(w.Events, *ev); return nil })
	if err != nil {
		return nil, fmt.Errorf("perf: %s: %w", s.Name, err)
	}
	w.Events = slices.Clip(w.Events)
	w.base = make([]event.Time, len(w.Events))
	for i := range w.Events {
		w.base[i] = w.Events[i].Time
	}
	logf("generated a cycle of %s events", thousands(int64(len(w.Events))))
	if err := w.record(); err != nil {
		return nil, fmt.Errorf("perf: %s: %w", s.Name, err)
	}
	logf("applied cycle %d (warm-up), %.1f updates/action", w.cycle-1, float64(w.Updates)/float64(len(w.Events)))
	w.BuildTime = time.Since(t0)
	return w, nil
}

// statClass orders the opening of the statistics so that the heap taken by the Growing
// numeric ones is measured on its own.
func statClass(st *config.Statistic) int {
	switch {
	case st.Profile != nil && st.Profile.Type != config.ProfileGrowing:
		return 2
	case st.StatType.Category.IsStructured():
		return 1
	}
	return 0
}

// open opens the mix's statistics, Growing numeric ones first, then structured ones, then
// the rest (other profiles), measuring the heap each group takes, and sorts refusals by
// reason.
func (w *Workload) open() {
	refused := map[string]int{}
	sliding := func(st *config.Statistic) bool {
		return st.Profile != nil && st.Profile.Type == config.ProfileSliding
	}
	w.Open = make([]*config.Statistic, 0, len(w.Statistics))
	runtime.GC()
	h0 := heapAlloc()
	for class := range 3 {
		hc, n := heapAlloc(), 0
		for _, st := range w.Statistics {
			if statClass(st) != class {
				continue
			}
			if sliding(st) {
				w.Sliding++
			}
			if err := w.Engine.Open(st); err != nil {
				refused[refusalReason(st, err)]++
				continue
			}
			if sliding(st) {
				w.SlidingOpen++
			}
			w.Open = append(w.Open, st)
			n++
		}
		runtime.GC()
		if class == 0 && n > 0 {
			w.GrowingNumericOpen = n
			w.BytesPerGrowingNumeric = (float64(heapAlloc()) - float64(hc)) / float64(n)
		}
	}
	if slices.Equal(w.Open, w.Statistics) {
		// Opened all, in order (L-growing): the list is the mix itself, and the memory
		// figures hold the config and the engine, not a copy of the list.
		w.Open = w.Statistics
		runtime.GC()
	}
	w.HeapAfterOpen = heapAlloc()
	if len(w.Open) > 0 {
		w.BytesPerStat = (float64(w.HeapAfterOpen) - float64(h0)) / float64(len(w.Open))
	}
	for r, n := range refused {
		w.Refused = append(w.Refused, Refusal{Reason: r, Count: n})
	}
	sort.Slice(w.Refused, func(i, j int) bool {
		if w.Refused[i].Count != w.Refused[j].Count {
			return w.Refused[i].Count > w.Refused[j].Count
		}
		return w.Refused[i].Reason < w.Refused[j].Reason
	})
}

// refusalReason is the engine's reason without the statistic's id.
func refusalReason(st *config.Statistic, err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, fmt.Sprintf("open statistic %q: ", st.ID))
	return msg
}

// generate emits cycle 0: the simulated span, then the closing wave at the end of the
// span, which ends every durable action still in progress (latest started first, agent
// logins last) so that the next cycle starts from the same state.
func (w *Workload) generate(fn func(*event.Event) error) error {
	sm, err := sim.New(w.Size.simConfig())
	if err != nil {
		return err
	}
	type key struct {
		class object.SourceClass
		act   action.ID
		src   string
		ixn   string
	}
	type open struct {
		ev  event.Event
		seq int
	}
	live := map[key]open{}
	seq := 0
	for {
		ev, ok := sm.Next()
		if !ok {
			break
		}
		if ev.Action.Kind() == action.KindDurable {
			k := key{class: ev.Source.Class, act: ev.Action, src: ev.Source.ID, ixn: ev.Interaction}
			if ev.Phase == event.PhaseStart {
				live[k] = open{ev, seq}
				seq++
			} else {
				delete(live, k)
			}
		}
		if err := fn(&ev); err != nil {
			return fmt.Errorf("simulated event at %v (%v %v on %s): %w", ev.Time, ev.Action, ev.Phase, ev.Source.ID, err)
		}
	}
	rest := make([]open, 0, len(live))
	for _, o := range live {
		rest = append(rest, o)
	}
	login := func(o open) bool { return o.ev.Action.HasRole(action.RoleLogin) }
	sort.Slice(rest, func(i, j int) bool {
		if li, lj := login(rest[i]), login(rest[j]); li != lj {
			return lj
		}
		return rest[i].seq > rest[j].seq
	})
	end := event.TimeOf(w.Size.simConfig().WithDefaults().Start.Add(w.Size.Cycle))
	for _, o := range rest {
		ev := o.ev
		ev.Time, ev.Phase, ev.Data = end, event.PhaseEnd, nil
		if err := fn(&ev); err != nil {
			return fmt.Errorf("closing %v on %s: %w", ev.Action, ev.Source.ID, err)
		}
	}
	return nil
}

// record applies one cycle untimed (the warm-up), recording after each event the
// statistics it changed (Engine.Changed) for the floor.
func (w *Workload) record() error {
	slot := make(map[string]int32, len(w.Open))
	for i, st := range w.Open {
		slot[st.ID] = int32(i)
	}
	w.off = make([]int32, 1, len(w.Events)+1)
	w.weight = make([]float64, len(w.Events))
	var ids []string
	w.Engine.Changed(nil)
	for i := range w.Events {
		ev := &w.Events[i]
		ev.Time = w.base[i] + event.Time(w.cycle)*w.Span
		if err := w.Engine.Apply(ev); err != nil {
			return fmt.Errorf("event %d of the cycle (%v %v on %s): %w", i, ev.Action, ev.Phase, ev.Source.ID, err)
		}
		ids = w.Engine.Changed(ids[:0])
		for _, id := range ids {
			w.upd = append(w.upd, slot[id])
		}
		w.off = append(w.off, int32(len(w.upd)))
		w.weight[i] = float64(ev.Duration+1) / 1000
	}
	w.Updates = len(w.upd)
	w.upd = slices.Clip(w.upd)
	w.vals = make([]float64, len(w.Open))
	w.cycle++
	return nil
}

// Timer is the part of *testing.B the measurements use to leave setup work out of the
// measured time.
type Timer interface {
	StartTimer()
	StopTimer()
}

// ErrNoEvents is returned by measurements on a workload without events.
var ErrNoEvents = errors.New("perf: workload has no events")

// Apply applies the next n actions of the cyclic event stream to the engine, draining
// Engine.Changed every BatchSize actions. It allocates nothing itself.
func (w *Workload) Apply(t Timer, n int) error {
	if len(w.Events) == 0 {
		return ErrNoEvents
	}
	if w.changed == nil {
		w.changed = make([]string, 0, len(w.Open)) // Changed lists each statistic once at most
	}
	off := event.Time(w.cycle) * w.Span
	for range n {
		ev := &w.Events[w.k]
		ev.Time = w.base[w.k] + off
		if err := w.Engine.Apply(ev); err != nil {
			return fmt.Errorf("perf: cycle %d event %d (%v %v on %s): %w", w.cycle, w.k, ev.Action, ev.Phase, ev.Source.ID, err)
		}
		if w.pending++; w.pending == BatchSize {
			w.changed = w.Engine.Changed(w.changed[:0])
			w.pending = 0
		}
		if w.k++; w.k == len(w.Events) {
			w.k, w.cycle = 0, w.cycle+1
			off += w.Span
		}
	}
	w.decAt = -1
	return nil
}

// Position returns the cycle and the event the engine cursor is at.
func (w *Workload) Position() (cycle int64, k int) { return w.cycle, w.k }

// UpdatesPerAction is the mean number of statistic updates per action of the cycle.
func (w *Workload) UpdatesPerAction() float64 {
	if len(w.Events) == 0 {
		return 0
	}
	return float64(w.Updates) / float64(len(w.Events))
}

// Floor does the unavoidable work of the next n actions, on the same cycle and the same
// statistics: for every statistic update of the action (the statistics Engine.Changed
// reported after the action in the warm-up cycle), one array lookup of the statistic's
// slot and one float add into it. It is the least any engine must do per action on this
// workload: no propagation, no status, no instance bookkeeping, no interval logic.
func (w *Workload) Floor(t Timer, n int) error {
	if len(w.Events) == 0 {
		return ErrNoEvents
	}
	off, upd, vals, weight := w.off, w.upd, w.vals, w.weight
	k, last := w.floorK, len(off)-1
	for range n {
		x := weight[k]
		for _, s := range upd[off[k]:off[k+1]] {
			vals[s] += x
		}
		if k++; k == last {
			k = 0
		}
	}
	w.floorK = k
	return nil
}

// encode encodes cycle c as NDJSON into w.buf.
func (w *Workload) encode(c int64) error {
	off := event.Time(c) * w.Span
	w.buf = w.buf[:0]
	if w.lineAt == nil {
		w.lineAt = make([]int, len(w.Events)+1)
	}
	for i := range w.Events {
		ev := w.Events[i]
		ev.Time = w.base[i] + off
		w.lineAt[i] = len(w.buf)
		var err error
		if w.buf, err = event.AppendJSON(w.buf, ev); err != nil {
			return fmt.Errorf("perf: encoding event %d: %w", i, err)
		}
		w.buf = append(w.buf, '\n')
	}
	w.lineAt[len(w.Events)] = len(w.buf)
	w.bufCycle = c
	w.decAt = -1
	return nil
}

// NDJSON reads, decodes, validates and applies the next n lines of the cyclic NDJSON
// stream (the cycle's events encoded with event.AppendJSON), with the engine as the
// decoder's Resolver, draining Engine.Changed every BatchSize actions. Encoding the next
// cycle happens with t stopped.
func (w *Workload) NDJSON(t Timer, n int) error {
	if len(w.Events) == 0 {
		return ErrNoEvents
	}
	for n > 0 {
		if w.bufCycle != w.cycle {
			t.StopTimer()
			err := w.encode(w.cycle)
			t.StartTimer()
			if err != nil {
				return err
			}
		}
		if w.decAt != w.k {
			if w.rd == nil {
				w.rd = bytes.NewReader(nil)
				w.dec = event.NewDecoder(w.rd, event.Options{Resolver: w.Engine})
			}
			w.rd.Reset(w.buf[w.lineAt[w.k]:])
			w.dec.Reset(w.rd)
			w.decAt = w.k
		}
		for ; n > 0 && w.k < len(w.Events); n-- {
			ev, rej, err := w.dec.Next()
			if err != nil {
				return fmt.Errorf("perf: NDJSON cycle %d line %d: %w", w.cycle, w.k, err)
			}
			if rej != nil {
				return fmt.Errorf("perf: NDJSON cycle %d line %d: %s", w.cycle, w.k, rej.Reason)
			}
			if err := w.Engine.Apply(&ev); err != nil {
				return fmt.Errorf("perf: NDJSON cycle %d line %d: %w", w.cycle, w.k, err)
			}
			if w.pending++; w.pending == BatchSize {
				w.changed = w.Engine.Changed(w.changed[:0])
				w.pending = 0
			}
			w.k++
			w.decAt++
		}
		if w.k == len(w.Events) {
			w.k, w.cycle = 0, w.cycle+1
		}
	}
	return nil
}

// NDJSONBytes returns the NDJSON of a cycle (the current one encoded when none is yet)
// and its number of lines.
func (w *Workload) NDJSONBytes() ([]byte, int, error) {
	buf, err := w.lines(nopTimer{})
	return buf, len(w.Events), err
}

// nopTimer is a Timer that does nothing.
type nopTimer struct{}

func (nopTimer) StartTimer() {}
func (nopTimer) StopTimer()  {}

// heapAlloc returns the live heap in bytes.
func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Cycle returns the parts of size s without building an engine: its topology, its mix of
// statistics and the events of cycle 0 (the simulated span and the closing wave). Other
// tools (the SQL baseline) replay them into their own engine or store.
func Cycle(s Size) (config.Topology, []*config.Statistic, []event.Event, error) {
	w := &Workload{Size: s, Topology: sim.Topology(s.simConfig())}
	w.Statistics = mix(&w.Topology, s.Statistics, s.GrowingNumeric)
	err := w.generate(func(ev *event.Event) error { w.Events = append(w.Events, *ev); return nil })
	return w.Topology, w.Statistics, w.Events, err
}

// ServerConfig returns what a server needs to serve size s: a config with its topology,
// the statistics of its mix the engine opens (the others are refused as in Build), their
// stat types and profiles, indexed; and the events of cycle 0 (see Cycle).
func ServerConfig(s Size) (*config.Config, []event.Event, error) {
	topo, stats, evs, err := Cycle(s)
	if err != nil {
		return nil, nil, err
	}
	scratch, err := engine.New(&config.Config{Topology: topo})
	if err != nil {
		return nil, nil, err
	}
	cfg := &config.Config{Topology: topo}
	types := map[*config.StatType]bool{}
	profiles := map[*config.TimeProfile]bool{}
	for _, st := range stats {
		if scratch.Open(st) != nil {
			continue
		}
		cfg.Statistics = append(cfg.Statistics, st)
		if !types[st.StatType] {
			types[st.StatType] = true
			cfg.StatTypes = append(cfg.StatTypes, st.StatType)
		}
		if st.Profile != nil && !profiles[st.Profile] {
			profiles[st.Profile] = true
			cfg.TimeProfiles = append(cfg.TimeProfiles, st.Profile)
		}
	}
	cfg.Index()
	return cfg, evs, nil
}
