package event

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the reference JSON reader. scanLine turns one line into a wireEvent (field
// texts, not yet interpreted) and checks the syntax and the shape of the wire format on
// the way; decode.go interprets the fields. Every line that the fast path (fast.go) does
// not take comes here, and every rejection is worded here and in decode.go, so this code
// favours clarity over speed; its contract is pinned by the fuzz targets, which compare it
// with encoding/json. Making decoding faster means making fast.go faster.
//
// Strings without escapes are returned as substrings of the line, so a decoded Event
// shares one allocation (the line) for all its strings.

// field names a key of the wire format.
type field uint8

const (
	fTime field = iota
	fAction
	fVariant
	fPhase
	fSource
	fInteraction
	fMedia
	fAgent
	fPlace
	fDuration
	fData
	fClass // source.class
	fID    // source.id
)

// fieldNames is the wire name of each field, as shown in reasons.
var fieldNames = [...]string{"time", "action", "variant", "phase", "source", "interaction",
	"media", "agent", "place", "duration", "data", "source.class", "source.id"}

// topFieldList is the list of top-level keys shown when a key is unknown.
const topFieldList = "time, action, variant, phase, source, interaction, media, agent, place, duration, data"

// topField maps a top-level key to its field.
func topField(key string) (field, bool) {
	switch key {
	case "time":
		return fTime, true
	case "action":
		return fAction, true
	case "variant":
		return fVariant, true
	case "phase":
		return fPhase, true
	case "source":
		return fSource, true
	case "interaction":
		return fInteraction, true
	case "media":
		return fMedia, true
	case "agent":
		return fAgent, true
	case "place":
		return fPlace, true
	case "duration":
		return fDuration, true
	case "data":
		return fData, true
	}
	return 0, false
}

// wireEvent is one line as read: the text of each field, not yet interpreted.
type wireEvent struct {
	seen  uint16     // fields present, null included (duplicate detection)
	set   uint16     // fields present and not null
	str   [13]string // string fields by field; fDuration holds the number literal
	data  Data
	unset []string // data keys whose value is null (only an update may have them)
}

func (w *wireEvent) has(f field) bool { return w.set&(1<<f) != 0 }

// scanner reads one JSON line.
type scanner struct {
	s string
	i int
}

// scanLine checks that s is one JSON object of the wire format's shape and fills w.
func scanLine(s string, w *wireEvent) *Rejection {
	sc := scanner{s: s}
	sc.ws()
	if sc.i == len(s) {
		return reject(CodeBadJSON, "empty line")
	}
	if s[sc.i] != '{' {
		return sc.syntax("expected '{': each line must be one JSON object")
	}
	sc.i++
	if rej := sc.members(func(key string) *Rejection { return sc.topMember(key, w) }); rej != nil {
		return rej
	}
	sc.ws()
	if sc.i != len(s) {
		return sc.syntax("unexpected data after the JSON object")
	}
	return nil
}

// members reads the members of an object whose '{' was consumed, up to its '}', calling
// member after each key and ':' with the scanner on the value.
func (sc *scanner) members(member func(key string) *Rejection) *Rejection {
	sc.ws()
	if sc.peek() == '}' {
		sc.i++
		return nil
	}
	for {
		sc.ws()
		if sc.peek() != '"' {
			return sc.syntax("expected a string key")
		}
		key, rej := sc.str()
		if rej != nil {
			return rej
		}
		sc.ws()
		if sc.peek() != ':' {
			return sc.syntax("expected ':' after an object key")
		}
		sc.i++
		sc.ws()
		if rej := member(key); rej != nil {
			return rej
		}
		sc.ws()
		switch sc.peek() {
		case ',':
			sc.i++
		case '}':
			sc.i++
			return nil
		default:
			return sc.syntax("expected ',' or '}' after an object value")
		}
	}
}

// topMember reads the value of a top-level key.
func (sc *scanner) topMember(key string, w *wireEvent) *Rejection {
	f, ok := topField(key)
	if !ok {
		return reject(CodeUnknownField, "unknown field %q (fields: %s)", clip(key), topFieldList)
	}
	if rej := w.mark(f); rej != nil {
		return rej
	}
	switch f {
	case fSource:
		return sc.source(w)
	case fDuration:
		return sc.duration(w)
	case fData:
		return sc.data(w)
	}
	return sc.stringField(f, w)
}

// mark records that f was seen and rejects a second occurrence.
func (w *wireEvent) mark(f field) *Rejection {
	if w.seen&(1<<f) != 0 {
		return reject(CodeDuplicateField, "field %q is given twice", fieldNames[f])
	}
	w.seen |= 1 << f
	return nil
}

// stringField reads a string (or null) value for f.
func (sc *scanner) stringField(f field, w *wireEvent) *Rejection {
	switch sc.peek() {
	case '"':
		v, rej := sc.str()
		if rej != nil {
			return rej
		}
		w.str[f], w.set = v, w.set|1<<f
		return nil
	case 'n':
		return sc.literal("null")
	}
	return sc.typeError(f, "a string")
}

// source reads the source object {class, id} (or null).
func (sc *scanner) source(w *wireEvent) *Rejection {
	switch sc.peek() {
	case 'n':
		return sc.literal("null")
	case '{':
		sc.i++
	default:
		return sc.typeError(fSource, `an object {"class": …, "id": …}`)
	}
	w.set |= 1 << fSource
	return sc.members(func(key string) *Rejection {
		var f field
		switch key {
		case "class":
			f = fClass
		case "id":
			f = fID
		default:
			return reject(CodeUnknownField, "unknown field %q (source fields: class, id)", "source."+clip(key))
		}
		if rej := w.mark(f); rej != nil {
			return rej
		}
		return sc.stringField(f, w)
	})
}

// duration reads the duration number literal (or null); validate.go interprets it.
func (sc *scanner) duration(w *wireEvent) *Rejection {
	switch c := sc.peek(); {
	case c == 'n':
		return sc.literal("null")
	case c == '-' || isDigit(c):
		lit, rej := sc.number()
		if rej != nil {
			return rej
		}
		w.str[fDuration], w.set = lit, w.set|1<<fDuration
		return nil
	}
	return sc.typeError(fDuration, "a number of seconds")
}

// data reads the data object (or null) into w.data, keeping key order. Values are strings,
// numbers (kept as their literal text) and booleans ("true"/"false"); the keys whose value
// is null go to w.unset, in order (event checks that only an update has them).
func (sc *scanner) data(w *wireEvent) *Rejection {
	switch sc.peek() {
	case 'n':
		return sc.literal("null")
	case '{':
		sc.i++
	default:
		return sc.typeError(fData, "an object of string, number or boolean values")
	}
	w.set |= 1 << fData
	d := Data{}
	var keys map[string]struct{} // duplicate detection once d is long
	var nulls []int              // the indexes in d of null values
	rej := sc.members(func(key string) *Rejection {
		v, null, rej := sc.dataValue(key)
		if rej != nil {
			return rej
		}
		if dataHas(d, &keys, key) {
			return reject(CodeDuplicateField, "data key %q is given twice", clip(key))
		}
		if cap(d) == 0 {
			d = make(Data, 0, 4)
		}
		if null {
			nulls = append(nulls, len(d))
		}
		d = append(d, Pair{Key: key, Value: v})
		return nil
	})
	if len(nulls) > 0 {
		set := make(Data, 0, len(d)-len(nulls))
		for i, p := range d {
			if len(nulls) > 0 && nulls[0] == i {
				w.unset = append(w.unset, p.Key)
				nulls = nulls[1:]
				continue
			}
			set = append(set, p)
		}
		d = set
	}
	w.data = d
	return rej
}

// dataHas reports whether key is in d, and records it in *keys once d is too long for a
// linear search.
func dataHas(d Data, keys *map[string]struct{}, key string) bool {
	const linear = 16
	if len(d) < linear {
		_, ok := d.Get(key)
		return ok
	}
	if *keys == nil {
		*keys = make(map[string]struct{}, 2*len(d))
		for _, p := range d {
			(*keys)[p.Key] = struct{}{}
		}
	}
	if _, ok := (*keys)[key]; ok {
		return true
	}
	(*keys)[key] = struct{}{}
	return false
}

// dataValue reads one value of data; null reports a null value.
func (sc *scanner) dataValue(key string) (v string, null bool, rej *Rejection) {
	switch c := sc.peek(); {
	case c == '"':
		v, rej = sc.str()
		return v, false, rej
	case c == 't':
		return "true", false, sc.literal("true")
	case c == 'f':
		return "false", false, sc.literal("false")
	case c == '-' || isDigit(c):
		v, rej = sc.number()
		return v, false, rej
	case c == 'n':
		return "", true, sc.literal("null")
	case c == '{' || c == '[':
		return "", false, reject(CodeBadData, "data %q is %s: nested values are not supported, values must be strings, numbers or booleans", clip(key), kindName(c))
	}
	return "", false, sc.syntax("expected a JSON value")
}

// typeError rejects the value at the cursor, which is not of the type f needs. A value that
// is not even valid JSON is a syntax error instead.
func (sc *scanner) typeError(f field, want string) *Rejection {
	c := sc.peek()
	var rej *Rejection
	switch {
	case c == 't':
		rej = sc.literal("true")
	case c == 'f':
		rej = sc.literal("false")
	case c == 'n':
		rej = sc.literal("null")
	case c == '-' || isDigit(c):
		_, rej = sc.number()
	case c == '"':
		_, rej = sc.str()
	case c == '{' || c == '[':
	default:
		return sc.syntax("expected a JSON value")
	}
	if rej != nil {
		return rej
	}
	code, hint := typeCode(f), ""
	if code == CodeBadType && want == "a string" && (c == '-' || isDigit(c)) {
		hint = " (ids are strings: quote the number)"
	}
	return reject(code, "%s must be %s, got %s%s", fieldNames[f], want, kindName(c), hint)
}

// typeCode is the rejection code of a type error on f.
func typeCode(f field) string {
	switch f {
	case fTime:
		return CodeBadTime
	case fPhase:
		return CodeBadPhase
	case fDuration:
		return CodeBadDuration
	case fData:
		return CodeBadData
	case fClass:
		return CodeBadSourceClass
	}
	return CodeBadType
}

// kindName names the JSON type of a value starting with c.
func kindName(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// syntax rejects the line with a JSON syntax error at the cursor.
func (sc *scanner) syntax(msg string) *Rejection {
	if sc.i >= len(sc.s) {
		return reject(CodeBadJSON, "invalid JSON: unexpected end of line: %s", msg)
	}
	return reject(CodeBadJSON, "invalid JSON at byte %d (%s): %s", sc.i+1, quoteByte(sc.s[sc.i]), msg)
}

// quoteByte shows a byte of input in a reason.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

// peek returns the byte at the cursor, or 0 at the end.
func (sc *scanner) peek() byte {
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

// ws skips JSON whitespace.
func (sc *scanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// literal consumes lit (true, false or null).
func (sc *scanner) literal(lit string) *Rejection {
	if len(sc.s)-sc.i >= len(lit) && sc.s[sc.i:sc.i+len(lit)] == lit {
		sc.i += len(lit)
		return nil
	}
	return sc.syntax("invalid literal (want " + lit + ")")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number consumes a JSON number and returns its literal text.
func (sc *scanner) number() (string, *Rejection) {
	start := sc.i
	if sc.peek() == '-' {
		sc.i++
	}
	switch c := sc.peek(); {
	case c == '0':
		sc.i++
	case c >= '1' && c <= '9':
		sc.digits()
	default:
		return "", sc.syntax("invalid number: expected a digit")
	}
	if sc.peek() == '.' {
		sc.i++
		if !isDigit(sc.peek()) {
			return "", sc.syntax("invalid number: expected a digit after '.'")
		}
		sc.digits()
	}
	if c := sc.peek(); c == 'e' || c == 'E' {
		sc.i++
		if c := sc.peek(); c == '+' || c == '-' {
			sc.i++
		}
		if !isDigit(sc.peek()) {
			return "", sc.syntax("invalid number: expected a digit in the exponent")
		}
		sc.digits()
	}
	return sc.s[start:sc.i], nil
}

// digits consumes a run of decimal digits.
func (sc *scanner) digits() {
	for sc.i < len(sc.s) && isDigit(sc.s[sc.i]) {
		sc.i++
	}
}

// str consumes a JSON string (the cursor is on its opening quote) and returns its value: a
// substring of the line when it has no escapes. Invalid UTF-8 is rejected.
func (sc *scanner) str() (string, *Rejection) {
	sc.i++
	start := sc.i
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			sc.i++
			return sc.s[start : sc.i-1], nil
		case c == '\\':
			return sc.strEscaped(start)
		case c < 0x20:
			return "", sc.syntax("control character in string (escape it)")
		case c < utf8.RuneSelf:
			sc.i++
		default:
			if rej := sc.rune(); rej != nil {
				return "", rej
			}
		}
	}
	return "", sc.syntax("unterminated string")
}

// rune consumes one multi-byte UTF-8 sequence.
func (sc *scanner) rune() *Rejection {
	r, n := utf8.DecodeRuneInString(sc.s[sc.i:])
	if r == utf8.RuneError && n == 1 {
		return sc.syntax("invalid UTF-8")
	}
	sc.i += n
	return nil
}

// strEscaped finishes a string that has escapes, from start (just after the opening
// quote); the cursor is on the first backslash. Lone surrogates in \u escapes become
// U+FFFD, as in encoding/json.
func (sc *scanner) strEscaped(start int) (string, *Rejection) {
	buf := make([]byte, 0, sc.i-start+16)
	buf = append(buf, sc.s[start:sc.i]...)
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			sc.i++
			return string(buf), nil
		case c == '\\':
			var rej *Rejection
			if buf, rej = sc.escape(buf); rej != nil {
				return "", rej
			}
		case c < 0x20:
			return "", sc.syntax("control character in string (escape it)")
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			sc.i++
		default:
			from := sc.i
			if rej := sc.rune(); rej != nil {
				return "", rej
			}
			buf = append(buf, sc.s[from:sc.i]...)
		}
	}
	return "", sc.syntax("unterminated string")
}

// escape decodes the escape sequence at the cursor (on its backslash) onto buf.
func (sc *scanner) escape(buf []byte) ([]byte, *Rejection) {
	sc.i++
	c := sc.peek()
	sc.i++
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, ok := sc.hex4()
		if !ok {
			return buf, sc.syntax("invalid \\u escape: expected 4 hex digits")
		}
		if utf16.IsSurrogate(r) {
			r = sc.lowSurrogate(r)
		}
		return utf8.AppendRune(buf, r), nil
	}
	sc.i--
	return buf, sc.syntax("invalid escape sequence")
}

// lowSurrogate combines the high surrogate hi with a following \u low surrogate, consuming
// it; without one it returns U+FFFD and consumes nothing.
func (sc *scanner) lowSurrogate(hi rune) rune {
	if len(sc.s)-sc.i < 6 || sc.s[sc.i] != '\\' || sc.s[sc.i+1] != 'u' {
		return utf8.RuneError
	}
	save := sc.i
	sc.i += 2
	lo, ok := sc.hex4()
	if r := utf16.DecodeRune(hi, lo); ok && r != utf8.RuneError {
		return r
	}
	sc.i = save
	return utf8.RuneError
}

// hex4 consumes 4 hex digits.
func (sc *scanner) hex4() (rune, bool) {
	if len(sc.s)-sc.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(sc.s[sc.i : sc.i+4]) {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	sc.i += 4
	return r, true
}
