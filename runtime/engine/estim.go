package engine

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// The categories whose semantics the Stat Server never published, as statkit defines
// them (spec/categories.yaml has the definitions; docs/categories.md the figures of the
// waiting-time estimate): estimates, load ratios, rates per relative hour, refused
// events and distinct time.

// valueInputs are what valueAt computed for a statistic before its category: the window
// aggregate b, the in-progress aggregates over the MainMask (c) and RelMask (rel), the
// total time (TotalTime), the elapsed length of I (ms), the clock, and whether the
// subject counts statuses.
type valueInputs struct {
	b      *bucket
	c, rel *inProgress
	total  int64
	length int64
	now    event.Time
	status bool
}

// Reasons of the undefined values of these categories.
const (
	whyNoAnswer     = "no answered wait observed yet"
	whyNoCompletion = "no instance completed in the interval"
	whyNoResource   = "no resource available (the RelMask's CurrentNumber is 0)"
	whyNoAgent      = "no agent logged in"
)

// moreValue computes the categories of this file for statistic s.
func (e *Engine) moreValue(s *stat, v *valueInputs) Value {
	x := s.ext
	switch s.cat {
	case category.EstimWaitingTime:
		return x.cs.ewt.value(v.c.n)
	case category.EstimTimeToComplete:
		return e.timeToComplete(s, v.now)
	case category.EstimTimeToEndCurrentNumber:
		switch {
		case v.c.n == 0:
			return Value{}
		case v.b.n == 0:
			return undefined(whyNoCompletion)
		}
		return Value{Number: math.Round(float64(v.c.n)*float64(v.length)/float64(v.b.n)) / 1000}
	case category.LoadBalance:
		if v.rel.n == 0 {
			return undefined(whyNoResource)
		}
		return Value{Number: float64(v.c.n) / float64(v.rel.n)}
	case category.LoadBalance1:
		n := e.loggedIn(s.obj)
		if n == 0 {
			return undefined(whyNoAgent)
		}
		return Value{Number: float64(v.c.n) / float64(n)}
	case category.TotalNumberErrors:
		return count(v.b.n)
	case category.AverageNumberPerRelativeHour:
		if x.rel == nil {
			return ratio(float64(v.b.n)*hour, float64(v.length))
		}
		relTotal := v.b.rsum
		if v.status && x.prof != profSelection {
			relTotal += v.rel.overlap
		}
		return ratio(float64(v.b.n)*hour, float64(relTotal))
	case category.TotalDistinctTime:
		return seconds(e.distinctTime(s, v))
	}
	return Value{}
}

// hour is an hour in milliseconds.
const hour = 3600 * 1000

// checkCategory checks what the categories of this file need of stat type t and object
// type typ (the config loader checks the same, with positions).
func checkCategory(t *config.StatType, typ object.Type) error {
	switch t.Category {
	case category.EstimWaitingTime, category.TotalNumberErrors:
		if t.Subject != category.SubjectDNAction {
			return fmt.Errorf("category %v needs subject DNAction", t.Category)
		}
	case category.LoadBalance:
		if t.RelMask.Empty() {
			return fmt.Errorf("category %v needs a RelMask (the available resources)", t.Category)
		}
	case category.LoadBalance1:
		switch typ {
		case object.TypeAgent, object.TypeGroupAgents, object.TypePlace, object.TypeGroupPlaces, object.TypeRegDN, object.TypeTenant:
		default:
			return fmt.Errorf("category %v counts logged-in agents, which a %v has not", t.Category, typ)
		}
	}
	return nil
}

// loggedIn is the number of distinct agents logged in on object o's DNs or among its
// agents (LoadBalance1).
func (e *Engine) loggedIn(o int32) int {
	ob := &e.objs[o]
	n := 0
	e.gen++
	count := func(a int32) {
		if e.objs[a].mark != e.gen {
			e.objs[a].mark = e.gen
			n++
		}
	}
	onDNs := func(dns []int32) {
		for _, d := range dns {
			for _, a := range e.objs[d].logged {
				count(a)
			}
		}
	}
	switch ob.typ {
	case object.TypeAgent:
		if len(ob.logins) > 0 {
			n = 1
		}
	case object.TypeGroupAgents, object.TypeTenant:
		for _, a := range ob.agents {
			if len(e.objs[a].logins) > 0 {
				n++
			}
		}
	case object.TypeRegDN:
		onDNs([]int32{o})
	case object.TypePlace:
		onDNs(ob.dns)
	case object.TypeGroupPlaces:
		for _, p := range ob.places {
			onDNs(e.objs[p].dns)
		}
	}
	return n
}

// elapsed appends to dst the elapsed times (ms, since the later of their start and the
// statistic's open) of the Main instances or member statuses statistic s counts now, as
// current() does.
func (e *Engine) elapsed(s *stat, now event.Time, dst []int64) []int64 {
	m := e.maskOf(s)
	if s.kind == subjAction {
		for _, ii := range e.objs[s.obj].inprog {
			in := &e.insts[ii]
			if e.match(s, m, &in.at) {
				dst = append(dst, int64(now-max(in.start, s.opened)))
			}
		}
		return dst
	}
	e.mbuf = e.members(s, e.mbuf[:0])
	for _, mb := range e.mbuf {
		if m.Has(mb.status) && (s.ext == nil || e.passes(s.ext, e.saOf(mb.o))) {
			dst = append(dst, int64(now-max(mb.since, s.opened)))
		}
	}
	return dst
}

// EstimWaitingTime: queue-length regression (see spec/categories.yaml).
//
// Every Main instance the statistic sees start (a call starting to wait) is recorded
// with the number of counted Main instances already in progress (the calls ahead of it).
// When it ends answered, its wait d (ms) and calls ahead n are a sample. Samples weigh
// ewtDecay^k, k the number of samples after them (a half-life of ewtHalfLife answers), and
// the estimate for a call entering now, with n calls ahead, is a + b·n from the weighted
// least-squares line through the samples, with the slope b at least 0 (more calls ahead
// never mean a shorter wait) and the estimate at least 0.
//
// Without a RelMask every Main instance that ends is answered. With one, the Rel actions
// say which waits were answered: a Rel action of the same interaction as a waiting
// instance, while it waits or at the instant it ends (in either order).

// ewtHalfLife is the number of later answers after which a sample weighs half.
const ewtHalfLife = 20

// ewtDecay is 2^(−1/ewtHalfLife), the factor each new sample applies to the older ones.
const ewtDecay = 0.9659363289248456

// ewtWait is a waiting instance seen to start.
type ewtWait struct {
	ahead    int32
	answered bool       // a Rel action answered it while it waited
	end      event.Time // ended, awaiting its answer (by interaction)
	d        int64      // its wait, once ended
}

// ewtState is the state of an EstimWaitingTime statistic.
type ewtState struct {
	rel   bool // answers are Rel actions
	waits map[instKey]ewtWait
	ended map[string]ewtWait // by interaction: ended at end, not answered yet
	// The weighted sums of the samples (x = calls ahead, y = wait in ms) and their count.
	sw, sx, sy, sxx, sxy float64
	n                    int64
}

func newEWT(rel bool) *ewtState {
	return &ewtState{rel: rel, waits: map[instKey]ewtWait{}, ended: map[string]ewtWait{}}
}

// arrive records a waiting instance that started with ahead instances in progress.
func (w *ewtState) arrive(k instKey, ahead int32) {
	w.waits[k] = ewtWait{ahead: ahead}
}

// leave is the end at t of waiting instance k, which waited d ms.
func (w *ewtState) leave(k instKey, t event.Time, d int64) {
	wt, ok := w.waits[k]
	if !ok {
		return // it started before the statistic opened
	}
	delete(w.waits, k)
	w.purge(t)
	switch {
	case !w.rel || wt.answered:
		w.sample(wt.ahead, d)
	case k.ixn != "":
		wt.end, wt.d = t, d
		w.ended[k.ixn] = wt
	}
}

// answered is a Rel action of interaction ixn at t: it answers the instances of ixn that
// wait, or the one that ended at t.
func (w *ewtState) answered(ixn string, t event.Time) {
	w.purge(t)
	if ixn == "" {
		return
	}
	found := false
	for k, wt := range w.waits {
		if k.ixn == ixn {
			wt.answered = true
			w.waits[k] = wt
			found = true
		}
	}
	if wt, ok := w.ended[ixn]; ok && !found {
		delete(w.ended, ixn)
		w.sample(wt.ahead, wt.d)
	}
}

// purge forgets the ended waits that no answer came for by their end instant.
func (w *ewtState) purge(t event.Time) {
	for ixn, wt := range w.ended {
		if wt.end < t {
			delete(w.ended, ixn)
		}
	}
}

// sample adds an answered wait of d ms that had ahead calls ahead.
func (w *ewtState) sample(ahead int32, d int64) {
	x, y := float64(ahead), float64(d)
	w.sw = ewtDecay*w.sw + 1
	w.sx = ewtDecay*w.sx + x
	w.sy = ewtDecay*w.sy + y
	w.sxx = ewtDecay*w.sxx + x*x
	w.sxy = ewtDecay*w.sxy + x*y
	w.n++
}

// line returns the intercept (ms) and slope (ms per call ahead) of the weighted
// least-squares line, the slope at least 0; ok is false without samples.
func (w *ewtState) line() (a, b float64, ok bool) {
	if w.n == 0 {
		return 0, 0, false
	}
	mx, my := w.sx/w.sw, w.sy/w.sw
	vxx := w.sxx/w.sw - mx*mx
	if vxx > 1e-9*(1+mx*mx) {
		b = max(0, (w.sxy/w.sw-mx*my)/vxx)
	}
	return my - b*mx, b, true
}

// value is the estimate for a call entering now behind n waiting ones.
func (w *ewtState) value(n int64) Value {
	a, b, ok := w.line()
	if !ok {
		return undefined(whyNoAnswer)
	}
	return Value{Number: math.Round(max(0, a+b*float64(n))) / 1000}
}

func (w *ewtState) write(b *snapW) {
	for _, f := range []float64{w.sw, w.sx, w.sy, w.sxx, w.sxy} {
		b.f(f)
	}
	b.i(w.n)
	keys := make([]instKey, 0, len(w.waits))
	for k := range w.waits {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	b.u(uint64(len(keys)))
	for _, k := range keys {
		wt := w.waits[k]
		b.u(uint64(k.class))
		b.u(uint64(k.act))
		b.s(k.src)
		b.s(k.ixn)
		b.s(k.agent)
		b.i(int64(wt.ahead))
		b.bool(wt.answered)
	}
	ixns := make([]string, 0, len(w.ended))
	for ixn := range w.ended {
		ixns = append(ixns, ixn)
	}
	slices.Sort(ixns)
	b.u(uint64(len(ixns)))
	for _, ixn := range ixns {
		wt := w.ended[ixn]
		b.s(ixn)
		b.i(int64(wt.ahead))
		b.i(int64(wt.end))
		b.i(wt.d)
	}
}

func (w *ewtState) read(d *snapR) {
	for _, p := range []*float64{&w.sw, &w.sx, &w.sy, &w.sxx, &w.sxy} {
		*p = d.f()
	}
	w.n = d.i()
	for range d.n(6) {
		k := instKey{class: object.SourceClass(d.u()), act: action.ID(d.u()), src: d.s(), ixn: d.s(), agent: d.s()}
		w.waits[k] = ewtWait{ahead: int32(d.i()), answered: d.bool()}
	}
	for range d.n(4) {
		ixn := d.s()
		w.ended[ixn] = ewtWait{ahead: int32(d.i()), end: d.t(), d: d.i()}
	}
}

// compareKeys orders instance keys (for snapshots).
func compareKeys(a, b instKey) int {
	return cmp.Or(cmp.Compare(a.class, b.class), cmp.Compare(a.act, b.act), cmp.Compare(a.src, b.src),
		cmp.Compare(a.ixn, b.ixn), cmp.Compare(a.agent, b.agent))
}

// EstimTimeToComplete: the completed durations of I (at most maxDurations, the latest).

// maxDurations bounds the completed durations an EstimTimeToComplete statistic keeps.
const maxDurations = 10_000

// durations are the full durations of the Main instances completed in I, in completion
// order and sorted.
type durations struct {
	at     []event.Time // completion instants, in completion order
	d      []int64      // the durations, in the same order
	sorted []int64      // the same durations, ascending
	suffix []int64      // suffix[i] = Σ sorted[i:], nil when stale
}

// add records a completion at t of duration d; count is the Selection profile's count
// (0 for the other profiles).
func (ds *durations) add(t event.Time, d int64, count int) {
	ds.at = append(ds.at, t)
	ds.d = append(ds.d, d)
	i, _ := slices.BinarySearch(ds.sorted, d)
	ds.sorted = slices.Insert(ds.sorted, i, d)
	limit := maxDurations
	if count > 0 {
		limit = min(limit, count)
	}
	for len(ds.d) > limit {
		ds.drop()
	}
	ds.suffix = nil
}

// drop forgets the oldest completion.
func (ds *durations) drop() {
	i, _ := slices.BinarySearch(ds.sorted, ds.d[0])
	ds.sorted = slices.Delete(ds.sorted, i, i+1)
	ds.at, ds.d = ds.at[1:], ds.d[1:]
	ds.suffix = nil
}

// prune forgets the completions before start (they left I).
func (ds *durations) prune(start event.Time) {
	for len(ds.at) > 0 && ds.at[0] < start {
		ds.drop()
	}
}

// sums computes the suffix sums when stale.
func (ds *durations) sums() {
	if ds.suffix != nil {
		return
	}
	ds.suffix = make([]int64, len(ds.sorted)+1)
	for i := len(ds.sorted) - 1; i >= 0; i-- {
		ds.suffix[i] = ds.suffix[i+1] + ds.sorted[i]
	}
}

// timeToComplete is EstimTimeToComplete: the longest of the expected remaining times of
// the instances in progress, each E[d − e | d > e] over the completed durations d, e its
// elapsed time.
func (e *Engine) timeToComplete(s *stat, now event.Time) Value {
	x := s.ext
	ds := x.cs.durs
	if x.prof != profSelection {
		// The completions before I are pruned when the next one comes (completed); a
		// read leaves them, and reads past them.
		if i, _ := slices.BinarySearch(ds.at, s.start); i > 0 {
			ds = &durations{sorted: slices.Sorted(slices.Values(ds.d[i:]))}
		}
	}
	els := e.elapsed(s, now, nil)
	switch {
	case len(els) == 0:
		return Value{}
	case len(ds.sorted) == 0:
		return undefined(whyNoCompletion)
	}
	ds.sums()
	n := len(ds.sorted)
	longest := 0.0
	for _, el := range els {
		i := sort.Search(n, func(i int) bool { return ds.sorted[i] > el })
		if i == n {
			return undefined(fmt.Sprintf("an instance in progress has lasted %v s, as long as or longer than every completed one", float64(el)/1000))
		}
		longest = max(longest, float64(ds.suffix[i])/float64(n-i)-float64(el))
	}
	return Value{Number: math.Round(longest) / 1000}
}

func (ds *durations) write(b *snapW) {
	b.u(uint64(len(ds.d)))
	for k := range ds.d {
		b.i(int64(ds.at[k]))
		b.i(ds.d[k])
	}
}

func (ds *durations) read(d *snapR) {
	for range d.n(2) {
		ds.at = append(ds.at, d.t())
		ds.d = append(ds.d, d.i())
	}
	ds.sorted = slices.Sorted(slices.Values(ds.d))
}

// clockDependentMore is clockDependent for the categories of this file and Formula (ok
// false for the others, TotalNumberErrors included: it is a count). A Formula statistic
// is looked at on every Notifications call: its inputs may move with the clock or reset
// at times of their own profiles.
func clockDependentMore(s *stat) (dependent, ok bool) {
	switch s.cat {
	case category.Formula, category.EstimTimeToComplete, category.EstimTimeToEndCurrentNumber,
		category.AverageNumberPerRelativeHour:
		return true, true
	case category.TotalDistinctTime:
		prof := s.ext.prof
		return prof == profSliding || s.kind != subjAction && prof != profSelection, true
	case category.EstimWaitingTime, category.LoadBalance, category.LoadBalance1:
		return false, true
	}
	return false, false
}
