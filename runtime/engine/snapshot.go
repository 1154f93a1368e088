package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// Engine snapshots.
//
// Snapshot writes everything that determines the engine's future values and
// notifications; Restore rebuilds an engine from the same config's topology and a
// snapshot. An engine restored from a snapshot and fed the events that followed it gives
// exactly the values and notifications of the engine that was never interrupted.
//
// Format (version 4; Restore also reads versions 3, 2 and 1, see below). All integers
// are varints (encoding/binary: Uvarint for counts, lengths and flags, Varint for signed
// values), floats are their IEEE-754 bits as a Uvarint, strings are a length and UTF-8
// bytes:
//
//	magic   "SKENGSNP"            8 bytes
//	version Uvarint               4
//	clock   started, clock, t0, evSeq, durables, statesAt, notify (0 off, 1 on, 2 timer
//	        notifications only), seq, nextDue, serial
//	objects count, then per object: type and id (checked against the topology, which
//	        must be identical), status, since, session, logged, logins (dn, at), inprog
//	insts   count, then per slot: key (class, action, source, interaction, agent),
//	        start, src, agent, targets, pos, attributes (action, source, interaction,
//	        media, agent, place, data pairs, instance serial), filter holds (each: the
//	        filter's text, on, since, closed periods); then the free slot list
//	attrs   needSA, then when set one attribute record per object, saDN and saObj, and
//	        the status holds (count, then per member in object order: the member, its
//	        holds)
//	stats   slot count, then per slot: open flag; when open the definition (id, stat
//	        type, object type and id, profile, time range and filter names, notification
//	        mode, insensitivity, period) and the live state (dirty, opened, start, end,
//	        counters, cur, runStart, and for an extended statistic its buckets, ring and
//	        records, then its category state (catstate.go)); then the open order, the
//	        free slots and the dirty list
//	notes   per slot: seq, flagged, sent, last, last State tree (with its target
//	        fields), due; then the queued notifications (statistic, at, from, value, why
//	        a value is undefined), the flagged, clocked and structured lists and the
//	        timer heap
//
// The inputs of formulas are statistics like the others (with their hidden ids); Restore
// binds the formulas to them again.
//
// Version 3 has no serial, instance serials, holds or notification starts (its engines
// had no updates): Restore numbers the instances in progress and links each status's
// attributes to the instance in progress they were copied from. Version 2 has no category
// states, target fields or undefined values either, and version 1's instance keys have no
// agent (the engines that wrote it keyed every instance without one).
//
// A snapshot carries no checksum of its own: runtime/store frames it with one. Restore
// refuses what it cannot read (a bad magic or version, a length beyond the data, an index
// out of range, a topology that differs, a statistic the config no longer defines) with an
// error and never panics; a snapshot that passes these checks but was altered is not
// detected here.

// snapMagic starts every engine snapshot.
const snapMagic = "SKENGSNP"

// SnapshotVersion is the version of the format Snapshot writes. Restore reads it and
// versions 3, 2 and 1 (see the format).
const SnapshotVersion = 4

// Snapshot writes the engine's state to w (see the format above), in chunks of about
// snapChunk bytes: it holds no copy of the whole snapshot. It stops at the first write
// error and returns it.
func (e *Engine) Snapshot(w io.Writer) error {
	b := snapW{w: w, buf: make([]byte, 0, 2*snapChunk)}
	b.buf = append(b.buf, snapMagic...)
	b.u(SnapshotVersion)
	b.bool(e.started)
	b.i(int64(e.clock))
	b.i(int64(e.t0))
	b.u(e.evSeq)
	b.u(e.durables)
	b.u(e.statesAt)
	b.u(notifyState(e.notifyOn, e.watching))
	b.u(e.seq)
	b.i(int64(e.nextDue))
	b.u(e.serial)
	b.u(uint64(len(e.objs)))
	for i := range e.objs {
		ob := &e.objs[i]
		b.u(uint64(ob.typ))
		b.s(ob.id)
		b.u(uint64(ob.status))
		b.i(int64(ob.since))
		b.i(int64(ob.session))
		b.ints(ob.logged)
		b.u(uint64(len(ob.logins)))
		for _, l := range ob.logins {
			b.i(int64(l.dn))
			b.i(int64(l.at))
		}
		b.ints(ob.inprog)
		b.spill()
	}
	b.u(uint64(len(e.insts)))
	for i := range e.insts {
		in := &e.insts[i]
		b.u(uint64(in.key.class))
		b.u(uint64(in.key.act))
		b.s(in.key.src)
		b.s(in.key.ixn)
		b.s(in.key.agent)
		b.i(int64(in.start))
		b.i(int64(in.src))
		b.i(int64(in.agent))
		b.ints(in.targets)
		b.ints(in.pos)
		b.attrs(&in.at)
		b.holds(in.holds)
		b.spill()
	}
	b.ints(e.freeInst)
	b.bool(e.needSA)
	if e.needSA {
		for i := range e.sa {
			b.attrs(&e.sa[i])
		}
		b.attrs(&e.saDN)
		b.attrs(&e.saObj)
		members := slices.Sorted(maps.Keys(e.sh))
		b.u(uint64(len(members)))
		for _, m := range members {
			b.i(int64(m))
			b.holds(e.sh[m])
		}
	}
	b.u(uint64(len(e.stats)))
	for i := range e.stats {
		s := &e.stats[i]
		b.bool(s.isOpen())
		if s.isOpen() {
			b.stat(s, e.cfgs[i], e.dirtyBits.has(int32(i)))
		}
		b.spill()
	}
	b.ints(e.order)
	b.ints(e.freeStat)
	b.ints(e.dirty)
	b.u(uint64(len(e.notes)))
	for i := range e.notes {
		n := &e.notes[i]
		b.u(n.seq)
		b.bool(n.flagged)
		b.bool(n.sent)
		b.f(n.last)
		b.state(n.lastState)
		b.i(int64(n.due))
		b.spill()
	}
	b.u(uint64(len(e.queued)))
	for _, q := range e.queued {
		b.s(q.Statistic)
		b.i(int64(q.At))
		b.i(int64(q.From))
		b.f(q.Value.Number)
		b.state(q.Value.State)
		b.s(q.Value.Undefined)
		b.spill()
	}
	b.ints(e.flagged)
	b.ints(e.clocked)
	b.ints(e.states)
	b.u(uint64(len(e.timers)))
	for _, t := range e.timers {
		b.i(int64(t.due))
		b.u(t.seq)
		b.i(int64(t.si))
		b.u(uint64(t.kind))
	}
	b.flush()
	return b.err
}

// specOf names the parts of st as a config statistic would.
func specOf(st *config.Statistic) config.StatisticSpec {
	sp := config.StatisticSpec{ID: st.ID, Object: config.ObjectSpec{Type: st.Object.Type.String(), ID: st.Object.ID}}
	if st.StatType != nil {
		sp.StatType = st.StatType.Name
	}
	if st.Profile != nil {
		sp.Profile = st.Profile.Name
	}
	if st.TimeRange != nil {
		sp.TimeRange = st.TimeRange.Name
	}
	if st.Filter != nil {
		sp.Filter = st.Filter.Name
	}
	return sp
}

// stat writes an open statistic, of definition cfg: its definition and its live state
// (dirty: it changed since the last Changed). The format keeps the four counters and
// the run start of the engines that kept them all; a slot keeps those its category
// reads (stat.v's role), and the others are written empty.
func (b *snapW) stat(s *stat, cfg *config.Statistic, dirty bool) {
	sp := specOf(cfg)
	for _, str := range []string{sp.ID, sp.StatType, sp.Object.Type, sp.Object.ID, sp.Profile, sp.TimeRange, sp.Filter} {
		b.s(str)
	}
	b.u(uint64(cfg.Notification.Mode))
	b.f(cfg.Notification.Insensitivity)
	b.i(int64(cfg.Notification.Period))
	b.bool(dirty)
	b.i(int64(s.opened))
	b.i(int64(s.start))
	b.i(int64(s.end))
	k := s.bucket()
	b.i(k.n)
	b.i(k.sum)
	b.i(k.max)
	b.i(k.min)
	b.i(int64(s.cur))
	var run int64
	if s.role() == roleRun {
		run = s.v
	}
	b.i(run)
	b.bool(s.ext != nil)
	if x := s.ext; x != nil {
		b.i(int64(x.last))
		b.i(x.ctBase)
		b.bucket(&x.b)
		b.u(uint64(x.ringLen()))
		for i := range x.ring {
			b.bucket(&x.ring[i])
		}
		for _, a := range x.nring {
			// Written as a bucket: the format does not depend on the ring's layout.
			var k bucket
			k.reset(0)
			k.n, k.sum, k.max, k.min = a.n, a.sum, a.max, a.min
			b.bucket(&k)
		}
		b.i(x.head)
		b.u(uint64(len(x.recs)))
		for i := range x.recs {
			b.bucket(&x.recs[i])
		}
		b.u(uint64(x.next))
		b.bool(x.active)
		x.cs.write(b)
	}
}

// snapW accumulates a snapshot.
type snapW struct {
	w   io.Writer
	buf []byte
	err error // the first write error; later writes are skipped
}

// snapChunk is about how many bytes Snapshot buffers before writing them.
const snapChunk = 256 << 10

// spill writes the buffer out once it holds a chunk.
func (b *snapW) spill() {
	if len(b.buf) >= snapChunk {
		b.flush()
	}
}

// flush writes the buffer out.
func (b *snapW) flush() {
	if b.err == nil && len(b.buf) > 0 {
		_, b.err = b.w.Write(b.buf)
	}
	b.buf = b.buf[:0]
}

func (b *snapW) u(v uint64)  { b.buf = binary.AppendUvarint(b.buf, v) }
func (b *snapW) i(v int64)   { b.buf = binary.AppendVarint(b.buf, v) }
func (b *snapW) f(v float64) { b.u(math.Float64bits(v)) }
func (b *snapW) s(v string)  { b.u(uint64(len(v))); b.buf = append(b.buf, v...) }

// The notification state in a snapshot: off, on (following changes: what a 1 has
// always meant), or on for timer notifications only.
const (
	notifyOff uint64 = iota
	notifyWatching
	notifyTimers
)

// notifyState encodes the notification state.
func notifyState(on, watching bool) uint64 {
	switch {
	case !on:
		return notifyOff
	case watching:
		return notifyWatching
	}
	return notifyTimers
}

func (b *snapW) bool(v bool) {
	if v {
		b.u(1)
	} else {
		b.u(0)
	}
}

func (b *snapW) ints(v []int32) {
	b.u(uint64(len(v)))
	for _, x := range v {
		b.i(int64(x))
	}
}

func (b *snapW) attrs(a *attrs) {
	b.u(uint64(a.act))
	for _, str := range []string{a.src, a.ixn, a.media, a.agent, a.place} {
		b.s(str)
	}
	b.bool(a.data != nil)
	b.u(uint64(len(a.data)))
	for _, p := range a.data {
		b.s(p.Key)
		b.s(p.Value)
	}
	b.u(a.from)
}

func (b *snapW) holds(hs []hold) {
	b.u(uint64(len(hs)))
	for i := range hs {
		h := &hs[i]
		b.s(h.p.text)
		b.bool(h.on)
		b.i(int64(h.since))
		b.u(uint64(len(h.closed)))
		for _, p := range h.closed {
			b.i(int64(p.from))
			b.i(int64(p.to))
		}
	}
}

func (b *snapW) bucket(k *bucket) {
	for _, v := range []int64{k.n, k.sum, k.max, k.min, k.rn, k.rsum, k.in, k.inT, k.le, k.gt, int64(k.nmax), int64(k.nmin), int64(k.at)} {
		b.i(v)
	}
	for _, v := range []float64{k.cv, k.cvMin, k.cvMax, k.area, k.area2} {
		b.f(v)
	}
}

func (b *snapW) state(s *State) {
	b.bool(s != nil)
	if s == nil {
		return
	}
	b.u(uint64(s.Type))
	b.s(s.ID)
	b.u(uint64(s.Status))
	b.i(int64(s.Since))
	b.s(s.Reason)
	b.bool(s.Reasons != nil)
	b.u(uint64(len(s.Reasons)))
	for _, r := range s.Reasons {
		b.u(uint64(r.Action))
		b.s(r.Reason)
		b.s(r.DN)
		b.i(int64(r.Since))
	}
	b.u(uint64(len(s.Children)))
	for i := range s.Children {
		b.state(&s.Children[i])
	}
	b.bool(s.Target)
	b.bool(s.Available)
	b.s(s.Why)
}

// ErrSnapshot is wrapped by every error Restore returns for a snapshot it cannot read.
var ErrSnapshot = errors.New("engine snapshot")

// Restore builds an engine for cfg's topology from a snapshot Snapshot wrote. The
// topology must be the one the snapshot was taken with; every open statistic is resolved
// by its names against cfg (a config statistic with the same id and definition is used as
// is, so that cfg.Statistics and the restored statistics share their definitions). The
// statistics of cfg.Statistics that the snapshot does not hold are not opened: the caller
// decides (see runtime/server's reload rules).
func Restore(cfg *config.Config, r io.Reader) (*Engine, error) {
	if cfg == nil {
		return nil, errors.New("engine: nil config")
	}
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	topo := *cfg
	topo.Statistics = nil
	e, err := New(&topo)
	if err != nil {
		return nil, err
	}
	d := &snapR{b: data}
	if err := d.engine(e, cfg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	return e, nil
}

// readAll reads r to its end. A reader that tells its length (bytes.Reader,
// bytes.Buffer, strings.Reader) is read into one buffer of that size: io.ReadAll would
// grow its buffer by doubling, which for a snapshot of hundreds of MiB costs more than
// the decoding.
func readAll(r io.Reader) ([]byte, error) {
	l, ok := r.(interface{ Len() int })
	if !ok {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, l.Len()+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// snapR reads a snapshot; the first problem sticks in err and makes every later read
// return zero values.
type snapR struct {
	b       []byte
	err     error
	version uint64
}

func (d *snapR) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *snapR) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("truncated or bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *snapR) i() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("truncated or bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *snapR) f() float64 { return math.Float64frombits(d.u()) }
func (d *snapR) bool() bool { return d.u() != 0 }
func (d *snapR) t() event.Time {
	return event.Time(d.i())
}

// n reads a count of items each at least min bytes long, refusing counts the data left
// cannot hold (so garbage never allocates much).
func (d *snapR) n(min int) int {
	v := d.u()
	if d.err == nil && v > uint64(len(d.b)/max(min, 1)) {
		d.fail("count %d beyond the data", v)
		return 0
	}
	return int(v)
}

func (d *snapR) s() string {
	n := d.n(1)
	if d.err != nil {
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

// idx reads an index in [lo, hi).
func (d *snapR) idx(lo, hi int) int32 {
	v := d.i()
	if d.err == nil && (v < int64(lo) || v >= int64(hi)) {
		d.fail("index %d out of range [%d, %d)", v, lo, hi)
		return 0
	}
	return int32(v)
}

// ints reads a list of indexes in [lo, hi).
func (d *snapR) ints(lo, hi int) []int32 {
	n := d.n(1)
	if n == 0 {
		return nil
	}
	out := make([]int32, n)
	for k := range out {
		out[k] = d.idx(lo, hi)
	}
	return out
}

func (d *snapR) attrs() attrs {
	var a attrs
	a.act = action.ID(d.u())
	a.src, a.ixn, a.media, a.agent, a.place = d.s(), d.s(), d.s(), d.s(), d.s()
	hasData := d.bool()
	n := d.n(2)
	if hasData {
		a.data = make(event.Data, n)
		for k := range a.data {
			a.data[k] = event.Pair{Key: d.s(), Value: d.s()}
		}
	}
	if d.version >= 4 {
		a.from = d.u()
	}
	return a
}

// holds reads a list of filter holds, compiling their filters in e.
func (d *snapR) holds(e *Engine) []hold {
	n := d.n(4)
	if n == 0 || d.err != nil {
		return nil
	}
	hs := make([]hold, n)
	for k := range hs {
		text := d.s()
		p, err := e.ex.filter(text)
		if err != nil && d.err == nil {
			d.fail("filter hold %q: %v", clipText(text), err)
		}
		hs[k] = hold{p: p, on: d.bool(), since: d.t()}
		np := d.n(2)
		if np > 0 {
			hs[k].closed = make([]period, np)
			for i := range hs[k].closed {
				hs[k].closed[i] = period{from: d.t(), to: d.t()}
			}
		}
	}
	if d.err != nil {
		return nil
	}
	return hs
}

// clipText shortens a text quoted in an error.
func clipText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func (d *snapR) bucket() bucket {
	var k bucket
	for _, p := range []*int64{&k.n, &k.sum, &k.max, &k.min, &k.rn, &k.rsum, &k.in, &k.inT, &k.le, &k.gt} {
		*p = d.i()
	}
	k.nmax, k.nmin, k.at = int32(d.i()), int32(d.i()), d.t()
	for _, p := range []*float64{&k.cv, &k.cvMin, &k.cvMax, &k.area, &k.area2} {
		*p = d.f()
	}
	return k
}

// maxDepth bounds the depth of a State tree read (a tree is at most tenant, group,
// agent, place, DN deep).
const maxDepth = 16

func (d *snapR) state(depth int) *State {
	if !d.bool() || d.err != nil {
		return nil
	}
	if depth > maxDepth {
		d.fail("state tree deeper than %d", maxDepth)
		return nil
	}
	s := &State{Type: object.Type(d.u()), ID: d.s(), Status: action.ID(d.u()), Since: d.t(), Reason: d.s()}
	hasReasons := d.bool()
	n := d.n(4)
	if hasReasons {
		s.Reasons = make([]StateReason, n)
		for k := range s.Reasons {
			s.Reasons[k] = StateReason{Action: action.ID(d.u()), Reason: d.s(), DN: d.s(), Since: d.t()}
		}
	}
	if n = d.n(1); n > 0 {
		s.Children = make([]State, n)
		for k := range s.Children {
			if c := d.state(depth + 1); c != nil {
				s.Children[k] = *c
			}
		}
	}
	if d.version >= 3 {
		s.Target, s.Available, s.Why = d.bool(), d.bool(), d.s()
	}
	return s
}

// engine reads the whole snapshot into e, a fresh engine of cfg's topology.
func (d *snapR) engine(e *Engine, cfg *config.Config) error {
	if len(d.b) < len(snapMagic) || string(d.b[:len(snapMagic)]) != snapMagic {
		return errors.New("not an engine snapshot (bad magic)")
	}
	d.b = d.b[len(snapMagic):]
	version := d.u()
	if d.err == nil && (version < 1 || version > SnapshotVersion) {
		return fmt.Errorf("version %d, this engine reads versions 1 to %d", version, SnapshotVersion)
	}
	d.version = version
	e.started, e.clock, e.t0 = d.bool(), d.t(), d.t()
	e.evSeq, e.durables, e.statesAt = d.u(), d.u(), d.u()
	e.evAtSeq = e.evSeq
	ns := d.u()
	e.notifyOn, e.watching = ns != notifyOff, ns == notifyWatching
	e.seq, e.nextDue = d.u(), d.t()
	if version >= 4 {
		e.serial = d.u()
	}
	nObj := len(e.objs)
	if n := d.n(1); d.err == nil && n != nObj {
		return fmt.Errorf("topology has %d objects, the snapshot %d", nObj, n)
	}
	if d.err != nil {
		return d.err
	}
	// Instances are read after objects, so their indexes are checked once known.
	var inprog [][]int32
	for i := range e.objs {
		ob := &e.objs[i]
		typ, id := object.Type(d.u()), d.s()
		if d.err == nil && (typ != ob.typ || id != ob.id) {
			return fmt.Errorf("topology differs: object %d is %v %q, the snapshot has %v %q", i, ob.typ, ob.id, typ, id)
		}
		ob.status, ob.since, ob.session = action.ID(d.u()), d.t(), d.t()
		ob.logged = d.ints(0, nObj)
		nl := d.n(2)
		ob.logins = make([]login, nl)
		for k := range ob.logins {
			ob.logins[k] = login{dn: d.idx(0, nObj), at: d.t()}
		}
		inprog = append(inprog, d.ints(0, math.MaxInt32))
		if d.err != nil {
			return d.err
		}
	}
	nInst := d.n(8)
	e.insts = make([]inst, nInst)
	for k := range e.insts {
		in := &e.insts[k]
		in.key = instKey{class: object.SourceClass(d.u()), act: action.ID(d.u()), src: d.s(), ixn: d.s()}
		if version >= 2 {
			in.key.agent = d.s()
		}
		in.start = d.t()
		in.src, in.agent = d.idx(-1, nObj), d.idx(-1, nObj)
		in.targets = d.ints(0, nObj)
		in.pos = d.ints(0, math.MaxInt32)
		in.at = d.attrs()
		if version >= 4 {
			in.holds = d.holds(e)
		}
		if d.err == nil && len(in.pos) != len(in.targets) {
			return errors.New("instance whose positions do not match its targets")
		}
	}
	e.freeInst = d.ints(0, nInst)
	for i, list := range inprog {
		for _, ii := range list {
			if int(ii) >= nInst {
				return fmt.Errorf("object %d: instance %d out of range", i, ii)
			}
		}
		e.objs[i].inprog = list
	}
	free := make([]bool, nInst)
	for _, ii := range e.freeInst {
		free[ii] = true
	}
	for k := range e.insts {
		if free[k] {
			continue
		}
		key := e.insts[k].key
		h := e.instHash(key)
		if _, dup := e.live.get(key, h, e.keyOfInst); dup {
			return errors.New("two instances in progress with one key")
		}
		e.live.put(int32(k), h, e.slotInstHash)
	}
	if e.needSA = d.bool(); e.needSA {
		e.sa = make([]attrs, nObj)
		for k := range e.sa {
			e.sa[k] = d.attrs()
		}
		e.saDN, e.saObj = d.attrs(), d.attrs()
		if version >= 4 {
			for range d.n(2) {
				m := d.idx(0, nObj)
				hs := d.holds(e)
				if d.err != nil {
					return d.err
				}
				if e.sh == nil {
					e.sh = map[int32][]hold{}
				}
				if _, dup := e.sh[m]; dup || len(hs) == 0 {
					return fmt.Errorf("status holds of object %d given twice or empty", m)
				}
				e.sh[m] = hs
			}
		}
	}
	if d.err != nil {
		return d.err
	}
	if version < 4 {
		e.numberInstances(free)
	}
	if err := d.stats(e, cfg); err != nil {
		return err
	}
	if err := e.bindFormulas(); err != nil {
		return err
	}
	return d.notes(e)
}

// stats reads the statistics, reopening each against cfg, and rebuilds the indexes.
func (d *snapR) stats(e *Engine, cfg *config.Config) error {
	nStat := d.n(1)
	e.stats = make([]stat, nStat)
	e.cfgs = make([]*config.Statistic, nStat)
	e.inputs = nil
	e.inputs.grow(nStat)
	e.dirtyBits = nil
	e.dirtyBits.grow(nStat)
	for si := range e.stats {
		if !d.bool() {
			continue
		}
		if err := d.stat(e, cfg, int32(si)); err != nil {
			return err
		}
	}
	e.order = d.ints(0, nStat)
	e.freeStat = d.ints(0, nStat)
	e.dirty = d.ints(0, nStat)
	if d.err != nil {
		return d.err
	}
	seen := make([]bool, nStat)
	e.byID.grow(len(e.order), e.slotIDHash)
	for _, si := range e.order {
		s := &e.stats[si]
		if !s.isOpen() || seen[si] {
			return fmt.Errorf("open order lists slot %d twice or closed", si)
		}
		seen[si] = true
		ob := &e.objs[s.obj]
		for a := range e.indexed(s) {
			ob.idx[s.kind].add(a, si)
		}
		id := e.cfgs[si].ID
		h := e.idHash(id)
		if _, dup := e.byID.get(id, h, e.idOf); dup {
			return fmt.Errorf("statistic %q twice", id)
		}
		e.byID.put(si, h, e.slotIDHash)
		if s.ext != nil && s.ext.prof == profSinceLogin {
			e.sinceLogin[s.obj] = append(e.sinceLogin[s.obj], si)
		}
		e.register(si)
	}
	for si := range e.stats {
		if e.stats[si].isOpen() && !seen[si] {
			return fmt.Errorf("open slot %d missing from the open order", si)
		}
	}
	return nil
}

// stat reads open statistic slot si.
func (d *snapR) stat(e *Engine, cfg *config.Config, si int32) error {
	sp := config.StatisticSpec{ID: d.s(), StatType: d.s(), Object: config.ObjectSpec{Type: d.s(), ID: d.s()},
		Profile: d.s(), TimeRange: d.s(), Filter: d.s()}
	nt := config.Notification{Mode: config.NotifyMode(d.u()), Insensitivity: d.f(), Period: durationOf(d.i())}
	if d.err != nil {
		return d.err
	}
	st, ok := cfg.Statistic(sp.ID)
	if !ok || specOf(st) != sp || st.Notification != nt {
		var err error
		if st, err = cfg.NewStatistic(sp); err != nil {
			return fmt.Errorf("statistic %q: %v", sp.ID, err)
		}
		st.SetNotification(nt)
	}
	base, err := e.baseStat(st)
	if err != nil {
		return fmt.Errorf("statistic %q: %v", sp.ID, err)
	}
	x := base.ext
	s := &e.stats[si]
	*s = base
	e.cfgs[si] = st
	dirty := d.bool()
	s.opened, s.start, s.end = d.t(), d.t(), d.t()
	if dirty {
		e.dirtyBits.set(si)
	}
	n, sum, mx, mn := d.i(), d.i(), d.i(), d.i()
	s.cur = int32(d.i())
	run := d.i()
	s.n = n
	switch s.role() {
	case roleSum:
		s.v = sum
	case roleMax:
		s.v = mx
	case roleMin:
		s.v = mn
	case roleRun:
		s.v = run
	}
	if hasExt := d.bool(); hasExt != (x != nil) {
		if d.err == nil {
			return fmt.Errorf("statistic %q: extended state does not fit its definition", sp.ID)
		}
		return d.err
	}
	if x != nil {
		x.last, x.ctBase, x.b = d.t(), d.i(), d.bucket()
		if n := d.n(1); d.err == nil && int64(n) != x.ringLen() {
			return fmt.Errorf("statistic %q: ring of %d steps, the profile has %d", sp.ID, n, x.ringLen())
		}
		for k := range x.ring {
			x.ring[k] = d.bucket()
		}
		for k := range x.nring {
			bk := d.bucket()
			x.nring[k] = acc{n: bk.n, sum: bk.sum, max: bk.max, min: bk.min}
		}
		if x.head = d.i(); x.ringLen() > 0 {
			x.setHead(x.head)
		}
		nr := d.n(1)
		if d.err == nil && nr > x.count {
			return fmt.Errorf("statistic %q: %d selection records, the profile keeps %d", sp.ID, nr, x.count)
		}
		for range nr {
			x.recs = append(x.recs, d.bucket())
		}
		x.next = int(d.u())
		if d.err == nil && (x.next < 0 || x.count > 0 && x.next >= x.count || x.count == 0 && x.next != 0) {
			return fmt.Errorf("statistic %q: bad selection position", sp.ID)
		}
		x.active = d.bool()
		if d.version >= 3 {
			if err := x.cs.read(d); err != nil {
				return fmt.Errorf("statistic %q: %v", sp.ID, err)
			}
		}
	}
	return d.err
}

// isLive is stat.live as Open computes it.
func isLive(s *stat) bool {
	return s.cat.Kind() == category.KindCurrent || s.ext != nil && s.ext.track ||
		s.cat == category.TotalAdjustedNumber || s.cat == category.TotalAdjustedTime
}

// durationOf converts a snapshot's nanoseconds to a non-negative duration.
func durationOf(ns int64) time.Duration { return time.Duration(max(ns, 0)) }

// notes reads the notification state.
func (d *snapR) notes(e *Engine) error {
	nStat := len(e.stats)
	nn := d.n(4)
	if d.err == nil && nn > nStat {
		return fmt.Errorf("%d notes for %d statistic slots", nn, nStat)
	}
	e.notes = make([]note, nn)
	for k := range e.notes {
		e.notes[k] = note{seq: d.u(), flagged: d.bool(), sent: d.bool(), last: d.f(), lastState: d.state(0), due: d.t()}
	}
	nq := d.n(4)
	for range nq {
		q := Notification{Statistic: d.s(), At: d.t()}
		if d.version >= 4 {
			q.From = d.t()
		}
		q.Value.Number = d.f()
		q.Value.State = d.state(0)
		if d.version >= 3 {
			q.Value.Undefined = d.s()
		}
		e.queued = append(e.queued, q)
	}
	e.flagged = d.ints(0, nn)
	e.clocked = d.ints(0, nn)
	e.states = d.ints(0, nn)
	nt := d.n(4)
	for range nt {
		t := timer{due: d.t(), seq: d.u(), si: d.idx(0, nn), kind: uint8(d.u())}
		e.timers = append(e.timers, t)
	}
	if d.err != nil {
		return d.err
	}
	// A closed slot may linger in flagged (skipped when drained, its note unflagged),
	// not in the other lists.
	for _, si := range e.flagged {
		if e.notes[si].flagged && !e.stats[si].isOpen() {
			return fmt.Errorf("flagged closed slot %d", si)
		}
	}
	for _, list := range [][]int32{e.clocked, e.states} {
		for _, si := range list {
			if !e.stats[si].isOpen() {
				return fmt.Errorf("notification list names closed slot %d", si)
			}
		}
	}
	for si := range e.notes {
		if e.notes[si].flagged && !e.stats[si].isOpen() {
			return fmt.Errorf("flagged closed slot %d", si)
		}
	}
	if e.notifyOn && nn < countOpenSlots(e) {
		return errors.New("notifications on without a note per statistic")
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%d bytes after the snapshot", len(d.b))
	}
	return nil
}

// countOpenSlots returns one more than the highest open statistic slot.
func countOpenSlots(e *Engine) int {
	n := 0
	for si := range e.stats {
		if e.stats[si].isOpen() {
			n = si + 1
		}
	}
	return n
}

// numberInstances gives the instances in progress of a snapshot from before serials
// (version 3 or older) their serials, in slot order, and links each status's attributes
// to the instance in progress they are a copy of: the one, on the member's DNs, with the
// same attributes (they were copied from it when the status began).
func (e *Engine) numberInstances(free []bool) {
	for k := range e.insts {
		if !free[k] {
			e.serial++
			e.insts[k].at.from = e.serial
		}
	}
	if !e.needSA {
		return
	}
	for o := range e.sa {
		a := &e.sa[o]
		if !a.act.Valid() {
			continue
		}
		ob := &e.objs[o]
		var dns []int32
		switch ob.typ {
		case object.TypePlace:
			dns = ob.dns
		case object.TypeAgent:
			for _, l := range ob.logins {
				dns = append(dns, l.dn)
			}
		default:
			dns = []int32{int32(o)}
		}
		for _, dn := range dns {
			for _, ii := range e.objs[dn].inprog {
				if at := &e.insts[ii].at; sameAttrs(at, a) {
					a.from = at.from
				}
			}
		}
	}
}

// sameAttrs reports whether a and b are the same attributes (caches and serial aside).
func sameAttrs(a, b *attrs) bool {
	return a.act == b.act && a.src == b.src && a.ixn == b.ixn && a.media == b.media && a.agent == b.agent &&
		a.place == b.place && slices.Equal(a.data, b.data)
}
