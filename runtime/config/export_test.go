package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
)

// exportDoc marks the stat type Waiting for export, opts the statistic w2 out of it and
// the statistic e1 (of an unmarked stat type) into it.
const exportDoc = `
topology:
  dns: [{id: Q1, type: ACDQueue}, {id: Q2, type: ACDQueue}]
statTypes:
  Waiting: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [CallWait], export: true}
  Entered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  Answered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed], export: false}
statistics:
  - {id: w1, statType: Waiting, object: {type: Queue, id: Q1}}
  - {id: w2, statType: Waiting, object: {type: Queue, id: Q2}, export: false}
  - {id: e1, statType: Entered, object: {type: Queue, id: Q1}, export: true}
  - {id: e2, statType: Entered, object: {type: Queue, id: Q2}}
  - {id: a1, statType: Answered, object: {type: Queue, id: Q1}}
`

func TestExportMarks(t *testing.T) {
	c := load(t, exportDoc)
	require.True(t, c.Exports())
	want := map[string]bool{"w1": true, "w2": false, "e1": true, "e2": false, "a1": false}
	for id, exported := range want {
		st, ok := c.Statistic(id)
		require.True(t, ok, id)
		require.Equal(t, exported, c.Exported(st), id)
	}
	require.True(t, c.ExportedStatType("Waiting"))
	require.False(t, c.ExportedStatType("Entered"))
	require.False(t, c.ExportedStatType("Answered"))
	require.False(t, c.ExportedStatType("Nope"))

	// A statistic opened through the API follows its stat type, even under an id the
	// config uses for a statistic of another stat type.
	api, err := c.NewStatistic(config.StatisticSpec{StatType: "Waiting", Object: config.ObjectSpec{Type: "Queue", ID: "Q2"}})
	require.NoError(t, err)
	api.ID = "s-1"
	require.True(t, c.Exported(api))
	api.ID = "e2"
	require.True(t, c.Exported(api))
	other, err := c.NewStatistic(config.StatisticSpec{StatType: "Entered", Object: config.ObjectSpec{Type: "Queue", ID: "Q2"}})
	require.NoError(t, err)
	other.ID = "w1" // the config's w1 is a Waiting statistic, marked by its type only
	require.False(t, c.Exported(other))
	require.False(t, c.Exported(nil))
}

func TestNoExportMarks(t *testing.T) {
	c := load(t, `
topology:
  dns: [{id: Q1, type: ACDQueue}]
statTypes:
  Waiting: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [CallWait], export: false}
statistics:
  - {id: w1, statType: Waiting, object: {type: Queue, id: Q1}, export: false}
`)
	require.False(t, c.Exports(), "false marks export nothing")
	st, _ := c.Statistic("w1")
	require.False(t, c.Exported(st))
}

func TestExportMustBeBoolean(t *testing.T) {
	errs := loadErrors(t, `
topology:
  dns: [{id: Q1, type: ACDQueue}]
statTypes:
  Waiting: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [CallWait], export: yes please}
`, config.Options{})
	require.Len(t, errs, 1)
	require.Contains(t, errs[0], "c.yaml:5:")
	require.Contains(t, errs[0], "export")
}
