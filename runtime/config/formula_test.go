package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/expr"
)

// formulaTopology has a queue, a routing point, an agent and their groups.
const formulaTopology = `topology:
  dns: [{id: Q1, type: ACDQueue}, {id: RP, type: RoutingPoint}, {id: "7001", type: Extension}]
  agents: [{id: "1001"}]
  groups: {queues: {G: [Q1, RP]}}
statTypes:
  Entered: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  Abandoned: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallAbandoned]}
  QueueOnly: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  ServiceLevel: {objects: [Queue], category: ServiceFactor1, subject: DNAction, mainMask: [CallDistributed], relMask: [CallAbandoned]}
  State: {objects: [Queue], category: CurrentState, subject: DNStatus, mainMask: ["*"]}
`

func TestFormulaStatType(t *testing.T) {
	doc := formulaTopology + `  Rate: {objects: [Queue, GroupQueues], category: Formula, formula: "100 * Abandoned / Entered", description: Abandon rate.}
  Mixed: {objects: [Queue], category: Formula, formula: 'stat("Entered", "Last15") + statistic("sl") + ServiceLevel + Rate'}
timeRanges: {Default: "0-30"}
timeProfiles: {Last15: {type: Sliding, window: 900, step: 60}}
filters: {Gold: 'PairExists("Segment", "Gold")'}
statistics:
  - {id: sl, statType: ServiceLevel, object: {type: Queue, id: Q1}, profile: Last15}
  - {id: rate, statType: Rate, object: {type: GroupQueues, id: G}, filter: Gold}
  - {id: mixed, statType: Mixed, object: {type: Queue, id: Q1}}
`
	c := load(t, doc)
	rate, _ := c.StatType("Rate")
	require.NotNil(t, rate.Compiled)
	assert.Equal(t, "Abandon rate.", rate.Description)
	assert.Empty(t, rate.MainMask.Actions(), "no mask")
	st, _ := c.Statistic("rate")
	in, err := st.FormulaInputs()
	require.NoError(t, err)
	require.Len(t, in, 2)
	assert.Equal(t, "~Abandoned|GroupQueues|G|Default||Gold", in[0].ID)
	assert.Equal(t, "~Entered|GroupQueues|G|Default||Gold", in[1].ID)
	assert.Equal(t, config.NotifyNone, in[0].Notification.Mode)
	assert.Equal(t, "Gold", in[1].Filter.Name, "the formula statistic's filter")

	mixed, _ := c.Statistic("mixed")
	in, err = mixed.FormulaInputs()
	require.NoError(t, err)
	require.Len(t, in, 4)
	assert.Equal(t, "Last15", in[0].Profile.Name, "the profile the formula names")
	assert.Equal(t, "~ServiceLevel|Queue|Q1|Last15|Default|", in[1].ID, "a copy of statistic sl")
	assert.Equal(t, int64(30_000), in[2].TimeRange.Hi, "the config's Default range")
	assert.Equal(t, "Default", in[2].Profile.Name, "the statistic's own profile")
	assert.Equal(t, "~Rate|Queue|Q1|Default||", in[3].ID, "a formula over a formula")
	for _, d := range in {
		again, err := c.NewStatistic(config.StatisticSpec{ID: d.ID, StatType: d.StatType.Name,
			Object: config.ObjectSpec{Type: d.Object.Type.String(), ID: d.Object.ID}, Profile: d.Profile.Name,
			TimeRange: name(d.TimeRange), Filter: filterName(d.Filter)})
		require.NoError(t, err, "an input's names resolve, as Restore needs")
		assert.Equal(t, d.TimeRange, again.TimeRange)
	}
	assert.Equal(t, []expr.Ref{{StatType: "Abandoned", Text: "Abandoned"}, {StatType: "Entered", Text: "Entered"}}, refs(rate.Inputs))
}

func name(r *config.TimeRange) string {
	if r == nil {
		return ""
	}
	return r.Name
}

func filterName(f *config.Filter) string {
	if f == nil {
		return ""
	}
	return f.Name
}

func refs(in []config.FormulaInput) []expr.Ref {
	out := make([]expr.Ref, len(in))
	for i, x := range in {
		out[i] = x.Ref
	}
	return out
}

func TestFormulaRules(t *testing.T) {
	checkRules(t, []ruleCase{
		{"unknown input", formulaTopology + `  R: {objects: [Queue], category: Formula, formula: "100 * Abandonned / Entered"}
`, []want{at(`"100 * Abandonned`, `formula: unknown stat type "Abandonned" (did you mean "Abandoned"?) (column 7 of the expression)`)}},
		{"structured input", formulaTopology + `  R: {objects: [Queue], category: Formula, formula: "State + 1"}
`, []want{at(`"State + 1"`, `formula: stat type "State" is a CurrentState structure; a formula reads numbers (column 1 of the expression)`)}},
		{"input not for the objects", formulaTopology + `  R: {objects: [Queue, GroupQueues], category: Formula, formula: "QueueOnly"}
`, []want{at(`"QueueOnly"`, `formula: stat type "QueueOnly" is not defined for GroupQueues, as the formula's objects are (column 1 of the expression)`)}},
		{"type error", formulaTopology + `  R: {objects: [Queue], category: Formula, formula: 'Entered + "x"'}
`, []want{at(`'Entered`, `formula: invalid operation: + (mismatched types float64 and string) (column 9 of the expression)`)}},
		{"unknown profile and statistic", formulaTopology + `  R: {objects: [Queue], category: Formula, formula: 'stat("Entered", "Last16") + statistic("nope")'}
`, []want{
			at(`'stat(`, `formula: unknown statistic "nope" (column 29 of the expression)`),
			at(`'stat(`, `formula: unknown time profile "Last16" (column 1 of the expression)`),
		}},
		{"cycle", formulaTopology + `  A: {objects: [Queue], category: Formula, formula: "B + 1"}
  B: {objects: [Queue], category: Formula, formula: 'statistic("c") * 2'}
  C: {objects: [Queue], category: Formula, formula: "A"}
statistics:
  - {id: c, statType: C, object: {type: Queue, id: Q1}}
`, []want{at(`"A"}`, `formula: stat type "A" reads itself: A → B → C → A`)}},
		{"itself", formulaTopology + `  A: {objects: [Queue], category: Formula, formula: "A / 2"}
`, []want{at(`"A / 2"`, `formula: stat type "A" reads itself: A → A`)}},
		{"masks and subject", formulaTopology + `  R: {objects: [Queue], category: Formula, subject: DNAction, mainMask: [CallEntered], formula: "Entered"}
`, []want{
			at(`subject: DNAction, mainMask: [CallEntered], formula`, `a Formula stat type reads other statistics: subject belongs to the stat types its formula reads`),
			at(`mainMask: [CallEntered], formula`, `a Formula stat type reads other statistics: mainMask belongs to the stat types its formula reads`),
		}},
		{"no formula", formulaTopology + `  R: {objects: [Queue], category: Formula}
`, []want{at(`{objects: [Queue], category: Formula}`, `statTypes.R: missing properties: 'formula'`)}},
		{"time range", formulaTopology + `  R: {objects: [Queue], category: Formula, formula: Entered}
statistics:
  - {id: r, statType: R, object: {type: Queue, id: Q1}, timeRange: X}
timeRanges: {X: "0-10"}
`, []want{at(`X}`, `category Formula takes no time range`)}},
		{"reset notification", formulaTopology + `  R: {objects: [Queue], category: Formula, formula: Entered}
statistics:
  - {id: r, statType: R, object: {type: Queue, id: Q1}, notification: {mode: reset}}
`, []want{at(`reset}`, `mode reset applies only to historical categories, not Formula`)}},
	})
}

// TestFormulaNoCompile: the bare loader still compiles Formula stat types (their inputs
// are part of the configuration).
func TestFormulaNoCompile(t *testing.T) {
	doc := formulaTopology + `  R: {objects: [Queue], category: Formula, formula: "Nope"}
`
	loadErrors(t, doc, config.Options{NoCompile: true})
}
