package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/store"
)

// errNoOutcome: a record was applied but the log did not hand back what its appender
// attached (a Log breaking its contract), so its outcome is unknown here.
var errNoOutcome = errors.New("server: the record was applied, but the log did not hand its outcome back")

// ErrStopped is returned to callers whose work reaches the engine after its owner
// goroutine has stopped (the server shut down). Their events were not applied.
var ErrStopped = errors.New("server: stopped")

// BatchResult is the outcome of ingesting a batch of events: how many were accepted,
// which lines were rejected and which were late (see ingest.Answer).
type BatchResult = ingest.Answer

// pending is what a request attaches to the record it appends: what it decoded, and
// where the owner puts the record's outcome before closing done.
type pending struct {
	dec    machine.Decoded
	pooled bool // dec.Events go back to the pool once applied
	done   chan struct{}

	// set by the owner
	batch  ingest.Result // a batch's answer (Duplicate, Conflict)
	opened string        // an open's new id
	err    error         // why an open, close or reload changed nothing; or the record failed
	reload *machine.ReloadResult
}

func newPending() *pending { return &pending{done: make(chan struct{})} }

// op is a control request (peek, list, subscribe, ping) run on the owner goroutine.
type op struct {
	fn   func(o *owner)
	done chan struct{} // closed by the owner once fn returned
}

// owner is the state only the owner goroutine touches: the machine (engine, pipeline,
// open statistics), the notifier and its subscribers, and the snapshot schedule.
type owner struct {
	s    *Server
	mach *machine.Machine
	eng  *engine.Engine
	n    *notifier
	hub  *hub
	m    *metrics
	log  *slog.Logger
	// hookBatch, when set (tests), runs on the owner goroutine before each batch.
	hookBatch func()

	// snapshots (durable logs only)
	snapshots bool
	sinceSnap int
	lastSnap  time.Time
	snapSize  int // bytes of the last snapshot, to size the next one's buffer
	snapEvery int
	snapAfter time.Duration
	snapping  chan struct{} // holds a value while a snapshot is being written
	snapErr   func(error)
}

// newOwner wraps mach for the owner goroutine.
func (s *Server) newOwner(mach *machine.Machine) *owner {
	o := &owner{s: s, mach: mach, eng: mach.Engine(), m: s.m, log: s.log,
		snapshots: s.durable, snapEvery: s.opts.SnapshotEvery, snapAfter: s.opts.SnapshotInterval,
		snapping: make(chan struct{}, 1), lastSnap: time.Now()}
	o.snapErr = func(err error) { s.log.Error("writing a snapshot", "err", err) }
	o.hub = &hub{m: s.m}
	o.n = newNotifier(o.eng, o.hub)
	s.m.statsOpen.Set(float64(mach.Len()))
	return o
}

// run is the owner goroutine: it applies the log's durable records (delivered by a
// follower goroutine) and runs ops until quit is closed, then applies every record
// durable by then, ends the subscriptions, writes a snapshot and closes ownerDone.
func (s *Server) run(quit <-chan struct{}) {
	defer close(s.ownerDone)
	o := s.own
	fctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	followed := make(chan error, 1)
	go func() {
		followed <- s.lg.Follow(fctx, o.mach.Applied(), func(seq uint64, rec []byte, local any) error {
			select {
			case s.entries <- store.Entry{Seq: seq, Rec: rec, Local: local}:
				return nil
			case <-fctx.Done():
				return fctx.Err()
			}
		})
	}()
	notify := time.NewTimer(time.Hour)
	notify.Stop()
	armed := false // notify runs for the notifier's pending changes
	for {
		select {
		case e := <-s.entries:
			o.apply(e)
		case p := <-s.ops:
			p.fn(o)
			close(p.done)
		case err := <-followed:
			s.fail(fmt.Errorf("following the log: %w", err))
			followed = nil
		case now := <-notify.C:
			armed = false
			o.notifyErr(o.n.evaluate(now, false))
		case <-quit:
			o.finish(followed)
			cancel()
			if followed != nil {
				<-followed
			}
			o.notifyErr(o.n.evaluate(time.Now(), true))
			o.hub.closeAll()
			if o.snapshots && o.sinceSnap > 0 && s.failed() == nil {
				// A clean shutdown restarts from a snapshot, without replay: wait for one
				// still being written (snapshot skips a snapshot while one is), then take it.
				o.snapping <- struct{}{}
				<-o.snapping
				o.snapshot()
			}
			return
		}
		if due, ok := o.n.due(); ok && !armed {
			notify.Reset(time.Until(due))
			armed = true
		}
		o.maybeSnapshot()
	}
}

// notifyErr logs a failure to notify.
func (o *owner) notifyErr(err error) {
	if err != nil {
		o.log.Error("notifying", "err", err)
	}
}

// finish applies the records durable in the log that are not applied yet (shutdown).
func (o *owner) finish(followed <-chan error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.s.opts.ShutdownTimeout)
	defer cancel()
	last, err := o.s.lg.Last(ctx) // after the appends in flight are durable
	if err != nil {
		o.log.Warn("shutdown: the log's last record is unknown", "err", err)
		return
	}
	for o.mach.Applied() < last {
		select {
		case e := <-o.s.entries:
			o.apply(e)
		case <-followed:
			return
		case <-time.After(o.s.opts.ShutdownTimeout):
			o.log.Warn("shutdown: records durable in the log were not delivered; a restart applies them", "applied", o.mach.Applied(), "last", last)
			return
		}
	}
}

// apply applies one durable record through the machine, then notifies, counts, and
// releases the request that appended it.
func (o *owner) apply(e store.Entry) {
	p, _ := e.Local.(*pending)
	var dec *machine.Decoded
	if p != nil {
		dec = &p.dec
	}
	if o.hookBatch != nil && len(e.Rec) > 0 && e.Rec[0] == machine.KindBatch {
		o.hookBatch()
	}
	t0 := time.Now()
	res, err := o.mach.Apply(e.Seq, e.Rec, dec)
	if p != nil && p.pooled { // the pipeline copied the events
		putEvents(p.dec.Events)
		p.dec.Events = nil
	}
	if err != nil {
		// A durable record the machine cannot read: applying anything after it could
		// serve wrong values, so the server stops changing state.
		o.s.fail(err)
		o.mach.SetApplied(e.Seq)
		if p != nil {
			p.err = err
			close(p.done)
		}
		o.s.applied.set(e.Seq)
		return
	}
	o.after(res, p)
	if res.Kind == machine.KindTick {
		if t, terr := machine.DecodeTick(e.Rec); terr == nil {
			o.s.tickWall.Store(int64(t.Wall))
		}
	}
	o.sinceSnap++
	o.s.held.Store(int64(o.mach.Pipeline().Held()))
	if p != nil {
		close(p.done) // before applied moves: a waiter on both sees done
	}
	o.s.applied.set(e.Seq)
	if res.Kind == machine.KindBatch || res.Kind == machine.KindEvents || res.Kind == machine.KindFrames {
		o.m.apply.Observe(time.Since(t0).Seconds())
	}
}

// after notifies and counts what record res completed and hands the outcome to p.
func (o *owner) after(res *machine.Result, p *pending) {
	var err error
	switch res.Kind {
	case machine.KindBatch, machine.KindEvents:
		b := res.Batch
		if p != nil {
			p.batch = *b
		}
		switch {
		case b.Duplicate:
			o.m.duplicates.Inc()
		case b.Conflict:
		default:
			a := &b.Answer
			o.m.accepted.Add(float64(a.Accepted))
			if a.LateTotal > 0 {
				o.m.late.WithLabelValues(res.Input).Add(float64(a.LateTotal))
			}
		}
		err = o.n.afterBatch(time.Now())
	case machine.KindFrames:
		if b := res.Batch; b != nil {
			o.m.accepted.Add(float64(b.Answer.Accepted))
			if b.Answer.LateTotal > 0 {
				o.m.late.WithLabelValues(res.Input).Add(float64(b.Answer.LateTotal))
			}
			err = o.n.afterBatch(time.Now())
		}
		o.afterFrames(res)
	case machine.KindTick:
		err = o.n.afterTick(time.Now())
	case machine.KindOpen:
		if res.Opened != nil {
			o.m.statsOpen.Set(float64(o.mach.Len()))
			o.n.opened(res.Opened)
			err = o.n.check(res.Opened.ID)
			o.hub.flush()
			if p != nil {
				p.opened = res.Opened.ID
			}
		}
	case machine.KindClose:
		if res.Closed != "" {
			o.m.statsOpen.Set(float64(o.mach.Len()))
			err = o.n.closed(res.Closed)
		}
	case machine.KindReload:
		if r := res.Reload; r != nil && res.Err == nil {
			for _, id := range append(append([]string(nil), r.Closed...), r.Reopened...) {
				if cerr := o.n.closed(id); cerr != nil {
					o.log.Warn("reload: notifying a closed statistic", "statistic", id, "err", cerr)
				}
			}
			for _, id := range append(append([]string(nil), r.Opened...), r.Reopened...) {
				if st, ok := o.mach.Statistic(id); ok {
					o.n.opened(st)
				}
			}
			o.hub.flush()
			o.m.statsOpen.Set(float64(o.mach.Len()))
			cfg, text := o.mach.Config()
			o.s.setConfig(cfg, text)
			if p != nil {
				p.reload = r
			}
		}
	}
	if p != nil && res.Err != nil {
		p.err = res.Err
	}
	if err != nil {
		o.log.Error("notifying", "record", res.Seq, "err", err)
	}
	o.rejections(res.Outcome.Rejected)
	if h := o.s.hist; h != nil {
		h.record(res.Seq, res.Notifications)
	}
	if fn := o.s.opts.Notifications; fn != nil && len(res.Notifications) > 0 {
		fn(res.Seq, res.Notifications)
	}
}

// maxDeferredLogged bounds the deferred rejections logged per record.
const maxDeferredLogged = 10

// rejections counts the engine's rejections of the events released by a record, and
// logs those whose batches were answered before the events were released (the reorder
// window held them): nobody else hears of them.
func (o *owner) rejections(rs []ingest.EngineRejection) {
	logged := 0
	for _, r := range rs {
		o.m.rejected.WithLabelValues(r.Rejection.Code).Inc()
		if !r.Deferred {
			continue
		}
		o.m.deferred.WithLabelValues(r.Input, r.Rejection.Code).Inc()
		if logged++; logged <= maxDeferredLogged {
			o.log.Warn("event rejected by the engine after its batch was answered", "input", r.Input, "record", r.Seq,
				"line", r.Rejection.Line, "code", r.Rejection.Code, "reason", r.Rejection.Reason)
		}
	}
	if logged > maxDeferredLogged {
		o.log.Warn("more events rejected by the engine after their batches were answered", "count", logged-maxDeferredLogged)
	}
}

// statistics returns the open statistics in the order they were opened.
func (o *owner) statistics() []*config.Statistic { return o.mach.Statistics() }

// peek returns statistic id's definition, the engine clock and the value.
func (o *owner) peek(id string) (*config.Statistic, json.RawMessage, engine.Value, error) {
	st, ok := o.mach.Statistic(id)
	if !ok {
		return nil, nil, engine.Value{}, fmt.Errorf("statistic %q: %w", id, engine.ErrUnknownStatistic)
	}
	v, err := o.eng.Value(id)
	return st, engineTimeJSON(o.eng), v, err
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
		if _, ok := o.mach.Statistic(id); !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return nil, o.unknownIDs(unknown)
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

// appendRecord appends rec with p attached and waits until the owner has applied it.
// A log failure makes the server read-only and is returned wrapping ErrFailed.
func (s *Server) appendRecord(ctx context.Context, rec []byte, id string, p *pending) (seq uint64, dup bool, err error) {
	return s.appendTo(ctx, "", rec, id, p)
}

// appendTo is appendRecord under tenant (a Replicated log's AppendTenant), or under the
// log's own subject when tenant is "".
func (s *Server) appendTo(ctx context.Context, tenant string, rec []byte, id string, p *pending) (seq uint64, dup bool, err error) {
	if err := s.failed(); err != nil {
		return 0, false, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	if !s.gate.enter() {
		return 0, false, ErrStopped
	}
	if tenant == "" {
		seq, dup, err = s.lg.Append(ctx, rec, id, p)
	} else {
		seq, dup, err = s.repl.AppendTenant(ctx, tenant, rec, id, p)
	}
	s.gate.leave()
	if err != nil {
		if ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		s.fail(err)
		return 0, false, fmt.Errorf("%w: %w", ErrFailed, err)
	}
	if dup {
		return seq, true, s.applied.wait(ctx, seq, s.ownerDone)
	}
	// The log hands p back with the record; should it not (a Log that breaks that
	// contract), the record's being applied ends the wait all the same.
	if err := s.applied.wait(ctx, seq, s.ownerDone); err != nil {
		select {
		case <-p.done:
		default:
			return seq, false, err
		}
	}
	select {
	case <-p.done:
	default:
		return seq, false, errNoOutcome
	}
	if p.err != nil && s.failure.Load() != nil && errors.Is(p.err, *s.failure.Load()) {
		return seq, false, fmt.Errorf("%w: %w", ErrFailed, p.err)
	}
	return seq, false, nil
}
