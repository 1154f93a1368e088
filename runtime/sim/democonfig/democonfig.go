// Package democonfig builds the config of statkit's demo (`statkit serve --demo`): the
// simulated contact center of a sim.Config (its topology, stat types and statistics, as
// sim.WriteConfig writes them), plus the statistics of a contact center's wallboard —
// service level, abandon rate, speed of answer, occupancy, time in state — the wallboard
// "floor" that shows them, and a 15-minute interval report recorded in history. The
// server serves it while the simulator feeds the server its events (server.Feed).
package democonfig

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/sim"
)

// demoStatTypes, demoProfiles and demoRanges are what the demo adds to the stat types,
// time profiles and time ranges of sim.WriteConfig. The headline values (service level,
// abandon rate, speed of answer, agents available and staffed) are exported to /metrics.
const (
	demoStatTypes = `
ServiceLevel:
  objects: [Queue, GroupQueues]
  category: ServiceFactor1
  subject: DNAction
  mainMask: [CallDistributed]
  relMask: [CallAbandoned]
  description: Calls distributed within 20 s over calls distributed plus calls abandoned after 20 s, in percent.
  export: true
QueueCallsAnswered:
  objects: [Queue, GroupQueues]
  category: TotalNumber
  subject: DNAction
  mainMask: [CallAnswered]
  description: Calls answered by an agent today.
TimeInState:
  objects: [Agent]
  category: CurrentTime
  subject: AgentStatus
  mainMask: ["*"]
  description: Time the agent has been in its current state, in seconds.
AnswerTime:
  objects: [Queue, GroupQueues]
  category: TotalTime
  subject: DNAction
  mainMask: [CallAnswered]
  description: Time from entering the queue to being answered by an agent (ringing included), summed over the calls answered, in seconds.
AbandonRate:
  objects: [Queue, GroupQueues]
  category: Formula
  formula: 100 * CallsAbandoned / CallsEntered
  description: Calls abandoned over calls entered, in percent.
  export: true
SpeedOfAnswer:
  objects: [Queue, GroupQueues]
  category: Formula
  formula: AnswerTime / QueueCallsAnswered
  description: Average speed of answer, from entering the queue to being answered by an agent (ringing included), in seconds.
  export: true
AgentsAvailable:
  objects: [GroupAgents, Tenant]
  category: CurrentNumber
  subject: AgentStatus
  mainMask: [WaitForNextCall]
  description: Agents ready for a call and not on one.
  export: true
AgentsStaffed:
  objects: [GroupAgents, Tenant]
  category: CurrentNumber
  subject: DNAction
  mainMask: [LoggedIn]
  description: Agents logged in.
  export: true
BusyTime:
  objects: [GroupAgents, Tenant]
  category: TotalTime
  subject: AgentStatus
  mainMask: [CallRinging, CallInbound, CallOnHold, CallConsult, CallDialing, AfterCallWork]
  description: Time the agents spent on calls and in after-call work, in seconds.
AvailableTime:
  objects: [GroupAgents, Tenant]
  category: TotalTime
  subject: AgentStatus
  mainMask: [WaitForNextCall, CallRinging, CallInbound, CallOnHold, CallConsult, CallDialing, AfterCallWork]
  description: Time the agents were ready, on calls or in after-call work, in seconds.
Occupancy:
  objects: [GroupAgents, Tenant]
  category: Formula
  formula: 100 * BusyTime / AvailableTime
  description: Time on calls and in after-call work over the time available, in percent.
`
	demoProfiles = `
Last15: {type: Sliding, window: 900, step: 60}
Quarter: {type: Growing, period: 900}
`
	demoRanges = `
SL20: "0-20"
`
)

// Build returns the built-in wallboard config of the simulated contact center c:
// the topology, stat types and statistics of sim.WriteConfig — per queue and for all
// queues calls entered, distributed, abandoned, waiting, average and longest wait; per
// agent group agents ready, on a call, not ready, in after-call work, calls answered and
// average handle time (AverageTime of CallInbound); per agent its current state — plus
// per queue and for all queues the service level, abandon rate and average speed of
// answer of the last 15 minutes (Sliding profile Last15; the service level is
// ServiceFactor1, distributed within 20 s against abandoned after 20 s; the abandon rate
// 100 * CallsAbandoned / CallsEntered and the speed of answer AnswerTime /
// QueueCallsAnswered are Formula statistics) and calls answered; per agent group and
// for the whole center agents available and staffed, and occupancy over the last 15
// minutes (Formula 100 * BusyTime / AvailableTime); per agent the time in its current
// state. Its wallboard "floor" (demoBoard) shows them with thresholds that a center
// under the demo's load (sim.Demo) crosses within minutes. Per queue and for all queues
// it records a 15-minute interval report in history (report Queues15: calls entered,
// answered, abandoned, service level and average wait of the calls distributed, profile
// Quarter, notification mode reset), which the board's Entered and Service level cells
// draw as bar charts.
func Build(c sim.Config) (*config.Config, error) {
	cfg, _, err := BuildText(c)
	return cfg, err
}

// BuildText is Build, with the config's text (for server.Options.ConfigText, so
// that a demo's data directory can be replayed from its log).
func BuildText(c sim.Config) (*config.Config, []byte, error) {
	var buf bytes.Buffer
	if err := sim.WriteConfig(&buf, c); err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	for _, sec := range []struct{ key, yaml string }{
		{"statTypes", demoStatTypes}, {"timeProfiles", demoProfiles}, {"timeRanges", demoRanges},
	} {
		if err := mergeMapping(&doc, sec.key, sec.yaml); err != nil {
			return nil, nil, fmt.Errorf("demo config: %w", err)
		}
	}
	stats := mapValue(&doc, "statistics")
	if stats == nil || stats.Kind != yaml.SequenceNode {
		return nil, nil, errors.New("demo config: sim.WriteConfig wrote no statistics")
	}
	t := sim.Topology(c)
	add := func(id, statType string, typ object.Type, objID string, more ...string) {
		stats.Content = append(stats.Content, statisticNode(id, statType, typ.String(), objID, more...))
	}
	var report strings.Builder // the 15-minute interval report, recorded in history
	report.WriteString("Queues15:\n  title: Queues, every 15 minutes\n  rows:\n")
	queueStats := func(typ object.Type, id string) {
		add(id+".ServiceLevel", "ServiceLevel", typ, id, "profile", "Last15", "timeRange", "SL20")
		add(id+".CallsAnswered", "QueueCallsAnswered", typ, id)
		add(id+".AbandonRate", "AbandonRate", typ, id, "profile", "Last15")
		add(id+".SpeedOfAnswer", "SpeedOfAnswer", typ, id, "profile", "Last15")
		reset := func(name, statType string, more ...string) {
			n := statisticNode(id+"."+name+".15m", statType, typ.String(), id, append([]string{"profile", "Quarter"}, more...)...)
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "notification"},
				&yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{
					{Kind: yaml.ScalarNode, Tag: "!!str", Value: "mode"}, {Kind: yaml.ScalarNode, Tag: "!!str", Value: "reset"}}})
			stats.Content = append(stats.Content, n)
		}
		reset("Offered", "CallsEntered")
		reset("Answered", "QueueCallsAnswered")
		reset("Abandoned", "CallsAbandoned")
		reset("ServiceLevel", "ServiceLevel", "timeRange", "SL20")
		reset("ASA", "AverageWait") // (a Formula, SpeedOfAnswer, cannot be recorded)
		fmt.Fprintf(&report, "    - {label: %[1]q, offered: \"%[1]s.Offered.15m\", answered: \"%[1]s.Answered.15m\", abandoned: \"%[1]s.Abandoned.15m\", serviceLevel: \"%[1]s.ServiceLevel.15m\", averageSpeedOfAnswer: \"%[1]s.ASA.15m\"}\n", id)
	}
	for _, d := range t.DNs {
		if d.Type.ObjectType() == object.TypeQueue {
			queueStats(object.TypeQueue, d.ID)
		}
	}
	for _, g := range t.QueueGroups {
		queueStats(object.TypeGroupQueues, g.ID)
	}
	agentStats := func(typ object.Type, id string) {
		add(id+".AgentsAvailable", "AgentsAvailable", typ, id)
		add(id+".AgentsStaffed", "AgentsStaffed", typ, id)
		add(id+".Occupancy", "Occupancy", typ, id, "profile", "Last15")
	}
	for _, g := range t.AgentGroups {
		agentStats(object.TypeGroupAgents, g.ID)
	}
	agentStats(object.TypeTenant, t.Tenant)
	for _, a := range t.Agents {
		add("Agent"+a.ID+".TimeInState", "TimeInState", object.TypeAgent, a.ID)
	}
	if err := mergeMapping(&doc, "wallboards", demoBoard(c, t)); err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	if err := mergeMapping(&doc, "reports", report.String()); err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	cfg, err := config.LoadWith("demo.yaml", bytes.NewReader(out), machine.LoadOptions)
	if err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	return cfg, out, nil
}

// demoBoard is the demo's wallboard "floor", as YAML: the headline strip over all queues
// and agents, a table of the queues (each with the agent group that serves it), a table
// of the agent groups, and the agents' states. Its thresholds scale with the center.
func demoBoard(c sim.Config, t config.Topology) string {
	c = c.WithDefaults()
	var b strings.Builder
	all := sim.AllQueuesGroup
	q := func(s string) string { return strconv.Quote(s) }
	fmt.Fprintf(&b, `floor:
  title: Contact center
  headline:
    - {statistic: %s, label: Calls waiting, thresholds: {warn: %d, alarm: %d}}
    - {statistic: %s, label: Oldest wait, thresholds: {warn: 45, alarm: 90}}
    - {statistic: %s, label: Service level, thresholds: {warn: 80, alarm: 70, direction: below}}
    - {statistic: %s, label: Abandoned, unit: percent, thresholds: {warn: 5, alarm: 10}}
    - {statistic: %s, label: Avg speed of answer, unit: seconds, thresholds: {warn: 15, alarm: 30}}
    - {statistic: %s, of: %s, label: Agents available, thresholds: {}}
  sections:
    - title: Queues
      columns:
        - {statType: CallsWaiting, label: Waiting, thresholds: {warn: 2, alarm: 4}}
        - {statType: LongestWaiting, label: Oldest, thresholds: {warn: 45, alarm: 90}}
        - {statType: ServiceLevel, label: Service level, thresholds: {warn: 80, alarm: 70, direction: below}}
        - {statType: AbandonRate, label: Abandoned, unit: percent, thresholds: {warn: 5, alarm: 10}}
        - {statType: SpeedOfAnswer, label: ASA, unit: seconds, thresholds: {warn: 15, alarm: 30}}
        - {statType: CallsEntered, label: Entered, thresholds: {}}
        - {statType: AgentsAvailable, of: AgentsStaffed, label: Agents, thresholds: {}}
      rows:
`, q(all+".CallsWaiting"), c.Queues, 2*c.Queues, q(all+".LongestWaiting"), q(all+".ServiceLevel"), q(all+".AbandonRate"),
		q(all+".SpeedOfAnswer"), q(t.Tenant+".AgentsAvailable"), q(t.Tenant+".AgentsStaffed"))
	for _, d := range t.DNs {
		if d.Type.ObjectType() != object.TypeQueue {
			continue
		}
		fmt.Fprintf(&b, "        - {type: Queue, id: %s", q(d.ID))
		for _, g := range t.AgentGroups {
			if sim.Serves(c, g.ID, d.ID) {
				fmt.Fprintf(&b, ", with: {GroupAgents: %s}", q(g.ID))
				break
			}
		}
		b.WriteString("}\n")
	}
	b.WriteString(`    - title: Agent groups
      columns:
        - {statType: AgentsAvailable, label: Ready}
        - {statType: AgentsOnCall, label: On a call}
        - {statType: AgentsInACW, label: After-call work}
        - {statType: AgentsNotReady, label: Not ready}
        - {statType: CallsAnswered, label: Answered}
        - {statType: AverageTalkTime, label: Avg talk time, thresholds: {warn: 300, alarm: 360}}
        - {statType: Occupancy, label: Occupancy, unit: percent, thresholds: {warn: 90, alarm: 95}}
      rows:
`)
	for _, g := range t.AgentGroups {
		fmt.Fprintf(&b, "        - {type: GroupAgents, id: %s}\n", q(g.ID))
	}
	b.WriteString(`  agents:
    statType: AgentState
    states:
      - {status: NotReadyForNextCall, reason: Lunch, thresholds: {warn: 1800, alarm: 2400}}
      - {status: NotReadyForNextCall, reason: Training, thresholds: {warn: 1200, alarm: 1500}}
      - {status: NotReadyForNextCall, thresholds: {warn: 240, alarm: 600}}
      - {status: [CallInbound, CallOnHold, CallConsult, CallDialing], thresholds: {warn: 480, alarm: 660}}
      - {status: AfterCallWork, thresholds: {warn: 60, alarm: 120}}
      - {status: CallRinging, thresholds: {warn: 15, alarm: 30}}
`)
	return b.String()
}

// mergeMapping adds the entries of the YAML mapping text to the top-level mapping key
// of doc, creating it when absent.
func mergeMapping(doc *yaml.Node, key, text string) error {
	var extra yaml.Node
	if err := yaml.Unmarshal([]byte(text), &extra); err != nil {
		return err
	}
	m := mapValue(doc, key)
	if m == nil {
		root := doc.Content[0]
		m = &yaml.Node{Kind: yaml.MappingNode}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, m)
	}
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("%s is not a mapping", key)
	}
	m.Content = append(m.Content, extra.Content[0].Content...)
	return nil
}

// mapValue returns the value of key in the top-level mapping of doc, or nil.
func mapValue(doc *yaml.Node, key string) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// statisticNode builds {id, statType, object: {type, id}, more…} as a YAML flow mapping;
// more are key, value pairs.
func statisticNode(id, statType, typ, objID string, more ...string) *yaml.Node {
	str := func(s string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
	}
	key := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	obj := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle,
		Content: []*yaml.Node{key("type"), str(typ), key("id"), str(objID)}}
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle,
		Content: []*yaml.Node{key("id"), str(id), key("statType"), str(statType), key("object"), obj}}
	for i := 0; i+1 < len(more); i += 2 {
		n.Content = append(n.Content, key(more[i]), str(more[i+1]))
	}
	return n
}
