package expr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/event"
)

// TestParseNumber: DOMAIN.md §2.2 — an integer with an optional sign, a fixed-point
// decimal, or a float with e/E and a one- or two-digit exponent; anything else is 0.
func TestParseNumber(t *testing.T) {
	cases := []struct {
		in   string
		want float64
	}{
		{"42", 42}, {"-7", -7}, {"+3", 3}, {"007", 7}, {"0", 0}, {"-0", 0},
		{"12.5", 12.5}, {"-0.25", -0.25}, {".5", 0.5}, {"5.", 5}, {"+.5", 0.5},
		{"1e3", 1000}, {"2.5E-07", 2.5e-7}, {"-.5e+12", -0.5e12}, {"1E99", 1e99}, {"7e0", 7}, {"1e-05", 1e-5},
		{"123456789012345678901234567890", 123456789012345678901234567890},
		// Not numbers.
		{"", 0}, {" 42", 0}, {"42 ", 0}, {"4 2", 0}, {"+", 0}, {"-", 0}, {".", 0}, {"+.", 0}, {"e5", 0}, {".e5", 0},
		{"1e", 0}, {"1e+", 0}, {"1e100", 0}, {"1e-100", 0}, {"1.2.3", 0}, {"--1", 0}, {"+-1", 0},
		{"0x1F", 0}, {"1_000", 0}, {"1,5", 0}, {"Inf", 0}, {"-Inf", 0}, {"NaN", 0}, {"infinity", 0}, {"½", 0}, {"١", 0},
		{"12abc", 0}, {"abc", 0}, {"1e5x", 0}, {"1ee5", 0},
		// Well formed but beyond float64: 0.
		{strings.Repeat("9", 400), 0},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, ParseNumber(c.in), "%q", c.in)
	}
}

// TestCompileErrors: expressions are checked when compiled, with the position of the
// problem in the expression.
func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		expr, want string
		formula    bool
	}{
		{`PairExists("Segment", "Gold") &&`, `unexpected token EOF (column 32 of the expression)`, false},
		{`media == 1`, `invalid operation: == (mismatched types string and int) (column 7 of the expression)`, false},
		{`data["x"] + "y"`, `expected bool, but got string`, false},
		{`PairExists(1)`, `to call PairExists`, false},
		{"media == \"voice\" &&\n  nope", `unknown name nope (line 2, column 3 of the expression)`, false},
		{`now() > 0`, `unknown name now`, false},
		{`data["x"] > "a"`, `invalid operation: > (mismatched types float64 and string)`, true},
		{`media`, `expected float64, but got string`, true},
	} {
		f := CheckFilter
		if c.formula {
			f = CheckFormula
		}
		err := f(c.expr)
		if assert.Error(t, err, c.expr) {
			assert.Contains(t, err.Error(), c.want, c.expr)
			assert.NotContains(t, err.Error(), "\n", "one line")
		}
	}
	for _, ok := range []string{`true`, `PairExists("k")`, `number(data["x"]) >= 2.5 || agent in ["1001", "1002"]`, `len(source) > 0 && action startsWith "Call"`} {
		assert.NoError(t, CheckFilter(ok), ok)
	}
	for _, ok := range []string{`1`, `data["a"] * 2 + data["b"]`, `PairExists("vip") ? 10 : number("1e1")`, `max(data["a"], 3)`} {
		assert.NoError(t, CheckFormula(ok), ok)
	}
}

// TestInstanceValues: evaluation details — repeated keys, formula failures, the
// attributes.
func TestInstanceValues(t *testing.T) {
	m := NewMachine()
	in := &Instance{Action: "CallInbound", Source: "7001", Interaction: "c1", Media: "voice", Agent: "1001", Place: "P1",
		Data: event.Data{{Key: "k", Value: "first"}, {Key: "k", Value: "second"}, {Key: "n", Value: "4"}}}
	holds := func(text string) bool {
		p, err := m.CompileFilter(text)
		require.NoError(t, err, text)
		return m.Filter(p, in)
	}
	value := func(text string) float64 {
		p, err := m.CompileFormula(text)
		require.NoError(t, err, text)
		return m.Formula(p, in)
	}
	assert.True(t, holds(`data["k"] == "first"`), "data[...] reads the first of repeated keys")
	assert.True(t, holds(`PairExists("k", "second")`), "PairExists matches any occurrence")
	assert.True(t, holds(`action == "CallInbound" && source == "7001" && interaction == "c1" && agent == "1001" && place == "P1" && media == "voice"`))
	assert.False(t, holds(`PairExists("missing")`))
	assert.Equal(t, 8.0, value(`data["n"] * 2`))
	assert.Equal(t, 0.0, value(`data["missing"] + data["k"]`), "missing and non-numeric values are 0")
	assert.Equal(t, 0.0, value(`1 / 0`), "not finite: 0")
	assert.Equal(t, 0.0, value(`int(data["n"]) % int(data["missing"])`), "a failing formula counts 0")
	assert.Equal(t, 1.0, value(`PairExists("n", "4") ? 1 : 2`))
	assert.Equal(t, 4, m.Evals, "filter evaluations are counted")
}
