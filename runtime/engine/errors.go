package engine

import (
	"errors"
	"fmt"
)

// Code classifies why the engine rejected an event. Codes are stable strings, meant for
// metrics and for the per-line reasons of replay and the HTTP API.
type Code string

// Rejection codes of Apply. Every rejection leaves the engine exactly as it was.
const (
	// CodeEndWithoutStart: the end of a durable action with no instance in progress for
	// its key (source, action, interaction; and the agent, outside any interaction, on a
	// source that agents share).
	CodeEndWithoutStart Code = "end_without_start"
	// CodeUpdateWithoutStart: an update of a durable action with no instance in progress
	// for its key (keyed as an end is).
	CodeUpdateWithoutStart Code = "update_without_start"
	// CodeDuplicateStart: the start of a durable action whose instance for the same key is
	// already in progress.
	CodeDuplicateStart Code = "duplicate_start"
	// CodeLateEvent: an event older than the engine clock (events must come in time order;
	// equal times are applied in arrival order).
	CodeLateEvent Code = "late_event"
	// CodeUnknownObject: the event's source, or the agent or place it names, is not in the
	// topology (or is not an object of the event's source class).
	CodeUnknownObject Code = "unknown_object"
	// CodeInvalidEvent: the event is malformed (no valid action, a phase that does not fit
	// the action's kind, an action that does not occur on the source class). The event
	// decoder rejects these before they reach the engine; the engine checks again so that a
	// hand-built event cannot corrupt its state.
	CodeInvalidEvent Code = "invalid_event"
)

// Codes returns every rejection code of Apply (a new slice each call), e.g. to
// pre-register metric labels.
func Codes() []Code {
	return []Code{CodeEndWithoutStart, CodeUpdateWithoutStart, CodeDuplicateStart, CodeLateEvent,
		CodeUnknownObject, CodeInvalidEvent}
}

// RejectError is the error Apply returns for an event it did not apply. It carries a Code;
// use errors.As to get it, or CodeOf.
type RejectError struct {
	Code Code
	// Msg says what was wrong, in words, without the code.
	Msg string
}

// Error returns "code: message".
func (e *RejectError) Error() string { return string(e.Code) + ": " + e.Msg }

// CodeOf returns the rejection code carried by err, or "" when err is not a rejection.
func CodeOf(err error) Code {
	var re *RejectError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}

func reject(code Code, format string, args ...any) error {
	return &RejectError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ErrUnknownStatistic is returned (wrapped) by Value and Close for an id that is not open.
var ErrUnknownStatistic = errors.New("unknown statistic")
