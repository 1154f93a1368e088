package event

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
)

// This file is the decoder's fast path. fastDecode reads the line in place (no copy of the
// line) and handles what well-formed input looks like: strings without escapes, no nulls,
// no rejections. Whenever it meets anything else — an escape, a null, a syntax error, a
// value the validation refuses — it gives up and decodeLine decodes the line again with
// the reference path (scanLine and wireEvent.event), which alone words rejections. So the
// fast path needs to be right only about the lines it accepts: for those it must produce
// exactly the Event of the reference path, which FuzzFastPath checks.
//
// What makes it fast: keys, source classes and phases are matched as whole words where
// they stand, strings are scanned eight bytes at a time, the action is resolved through a
// memo of action.Lookup, the date and time to the minute is parsed once per minute of
// events, and only the strings an Event keeps are copied, into one allocation. Within a
// Decoder, a memo of recent strings and Data (type memo) spares even that allocation when
// the values repeat, which is the rule (FuzzFastPathMemo checks it).

// maxFastPairs is the most data pairs the fast path handles; longer data takes the
// reference path (whose duplicate detection switches to a map).
const maxFastPairs = 16

// span is the byte range [i, j) of a line.
type span struct{ i, j int }

// fastWire is one line as read by the fast path, and the fast path's memory between lines.
type fastWire struct {
	set   uint16   // fields present (the fast path gives up on null)
	str   [13]span // text of the other string fields (empty when absent); fDuration: the number literal
	time  Time     // fTime, parsed
	class object.SourceClass
	phase Phase
	npair int // data pairs in pairs
	pairs [maxFastPairs]struct{ k, v span }
	clock minuteCache
	memo  *memo // nil for DecodeLine: no memory between calls
}

// minuteCache remembers the last date and time to the minute that parseTime parsed: the
// events of a stream mostly share it with the line before.
type minuteCache struct {
	text [16]byte // 2006-01-02T15:04
	secs int64    // its seconds since the epoch, before the zone offset
	ok   bool
}

// fastDecode decodes line as decodeLine does, or reports false when it cannot vouch for
// the result.
func fastDecode(line []byte, opts *Options, w *fastWire) (Event, bool) {
	if !w.scan(line) {
		return Event{}, false
	}
	return w.event(line, opts)
}

// scan reads line into w, reporting false at anything outside the fast path.
func (w *fastWire) scan(b []byte) bool {
	w.set, w.npair, w.str, w.phase = 0, 0, [13]span{}, PhaseNone
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipWS(b, i+1)
	for {
		f, j := topKey(b, i)
		if j < 0 {
			return false
		}
		if i = skipWS(b, j); i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		if w.set&(1<<f) != 0 {
			return false
		}
		w.set |= 1 << f
		switch f {
		case fTime:
			i = w.parseTime(b, i)
		case fPhase:
			i = w.phaseValue(b, i)
		case fSource:
			i = w.source(b, i)
		case fDuration:
			j := scanNumber(b, i)
			w.str[fDuration] = span{i, j}
			if j == i {
				return false
			}
			i = j
		case fData:
			i = w.scanData(b, i)
		default:
			i = w.strField(b, i, f)
		}
		if i < 0 {
			return false
		}
		if i = skipWS(b, i); i >= len(b) {
			return false
		}
		if b[i] == '}' {
			break
		}
		if b[i] != ',' {
			return false
		}
		i = skipWS(b, i+1)
	}
	return skipWS(b, i+1) == len(b)
}

// topKey matches the top-level key at i (on its opening quote) and returns its field and
// the index after its closing quote, or -1 when it is no key of the wire format spelled
// plainly.
func topKey(b []byte, i int) (field, int) {
	if i+1 >= len(b) || b[i] != '"' {
		return 0, -1
	}
	k := b[i+1:]
	switch b[i+1] {
	case 't':
		return fTime, keyEnd(k, i, `time"`)
	case 'a':
		if j := keyEnd(k, i, `action"`); j >= 0 {
			return fAction, j
		}
		return fAgent, keyEnd(k, i, `agent"`)
	case 'v':
		return fVariant, keyEnd(k, i, `variant"`)
	case 'p':
		if j := keyEnd(k, i, `phase"`); j >= 0 {
			return fPhase, j
		}
		return fPlace, keyEnd(k, i, `place"`)
	case 's':
		return fSource, keyEnd(k, i, `source"`)
	case 'i':
		return fInteraction, keyEnd(k, i, `interaction"`)
	case 'm':
		return fMedia, keyEnd(k, i, `media"`)
	case 'd':
		if j := keyEnd(k, i, `data"`); j >= 0 {
			return fData, j
		}
		return fDuration, keyEnd(k, i, `duration"`)
	}
	return 0, -1
}

// keyEnd returns the index after the key text key (closing quote included) when k, the
// line after the opening quote at i, starts with it, and -1 otherwise.
func keyEnd(k []byte, i int, key string) int {
	if hasPrefix(k, key) {
		return i + 1 + len(key)
	}
	return -1
}

// strField reads the string value of f at i and returns the index after it, or -1.
func (w *fastWire) strField(b []byte, i int, f field) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	j, ok := scanStr(b, i+1)
	if !ok {
		return -1
	}
	w.str[f] = span{i + 1, j}
	return j + 1
}

// phaseValue reads "start", "end" or "update" at i.
func (w *fastWire) phaseValue(b []byte, i int) int {
	switch {
	case hasPrefix(b[i:], `"start"`):
		w.phase = PhaseStart
		return i + len(`"start"`)
	case hasPrefix(b[i:], `"end"`):
		w.phase = PhaseEnd
		return i + len(`"end"`)
	case hasPrefix(b[i:], `"update"`):
		w.phase = PhaseUpdate
		return i + len(`"update"`)
	}
	return -1
}

// classNames are the source class names by class.
var classNames = func() []string {
	all := object.AllSourceClasses()
	names := make([]string, len(all)+1)
	for _, c := range all {
		names[c] = c.String()
	}
	return names
}()

// source reads the source object at i: {"class": a class name, "id": a string}.
func (w *fastWire) source(b []byte, i int) int {
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	i = skipWS(b, i+1)
	for {
		var f field
		switch {
		case hasPrefix(b[i:], `"class"`):
			f, i = fClass, i+len(`"class"`)
		case hasPrefix(b[i:], `"id"`):
			f, i = fID, i+len(`"id"`)
		default:
			return -1
		}
		if i = skipWS(b, i); i >= len(b) || b[i] != ':' {
			return -1
		}
		i = skipWS(b, i+1)
		if w.set&(1<<f) != 0 {
			return -1
		}
		w.set |= 1 << f
		if f == fID {
			i = w.strField(b, i, fID)
		} else {
			i = w.classValue(b, i)
		}
		if i < 0 {
			return -1
		}
		if i = skipWS(b, i); i >= len(b) {
			return -1
		}
		if b[i] == '}' {
			return i + 1
		}
		if b[i] != ',' {
			return -1
		}
		i = skipWS(b, i+1)
	}
}

// classValue reads a source class name at i.
func (w *fastWire) classValue(b []byte, i int) int {
	if i+1 >= len(b) || b[i] != '"' {
		return -1
	}
	k := b[i+1:]
	for c, name := range classNames {
		if name != "" && name[0] == k[0] && hasPrefix(k, name) && len(k) > len(name) && k[len(name)] == '"' {
			w.class = object.SourceClass(c)
			return i + 2 + len(name)
		}
	}
	return -1
}

// data reads the data object at i into w.pairs.
func (w *fastWire) scanData(b []byte, i int) int {
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' || w.npair == maxFastPairs {
			return -1
		}
		k0 := i + 1
		k1, ok := scanStr(b, k0)
		if !ok {
			return -1
		}
		if i = skipWS(b, k1+1); i >= len(b) || b[i] != ':' {
			return -1
		}
		if i = skipWS(b, i+1); i >= len(b) {
			return -1
		}
		v := span{i, i}
		switch c := b[i]; {
		case c == '"':
			v.i = i + 1
			if v.j, ok = scanStr(b, v.i); !ok {
				return -1
			}
			i = v.j + 1
		case c == 't':
			if !hasPrefix(b[i:], "true") {
				return -1
			}
			i += 4
			v.j = i
		case c == 'f':
			if !hasPrefix(b[i:], "false") {
				return -1
			}
			i += 5
			v.j = i
		default:
			if i = scanNumber(b, i); i == v.i {
				return -1
			}
			v.j = i
		}
		key := b[k0:k1]
		for _, p := range w.pairs[:w.npair] {
			if string(b[p.k.i:p.k.j]) == string(key) {
				return -1
			}
		}
		w.pairs[w.npair].k, w.pairs[w.npair].v = span{k0, k1}, v
		w.npair++
		if i = skipWS(b, i); i >= len(b) {
			return -1
		}
		if b[i] == '}' {
			return i + 1
		}
		if b[i] != ',' {
			return -1
		}
		i = skipWS(b, i+1)
	}
}

// hasPrefix reports whether b starts with p.
func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// skipWS returns the index of the first byte at or after i that is not JSON whitespace.
func skipWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// SWAR constants for scanStr.
const (
	lsb   = 0x0101010101010101
	msb   = 0x8080808080808080
	quote = '"' * lsb
	bslsh = '\\' * lsb
	space = ' ' * lsb
)

// scanStr finds the closing quote of a string whose text starts at i. It reports false for
// an escape (the reference path decodes those), a control character, invalid UTF-8 or a
// missing closing quote.
func scanStr(b []byte, i int) (int, bool) {
	for {
		// Eight bytes at a time: flag '"', '\\', bytes < 0x20 and bytes ≥ 0x80. Each test
		// flags its first match exactly (later flags may be false), so the lowest flag is
		// the first byte to look at.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, s := x^quote, x^bslsh
			m := ((q - lsb) &^ q) | ((s - lsb) &^ s) | ((x - space) &^ x) | x
			if m &= msb; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(b) && b[i] >= ' ' && b[i] != '"' && b[i] != '\\' && b[i] < utf8.RuneSelf {
			i++
		}
		if i >= len(b) {
			return i, false
		}
		switch c := b[i]; {
		case c == '"':
			return i, true
		case c < utf8.RuneSelf: // '\\' or a control character
			return i, false
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i, false
		}
		i += n
	}
}

// scanNumber returns the end of the JSON number at i, or i when there is none.
func scanNumber(b []byte, i int) int {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digitsEnd(b, i+1)
	default:
		return start
	}
	if i < len(b) && b[i] == '.' {
		if i+1 >= len(b) || !isDigit(b[i+1]) {
			return start
		}
		i = digitsEnd(b, i+2)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return start
		}
		i = digitsEnd(b, i+1)
	}
	return i
}

// digitsEnd returns the end of the run of digits at i.
func digitsEnd(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// has reports whether field f was read.
func (w *fastWire) has(f field) bool { return w.set&(1<<f) != 0 }

// text returns the bytes of field f.
func (w *fastWire) text(b []byte, f field) []byte { return b[w.str[f].i:w.str[f].j] }

// event validates the scanned line as wireEvent.event does, reporting false instead of
// rejecting.
func (w *fastWire) event(b []byte, opts *Options) (Event, bool) {
	const required = 1<<fTime | 1<<fAction | 1<<fSource | 1<<fClass | 1<<fID
	if w.set&required != required || w.str[fAction].i == w.str[fAction].j || w.str[fID].i == w.str[fID].j {
		return Event{}, false
	}
	class := w.class
	e := Event{Time: w.time, Phase: w.phase, Source: Source{Class: class}}
	var top [5]string
	w.texts(b, []span{w.str[fID], w.str[fInteraction], w.str[fMedia], w.str[fAgent], w.str[fPlace]}, top[:])
	e.Source.ID, e.Interaction, e.Media, e.Agent, e.Place = top[0], top[1], top[2], top[3], top[4]

	dn := object.DNNone
	if r := opts.Resolver; r != nil {
		known := false
		if sr, ok := r.(SourceResolver); ok {
			dn, known = sr.ResolveSource(class, e.Source.ID)
		} else if known = r.Known(class, e.Source.ID); known && dnClasses.Has(class) {
			if dt, ok := r.DNType(e.Source.ID); ok && dt.Class() == class {
				dn = dt
			}
		}
		if !known {
			return Event{}, false
		}
	}
	a := lookupAction(w.text(b, fAction), w.text(b, fVariant), class, dn)
	if a == action.None {
		return Event{}, false
	}
	k := a.Kind()
	if (k == action.KindDurable) != (e.Phase != PhaseNone) {
		return Event{}, false
	}
	if w.has(fDuration) != (k == action.KindRetrospective) || e.Phase == PhaseUpdate && !w.has(fData) {
		return Event{}, false
	}
	if w.has(fDuration) {
		var err error
		if e.Duration, err = parseDurationMillis(string(w.text(b, fDuration))); err != nil {
			return Event{}, false
		}
	}
	if w.has(fData) {
		e.Data = w.data(b)
	}
	e.Action = a
	return e, true
}

// dnClasses are the source classes of DN types: the only ones whose sources can have one.
var dnClasses = func() object.ClassSet {
	var s object.ClassSet
	for _, t := range object.AllDNTypes() {
		s |= object.ClassSetOf(t.Class())
	}
	return s
}()

// actionRows memoizes action.Lookup for one action name: the row it resolves to for each
// source class and DN type, without a variant and with each variant of the name's rows.
// action.None stands for an error (the reference path words it).
type actionRows struct {
	name     string
	rows     []action.ID // by class*numDNTypes + DN type
	variants []string
	byVar    [][]action.ID // like rows, for variants[i]
}

// numDNTypes is the number of DNType values, DNNone included.
var numDNTypes = len(object.AllDNTypes()) + 1

// actionTable returns the memo of action.Lookup for every action name of the table. It is
// built on first use and never modified.
var actionTable = sync.OnceValue(func() map[string]*actionRows {
	table := map[string]*actionRows{}
	classes := object.AllSourceClasses()
	resolve := func(name, variant string, on object.ClassSet) []action.ID {
		rows := make([]action.ID, (len(classes)+1)*numDNTypes)
		for _, c := range classes {
			if !on.Has(c) {
				continue // not applicable: action.None
			}
			for dn := range numDNTypes {
				d := object.DNType(dn)
				if d != object.DNNone && d.Class() != c {
					continue // the decoder never asks
				}
				if a, err := action.Lookup(name, c, variant, d); err == nil {
					rows[int(c)*numDNTypes+dn] = a
				}
			}
		}
		return rows
	}
	for _, a := range action.AllIDs() {
		r := table[a.Name()]
		if r == nil {
			r = &actionRows{name: a.Name()}
			table[a.Name()] = r
		}
		if v := a.Variant(); v != "" && !slices.Contains(r.variants, v) {
			r.variants = append(r.variants, v)
		}
	}
	for _, r := range table {
		var on object.ClassSet
		for _, a := range action.ByName(r.name) {
			on |= a.Sources()
		}
		r.rows = resolve(r.name, "", on)
		for _, v := range r.variants {
			r.byVar = append(r.byVar, resolve(r.name, v, on))
		}
	}
	return table
})

// lookupAction is action.Lookup on the bytes of the name and variant, returning
// action.None on an error.
func lookupAction(name, variant []byte, class object.SourceClass, dn object.DNType) action.ID {
	r := actionTable()[string(name)]
	if r == nil || int(dn) >= numDNTypes {
		// A member of a family (CallObserved...), an unknown name, or a DN type from a
		// misbehaving resolver.
		a, err := action.Lookup(string(name), class, string(variant), dn)
		if err != nil {
			return action.None
		}
		return a
	}
	at := int(class)*numDNTypes + int(dn)
	if len(variant) == 0 {
		return r.rows[at]
	}
	for i, v := range r.variants {
		if v == string(variant) {
			return r.byVar[i][at]
		}
	}
	a, err := action.Lookup(r.name, class, string(variant), dn)
	if err != nil {
		return action.None
	}
	return a
}

// parseTime reads the time string at i into w.time, as ParseTime does, and returns the
// index after it, or -1.
func (w *fastWire) parseTime(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	j := bytes.IndexByte(b[i+1:], '"')
	if j < 0 {
		return -1
	}
	t, ok := w.clock.parse(b[i+1 : i+1+j])
	if !ok {
		return -1
	}
	w.time = t
	return i + j + 2
}

// parse is ParseTime on bytes, reporting false for anything ParseTime rejects. Only ASCII
// digits and the separators of the format pass, so the text needs no JSON unescaping.
func (c *minuteCache) parse(s []byte) (Time, bool) {
	const base = len("2006-01-02T15:04:05")
	if len(s) < base+1 {
		return 0, false
	}
	if !c.ok || string(s[:16]) != string(c.text[:]) {
		if !c.minute(s) {
			return 0, false
		}
	}
	sec, ok := digits2(s[17:19])
	if s[16] != ':' || !ok || sec > 59 {
		return 0, false
	}
	ms, i, ok := fracMillis(s, base)
	if !ok {
		return 0, false
	}
	var offset int64
	switch z := s[i:]; {
	case len(z) == 1 && z[0] == 'Z':
	case len(z) == 6 && (z[0] == '+' || z[0] == '-') && z[3] == ':':
		h, ok1 := digits2(z[1:3])
		m, ok2 := digits2(z[4:6])
		if !ok1 || !ok2 || h > 23 || m > 59 {
			return 0, false
		}
		offset = int64(h*3600 + m*60)
		if z[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	t := Time((c.secs+int64(sec)-offset)*1000 + ms)
	if t < MinTime || t > MaxTime {
		return 0, false
	}
	return t, true
}

// minute parses and checks the date and time to the minute of s (at least 16 bytes) and
// remembers it.
func (c *minuteCache) minute(s []byte) bool {
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' {
		return false
	}
	year, ok1 := digits4(s[0:4])
	month, ok2 := digits2(s[5:7])
	day, ok3 := digits2(s[8:10])
	hour, ok4 := digits2(s[11:13])
	minute, ok5 := digits2(s[14:16])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 {
		return false
	}
	c.secs = daysFromCivil(int64(year), month, day)*86400 + int64(hour*3600+minute*60)
	copy(c.text[:], s[:16])
	c.ok = true
	return true
}

// digits2 parses two decimal digits.
func digits2(b []byte) (int, bool) {
	d0, d1 := b[0]-'0', b[1]-'0'
	return int(d0)*10 + int(d1), d0 <= 9 && d1 <= 9
}

// digits4 parses four decimal digits.
func digits4(b []byte) (int, bool) {
	h, ok1 := digits2(b[0:2])
	l, ok2 := digits2(b[2:4])
	return h*100 + l, ok1 && ok2
}

// texts sets out[k] to the text of spans[k] (at most 2*maxFastPairs). The strings are taken
// from w.memo when it has them; the others are copied into one new allocation (and
// remembered).
func (w *fastWire) texts(b []byte, spans []span, out []string) {
	var slots [2 * maxFastPairs]uint32
	n := 0
	for k, s := range spans {
		if s.i == s.j {
			continue
		}
		if w.memo != nil {
			slot := memoSlot(b[s.i:s.j], memoStrsBits)
			if v := w.memo.strs[slot]; v == string(b[s.i:s.j]) {
				out[k] = v
				continue
			}
			slots[k] = slot
		}
		n += s.j - s.i
	}
	if n == 0 {
		return
	}
	var sb strings.Builder
	sb.Grow(n)
	for k, s := range spans {
		if out[k] == "" {
			sb.Write(b[s.i:s.j])
		}
	}
	all := sb.String()
	keep := w.memo != nil && n <= maxMemoText
	for k, s := range spans {
		if out[k] == "" && s.i != s.j {
			out[k], all = all[:s.j-s.i], all[s.j-s.i:]
			if keep {
				w.memo.strs[slots[k]] = out[k]
			}
		}
	}
}

// data returns the Data of the scanned pairs: a recent one with the same pairs from w.memo,
// or a new one.
func (w *fastWire) data(b []byte) Data {
	pairs := w.pairs[:w.npair]
	if len(pairs) == 0 {
		return Data{}
	}
	// The slot of the text of the pairs as written, from the first key to the last value;
	// -1 when not to be remembered.
	slot := -1
	if from, to := pairs[0].k.i, pairs[len(pairs)-1].v.j; w.memo != nil && to-from <= maxMemoText {
		slot = int(memoSlot(b[from:to], memoDataBits))
		if d := w.memo.data[slot]; len(d) == len(pairs) && samePairs(d, b, pairs) {
			return d
		}
	}
	var texts [2 * maxFastPairs]string
	spans := make([]span, 0, 2*maxFastPairs)
	for _, p := range pairs {
		spans = append(spans, p.k, p.v)
	}
	w.texts(b, spans, texts[:len(spans)])
	d := make(Data, len(pairs))
	for i := range d {
		d[i] = Pair{Key: texts[2*i], Value: texts[2*i+1]}
	}
	if slot >= 0 {
		w.memo.data[slot] = d
	}
	return d
}

// samePairs reports whether d holds the pairs of b.
func samePairs(d Data, b []byte, pairs []struct{ k, v span }) bool {
	for i, p := range pairs {
		if d[i].Key != string(b[p.k.i:p.k.j]) || d[i].Value != string(b[p.v.i:p.v.j]) {
			return false
		}
	}
	return true
}

// Sizes of a memo's tables (powers of two), and the longest text it keeps: a remembered
// string keeps the allocation it shares with the strings of its event alive, so only
// allocations of at most maxMemoText bytes are remembered, and only data of at most that
// length.
const (
	memoStrsBits = 10
	memoDataBits = 7
	maxMemoText  = 256
)

// memo holds strings and Data of a Decoder's recent events, so that the next events can
// share them instead of allocating their own: the ids, media, agents and data of a stream
// repeat. Each table slot holds the last value that hashed to it; a value is used only
// when it is equal to the text, so the hash needs no secret seed (colliding texts only
// take turns in a slot).
type memo struct {
	strs [1 << memoStrsBits]string
	data [1 << memoDataBits]Data
}

// newMemo returns an empty memo.
func newMemo() *memo { return new(memo) }

// memoSlot hashes b to a slot of a table of 1<<bits slots.
func memoSlot(b []byte, bits uint) uint32 {
	const k = 0x9e3779b97f4a7c15
	h := uint64(len(b)) * k
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * k
		h ^= h >> 31
		b = b[8:]
	}
	var x uint64
	switch n := len(b); {
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
	case n > 0:
		x = uint64(b[0]) | uint64(b[n/2])<<8 | uint64(b[n-1])<<16
	}
	h = (h ^ x) * k
	return uint32(h >> (64 - bits))
}
