package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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
// were last evaluated. A value is sent when its JSON differs from the last one sent.
//
// Invariant: for every subscriber and every statistic it watches, the newest frame it
// was given (snapshot, delivered or pending) carries last[id]. The notifier belongs to
// the owner goroutine.
type notifier struct {
	eng *engine.Engine
	hub *hub
	// last is the JSON of the value last sent (or snapshotted) per open statistic; nil
	// when none was.
	last map[string][]byte
	// clocked are the open statistics that change with the clock alone (order: the
	// order they were opened in), and clockedAt the engine time they were last evaluated.
	clocked   map[string]struct{}
	order     []string
	clockedAt event.Time
	ids       []string // scratch for Changed
}

// clockResolution is how far event time must move during batches before the
// clock-driven statistics are evaluated again (ticks always evaluate them).
const clockResolution event.Time = 1000

// newNotifier returns a notifier over eng's open statistics, publishing to h.
func newNotifier(eng *engine.Engine, h *hub) *notifier {
	n := &notifier{eng: eng, hub: h, last: map[string][]byte{}, clocked: map[string]struct{}{}}
	for _, st := range eng.Statistics() {
		n.opened(st)
	}
	return n
}

// opened starts tracking st, just opened in the engine. The caller publishes its first
// value with check.
func (n *notifier) opened(st *config.Statistic) {
	if clockDriven(st) {
		n.clocked[st.ID] = struct{}{}
		n.order = append(n.order, st.ID)
	}
	n.last[st.ID] = nil
}

// closed stops tracking statistic id, just closed, and tells its subscribers.
func (n *notifier) closed(id string) error {
	delete(n.last, id)
	if _, ok := n.clocked[id]; ok {
		delete(n.clocked, id)
		n.order = slices.DeleteFunc(n.order, func(x string) bool { return x == id })
	}
	frame, err := closedFrame(id, n.eng.Now())
	if err != nil {
		return err
	}
	n.hub.publish(id, frame)
	n.hub.flush()
	return nil
}

// afterBatch notifies the statistics an applied batch changed.
func (n *notifier) afterBatch() error {
	n.ids = n.eng.Changed(n.ids[:0])
	clocked := n.eng.Now()-n.clockedAt >= clockResolution
	return n.send(n.ids, clocked)
}

// afterTick notifies the statistics a clock tick changed: those Changed lists (resets)
// and the clock-driven ones.
func (n *notifier) afterTick() error {
	n.ids = n.eng.Changed(n.ids[:0])
	return n.send(n.ids, true)
}

// send evaluates ids, and the clock-driven statistics when clocked, publishes every
// value that differs from the last one sent, and wakes the subscribers.
func (n *notifier) send(ids []string, clocked bool) error {
	var errs []error
	for _, id := range ids {
		if _, ok := n.clocked[id]; !ok || !clocked {
			errs = append(errs, n.check(id))
		}
	}
	if clocked {
		n.clockedAt = n.eng.Now()
		for _, id := range n.order {
			errs = append(errs, n.check(id))
		}
	}
	n.hub.flush()
	return errors.Join(errs...)
}

// check evaluates statistic id and publishes it when its value changed. The caller
// flushes the hub.
func (n *notifier) check(id string) error {
	prev, open := n.last[id]
	if !open {
		return nil
	}
	b, err := n.value(id)
	if err != nil {
		return err
	}
	if prev != nil && bytes.Equal(b, prev) {
		return nil
	}
	n.last[id] = b
	frame, err := valueFrame(id, n.eng.Now(), b)
	if err != nil {
		return err
	}
	n.hub.publish(id, frame)
	return nil
}

// value returns the JSON of statistic id's current value.
func (n *notifier) value(id string) ([]byte, error) {
	v, err := n.eng.Value(id)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("notify %q: %w", id, err)
	}
	return b, nil
}

// snapshot returns the SSE frame of statistic id's current value for a new subscriber,
// which the caller adds to the hub afterwards. When the value has moved since it was
// last sent (a clock-driven statistic between evaluations) it is published to the
// current subscribers too, which keeps last[id] the newest value everyone was given.
func (n *notifier) snapshot(id string) ([]byte, error) {
	if err := n.check(id); err != nil {
		return nil, err
	}
	n.hub.flush()
	return valueFrame(id, n.eng.Now(), n.last[id])
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

// valueJSON is the data of an SSE value event.
type valueJSON struct {
	Statistic string          `json:"statistic"`
	At        string          `json:"at"`
	Value     json.RawMessage `json:"value"`
}

// valueFrame builds the SSE frame "event: value\ndata: {statistic, at, value}\n\n".
func valueFrame(id string, at event.Time, value []byte) ([]byte, error) {
	data, err := json.Marshal(valueJSON{Statistic: id, At: at.String(), Value: value})
	if err != nil {
		return nil, fmt.Errorf("notify %q: %w", id, err)
	}
	return sseFrame("value", data), nil
}

// closedJSON is the data of an SSE closed event.
type closedJSON struct {
	Statistic string `json:"statistic"`
	At        string `json:"at"`
}

// closedFrame builds the SSE frame telling that statistic id was closed.
func closedFrame(id string, at event.Time) ([]byte, error) {
	data, err := json.Marshal(closedJSON{Statistic: id, At: at.String()})
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
