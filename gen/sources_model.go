package gen

// SourceFormat is one source mapping (spec/sources/<format>.yaml): how the events of one
// platform's wire format become actions.
type SourceFormat struct {
	Name      string // e.g. asterisk-queue-log
	File      string // the spec file, for the reference
	Title     string
	Summary   string
	Wire      string // the reader package under runtime/source
	Reference string // the platform's documentation, "" when none

	NameFields   []string // the fields naming the event; the first present wins
	TimeField    string
	TimeReceived bool // without TimeField, the reader's receipt time
	Interaction  string
	Media        string
	Positional   bool           // an event's own fields are data1, data2, … after the record's
	Fields       []*SourceField // the fields every record has
	Queue, Agent SourceObject
	Presence     SourcePresence
	Events       []*SourceEvent // spec order
}

// GoName is the Go identifier of the format, e.g. AsteriskQueueLog.
func (f *SourceFormat) GoName() string { return sourceIdent(f.Name) }

// Field returns the declared field name of ev (its own or the record's), nil when none.
func (f *SourceFormat) Field(ev *SourceEvent, name string) *SourceField {
	if ev != nil {
		for _, x := range ev.Fields {
			if x.Name == name {
				return x
			}
		}
	}
	for _, x := range f.Fields {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// SourceField is a field of a source record.
type SourceField struct {
	Name     string
	Type     string // text, int, seconds, milliseconds, epoch, epochMicros
	Optional bool
	Repeated bool
	Since    string
	Summary  string
}

// SourceObject says which field names an object and how its value is read.
type SourceObject struct {
	Field      string
	None       []string // values that mean no object
	TrimPrefix []string
}

// SourcePresence holds the actions agent presence is reported with; nil when not reported.
type SourcePresence struct {
	Login, LoginMoment, Logout, QueueLogin, QueueReady, Ready, NotReady *Action
	ReasonKey                                                           string
}

// SourceEvent is one source event and what it becomes.
type SourceEvent struct {
	Name        string
	Summary     string
	Note        string
	Interaction string // the interaction field when not the record's
	Fields      []*SourceField
	Emits       []*SourceEmit
	Ops         []*SourceOp
}

// SourceEmit is one action an event emits.
type SourceEmit struct {
	Action    *Action
	Variant   bool   // the mapping names the variant: the row is fixed
	On        string // queue, agent or call
	Phase     string // start, end, update; "" for instantaneous actions
	Duration  SourceDuration
	NameAgent bool
	Data      []SourceData
	When      []SourceCond
}

// SourceDuration is where a retrospective action's duration comes from: one duration field,
// the time between two epoch fields, or from an epoch field to the event's time.
type SourceDuration struct {
	Field, From, To, Since string
}

// Empty reports whether no duration is given.
func (d SourceDuration) Empty() bool { return d == SourceDuration{} }

// SourceData is one item of an emitted action's data.
type SourceData struct {
	Key      string // field and value items
	Field    string // field and keyField items: the value's field
	Value    string // a constant
	Pairs    string // a repeated NAME=value field
	Prefix   string // fields named Prefix+NAME
	Assign   string // a field holding NAME=value
	KeyField string // the field naming the key
}

// SourceCond is one condition of a rule: Is, Not or Present is set.
type SourceCond struct {
	Field   string
	Is, Not []string
	Present *bool
}

// SourceOp is one agent presence operation of an event.
type SourceOp struct {
	Op     string // login, logout, join, leave, pause, unpause, clearCalls, clearSessions
	All    bool   // scope all
	Slot   string
	Reason *SourceData
	Report *Action
	When   []SourceCond
}
