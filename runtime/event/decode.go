package event

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/internal/suggest"
)

// DefaultMaxLineBytes is the longest line (without its newline) decoded when
// Options.MaxLineBytes is 0: 1 MiB.
const DefaultMaxLineBytes = 1 << 20

// Resolver answers the decoder's questions about the topology. Implementations must be
// safe for the decoder's use (read-only during decoding).
type Resolver interface {
	// DNType returns the type of the DN id, and false when id is no DN. It selects the rows
	// of actions restricted to DN types (e.g. CallAnswered on a virtual queue).
	DNType(id string) (object.DNType, bool)
	// Known reports whether the topology has an object id of source class class.
	Known(class object.SourceClass, id string) bool
}

// SourceResolver is a Resolver that answers both of the decoder's questions about an
// event's source with one look-up. The decoder calls ResolveSource, when the Resolver has
// it, instead of Known and DNType on the lines it decodes without rejecting them; it must
// agree with them.
type SourceResolver interface {
	Resolver
	// ResolveSource returns Known(class, id) and, when id is a DN whose type is of source
	// class class, that type (DNNone otherwise).
	ResolveSource(class object.SourceClass, id string) (dn object.DNType, known bool)
}

// Options configure decoding. The zero value decodes without topology checks and with
// DefaultMaxLineBytes.
type Options struct {
	// Resolver, when non-nil, rejects events on objects it does not know (unknown_object)
	// and supplies DN types for action lookup. With a nil Resolver the source object is not
	// checked and actions restricted to DN types are chosen only by their variant.
	Resolver Resolver
	// MaxLineBytes bounds the length of a line, newline excluded; 0 or less means
	// DefaultMaxLineBytes. A longer line is rejected (line_too_long) and skipped; the
	// Decoder never holds more than about this much of one line in memory.
	MaxLineBytes int
}

// maxLine returns the effective line length bound.
func (o *Options) maxLine() int {
	if o.MaxLineBytes > 0 {
		return o.MaxLineBytes
	}
	return DefaultMaxLineBytes
}

// DecodeLine decodes and validates one NDJSON line (a trailing newline is allowed) and
// numbers it lineNo.
//
// The wire format is one JSON object per line, with these keys:
//
//   - time (required): RFC 3339 (see ParseTime); below the millisecond it is truncated.
//   - action (required), variant (optional): resolved with action.Lookup on the source
//     class (and the DN type, with a Resolver); variant is needed only where the name is
//     ambiguous, and when given it must name a row of the action on that source.
//   - phase: "start", "update" or "end", required for durable actions and refused
//     otherwise. An update changes the attached data of the instance in progress with
//     the same key as its end would have (source, action, interaction, and the agent on
//     the sources the engine keys by agent); it must carry data, and changes only that
//     (media and place on an update are accepted and not applied).
//   - source (required): {"class": a source class name such as regular_dn, "id": string}.
//   - interaction, media, agent, place (optional): strings.
//   - duration: seconds as a JSON number ≥ 0, required for retrospective actions and
//     refused otherwise; converted exactly to milliseconds, truncating below the
//     millisecond (12.4 → 12400 ms, 0.0019 → 1 ms).
//   - data (optional; required on an update): an object whose values are strings,
//     numbers or booleans; it becomes Data in key order, numbers keeping their literal
//     text ("Priority": 5 → "5"), booleans "true"/"false". {} gives an empty non-nil
//     Data, absent or null a nil one. On an update only, a null value removes the key:
//     the null keys go to Unset, in order, and the others to Data ({"VIP":null} gives
//     Data{} and Unset ["VIP"]).
//
// Any other key (at the top level or in source), a repeated key (data included), a null
// for a required field and nested values in data are rejected; null for an optional field
// is the same as leaving it out, and so is "" for an optional string. For example:
//
//	{"time":"2026-11-26T09:00:03.250Z","action":"CallInbound","phase":"start",
//	"source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice",
//	"agent":"1001","data":{"Segment":"Gold","Priority":5}}
//	{"time":"2026-11-26T09:01:10Z","action":"CallInbound","phase":"update",
//	"source":{"class":"regular_dn","id":"7001"},"interaction":"c-42",
//	"data":{"Segment":"Platinum","Priority":null}}
//
// When the line is rejected the error is a *Rejection carrying lineNo, a Code and a
// Reason; it is never another error. A blank line is rejected as bad_json (the
// Decoder skips blank lines before they get here).
//
// The strings of the returned Event are copies: line may be reused by the caller. They
// share one allocation, which holds at most a copy of line: keeping any of them keeps it
// alive.
//
// DecodeLine checks everything that one line can show: JSON shape, fields, time, source
// class, source object (with a Resolver), action applicability, phase and duration. It
// does not check anything that needs earlier events (an end or update without a start, a
// second start, an event older than the previous one): the engine does.
func DecodeLine(line []byte, lineNo int, opts Options) (Event, error) {
	var fw fastWire
	e, rej := decodeLine(line, lineNo, &opts, &fw)
	if rej != nil {
		return Event{}, rej
	}
	return e, nil
}

// decodeLine is DecodeLine returning the concrete rejection type; fw is scratch space for
// the fast path.
func decodeLine(line []byte, lineNo int, opts *Options, fw *fastWire) (Event, *Rejection) {
	if max := opts.maxLine(); len(line) > max {
		return Event{}, &Rejection{Line: lineNo, Code: CodeLineTooLong,
			Reason: "line is longer than " + strconv.Itoa(max) + " bytes"}
	}
	if e, ok := fastDecode(line, opts, fw); ok {
		e.Line = lineNo
		return e, nil
	}
	return decodeRef(line, lineNo, opts)
}

// decodeRef decodes a line of at most the maximum length with the reference path, which
// words every rejection.
func decodeRef(line []byte, lineNo int, opts *Options) (Event, *Rejection) {
	var w wireEvent
	if rej := scanLine(string(line), &w); rej != nil {
		rej.Line = lineNo
		return Event{}, rej
	}
	e, rej := w.event(opts)
	if rej != nil {
		rej.Line = lineNo
		return Event{}, rej
	}
	e.Line = lineNo
	return e, nil
}

// event interprets the scanned fields and validates them against the action table and the
// resolver. Checks run in a fixed order, so a line with several problems always gets the
// same reason: required fields, time, source class, source object, action, phase,
// duration.
func (w *wireEvent) event(opts *Options) (Event, *Rejection) {
	for _, f := range [...]field{fTime, fAction, fSource, fClass, fID} {
		if !w.has(f) || (f != fSource && w.str[f] == "") {
			return Event{}, reject(CodeMissingField, "%s is required", fieldNames[f])
		}
	}
	t, err := ParseTime(w.str[fTime])
	if err != nil {
		return Event{}, reject(CodeBadTime, "time %q: %v", clip(w.str[fTime]), err)
	}
	class, err := object.ParseSourceClass(w.str[fClass])
	if err != nil {
		return Event{}, reject(CodeBadSourceClass, "unknown source class %q (classes: %s)", clip(w.str[fClass]), classList)
	}
	id := w.str[fID]
	dn := object.DNNone
	if r := opts.Resolver; r != nil {
		if !r.Known(class, id) {
			return Event{}, reject(CodeUnknownObject, "no %s %q in the topology", class, clip(id))
		}
		if dt, ok := r.DNType(id); ok && dt.Class() == class {
			dn = dt
		}
	}
	a, err := action.Lookup(w.str[fAction], class, w.str[fVariant], dn)
	if err != nil {
		return Event{}, lookupRejection(err, w.str[fAction], w.str[fVariant])
	}
	phase, rej := w.phase(a)
	if rej != nil {
		return Event{}, rej
	}
	dur, rej := w.duration(a)
	if rej != nil {
		return Event{}, rej
	}
	var data Data
	if w.has(fData) {
		data = w.data
	}
	return Event{
		Time: t, Action: a, Phase: phase, Source: Source{Class: class, ID: id},
		Interaction: w.str[fInteraction], Media: w.str[fMedia], Agent: w.str[fAgent],
		Place: w.str[fPlace], Duration: dur, Data: data, Unset: w.unset,
	}, nil
}

// classList lists the source class names for reasons.
var classList = func() string {
	s := ""
	for i, c := range object.AllSourceClasses() {
		if i > 0 {
			s += ", "
		}
		s += c.String()
	}
	return s
}()

// lookupRejection turns an action.Lookup error into a rejection. Its message quotes the
// name and variant in full, so an absurdly long one gets a shorter reason; an unknown name
// near an action's gets "did you mean …?".
func lookupRejection(err error, name, variant string) *Rejection {
	code, msg := lookupCode(err), err.Error()
	if len(msg) > 4*maxQuoted+200 {
		msg = fmt.Sprintf("%s: action %q, variant %q", strings.ReplaceAll(code, "_", " "), clip(name), clip(variant))
	} else if code == CodeUnknownAction {
		msg += suggest.Hint(name, action.Names())
	}
	return &Rejection{Code: code, Reason: msg}
}

// lookupCode classifies an action.Lookup error.
func lookupCode(err error) string {
	switch {
	case errors.Is(err, action.ErrNotApplicable):
		return CodeNotApplicable
	case errors.Is(err, action.ErrUnknownVariant):
		return CodeUnknownVariant
	case errors.Is(err, action.ErrAmbiguous):
		return CodeAmbiguousAction
	}
	return CodeUnknownAction
}

// phase checks the phase against the action's kind (required for durable actions,
// refused for the others) and the data against the phase (required on an update; null
// values, which remove keys, only there).
func (w *wireEvent) phase(a action.ID) (Phase, *Rejection) {
	p := PhaseNone
	if w.has(fPhase) {
		switch w.str[fPhase] {
		case "start":
			p = PhaseStart
		case "end":
			p = PhaseEnd
		case "update":
			p = PhaseUpdate
		default:
			return p, reject(CodeBadPhase, "phase %q is invalid: want \"start\", \"update\" or \"end\"", clip(w.str[fPhase]))
		}
	}
	switch k := a.Kind(); {
	case k == action.KindDurable && p == PhaseNone:
		return p, reject(CodeBadPhase, "%s is durable: phase \"start\", \"update\" or \"end\" is required", a)
	case k != action.KindDurable && p == PhaseUpdate:
		return p, reject(CodeBadPhase, "%s is %s: only a durable action in progress can be updated", a, k)
	case k != action.KindDurable && p != PhaseNone:
		return p, reject(CodeBadPhase, "%s is %s: phase is only allowed on durable actions", a, k)
	case p == PhaseUpdate && !w.has(fData):
		return p, reject(CodeMissingField, "%s update: data is required (the keys it sets, null for a key it removes)", a)
	case p != PhaseUpdate && len(w.unset) > 0:
		return p, reject(CodeBadData, "data %q is null: values must be strings, numbers or booleans (null removes a key on an update only)", clip(w.unset[0]))
	}
	return p, nil
}

// duration checks the duration against the action's kind (required for retrospective
// actions, refused for the others) and converts it to milliseconds.
func (w *wireEvent) duration(a action.ID) (int64, *Rejection) {
	k := a.Kind()
	if !w.has(fDuration) {
		if k == action.KindRetrospective {
			return 0, reject(CodeBadDuration, "%s is retrospective: duration (seconds) is required", a)
		}
		return 0, nil
	}
	if k != action.KindRetrospective {
		return 0, reject(CodeBadDuration, "%s is %s: duration is only allowed on retrospective actions", a, k)
	}
	ms, err := parseDurationMillis(w.str[fDuration])
	switch {
	case errors.Is(err, errTooLarge):
		return 0, reject(CodeBadDuration, "duration %s is too large (at most %d s)", clip(w.str[fDuration]), MaxDuration/1000)
	case err != nil:
		return 0, reject(CodeBadDuration, "duration %s %v", clip(w.str[fDuration]), err)
	}
	return ms, nil
}
