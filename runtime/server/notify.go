package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// notifier decides which statistic values are sent to subscribers, and builds their SSE
// frames. It is the one place that knows the notification policy, so that it can switch
// to the engine's own notifications (modes changes with insensitivity, periodical, reset,
// none) when the engine gets a subscription API.
//
// Today every statistic is treated as "changes, insensitivity 0": after each applied
// batch and each clock tick the statistics the engine lists in Changed are evaluated, and
// so are the statistics whose value moves with the clock alone (clockDriven) — at every
// tick, and after a batch when the engine clock has moved by clockResolution since they
// were last evaluated. A value is sent when its JSON differs from the last one sent. A
// statistic no subscriber watches is not evaluated at all (nothing would be sent): its
// last value is brought up to date when a subscriber asks for its snapshot.
//
// Evaluations are apart in wall time by at least notifyEvery, and by at least
// notifyShare times what the last one took (so that evaluating takes at most about a
// tenth of the owner's time, however many statistics are watched): a batch or tick
// applied sooner after the last evaluation leaves its changes pending (the engine's
// Changed set gathers them), and the owner evaluates them when the interval is over
// (due), or with the next record after it. An idle server therefore notifies each batch
// at once, and one ingesting thousands of batches a second evaluates each changed
// statistic once per interval instead of once per batch (a subscriber gets the newest
// value either way).
//
// Each value is encoded once: its frame is built by appending the id, the time and the
// value's JSON (the bytes json.Marshal gives for valueJSON), and the one frame is shared
// by every subscriber it is offered to.
//
// Invariant: for every subscriber and every statistic it watches, the newest frame it
// was given (snapshot, delivered or pending) carries the statistic's last value. The
// notifier belongs to the owner goroutine.
type notifier struct {
	eng *engine.Engine
	hub *hub
	// stats holds the open statistics.
	stats map[string]*notified
	// clocked are the open statistics that change with the clock alone, in the order
	// they were opened, and clockedAt the engine time they were last evaluated.
	clocked   []*notified
	clockedAt event.Time
	ids       []string // scratch for Changed
	value     []byte   // scratch for a value's JSON
	// at is the engine time atJSON spells (atJSON), cached across a batch; atSet tells
	// whether atJSON was computed since the clock started.
	at     event.Time
	atSet  bool
	atJSON []byte
	// last is when changes were last evaluated (wall time) and took (lasted); pending
	// says that a batch or tick applied since left changes to evaluate, pendingClock that
	// one was a tick.
	last         time.Time
	lasted       time.Duration
	pending      bool
	pendingClock bool
}

// notifyEvery is the least wall time between two evaluations of the changes; and they
// are apart by notifyShare times the last one's duration at least.
const (
	notifyEvery = 50 * time.Millisecond
	notifyShare = 9
)

// engineTimeJSON is the JSON of the engine's time in the API: a string, or null before
// the clock started (no event or tick yet).
func engineTimeJSON(eng *engine.Engine) json.RawMessage {
	if !eng.Started() {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(eng.Now().String())
	if err != nil { // a string always encodes
		panic(err)
	}
	return b
}

// notified is the notification state of one open statistic.
type notified struct {
	id      string
	idJSON  []byte // the id as a JSON string
	clocked bool
	// last is the JSON of the value last sent (or snapshotted); nil when none was.
	last []byte
}

// clockResolution is how far event time must move during batches before the
// clock-driven statistics are evaluated again (ticks always evaluate them).
const clockResolution event.Time = 1000

// newNotifier returns a notifier over eng's open statistics, publishing to h.
func newNotifier(eng *engine.Engine, h *hub) *notifier {
	n := &notifier{eng: eng, hub: h, stats: map[string]*notified{}}
	for _, st := range eng.Statistics() {
		n.opened(st)
	}
	return n
}

// opened starts tracking st, just opened in the engine. The caller publishes its first
// value with check.
func (n *notifier) opened(st *config.Statistic) {
	idJSON, err := json.Marshal(st.ID)
	if err != nil { // a string always encodes
		panic(err)
	}
	ns := &notified{id: st.ID, idJSON: idJSON, clocked: clockDriven(st)}
	if old := n.stats[st.ID]; old != nil && old.clocked {
		n.clocked = slices.DeleteFunc(n.clocked, func(x *notified) bool { return x == old })
	}
	n.stats[st.ID] = ns
	if ns.clocked {
		n.clocked = append(n.clocked, ns)
	}
}

// closed stops tracking statistic id, just closed, and tells its subscribers.
func (n *notifier) closed(id string) error {
	if ns := n.stats[id]; ns != nil && ns.clocked {
		n.clocked = slices.DeleteFunc(n.clocked, func(x *notified) bool { return x == ns })
	}
	delete(n.stats, id)
	frame, err := closedFrame(id, engineTimeJSON(n.eng))
	if err != nil {
		return err
	}
	n.hub.publish(id, frame)
	n.hub.flush()
	return nil
}

// afterBatch notifies the statistics an applied batch changed, now or when due.
func (n *notifier) afterBatch(now time.Time) error {
	n.pending = true
	return n.evaluate(now, false)
}

// afterTick notifies the statistics a clock tick changed — those Changed lists (resets)
// and the clock-driven ones — now or when due.
func (n *notifier) afterTick(now time.Time) error {
	n.pending, n.pendingClock = true, true
	return n.evaluate(now, false)
}

// due returns when the pending changes are to be evaluated, and false when none are
// pending.
func (n *notifier) due() (time.Time, bool) {
	return n.last.Add(max(notifyEvery, notifyShare*n.lasted)), n.pending
}

// evaluate notifies the pending changes when the interval since the last evaluation is
// over, or at once when force.
func (n *notifier) evaluate(now time.Time, force bool) error {
	if due, pending := n.due(); !pending || !force && now.Before(due) {
		return nil
	}
	n.last, n.pending = now, false
	clocked := n.pendingClock || n.eng.Now()-n.clockedAt >= clockResolution
	n.pendingClock = false
	n.ids = n.eng.Changed(n.ids[:0])
	err := n.send(n.ids, clocked)
	n.lasted = time.Since(now)
	return err
}

// send evaluates ids, and the clock-driven statistics when clocked, publishes every
// value that differs from the last one sent, and wakes the subscribers.
func (n *notifier) send(ids []string, clocked bool) error {
	var errs []error
	for _, id := range ids {
		if ns := n.stats[id]; ns != nil && (!ns.clocked || !clocked) {
			errs = appendErr(errs, n.update(ns, false))
		}
	}
	if clocked {
		n.clockedAt = n.eng.Now()
		for _, ns := range n.clocked {
			errs = appendErr(errs, n.update(ns, false))
		}
	}
	n.hub.flush()
	return errors.Join(errs...)
}

// appendErr appends err to errs unless it is nil.
func appendErr(errs []error, err error) []error {
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

// check evaluates statistic id and publishes it when its value changed and someone
// watches it. The caller flushes the hub.
func (n *notifier) check(id string) error {
	if ns := n.stats[id]; ns != nil {
		return n.update(ns, false)
	}
	return nil
}

// update evaluates ns — only when a subscriber watches it, unless force — and
// publishes its value when it differs from the last one sent. The caller flushes the hub.
func (n *notifier) update(ns *notified, force bool) error {
	if !force && !n.hub.watched(ns.id) {
		return nil
	}
	b, err := n.appendValue(n.value[:0], ns.id)
	n.value = b
	if err != nil {
		return err
	}
	if ns.last != nil && bytes.Equal(b, ns.last) {
		return nil
	}
	frame := n.valueFrame(ns, b)
	n.hub.publish(ns.id, frame)
	return nil
}

// valueFrame builds the SSE frame of value b of ns at the engine time and makes b ns's
// last value (last shares the frame's bytes).
func (n *notifier) valueFrame(ns *notified, b []byte) []byte {
	if now, started := n.eng.Now(), n.eng.Started(); n.atJSON == nil || now != n.at || started != n.atSet {
		n.at, n.atSet, n.atJSON = now, started, engineTimeJSON(n.eng)
	}
	frame, start := valueFrame(ns.idJSON, n.atJSON, b)
	ns.last = frame[start : start+len(b) : start+len(b)]
	return frame
}

// valueFrame returns the SSE frame "event: value\ndata: {statistic, at, value}\n\n" of
// the JSON id, time and value (with its reason member when undefined: appendValue) —
// the bytes sseFrame("value", json.Marshal(valueJSON{…})) gives, without reflection —
// and where the value starts in it.
func valueFrame(idJSON, atJSON, value []byte) ([]byte, int) {
	const (
		head = "event: value\ndata: {\"statistic\":"
		at   = ",\"at\":"
		val  = ",\"value\":"
		tail = "}\n\n"
	)
	frame := make([]byte, 0, len(head)+len(idJSON)+len(at)+len(atJSON)+len(val)+len(value)+len(tail))
	frame = append(frame, head...)
	frame = append(frame, idJSON...)
	frame = append(frame, at...)
	frame = append(frame, atJSON...)
	frame = append(frame, val...)
	start := len(frame)
	frame = append(frame, value...)
	return append(frame, tail...), start
}

// appendValue appends to dst what follows "value": in a value frame's data for
// statistic id's current value: the value's JSON (appendValueJSON) and, when the value
// is undefined, the reason beside it — `null,"reason":"the denominator is 0"` — so that
// a frame carries the reason and a change of reason alone is a change.
func (n *notifier) appendValue(dst []byte, id string) ([]byte, error) {
	v, err := n.eng.Value(id)
	if err != nil {
		return dst, fmt.Errorf("notify: %w", err)
	}
	dst, err = appendValueJSON(dst, v)
	if err != nil {
		return dst, fmt.Errorf("notify %q: %w", id, err)
	}
	if v.Undefined != "" {
		dst = appendReason(dst, v.Undefined)
	}
	return dst, nil
}

// appendReason appends the reason member `,"reason":"…"` of an undefined value to dst.
func appendReason(dst []byte, why string) []byte {
	b, _ := json.Marshal(why) // a string always encodes
	dst = append(dst, `,"reason":`...)
	return append(dst, b...)
}

// appendValueJSON appends the JSON of v to dst: the bytes json.Marshal gives (a number,
// a State tree, null when undefined), without its reflection for a plain number.
func appendValueJSON(dst []byte, v engine.Value) ([]byte, error) {
	if v.State == nil {
		if b, err := v.MarshalJSON(); err == nil && (isNumber(b) || string(b) == "null") {
			return append(dst, b...), nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// isNumber reports whether b is a JSON number, which json.Marshal would copy unchanged.
func isNumber(b []byte) bool {
	if len(b) == 0 || len(b) > 32 {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			return false
		}
	}
	return json.Valid(b)
}

// valueOf returns the JSON of statistic id's current value (null when undefined,
// without the reason).
func (n *notifier) valueOf(id string) ([]byte, error) {
	v, err := n.eng.Value(id)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return appendValueJSON(nil, v)
}

// snapshot returns the SSE frame of statistic id's current value for a new subscriber,
// which the caller adds to the hub afterwards, and flushes the hub after a round of
// snapshots. When the value has moved since it was last sent (a clock-driven statistic
// between evaluations, or one nobody watched) it is published to the current
// subscribers too, which keeps last the newest value everyone was given.
func (n *notifier) snapshot(id string) ([]byte, error) {
	ns := n.stats[id]
	if ns == nil {
		return nil, fmt.Errorf("notify: statistic %q: %w", id, engine.ErrUnknownStatistic)
	}
	if err := n.update(ns, true); err != nil {
		return nil, err
	}
	frame := slices.Clone(ns.last) // valueFrame makes last its own
	return n.valueFrame(ns, frame), nil
}

// clockDriven reports whether st's value can change with the passing of time alone
// (current times, in-progress status times, rates over the interval so far). Counts,
// CurrentState and the extremes of completed instances only change on events and
// resets, which Changed reports.
func clockDriven(st *config.Statistic) bool {
	switch st.StatType.Category {
	case category.TotalNumber, category.CurrentNumber, category.CurrentDistinctNumber,
		category.CurrentState, category.TotalAdjustedNumber, category.MaxTime, category.MinTime:
		return false
	case category.TotalTime, category.AverageTime:
		return st.StatType.Subject.IsStatus() // in-progress statuses add their elapsed time
	}
	return true
}

// valueJSON is the data of an SSE value event; At is the engine time (engineTimeJSON),
// Reason why the value is undefined (Value null; absent when defined).
type valueJSON struct {
	Statistic string          `json:"statistic"`
	At        json.RawMessage `json:"at"`
	Value     json.RawMessage `json:"value"`
	Reason    string          `json:"reason,omitempty"`
}

// closedJSON is the data of an SSE closed event.
type closedJSON struct {
	Statistic string          `json:"statistic"`
	At        json.RawMessage `json:"at"`
}

// closedFrame builds the SSE frame telling that statistic id was closed at engine time
// at (engineTimeJSON).
func closedFrame(id string, at json.RawMessage) ([]byte, error) {
	data, err := json.Marshal(closedJSON{Statistic: id, At: at})
	if err != nil {
		return nil, fmt.Errorf("notify %q: %w", id, err)
	}
	return sseFrame("closed", data), nil
}

// sseFrame formats one SSE event; data is one line of JSON (json.Marshal never writes a
// newline).
func sseFrame(name string, data []byte) []byte {
	b := make([]byte, 0, len("event: \ndata: \n\n")+len(name)+len(data))
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}
