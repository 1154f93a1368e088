// Package bankqueuelog writes one day of the "Anonymous Bank" data set (parsed by
// internal/bankday) as the Asterisk queue_log its calls would have left, so the day can be
// replayed with `statkit replay --input asterisk-queue-log`, and writes a config for it.
//
// The queue of a call is its service type's ("PS@Bank", …), as in internal/bankday; the
// agent is the data set's server name, whose regular DN has the same id. Per call:
//
//   - a queued call enters at q_start (ENTERQUEUE, with the position it joins at);
//   - served (outcome AGENT with a server): CONNECT when the agent's service starts, with
//     the wait since q_start as hold time (the data set's q_exit is usually a second or two
//     after ser_start; a queue_log line cannot end the wait after the agent answered), then
//     COMPLETECALLER at ser_exit with the talk time;
//   - abandoned (HANG): ABANDON at q_exit with the wait;
//   - PHANTOM, or AGENT without a server: EXITWITHTIMEOUT at q_exit with the wait;
//   - a call the data set routes to an agent without queueing (no q_start) enters the queue
//     of its type and connects at once (a wait of 0): Asterisk only logs calls that went
//     through a queue.
//
// Each agent joins every queue it serves (ADDMEMBER) one minute before its first call and
// leaves them one minute after its last (REMOVEMEMBER), as internal/bankday logs agents in.
// Times are Unix seconds on bankday.Date(); lines are in time order, each call's in causal
// order.
package bankqueuelog

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/statkit/statkit/internal/bankday"
)

// Line is one queue_log line and the order it was made in (calls in data set order).
type Line struct {
	At   int // seconds since midnight
	Text string
	seq  int
}

// Lines returns the day's queue_log lines, in time order (ties in the order they were
// made: each call's lines in causal order).
func Lines(d *bankday.Day) []Line {
	b := &builder{epoch: bankday.Date().Unix()}
	first, last := map[string]int{}, map[string]int{}
	queues := map[string]map[string]bool{}
	waiting := map[string][][2]int{} // per queue, the entry and exit times of its callers
	for _, c := range d.Calls {
		q := bankday.QueueID(c.Type)
		served := c.Served() && (!c.Queued() || c.Outcome == "AGENT")
		enter := c.QStart
		if !c.Queued() {
			if !served {
				continue
			}
			enter = c.SerStart
		}
		connect := max(c.SerStart, enter)
		exit := c.QExit
		if served {
			exit = connect
		}
		pos := 1 // the callers who entered before and are still there, plus this one
		for _, x := range waiting[q] {
			if x[0] <= enter && x[1] > enter {
				pos++
			}
		}
		waiting[q] = append(waiting[q], [2]int{enter, exit})
		b.add(enter, c.ID, q, "NONE", "ENTERQUEUE", "", "", strconv.Itoa(pos))
		switch {
		case served:
			wait, talk := connect-enter, max(0, c.SerExit-connect)
			b.add(connect, c.ID, q, c.Server, "CONNECT", strconv.Itoa(wait), c.ID+"-agent", "0")
			b.add(connect+talk, c.ID, q, c.Server, "COMPLETECALLER", strconv.Itoa(wait), strconv.Itoa(talk), strconv.Itoa(pos))
			if f, ok := first[c.Server]; !ok || connect < f {
				first[c.Server] = connect
			}
			last[c.Server] = max(last[c.Server], connect+talk)
			if queues[c.Server] == nil {
				queues[c.Server] = map[string]bool{}
			}
			queues[c.Server][q] = true
		case c.Outcome == "HANG":
			b.add(c.QExit, c.ID, q, "NONE", "ABANDON", strconv.Itoa(pos), strconv.Itoa(pos), strconv.Itoa(c.QExit-c.QStart))
		default:
			b.add(c.QExit, c.ID, q, "NONE", "EXITWITHTIMEOUT", strconv.Itoa(pos), strconv.Itoa(pos), strconv.Itoa(c.QExit-c.QStart))
		}
	}
	for _, a := range sortedKeys(first) {
		for _, q := range sortedKeys(queues[a]) {
			b.add(first[a]-60, "MANAGER", q, a, "ADDMEMBER", "")
			b.add(last[a]+60, "MANAGER", q, a, "REMOVEMEMBER", "")
		}
	}
	slices.SortStableFunc(b.lines, func(x, y Line) int { return cmp.Or(cmp.Compare(x.At, y.At), cmp.Compare(x.seq, y.seq)) })
	return b.lines
}

type builder struct {
	epoch int64
	lines []Line
}

func (b *builder) add(at int, callid, queue, agent, event string, data ...string) {
	var t bytes.Buffer
	fmt.Fprintf(&t, "%d|%s|%s|%s|%s", b.epoch+int64(at), callid, queue, agent, event)
	for _, d := range data {
		t.WriteString("|" + d)
	}
	b.lines = append(b.lines, Line{At: at, Text: t.String(), seq: len(b.lines)})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Write writes the day's queue_log.
func Write(w io.Writer, d *bankday.Day) error {
	var buf bytes.Buffer
	for _, l := range Lines(d) {
		buf.WriteString(l.Text)
		buf.WriteByte('\n')
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Agents returns the agents that serve calls, and the queues, in name order.
func Agents(d *bankday.Day) (agents, queues []string) {
	as, qs := map[string]bool{}, map[string]bool{}
	for _, c := range d.Calls {
		if c.Queued() || c.Served() {
			qs[bankday.QueueID(c.Type)] = true
		}
		if c.Served() {
			as[c.Server] = true
		}
	}
	return sortedKeys(as), sortedKeys(qs)
}

// ConfigYAML returns a statkit config for the converted day: the queues as ACD queues, each
// agent with a regular DN of the same id (the mapping's default), and statistics per queue
// (calls entered, distributed, abandoned, cleared, average and longest wait, agents logged
// in and ready now), for all queues, and per agent (calls handled, talk time, average
// handle time, status).
func ConfigYAML(d *bankday.Day) []byte {
	agents, queues := Agents(d)
	var b bytes.Buffer
	b.WriteString("# One day of the Anonymous Bank call center (Technion SEE data set) as an Asterisk queue_log's config.\n")
	b.WriteString("# Generated by internal/bankqueuelog from examples/bank/anonymous-bank-one-day.csv.\n")
	b.WriteString("topology:\n  tenant: default\n  dns:\n")
	for _, q := range queues {
		fmt.Fprintf(&b, "    - {id: %q, type: ACDQueue}\n", q)
	}
	for _, a := range agents {
		fmt.Fprintf(&b, "    - {id: %q, type: Extension, place: %q}\n", a, "P-"+a)
	}
	b.WriteString("  places:\n")
	for _, a := range agents {
		fmt.Fprintf(&b, "    - {id: %q}\n", "P-"+a)
	}
	b.WriteString("  agents:\n")
	for _, a := range agents {
		fmt.Fprintf(&b, "    - {id: %q, name: %q}\n", a, a)
	}
	b.WriteString("  groups:\n    agents:\n      \"Agents\": [")
	for i, a := range agents {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", a)
	}
	b.WriteString("]\n    queues:\n      \"AllQueues\": [")
	for i, q := range queues {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", q)
	}
	b.WriteString("]\n")
	b.WriteString(statTypes)
	fmt.Fprintf(&b, "timeProfiles:\n  Default: {type: Growing, reset: [\"00:00\"], timezone: %s}\n", bankday.Zone)
	b.WriteString("statistics:\n")
	for _, q := range append(queues, "AllQueues") {
		typ := "Queue"
		if q == "AllQueues" {
			typ = "GroupQueues"
		}
		for _, st := range []string{"CallsEntered", "CallsDistributed", "CallsAbandoned", "CallsCleared", "AverageWait", "LongestWait", "AgentsLoggedIn", "AgentsReady"} {
			fmt.Fprintf(&b, "  - {id: %q, statType: %s, object: {type: %s, id: %q}}\n", q+"."+st, st, typ, q)
		}
	}
	for _, a := range append(agents, "Agents") {
		typ := "Agent"
		if a == "Agents" {
			typ = "GroupAgents"
		}
		for _, st := range []string{"CallsHandled", "TalkTime", "AverageHandleTime"} {
			fmt.Fprintf(&b, "  - {id: %q, statType: %s, object: {type: %s, id: %q}}\n", a+"."+st, st, typ, a)
		}
		if typ == "Agent" {
			fmt.Fprintf(&b, "  - {id: %q, statType: Status, object: {type: Agent, id: %q}}\n", a+".Status", a)
		}
	}
	return b.Bytes()
}

const statTypes = `statTypes:
  CallsEntered: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  CallsDistributed: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
  CallsAbandoned: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallAbandoned]}
  CallsCleared: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallCleared]}
  AverageWait: {objects: [Queue, GroupQueues], category: AverageTime, subject: DNAction, mainMask: [CallDistributed]}
  LongestWait: {objects: [Queue, GroupQueues], category: MaxTime, subject: DNAction, mainMask: [CallWait]}
  AgentsLoggedIn: {objects: [Queue, GroupQueues], category: CurrentNumber, subject: DNAction, mainMask: [AgentLogin]}
  AgentsReady: {objects: [Queue, GroupQueues], category: CurrentNumber, subject: DNAction, mainMask: [AgentReady]}
  CallsHandled: {objects: [Agent, GroupAgents], category: TotalNumber, subject: DNAction, mainMask: [CallInbound]}
  TalkTime: {objects: [Agent, GroupAgents], category: TotalTime, subject: DNAction, mainMask: [CallInbound]}
  AverageHandleTime: {objects: [Agent, GroupAgents], category: AverageTime, subject: DNAction, mainMask: [CallInbound]}
  Status: {objects: [Agent], category: CurrentState, subject: AgentStatus, mainMask: ["*"]}
`

// At converts a line's time (seconds since the day's midnight) to a time.
func At(sec int) time.Time { return bankday.Date().Add(time.Duration(sec) * time.Second) }
