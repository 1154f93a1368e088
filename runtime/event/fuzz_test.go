package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
)

// fuzzSeeds are valid and invalid lines for the fuzz corpora.
func fuzzSeeds() []string {
	seeds := append([]string{}, realistic...)
	return append(seeds,
		``, `{}`, `[]`, `null`, `{"time":`, `{"time":"2026-11-26T09:00:00Z"}`,
		ev(tOK, `"action":"CallEntered"`, srcQueue, `"media":"a\u00e9\ud83d\ude00\ud800\n"`),
		ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"a":{"b":1}}`),
		ev(tOK, `"action":"CallInbound"`, `"phase":"update"`, srcExt, `"interaction":"c"`, `"data":{"a":null,"b":"x","c":null}`),
		ev(tOK, `"action":"CallInbound"`, `"phase":"update"`, srcExt, `"interaction":"c"`, `"data":{}`),
		ev(tOK, `"action":"CallInbound"`, `"phase":"update"`, srcExt),
		ev(tOK, `"action":"CallEntered"`, `"phase":"update"`, srcQueue, `"data":{"a":"b"}`),
		ev(tOK, `"action":"CallInbound"`, `"phase":"start"`, srcExt, `"data":{"a":null}`),
		ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"n":-1.5e-3,"t":true,"s":"x\"y"}`),
		ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":1e400`),
		ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":-0`),
		ev(tOK, `"action":"CallAnswered"`, `"variant":"Virtual Queues"`, `"source":{"class":"mediation_dn","id":"VQ1@SW1"}`, `"duration":0.001`),
		ev(tOK, `"action":"CallObservedX"`, `"phase":"start"`, srcExt),
		ev(`"time":"2026-11-26T11:00:03.123456+02:00"`, `"action":"CallEntered"`, srcQueue),
		ev(tOK, `"\u0061ction":"CallEntered"`, srcQueue),
		"{\"time\":\"2026-11-26T09:00:00Z\",\"action\":\"Call\xffEntered\"}",
	)
}

// FuzzDecodeLine: DecodeLine never panics; a rejection is well-formed; an accepted line is
// valid JSON whose fields encoding/json reads the same way, and its Event survives an
// encode/decode round trip unchanged.
func FuzzDecodeLine(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, opts := range []Options{{}, withTopo, {MaxLineBytes: 64}} {
			e, err := DecodeLine(line, 7, opts)
			if err != nil {
				checkRejection(t, err, 7)
				continue
			}
			if e.Line != 7 {
				t.Fatalf("line %d", e.Line)
			}
			compareWithEncodingJSON(t, line, e)
			enc, err := AppendJSON(nil, e)
			if err != nil {
				t.Fatalf("accepted event does not encode: %v\n%q", err, line)
			}
			back, err := DecodeLine(enc, 7, opts)
			if err != nil || !reflect.DeepEqual(back, e) {
				t.Fatalf("round trip:\n%q\n%s\ngot  %+v, %v\nwant %+v", line, enc, back, err, e)
			}
		}
	})
}

// checkRejection checks that err is a well-formed *Rejection for line.
func checkRejection(t *testing.T, err error, line int) {
	t.Helper()
	var rej *Rejection
	if !errors.As(err, &rej) {
		t.Fatalf("error is not a *Rejection: %T %v", err, err)
	}
	if rej.Line != line || !slices.Contains(RejectionCodes(), rej.Code) || rej.Reason == "" {
		t.Fatalf("malformed rejection %+v", rej)
	}
	if !utf8.ValidString(rej.Reason) || len(rej.Reason) > 1000 {
		t.Fatalf("reason not valid UTF-8 or too long (%d bytes): %q", len(rej.Reason), rej.Reason)
	}
}

// compareWithEncodingJSON checks an accepted line against encoding/json's reading of it.
func compareWithEncodingJSON(t *testing.T, line []byte, e Event) {
	t.Helper()
	if !json.Valid(line) {
		t.Fatalf("accepted invalid JSON %q", line)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("encoding/json: %v on accepted %q", err, line)
	}
	str := func(v any) string {
		s, _ := v.(string) // absent and null read as ""
		return s
	}
	tm, err := ParseTime(str(m["time"]))
	src, _ := m["source"].(map[string]any)
	if err != nil || tm != e.Time || str(src["id"]) != e.Source.ID || str(src["class"]) != e.Source.Class.String() ||
		str(m["phase"]) != e.Phase.String() ||
		str(m["interaction"]) != e.Interaction || str(m["media"]) != e.Media ||
		str(m["agent"]) != e.Agent || str(m["place"]) != e.Place {
		t.Fatalf("fields differ from encoding/json's %v:\n%q\n%+v", m, line, e)
	}
	data, _ := m["data"].(map[string]any)
	if len(data) != len(e.Data)+len(e.Unset) {
		t.Fatalf("data %v vs %v, unset %v in %q", data, e.Data, e.Unset, line)
	}
	for _, k := range e.Unset {
		if v, ok := data[k]; !ok || v != nil {
			t.Fatalf("unset %q is %v in encoding/json, in %q", k, v, line)
		}
	}
	for _, p := range e.Data {
		var want string
		switch v := data[p.Key].(type) {
		case string:
			want = v
		case json.Number:
			want = v.String()
		case bool:
			want = map[bool]string{true: "true", false: "false"}[v]
		default:
			t.Fatalf("data %q is %T in encoding/json", p.Key, v)
		}
		if p.Value != want {
			t.Fatalf("data %q: %q vs encoding/json %q in %q", p.Key, p.Value, want, line)
		}
	}
}

// FuzzDecoder: the Decoder never panics, and its outcome equals splitting the input at
// newlines and calling DecodeLine on each non-blank line.
func FuzzDecoder(f *testing.F) {
	// Small seeds: the fuzzer minimizes interesting inputs in time quadratic in their size.
	f.Add([]byte(stream(realistic[:3]...)))
	f.Add([]byte("\n\r\n" + realistic[0] + "\n{" + strings.Repeat("x", 150) + "\n" + realistic[1]))
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s + "\n\n" + s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{MaxLineBytes: 128}, withTopo} {
			got := decodeStream(t, data, opts)
			want := decodeSplit(data, opts)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Decoder and DecodeLine differ on %q:\n%+v\n%+v", data, got, want)
			}
		}
	})
}

// result is one line's outcome.
type result struct {
	e   Event
	rej *Rejection
}

// decodeStream runs a Decoder over data.
func decodeStream(t *testing.T, data []byte, opts Options) []result {
	d := NewDecoder(newHalfReader(data), opts)
	var out []result
	last := 0
	for {
		e, rej, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		line := e.Line
		if rej != nil {
			line = rej.Line
			checkRejection(t, rej, rej.Line)
		}
		if line <= last {
			t.Fatalf("line %d after %d", line, last)
		}
		last = line
		out = append(out, result{e, rej})
	}
}

// newHalfReader splits reads, to exercise the decoder's buffering.
func newHalfReader(data []byte) io.Reader {
	return &halfReader{data}
}

type halfReader struct{ b []byte }

func (h *halfReader) Read(p []byte) (int, error) {
	if len(h.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:max(1, min(len(p), (len(h.b)+1)/2))], h.b)
	h.b = h.b[n:]
	return n, nil
}

// decodeSplit is the reference: split at '\n', skip blank lines, DecodeLine the rest.
func decodeSplit(data []byte, opts Options) []result {
	lines := bytes.Split(data, []byte{'\n'})
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	var out []result
	for i, l := range lines {
		if len(l) <= opts.maxLine() && isBlank(l) {
			continue
		}
		e, err := DecodeLine(l, i+1, opts)
		var rej *Rejection
		errors.As(err, &rej)
		out = append(out, result{e, rej})
	}
	return out
}

// FuzzRoundTrip builds events from arbitrary field values: whatever AppendJSON accepts is
// valid JSON that encoding/json reads back the same, and decodes to the same Event.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint16(48), uint8(1), int64(1764147603250), int64(0), "7001", "c-42", "Segment", "Gold")
	f.Add(uint16(17), uint8(3), int64(-1), int64(12400), "Support@SW1", "", "", "\x00\"\\\u2028")
	f.Add(uint16(25), uint8(3), int64(MaxTime), MaxDuration, "VQ1@SW1", "日本", "é", "\xff")
	f.Fuzz(func(t *testing.T, a uint16, class uint8, tm, dur int64, id, ixn, key, val string) {
		e := Event{Time: Time(tm), Action: action.ID(a % (action.Count + 2)),
			Source: Source{Class: object.SourceClass(class % 8), ID: id}, Interaction: ixn,
			Duration: dur, Data: Data{{key, val}}, Line: 3}
		if e.Action.Kind() == action.KindDurable {
			e.Phase = Phase(1 + uint64(tm)%3)
		}
		if e.Phase == PhaseUpdate && len(ixn)%2 == 1 {
			e.Unset = []string{ixn} // removes a key (refused when it is key as well)
		}
		enc, err := AppendJSON(nil, e)
		if err != nil {
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("error does not wrap ErrInvalidEvent: %v", err)
			}
			return
		}
		compareWithEncodingJSON(t, enc, e)
		back, err := DecodeLine(enc, 3, Options{})
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip:\n%s\ngot  %+v, %v\nwant %+v", enc, back, err, e)
		}
	})
}
