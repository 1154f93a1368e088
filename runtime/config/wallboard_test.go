package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
)

// boardBase is a small center with statistics for a board; a test appends its
// wallboards section (its first line is line 27).
const boardBase = `topology:
  dns: [{id: Q1, type: ACDQueue}, {id: Q2, type: ACDQueue}, {id: "7001", type: Extension, place: P1}]
  places: [{id: P1}]
  agents: [{id: "1001", name: Ann Lee}, {id: "1002"}]
  groups:
    agents: {Sales: ["1001"], Care: ["1002"]}
    queues: {All: [Q1, Q2]}
statTypes:
  Waiting: {objects: [Queue, GroupQueues], category: CurrentNumber, subject: DNAction, mainMask: [CallWait]}
  Entered: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  SL: {objects: [Queue, GroupQueues], category: ServiceFactor1, subject: DNAction, mainMask: [CallDistributed], relMask: [CallAbandoned]}
  Ready: {objects: [GroupAgents], category: CurrentNumber, subject: AgentStatus, mainMask: [WaitForNextCall]}
  Staffed: {objects: [GroupAgents], category: CurrentNumber, subject: DNAction, mainMask: [LoggedIn]}
  State: {objects: [Agent], category: CurrentState, subject: AgentStatus, mainMask: ["*"]}
timeProfiles:
  Q15: {type: Growing, period: 900}
statistics:
  - {id: q1.waiting, statType: Waiting, object: {type: Queue, id: Q1}}
  - {id: q2.waiting, statType: Waiting, object: {type: Queue, id: Q2}}
  - {id: q1.entered.15, statType: Entered, object: {type: Queue, id: Q1}, profile: Q15, notification: {mode: reset}}
  - {id: q1.entered, statType: Entered, object: {type: Queue, id: Q1}}
  - {id: all.sl, statType: SL, object: {type: GroupQueues, id: All}}
  - {id: sales.ready, statType: Ready, object: {type: GroupAgents, id: Sales}}
  - {id: sales.staffed, statType: Staffed, object: {type: GroupAgents, id: Sales}}
  - {id: ann, statType: State, object: {type: Agent, id: "1001"}}
  - {id: bo, statType: State, object: {type: Agent, id: "1002"}}
wallboards:
`

func TestWallboards(t *testing.T) {
	c := load(t, boardBase+`  Floor:
    title: Customer service
    headline:
      - {statistic: q1.waiting, label: Calls waiting, thresholds: {warn: 3, alarm: 6}}
      - {statistic: all.sl, unit: percent, thresholds: {warn: 80, alarm: 60, direction: below}}
      - {statistic: sales.ready, of: sales.staffed, label: Agents available}
      - {statistic: q1.entered, thresholds: {}}
    sections:
      - title: Queues
        columns:
          - {statType: Waiting, label: Waiting, thresholds: {alarm: 5}}
          - {statType: Ready, of: Staffed, label: Agents}
        rows:
          - {type: Queue, id: Q1, with: {GroupAgents: Sales}}
          - {type: Queue, id: Q2, label: Second}
      - columns: [{statType: Entered}]
        rows: [{type: Queue, id: Q1}]
    agents:
      statType: State
      groups: [Care]
      states:
        - {status: NotReadyForNextCall, reason: Lunch, thresholds: {warn: 2700, alarm: 3600}}
        - {status: [CallInbound, CallOnHold], thresholds: {warn: 480, alarm: 660}}
  Bare: {title: Nothing yet}
`)
	require.Len(t, c.Wallboards, 2)
	w, ok := c.Wallboard("Floor")
	require.True(t, ok)
	assert.Equal(t, "Customer service", w.Title)
	require.Len(t, w.Headline, 4)
	h := w.Headline
	assert.Equal(t, "Calls waiting", h[0].Label)
	assert.Equal(t, "q1.waiting", h[0].Statistic.ID)
	assert.Equal(t, category.UnitCount, h[0].Unit)
	assert.Equal(t, "warn", h[0].Thresholds.Level(4))
	assert.Equal(t, "ok", h[0].Thresholds.Level(3), "a value at a level has not crossed it")
	assert.Equal(t, "alarm", h[0].Thresholds.Level(7))
	assert.Nil(t, h[0].History, "q1.waiting has no recorded counterpart")
	assert.True(t, h[1].Thresholds.Below)
	assert.Equal(t, "alarm", h[1].Thresholds.Level(59.9))
	assert.Equal(t, "warn", h[1].Thresholds.Level(79))
	assert.Equal(t, "ok", h[1].Thresholds.Level(80))
	assert.Equal(t, "", h[1].Label, "no label: the client names it after the stat type")
	assert.Equal(t, "sales.staffed", h[2].Of.ID)
	assert.Nil(t, h[2].Thresholds, "no thresholds given: the client may guess")
	assert.True(t, h[3].Thresholds.Off(), "an empty mapping turns colouring off")
	assert.Equal(t, "", h[3].Thresholds.Level(1e9))
	require.NotNil(t, h[3].History, "q1.entered is recorded as q1.entered.15")
	assert.Equal(t, "q1.entered.15", h[3].History.ID)

	require.Len(t, w.Sections, 2)
	s := w.Sections[0]
	assert.Equal(t, "Queues", s.Title)
	require.Len(t, s.Columns, 2)
	require.Len(t, s.Rows, 2)
	r1, r2 := s.Rows[0], s.Rows[1]
	assert.Equal(t, "Q1", r1.Label)
	assert.Equal(t, []config.ObjectRef{{Type: object.TypeGroupAgents, ID: "Sales"}}, r1.With)
	require.Len(t, r1.Cells, 2)
	assert.Equal(t, "q1.waiting", r1.Cells[0].Statistic.ID)
	assert.Equal(t, "alarm", r1.Cells[0].Thresholds.Level(6))
	assert.Equal(t, "sales.ready", r1.Cells[1].Statistic.ID, "a column of agent groups reads the row's related group")
	assert.Equal(t, "sales.staffed", r1.Cells[1].Of.ID)
	assert.Equal(t, "Second", r2.Label)
	assert.Equal(t, "q2.waiting", r2.Cells[0].Statistic.ID)
	assert.Nil(t, r2.Cells[1], "Q2 names no agent group: the cell is blank")
	e := w.Sections[1].Rows[0].Cells[0]
	assert.Equal(t, "", w.Sections[1].Title)
	assert.Equal(t, "q1.entered", e.Statistic.ID, "the live statistic, not the recorded one")
	assert.Equal(t, "q1.entered.15", e.History.ID, "the recorded one is the cell's history")

	a := w.Agents
	require.NotNil(t, a)
	assert.Equal(t, []string{"Care"}, a.Groups)
	require.Len(t, a.Statistics, 2)
	assert.Equal(t, "ann", a.Statistics[0].ID)
	require.Len(t, a.States, 2)
	assert.Equal(t, []string{"NotReadyForNextCall"}, a.States[0].Statuses)
	assert.Equal(t, "Lunch", a.States[0].Reason)
	assert.Equal(t, []string{"CallInbound", "CallOnHold"}, a.States[1].Statuses)
	assert.Equal(t, "alarm", a.States[1].Thresholds.Level(661))

	b, _ := c.Wallboard("Bare")
	assert.Equal(t, "Nothing yet", b.Title)
	assert.Nil(t, b.Agents)
	_, ok = c.Wallboard("nope")
	assert.False(t, ok)
}

// A row's label defaults to the agent's name, and agents' groups to every agent group.
func TestWallboardDefaults(t *testing.T) {
	c := load(t, boardBase+`  B:
    sections:
      - columns: [{statType: Ready}]
        rows: [{type: GroupAgents, id: Sales}]
    agents: {}
`)
	w := c.Wallboards[0]
	assert.Equal(t, "B", w.Title)
	assert.Equal(t, "Sales", w.Sections[0].Rows[0].Label)
	assert.Equal(t, []string{"Sales", "Care"}, w.Agents.Groups)
	assert.Len(t, w.Agents.Statistics, 2, "every CurrentState statistic of an agent")
}

// posOf returns "c.yaml:LINE:COL" of the first occurrence of mark in board, which is
// appended to boardBase, and counts lines and columns from 1.
func posOf(t *testing.T, board, mark string) string {
	t.Helper()
	doc := boardBase + board
	i := strings.Index(board, mark)
	require.GreaterOrEqual(t, i, 0, "mark %q", mark)
	i += len(boardBase)
	line := strings.Count(doc[:i], "\n") + 1
	col := i - strings.LastIndex(doc[:i], "\n")
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}

func TestWallboardErrors(t *testing.T) {
	for _, tc := range []struct{ name, board, mark, want string }{
		{"unknown statistic", `  B:
    headline: [{statistic: q1.waitng}]`, "q1.waitng", `headline: unknown statistic "q1.waitng" (did you mean "q1.waiting"?)`},
		{"structured statistic", `  B:
    headline: [{statistic: ann}]`, "ann", `headline: statistic "ann" is a CurrentState, whose value is a structure, not a number: show agents' states under agents`},
		{"unknown of", `  B:
    headline: [{statistic: q1.waiting, of: sales.stafed}]`, "sales.stafed", `headline of: unknown statistic "sales.stafed" (did you mean "sales.staffed"?)`},
		{"history not recorded", `  B:
    headline: [{statistic: q1.waiting, history: q2.waiting}]`, "q2.waiting", `headline history: statistic "q2.waiting" is not recorded in history: its notification mode is changes, history records mode reset`},
		{"thresholds upside down", `  B:
    headline: [{statistic: all.sl, thresholds: {warn: 80, alarm: 60}}]`, "{warn", `thresholds: warn (80) is above alarm (60), so the value would turn red before amber; if lower values are worse, say direction: below`},
		{"thresholds below upside down", `  B:
    headline: [{statistic: all.sl, thresholds: {warn: 60, alarm: 80, direction: below}}]`, "{warn", `thresholds: with direction below, warn (60) must not be below alarm (80): the value turns amber first, then red as it falls`},
		{"direction alone", `  B:
    headline: [{statistic: all.sl, thresholds: {direction: below}}]`, "direction", `thresholds: a direction without warn or alarm colours nothing; give the levels, or leave thresholds empty to turn colouring off`},
		{"bad unit", `  B:
    headline: [{statistic: all.sl, unit: percents}]`, "percents", `wallboards.B.headline[0].unit: value must be one of "count", "percent", "ratio", "seconds"`},
		{"unknown column stat type", `  B:
    sections: [{columns: [{statType: Waitng}], rows: [{type: Queue, id: Q1}]}]`, "Waitng", `column: unknown stat type "Waitng" (did you mean "Waiting"?)`},
		{"structured column", `  B:
    sections: [{columns: [{statType: State}], rows: [{type: Queue, id: Q1}]}]`, "State", `column: stat type "State" is a CurrentState, whose value is a structure, not a number: show agents' states under agents`},
		{"missing statistic", `  B:
    sections:
      - columns: [{statType: Entered}]
        rows: [{type: Queue, id: Q2}]`, "{type: Queue, id: Q2}", `row Queue/Q2, column Entered: no statistic of stat type "Entered" on Queue "Q2" in statistics`},
		{"missing statistic of a profile", `  B:
    sections:
      - columns: [{statType: Waiting, profile: Q15}]
        rows: [{type: Queue, id: Q1}]`, "{type: Queue, id: Q1}", `row Queue/Q1, column Waiting: no statistic of stat type "Waiting" on Queue "Q1" in statistics with profile "Q15"`},
		{"missing of", `  B:
    sections:
      - columns: [{statType: Waiting, of: Entered, label: W}]
        rows: [{type: Queue, id: Q2}]`, "{statType: Waiting", `column "W": no statistic of stat type "Entered" (of) on Queue "Q2" in statistics`},
		{"row nothing applies to", `  B:
    sections:
      - columns: [{statType: Ready}]
        rows: [{type: Queue, id: Q1}]`, "{type: Queue", `row Queue/Q1: no column's stat type applies to it (give the related objects with with: {TYPE: ID})`},
		{"row not in topology", `  B:
    sections:
      - columns: [{statType: Waiting}]
        rows: [{type: Queue, id: Q9}]`, "Q9", `no Queue "Q9" in the topology`},
		{"with not in topology", `  B:
    sections:
      - columns: [{statType: Waiting}]
        rows: [{type: Queue, id: Q1, with: {GroupAgents: Sails}}]`, "Sails", `no GroupAgents "Sails" in the topology`},
		{"duplicate row", `  B:
    sections:
      - columns: [{statType: Waiting}]
        rows: [{type: Queue, id: Q1}, {type: Queue, id: "Q1"}]`, `{type: Queue, id: "Q1"}`, `duplicate row "Queue/Q1" (first at line `},
		{"unknown profile", `  B:
    sections:
      - columns: [{statType: Entered, profile: Q16}]
        rows: [{type: Queue, id: Q1}]`, "Q16", `column: unknown time profile "Q16" (did you mean "Q15"?)`},
		{"unknown group", `  B:
    agents: {groups: [Sale]}`, "Sale]", `agents: no agent group "Sale" in the topology (did you mean "Sales"?)`},
		{"agents stat type not a state", `  B:
    agents: {statType: Ready}`, "Ready", `agents: stat type "Ready" is a CurrentNumber; the agents' cards show a CurrentState`},
		{"unknown status", `  B:
    agents: {states: [{status: NotReadyForNexCall, thresholds: {warn: 1}}]}`, "NotReadyForNexCall", `agents: unknown status "NotReadyForNexCall" (did you mean "NotReadyForNextCall"?) (a status is the name of a durable agent-state or call action: WaitForNextCall, NotReadyForNextCall, AfterCallWork, CallInbound…)`},
		{"momentary status", `  B:
    agents: {states: [{status: [CallInbound, CallEntered], thresholds: {warn: 1}}]}`, "CallEntered", `agents: unknown status "CallEntered"`},
		{"state thresholds below", `  B:
    agents: {states: [{status: CallInbound, thresholds: {warn: 9, direction: below}}]}`, "{warn", `agents: a time in state is worse the longer it lasts; direction below does not apply`},
		{"unknown key", `  B:
    headline: [{statistic: q1.waiting, colour: red}]`, "colour", `wallboards.B.headline[0]: unknown field "colour"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := loadErrors(t, boardBase+tc.board+"\n", config.Options{})
			require.Len(t, errs, 1, "%q", errs)
			expect := posOf(t, tc.board, tc.mark) + ": " + tc.want
			assert.True(t, strings.HasPrefix(errs[0], expect), "got  %q\nwant %q", errs[0], expect)
		})
	}
}

// TestWallboardOverBrokenStatistic checks that a headline naming a statistic whose
// stat type did not resolve reports that one error, not a panic (found by FuzzLoad).
func TestWallboardOverBrokenStatistic(t *testing.T) {
	doc := strings.Replace(boardBase, "statistics:\n", "statistics:\n  - {id: broken, statType: Enterd, object: {type: Queue, id: Q1}}\n", 1) +
		"  B:\n    headline: [{statistic: broken, of: broken, history: broken}]\n"
	errs := loadErrors(t, doc, config.Options{})
	require.Len(t, errs, 1, "%q", errs)
	assert.Contains(t, errs[0], `unknown stat type "Enterd"`)
}
