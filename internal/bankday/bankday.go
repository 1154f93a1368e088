// Package bankday turns one day of the "Anonymous Bank" call-center data set (Technion
// SEE lab; examples/bank/anonymous-bank-one-day.csv, whose provenance and columns
// examples/bank/README.md gives) into statkit events and a matching topology, so a real day
// can be replayed through the engine.
//
// Mapping, per call row:
//   - a queued call (q_start ≠ 0:00:00) is a wait at the queue of its service type
//     ("PS@Bank", "NW@Bank", …): CallEntered and CallWait start at q_start; CallWait end at
//     q_exit with CallDistributed (outcome AGENT), CallAbandoned (HANG) or CallCleared
//     (PHANTOM), each carrying the wait as duration;
//   - a served call (server ≠ NO_SERVER) is a CallInbound from ser_start to ser_exit on the
//     agent's extension "D-<server>" at place "P-<server>";
//   - each agent is logged in (LoggedIn) from one minute before its first service to one
//     minute after its last, since the data set has no login records.
//
// Times are seconds since midnight of the day; the date is not in the data, so events are
// placed on Date (UTC). Every event carries "<vru+line>/<call_id>" as interaction and the service type
// as data "Type".
package bankday

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// Zone is the time zone of the data set's clock times: the bank is in Israel.
const Zone = "Asia/Jerusalem"

// Date returns local midnight of the day the data set's times are placed on (the data set
// does not give its date).
func Date() time.Time {
	loc, err := time.LoadLocation(Zone)
	if err != nil { // cannot happen: time/tzdata is embedded
		loc = time.UTC
	}
	return time.Date(1999, time.January, 4, 0, 0, 0, 0, loc)
}

// Call is one row of the data set, times in seconds since midnight (0 = absent).
type Call struct {
	Line     int
	ID       string // "<vru+line>/<call_id>": call ids repeat across VRU lines
	Type     string // service type: PS, PE, IN, NE, NW, TT
	QStart   int
	QExit    int
	Outcome  string // AGENT, HANG, PHANTOM
	SerStart int
	SerExit  int
	Server   string // agent name, NO_SERVER when none
}

// Queued reports whether the call waited in a queue.
func (c Call) Queued() bool { return c.QStart > 0 }

// Served reports whether an agent served the call.
func (c Call) Served() bool { return c.Server != "NO_SERVER" && c.SerStart > 0 }

// Day is a parsed data set with the rows it had to skip.
type Day struct {
	Calls   []Call
	Skipped []error // one per malformed row, with its line
}

// Parse reads the CSV. Malformed rows are skipped and reported in Day.Skipped; a file
// without the expected header is an error.
func Parse(r io.Reader) (*Day, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("bankday: read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, need := range []string{"vru+line", "call_id", "type", "q_start", "q_exit", "outcome", "ser_start", "ser_exit", "server"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("bankday: header has no %q column", need)
		}
	}
	day := &Day{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return day, nil
		}
		if err != nil {
			day.Skipped = append(day.Skipped, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		c, err := parseCall(rec, col, line)
		if err != nil {
			day.Skipped = append(day.Skipped, err)
			continue
		}
		day.Calls = append(day.Calls, c)
	}
}

func parseCall(rec []string, col map[string]int, line int) (Call, error) {
	get := func(name string) string {
		if i := col[name]; i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	c := Call{Line: line, ID: get("vru+line") + "/" + get("call_id"), Type: get("type"), Outcome: get("outcome"), Server: get("server")}
	var err error
	for _, f := range []struct {
		dst  *int
		name string
	}{{&c.QStart, "q_start"}, {&c.QExit, "q_exit"}, {&c.SerStart, "ser_start"}, {&c.SerExit, "ser_exit"}} {
		if *f.dst, err = clock(get(f.name)); err != nil {
			return c, fmt.Errorf("line %d: %s: %w", line, f.name, err)
		}
	}
	switch {
	case c.ID == "/" || c.Type == "":
		return c, fmt.Errorf("line %d: missing call id or type", line)
	case c.Queued() && c.QExit < c.QStart:
		return c, fmt.Errorf("line %d: queue exit before queue start", line)
	case c.Served() && c.SerExit < c.SerStart:
		return c, fmt.Errorf("line %d: service exit before service start", line)
	}
	return c, nil
}

// clock parses h:mm:ss into seconds.
func clock(s string) (int, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	total := 0
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad time %q", s)
		}
		total = total*60 + n
	}
	return total, nil
}

// QueueID is the queue DN of a service type.
func QueueID(serviceType string) string { return serviceType + "@Bank" }

// Topology returns the objects the day's events occur on: one ACD queue per service type,
// one agent with a place and an extension per server, an agent group "Agents", a place
// group "Floor" and a queue group "AllQueues".
func (d *Day) Topology() config.Topology {
	t := config.Topology{Tenant: config.DefaultTenant, Tenants: []string{config.DefaultTenant}}
	queues := map[string]bool{}
	agents := map[string]bool{}
	for _, c := range d.Calls {
		if c.Queued() {
			queues[c.Type] = true
		}
		if c.Served() {
			agents[c.Server] = true
		}
	}
	all := &config.Group{ID: "AllQueues", Tenant: config.DefaultTenant}
	for _, q := range sortedKeys(queues) {
		t.DNs = append(t.DNs, &config.DN{ID: QueueID(q), Type: object.DNACDQueue, Tenant: config.DefaultTenant})
		all.Members = append(all.Members, QueueID(q))
	}
	group := &config.Group{ID: "Agents", Tenant: config.DefaultTenant}
	floor := &config.Group{ID: "Floor", Tenant: config.DefaultTenant}
	for _, a := range sortedKeys(agents) {
		t.Agents = append(t.Agents, &config.Agent{ID: a, Name: a, Tenant: config.DefaultTenant})
		t.Places = append(t.Places, &config.Place{ID: "P-" + a, Tenant: config.DefaultTenant})
		t.DNs = append(t.DNs, &config.DN{ID: "D-" + a, Type: object.DNExtension, Place: "P-" + a, Tenant: config.DefaultTenant})
		group.Members = append(group.Members, a)
		floor.Members = append(floor.Members, "P-"+a)
	}
	t.QueueGroups = []*config.Group{all}
	t.AgentGroups = []*config.Group{group}
	t.PlaceGroups = []*config.Group{floor}
	return t
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Events returns the day's events in time order (ties keep call order, then each call's
// own order), valid for the topology of Topology.
func (d *Day) Events() []event.Event {
	var evs []event.Event
	first, last := map[string]int{}, map[string]int{}
	for _, c := range d.Calls {
		evs = append(evs, callEvents(c)...)
		if c.Served() {
			if f, ok := first[c.Server]; !ok || c.SerStart < f {
				first[c.Server] = c.SerStart
			}
			last[c.Server] = max(last[c.Server], c.SerExit)
		}
	}
	for _, a := range sortedKeys(toSet(first)) {
		src := event.Source{Class: object.ClassRegularDN, ID: "D-" + a}
		evs = append(evs,
			event.Event{Time: at(first[a] - 60), Action: action.LoggedIn, Phase: event.PhaseStart, Source: src, Agent: a},
			event.Event{Time: at(last[a] + 60), Action: action.LoggedIn, Phase: event.PhaseEnd, Source: src, Agent: a})
	}
	// A stable sort by time keeps each call's events in causal order (a zero-length wait
	// starts and ends at the same second).
	slices.SortStableFunc(evs, func(a, b event.Event) int { return cmp.Compare(a.Time, b.Time) })
	return evs
}

func toSet(m map[string]int) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func at(sec int) event.Time { return event.TimeOf(Date().Add(time.Duration(sec) * time.Second)) }

// callEvents are the queue and agent events of one call.
func callEvents(c Call) []event.Event {
	data := event.Data{{Key: "Type", Value: c.Type}}
	var evs []event.Event
	if c.Queued() {
		q := event.Source{Class: object.ClassMediationDN, ID: QueueID(c.Type)}
		wait := int64(c.QExit-c.QStart) * 1000
		outcome := action.CallCleared
		switch c.Outcome {
		case "AGENT":
			outcome = action.CallDistributed
		case "HANG":
			outcome = action.CallAbandoned
		}
		evs = append(evs,
			event.Event{Time: at(c.QStart), Action: action.CallEntered, Source: q, Interaction: c.ID, Media: "voice", Data: data},
			event.Event{Time: at(c.QStart), Action: action.CallWait, Phase: event.PhaseStart, Source: q, Interaction: c.ID, Media: "voice", Data: data},
			event.Event{Time: at(c.QExit), Action: action.CallWait, Phase: event.PhaseEnd, Source: q, Interaction: c.ID, Media: "voice", Data: data},
			event.Event{Time: at(c.QExit), Action: outcome, Source: q, Interaction: c.ID, Media: "voice", Duration: wait, Data: data})
	}
	if c.Served() {
		dn := event.Source{Class: object.ClassRegularDN, ID: "D-" + c.Server}
		evs = append(evs,
			event.Event{Time: at(c.SerStart), Action: action.CallInbound, Phase: event.PhaseStart, Source: dn, Interaction: c.ID, Media: "voice", Data: data},
			event.Event{Time: at(c.SerExit), Action: action.CallInbound, Phase: event.PhaseEnd, Source: dn, Interaction: c.ID, Media: "voice", Data: data})
	}
	return evs
}
