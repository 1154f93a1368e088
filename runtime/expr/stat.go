package expr

import (
	"errors"
	"fmt"
	"math"
	"strings"

	exprlang "github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Ref is one input of a statistic formula: a stat type on the formula statistic's object
// (StatType, with Profile when stat(name, profile) names one), or a configured statistic
// (ID).
type Ref struct {
	StatType string // "" for a statistic named by id
	Profile  string // "" for the formula statistic's profile
	ID       string // statistic("id"), "" otherwise
	// Text is the reference as written (Abandoned, stat("Calls.In", "Last15"), …).
	Text string
}

// String is the reference as written.
func (r Ref) String() string { return r.Text }

// key identifies the input r reads: two references to the same input share a key.
func (r Ref) key() string {
	if r.ID != "" {
		return "#" + r.ID
	}
	return r.StatType + "\x00" + r.Profile
}

// StatFormula is a compiled Formula-category expression: the inputs it reads, in order of
// first appearance (each once), and the program. It is immutable and may be evaluated
// by several Machines at once.
type StatFormula struct {
	// Text is the expression as written.
	Text string
	// Refs are the inputs; Eval takes their values in this order.
	Refs     []Ref
	prog     *vm.Program
	divisors []string // the divisors' texts, by the index their division carries
}

// statEnv is the environment of statistic formulas once their references are replaced
// by the inputs' values.
type statEnv struct {
	In []float64 `expr:"__inputs"`
}

// Names the compiled program uses, which no reference may take.
const (
	inputsName = "__inputs"
	divName    = "__div"
)

// divError is the error of a division by zero: the index of the division.
type divError struct{ k int }

func (e *divError) Error() string { return "division by zero" }

// div implements a / b, failing for b = 0 with the division's index.
func div(params ...any) (any, error) {
	a, b := toFloat(params[0]), toFloat(params[1])
	if b == 0 {
		return nil, &divError{params[2].(int)}
	}
	return a / b, nil
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	return math.NaN()
}

// CompileStatFormula parses and type-checks a Formula-category expression. check is
// called once per distinct input and returns an error when the input is unknown or not a
// number (a structured statistic); every problem is reported, each with its position in
// the expression.
func CompileStatFormula(text string, check func(Ref) error) (*StatFormula, error) {
	pristine, err := parser.Parse(text)
	if err != nil {
		return nil, oneLine(err)
	}
	p := &statPatcher{source: file.NewSource(text), check: check, index: map[string]int{}, lets: map[string]bool{}}
	ast.Find(pristine.Node, func(n ast.Node) bool {
		switch v := n.(type) {
		case *ast.VariableDeclaratorNode:
			p.lets[v.Name] = true
		case *ast.CallNode:
			if id, ok := v.Callee.(*ast.IdentifierNode); ok {
				p.lets[id.Value] = true // a function's name is no reference either
			}
		case *ast.BuiltinNode:
			p.lets[v.Name] = true // nor a builtin's (now(), which is disabled, is a call then)
		}
		return false
	})
	// The divisions, in the order the patcher meets them (both walks are post-order).
	ast.Walk(&pristine.Node, visitorFunc(func(node *ast.Node) {
		if b, ok := (*node).(*ast.BinaryNode); ok && b.Operator == "/" {
			p.divisors = append(p.divisors, b.Right.String())
		}
	}))
	opts := []exprlang.Option{
		exprlang.Env(statEnv{}), exprlang.AsFloat64(), exprlang.Patch(p),
		exprlang.Function(divName, div,
			new(func(float64, float64, int) float64), new(func(int, float64, int) float64),
			new(func(float64, int, int) float64), new(func(int, int, int) float64)),
	}
	opts = append(opts, noClock()...)
	prog, err := exprlang.Compile(text, opts...)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	if err != nil {
		return nil, oneLine(err)
	}
	return &StatFormula{Text: text, Refs: p.refs, prog: prog, divisors: p.divisors}, nil
}

// visitorFunc makes a function an ast.Visitor.
type visitorFunc func(node *ast.Node)

func (f visitorFunc) Visit(node *ast.Node) { f(node) }

// statPatcher replaces the references of a statistic formula by the inputs' values
// (__inputs[k]) and each division a / b by __div(a, b, k), collecting the inputs.
type statPatcher struct {
	source   file.Source
	check    func(Ref) error
	lets     map[string]bool // names of let variables and called functions: no references
	refs     []Ref
	index    map[string]int
	divisors []string
	divs     int
	errs     []error
}

// Visit patches one node (children first: ast.Walk is post-order).
func (p *statPatcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch {
		case n.Value == inputsName || n.Value == divName || n.Value == "stat" || n.Value == "statistic" || p.lets[n.Value]:
			return
		}
		p.reference(node, Ref{StatType: n.Value, Text: n.Value})
	case *ast.CallNode:
		callee, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || (callee.Value != "stat" && callee.Value != "statistic") {
			return
		}
		args := make([]string, len(n.Arguments))
		for i, a := range n.Arguments {
			s, ok := a.(*ast.StringNode)
			if !ok {
				p.fail(a, fmt.Sprintf("%s() takes names as string literals", callee.Value))
				ast.Patch(node, &ast.FloatNode{Value: 1})
				return
			}
			args[i] = s.Value
		}
		r := Ref{Text: n.String()}
		switch {
		case callee.Value == "stat" && (len(args) == 1 || len(args) == 2):
			r.StatType = args[0]
			if len(args) == 2 {
				r.Profile = args[1]
			}
		case callee.Value == "statistic" && len(args) == 1:
			r.ID = args[0]
		case callee.Value == "stat":
			p.fail(n, "stat() takes a stat type name and optionally a time profile name")
			ast.Patch(node, &ast.FloatNode{Value: 1})
			return
		default:
			p.fail(n, "statistic() takes one statistic id")
			ast.Patch(node, &ast.FloatNode{Value: 1})
			return
		}
		p.reference(node, r)
	case *ast.BinaryNode:
		if n.Operator != "/" {
			return
		}
		k := p.divs
		p.divs++
		ast.Patch(node, &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: divName},
			Arguments: []ast.Node{n.Left, n.Right, &ast.IntegerNode{Value: k}},
		})
	}
}

// reference replaces node by the value of input r, checking r on its first use.
func (p *statPatcher) reference(node *ast.Node, r Ref) {
	k, seen := p.index[r.key()]
	if !seen {
		if p.check != nil {
			if err := p.check(r); err != nil {
				p.fail(*node, err.Error())
				ast.Patch(node, &ast.FloatNode{Value: 1})
				return
			}
		}
		k = len(p.refs)
		p.index[r.key()] = k
		p.refs = append(p.refs, r)
	}
	ast.Patch(node, &ast.MemberNode{Node: &ast.IdentifierNode{Value: inputsName}, Property: &ast.IntegerNode{Value: k}})
}

// fail records a problem at node n.
func (p *statPatcher) fail(n ast.Node, msg string) {
	fe := (&file.Error{Location: n.Location(), Message: msg}).Bind(p.source)
	p.errs = append(p.errs, posError(msg, fe.Line, fe.Column))
}

// Eval evaluates f on the values of its inputs (in Refs order) with m's machine. When the
// value is undefined — a division by zero, or a result that is not a finite number —
// undefined says why and v is 0.
func (f *StatFormula) Eval(m *Machine, inputs []float64) (v float64, undefined string) {
	m.senv.In = inputs
	out, err := m.machine.Run(f.prog, &m.senv)
	m.senv.In = nil
	if err != nil {
		var de *divError
		if errors.As(err, &de) && de.k < len(f.divisors) {
			return 0, "division by zero: " + f.divisors[de.k] + " is 0"
		}
		return 0, firstLine(err.Error())
	}
	x, ok := out.(float64)
	switch {
	case !ok:
		return 0, fmt.Sprintf("the formula gave %T, not a number", out)
	case math.IsNaN(x) || math.IsInf(x, 0):
		return 0, "the formula's result is not a finite number"
	}
	return x, ""
}

// firstLine is the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
