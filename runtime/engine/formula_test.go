package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// topologyYAML is testTopology as a config section.
const topologyYAML = `topology:
  dns:
    - {id: "7001", type: Extension, place: P1}
    - {id: "7002", type: Extension, place: P1}
    - {id: "7003", type: Extension, place: P2}
    - {id: "7004", type: ACDPosition}
    - {id: "Support@SW1", type: ACDQueue}
    - {id: "RP1@SW1", type: RoutingPoint}
  places: [{id: P1}, {id: P2}]
  agents: [{id: "1001"}, {id: "1002"}]
  stagingAreas: [{id: SA1}]
  workbins: [{id: WB1}]
  groups:
    agents: {Sales: ["1001", "1002"], Solo: ["1002"]}
    places: {Floor1: [P1, P2]}
    queues: {AllQueues: ["Support@SW1", "RP1@SW1"]}
`

// loadConfig loads the test topology with the sections in doc.
func loadConfig(t testing.TB, doc string) *config.Config {
	t.Helper()
	cfg, err := config.Load("t.yaml", strings.NewReader(topologyYAML+doc))
	require.NoError(t, err)
	return cfg
}

// newEngineYAML builds an engine for the test topology and the sections in doc.
func newEngineYAML(t testing.TB, doc string) *Engine {
	t.Helper()
	e, err := New(loadConfig(t, doc))
	require.NoError(t, err)
	return e
}

// value returns statistic id's value.
func value(t testing.TB, e *Engine, id string) Value {
	t.Helper()
	v, err := e.Value(id)
	require.NoError(t, err)
	return v
}

// queueStatTypes are queue counts and formulas over them.
const queueStatTypes = `statTypes:
  Entered: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  Abandoned: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallAbandoned]}
  Answered: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
  Wait: {objects: [Queue, GroupQueues], category: AverageTime, subject: DNAction, mainMask: [CallDistributed]}
  AbandonRate: {objects: [Queue, GroupQueues], category: Formula, formula: "100 * Abandoned / Entered"}
  AnswerRate: {objects: [Queue], category: Formula, formula: "100 * Answered / Entered"}
  AbandonRatio: {objects: [Queue], category: Formula, formula: "Abandoned / stat(\"Entered\")"}
  AbandonPct: {objects: [Queue], category: Formula, formula: "round(100 * AbandonRatio)"}
  RecentEntered: {objects: [Queue], category: Formula, formula: "stat(\"Entered\", \"Last10m\")"}
  WaitPlusOne: {objects: [Queue], category: Formula, formula: "Wait + 1"}
`

// queueSections are the profile and filter the queue stat types use.
const queueSections = `timeProfiles:
  Last10m: {type: Sliding, window: 600, step: 60}
filters:
  Gold: 'PairExists("Segment", "Gold")'
`

// entered and abandoned are a call entering queue Support@SW1, and abandoning it after
// d seconds, with optional data.
func qEntered(t event.Time, ixn string, opts ...evOpt) *event.Event {
	return once(t, action.CallEntered, "Support@SW1", ixn, 0, opts...)
}
func qAbandoned(t event.Time, ixn string, d float64, opts ...evOpt) *event.Event {
	return once(t, action.CallAbandoned, "Support@SW1", ixn, d, opts...)
}
func qDistributed(t event.Time, ixn string, d float64, opts ...evOpt) *event.Event {
	return once(t, action.CallDistributed, "Support@SW1", ixn, d, opts...)
}
func gold() evOpt {
	return func(e *event.Event) { e.Data = event.Data{{Key: "Segment", Value: "Gold"}} }
}

func TestFormulaValues(t *testing.T) {
	e := newEngineYAML(t, queueStatTypes+queueSections+`statistics:
  - {id: rate, statType: AbandonRate, object: {type: Queue, id: "Support@SW1"}}
  - {id: gold-rate, statType: AbandonRate, object: {type: Queue, id: "Support@SW1"}, filter: Gold}
  - {id: group-rate, statType: AbandonRate, object: {type: GroupQueues, id: AllQueues}}
  - {id: pct, statType: AbandonPct, object: {type: Queue, id: "Support@SW1"}}
  - {id: wait1, statType: WaitPlusOne, object: {type: Queue, id: "Support@SW1"}}
`)
	e.Advance(at("09:00:00"))
	v := value(t, e, "rate")
	assert.False(t, v.Defined(), "no call entered: 0/0")
	assert.Equal(t, "division by zero: Entered is 0", v.Undefined)
	assert.Equal(t, "null", v.String())
	assert.Equal(t, `AbandonRatio is undefined: division by zero: stat("Entered") is 0`, value(t, e, "pct").Undefined,
		"a formula over an undefined formula names it")
	assert.Equal(t, "Wait is undefined: "+whyNothingToAverage, value(t, e, "wait1").Undefined)

	applyAll(t, e, []*event.Event{
		qEntered(at("09:00:01"), "c1", gold()), qEntered(at("09:00:02"), "c2"), qEntered(at("09:00:03"), "c3"),
		qEntered(at("09:00:04"), "c4", gold()), qEntered(at("09:00:05"), "c5", gold()),
		qAbandoned(at("09:01:00"), "c2", 58), qAbandoned(at("09:01:00"), "c4", 56, gold()),
		qDistributed(at("09:01:10"), "c1", 69, gold()),
	})
	assert.Equal(t, 100*2/5.0, num(t, e, "rate"), "2 of 5 abandoned")
	assert.InDelta(t, 100*1/3.0, num(t, e, "gold-rate"), 1e-12, "the filter reaches the inputs: 1 of 3 Gold calls")
	assert.Equal(t, 40.0, num(t, e, "group-rate"), "the group's own inputs")
	assert.Equal(t, 40.0, num(t, e, "pct"), "a formula over a formula")
	assert.Equal(t, 70.0, num(t, e, "wait1"), "69 s average wait, plus 1")
	assert.Equal(t, "40", value(t, e, "rate").String(), "a defined value keeps its JSON")
}

// TestFormulaInputsShared: inputs are opened with the first formula reading them, shared,
// hidden from Statistics and Close, and closed with the last formula reading them.
func TestFormulaInputsShared(t *testing.T) {
	e := newEngineYAML(t, queueStatTypes+queueSections+`statistics:
  - {id: entered, statType: Entered, object: {type: Queue, id: "Support@SW1"}}
  - {id: rate, statType: AbandonRate, object: {type: Queue, id: "Support@SW1"}}
  - {id: answer, statType: AnswerRate, object: {type: Queue, id: "Support@SW1"}}
`)
	ids := func() (visible, all []string) {
		for _, st := range e.Statistics() {
			visible = append(visible, st.ID)
		}
		for _, si := range e.order {
			all = append(all, e.cfgs[si].ID)
		}
		return visible, all
	}
	visible, all := ids()
	assert.Equal(t, []string{"entered", "rate", "answer"}, visible)
	hiddenEntered := "~Entered|Queue|Support@SW1|Default|" + "|"
	assert.ElementsMatch(t, []string{"entered", "rate", "answer", hiddenEntered,
		"~Abandoned|Queue|Support@SW1|Default||", "~Answered|Queue|Support@SW1|Default||"}, all,
		"Entered is opened once for both formulas, apart from the config's own")
	assert.ErrorIs(t, e.Close(hiddenEntered), ErrUnknownStatistic, "an input is not closed by id")

	applyAll(t, e, []*event.Event{qEntered(at("09:00:00"), "c1"), qAbandoned(at("09:00:30"), "c1", 30)})
	changed := e.Changed(nil)
	assert.ElementsMatch(t, []string{"entered", "rate", "answer"}, changed, "formulas are listed for their inputs, inputs are not")
	assert.Len(t, changed, 3, "each once")

	require.NoError(t, e.Close("rate"))
	_, all = ids()
	assert.Contains(t, all, hiddenEntered, "still read by answer")
	assert.NotContains(t, all, "~Abandoned|Queue|Support@SW1|Default||", "closed with its only reader")
	assert.Equal(t, 0.0, num(t, e, "answer"))
	require.NoError(t, e.Close("answer"))
	visible, all = ids()
	assert.Equal(t, []string{"entered"}, visible)
	assert.Equal(t, []string{"entered"}, all, "every input closed")
	assert.Empty(t, e.readers)
	assert.Empty(t, e.feeds)
}

// TestFormulaNamedProfileAndStatistic: stat(name, profile) reads the stat type under that
// profile; statistic(id) reads a copy of a configured statistic, which closing the
// original leaves open.
func TestFormulaNamedProfileAndStatistic(t *testing.T) {
	e := newEngineYAML(t, queueStatTypes+`  ShareOfToday: {objects: [Queue], category: Formula, formula: 'statistic("today") / stat("Entered", "Last10m")'}
`+queueSections+`statistics:
  - {id: today, statType: Entered, object: {type: Queue, id: "Support@SW1"}}
  - {id: recent, statType: RecentEntered, object: {type: Queue, id: "Support@SW1"}}
  - {id: share, statType: ShareOfToday, object: {type: Queue, id: "Support@SW1"}}
`)
	applyAll(t, e, []*event.Event{qEntered(at("09:00:30"), "c1"), qEntered(at("09:05:30"), "c2"), qEntered(at("09:12:30"), "c3")})
	e.Advance(at("09:13:00"))
	// The 10-minute window in 1-minute steps at 09:13 covers [09:04, 09:13]: c2 and c3.
	assert.Equal(t, 2.0, num(t, e, "recent"))
	assert.Equal(t, 1.5, num(t, e, "share"), "3 today over 2 in the window")
	require.NoError(t, e.Close("today"))
	assert.Equal(t, 1.5, num(t, e, "share"), "the formula reads its own copy")
	e.Advance(at("09:30:00"))
	assert.Equal(t, "division by zero: stat(\"Entered\", \"Last10m\") is 0", value(t, e, "share").Undefined)
}

// TestFormulaNotifications: a formula in mode changes notifies when its value moves,
// undefined included, and not when its inputs change without moving it.
func TestFormulaNotifications(t *testing.T) {
	e := newEngineYAML(t, queueStatTypes+queueSections+`statistics:
  - {id: rate, statType: AbandonRate, object: {type: Queue, id: "Support@SW1"}}
`)
	e.Notifications(nil)
	e.Advance(at("09:00:00"))
	ns := e.Notifications(nil)
	require.Len(t, ns, 1)
	assert.False(t, ns[0].Value.Defined(), "the first value, undefined")
	assert.Empty(t, e.Notifications(nil), "nothing moved")
	applyAll(t, e, []*event.Event{qEntered(at("09:00:01"), "c1")})
	ns = e.Notifications(nil)
	require.Len(t, ns, 1)
	assert.Equal(t, 0.0, ns[0].Value.Number)
	assert.True(t, ns[0].Value.Defined(), "undefined to 0 is a change")
	applyAll(t, e, []*event.Event{qEntered(at("09:00:02"), "c2")})
	assert.Empty(t, e.Notifications(nil), "0 of 2 is still 0")
	applyAll(t, e, []*event.Event{qAbandoned(at("09:00:09"), "c2", 7)})
	ns = e.Notifications(nil)
	require.Len(t, ns, 1)
	assert.Equal(t, 50.0, ns[0].Value.Number)
}

// TestFormulaSnapshot: a restored engine has the formulas bound to their inputs again.
func TestFormulaSnapshot(t *testing.T) {
	cfg := loadConfig(t, queueStatTypes+queueSections+`statistics:
  - {id: rate, statType: AbandonRate, object: {type: Queue, id: "Support@SW1"}}
  - {id: answer, statType: AnswerRate, object: {type: Queue, id: "Support@SW1"}}
`)
	e, err := New(cfg)
	require.NoError(t, err)
	applyAll(t, e, []*event.Event{qEntered(at("09:00:01"), "c1"), qEntered(at("09:00:02"), "c2"), qAbandoned(at("09:00:09"), "c2", 7)})
	var buf bytes.Buffer
	require.NoError(t, e.Snapshot(&buf))
	r, err := Restore(cfg, bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, 50.0, num(t, r, "rate"))
	assert.Equal(t, []*config.Statistic{cfg.Statistics[0], cfg.Statistics[1]}, r.Statistics())
	for _, x := range []*Engine{e, r} {
		applyAll(t, x, []*event.Event{qEntered(at("09:01:00"), "c3"), qDistributed(at("09:01:30"), "c3", 30)})
		assert.Equal(t, 100/3.0, num(t, x, "rate"))
		assert.Equal(t, 100/3.0, num(t, x, "answer"))
	}
	require.NoError(t, r.Close("rate"))
	require.NoError(t, r.Close("answer"))
	assert.Empty(t, r.order, "the restored readers are counted: closing both formulas closes every input")
}
