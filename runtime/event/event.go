// Package event defines statkit's action events and their NDJSON wire format.
//
// One event is one occurrence of an action on a source object: the start or end of a
// durable action, an update of the attached data of a durable action in progress, or a
// momentary or retrospective action. Decoding resolves the action
// name against the generated action table for the event's source class and validates the
// event's shape; every rejected line is reported with its line number and a reason and
// never stops the stream.
//
// # Wire format
//
// One JSON object per line (NDJSON); docs/events.md documents it field by field and
// docs/event.schema.json is its JSON Schema, both generated from the spec:
//
//	{"time":"2026-11-26T09:00:03.250Z","action":"CallInbound","phase":"start",
//	 "source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice",
//	 "agent":"1001","data":{"Segment":"Gold","Priority":5}}
//	{"time":"2026-11-26T09:00:15Z","action":"CallAbandoned",
//	 "source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-43","duration":12.4}
//
// time (RFC 3339), action and source are required; phase (start, update, end) only and
// always on durable actions, duration only and always on retrospective ones; variant,
// interaction, media, agent, place and data are optional, but an update carries data, whose
// null values remove keys (see DecodeLine for every rule).
//
// # Units
//
// On the wire, time is RFC 3339 text and duration is in seconds (a JSON number, 12.4). In
// Go, Time counts milliseconds since the Unix epoch and Event.Duration is in milliseconds
// (12400); digits below the millisecond are truncated.
package event

import (
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
)

// Time is an event time in milliseconds since the Unix epoch (UTC). statkit keeps
// millisecond precision; durations derived from two Times are in milliseconds too.
type Time int64

// TimeOf converts a time.Time to a Time, truncating below the millisecond.
func TimeOf(t time.Time) Time { return Time(t.UnixMilli()) }

// Std converts t to a time.Time in UTC.
func (t Time) Std() time.Time { return time.UnixMilli(int64(t)).UTC() }

// String formats t as RFC 3339 with milliseconds, in UTC.
func (t Time) String() string { return t.Std().Format("2006-01-02T15:04:05.000Z07:00") }

// Phase is the phase of a durable action event: its start, its end, or an update of the
// attached data of an instance in progress. Instantaneous (momentary and retrospective)
// actions have no phase.
type Phase uint8

// Phases.
const (
	PhaseNone Phase = iota
	PhaseStart
	PhaseEnd
	// PhaseUpdate changes the attached data of a durable instance in progress (Genesys
	// EventAttachedDataChanged, an Asterisk channel variable set, a FreeSWITCH variable):
	// its Data sets keys, its Unset removes keys. It is keyed like the instance's end.
	PhaseUpdate
)

// String returns "start", "end", "update" or "".
func (p Phase) String() string {
	switch p {
	case PhaseStart:
		return "start"
	case PhaseEnd:
		return "end"
	case PhaseUpdate:
		return "update"
	}
	return ""
}

// Source is the object an action occurs on: a DN, media channel owner, staging area,
// tenant or workbin, named by its class and id.
type Source struct {
	Class object.SourceClass
	ID    string
}

// Pair is one key-value pair of attached data.
type Pair struct {
	Key   string
	Value string
}

// Data is the attached data of an event (UserData / reasons), in the order received.
// Values are strings; numbers in the wire format keep their literal text.
type Data []Pair

// Get returns the value of key and whether it is present (the first one if repeated).
func (d Data) Get(key string) (string, bool) {
	for _, p := range d {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Event is one decoded, validated action occurrence.
type Event struct {
	// Time is when the action started, ended or happened (event time, not receipt time).
	Time Time
	// Action is the resolved action row.
	Action action.ID
	// Phase is PhaseStart, PhaseUpdate or PhaseEnd for durable actions, PhaseNone
	// otherwise.
	Phase Phase
	// Source is the object the action occurs on.
	Source Source
	// Interaction is the interaction (call, chat…) id; it keys durable instances together
	// with the source and the action, and it may be empty for non-interaction actions.
	Interaction string
	// Media is the media type ("voice", "chat", "email"…), empty when not given.
	Media string
	// Agent names the agent explicitly (e.g. on LoggedIn, or on media-channel actions).
	Agent string
	// Place names the place explicitly (media-channel actions).
	Place string
	// Duration is the duration in milliseconds that a retrospective action reports; 0 for
	// other kinds.
	Duration int64
	// Data is the attached data. Events may share it (a Decoder gives events with equal
	// data the same Data): do not modify it in place. On an update it holds the keys the
	// update sets (non-nil: Data{} when the update only removes keys).
	Data Data
	// Unset are the data keys an update removes (null values in the wire data), in the
	// order given; nil for every other phase.
	Unset []string
	// Line is the 1-based line of the event in its NDJSON input, 0 when not from a stream.
	Line int
}

// Rejection is a line that was not accepted, with the reason.
type Rejection struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	// Code classifies the reason for metrics (e.g. "unknown_action", "bad_time").
	Code string `json:"code"`
}
