package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
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

// replayOptions load the config compiling filters and formulas, so a bad expression is a
// config error at its line:col.
var replayOptions = config.Options{}

// notificationLine is one line of --notifications output.
type notificationLine struct {
	At        string       `json:"at"`
	Statistic string       `json:"statistic"`
	Value     engine.Value `json:"value"`
}

// runReplay implements `statkit replay`: it applies an event file to a config's
// statistics in file order and prints every statistic's value at each --at instant, or
// with --notifications the notification stream.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("replay", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfgPath := fl.String("config", "", "config file (YAML), required")
	evPath := fl.String("events", "", "event file (NDJSON, \"-\" for standard input), required")
	inputKind := fl.String("input", inputNDJSON, inputHelp())
	var ats atFlags
	fl.Var(&ats, "at", "print values at this instant (RFC 3339; repeatable; default: the last event's time)")
	format := fl.String("format", "json", "output format: json (one line per value) or table")
	strict := fl.Bool("strict", false, "exit with status 1 if any event line is rejected")
	notifications := fl.Bool("notifications", false, "print the notification stream instead of values, one JSON line each: {at, statistic, value}")
	historyDSN := fl.String("history", "", "also write the intervals of reset-mode statistics to this history database (sqlite:PATH or postgres://…)")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit replay --config C --events E [--input FORMAT] [--at T]… [--format json|table] [--strict] [--notifications] [--history DSN]\n\n"+
			"Applies the events in file order and prints every configured statistic's value at each\n"+
			"--at instant: the state after every event with time ≤ T. Rejected lines go to stderr.\n"+
			"With --notifications it prints instead the notifications of the statistics' modes, taken\n"+
			"after every event and at each --at instant (the clock advanced to it), in order.\n\nflags:")
		printFlags(fl)
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case *cfgPath == "":
		return fmt.Errorf("%w: --config is required", errUsage)
	case *evPath == "":
		return fmt.Errorf("%w: --events is required", errUsage)
	case *format != "json" && *format != "table":
		return fmt.Errorf("%w: --format must be json or table, not %q", errUsage, *format)
	case *notifications && *format != "json":
		return fmt.Errorf("%w: --notifications prints JSON lines; --format does not apply", errUsage)
	}

	cfg, err := config.LoadFileWith(*cfgPath, replayOptions)
	if err != nil {
		return err
	}
	eng, err := engine.New(cfg)
	if err != nil {
		return fmt.Errorf("config %s: %w", *cfgPath, err)
	}
	var in io.Reader = os.Stdin
	if *evPath != "-" {
		f, err := os.Open(*evPath)
		if err != nil {
			return fmt.Errorf("events: %w", err)
		}
		defer f.Close()
		in = f
	}
	events, err := openInput(*inputKind, in, cfg, eng, stderr)
	if err != nil {
		return err
	}
	r := &replayer{eng: eng, ats: ats, name: *evPath, stderr: stderr}
	var hist *replayHistory
	if *historyDSN != "" {
		if hist, err = openReplayHistory(ctx, *historyDSN, cfg, eng, stderr); err != nil {
			return err
		}
		defer hist.stop()
		r.onNotify = hist.observe
	}
	if *notifications {
		bw := bufio.NewWriter(stdout)
		r.notify = json.NewEncoder(bw)
		r.notify.SetEscapeHTML(false)
		eng.Notifications(nil) // turn notifications on before the first event
		if err := r.run(ctx, events); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	} else {
		if err := r.run(ctx, events); err != nil {
			return err
		}
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
		if err := hist.finish(ctx); err != nil {
			return err
		}
	}
	if *strict && r.rejected > 0 {
		fmt.Fprintf(stderr, "statkit replay: %d line(s) rejected\n", r.rejected)
		return exitError{code: 1}
	}
	return nil
}

// replayer applies events and takes snapshots at the --at instants.
type replayer struct {
	eng      *engine.Engine
	ats      []event.Time // in flag order; empty: the last event's time
	noTime   bool         // no --at and no event applied: the values are at no time
	name     string
	stderr   io.Writer
	rejected int
	// values[i][j] is statistic i's value at ats[j].
	values [][]engine.Value
	// notify, when set, receives the notifications after each event and --at instant
	// instead of values being captured.
	notify *json.Encoder
	nbuf   []engine.Notification
	err    error // the first write error of notify
	// onNotify, when set (--history), sees the notifications after each event and --at
	// instant, as notify does.
	onNotify func([]engine.Notification)
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

// run applies the event stream, capturing each instant once every event at or before it
// (in file order, before the first later one) has been applied.
func (r *replayer) run(ctx context.Context, dec eventReader) error {
	stats := r.eng.Statistics()
	r.values = make([][]engine.Value, len(stats))
	for i := range r.values {
		r.values[i] = make([]engine.Value, max(1, len(r.ats)))
	}
	order := make([]int, len(r.ats)) // instants by time, ties in flag order
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(r.ats[a] - r.ats[b]) })
	next := 0
	capture := func(j int, t event.Time, advance bool) {
		if advance {
			r.eng.Advance(t)
		}
		if advance && (r.notify != nil || r.onNotify != nil) {
			r.drain()
		}
		if r.notify != nil {
			return
		}
		for i, s := range stats {
			v, err := r.eng.Value(s.ID)
			if err != nil { // cannot happen: the statistics are open
				panic(err)
			}
			r.values[i][j] = v
		}
	}
	started := false
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ev, rej, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("events %s: %w", r.name, err)
		}
		if rej != nil {
			r.reject(rej.Line, rej.Reason, rej.Code)
			continue
		}
		for ; next < len(order) && r.ats[order[next]] < ev.Time; next++ {
			capture(order[next], r.ats[order[next]], started)
		}
		if err := r.eng.Apply(&ev); err != nil {
			var re *engine.RejectError
			if !errors.As(err, &re) {
				return fmt.Errorf("events %s:%d: %w", r.name, ev.Line, err)
			}
			r.reject(ev.Line, re.Msg, string(re.Code))
			continue
		}
		started = true
		if r.notify != nil || r.onNotify != nil {
			r.drain()
		}
	}
	if len(r.ats) == 0 {
		r.noTime = !r.eng.Started() // no --at and no event: no instant to name
		r.ats = []event.Time{r.eng.Now()}
		order = []int{0}
	}
	for ; next < len(order); next++ {
		capture(order[next], r.ats[order[next]], started)
	}
	if r.err != nil {
		return fmt.Errorf("write output: %w", r.err)
	}
	return nil
}

func (r *replayer) reject(line int, reason, code string) {
	r.rejected++
	fmt.Fprintf(r.stderr, "%s:%d: %s [%s]\n", r.name, line, reason, code)
}

// lines returns the output in statistic config order, then --at order.
func (r *replayer) lines() []replayLine {
	var out []replayLine
	for i, s := range r.eng.Statistics() {
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
				At: atText, Value: r.values[i][j],
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
