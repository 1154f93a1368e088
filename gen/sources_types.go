package gen

// sourceTypes is the body of generated/source/types.go: the types of the mapping tables,
// the same for every spec (the tables themselves are in one file per format).
const sourceTypes = `// Package source holds the event mappings of the contact-center platforms statkit reads
// directly: one Format per file of spec/sources. A Format says how a record of the
// platform's wire format (a queue_log line, an AMI event, an ESL event) is named, timed and
// tied to a queue, an agent and an interaction, and which actions and agent presence
// changes each of its events makes. Package runtime/source applies the tables;
// docs/sources/<format>.md renders them. The tables are read-only.
package source

import (
	"sort"
	"strconv"

	"github.com/statkit/statkit/generated/action"
)

// FieldType is how a field's text is read.
type FieldType uint8

// Field types.
const (
	// FieldText is any text.
	FieldText FieldType = iota
	// FieldInt is a decimal integer.
	FieldInt
	// FieldSeconds is a duration in whole seconds.
	FieldSeconds
	// FieldMilliseconds is a duration in milliseconds.
	FieldMilliseconds
	// FieldEpoch is a Unix time in seconds, a decimal fraction allowed.
	FieldEpoch
	// FieldEpochMicros is a Unix time in microseconds.
	FieldEpochMicros
)

var _FieldType_text = [...]string{"text", "int", "seconds", "milliseconds", "epoch", "epochMicros"}

// String returns the spec name of t.
func (t FieldType) String() string {
	if int(t) < len(_FieldType_text) {
		return _FieldType_text[t]
	}
	return "FieldType(" + strconv.Itoa(int(t)) + ")"
}

// Field is a declared field of a record.
type Field struct {
	Name string
	Type FieldType
	// Optional fields may be missing (older layouts, optional headers); a record without a
	// field that is not optional is refused.
	Optional bool
	// Repeated fields may occur several times.
	Repeated bool
}

// Object says which field names an object (a queue, an agent) and how its value is read.
type Object struct {
	Field string
	// None lists the values that mean no object.
	None []string
	// TrimPrefix lists prefixes removed from the value (the first that matches).
	TrimPrefix []string
}

// Presence holds the actions agent presence is reported with; action.None when a format
// does not report one. Login, QueueLogin, QueueReady, Ready and NotReady are durable;
// LoginMoment is momentary; Logout is retrospective. Queue actions are on the queue's
// mediation DN, the others on the agent's regular DN, all naming the agent.
type Presence struct {
	Login, LoginMoment, Logout, QueueLogin, QueueReady, Ready, NotReady action.ID
	// ReasonKey is the data key that carries the pause reason on NotReady.
	ReasonKey string
}

// Target is the object an emitted action occurs on.
type Target uint8

// Targets.
const (
	// TargetQueue is the queue's mediation DN.
	TargetQueue Target = iota + 1
	// TargetAgent is the agent's regular DN.
	TargetAgent
	// TargetCall is every instance of the action in progress for the interaction (updates).
	TargetCall
)

// Phase is the phase of an emitted durable action.
type Phase uint8

// Phases.
const (
	// PhaseNone is an instantaneous action's.
	PhaseNone Phase = iota
	// PhaseStart starts a durable action.
	PhaseStart
	// PhaseEnd ends it.
	PhaseEnd
	// PhaseUpdate changes the data of an instance in progress.
	PhaseUpdate
)

// DurationKind says where a retrospective action's duration comes from.
type DurationKind uint8

// Duration kinds.
const (
	// DurationNone: the action has no duration.
	DurationNone DurationKind = iota
	// DurationField: a seconds or milliseconds field.
	DurationField
	// DurationBetween: the time from the From epoch field to the To epoch field.
	DurationBetween
	// DurationSince: the time from the From epoch field to the event's time.
	DurationSince
)

// Duration is where a retrospective action's duration comes from.
type Duration struct {
	Kind            DurationKind
	Field, From, To string
}

// DataKind is the kind of an attached-data item.
type DataKind uint8

// Data kinds.
const (
	// DataNone is no item (an Op without a reason).
	DataNone DataKind = iota
	// DataField is the pair Key = the value of Field (left out when absent or empty).
	DataField
	// DataValue is the pair Key = Value.
	DataValue
	// DataPairs is every NAME=value occurrence of the repeated Field.
	DataPairs
	// DataPrefix is NAME = the value of every field named Value+NAME.
	DataPrefix
	// DataAssign is the NAME=value pair held by Field.
	DataAssign
	// DataKeyField is the pair (value of KeyField) = (value of Field).
	DataKeyField
)

// Data is one attached-data item of an emitted action. Pairs whose name comes from the
// platform (DataPairs, DataPrefix, DataAssign, DataKeyField) are kept only for the
// variable names a source is configured to attach.
type Data struct {
	Kind                       DataKind
	Key, Field, KeyField, Value string
}

// CondKind is the kind of a rule condition.
type CondKind uint8

// Condition kinds.
const (
	// CondIs: the field is present with one of Values.
	CondIs CondKind = iota + 1
	// CondNot: the field is absent or has none of Values.
	CondNot
	// CondPresent: the field is present and not empty.
	CondPresent
	// CondAbsent: the field is absent or empty.
	CondAbsent
)

// Cond is one condition of a rule; a rule applies when all its conditions hold.
type Cond struct {
	Field  string
	Kind   CondKind
	Values []string
}

// OpKind is an agent presence operation.
type OpKind uint8

// Presence operations.
const (
	// OpLogin starts the agent's session.
	OpLogin OpKind = iota + 1
	// OpLogout ends it.
	OpLogout
	// OpJoin makes the agent a member of the record's queue (nothing when already one).
	OpJoin
	// OpLeave ends its membership of the record's queue.
	OpLeave
	// OpPause pauses the agent in the record's queue, or with All agent-wide in Slot.
	OpPause
	// OpUnpause lifts such a pause.
	OpUnpause
	// OpClearCalls ends every call action in progress (the platform restarted).
	OpClearCalls
	// OpClearSessions ends every agent session (not the queue memberships).
	OpClearSessions
)

var _OpKind_text = [...]string{"", "login", "logout", "join", "leave", "pause", "unpause", "clearCalls", "clearSessions"}

// String returns the spec name of k.
func (k OpKind) String() string {
	if int(k) < len(_OpKind_text) && k > 0 {
		return _OpKind_text[k]
	}
	return "OpKind(" + strconv.Itoa(int(k)) + ")"
}

// Op is one agent presence operation of an event.
type Op struct {
	Kind OpKind
	// All: the pause or unpause is agent-wide, in Slot (independent slots stack).
	All  bool
	Slot string
	// Reason is a pause's reason (DataField or DataValue; DataNone for none).
	Reason Data
	// Report is the retrospective action OpClearCalls reports on the mediation DN of every
	// call action it ends there; action.None for none.
	Report action.ID
	When   []Cond
}

// Emit is one action an event emits.
type Emit struct {
	Action action.ID
	// Variant: the mapping names the row's variant. Otherwise the row is chosen again for
	// the DN's type, as for an event without a variant.
	Variant   bool
	On        Target
	Phase     Phase
	Duration  Duration
	NameAgent bool
	Data      []Data
	When      []Cond
}

// Event is one source event and what it becomes.
type Event struct {
	Name string
	// Interaction is the field naming the interaction when not the format's.
	Interaction string
	// Fields are the event's own fields; a positional format lists them in order.
	Fields []Field
	Emits  []Emit
	Ops    []Op
}

// Format is one input format's mapping.
type Format struct {
	Name, Title string
	// Wire names the reader package under runtime/source.
	Wire string
	// NameFields name the event; the first present wins.
	NameFields []string
	// TimeField holds the event's time; with TimeReceived, a record without it takes the
	// time the reader received it.
	TimeField    string
	TimeReceived bool
	Interaction  string
	Media        string
	// Positional: an event's own fields follow the record's fields by position (data1,
	// data2, …), not by name.
	Positional bool
	// Fields are the fields every record has.
	Fields       []Field
	Queue, Agent Object
	Presence     Presence
	// Events are sorted by name.
	Events []Event
}

// Event returns the event named name.
func (f *Format) Event(name string) (*Event, bool) {
	i := sort.Search(len(f.Events), func(i int) bool { return f.Events[i].Name >= name })
	if i < len(f.Events) && f.Events[i].Name == name {
		return &f.Events[i], true
	}
	return nil, false
}

// Field returns the declaration of field name for event ev (its own fields, then the
// record's); ev may be nil.
func (f *Format) Field(ev *Event, name string) (Field, bool) {
	if ev != nil {
		for _, x := range ev.Fields {
			if x.Name == name {
				return x, true
			}
		}
	}
	for _, x := range f.Fields {
		if x.Name == name {
			return x, true
		}
	}
	return Field{}, false
}
`
