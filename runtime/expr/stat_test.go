package expr

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// known accepts the stat types Abandoned, Entered, Calls.In and Wait, and the statistic
// q-1; State is structured.
func known(r Ref) error {
	switch {
	case r.ID != "" && r.ID == "q-1":
		return nil
	case r.ID != "":
		return fmt.Errorf("unknown statistic %q", r.ID)
	case r.StatType == "State":
		return errors.New("State is structured, not a number")
	case r.Profile != "" && r.Profile != "Last15":
		return fmt.Errorf("unknown time profile %q", r.Profile)
	}
	switch r.StatType {
	case "Abandoned", "Entered", "Calls.In", "Wait":
		return nil
	}
	return fmt.Errorf("unknown stat type %q", r.StatType)
}

func TestStatFormulaRefs(t *testing.T) {
	f, err := CompileStatFormula(`stat("Calls.In", "Last15") + statistic("q-1") + Abandoned + Abandoned / stat("Abandoned") + stat("Abandoned", "Last15")`, known)
	require.NoError(t, err)
	assert.Equal(t, []Ref{
		{StatType: "Calls.In", Profile: "Last15", Text: `stat("Calls.In", "Last15")`},
		{ID: "q-1", Text: `statistic("q-1")`},
		{StatType: "Abandoned", Text: "Abandoned"},
		{StatType: "Abandoned", Profile: "Last15", Text: `stat("Abandoned", "Last15")`},
	}, f.Refs, "each input once, in order of first appearance; stat(X) is X")
	m := NewMachine()
	v, undef := f.Eval(m, []float64{1, 2, 4, 8})
	assert.Empty(t, undef)
	assert.Equal(t, 1+2+4+4.0/4+8, v)
}

func TestStatFormulaValues(t *testing.T) {
	m := NewMachine()
	for _, c := range []struct {
		text   string
		inputs []float64 // Abandoned, Entered (in order of appearance)
		want   float64
		undef  string
	}{
		{`100 * Abandoned / Entered`, []float64{3, 12}, 25, ""},
		{`100 * Abandoned / Entered`, []float64{3, 0}, 0, "division by zero: Entered is 0"},
		{`100 * Abandoned / Entered`, []float64{0, 0}, 0, "division by zero: Entered is 0"},
		{`Entered > 0 ? 100 * Abandoned / Entered : 0`, []float64{0, 0}, 0, ""},
		{`let n = Entered; n == 0 ? -1 : Abandoned / n`, []float64{0, 1}, -1, ""},
		{`let n = Entered; n == 0 ? -1 : Abandoned / n`, []float64{2, 1}, 0.5, ""},
		{`(Abandoned / Entered) / (Entered - 4)`, []float64{8, 4}, 0, "division by zero: Entered - 4 is 0"},
		{`(Abandoned / Entered) / (Entered - 4)`, []float64{8, 0}, 0, "division by zero: Entered is 0"},
		{`(Abandoned / Entered) / (Entered - 4)`, []float64{8, 2}, -2, ""},
		{`round(max(Abandoned, 1) * 1.5)`, []float64{3}, 5, ""},
		{`Abandoned ** 1000`, []float64{10}, 0, "the formula's result is not a finite number"},
		{`1 / 2 + Abandoned`, []float64{1}, 1.5, ""},
		{`Abandoned / 0`, []float64{1}, 0, "division by zero: 0 is 0"},
	} {
		f, err := CompileStatFormula(c.text, known)
		require.NoError(t, err, c.text)
		require.Len(t, f.Refs, len(c.inputs), c.text)
		v, undef := f.Eval(m, c.inputs)
		assert.Equal(t, c.undef, undef, "%s %v", c.text, c.inputs)
		assert.InDelta(t, c.want, v, 1e-12, "%s %v", c.text, c.inputs)
		assert.False(t, math.IsNaN(v))
	}
}

func TestStatFormulaErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{`100 * Abandonned / Entered`, `unknown stat type "Abandonned" (column 7 of the expression)`},
		{`Abandoned + State`, `State is structured, not a number (column 13 of the expression)`},
		{`stat("Abandoned", "Last16")`, `unknown time profile "Last16" (column 1 of the expression)`},
		{`statistic("q-2") + 1`, `unknown statistic "q-2" (column 1 of the expression)`},
		{`stat(Abandoned)`, `stat() takes names as string literals (column 6 of the expression)`},
		{`stat()`, `stat() takes a stat type name and optionally a time profile name`},
		{`statistic("q-1", "x")`, `statistic() takes one statistic id`},
		{`Abandoned + "x"`, `invalid operation: + (mismatched types float64 and string)`},
		{`Abandoned > 1`, `expected float64, but got bool`},
		{`Abandoned +`, `unexpected token EOF`},
		{`now()`, `unknown name now`},
		{"Entered +\n  Nope", `unknown stat type "Nope" (line 2, column 3 of the expression)`},
	} {
		_, err := CompileStatFormula(c.text, known)
		if assert.Error(t, err, c.text) {
			assert.Contains(t, err.Error(), c.want, c.text)
		}
	}
	// Every problem is reported.
	_, err := CompileStatFormula(`A + B`, known)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown stat type "A"`)
	assert.Contains(t, err.Error(), `unknown stat type "B"`)
}

// TestStatFormulaShared: a compiled formula is read-only, so two machines evaluate it
// independently.
func TestStatFormulaShared(t *testing.T) {
	f, err := CompileStatFormula(`Abandoned / Entered`, known)
	require.NoError(t, err)
	a, b := NewMachine(), NewMachine()
	va, _ := f.Eval(a, []float64{1, 4})
	vb, ub := f.Eval(b, []float64{1, 0})
	assert.Equal(t, 0.25, va)
	assert.Equal(t, "division by zero: Entered is 0", ub)
	assert.Zero(t, vb)
}
