package engine

import (
	"fmt"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// catState is the state of the categories that keep more than the buckets of ext.go:
// one of its fields is set, by category.
type catState struct {
	fx      *formulaExt  // Formula (formula.go)
	ewt     *ewtState    // EstimWaitingTime (estim.go)
	durs    *durations   // EstimTimeToComplete (estim.go)
	dist    *intervals   // TotalDistinctTime (distinct.go)
	errMask *config.Mask // TotalNumberErrors: the actions whose refusals count (refused.go)
}

// newCatState is the category state of statistic st with extension x, nil when its
// category keeps none.
func newCatState(st *config.Statistic, x *statExt) *catState {
	switch st.StatType.Category {
	case category.EstimWaitingTime:
		return &catState{ewt: newEWT(x.rel != nil)}
	case category.EstimTimeToComplete:
		return &catState{durs: &durations{}}
	case category.TotalDistinctTime:
		return &catState{dist: &intervals{}}
	case category.TotalNumberErrors:
		return &catState{errMask: &st.StatType.MainMask}
	}
	return nil
}

// started is told that a counted Main instance in has started, with ahead counted Main
// instances in progress before it.
func (cs *catState) started(in *inst, ahead int32) {
	if cs.ewt != nil {
		cs.ewt.arrive(in.key, ahead)
	}
}

// ended is told that a durable instance counted by the statistic (Main, Rel or both: c)
// ended.
func (cs *catState) ended(x *statExt, in *inst, c completion) {
	if cs.ewt == nil {
		return
	}
	if c.main {
		cs.ewt.leave(in.key, c.t, c.d)
	}
	if c.rel && !c.main {
		cs.ewt.answered(in.key.ixn, c.t)
	}
}

// answered is told that an instantaneous Rel action of interaction ixn happened at t.
func (cs *catState) answered(ixn string, t event.Time) {
	if cs.ewt != nil {
		cs.ewt.answered(ixn, t)
	}
}

// completed is told of completion c of statistic s, in its interval (after roll).
func (cs *catState) completed(s *stat, x *statExt, c completion) {
	// Under profiles other than Selection, what left I is forgotten here, at an update,
	// not when a value is read (reads change no state).
	switch {
	case cs.durs != nil && c.main && c.d >= 0:
		cs.durs.add(c.t, c.d, x.count)
		if x.prof != profSelection {
			cs.durs.prune(s.start)
		}
	case cs.dist != nil && c.main:
		cs.dist.add(max(c.from, s.opened), c.t, x.count)
		if x.prof != profSelection {
			cs.dist.prune(s.start)
		}
	}
}

// write appends the category state to a snapshot.
func (cs *catState) write(b *snapW) {
	b.bool(cs != nil && (cs.ewt != nil || cs.durs != nil || cs.dist != nil))
	switch {
	case cs == nil:
	case cs.ewt != nil:
		cs.ewt.write(b)
	case cs.durs != nil:
		cs.durs.write(b)
	case cs.dist != nil:
		cs.dist.write(b)
	}
}

// read reads what write wrote into cs, the category state of a statistic built from its
// definition (nil when its category keeps none).
func (cs *catState) read(d *snapR) error {
	has := d.bool()
	if d.err != nil {
		return d.err
	}
	kept := cs != nil && (cs.ewt != nil || cs.durs != nil || cs.dist != nil)
	if has != kept {
		return fmt.Errorf("category state does not fit the statistic's category")
	}
	switch {
	case !has:
	case cs.ewt != nil:
		cs.ewt.read(d)
	case cs.durs != nil:
		cs.durs.read(d)
	case cs.dist != nil:
		cs.dist.read(d)
	}
	return d.err
}
