package expr

import (
	"errors"
	"fmt"
	"math"

	exprlang "github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/statkit/statkit/runtime/event"
)

// Instance is what a filter or a custom-value formula reads about one action instance
// (see the package documentation).
type Instance struct {
	Media, Interaction, Agent, Place, Source, Action string
	Data                                             event.Data
	// Reason is the code of a refused event (TotalNumberErrors), "" otherwise.
	Reason string
}

// filterEnv is the environment of filters.
type filterEnv struct {
	Media       string            `expr:"media"`
	Interaction string            `expr:"interaction"`
	Agent       string            `expr:"agent"`
	Place       string            `expr:"place"`
	Source      string            `expr:"source"`
	Action      string            `expr:"action"`
	Data        map[string]string `expr:"data"`
	Reason      string            `expr:"reason"`
}

// formulaEnv is the environment of custom-value formulas: data values are numbers.
type formulaEnv struct {
	Media       string             `expr:"media"`
	Interaction string             `expr:"interaction"`
	Agent       string             `expr:"agent"`
	Place       string             `expr:"place"`
	Source      string             `expr:"source"`
	Action      string             `expr:"action"`
	Data        map[string]float64 `expr:"data"`
	Reason      string             `expr:"reason"`
}

// Program is a compiled filter or custom-value formula, bound to the Machine that
// compiled it.
type Program struct {
	// Text is the expression as written.
	Text     string
	prog     *vm.Program
	formula  bool
	usesData bool // the expression reads the data map (PairExists reads the pairs directly)
}

// Machine compiles filters and custom-value formulas and evaluates them, reusing one set
// of scratch environments: it is not safe for concurrent use.
type Machine struct {
	pairs   event.Data // the data being evaluated, read by PairExists
	machine vm.VM
	fenv    filterEnv
	menv    formulaEnv
	senv    statEnv
	// Evals counts filter evaluations (for tests of caching).
	Evals int
}

// NewMachine returns a Machine.
func NewMachine() *Machine {
	return &Machine{fenv: filterEnv{Data: map[string]string{}}, menv: formulaEnv{Data: map[string]float64{}}}
}

// CheckFilter checks a filter expression: it must parse and type-check as a boolean over
// the filter environment. The error says where in the expression the problem is.
func CheckFilter(text string) error {
	_, err := NewMachine().CompileFilter(text)
	return err
}

// CheckFormula checks a custom-value formula: it must parse and type-check as a number
// over the formula environment.
func CheckFormula(text string) error {
	_, err := NewMachine().CompileFormula(text)
	return err
}

// CompileFilter compiles a filter for evaluation by m.
func (m *Machine) CompileFilter(text string) (*Program, error) { return m.compile(text, false) }

// CompileFormula compiles a custom-value formula for evaluation by m.
func (m *Machine) CompileFormula(text string) (*Program, error) { return m.compile(text, true) }

// compile compiles text as a filter (boolean) or a formula (number).
func (m *Machine) compile(text string, formula bool) (*Program, error) {
	opts := []exprlang.Option{
		exprlang.Function("PairExists", m.pairExists, new(func(string) bool), new(func(string, string) bool)),
		exprlang.Function("number", func(params ...any) (any, error) {
			return ParseNumber(params[0].(string)), nil
		}, new(func(string) float64)),
	}
	opts = append(opts, noClock()...)
	if formula {
		opts = append(opts, exprlang.Env(formulaEnv{}), exprlang.AsFloat64())
	} else {
		opts = append(opts, exprlang.Env(filterEnv{}), exprlang.AsBool())
	}
	prog, err := exprlang.Compile(text, opts...)
	if err != nil {
		return nil, oneLine(err)
	}
	p := &Program{Text: text, prog: prog, formula: formula}
	ast.Find(prog.Node(), func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok && id.Value == "data" {
			p.usesData = true
		}
		return false
	})
	return p, nil
}

// noClock disables the builtins that read the wall clock or the machine's time zone:
// values must depend on the events alone.
func noClock() []exprlang.Option {
	return []exprlang.Option{exprlang.DisableBuiltin("now"), exprlang.DisableBuiltin("date"), exprlang.DisableBuiltin("timezone")}
}

// oneLine shortens an expr-lang error to one line with its position in the expression.
func oneLine(err error) error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return err
	}
	return posError(fe.Message, fe.Line, fe.Column)
}

// posError words msg at line:column (column from 0) of an expression.
func posError(msg string, line, column int) error {
	if line > 1 {
		return fmt.Errorf("%s (line %d, column %d of the expression)", msg, line, column+1)
	}
	return fmt.Errorf("%s (column %d of the expression)", msg, column+1)
}

// pairExists implements PairExists(key) and PairExists(key, value) over m.pairs.
func (m *Machine) pairExists(params ...any) (any, error) {
	key := params[0].(string)
	for _, p := range m.pairs {
		if p.Key == key && (len(params) == 1 || p.Value == params[1].(string)) {
			return true, nil
		}
	}
	return false, nil
}

// Filter evaluates filter p on in; an evaluation that fails does not hold.
func (m *Machine) Filter(p *Program, in *Instance) bool {
	m.Evals++
	env := &m.fenv
	env.Media, env.Interaction, env.Agent, env.Place, env.Source, env.Action = in.Media, in.Interaction, in.Agent, in.Place, in.Source, in.Action
	env.Reason = in.Reason
	if p.usesData {
		clear(env.Data)
		for i := len(in.Data) - 1; i >= 0; i-- { // the first of repeated keys wins
			env.Data[in.Data[i].Key] = in.Data[i].Value
		}
	}
	m.pairs = in.Data
	out, err := m.machine.Run(p.prog, env)
	m.pairs = nil
	ok, _ := out.(bool)
	return err == nil && ok
}

// Formula evaluates custom-value formula p on in; a failure or a result that is not a
// finite number is 0.
func (m *Machine) Formula(p *Program, in *Instance) float64 {
	env := &m.menv
	env.Media, env.Interaction, env.Agent, env.Place, env.Source, env.Action = in.Media, in.Interaction, in.Agent, in.Place, in.Source, in.Action
	env.Reason = in.Reason
	if p.usesData {
		clear(env.Data)
		for i := len(in.Data) - 1; i >= 0; i-- {
			env.Data[in.Data[i].Key] = ParseNumber(in.Data[i].Value)
		}
	}
	m.pairs = in.Data
	out, err := m.machine.Run(p.prog, env)
	m.pairs = nil
	f, ok := out.(float64)
	if err != nil || !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}
