package event

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Rejection codes: the Code of a Rejection. They are stable identifiers, meant as metric
// labels and for clients that branch on the kind of problem; the Reason says the rest.
//
// The decoder checks one line at a time and knows nothing of earlier lines, so it never
// rejects for state: an end or update without a start, a second start of the same durable
// instance or an event older than the last applied one are rejected by the engine, with its
// own codes.
const (
	// CodeLineTooLong: the line is longer than Options.MaxLineBytes.
	CodeLineTooLong = "line_too_long"
	// CodeBadJSON: the line is not one well-formed JSON object (syntax error, invalid UTF-8,
	// trailing data, empty line given to DecodeLine).
	CodeBadJSON = "bad_json"
	// CodeUnknownField: a key that the wire format does not have (typo protection), at the top
	// level or inside source.
	CodeUnknownField = "unknown_field"
	// CodeDuplicateField: a key given twice in one object (top level, source or data).
	CodeDuplicateField = "duplicate_field"
	// CodeBadType: a field with a JSON type it cannot have (e.g. a number where an id string is
	// expected) and no more specific code.
	CodeBadType = "bad_type"
	// CodeMissingField: time, action, source, source.class or source.id is absent, null or "";
	// or an update has no data.
	CodeMissingField = "missing_field"
	// CodeBadTime: time is not an RFC 3339 date-time, or is outside years 0000–9999 in UTC.
	CodeBadTime = "bad_time"
	// CodeBadSourceClass: source.class is not a source class name (regular_dn, mediation_dn…).
	CodeBadSourceClass = "bad_source_class"
	// CodeUnknownObject: the resolver does not know the source object.
	CodeUnknownObject = "unknown_object"
	// CodeUnknownAction: the action name is in no row of the action table.
	CodeUnknownAction = "unknown_action"
	// CodeNotApplicable: the action never occurs on the source class or DN type.
	CodeNotApplicable = "not_applicable"
	// CodeUnknownVariant: the action has no row with the given variant on the source.
	CodeUnknownVariant = "unknown_variant"
	// CodeAmbiguousAction: several rows of the action fit the source; the event must name a
	// variant.
	CodeAmbiguousAction = "ambiguous_action"
	// CodeBadPhase: phase is not "start"/"update"/"end", or is missing on a durable action, or
	// is given on a momentary or retrospective one.
	CodeBadPhase = "bad_phase"
	// CodeBadDuration: duration is not a number, is negative or too large, or is missing on a
	// retrospective action, or is given on a durable or momentary one.
	CodeBadDuration = "bad_duration"
	// CodeBadData: data is not an object of string, number and boolean values (and null
	// values, which only an update may give).
	CodeBadData = "bad_data"
)

// rejectionCodes lists every code in a fixed order; it is never modified.
var rejectionCodes = [...]string{
	CodeLineTooLong, CodeBadJSON, CodeUnknownField, CodeDuplicateField, CodeBadType,
	CodeMissingField, CodeBadTime, CodeBadSourceClass, CodeUnknownObject, CodeUnknownAction,
	CodeNotApplicable, CodeUnknownVariant, CodeAmbiguousAction, CodeBadPhase, CodeBadDuration,
	CodeBadData,
}

// RejectionCodes returns every rejection code the decoder can produce (a new slice each
// call), e.g. to pre-register metric labels.
func RejectionCodes() []string {
	return append([]string(nil), rejectionCodes[:]...)
}

// Error formats the rejection as "line N: reason [code]", so a *Rejection can be returned
// as an error (DecodeLine does).
func (r *Rejection) Error() string {
	return "line " + strconv.Itoa(r.Line) + ": " + r.Reason + " [" + r.Code + "]"
}

// reject builds a Rejection without a line number; the caller sets Line.
func reject(code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// maxQuoted bounds the bytes of input quoted in a reason.
const maxQuoted = 64

// clip shortens s to at most maxQuoted bytes (on a rune boundary) plus "…", so that a
// reason never echoes a huge input.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	i := maxQuoted
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
