package machine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
)

// formulaDoc has a Formula stat type over two counts; %s is its formula.
const formulaDoc = `
topology:
  dns: [{id: Q1, type: ACDQueue}]
statTypes:
  Entered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  Abandoned: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallAbandoned]}
  Rate: {objects: [Queue], category: Formula, formula: "%s"}
statistics:
  - {id: rate, statType: Rate, object: {type: Queue, id: Q1}}
`

// A Formula statistic loaded twice from the same text has the same definition (a
// reload keeps it and its inputs' values); another formula is another definition.
func TestSameDefFormula(t *testing.T) {
	load := func(formula string) *config.Statistic {
		t.Helper()
		cfg, err := config.Load("c.yaml", strings.NewReader(strings.Replace(formulaDoc, "%s", formula, 1)))
		require.NoError(t, err)
		st, ok := cfg.Statistic("rate")
		require.True(t, ok)
		return st
	}
	a, b := load("100 * Abandoned / Entered"), load("100 * Abandoned / Entered")
	require.NotSame(t, a.StatType.Compiled, b.StatType.Compiled)
	require.True(t, SameDef(a, b))
	require.False(t, SameDef(a, load("100 * Abandoned / (Entered + Abandoned)")))
	require.False(t, SameDef(a, load("Abandoned / Entered")))
}
