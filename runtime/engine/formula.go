package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/expr"
)

// Formula statistics (statistics over statistics).
//
// A statistic of a Formula stat type reads the statistics config.Statistic.FormulaInputs
// defines. The engine opens them with it as hidden statistics — ids starting with
// config.HiddenPrefix, not listed by Statistics or Changed, not closable by id — shared by
// every formula that reads the same definition (a count of readers each), and closes them
// with the last formula reading them. The formula's value is computed when read: the
// inputs' values, then the expression; an undefined input makes it undefined, and so
// does a division by zero (runtime/expr). A formula statistic is reported by Changed when
// one of its inputs changed, and in mode changes it is looked at on every Notifications
// call (its inputs may move with the clock or reset on profiles of their own).

// formulaExt is the state of a formula statistic.
type formulaExt struct {
	f    *expr.StatFormula
	in   []int32   // the input statistics' slots, in f.Refs order
	vals []float64 // scratch: the inputs' values
	mark uint64    // the Changed call that last reported the statistic
}

// isHidden reports whether id names a formula input.
func isHidden(id string) bool { return strings.HasPrefix(id, config.HiddenPrefix) }

// newFormulaExt is the extension of a formula statistic st, its inputs not bound yet.
func newFormulaExt(st *config.Statistic) (*statExt, error) {
	f := st.StatType.Compiled
	if f == nil {
		return nil, fmt.Errorf("the formula of stat type %q was not compiled (load the config with config.Load)", st.StatType.Name)
	}
	x := &statExt{cs: &catState{fx: &formulaExt{f: f, vals: make([]float64, len(f.Refs))}}}
	x.b.reset(0)
	return x, nil
}

// openInputs opens (or shares) the inputs of formula statistic st and returns their
// slots; on failure, it closes what it opened.
func (e *Engine) openInputs(st *config.Statistic) ([]int32, error) {
	defs, err := st.FormulaInputs()
	if err != nil {
		return nil, err
	}
	slots := make([]int32, 0, len(defs))
	for _, d := range defs {
		si, err := e.openInput(d)
		if err != nil {
			for _, in := range slots {
				e.releaseInput(in)
			}
			return nil, fmt.Errorf("input %s: %w", d.StatType.Name, err)
		}
		slots = append(slots, si)
	}
	return slots, nil
}

// openInput returns the slot of hidden statistic d, opening it when no formula reads it
// yet, and counts one more reader.
func (e *Engine) openInput(d *config.Statistic) (int32, error) {
	si, ok := e.byID.get(d.ID, e.idHash(d.ID), e.idOf)
	if !ok {
		if err := e.open(d); err != nil {
			return 0, err
		}
		si, _ = e.byID.get(d.ID, e.idHash(d.ID), e.idOf)
	}
	e.readers[si]++
	return si, nil
}

// releaseInput counts one reader less of hidden statistic si and closes it after the
// last.
func (e *Engine) releaseInput(si int32) {
	if e.readers[si]--; e.readers[si] > 0 {
		return
	}
	delete(e.readers, si)
	_ = e.closeSlot(si) // closes its own inputs when it is a formula
}

// bindFormula sets the inputs of formula statistic si and records it as their reader
// for Changed.
func (e *Engine) bindFormula(si int32, inputs []int32) {
	fx := e.stats[si].ext.cs.fx
	fx.in = inputs
	for _, in := range inputs {
		e.feeds[in] = append(e.feeds[in], si)
		e.inputs.set(in)
	}
}

// unbindFormula undoes bindFormula and releases the inputs.
func (e *Engine) unbindFormula(si int32) {
	fx := e.stats[si].ext.cs.fx
	for _, in := range fx.in {
		if l := removeInt32(e.feeds[in], si); len(l) > 0 {
			e.feeds[in] = l
		} else {
			delete(e.feeds, in)
			e.inputs.clear(in)
		}
		e.releaseInput(in)
	}
	fx.in = nil
}

// bindFormulas rebinds the formulas of a restored engine to their inputs, which the
// snapshot holds as hidden statistics, and counts the readers.
func (e *Engine) bindFormulas() error {
	for si := range e.stats {
		s := &e.stats[si]
		if !s.isOpen() || s.cat != category.Formula {
			continue
		}
		cfg := e.cfgs[si]
		defs, err := cfg.FormulaInputs()
		if err != nil {
			return fmt.Errorf("statistic %q: %v", cfg.ID, err)
		}
		slots := make([]int32, len(defs))
		for k, d := range defs {
			in, ok := e.byID.get(d.ID, e.idHash(d.ID), e.idOf)
			if !ok {
				return fmt.Errorf("statistic %q: input %q missing", cfg.ID, d.ID)
			}
			slots[k] = in
			e.readers[in]++
		}
		e.bindFormula(int32(si), slots)
	}
	for si := range e.stats {
		if s := &e.stats[si]; s.isOpen() && isHidden(e.cfgs[si].ID) && e.readers[int32(si)] == 0 {
			return fmt.Errorf("hidden statistic %q has no reader", e.cfgs[si].ID)
		}
	}
	return nil
}

// formulaValue computes formula statistic s from its inputs.
func (e *Engine) formulaValue(s *stat) Value {
	fx := s.ext.cs.fx
	for k, in := range fx.in {
		v := e.value(in)
		if !v.Defined() {
			return undefined(fmt.Sprintf("%s is undefined: %s", fx.f.Refs[k], v.Undefined))
		}
		fx.vals[k] = v.Number
	}
	v, why := fx.f.Eval(e.ex.m, fx.vals)
	if why != "" {
		return undefined(why)
	}
	return Value{Number: v}
}

// changedFormulas appends to dst the visible formulas reading hidden statistic si
// (through other hidden formulas too) not yet reported by Changed call gen.
func (e *Engine) changedFormulas(dst []string, si int32, gen uint64) []string {
	for _, f := range e.feeds[si] {
		s := &e.stats[f]
		fx := s.ext.cs.fx
		if fx.mark == gen {
			continue
		}
		fx.mark = gen
		if id := e.cfgs[f].ID; isHidden(id) {
			dst = e.changedFormulas(dst, f, gen)
		} else {
			dst = append(dst, id)
		}
	}
	return dst
}

// errHiddenID refuses to open or close a formula input by id.
var errHiddenID = errors.New("ids starting with " + config.HiddenPrefix + " name the inputs of formulas")
