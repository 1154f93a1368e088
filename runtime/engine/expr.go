package engine

import (
	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/expr"
)

// Filters and formulas: see the package documentation for when they are evaluated, and
// runtime/expr for the language, the environment and the functions.

// attrs are what filters and formulas read: the attributes of a durable instance, of an
// instantaneous action, or (for status subjects) of the instance deciding a status when
// the status began. done and pass cache filter results by filter slot: bit i set in done
// means filter i was evaluated, in pass that it held. from is the serial of the durable
// instance they are the attributes of (0: none), which an update of its data follows.
type attrs struct {
	act                           action.ID
	src, ixn, media, agent, place string
	data                          event.Data
	done, pass                    uint64
	reason                        string // a refused event's code (refused.go), "" otherwise
	from                          uint64
}

// program is a compiled filter or formula.
type program struct {
	p    *expr.Program
	slot int    // filters: the cache bit in attrs.done/pass, -1 when beyond 64 filters
	text string // the expression (snapshots name a filter hold's filter by it)
}

// exprs compiles and evaluates an engine's filters and formulas, each text once. The
// engine is single threaded, so one machine serves every evaluation.
type exprs struct {
	m        *expr.Machine
	in       expr.Instance // scratch: the instance being evaluated
	filters  map[string]*program
	formulas map[string]*program
	evals    int // filter evaluations, for tests
}

func newExprs() *exprs {
	return &exprs{m: expr.NewMachine(), filters: map[string]*program{}, formulas: map[string]*program{}}
}

// filter returns the compiled filter text, compiling it on first use.
func (x *exprs) filter(text string) (*program, error) {
	if p, ok := x.filters[text]; ok {
		return p, nil
	}
	c, err := x.m.CompileFilter(text)
	if err != nil {
		return nil, err
	}
	p := &program{p: c, slot: -1, text: text}
	if n := len(x.filters); n < 64 {
		p.slot = n
	}
	x.filters[text] = p
	return p, nil
}

// formula returns the compiled formula text, compiling it on first use.
func (x *exprs) formula(text string) (*program, error) {
	if p, ok := x.formulas[text]; ok {
		return p, nil
	}
	c, err := x.m.CompileFormula(text)
	if err != nil {
		return nil, err
	}
	p := &program{p: c, slot: -1}
	x.formulas[text] = p
	return p, nil
}

// instance fills the scratch instance from a.
func (x *exprs) instance(a *attrs) *expr.Instance {
	x.in = expr.Instance{Media: a.media, Interaction: a.ixn, Agent: a.agent, Place: a.place, Source: a.src,
		Action: actionName(a.act), Data: a.data, Reason: a.reason}
	return &x.in
}

// holds evaluates filter p on a, caching the result in a when p has a slot.
func (x *exprs) holds(p *program, a *attrs) bool {
	if p.slot >= 0 {
		bit := uint64(1) << p.slot
		if a.done&bit != 0 {
			return a.pass&bit != 0
		}
		ok := x.evalFilter(p, a)
		a.done |= bit
		if ok {
			a.pass |= bit
		}
		return ok
	}
	return x.evalFilter(p, a)
}

func (x *exprs) evalFilter(p *program, a *attrs) bool {
	x.evals++
	ok := x.m.Filter(p.p, x.instance(a))
	x.in.Data = nil
	return ok
}

// value evaluates formula p on a; a failure or a non-finite result is 0.
func (x *exprs) value(p *program, a *attrs) float64 {
	v := x.m.Formula(p.p, x.instance(a))
	x.in.Data = nil
	return v
}

// actionName is the name of a, "" for no action.
func actionName(a action.ID) string {
	if a.Valid() {
		return a.Name()
	}
	return ""
}

// ParseNumber converts an attached-data value to a number the way the Stat Server does for
// custom values; see expr.ParseNumber.
func ParseNumber(s string) float64 { return expr.ParseNumber(s) }
