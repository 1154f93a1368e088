package expr

import (
	"math"
	"testing"

	"github.com/statkit/statkit/runtime/event"
)

// FuzzStatFormula: any text either compiles into a formula over known inputs or fails
// with a one-line error; a compiled formula evaluates on any inputs without panicking and
// gives a finite number or a reason.
func FuzzStatFormula(f *testing.F) {
	for _, s := range []string{
		`100 * Abandoned / Entered`, `stat("Calls.In", "Last15") + statistic("q-1")`, `let n = Entered; n > 0 ? Abandoned / n : 0`,
		`round(max(Abandoned, 1) * 1.5) % 2`, `Abandoned ** 1000`, `stat(Abandoned)`, `(Entered - 4) / 0`, `[1,2][Entered]`,
		`Entered in [1, 2] ? 1 : 0`, `len("abc") / Wait`, `now()`, `stat("Abandoned", "Last16")`, `Abandoned +`, "\x00",
	} {
		f.Add(s, 0.0, 1.0, 2.0)
	}
	f.Fuzz(func(t *testing.T, text string, a, b, c float64) {
		sf, err := CompileStatFormula(text, known)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		in := make([]float64, len(sf.Refs))
		for i := range in {
			in[i] = []float64{a, b, c}[i%3]
		}
		v, why := sf.Eval(NewMachine(), in)
		if why == "" && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("%q on %v: %v without a reason", text, in, v)
		}
		if why != "" && v != 0 {
			t.Fatalf("%q: undefined with a value %v", text, v)
		}
	})
}

// FuzzFilter: filters compile or fail with an error, and evaluate without panicking.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{`PairExists("Segment", "Gold") && media == "voice"`, `number(data["x"]) > 2`, `reason == "late_event"`, `data["k"] +`} {
		f.Add(s, "Segment", "Gold")
	}
	f.Fuzz(func(t *testing.T, text, k, v string) {
		m := NewMachine()
		p, err := m.CompileFilter(text)
		if err != nil {
			return
		}
		m.Filter(p, &Instance{Media: "voice", Data: event.Data{{Key: k, Value: v}}})
	})
}
