package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/store"
)

// atFlags collects repeated --at instants.
type atFlags []event.Time

func (a *atFlags) String() string {
	s := make([]string, len(*a))
	for i, t := range *a {
		s[i] = t.String()
	}
	return strings.Join(s, ",")
}

func (a *atFlags) Set(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("not an RFC 3339 time: %q", v)
	}
	*a = append(*a, event.TimeOf(t))
	return nil
}

// replayLine is one output line: a statistic's value at one instant.
type replayLine struct {
	Statistic string       `json:"statistic"`
	StatType  string       `json:"statType"`
	Object    replayObject `json:"object"`
	Profile   string       `json:"profile"`
	TimeRange *string      `json:"timeRange"`
	Filter    *string      `json:"filter"`
	At        *string      `json:"at"` // null when no event was applied and no --at given
	Value     engine.Value `json:"value"`

	unit category.Unit // of the stat type's category, for the table
	at   *event.Time   // At as a time
}

type replayObject struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// replayOptions are the config loader's hooks: filters and formulas are compiled by the
// engine at load, so a bad expression is a config error at its line:col.
var replayOptions = machine.LoadOptions

// notificationLine is one line of --notifications output.
type notificationLine struct {
	At        string       `json:"at"`
	Statistic string       `json:"statistic"`
	Value     engine.Value `json:"value"`
}

// runReplay implements `statkit replay`: it runs an event file (or a data directory's
// log) through the ingest pipeline into a config's statistics and prints every
// statistic's value at each --at instant, or with --notifications the notification
// stream.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("replay", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfgPath := fl.String("config", "", "config file (YAML); required with --events; with --log, re-runs the logged events under this config instead of the logged one (what-if)")
	evPath := fl.String("events", "", "event file (NDJSON, \"-\" for standard input)")
	inputKind := fl.String("input", inputNDJSON, inputHelp())
	logDir := fl.String("log", "", "a server's data directory: replay what it recorded (batches, ticks, opened and closed statistics, reloads)")
	var ats atFlags
	fl.Var(&ats, "at", "print values at this instant (RFC 3339; repeatable; default: the engine clock at the end)")
	format := fl.String("format", "json", "output format: json (one line per value) or table")
	strict := fl.Bool("strict", false, "exit with status 1 if any event line is rejected")
	notifications := fl.Bool("notifications", false, "print the notification stream instead of values, one JSON line each: {at, statistic, value}")
	window := fl.Duration("reorder-window", ingest.DefaultWindow, "--events: hold events up to this much event time and apply them in time order, as statkit serve does (0: file order)")
	historyDSN := fl.String("history", "", "also write the intervals of reset-mode statistics to this history database (sqlite:PATH or postgres://…): with --events the rows a live server fed the same events would write, with --log the rows the server wrote (a backfill)")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit replay --config C --events E [--input FORMAT] [--at T]… [--format json|table] [--strict] [--notifications] [--reorder-window D] [--history DSN]\n"+
			"       statkit replay --log DIR [--config C] [--at T]… [--format json|table] [--notifications] [--history DSN]\n\n"+
			"With --events, runs the events through the same ingest pipeline as statkit serve with no\n"+
			"wall clock — each line arrives in file order, events are applied in time order within\n"+
			"the reorder window, an event older than the engine clock is applied at the clock (late),\n"+
			"and what the window holds at the end of the file is applied — and prints every configured\n"+
			"statistic's value at each --at instant: the state after every event with time ≤ T.\n"+
			"Rejected and late lines go to stderr.\n\n"+
			"With --log, replays a server's data directory from its first snapshot that the log\n"+
			"follows — batches as recorded, ticks, statistics opened and closed through the API,\n"+
			"reloads — and prints the values the live server showed at each instant (by default\n"+
			"at the end of the log), statistics opened through the API included. With --config it\n"+
			"re-runs the same events under other definitions (the topology must be the same).\n\n"+
			"With --notifications it prints instead the notifications of the statistics' modes, taken\n"+
			"after every event and at each --at instant (the clock advanced to it), in order.\n\nflags:")
		printFlags(fl)
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case *evPath == "" && *logDir == "" && *cfgPath != "":
		return fmt.Errorf("%w: --events is required", errUsage)
	case *evPath == "" && *logDir == "":
		return fmt.Errorf("%w: give --events (with --config) or --log", errUsage)
	case *evPath != "" && *logDir != "":
		return fmt.Errorf("%w: --events and --log exclude each other", errUsage)
	case *evPath != "" && *cfgPath == "":
		return fmt.Errorf("%w: --config is required", errUsage)
	case *format != "json" && *format != "table":
		return fmt.Errorf("%w: --format must be json or table, not %q", errUsage, *format)
	case *notifications && *format != "json":
		return fmt.Errorf("%w: --notifications prints JSON lines; --format does not apply", errUsage)
	case *window < 0:
		return fmt.Errorf("%w: --reorder-window must not be negative", errUsage)
	case *logDir != "" && *inputKind != inputNDJSON:
		return fmt.Errorf("%w: --input goes with --events", errUsage)
	}
	r := &replayer{ats: ats, stderr: stderr}
	var bw *bufio.Writer
	if *notifications {
		bw = bufio.NewWriter(stdout)
		r.notify = json.NewEncoder(bw)
		r.notify.SetEscapeHTML(false)
	}
	var err error
	var hist *replayHistory
	if *logDir != "" {
		hist, err = r.runLog(ctx, *logDir, *cfgPath, *historyDSN)
	} else {
		hist, err = r.runEvents(ctx, *cfgPath, *evPath, *inputKind, *historyDSN, *window)
	}
	if hist != nil {
		defer hist.stop()
	}
	if err != nil {
		return err
	}
	if *notifications {
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	} else {
		lines := r.lines()
		if *format == "table" {
			err = writeTable(stdout, lines)
		} else {
			err = writeJSON(stdout, lines)
		}
		if err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if hist != nil {
		if err := hist.finish(ctx, *logDir == ""); err != nil {
			return err
		}
	}
	if *strict && r.rejected > 0 {
		fmt.Fprintf(stderr, "statkit replay: %d line(s) rejected\n", r.rejected)
		return exitError{code: 1}
	}
	return nil
}

// replayer drives an engine through the pipeline (directly, or through a machine over a
// log) and takes values at the --at instants: just before the engine clock passes one.
type replayer struct {
	eng    *engine.Engine
	ats    []event.Time // in flag order; empty: the clock at the end
	order  []int        // ats indexes by time, ties in flag order
	next   int          // the next instant of order to capture
	noTime bool         // no --at and no event applied: the values are at no time
	name   string
	stderr io.Writer

	rejected int
	// stats are the statistics captured, in the order they first were; values[id][j] is
	// statistic id's value at ats[j] (absent when it was not open then).
	stats  []*config.Statistic
	seen   map[string]bool
	values map[string]map[int]engine.Value
	// notify, when set, receives the notifications after each event and --at instant
	// instead of values being captured.
	notify *json.Encoder
	nbuf   []engine.Notification
	err    error // the first write error of notify
	// onNotify, when set (--history), sees the notifications after each event and --at
	// instant, as notify does.
	onNotify func([]engine.Notification)
}

// notifying reports whether notifications are taken (printed or written to history).
func (r *replayer) notifying() bool { return r.notify != nil || r.onNotify != nil }

// init prepares the instants.
func (r *replayer) init(eng *engine.Engine) {
	r.eng = eng
	r.order = make([]int, len(r.ats))
	for i := range r.order {
		r.order[i] = i
	}
	slices.SortStableFunc(r.order, func(a, b int) int { return int(r.ats[a] - r.ats[b]) })
	r.seen, r.values = map[string]bool{}, map[string]map[int]engine.Value{}
	if r.notifying() {
		eng.Notifications(nil) // turn notifications on before the first event
	}
}

// before is called before the engine clock moves to t: it captures the instants before t.
func (r *replayer) before(t event.Time) {
	for ; r.next < len(r.order) && r.ats[r.order[r.next]] < t; r.next++ {
		r.capture(r.order[r.next], r.ats[r.order[r.next]])
	}
}

// capture takes every open statistic's value at ats[j] (advancing the clock to it once
// it has started), or the notifications up to it.
func (r *replayer) capture(j int, t event.Time) {
	started := r.eng.Started()
	if started {
		r.eng.Advance(t)
	}
	if started && r.notifying() {
		r.drain()
	}
	if r.notify != nil {
		return
	}
	for _, s := range r.eng.Statistics() {
		v, err := r.eng.Value(s.ID)
		if err != nil { // cannot happen: the statistics are open
			panic(err)
		}
		if !r.seen[s.ID] {
			r.seen[s.ID] = true
			r.stats = append(r.stats, s)
			r.values[s.ID] = map[int]engine.Value{}
		}
		r.values[s.ID][j] = v
	}
}

// finish captures the instants left once the input is exhausted (all of them at the
// engine clock when no --at was given).
func (r *replayer) finish() error {
	if len(r.ats) == 0 {
		r.noTime = !r.eng.Started() // no --at and no event: no instant to name
		r.ats = []event.Time{r.eng.Now()}
		r.order = []int{0}
	}
	for ; r.next < len(r.order); r.next++ {
		r.capture(r.order[r.next], r.ats[r.order[r.next]])
	}
	if r.err != nil {
		return fmt.Errorf("write output: %w", r.err)
	}
	return nil
}

// drain writes the notifications pending in the engine.
func (r *replayer) drain() {
	r.nbuf = r.eng.Notifications(r.nbuf[:0])
	if r.onNotify != nil {
		r.onNotify(r.nbuf)
	}
	if r.notify == nil {
		return
	}
	for _, n := range r.nbuf {
		if r.err == nil {
			r.err = r.notify.Encode(notificationLine{At: n.At.String(), Statistic: n.Statistic, Value: n.Value})
		}
	}
}

// watched is the engine as the pipeline sees it: every move of the clock is announced to
// the replayer first, and notifications are drained after every event.
type watched struct{ r *replayer }

// Apply announces the clock's move to ev's time, applies ev and drains notifications.
func (w watched) Apply(ev *event.Event) error {
	e := w.r.eng
	if !e.Started() || ev.Time > e.Now() {
		w.r.before(ev.Time)
	}
	err := e.Apply(ev)
	if err == nil && w.r.notifying() {
		w.r.drain()
	}
	return err
}

// Advance announces the clock's move to t, then moves it.
func (w watched) Advance(t event.Time) {
	e := w.r.eng
	if !e.Started() || t > e.Now() {
		w.r.before(t)
	}
	e.Advance(t)
	if w.r.notifying() {
		w.r.drain()
	}
}

// Now is the engine's clock.
func (w watched) Now() event.Time { return w.r.eng.Now() }

// Started reports whether the engine's clock has started.
func (w watched) Started() bool { return w.r.eng.Started() }

// runEvents runs an event file (NDJSON, or a platform's format) through the pipeline,
// one arrival per line, and flushes the window at the end; with a history DSN, the
// intervals of reset-mode statistics go to that database too (the caller finishes it).
func (r *replayer) runEvents(ctx context.Context, cfgPath, evPath, inputKind, historyDSN string, window time.Duration) (*replayHistory, error) {
	cfg, err := config.LoadFileWith(cfgPath, replayOptions)
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", cfgPath, err)
	}
	var in io.Reader = os.Stdin
	if evPath != "-" {
		f, err := os.Open(evPath)
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		defer f.Close()
		in = f
	}
	dec, err := openInput(inputKind, in, cfg, eng, r.stderr)
	if err != nil {
		return nil, err
	}
	var hist *replayHistory
	if historyDSN != "" {
		if hist, err = openReplayHistory(ctx, historyDSN, r.stderr); err != nil {
			return nil, err
		}
		hist.bind(eng, cfg.Statistic, func() *config.Config { return cfg })
		r.onNotify = hist.observe
	}
	r.name = evPath
	r.init(eng)
	p := ingest.New(watched{r}, ingest.Options{Window: window})
	one := make([]event.Event, 1)
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return hist, ctx.Err()
		}
		ev, rej, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return hist, fmt.Errorf("events %s: %w", evPath, err)
		}
		if rej != nil {
			r.reject(rej.Line, rej.Reason, rej.Code)
			continue
		}
		one[0] = ev
		res := p.Batch(&ingest.Batch{Input: evPath, Events: one})
		r.outcome(res.Outcome)
		for _, l := range res.Answer.Late {
			r.late(l)
		}
	}
	r.outcome(p.Flush())
	return hist, r.finish()
}

// sourceRefusals reports the lines of a live source's frames record that were refused
// when it was mapped (the engine's rejections are in its Outcome), with the source's
// line numbers.
func (r *replayer) sourceRefusals(res *machine.Result) {
	if res.Source == nil || res.Batch == nil {
		return
	}
	engine := map[event.Rejection]bool{}
	for _, rj := range res.Outcome.Rejected {
		if !rj.Deferred {
			engine[rj.Rejection] = true
		}
	}
	a := &res.Batch.Answer
	listed := 0
	for _, rj := range a.Rejected {
		if engine[rj] {
			continue
		}
		listed++
		r.rejected++
		fmt.Fprintf(r.stderr, "%s:%d: %s [%s]\n", res.Input, rj.Line, rj.Reason, rj.Code)
	}
	if more := a.RejectedTotal - len(a.Rejected); more > 0 {
		r.rejected += more
		fmt.Fprintf(r.stderr, "%s: %d more lines refused in record %d\n", res.Input, more, res.Seq)
	}
}

// outcome reports the engine's rejections of the events released.
func (r *replayer) outcome(o ingest.Outcome) {
	for _, rj := range o.Rejected {
		r.reject(rj.Rejection.Line, rj.Rejection.Reason, rj.Rejection.Code)
	}
}

func (r *replayer) reject(line int, reason, code string) {
	r.rejected++
	fmt.Fprintf(r.stderr, "%s:%d: %s [%s]\n", r.name, line, reason, code)
}

func (r *replayer) late(l ingest.Late) {
	fmt.Fprintf(r.stderr, "%s:%d: late by %v: applied at the engine clock %v [late]\n", r.name, l.Line,
		time.Duration(l.By)*time.Millisecond, l.At)
}

// runLog replays a data directory: from snapshot 0 when the log still starts at record
// 1, else from the oldest snapshot the log follows; with cfgPath, under that config.
// With a history DSN, the intervals of its reset-mode statistics go to that database
// (the caller finishes it).
func (r *replayer) runLog(ctx context.Context, dir, cfgPath, historyDSN string) (*replayHistory, error) {
	if historyDSN == "" {
		return nil, r.replayLog(ctx, dir, cfgPath, nil)
	}
	hist, err := openReplayHistory(ctx, historyDSN, r.stderr)
	if err != nil {
		return nil, err
	}
	r.onNotify = hist.observe
	return hist, r.replayLog(ctx, dir, cfgPath, hist)
}

// replayLog is runLog, its rows going to hist when not nil.
func (r *replayer) replayLog(ctx context.Context, dir, cfgPath string, hist *replayHistory) error {
	rd, err := store.OpenReader(dir)
	if err != nil {
		return err
	}
	var whatIf *config.Config
	var whatIfText []byte
	if cfgPath != "" {
		if whatIfText, err = os.ReadFile(cfgPath); err != nil {
			return err
		}
		if whatIf, err = config.LoadWith(cfgPath, strings.NewReader(string(whatIfText)), replayOptions); err != nil {
			return err
		}
	}
	r.name = dir
	mopts := machine.Options{Config: whatIf, Logger: quietLogger(r.stderr), FixedConfig: whatIf != nil,
		Wrap: func(ingest.Engine) ingest.Engine { return watched{r} }}
	var m *machine.Machine
	if head := logHead(rd); head != nil {
		// The log starts with what it starts from (settings, config): replay it all.
		mopts.Ingest = head.settings
		if whatIf == nil {
			mopts.ConfigText = head.config
			if mopts.Config, err = config.LoadWith(dir+" (the logged config)", strings.NewReader(string(head.config)), replayOptions); err != nil {
				return err
			}
		} else {
			mopts.ConfigText = whatIfText
		}
		if m, err = newWatched(r, mopts); err != nil {
			return err
		}
		m.SetApplied(2)
	} else {
		// An older log, or one whose start is gone: from the oldest snapshot it follows.
		start, ok := uint64(0), false
		first := rd.First()
		for _, sn := range rd.Snapshots() {
			if first == 0 || sn+1 >= first {
				start, ok = sn, true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%s: no snapshot the log follows (the log starts at record %d)", dir, first)
		}
		payload, err := rd.Snapshot(start)
		if err != nil {
			return err
		}
		if m, err = restoreWatched(r, payload, mopts); err != nil {
			return fmt.Errorf("%s: snapshot %d: %w", dir, start, err)
		}
		m.SetApplied(start)
		if start > 0 {
			fmt.Fprintf(r.stderr, "%s: replaying from the snapshot of record %d (the log before it is gone)\n", dir, start)
		}
		if whatIf != nil {
			if start > 0 {
				fmt.Fprintf(r.stderr, "%s: --config: the statistics it changes start at that snapshot\n", dir)
			}
			if _, err := m.Reconfigure(whatIf, whatIfText); err != nil {
				return fmt.Errorf("--config: %w", err)
			}
		}
	}
	if hist != nil {
		hist.bind(m.Engine(), m.Statistic, func() *config.Config { cfg, _ := m.Config(); return cfg })
	}
	n := 0
	err = rd.Records(m.Applied(), func(seq uint64, rec []byte) error {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		res, err := m.Apply(seq, rec, nil)
		if err != nil {
			return err
		}
		r.sourceRefusals(res)
		r.outcome(res.Outcome)
		if res.Err != nil && (res.Kind == machine.KindOpen || whatIf == nil) {
			fmt.Fprintf(r.stderr, "%s: record %d: %v\n", dir, seq, res.Err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return r.finish()
}

// logStart is what a log written by this version starts with: its settings record (1)
// and its config's reload record (2).
type logStart struct {
	settings ingest.Options
	config   []byte
}

// logHead returns the start of rd's log when it begins at record 1 with a settings and a
// reload record (nil otherwise: a log from before, or one whose start is gone).
func logHead(rd *store.Reader) *logStart {
	if rd.First() != 1 {
		return nil
	}
	var recs [][]byte
	stop := errors.New("stop")
	rd.Records(0, func(_ uint64, rec []byte) error {
		recs = append(recs, append([]byte(nil), rec...))
		if len(recs) == 2 {
			return stop
		}
		return nil
	})
	if len(recs) < 2 || recs[0][0] != machine.KindSettings || recs[1][0] != machine.KindReload {
		return nil
	}
	o, err := machine.DecodeSettings(recs[0])
	if err != nil {
		return nil
	}
	return &logStart{settings: o, config: recs[1][1:]}
}

// newWatched makes a machine at record 0 whose pipeline drives the engine through r.
func newWatched(r *replayer, opts machine.Options) (*machine.Machine, error) {
	var m *machine.Machine
	wrap := opts.Wrap
	opts.Wrap = func(e ingest.Engine) ingest.Engine {
		r.init(e.(*engine.Engine))
		return wrap(e)
	}
	m, err := machine.New(opts)
	return m, err
}

// restoreWatched restores a machine whose pipeline drives the engine through r.
func restoreWatched(r *replayer, payload []byte, opts machine.Options) (*machine.Machine, error) {
	wrap := opts.Wrap
	opts.Wrap = func(e ingest.Engine) ingest.Engine {
		r.init(e.(*engine.Engine))
		return wrap(e)
	}
	return machine.Restore(payload, opts)
}

// lines returns the output in statistic order (config order, then those opened later),
// then --at order.
func (r *replayer) lines() []replayLine {
	var out []replayLine
	for _, s := range r.stats {
		profile := config.DefaultProfileName
		if s.Profile != nil {
			profile = s.Profile.Name
		}
		var tr, fi *string
		if s.TimeRange != nil {
			tr = &s.TimeRange.Name
		}
		if s.Filter != nil {
			fi = &s.Filter.Name
		}
		for j, at := range r.ats {
			v, ok := r.values[s.ID][j]
			if !ok {
				continue
			}
			var atText *string
			var atTime *event.Time
			if !r.noTime {
				s := at.String()
				atText, atTime = &s, &at
			}
			out = append(out, replayLine{
				Statistic: s.ID, StatType: s.StatType.Name,
				Object:  replayObject{Type: s.Object.Type.String(), ID: s.Object.ID},
				Profile: profile, TimeRange: tr, Filter: fi,
				At: atText, Value: v,
				unit: s.StatType.Category.Unit(), at: atTime,
			})
		}
	}
	return out
}

func writeJSON(w io.Writer, lines []replayLine) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range lines {
		if err := enc.Encode(&lines[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func writeTable(w io.Writer, lines []replayLine) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATISTIC\tSTAT TYPE\tOBJECT\tPROFILE\tRANGE\tFILTER\tAT\tVALUE")
	opt := func(s *string) string {
		if s == nil {
			return "-"
		}
		return *s
	}
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%s\t%s:%s\t%s\t%s\t%s\t%s\t%s\n", l.Statistic, l.StatType, l.Object.Type, l.Object.ID,
			l.Profile, opt(l.TimeRange), opt(l.Filter), opt(l.At), tableValue(l.Value, l.unit, l.at))
	}
	return tw.Flush()
}

// quietLogger logs warnings and errors to w.
func quietLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
