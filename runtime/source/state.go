package source

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// state is what a Mapper remembers between records: agent presence, and the call actions
// it started (for updates and for ending them all when the platform restarts).
type state struct {
	// Seq orders pauses, so the not-ready reason is the latest pause's.
	Seq    uint64                 `json:"seq"`
	Agents map[string]*agentState `json:"agents"`
	// Calls are the durable call actions in progress, by interaction.
	Calls map[string][]openCall `json:"calls"`
}

// agentState is one agent's presence and the presence actions in progress for it.
type agentState struct {
	Session bool               `json:"session,omitempty"`
	Queues  map[string]*member `json:"queues,omitempty"`
	Holds   map[string]pause   `json:"holds,omitempty"` // agent-wide pauses by slot

	// DN is the regular DN the agent's DN actions are on while its login lasts.
	DN         string          `json:"dn,omitempty"`
	Login      bool            `json:"login,omitempty"`
	LoginStart event.Time      `json:"loginStart,omitempty"`
	Ready      bool            `json:"ready,omitempty"`
	NotReady   bool            `json:"notReady,omitempty"`
	Reason     string          `json:"reason,omitempty"` // of the NotReady in progress
	InQueues   map[string]bool `json:"inQueues,omitempty"`
	ReadyIn    map[string]bool `json:"readyIn,omitempty"`
}

// member is a queue membership.
type member struct {
	Paused bool   `json:"paused,omitempty"`
	Reason string `json:"reason,omitempty"`
	Seq    uint64 `json:"seq,omitempty"`
}

// pause is an agent-wide pause.
type pause struct {
	Reason string `json:"reason,omitempty"`
	Seq    uint64 `json:"seq"`
}

// openCall is a durable call action the mapper started and has not seen end.
type openCall struct {
	Action action.ID          `json:"action"`
	Class  object.SourceClass `json:"class"`
	Source string             `json:"source"`
	Agent  string             `json:"agent,omitempty"`
	Start  event.Time         `json:"start"`
	Data   event.Data         `json:"data,omitempty"`
}

func newState() state {
	return state{Agents: map[string]*agentState{}, Calls: map[string][]openCall{}}
}

func (a *agentState) clone() *agentState {
	if a == nil {
		return nil
	}
	c := *a
	c.Queues = make(map[string]*member, len(a.Queues))
	for k, v := range a.Queues {
		m := *v
		c.Queues[k] = &m
	}
	c.Holds = maps.Clone(a.Holds)
	c.InQueues = maps.Clone(a.InQueues)
	c.ReadyIn = maps.Clone(a.ReadyIn)
	return &c
}

// empty reports whether the agent state holds nothing worth keeping.
func (a *agentState) empty() bool {
	return !a.Session && len(a.Queues) == 0 && len(a.Holds) == 0 && !a.Login && !a.Ready && !a.NotReady &&
		len(a.InQueues) == 0 && len(a.ReadyIn) == 0
}

// undo restores the state a rejected record changed.
type undo struct {
	full   *state // a whole copy, when the record may touch everything
	seq    uint64
	agent  string
	had    bool
	before *agentState
	ixn    string
	calls  []openCall
	hadIxn bool
}

// clone copies the whole state.
func (s *state) clone() *state {
	c := &state{Seq: s.Seq, Agents: make(map[string]*agentState, len(s.Agents)), Calls: make(map[string][]openCall, len(s.Calls))}
	for k, v := range s.Agents {
		c.Agents[k] = v.clone()
	}
	for k, v := range s.Calls {
		c.Calls[k] = cloneCalls(v)
	}
	return c
}

func cloneCalls(v []openCall) []openCall {
	out := slices.Clone(v)
	for i := range out {
		out[i].Data = slices.Clone(out[i].Data)
	}
	return out
}

// checkpoint records what a record about agent and interaction ixn can change; full when
// it may change every agent or call.
func (s *state) checkpoint(agent, ixn string, full bool) undo {
	if full {
		return undo{full: s.clone()}
	}
	u := undo{seq: s.Seq, agent: agent, ixn: ixn}
	if a, ok := s.Agents[agent]; ok {
		u.had, u.before = true, a.clone()
	}
	if c, ok := s.Calls[ixn]; ok {
		u.hadIxn, u.calls = true, cloneCalls(c)
	}
	return u
}

// restore undoes the changes since checkpoint u.
func (s *state) restore(u undo) {
	if u.full != nil {
		*s = *u.full
		return
	}
	s.Seq = u.seq
	if u.had {
		s.Agents[u.agent] = u.before
	} else {
		delete(s.Agents, u.agent)
	}
	if u.hadIxn {
		s.Calls[u.ixn] = u.calls
	} else {
		delete(s.Calls, u.ixn)
	}
}

// track records the start or end of a durable call action.
func (s *state) track(ev *event.Event) *event.Rejection {
	ixn := ev.Interaction
	calls := s.Calls[ixn]
	for i, oc := range calls {
		if oc.Action == ev.Action && oc.Class == ev.Source.Class && oc.Source == ev.Source.ID {
			if ev.Phase == event.PhaseEnd {
				calls = slices.Delete(calls, i, i+1)
				if len(calls) == 0 {
					delete(s.Calls, ixn)
				} else {
					s.Calls[ixn] = calls
				}
			}
			return nil // a second start is the engine's to refuse
		}
	}
	if ev.Phase != event.PhaseStart {
		return nil
	}
	if len(calls) == 0 && len(s.Calls) >= MaxCalls {
		return reject(CodeTooMany, "%d interactions have call actions in progress; %s is one too many (the platform's ends are missing?)", MaxCalls, Clip(ixn))
	}
	s.Calls[ixn] = append(calls, openCall{Action: ev.Action, Class: ev.Source.Class, Source: ev.Source.ID,
		Agent: ev.Agent, Start: ev.Time, Data: slices.Clone(ev.Data)})
	return nil
}

// stateVersion numbers the encoding of MarshalBinary.
const stateVersion = 1

type savedState struct {
	Version int    `json:"version"`
	Format  string `json:"format"`
	state
}

// MarshalBinary encodes the mapper's state (agent presence and the call actions in
// progress), deterministically: equal states give equal bytes.
func (m *Mapper) MarshalBinary() ([]byte, error) {
	return json.Marshal(savedState{Version: stateVersion, Format: m.f.Name, state: m.st})
}

// UnmarshalBinary restores a state that MarshalBinary encoded for the same format.
func (m *Mapper) UnmarshalBinary(data []byte) error {
	var s savedState
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("source mapper state: %w", err)
	}
	switch {
	case s.Version != stateVersion:
		return fmt.Errorf("source mapper state: version %d, want %d", s.Version, stateVersion)
	case s.Format != m.f.Name:
		return fmt.Errorf("source mapper state: for format %q, not %q", s.Format, m.f.Name)
	}
	if s.Agents == nil {
		s.Agents = map[string]*agentState{}
	}
	if s.Calls == nil {
		s.Calls = map[string][]openCall{}
	}
	for id, a := range s.Agents {
		if a == nil {
			return fmt.Errorf("source mapper state: agent %q has no state", id)
		}
		for q, mb := range a.Queues {
			if mb == nil {
				return fmt.Errorf("source mapper state: agent %q queue %q has no state", id, q)
			}
		}
	}
	m.st = s.state
	return nil
}
