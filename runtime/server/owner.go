package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/store"
)

// ErrStopped is returned to callers whose work reaches the engine after its owner
// goroutine has stopped (the server shut down). Their events were not applied.
var ErrStopped = errors.New("server: stopped")

// BatchResult is the outcome of ingesting a batch of events: how many were applied and
// which lines were rejected, and why.
type BatchResult struct {
	// Accepted counts the events applied to the engine.
	Accepted int `json:"accepted"`
	// Rejected lists the rejected lines in line order; never nil.
	Rejected []event.Rejection `json:"rejected"`
}

// batch is a unit of ingest: decoded, validated events to apply in order.
type batch struct {
	events []event.Event
	res    BatchResult
	seq    uint64        // the log record of the accepted events (0: none, or not durable mode)
	err    error         // the accepted events could not be logged
	done   chan struct{} // closed by the owner once applied
}

// op is a control request (open, close, peek, list, subscribe, ping) run on the owner
// goroutine.
type op struct {
	fn   func(o *owner)
	done chan struct{} // closed by the owner once fn returned
}

// owner is the state only the owner goroutine touches: the engine, the notifier and
// its subscribers, and the open statistics' definitions.
type owner struct {
	eng   *engine.Engine
	n     *notifier
	hub   *hub
	open  map[string]*config.Statistic
	next  int // the number of the last generated id "s-N"
	m     *metrics
	log   *slog.Logger
	lag   time.Duration
	clock Clock
	// hookBatch, when set (tests), runs on the owner goroutine before each batch.
	hookBatch func()

	// cfg is the config served and cfgText its text (nil when unknown); api holds the
	// ids of the statistics opened through the API (the others are the config's).
	cfg     *config.Config
	cfgText []byte
	api     map[string]string // id → the token name that opened it ("" without tokens)
	// Durable mode (durable.go): st is the store (nil: not durable, or replaying);
	// logged is the last record appended; the rest schedules snapshots.
	st        *store.Store
	logged    uint64
	sinceSnap int
	lastSnap  time.Time
	snapSize  int // bytes of the last snapshot, to size the next one's buffer
	snapEvery int
	snapAfter time.Duration
	snapping  chan struct{} // holds a value while a snapshot is being written
	snapErr   func(error)
	buf       []byte
}

// newOwner opens cfg's statistics in a new engine. A statistic the engine refuses (a
// category or profile it does not compute yet) is skipped with a warning, so that a
// config written for later features still serves the rest.
func newOwner(cfg *config.Config, m *metrics, log *slog.Logger) (*owner, error) {
	topo := *cfg // shares the read-only lookups; the statistics are opened one by one
	topo.Statistics = nil
	eng, err := engine.New(&topo)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	o := &owner{eng: eng, open: map[string]*config.Statistic{}, m: m, log: log, cfg: cfg, api: map[string]string{}}
	for _, st := range cfg.Statistics {
		if err := eng.Open(st); err != nil {
			log.Warn("statistic not opened", "statistic", st.ID, "err", err)
			continue
		}
		o.open[st.ID] = st
	}
	o.hub = &hub{m: m}
	o.n = newNotifier(eng, o.hub)
	m.statsOpen.Set(float64(len(o.open)))
	return o, nil
}

// run is the owner goroutine: it applies batches, runs ops and advances the clock on
// ticks until quit is closed, then drains what is queued, ends the subscriptions and
// closes done.
func (s *Server) run(quit <-chan struct{}) {
	defer close(s.ownerDone)
	o := s.own
	var ticks <-chan time.Time
	if s.opts.TickInterval > 0 {
		c, stop := s.opts.Clock.Tick(s.opts.TickInterval)
		defer stop()
		ticks = c
	}
	for {
		select {
		case b := <-s.batches:
			o.apply(b)
		case p := <-s.ops:
			p.fn(o)
			close(p.done)
		case <-ticks:
			o.tick(s.opts.Clock.Now())
		case <-quit:
			s.drain()
			o.hub.closeAll()
			if o.st != nil && o.sinceSnap > 0 {
				o.snapshot() // a clean shutdown restarts from a snapshot, without replay
			}
			return
		}
		o.maybeSnapshot()
	}
}

// drain runs whatever is still queued when the owner is told to stop.
func (s *Server) drain() {
	for {
		select {
		case b := <-s.batches:
			s.own.apply(b)
		case p := <-s.ops:
			p.fn(s.own)
			close(p.done)
		default:
			return
		}
	}
}

// apply applies b's events in order, records the engine's rejections, notifies the
// changed statistics and releases the waiting caller.
func (o *owner) apply(b *batch) {
	defer close(b.done)
	if o.hookBatch != nil {
		o.hookBatch()
	}
	t0 := time.Now()
	o.buf = o.buf[:0]
	if o.st != nil {
		o.buf = append(o.buf, recEvents)
	}
	for i := range b.events {
		ev := &b.events[i]
		err := o.eng.Apply(ev)
		if err == nil {
			b.res.Accepted++
			if o.st != nil {
				var eerr error
				if o.buf, eerr = event.AppendJSON(o.buf, *ev); eerr == nil {
					o.buf = append(o.buf, '\n')
				} else {
					b.err = eerr
				}
			}
			continue
		}
		code, reason := string(engine.CodeOf(err)), err.Error()
		var re *engine.RejectError
		if errors.As(err, &re) {
			reason = re.Msg
		}
		if code == "" {
			code = "internal"
		}
		b.res.Rejected = append(b.res.Rejected, event.Rejection{Line: ev.Line, Reason: reason, Code: code})
		o.m.rejected.WithLabelValues(code).Inc()
	}
	o.m.accepted.Add(float64(b.res.Accepted))
	if b.res.Accepted > 0 && b.err == nil {
		b.seq, b.err = o.record(o.buf)
	}
	if err := o.n.afterBatch(); err != nil {
		o.log.Error("notifying after a batch", "err", err)
	}
	o.m.apply.Observe(time.Since(t0).Seconds())
}

// tick advances the engine to now less the tick lag and notifies what moved.
func (o *owner) tick(now time.Time) {
	t := tickTime(now, o.lag)
	if t > o.eng.Now() || !o.eng.Started() {
		o.eng.Advance(t)
		if _, err := o.record(tickRecord(t)); err != nil {
			o.log.Error("logging a tick", "err", err)
		}
	}
	if err := o.n.afterTick(); err != nil {
		o.log.Error("notifying after a tick", "err", err)
	}
}

// openStatistic opens st under a new id "s-N" and publishes its first value.
func (o *owner) openStatistic(st *config.Statistic, by string) (string, error) {
	for {
		o.next++
		st.ID = "s-" + strconv.Itoa(o.next)
		if _, taken := o.open[st.ID]; !taken {
			break
		}
	}
	if err := o.eng.Open(st); err != nil {
		o.next-- // the id was not used
		return "", err
	}
	o.open[st.ID] = st
	o.api[st.ID] = by
	if _, err := o.record(openRecord(st, by)); err != nil {
		return st.ID, err
	}
	o.m.statsOpen.Inc()
	o.n.opened(st)
	err := o.n.check(st.ID)
	o.hub.flush()
	return st.ID, err
}

// closeStatistic closes statistic id and tells its subscribers.
func (o *owner) closeStatistic(id string) error {
	if err := o.eng.Close(id); err != nil {
		return err
	}
	delete(o.open, id)
	delete(o.api, id)
	o.m.statsOpen.Dec()
	if _, err := o.record(append([]byte{recClose}, id...)); err != nil {
		return err
	}
	return o.n.closed(id)
}

// statistics returns the open statistics in the order they were opened.
func (o *owner) statistics() []*config.Statistic { return o.eng.Statistics() }

// peek returns statistic id's definition, the engine clock and the value's JSON.
func (o *owner) peek(id string) (*config.Statistic, json.RawMessage, []byte, error) {
	st, ok := o.open[id]
	if !ok {
		return nil, nil, nil, fmt.Errorf("statistic %q: %w", id, engine.ErrUnknownStatistic)
	}
	b, err := o.n.valueOf(id)
	return st, engineTimeJSON(o.eng), b, err
}

// subscribe registers sub and returns the frames of its statistics' current values, in
// the order asked (all open statistics in open order when sub watches all). Unknown ids
// are an error naming them, and sub is not registered.
func (o *owner) subscribe(sub *subscriber, ids []string) ([][]byte, error) {
	if sub.ids == nil {
		ids = ids[:0]
		for _, st := range o.eng.Statistics() {
			ids = append(ids, st.ID)
		}
	}
	var unknown []string
	for _, id := range ids {
		if _, ok := o.open[id]; !ok {
			unknown = append(unknown, strconv.Quote(id))
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown statistic %s: %w", strings.Join(unknown, ", "), engine.ErrUnknownStatistic)
	}
	frames := make([][]byte, 0, len(ids))
	defer o.hub.flush() // the values that moved went to the current subscribers
	for _, id := range ids {
		f, err := o.n.snapshot(id)
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
	}
	o.hub.add(sub)
	return frames, nil
}

// do runs fn on the owner goroutine and waits for it. When ctx ends first it returns
// ctx's error: fn may still run later, and the caller must not read what fn writes.
func (s *Server) do(ctx context.Context, fn func(o *owner)) error {
	p := &op{fn: fn, done: make(chan struct{})}
	select {
	case s.ops <- p:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ownerDone:
		return ErrStopped
	}
	return s.wait(ctx, p.done)
}

// wait waits for done, ctx or the owner's end; a done that is closed wins.
func (s *Server) wait(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ownerDone:
		select {
		case <-done:
			return nil
		default:
			return ErrStopped
		}
	}
}

// Ingest applies events, which must be decoded and validated (event.DecodeLine, or a
// sim.Sim), in order as one batch, after every batch queued before it. Events older than
// the engine clock are rejected as late (engine.CodeLateEvent), like any rejection of the
// engine, in the result. It waits for the batch to be applied; when ctx ends first, the
// events may still be applied (and read: do not reuse the slice then). It returns
// ErrStopped when the server has stopped.
//
// The ingest queue is bounded (Options.IngestQueue batches); a full queue makes Ingest
// wait (POST /v1/events answers 429 instead). In durable mode Ingest returns once the
// accepted events are durable under the store's fsync policy.
func (s *Server) Ingest(ctx context.Context, events []event.Event) (BatchResult, error) {
	return s.ingest(ctx, events, true)
}

// ingest is Ingest; without block a full queue returns errOverloaded at once, and
// nothing of the batch is applied.
func (s *Server) ingest(ctx context.Context, events []event.Event, block bool) (BatchResult, error) {
	b := &batch{events: events, done: make(chan struct{})}
	if err := s.enqueue(ctx, b, block); err != nil {
		return BatchResult{}, err
	}
	s.m.batchSize.Observe(float64(len(events)))
	if err := s.wait(ctx, b.done); err != nil {
		return BatchResult{}, err
	}
	if b.err != nil {
		return BatchResult{}, fmt.Errorf("server: the events were applied but could not be made durable: %w", b.err)
	}
	if err := s.durable(b.seq); err != nil {
		return BatchResult{}, err
	}
	if b.res.Rejected == nil {
		b.res.Rejected = []event.Rejection{}
	}
	return b.res, nil
}

// enqueue puts b on the ingest queue; while it is full it waits (block) or returns
// errOverloaded.
func (s *Server) enqueue(ctx context.Context, b *batch, block bool) error {
	if !block {
		select {
		case s.batches <- b:
			return nil
		case <-s.ownerDone:
			return ErrStopped
		default:
			return errOverloaded
		}
	}
	select {
	case s.batches <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ownerDone:
		return ErrStopped
	}
}
