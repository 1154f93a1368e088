package engine

import (
	"errors"
	"fmt"
	"math"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/event"
)

// Filters and formulas: see the package documentation for the environment, the
// functions and when they are evaluated.

// filterEnv is the environment of filters.
type filterEnv struct {
	Media       string            `expr:"media"`
	Interaction string            `expr:"interaction"`
	Agent       string            `expr:"agent"`
	Place       string            `expr:"place"`
	Source      string            `expr:"source"`
	Action      string            `expr:"action"`
	Data        map[string]string `expr:"data"`
}

// formulaEnv is the environment of formulas: data values are numbers.
type formulaEnv struct {
	Media       string             `expr:"media"`
	Interaction string             `expr:"interaction"`
	Agent       string             `expr:"agent"`
	Place       string             `expr:"place"`
	Source      string             `expr:"source"`
	Action      string             `expr:"action"`
	Data        map[string]float64 `expr:"data"`
}

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
	from                          uint64
}

// program is a compiled filter or formula.
type program struct {
	text     string
	prog     *vm.Program
	usesData bool // the expression reads the data map (PairExists reads the pairs directly)
	slot     int  // filters: the cache bit in attrs.done/pass, -1 when beyond 64 filters
}

// exprs compiles and evaluates an engine's filters and formulas. The engine is single
// threaded, so one set of scratch environments serves every evaluation.
type exprs struct {
	pairs    event.Data // the data being evaluated, read by PairExists
	machine  vm.VM
	fenv     filterEnv
	menv     formulaEnv
	filters  map[string]*program
	formulas map[string]*program
	evals    int // filter evaluations, for tests
}

func newExprs() *exprs {
	return &exprs{
		fenv:     filterEnv{Data: map[string]string{}},
		menv:     formulaEnv{Data: map[string]float64{}},
		filters:  map[string]*program{},
		formulas: map[string]*program{},
	}
}

// CompileFilter checks a filter expression: it must parse and type-check as a boolean over
// the filter environment. It is the config loader's CompileFilter hook.
func CompileFilter(text string) error {
	_, err := newExprs().compile(text, false)
	return err
}

// CompileFormula checks a custom-value formula: it must parse and type-check as a number
// over the formula environment. It is the config loader's CompileFormula hook.
func CompileFormula(text string) error {
	_, err := newExprs().compile(text, true)
	return err
}

// filter returns the compiled filter text, compiling it on first use.
func (x *exprs) filter(text string) (*program, error) {
	if p, ok := x.filters[text]; ok {
		return p, nil
	}
	p, err := x.compile(text, false)
	if err != nil {
		return nil, err
	}
	p.slot = -1
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
	p, err := x.compile(text, true)
	if err != nil {
		return nil, err
	}
	x.formulas[text] = p
	return p, nil
}

// compile compiles text as a filter (boolean) or a formula (number).
func (x *exprs) compile(text string, formula bool) (*program, error) {
	opts := []expr.Option{
		expr.Function("PairExists", x.pairExists, new(func(string) bool), new(func(string, string) bool)),
		expr.Function("number", func(params ...any) (any, error) {
			return ParseNumber(params[0].(string)), nil
		}, new(func(string) float64)),
		expr.DisableBuiltin("now"), expr.DisableBuiltin("date"), expr.DisableBuiltin("timezone"),
	}
	if formula {
		opts = append(opts, expr.Env(formulaEnv{}), expr.AsFloat64())
	} else {
		opts = append(opts, expr.Env(filterEnv{}), expr.AsBool())
	}
	prog, err := expr.Compile(text, opts...)
	if err != nil {
		return nil, exprError(err)
	}
	p := &program{text: text, prog: prog}
	ast.Find(prog.Node(), func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok && id.Value == "data" {
			p.usesData = true
		}
		return false
	})
	return p, nil
}

// exprError shortens an expr-lang error to one line with its position in the expression.
func exprError(err error) error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Line > 1 {
		return fmt.Errorf("%s (line %d, column %d of the expression)", fe.Message, fe.Line, fe.Column+1)
	}
	return fmt.Errorf("%s (column %d of the expression)", fe.Message, fe.Column+1)
}

// pairExists implements PairExists(key) and PairExists(key, value) over x.pairs.
func (x *exprs) pairExists(params ...any) (any, error) {
	key := params[0].(string)
	for _, p := range x.pairs {
		if p.Key == key && (len(params) == 1 || p.Value == params[1].(string)) {
			return true, nil
		}
	}
	return false, nil
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
	env := &x.fenv
	env.Media, env.Interaction, env.Agent, env.Place, env.Source = a.media, a.ixn, a.agent, a.place, a.src
	env.Action = actionName(a.act)
	if p.usesData {
		clear(env.Data)
		for i := len(a.data) - 1; i >= 0; i-- { // the first of repeated keys wins
			env.Data[a.data[i].Key] = a.data[i].Value
		}
	}
	x.pairs = a.data
	out, err := x.machine.Run(p.prog, env)
	x.pairs = nil
	ok, _ := out.(bool)
	return err == nil && ok
}

// value evaluates formula p on a; a failure or a non-finite result is 0.
func (x *exprs) value(p *program, a *attrs) float64 {
	env := &x.menv
	env.Media, env.Interaction, env.Agent, env.Place, env.Source = a.media, a.ixn, a.agent, a.place, a.src
	env.Action = actionName(a.act)
	if p.usesData {
		clear(env.Data)
		for i := len(a.data) - 1; i >= 0; i-- {
			env.Data[a.data[i].Key] = ParseNumber(a.data[i].Value)
		}
	}
	x.pairs = a.data
	out, err := x.machine.Run(p.prog, env)
	x.pairs = nil
	f, ok := out.(float64)
	if err != nil || !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// actionName is the name of a, "" for no action.
func actionName(a action.ID) string {
	if a.Valid() {
		return a.Name()
	}
	return ""
}
