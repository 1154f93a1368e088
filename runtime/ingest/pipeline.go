package ingest

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// Defaults of Options (statkit serve's flags).
const (
	DefaultWindow      = 2 * time.Second
	DefaultKeyWindow   = 24 * time.Hour
	DefaultMaxKeys     = 1_000_000
	DefaultMaxKeyBytes = 64 << 20
)

// Options are a Pipeline's settings. They are part of its state (Snapshot), because the
// same batches give the same result only under the same settings.
type Options struct {
	// Window is the reorder window, in event time (millisecond precision); 0 releases
	// every event as soon as its batch is sequenced.
	Window time.Duration
	// KeyWindow is how long, in wall time, an idempotency key is kept (0: no age bound).
	KeyWindow time.Duration
	// MaxKeys and MaxKeyBytes bound the key table (0: no bound).
	MaxKeys     int
	MaxKeyBytes int
}

// DefaultOptions returns the defaults: a 2 s window, keys for 24 h, at most a million
// keys and 64 MiB.
func DefaultOptions() Options {
	return Options{Window: DefaultWindow, KeyWindow: DefaultKeyWindow, MaxKeys: DefaultMaxKeys, MaxKeyBytes: DefaultMaxKeyBytes}
}

// Engine is what a Pipeline drives; *engine.Engine is one. A wrapper may watch the clock
// move (statkit replay captures values at instants that way).
type Engine interface {
	Apply(ev *event.Event) error
	Advance(t event.Time)
	Now() event.Time
	Started() bool
}

// Batch is a batch of decoded, validated events from one input, in arrival order, as a
// log record carries it.
type Batch struct {
	// Seq is the batch's log record (0 outside a log); Deferred rejections name it.
	Seq uint64
	// Input names where the batch came from ("http", "demo", a source's name).
	Input string
	// Key is the batch's idempotency key ("" for none) and Sum identifies its body.
	Key string
	Sum uint64
	// Wall is the receipt wall time (0: none, as in a replay of a file).
	Wall event.Time
	// Events are the accepted events, in arrival order. The pipeline copies them.
	Events []event.Event
	// Rejected are the rejections decided at receipt (decoding, future events): the first
	// MaxListed in line order; RejectedTotal counts them all.
	Rejected      []event.Rejection
	RejectedTotal int
}

// Tick is a clock record: the wall time it was taken at and, when Advance, the event
// time the engine clock moves to.
type Tick struct {
	Wall    event.Time
	Time    event.Time
	Advance bool
}

// Result is what sequencing a batch gave.
type Result struct {
	// Answer is the batch's answer, or for a duplicate the first one.
	Answer Answer
	// Duplicate: the batch's key was applied before (record FirstSeq) with the same
	// body; nothing was applied and Answer is the first answer.
	Duplicate bool
	// Conflict: the key was applied before (record FirstSeq) with another body; nothing
	// was applied.
	Conflict bool
	FirstSeq uint64
	Outcome
}

// Outcome is what a batch or a tick released.
type Outcome struct {
	// Released counts the events released to the engine (applied or rejected by it).
	Released int
	// Rejected are the engine's rejections of the events released now, those of the
	// batch being sequenced (also in its Answer) and those of earlier batches (Deferred).
	// The slice is reused by the next call.
	Rejected []EngineRejection
}

// EngineRejection is an event the engine rejected when it was released.
type EngineRejection struct {
	// Seq and Input are the event's batch's.
	Seq       uint64
	Input     string
	Rejection event.Rejection
	// Deferred: the batch was answered before the event was released (the reorder
	// window held it), so the rejection is not in its answer.
	Deferred bool
}

// held is an event waiting in the reorder buffer.
type held struct {
	ev   event.Event
	recv event.Time // its batch's receipt wall time (0: none)
	tag  uint64     // its batch's number in this pipeline
	seq  uint64     // its batch's log record
	in   int32      // its batch's input, an index in inputs
}

// Pipeline sequences batches for an engine (see the package documentation).
type Pipeline struct {
	eng  Engine
	opts Options
	win  event.Time // opts.Window in milliseconds

	held []held // sorted by time, stably; [head:] are waiting
	head int
	// merge and perm are scratch for place.
	merge []held
	perm  []int32
	wm    event.Time // the watermark: the newest event time sequenced (wmSet)
	wmOK  bool
	wall  event.Time // the newest wall time seen
	tags  uint64     // batches sequenced

	inputs   []string
	inputIdx map[string]int32

	keys *Keys

	// the batch being sequenced: its tag and answer, for the engine's rejections
	curTag uint64
	cur    *Answer
	out    Outcome
}

// New returns an empty pipeline driving eng.
func New(eng Engine, opts Options) *Pipeline {
	p := &Pipeline{eng: eng, inputIdx: map[string]int32{}}
	p.setOptions(opts)
	p.keys = newKeys(opts)
	return p
}

func (p *Pipeline) setOptions(o Options) {
	o.Window = max(o.Window, 0).Truncate(time.Millisecond)
	p.opts, p.win = o, event.Time(o.Window.Milliseconds())
}

// Options returns the pipeline's settings.
func (p *Pipeline) Options() Options { return p.opts }

// SetOptions changes the settings from now on: a new window applies to the events held
// and to come (a smaller one releases what is due at the next batch or tick), new key
// bounds drop the oldest keys beyond them at once.
func (p *Pipeline) SetOptions(o Options) {
	p.setOptions(o)
	k := p.keys
	k.mu.Lock()
	k.maxKeys, k.maxBytes, k.window = o.MaxKeys, o.MaxKeyBytes, event.Time(o.KeyWindow.Milliseconds())
	k.mu.Unlock()
	k.expire(p.wall)
	k.trim()
}

// SetEngine makes the pipeline drive eng (the same engine wrapped, or one restored with
// it); the held events stay.
func (p *Pipeline) SetEngine(eng Engine) { p.eng = eng }

// Keys returns the idempotency key table.
func (p *Pipeline) Keys() *Keys { return p.keys }

// Held returns the number of events waiting in the reorder buffer.
func (p *Pipeline) Held() int { return len(p.held) - p.head }

// Watermark returns the newest event time sequenced, and false before any.
func (p *Pipeline) Watermark() (event.Time, bool) { return p.wm, p.wmOK }

// input returns the index of input name.
func (p *Pipeline) input(name string) int32 {
	if i, ok := p.inputIdx[name]; ok {
		return i
	}
	i := int32(len(p.inputs))
	p.inputs = append(p.inputs, name)
	p.inputIdx[name] = i
	return i
}

// Batch sequences b: a batch whose key was applied before is answered with the first
// answer and applies nothing; otherwise its events are inserted in the reorder buffer
// (late ones at the engine clock) and what is due is released.
func (p *Pipeline) Batch(b *Batch) Result {
	p.out.Released, p.out.Rejected = 0, p.out.Rejected[:0]
	if b.Wall > p.wall {
		p.wall = b.Wall
		p.keys.expire(p.wall)
	}
	if b.Key != "" {
		if e, ok := p.keys.Lookup(b.Key); ok {
			return Result{Answer: e.Answer, Duplicate: e.Sum == b.Sum, Conflict: e.Sum != b.Sum, FirstSeq: e.Seq, Outcome: p.out}
		}
	}
	var ans Answer
	for _, r := range b.Rejected {
		ans.AddRejection(r)
	}
	ans.RejectedTotal = max(b.RejectedTotal, len(b.Rejected))
	p.tags++
	p.curTag, p.cur = p.tags, &ans
	in := p.input(b.Input)
	clock, started := p.eng.Now(), p.eng.Started()
	n0 := p.reserve(len(b.Events))
	for i := range b.Events {
		h := held{ev: b.Events[i], recv: b.Wall, tag: p.tags, seq: b.Seq, in: in}
		if t := h.ev.Time; started && t < clock {
			ans.addLate(Late{Line: h.ev.Line, By: int64(clock - t), At: clock})
			h.ev.Time = clock
		} else if !p.wmOK || t > p.wm {
			p.wm, p.wmOK = t, true
		}
		p.held = append(p.held, h)
	}
	p.place(n0)
	ans.Accepted = len(b.Events)
	p.release(p.bound())
	p.curTag, p.cur = 0, nil
	if b.Key != "" {
		p.keys.add(&KeyEntry{Key: b.Key, Wall: b.Wall, Sum: b.Sum, Seq: b.Seq, Answer: ans})
	}
	return Result{Answer: ans, Outcome: p.out}
}

// bound is the time up to which held events can be released now: the watermark less the
// window, or the engine clock when that is later (nothing can come before an event at
// the clock any more but late events, which go after it).
func (p *Pipeline) bound() event.Time {
	b := event.Time(math.MinInt64)
	if p.wmOK {
		b = p.wm - p.win
	}
	if p.eng.Started() {
		b = max(b, p.eng.Now())
	}
	return b
}

// Tick releases the events at or before the tick's time (when it advances the clock)
// and those that waited the window in wall time, then advances the engine clock.
func (p *Pipeline) Tick(t Tick) Outcome {
	p.out.Released, p.out.Rejected = 0, p.out.Rejected[:0]
	if t.Wall > p.wall {
		p.wall = t.Wall
		p.keys.expire(p.wall)
	}
	b := p.bound()
	if t.Advance {
		b = max(b, t.Time)
	}
	if t.Wall != 0 {
		cutoff := t.Wall - p.win
		for i := p.head; i < len(p.held); i++ {
			if h := &p.held[i]; h.recv != 0 && h.recv <= cutoff {
				b = max(b, h.ev.Time)
			}
		}
	}
	p.release(b)
	if t.Advance && (!p.eng.Started() || t.Time > p.eng.Now()) {
		p.eng.Advance(t.Time)
	}
	return p.out
}

// Flush releases every held event (the end of a replayed file).
func (p *Pipeline) Flush() Outcome {
	p.out.Released, p.out.Rejected = 0, p.out.Rejected[:0]
	p.release(event.Time(math.MaxInt64))
	return p.out
}

// reserve makes room for n more held events, moving the waiting ones to the front of
// the buffer first when that saves growing it, and returns where they will go.
func (p *Pipeline) reserve(n int) int {
	if len(p.held)+n > cap(p.held) && p.head > 0 {
		m := copy(p.held, p.held[p.head:])
		clear(p.held[m:])
		p.held, p.head = p.held[:m], 0
	}
	return len(p.held)
}

// place puts the events appended at held[n0:], in arrival order, in their places: after
// every held event with a time at or before their own (so that equal times keep their
// arrival order). It sorts them stably first — by insertion, which costs little on the
// usual, nearly sorted batch, or through a permutation (each event moved once) when that
// would move too much — and then merges those that go before waiting events with them,
// from the back, in one pass: a batch that comes after a newer one costs one pass over
// both, not a shift of the buffer per event.
func (p *Pipeline) place(n0 int) {
	add := p.held[n0:]
	p.sortHeld(add)
	if len(add) == 0 || n0 == p.head || p.held[n0-1].ev.Time <= add[0].ev.Time {
		return // in order, after every waiting event
	}
	// add[:m] go before the last waiting event; add[m:] are in place.
	last := p.held[n0-1].ev.Time
	m := sort.Search(len(add), func(x int) bool { return add[x].ev.Time >= last })
	p.merge = append(p.merge[:0], add[:m]...)
	w := p.held[p.head:n0]
	lo := p.merge[0].ev.Time
	i := p.head + sort.Search(len(w), func(x int) bool { return w[x].ev.Time > lo })
	// Merge held[i:n0] and merge into held[i:n0+m], from the back; an equal time takes
	// the new event last.
	a, b := n0-1, m-1
	for k := n0 + m - 1; b >= 0; k-- {
		if a >= i && p.held[a].ev.Time > p.merge[b].ev.Time {
			p.held[k] = p.held[a]
			a--
		} else {
			p.held[k] = p.merge[b]
			b--
		}
	}
	clear(p.merge) // drop the events' strings and data
	p.merge = p.merge[:0]
}

// sortHeld sorts hs by time, stably: by insertion while that moves at most a few events
// per event, else through a permutation.
func (p *Pipeline) sortHeld(hs []held) {
	moves := 0
	for x := 1; x < len(hs); x++ {
		t := hs[x].ev.Time
		if hs[x-1].ev.Time <= t {
			continue
		}
		j := sort.Search(x, func(y int) bool { return hs[y].ev.Time > t })
		if moves += x - j; moves > 8*len(hs) {
			p.sortPermuted(hs)
			return
		}
		h := hs[x]
		copy(hs[j+1:x+1], hs[j:x])
		hs[j] = h
	}
}

// sortPermuted sorts hs by time, stably, moving each event once (through p.merge).
func (p *Pipeline) sortPermuted(hs []held) {
	p.perm = p.perm[:0]
	for i := range hs {
		p.perm = append(p.perm, int32(i))
	}
	slices.SortStableFunc(p.perm, func(a, b int32) int { return cmp.Compare(hs[a].ev.Time, hs[b].ev.Time) })
	p.merge = append(p.merge[:0], hs...)
	for k, j := range p.perm {
		hs[k] = p.merge[j]
	}
	clear(p.merge)
	p.merge = p.merge[:0]
}

// release applies the held events at or before bound, in order.
func (p *Pipeline) release(bound event.Time) {
	for p.head < len(p.held) {
		h := &p.held[p.head]
		if h.ev.Time > bound {
			break
		}
		p.head++
		p.out.Released++
		if err := p.eng.Apply(&h.ev); err != nil {
			p.rejected(h, err)
		}
		*h = held{} // drop the event's strings and data
	}
	if p.head == len(p.held) {
		p.held, p.head = p.held[:0], 0
	}
}

// rejected reports the engine's rejection of h in the outcome, and in the current
// batch's answer when h is of that batch.
func (p *Pipeline) rejected(h *held, err error) {
	r := event.Rejection{Line: h.ev.Line, Reason: err.Error(), Code: "internal"}
	var re *engine.RejectError
	if errors.As(err, &re) {
		r.Reason, r.Code = re.Msg, string(re.Code)
	}
	r.Reason = ClipReason(r.Reason)
	own := p.cur != nil && h.tag == p.curTag
	if own {
		p.cur.Accepted--
		p.cur.AddRejection(r)
	}
	p.out.Rejected = append(p.out.Rejected, EngineRejection{Seq: h.seq, Input: p.inputs[h.in], Rejection: r, Deferred: !own})
}
