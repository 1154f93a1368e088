// Package source turns the event streams of contact-center platforms (Asterisk's
// queue_log and Manager interface, FreeSWITCH mod_callcenter over the event socket) into
// statkit action events.
//
// It is split in two. The wire formats — framing, reconnects, positions — are ordinary Go,
// one package per format (queuelog, ami, esl); each reader yields Records. What a record
// means is not code: it is the format's mapping table, generated from
// spec/sources/<format>.yaml into generated/source, which a Mapper applies:
//
//	m := source.NewMapper(gensource.AsteriskQueueLog(), source.Options{Topology: &cfg.Topology})
//	evs, rej := m.Map(&rec, evs[:0])
//
// Call events are mapped line by line: each record carries what its actions need (a
// CONNECT its hold time, an ABANDON its wait), and the engine pairs starts and ends by
// interaction. Agent presence (logins, queue memberships, pauses) cannot be: an agent in
// three queues is logged in once on its DN until it leaves the last one. The Mapper keeps
// that state per agent, and the call actions it started (so that updates and a platform
// restart can reach them); MarshalBinary and UnmarshalBinary save and restore it exactly,
// so a process that snapshots the Mapper with its engine resumes with the same state.
//
// A record of an event the table does not list is counted per event name and logged once,
// never refused. A record that is malformed, or names a queue or agent the topology does
// not have, is refused whole with its line and a reason (statkit's topology is fixed when
// it starts; declaring objects on the fly is not supported).
package source

import (
	"github.com/statkit/statkit/runtime/event"
)

// Field is one named field of a record.
type Field struct {
	Name, Value string
}

// Record is one source event as its wire format's reader parsed it: its fields in the
// order received (a name may repeat), where it was read, and when.
type Record struct {
	Fields []Field
	// Line numbers the record in its input (a queue_log line, the n-th AMI or ESL event),
	// for rejections; 0 when unknown.
	Line int
	// Received is when the reader received the record (live readers), 0 for recorded
	// input. Formats whose records may lack a time (AMI without timestampevents) use it.
	Received event.Time
}

// Get returns the first value of field name.
func (r *Record) Get(name string) (string, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Add appends a field.
func (r *Record) Add(name, value string) { r.Fields = append(r.Fields, Field{name, value}) }

// Reset empties r for reuse, keeping its storage.
func (r *Record) Reset() {
	r.Fields = r.Fields[:0]
	r.Line, r.Received = 0, 0
}

// Rejection codes of Map, in event.Rejection.Code.
const (
	// CodeNoEvent: the record names no event.
	CodeNoEvent = "no_event"
	// CodeMissingField: a field the event needs is missing.
	CodeMissingField = "missing_field"
	// CodeBadField: a field does not read as its type.
	CodeBadField = "bad_field"
	// CodeNoTime: the record has no time.
	CodeNoTime = "no_time"
	// CodeNoQueue, CodeNoAgent: an action of the event needs a queue (an agent) and the
	// record names none.
	CodeNoQueue = "no_queue"
	CodeNoAgent = "no_agent"
	// CodeUnknownQueue, CodeUnknownAgent: the topology has no such queue (mediation DN) or
	// agent (or its regular DN).
	CodeUnknownQueue = "unknown_queue"
	CodeUnknownAgent = "unknown_agent"
	// CodeTooMany: the mapper's state reached its bound (agents or calls in progress).
	CodeTooMany = "too_many"
)
