package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/statkit/statkit/internal/clock"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/input"
)

// Live sources (statkit serve --source FORMAT:ADDRESS).
//
// Each source is an input of the one ingest pipeline, like POST /v1/events: a goroutine
// reads its batches (source.Source: a followed queue_log, an AMI or ESL connection) and
// appends each as a frames record (runtime/machine, kind 'F') holding the raw frames —
// queue_log lines, AMI or ESL events, with their line numbers and receipt times — and
// the input's position after them. The machine maps the frames to events when it applies
// the record, with the input's mapper, whose state is in the snapshots; the events then
// go through the reorder window like any batch. The position is in the same record as the
// lines it covers, so a restart resumes exactly after the last durable batch: a line is
// neither lost nor counted twice. A record that does not continue the input's position
// (two processes read the same lines) is not applied.
//
// Sources run only on the process that holds the clock (Options.HoldsClock): a replica
// starts them when it gets the clock's lease, after applying the whole log (so that it
// resumes from the last position appended), and stops them when it loses it. When a
// source starts, it first catches up — a queue_log's lines written while no process
// followed it — and the clock appends no tick that advances the engine until every source
// has (at most MaxCatchUp), so those lines are applied at their own times, not late.
//
// A source that fails (a file that cannot be read, credentials refused at the first
// connection) is logged and opened again with backoff, never fatal to the server;
// connections are re-established and rotated files followed inside the source. A source
// event no rule maps is counted in statkit_source_unmapped_total{input,event} and logged
// once per event name; a frame refused (unparsable, an unknown queue or agent) is counted
// in statkit_source_rejected_total{input,code} and logged with its line.

// Source is a live input the server follows while it holds the clock.
type Source struct {
	// Input names the input: its batches in the log, its position, its metrics. It must
	// be the same at every start, or the source starts over (statkit serve uses
	// FORMAT:ADDRESS with an absolute path).
	Input string
	// Format is the source format's name (spec/sources: asterisk-queue-log, …).
	Format string
	// Attach lists the platform variables kept as attached data.
	Attach []string
	// Open opens the source, resuming at pos (the position recorded with the input's
	// last batch; nil to start afresh).
	Open func(pos []byte) (source.Source, error)
}

// Timing of sources.
const (
	// MaxCatchUp bounds the time the clock waits for a starting source to catch up.
	MaxCatchUp = time.Minute
	// catchUpProbe is how long a catching-up source waits for more before it is taken
	// to have caught up.
	catchUpProbe = 50 * time.Millisecond
	// holdPoll is how often a process that does not hold the clock looks again.
	holdPoll = 250 * time.Millisecond
	// Backoff between openings of a failed source.
	sourceMinBackoff = time.Second
	sourceMaxBackoff = time.Minute
	// maxUnmappedLabels bounds the event names of statkit_source_unmapped_total per
	// input; the others are counted as "(other)".
	maxUnmappedLabels = 256
	// maxSourceLogged bounds the refused or late lines logged per input and minute.
	maxSourceLogged = 20
)

// sources are the server's live inputs and their metrics.
type sources struct {
	list   []Source
	resume map[string]bool // inputs whose backlog is caught up before the clock ticks
	behind atomic.Int32    // sources catching up

	frames   *prometheus.CounterVec
	unmapped *prometheus.CounterVec
	rejected *prometheus.CounterVec
	updates  *prometheus.CounterVec
	stale    *prometheus.CounterVec
	failures *prometheus.CounterVec
	up       *prometheus.GaugeVec

	// owner only: the event names counted per input, the log limiters
	names map[string]map[string]bool
	logs  map[string]*logLimit
}

// logLimit bounds what is logged about an input's lines: maxSourceLogged a minute; the
// first record of the next minute logs how many were not.
type logLimit struct {
	since      time.Time
	n          int // logged since since
	suppressed int // not logged since since
}

// limiter returns input in's limiter.
func (s *sources) limiter(in string) *logLimit {
	l := s.logs[in]
	if l == nil {
		l = &logLimit{since: time.Now()}
		s.logs[in] = l
	}
	return l
}

// note counts a line to log and reports whether it may be.
func (l *logLimit) note() bool {
	if l.n < maxSourceLogged {
		l.n++
		return true
	}
	l.suppressed++
	return false
}

// roll starts a new minute when the current one is over, and returns the lines that were
// not logged in it.
func (l *logLimit) roll() int {
	if time.Since(l.since) < time.Minute {
		return 0
	}
	n := l.suppressed
	l.since, l.n, l.suppressed = time.Now(), 0, 0
	return n
}

// newSources checks list and registers the sources' metrics in reg.
func newSources(list []Source, reg *prometheus.Registry) (*sources, error) {
	s := &sources{list: list, resume: map[string]bool{}, names: map[string]map[string]bool{}, logs: map[string]*logLimit{}}
	seen := map[string]bool{}
	for _, src := range list {
		switch {
		case src.Input == "" || src.Open == nil:
			return nil, errors.New("server: a source without an input name or an Open")
		case src.Input == InputHTTP || src.Input == InputDemo || src.Input == "local" || src.Input == "log":
			return nil, fmt.Errorf("server: source input %q: the name is taken", src.Input)
		case seen[src.Input]:
			return nil, fmt.Errorf("server: source %q given twice", src.Input)
		}
		seen[src.Input] = true
		f, err := input.Format(src.Format)
		if err != nil {
			return nil, fmt.Errorf("server: source %q: %w", src.Input, err)
		}
		// A file has a backlog to catch up; a live connection delivers what happens now.
		s.resume[src.Input] = f.Wire == "queuelog"
	}
	s.frames = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statkit_source_frames_total",
		Help: "Frames (queue_log lines, AMI or ESL events) of live sources applied, by input.",
	}, []string{"input"})
	s.unmapped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statkit_source_unmapped_total",
		Help: "Source events that no rule of the format maps (counted and skipped), by input and event name.",
	}, []string{"input", "event"})
	s.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statkit_source_rejected_total",
		Help: "Source frames and events refused (unparsable, unknown queue or agent, future event), by input and code.",
	}, []string{"input", "code"})
	s.updates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statkit_source_updates_total",
		Help: "Attached-data changes during calls, applied as updates of the calls' actions, by input.",
	}, []string{"input"})
	s.stale = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statkit_source_stale_batches_total",
		Help: "Source batches not applied because they did not continue the input's position (read twice), by input.",
	}, []string{"input"})
	s.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statkit_source_failures_total",
		Help: "Live sources that failed and were opened again, by input.",
	}, []string{"input"})
	s.up = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "statkit_source_up",
		Help: "1 while this process follows the input (it holds the clock and the source is open; a connection may be re-established inside it), else 0.",
	}, []string{"input"})
	for _, src := range list {
		s.frames.WithLabelValues(src.Input)
		s.updates.WithLabelValues(src.Input)
		s.stale.WithLabelValues(src.Input)
		s.failures.WithLabelValues(src.Input)
		s.up.WithLabelValues(src.Input).Set(0)
	}
	reg.MustRegister(s.frames, s.unmapped, s.rejected, s.updates, s.stale, s.failures, s.up)
	return s, nil
}

// catchingUp reports whether a source is catching up its backlog (the clock waits).
func (s *Server) catchingUp() bool { return s.src.behind.Load() > 0 }

// holdsClock reports whether this process holds the clock (appends ticks, runs sources).
func (s *Server) holdsClock() bool { return s.opts.HoldsClock == nil || s.opts.HoldsClock() }

// startSources runs every source until ctx ends; the channel it returns is closed once
// they all stopped.
func (s *Server) startSources(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, src := range s.src.list {
		wg.Add(1)
		go func() { defer wg.Done(); s.runSource(ctx, src) }()
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

// runSource follows src while this process holds the clock, opening it again after a
// failure (with backoff) or a stale batch (at once), until ctx ends.
func (s *Server) runSource(ctx context.Context, src Source) {
	log := s.log.With("input", src.Input)
	retry := clock.Backoff{Min: sourceMinBackoff, Max: sourceMaxBackoff}
	for ctx.Err() == nil {
		if !s.holdsClock() || s.failed() != nil {
			if clock.Sleep(ctx, holdPoll) != nil {
				return
			}
			continue
		}
		err := s.followSource(ctx, src, log)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			retry.Reset()
		case errors.Is(err, ErrFailed), errors.Is(err, ErrStopped):
			// The log failed (read-only) or the server stops: nothing to append to.
		default:
			s.src.failures.WithLabelValues(src.Input).Inc()
			backoff := retry.Next()
			log.Error("source failed; opening it again", "err", err, "in", backoff)
			if clock.Sleep(ctx, backoff) != nil {
				return
			}
		}
	}
}

// followSource opens src at the input's position and appends its batches until ctx ends,
// this process loses the clock (nil), a batch is stale (nil: open again at the position)
// or the source fails.
func (s *Server) followSource(ctx context.Context, src Source, log *slog.Logger) error {
	// The position is that of the last batch appended only once the whole log is
	// applied (a replica that just got the clock may be behind).
	if err := s.WaitApplied(ctx); err != nil {
		return err
	}
	pos, err := s.Position(ctx, src.Input)
	if err != nil {
		return err
	}
	sc, err := src.Open(pos)
	if err != nil {
		return err
	}
	defer sc.Close()
	// Losing the clock ends a Next that waits (a quiet connection).
	outer := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		t := time.NewTicker(holdPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if !s.holdsClock() {
					cancel()
					return
				}
			}
		}
	}()
	up := s.src.up.WithLabelValues(src.Input)
	up.Set(1)
	defer up.Set(0)
	behind := s.src.resume[src.Input]
	began := time.Now()
	if behind {
		s.src.behind.Add(1)
		defer func() {
			if behind {
				s.src.behind.Add(-1)
			}
		}()
	}
	log.Info("source opened", "resumed", pos != nil)
	from := pos
	for {
		if !s.holdsClock() {
			log.Info("source stopped: this process no longer holds the clock")
			return nil
		}
		var b source.Batch
		if behind {
			pctx, cancel := context.WithTimeout(ctx, catchUpProbe)
			b, err = sc.Next(pctx)
			cancel()
			if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				behind = false
				s.src.behind.Add(-1)
				log.Info("source caught up", "took", time.Since(began).Round(time.Millisecond))
				continue
			}
			if behind && time.Since(began) > MaxCatchUp {
				behind = false
				s.src.behind.Add(-1)
				log.Warn("source still catching up; the clock ticks again (lines read from now on may be late)", "after", MaxCatchUp)
			}
		} else {
			b, err = sc.Next(ctx)
		}
		if err != nil {
			if outer.Err() != nil {
				return outer.Err()
			}
			if ctx.Err() != nil || !s.holdsClock() {
				log.Info("source stopped: this process no longer holds the clock")
				return nil
			}
			return err
		}
		if len(b.Frames) == 0 {
			continue
		}
		if !s.holdsClock() { // read while the clock was lost: the holder reads it (from the position)
			log.Info("source stopped: this process no longer holds the clock")
			return nil
		}
		h := &machine.FramesHeader{Input: src.Input, Format: src.Format, Wall: s.wall(), From: from,
			Position: b.Position, Until: s.until(), Attach: src.Attach}
		rec, err := machine.AppendFrames(nil, h, b.Frames)
		if err != nil {
			return err
		}
		p := newPending()
		if _, _, err := s.appendRecord(outer, rec, "", p); err != nil {
			return err
		}
		if errors.Is(p.err, machine.ErrStalePosition) {
			log.Warn("source batch not applied: it does not continue the input's position (another process read it?); opening the source again at the position")
			return nil
		}
		if p.err != nil {
			return p.err
		}
		from = b.Position
	}
}

// until is the newest event time a batch received now may carry (Unix ms; 0: no check).
func (s *Server) until() int64 {
	if s.opts.MaxSkew < 0 || s.opts.TickInterval < 0 {
		return 0
	}
	return s.opts.Clock.Now().Add(s.opts.MaxSkew).UnixMilli()
}

// afterFrames counts and logs what a frames record's frames gave (owner goroutine).
func (o *owner) afterFrames(res *machine.Result) {
	sm := o.s.src
	sr := res.Source
	in := res.Input
	if sr.Stale {
		sm.stale.WithLabelValues(in).Inc()
		return
	}
	sm.frames.WithLabelValues(in).Add(float64(sr.Frames))
	if sr.Updates > 0 {
		sm.updates.WithLabelValues(in).Add(float64(sr.Updates))
	}
	for name, n := range sr.Unmapped {
		names := sm.names[in]
		if names == nil {
			names = map[string]bool{}
			sm.names[in] = names
		}
		if !names[name] && len(names) >= maxUnmappedLabels {
			name = "(other)"
		}
		names[name] = true
		sm.unmapped.WithLabelValues(in, name).Add(float64(n))
	}
	for code, n := range sr.Rejected {
		sm.rejected.WithLabelValues(in, code).Add(float64(n))
		o.m.rejected.WithLabelValues(code).Add(float64(n))
	}
	if res.Batch == nil {
		return
	}
	a := &res.Batch.Answer
	lim := sm.limiter(in)
	if n := lim.roll(); n > 0 {
		o.log.Warn("source lines refused or late and not logged in the last minute (see statkit_source_rejected_total and statkit_ingest_late_events_total)",
			"input", in, "lines", n)
	}
	for _, r := range a.Rejected {
		if lim.note() {
			o.log.Warn("source line refused", "input", in, "record", res.Seq, "line", r.Line, "code", r.Code, "reason", r.Reason)
		}
	}
	lim.suppressed += a.RejectedTotal - len(a.Rejected) // beyond those listed
	if a.LateTotal > 0 && lim.note() {
		o.log.Info("source events late: applied at the engine clock", "input", in, "record", res.Seq, "events", a.LateTotal,
			"firstLine", a.Late[0].Line)
	}
}
