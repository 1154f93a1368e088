package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
)

// want is an expected error: its message and the text it points at. The error's line:col
// is that of the nth occurrence (from 0) of anchor in the document.
type want struct {
	anchor string
	nth    int
	msg    string
}

// at expects msg at the first occurrence of anchor.
func at(anchor, msg string) want { return want{anchor: anchor, msg: msg} }

// atN expects msg at occurrence nth (from 0) of anchor.
func atN(anchor string, nth int, msg string) want { return want{anchor: anchor, nth: nth, msg: msg} }

// render turns wants into "c.yaml:LINE:COL: msg" strings for doc.
func render(t *testing.T, doc string, ws []want) []string {
	t.Helper()
	out := make([]string, len(ws))
	for i, w := range ws {
		off := -1
		for k := 0; k <= w.nth; k++ {
			next := strings.Index(doc[off+1:], w.anchor)
			require.GreaterOrEqual(t, next, 0, "anchor %q #%d not in the document", w.anchor, w.nth)
			off += 1 + next
		}
		line := strings.Count(doc[:off], "\n") + 1
		col := off - strings.LastIndex(doc[:off], "\n")
		out[i] = fmt.Sprintf("%s:%d:%d: %s", file, line, col, w.msg)
	}
	return out
}

// ruleCase is a document breaking one rule and the errors it must give.
type ruleCase struct {
	name string
	doc  string
	want []want
}

// checkRules runs each case as a subtest.
func checkRules(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, render(t, tc.doc, tc.want), loadErrors(t, tc.doc, config.Options{}))
		})
	}
}

func TestTopologyRules(t *testing.T) {
	checkRules(t, []ruleCase{
		{"duplicate DN id", `topology:
  dns:
    - {id: "7001", type: Extension}
    - {id: 7001, type: Extension}
`, []want{at(`7001,`, `duplicate DN id "7001" (first at line 3)`)}},
		{"duplicate place id", `topology:
  places: [{id: P1}, {id: P1}]
`, []want{atN(`P1`, 1, `duplicate place id "P1" (first at line 2)`)}},
		{"duplicate agent id", `topology:
  agents: [{id: "1"}, {id: "1"}]
`, []want{atN(`"1"`, 1, `duplicate agent id "1" (first at line 2)`)}},
		{"duplicate staging area id", `topology:
  stagingAreas: [{id: S}, {id: S}]
`, []want{atN(`S}`, 1, `duplicate staging area id "S" (first at line 2)`)}},
		{"duplicate tenant", `topology:
  tenants: [acme, acme]
`, []want{atN(`acme`, 1, `duplicate tenant "acme" (first at line 2)`)}},
		{"unknown DN type", `topology:
  dns: [{id: "7001", type: Phone}]
`, []want{at(`Phone`, `unknown DN type "Phone" (known: Extension, ACDPosition, VoIP, Chat, Email, ACDQueue, VirtualQueue, RoutingPoint)`)}},
		{"unknown place of a DN", `topology:
  dns: [{id: "7001", type: Extension, place: P9}]
`, []want{at(`P9`, `unknown place "P9"`)}},
		{"place of a mediation DN", `topology:
  places: [{id: P1}]
  dns: [{id: "Q@SW1", type: ACDQueue, place: P1}]
`, []want{atN(`P1`, 1, `DN "Q@SW1" (ACDQueue) is a mediation DN; only regular DNs belong to places`)}},
		{"place in another tenant", `topology:
  tenants: [acme]
  places: [{id: P1, tenant: acme}]
  dns: [{id: "7001", type: Extension, place: P1}]
`, []want{atN(`P1`, 1, `place "P1" is in tenant "acme", DN "7001" in tenant "default"`)}},
		{"undeclared tenant", `topology:
  agents: [{id: "1001", tenant: acme}]
`, []want{at(`acme`, `unknown tenant "acme" (declare it in topology.tenants)`)}},
		{"agent id is a place id", `topology:
  places: [{id: "1001"}]
  agents: [{id: "1001"}]
`, []want{atN(`"1001"`, 1, `agent id "1001" is also a place id; media channel events could not tell them apart`)}},
		{"workbin id is an agent id", `topology:
  agents: [{id: "1001"}]
  workbins: [{id: "1001"}]
`, []want{atN(`"1001"`, 1, `workbin id "1001" is also an agent id; agent workbin events could not tell them apart`)}},
		{"unknown agent in a group", `topology:
  groups: {agents: {Sales: ["1009"]}}
`, []want{at(`"1009"`, `unknown agent "1009" in agent group "Sales"`)}},
		{"unknown place in a group", `topology:
  groups: {places: {Floor: [P9]}}
`, []want{at(`P9`, `unknown place "P9" in place group "Floor"`)}},
		{"unknown queue in a group", `topology:
  groups: {queues: {All: ["Q@SW9"]}}
`, []want{at(`"Q@SW9"`, `unknown queue or routing point "Q@SW9" in queue group "All"`)}},
		{"regular DN in a queue group", `topology:
  dns: [{id: "7001", type: Extension}]
  groups: {queues: {All: ["7001"]}}
`, []want{atN(`"7001"`, 1, `DN "7001" (Extension) in queue group "All" is not a queue or routing point`)}},
		{"duplicate group member", `topology:
  agents: [{id: "1001"}]
  groups: {agents: {Sales: ["1001", "1001"]}}
`, []want{atN(`"1001"`, 2, `duplicate member "1001" (first at line 3)`)}},
		{"member of another tenant", `topology:
  tenants: [acme]
  agents: [{id: "1001", tenant: acme}]
  groups: {agents: {Sales: ["1001"]}}
`, []want{atN(`"1001"`, 1, `member "1001" is in tenant "acme", group "Sales" in tenant "default"`)}},
		{"group tenant", `topology:
  tenants: [acme]
  agents: [{id: "1001"}]
  groups: {agents: {Sales: {tenant: acme, members: ["1001"]}}}
`, []want{atN(`"1001"`, 1, `member "1001" is in tenant "default", group "Sales" in tenant "acme"`)}},
	})
}

func TestStatTypeRules(t *testing.T) {
	checkRules(t, []ruleCase{
		{"unknown object type", `statTypes:
  T: {objects: [Queue, Switch], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
`, []want{at(`Switch`, `unknown object type "Switch" (known: RegDN, Place, Agent, GroupPlaces, GroupAgents, Queue, RoutePoint, GroupQueues, StagingArea, Workbin, Tenant)`)}},
		{"duplicate object type", `statTypes:
  T: {objects: [Queue, Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
`, []want{atN(`Queue`, 1, `duplicate object type Queue`)}},
		{"objects from two compatibility groups", `statTypes:
  T: {objects: [Queue, Agent], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
`, []want{at(`[Queue`, `objects Agent, Queue are from no common compatibility group (RegularDN: RegDN, Place, Agent, GroupPlaces, GroupAgents, Workbin, Tenant; MediationDN: Queue, RoutePoint, GroupQueues, Tenant; Multimedia: StagingArea, Tenant)`)}},
		{"unknown category", `statTypes:
  T: {objects: [Queue], category: TotalCount, subject: DNAction, mainMask: [CallDistributed]}
`, []want{at(`TotalCount`, `unknown category "TotalCount"`)}},
		{"replaced category", `statTypes:
  T: {objects: [Queue], category: JavaCategory, subject: DNAction, mainMask: [CallDistributed]}
`, []want{at(`JavaCategory`, `category JavaCategory ran Stat Server Java extensions, which statkit replaces: use Formula for a value computed from other statistics, or a CustomValue category for one computed from the actions' data (see docs/categories.md)`)}},
		{"unknown subject", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: QueueAction, mainMask: [CallDistributed]}
`, []want{at(`QueueAction`, `unknown subject "QueueAction"`)}},
		{"subject not applicable to an object type", `statTypes:
  T: {objects: [Agent, Place], category: CurrentNumber, subject: AgentStatus, mainMask: [WaitForNextCall]}
`, []want{at(`Place`, `subject AgentStatus does not apply to Place (it applies to Agent, GroupAgents, Tenant)`)}},
		{"subject applying to nothing", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: CampaignAction, mainMask: [CallDistributed]}
`, []want{at(`CampaignAction`, `subject CampaignAction applies to no statkit object type`)}},
		{"unknown mask action", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed, CallTeleported]}
`, []want{at(`CallTeleported`, `mainMask: unknown action "CallTeleported"`)}},
		{"unknown variant", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: ["CallAnswered (Satellites)"]}
`, []want{at(`"CallAnswered`, `mainMask: unknown action "CallAnswered (Satellites)"`)}},
		{"mask action never reaches the objects", `statTypes:
  T: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed, WaitForNextCall]}
`, []want{at(`WaitForNextCall`, `mainMask: action "WaitForNextCall" never reaches Queue, GroupQueues (it reaches RegDN, Place, Agent, GroupPlaces, GroupAgents, Tenant)`)}},
		{"relMask action never reaches the objects", `statTypes:
  T: {objects: [Queue], category: ServiceFactor1, subject: DNAction, mainMask: [CallDistributed], relMask: [LoggedIn]}
`, []want{at(`LoggedIn`, `relMask: action "LoggedIn" never reaches Queue (it reaches RegDN, Place, Agent, GroupPlaces, GroupAgents, Tenant)`)}},
		{"exclusion never reaches the objects", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: ["*", "~LoggedIn"]}
`, []want{at(`"~LoggedIn"`, `mainMask: action "LoggedIn" never reaches Queue (it reaches RegDN, Place, Agent, GroupPlaces, GroupAgents, Tenant)`)}},
		{"unknown exclusion", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: ["*", "~Nope"]}
`, []want{at(`"~Nope"`, `mainMask: unknown action "Nope"`)}},
		{"exclusion of everything", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed, "~*"]}
`, []want{at(`"~*"`, `mainMask: ~* would exclude every action; leave the mask out instead`)}},
		{"exclusion of nothing included", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed, "~CallAbandoned"]}
`, []want{at(`"~CallAbandoned"`, `mainMask: "~CallAbandoned" excludes nothing that the inclusions select`)}},
		{"exclusions apply after inclusions", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: ["~CallAbandoned", CallAbandoned]}
`, []want{at(`["~CallAbandoned"`, `mainMask selects no action`)}},
		{"duplicate mask entry", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed, CallDistributed]}
`, []want{atN(`CallDistributed`, 1, `duplicate mainMask entry "CallDistributed" (first at line 2)`)}},
		{"momentary action for a status subject", `statTypes:
  T: {objects: [Agent], category: CurrentNumber, subject: AgentStatus, mainMask: [WaitForNextCall, CallAnswered]}
`, []want{at(`CallAnswered`, `mainMask: action "CallAnswered" is not durable; subject AgentStatus counts statuses, which are durable actions`)}},
		{"relMask for a category without one", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed], relMask: [CallAbandoned]}
`, []want{at(`relMask`, `category TotalNumber does not use a relMask`)}},
		{"relMask missing", `statTypes:
  T: {objects: [Queue], category: RelativeNumberPercentage, subject: DNAction, mainMask: [CallAbandoned]}
`, []want{at(`T:`, `stat type "T": category RelativeNumberPercentage needs a relMask`)}},
		{"formula missing", `statTypes:
  T: {objects: [Queue], category: TotalCustomValue, subject: DNAction, mainMask: [CallDistributed]}
`, []want{at(`T:`, `stat type "T": category TotalCustomValue needs a formula`)}},
		{"formula not used", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed], formula: "data.Amount"}
`, []want{at(`formula`, `category TotalNumber does not use a formula`)}},
		{"custom value on a status subject", `statTypes:
  T: {objects: [Agent], category: CurrentCustomValue, subject: AgentStatus, mainMask: [WaitForNextCall], formula: "data.Score"}
`, []want{at(`AgentStatus`, `category CurrentCustomValue takes the DNAction subject, not AgentStatus`)}},
	})
}

func TestProfileRangeFilterRules(t *testing.T) {
	checkRules(t, []ruleCase{
		{"key of another profile type", `timeProfiles:
  P: {type: Sliding, window: 60, step: 10, timezone: UTC}
`, []want{at(`timezone`, `timezone does not apply to Sliding profiles`)}},
		{"bad reset time", `timeProfiles:
  P: {type: Growing, reset: ["24:00", "8:00"]}
`, []want{at(`"24:00"`, `reset time "24:00" is not HH:MM (00:00 to 23:59)`), at(`"8:00"`, `reset time "8:00" is not HH:MM (00:00 to 23:59)`)}},
		{"duplicate reset time", `timeProfiles:
  P: {type: Growing, reset: ["08:00", "08:00"]}
`, []want{atN(`"08:00"`, 1, `duplicate reset time "08:00" (first at line 2)`)}},
		{"unknown timezone", `timeProfiles:
  P: {type: Growing, timezone: Europe/Atlantis}
`, []want{at(`Europe/Atlantis`, `unknown timezone "Europe/Atlantis" (want an IANA name such as Europe/Paris)`)}},
		{"Local timezone", `timeProfiles:
  P: {type: Growing, timezone: Local}
`, []want{at(`Local`, `timezone must be an IANA name such as Europe/Paris, not Local`)}},
		{"period out of range", `timeProfiles:
  P: {type: Growing, period: 90000}
`, []want{at(`90000`, `period must be between 1 and 86400, not 90000`)}},
		{"Sliding without step", `timeProfiles:
  P: {type: Sliding, window: 60}
`, []want{at(`P:`, `Sliding profile "P" needs a window and a step`)}},
		{"Sliding window not a multiple of the step", `timeProfiles:
  P: {type: Sliding, window: 100, step: 60}
`, []want{at(`100`, `window 100 is not a multiple of step 60`)}},
		{"Sliding with too many buckets", `timeProfiles:
  P: {type: Sliding, window: 86400, step: 1}
`, []want{at(`86400`, `window 86400 / step 1 is 86400 buckets; at most 10000 are allowed`)}},
		{"Sliding window of zero", `timeProfiles:
  P: {type: Sliding, window: 0, step: 60}
`, []want{at(`0,`, `window must be between 1 and 31622400, not 0`)}},
		{"Selection count too large", `timeProfiles:
  P: {type: Selection, count: 100001}
`, []want{at(`100001`, `count must be between 1 and 100000, not 100001`)}},
		{"Selection without count", `timeProfiles:
  P: {type: Selection}
`, []want{at(`P:`, `Selection profile "P" needs a count`)}},
		{"time range syntax", `timeRanges:
  R: "20"
`, []want{at(`"20"`, `time range "R": "20" is not lo-hi in seconds, e.g. 0-20`)}},
		{"time range lo above hi", `timeRanges:
  R: "30-20"
`, []want{at(`"30-20"`, `time range "R": lower bound 30 is above upper bound 20`)}},
		{"time range negative", `timeRanges:
  R: "-5-20"
`, []want{at(`"-5-20"`, `time range "R": lower bound: "" is not a number of seconds with at most three decimals`)}},
		{"time range precision", `timeRanges:
  R: "0-20.0001"
`, []want{at(`"0-20.0001"`, `time range "R": upper bound: "20.0001" is not a number of seconds with at most three decimals`)}},
		{"empty filter", `filters:
  F: "  "
`, []want{at(`"  "`, `filter "F" is empty`)}},
	})
}

// statDoc is a small valid config that statistics cases append their entries to.
const statDoc = `topology:
  tenants: [acme]
  dns: [{id: "7001", type: Extension}, {id: "Q@SW1", type: ACDQueue}]
  agents: [{id: "1001"}]
statTypes:
  Answered: {objects: [Queue, Tenant], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
  Waiting: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [CallWait]}
  InRange: {objects: [Queue], category: TotalNumberInTimeRange, subject: DNAction, mainMask: [CallDistributed]}
timeProfiles: {Login: {type: SinceLogin}, Last: {type: Sliding, window: 60, step: 10}}
timeRanges: {R: "0-20"}
statistics:
`

func TestStatisticRules(t *testing.T) {
	checkRules(t, []ruleCase{
		{"unknown stat type", statDoc + `  - {id: s, statType: Nope, object: {type: Queue, id: "Q@SW1"}}
`, []want{at(`Nope`, `unknown stat type "Nope"`)}},
		{"unknown object type", statDoc + `  - {id: s, statType: Answered, object: {type: Switch, id: "SW1"}}
`, []want{at(`Switch`, `unknown object type "Switch"`)}},
		{"object type not in the stat type", statDoc + `  - {id: s, statType: Waiting, object: {type: Tenant, id: default}}
`, []want{atN(`Tenant`, 1, `stat type "Waiting" is for Queue, not Tenant`)}},
		{"object missing from the topology", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW9"}}
`, []want{at(`"Q@SW9"`, `no Queue "Q@SW9" in the topology`)}},
		{"DN of another object type", statDoc + `  - {id: s, statType: InRange, object: {type: Queue, id: "7001"}}
`, []want{atN(`"7001"`, 1, `DN "7001" (Extension) is a RegDN object, not a Queue`)}},
		{"unknown tenant", statDoc + `  - {id: s, statType: Answered, object: {type: Tenant, id: other}}
`, []want{at(`other`, `no Tenant "other" in the topology`)}},
		{"unknown profile", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}, profile: Today}
`, []want{at(`Today`, `unknown time profile "Today"`)}},
		{"SinceLogin on a queue", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}, profile: Login}
`, []want{atN(`Login`, 2, `SinceLogin profile "Login" applies only to Agent objects, not Queue`)}},
		{"unknown time range", statDoc + `  - {id: s, statType: InRange, object: {type: Queue, id: "Q@SW1"}, timeRange: SL}
`, []want{at(`SL}`, `unknown time range "SL"`)}},
		{"time range on a category without one", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}, timeRange: R}
`, []want{at(`R}`, `category TotalNumber takes no time range`)}},
		{"unknown filter", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}, filter: Gold}
`, []want{at(`Gold`, `unknown filter "Gold"`)}},
		{"duplicate statistic id", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}}
  - {id: s, statType: Waiting, object: {type: Queue, id: "Q@SW1"}}
`, []want{atN(`s,`, 1, `duplicate statistic id "s" (first at line 12)`)}},
		{"insensitivity without changes", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}, notification: {mode: none, insensitivity: 5}}
`, []want{at(`5}`, `insensitivity applies only to mode changes`)}},
		{"period without periodical", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}, notification: {period: 5}}
`, []want{at(`5}`, `period applies only to mode periodical`)}},
		{"periodical without period", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}, notification: {mode: periodical}}
`, []want{at(`periodical`, `mode periodical needs a period`)}},
		{"period of zero", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}, notification: {mode: periodical, period: 0}}
`, []want{atN(`0}}`, 1, `period must be whole seconds between 1 and 31622400`)}},
		{"reset on a Sliding profile", statDoc + `  - {id: s, statType: Answered, object: {type: Queue, id: "Q@SW1"}, profile: Last, notification: {mode: reset}}
`, []want{at(`reset}`, `mode reset needs a Growing profile; "Last" is Sliding`)}},
		{"reset on a current category", statDoc + `  - {id: s, statType: Waiting, object: {type: Queue, id: "Q@SW1"}, notification: {mode: reset}}
`, []want{at(`reset}`, `mode reset applies only to historical categories, not CurrentNumber`)}},
	})
}

func TestSchemaRules(t *testing.T) {
	checkRules(t, []ruleCase{
		{"unknown top-level key", `statistic: []
`, []want{at(`statistic`, `unknown field "statistic"`)}},
		{"missing required field", `statTypes:
  T: {objects: [Queue], category: TotalNumber, subject: DNAction}
`, []want{at(`{objects`, `statTypes.T: missing properties: 'mainMask'`)}},
		{"wrong type", `timeProfiles:
  P: {type: Sliding, window: "1m", step: 10}
`, []want{at(`"1m"`, `timeProfiles.P.window: expected integer, but got string`)}},
		{"unknown profile type", `timeProfiles:
  P: {type: Hopping}
`, []want{at(`Hopping`, `timeProfiles.P.type: value must be one of "Growing", "Sliding", "Selection", "SinceLogin"`)}},
		{"syntax error", `statistics: [
]]
`, []want{at(`]]`, `did not find expected key`)}},
	})
}

// TestCompileExpressions: Load compiles filters and custom-value formulas, with the
// position of the expression and of the problem in it; LoadNoCompile does not.
func TestCompileExpressions(t *testing.T) {
	doc := `filters: {Gold: 'Segment ==== "Gold"', Ok: 'true'}
statTypes:
  Sum: {objects: [Queue], category: TotalCustomValue, subject: DNAction, mainMask: [CallDistributed], formula: "data.Amount +"}
`
	assert.Equal(t, render(t, doc, []want{
		at(`'Segment`, `filter "Gold": unexpected token Operator("==") (column 11 of the expression)`),
		at(`"data.Amount`, `formula: unexpected token EOF (column 13 of the expression)`),
	}), loadErrors(t, doc, config.Options{}))
	c, err := config.LoadNoCompile(file, strings.NewReader(doc))
	require.NoError(t, err)
	f, _ := c.Filter("Gold")
	assert.Equal(t, `Segment ==== "Gold"`, f.Expr, "kept as written")
}
