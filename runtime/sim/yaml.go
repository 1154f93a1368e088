package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
)

// statTypesYAML are the stat types WriteConfig adds to the topology: queue, group and
// agent statistics a wallboard shows.
const statTypesYAML = `statTypes:
  CallsEntered:
    objects: [Queue, GroupQueues]
    category: TotalNumber
    subject: DNAction
    mainMask: [CallEntered]
    description: Calls that entered the queue.
  CallsDistributed:
    objects: [Queue, GroupQueues]
    category: TotalNumber
    subject: DNAction
    mainMask: [CallDistributed]
    description: Calls distributed from the queue to an agent.
  CallsAbandoned:
    objects: [Queue, GroupQueues]
    category: TotalNumber
    subject: DNAction
    mainMask: [CallAbandoned]
    description: Calls abandoned while waiting in the queue.
  AverageWait:
    objects: [Queue, GroupQueues]
    category: AverageTime
    subject: DNAction
    mainMask: [CallDistributed]
    description: Average wait of the calls distributed, in seconds.
  CallsWaiting:
    objects: [Queue, GroupQueues]
    category: CurrentNumber
    subject: DNAction
    mainMask: [CallWait]
    description: Calls waiting in the queue now.
  LongestWaiting:
    objects: [Queue, GroupQueues]
    category: CurrentMaxTime
    subject: DNAction
    mainMask: [CallWait]
    description: Wait so far of the oldest call waiting now, in seconds.
  AgentsReady:
    objects: [GroupAgents]
    category: CurrentNumber
    subject: AgentStatus
    mainMask: [WaitForNextCall]
    description: Agents ready and not on a call.
  AgentsOnCall:
    objects: [GroupAgents]
    category: CurrentNumber
    subject: AgentStatus
    mainMask: [CallRinging, CallInbound, CallOnHold, CallConsult]
    description: Agents with a call ringing, connected or on hold.
  AgentsNotReady:
    objects: [GroupAgents]
    category: CurrentNumber
    subject: AgentStatus
    mainMask: [NotReadyForNextCall]
    description: Agents not ready.
  AgentsInACW:
    objects: [GroupAgents]
    category: CurrentNumber
    subject: AgentStatus
    mainMask: [AfterCallWork]
    description: Agents in after-call work.
  CallsAnswered:
    objects: [Agent, GroupAgents]
    category: TotalNumber
    subject: DNAction
    mainMask: [CallAnswered]
    description: Calls answered.
  AverageTalkTime:
    objects: [Agent, GroupAgents]
    category: AverageTime
    subject: DNAction
    mainMask: [CallInbound]
    description: Average connected time of the inbound calls, in seconds.
  AgentState:
    objects: [Agent]
    category: CurrentState
    subject: AgentStatus
    mainMask: ["*"]
    description: The agent's current state.
`

// WriteConfig writes a statkit YAML config for the simulation of cfg (defaults applied):
// the topology of Topology(cfg) and statistics over it — per queue and for all queues:
// calls entered, distributed, abandoned, waiting, average and longest wait; per agent
// group: agents ready, on a call, not ready, in after-call work, calls answered and
// average talk time; per agent: its current state. All use the Default profile.
func WriteConfig(w io.Writer, cfg Config) error {
	t := Topology(cfg)
	bw := bufio.NewWriter(w)
	writeTopology(bw, &t)
	bw.WriteString(statTypesYAML)
	bw.WriteString("statistics:\n")
	stat := func(id, statType, objType, objID string) {
		fmt.Fprintf(bw, "  - {id: %s, statType: %s, object: {type: %s, id: %s}}\n", q(id), statType, objType, q(objID))
	}
	queueStats := []string{"CallsEntered", "CallsDistributed", "CallsAbandoned", "AverageWait", "CallsWaiting", "LongestWaiting"}
	for _, d := range t.DNs {
		if d.Type == object.DNACDQueue {
			for _, st := range queueStats {
				stat(d.ID+"."+st, st, "Queue", d.ID)
			}
		}
	}
	for _, g := range t.QueueGroups {
		for _, st := range queueStats {
			stat(g.ID+"."+st, st, "GroupQueues", g.ID)
		}
	}
	for _, g := range t.AgentGroups {
		for _, st := range []string{"AgentsReady", "AgentsOnCall", "AgentsNotReady", "AgentsInACW", "CallsAnswered", "AverageTalkTime"} {
			stat(g.ID+"."+st, st, "GroupAgents", g.ID)
		}
	}
	for _, a := range t.Agents {
		stat("Agent"+a.ID+".State", "AgentState", "Agent", a.ID)
	}
	return bw.Flush()
}

// LoadConfig returns the config WriteConfig writes for cfg, loaded by config.Load, so
// its topology's lookups work; the server's demo and the benchmarks start from it.
func LoadConfig(cfg Config) (*config.Config, error) {
	var buf bytes.Buffer
	if err := WriteConfig(&buf, cfg); err != nil {
		return nil, err
	}
	return config.Load("simulated.yaml", &buf)
}

// writeTopology writes the topology section.
func writeTopology(w *bufio.Writer, t *config.Topology) {
	fmt.Fprintf(w, "# statkit config for a simulated contact center (statkit simulate --topology).\ntopology:\n  tenant: %s\n  places:\n", q(t.Tenant))
	for _, p := range t.Places {
		fmt.Fprintf(w, "    - {id: %s}\n", q(p.ID))
	}
	w.WriteString("  dns:\n")
	for _, d := range t.DNs {
		if d.Place != "" {
			fmt.Fprintf(w, "    - {id: %s, type: %s, place: %s}\n", q(d.ID), d.Type, q(d.Place))
		} else {
			fmt.Fprintf(w, "    - {id: %s, type: %s}\n", q(d.ID), d.Type)
		}
	}
	w.WriteString("  agents:\n")
	for _, a := range t.Agents {
		fmt.Fprintf(w, "    - {id: %s, name: %s}\n", q(a.ID), q(a.Name))
	}
	w.WriteString("  groups:\n")
	for _, gs := range []struct {
		key    string
		groups []*config.Group
	}{{"agents", t.AgentGroups}, {"places", t.PlaceGroups}, {"queues", t.QueueGroups}} {
		fmt.Fprintf(w, "    %s:\n", gs.key)
		for _, g := range gs.groups {
			ids := make([]string, len(g.Members))
			for i, m := range g.Members {
				ids[i] = q(m)
			}
			fmt.Fprintf(w, "      %s: [%s]\n", q(g.ID), strings.Join(ids, ", "))
		}
	}
}

// q quotes s as a YAML double-quoted scalar (JSON strings are valid YAML).
func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
