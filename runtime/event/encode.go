package event

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/statkit/statkit/generated/action"
)

// ErrInvalidEvent is wrapped by the errors of AppendJSON and Encode for an Event that has
// no wire form the decoder would accept.
var ErrInvalidEvent = errors.New("invalid event")

// AppendJSON appends the canonical wire form of e to buf, without a newline, and returns
// the extended buffer. The canonical form has the keys in the order time, action, variant,
// phase, source{class,id}, interaction, media, agent, place, duration, data; the time in UTC
// with milliseconds (2026-11-26T09:00:03.250Z); the action's variant whenever its row has
// one; empty strings left out; the duration (retrospective actions only) in seconds without
// trailing zeros; data values as strings, then the keys an update removes (Unset) as null,
// "data":{} for an empty non-nil Data and no data key for a nil one. Decoding the result
// without a Resolver, or with one that knows the source, gives back e exactly (Line aside,
// which is not encoded).
//
// An Event that could not be decoded back (invalid action or class, an action that does
// not occur on the class, a phase or duration that does not fit the action's kind, an
// update with a nil Data, Unset on another phase, an empty source id, a time outside
// [MinTime, MaxTime], invalid UTF-8, a data key repeated in Data and Unset) is an error
// wrapping ErrInvalidEvent, and buf is returned unchanged.
func AppendJSON(buf []byte, e Event) ([]byte, error) {
	if err := checkEncodable(&e); err != nil {
		return buf, err
	}
	buf = append(buf, `{"time":"`...)
	buf = appendTime(buf, e.Time)
	buf = append(buf, `","action":`...)
	buf = appendString(buf, e.Action.Name())
	if v := e.Action.Variant(); v != "" {
		buf = append(buf, `,"variant":`...)
		buf = appendString(buf, v)
	}
	if e.Phase != PhaseNone {
		buf = append(buf, `,"phase":"`...)
		buf = append(buf, e.Phase.String()...)
		buf = append(buf, '"')
	}
	buf = append(buf, `,"source":{"class":"`...)
	buf = append(buf, e.Source.Class.String()...)
	buf = append(buf, `","id":`...)
	buf = appendString(buf, e.Source.ID)
	buf = append(buf, '}')
	buf = appendOptional(buf, `,"interaction":`, e.Interaction)
	buf = appendOptional(buf, `,"media":`, e.Media)
	buf = appendOptional(buf, `,"agent":`, e.Agent)
	buf = appendOptional(buf, `,"place":`, e.Place)
	if e.Action.Kind() == action.KindRetrospective {
		buf = append(buf, `,"duration":`...)
		buf = appendDuration(buf, e.Duration)
	}
	if e.Data != nil {
		buf = append(buf, `,"data":{`...)
		for i, p := range e.Data {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, p.Key)
			buf = append(buf, ':')
			buf = appendString(buf, p.Value)
		}
		for i, k := range e.Unset {
			if i > 0 || len(e.Data) > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, `:null`...)
		}
		buf = append(buf, '}')
	}
	return append(buf, '}'), nil
}

// Encode writes the canonical wire form of e and a newline to w.
func Encode(w io.Writer, e Event) error {
	buf, err := AppendJSON(make([]byte, 0, 256), e)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(buf, '\n')); err != nil {
		return fmt.Errorf("event: writing %s: %w", e.Action, err)
	}
	return nil
}

// Encoder writes events as NDJSON, reusing one buffer. It is not safe for concurrent use.
type Encoder struct {
	w   io.Writer
	buf []byte
}

// NewEncoder returns an Encoder writing to w (wrap w in a bufio.Writer for many events).
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes the canonical wire form of e and a newline.
func (enc *Encoder) Encode(e Event) error {
	buf, err := AppendJSON(enc.buf[:0], e)
	if err != nil {
		return err
	}
	enc.buf = append(buf, '\n')
	if _, err := enc.w.Write(enc.buf); err != nil {
		return fmt.Errorf("event: writing %s: %w", e.Action, err)
	}
	return nil
}

// checkEncodable rejects an Event that has no wire form the decoder accepts.
func checkEncodable(e *Event) error {
	a, k := e.Action, e.Action.Kind()
	switch {
	case !a.Valid():
		return fmt.Errorf("event: encode: %w: action %d is not a valid action", ErrInvalidEvent, int(a))
	case !e.Source.Class.Valid():
		return fmt.Errorf("event: encode %s: %w: source class %d is not valid", a, ErrInvalidEvent, int(e.Source.Class))
	case !a.Sources().Has(e.Source.Class):
		return fmt.Errorf("event: encode %s: %w: the action does not occur on %s", a, ErrInvalidEvent, e.Source.Class)
	case e.Source.ID == "":
		return fmt.Errorf("event: encode %s: %w: empty source id", a, ErrInvalidEvent)
	case e.Time < MinTime || e.Time > MaxTime:
		return fmt.Errorf("event: encode %s: %w: time %d ms is outside years 0000-9999", a, ErrInvalidEvent, int64(e.Time))
	case e.Phase > PhaseUpdate, (k == action.KindDurable) != (e.Phase != PhaseNone):
		return fmt.Errorf("event: encode %s: %w: phase %d on a %s action", a, ErrInvalidEvent, int(e.Phase), k)
	case e.Phase == PhaseUpdate && e.Data == nil:
		return fmt.Errorf("event: encode %s: %w: an update with nil data (use Data{} when it only removes keys)", a, ErrInvalidEvent)
	case e.Phase != PhaseUpdate && len(e.Unset) > 0:
		return fmt.Errorf("event: encode %s: %w: keys to remove (Unset) on a %q event, only an update has them", a, ErrInvalidEvent, e.Phase)
	case e.Duration < 0 || e.Duration > MaxDuration, k != action.KindRetrospective && e.Duration != 0:
		return fmt.Errorf("event: encode %s: %w: duration %d ms on a %s action", a, ErrInvalidEvent, e.Duration, k)
	}
	for _, s := range [...]string{e.Source.ID, e.Interaction, e.Media, e.Agent, e.Place} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("event: encode %s: %w: invalid UTF-8 in %q", a, ErrInvalidEvent, s)
		}
	}
	for _, p := range e.Data {
		if !utf8.ValidString(p.Key) || !utf8.ValidString(p.Value) {
			return fmt.Errorf("event: encode %s: %w: invalid UTF-8 in data %q", a, ErrInvalidEvent, p.Key)
		}
	}
	for _, k := range e.Unset {
		if !utf8.ValidString(k) {
			return fmt.Errorf("event: encode %s: %w: invalid UTF-8 in data %q", a, ErrInvalidEvent, k)
		}
	}
	if err := checkDataKeys(e.Data, e.Unset); err != nil {
		return fmt.Errorf("event: encode %s: %w: %v", a, ErrInvalidEvent, err)
	}
	return nil
}

// checkDataKeys refuses repeated data keys, which the decoder rejects: in d, or in d and
// the keys an update removes.
func checkDataKeys(d Data, unset []string) error {
	var keys map[string]struct{}
	for i, p := range d {
		if dataHas(d[:i], &keys, p.Key) {
			return fmt.Errorf("data key %q is repeated", p.Key)
		}
	}
	if len(unset) == 0 {
		return nil
	}
	all := append(slices.Clip(d), make(Data, 0, len(unset))...)
	for _, k := range unset {
		if dataHas(all, &keys, k) {
			return fmt.Errorf("data key %q is repeated", k)
		}
		all = append(all, Pair{Key: k})
	}
	return nil
}

// hexDigits are the digits of \u escapes.
const hexDigits = "0123456789abcdef"

// appendOptional appends key and the string s unless s is empty.
func appendOptional(buf []byte, key, s string) []byte {
	if s == "" {
		return buf
	}
	return appendString(append(buf, key...), s)
}

// appendString appends s (valid UTF-8) as a JSON string, escaping only '"', '\\' and
// control characters.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
