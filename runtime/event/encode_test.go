package event

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
)

func TestEncodeCanonical(t *testing.T) {
	e := Event{
		Time:        must(ParseTime("2026-11-26T09:00:03.250Z")),
		Action:      action.CallAnsweredVirtualQueues,
		Source:      Source{Class: object.ClassMediationDN, ID: "VQ1@SW1"},
		Interaction: "c-42",
		Media:       "voice",
		Agent:       "1001",
		Place:       "P1",
		Duration:    12400,
		Data:        Data{{"Segment", "Gold"}, {"Note", "say \"hi\"\n"}},
	}
	want := `{"time":"2026-11-26T09:00:03.250Z","action":"CallAnswered","variant":"Virtual Queues",` +
		`"source":{"class":"mediation_dn","id":"VQ1@SW1"},"interaction":"c-42","media":"voice",` +
		`"agent":"1001","place":"P1","duration":12.4,"data":{"Segment":"Gold","Note":"say \"hi\"\n"}}`
	if got := mustEncode(t, e); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, e); err != nil || buf.String() != want+"\n" {
		t.Fatalf("Encode: %q, %v", buf.String(), err)
	}
	e = Event{Time: 0, Action: action.CallInbound, Phase: PhaseEnd, Source: Source{object.ClassRegularDN, "7001"}}
	want = `{"time":"1970-01-01T00:00:00.000Z","action":"CallInbound","phase":"end","source":{"class":"regular_dn","id":"7001"}}`
	if got := mustEncode(t, e); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// anyTopo knows every object and says every DN has type dn (DNNone: no DN).
type anyTopo struct{ dn object.DNType }

func (a anyTopo) DNType(string) (object.DNType, bool)   { return a.dn, a.dn != object.DNNone }
func (a anyTopo) Known(object.SourceClass, string) bool { return true }

// TestRoundTripEveryAction encodes an event of every action row on every source class of
// the row, in every phase its kind allows, and decodes it back without a resolver and with
// a resolver giving each DN type the row fits.
func TestRoundTripEveryAction(t *testing.T) {
	n := 0
	for _, a := range action.AllIDs() {
		for _, c := range a.Sources().Slice() {
			resolvers := []Resolver{nil}
			for _, dn := range object.AllDNTypes() {
				if dn.Class() == c && (a.DNTypes() == nil || slices.Contains(a.DNTypes(), dn)) {
					resolvers = append(resolvers, anyTopo{dn})
				}
			}
			if c != object.ClassRegularDN && c != object.ClassMediationDN {
				resolvers = append(resolvers, anyTopo{})
			}
			for _, e := range eventsOf(a, c) {
				line := mustEncode(t, e)
				for _, r := range resolvers {
					got, err := DecodeLine([]byte(line), e.Line, Options{Resolver: r})
					if err != nil || !reflect.DeepEqual(got, e) {
						t.Fatalf("%s on %s (resolver %v):\n%s\ngot  %+v, %v\nwant %+v", a, c, r, line, got, err, e)
					}
					n++
				}
			}
		}
	}
	if n < 2*action.Count {
		t.Fatalf("only %d round trips", n)
	}
}

// eventsOf returns events of action a on class c, one per phase its kind allows.
func eventsOf(a action.ID, c object.SourceClass) []Event {
	base := Event{Time: 1764147603250, Action: a, Source: Source{c, "obj-1"}, Interaction: "i-1",
		Media: "chat", Agent: "ag", Place: "pl", Data: Data{{"k", "v"}, {"é", "\x00\u2028"}}, Line: 9}
	switch a.Kind() {
	case action.KindDurable:
		start, end := base, base
		start.Phase, end.Phase = PhaseStart, PhaseEnd
		end.Data = nil
		return []Event{start, end}
	case action.KindRetrospective:
		base.Duration = 61_001
	}
	return []Event{base}
}

func TestRoundTripRealistic(t *testing.T) {
	for _, line := range realistic {
		e := mustDecode(t, line, withTopo)
		enc := mustEncode(t, e)
		e2 := mustDecode(t, enc, withTopo)
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("round trip changed the event:\n%s\n%s\n%+v\n%+v", line, enc, e, e2)
		}
		if enc2 := mustEncode(t, e2); enc2 != enc {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	}
}

func TestRoundTripEdgeValues(t *testing.T) {
	base := Event{Action: action.CallAbandoned, Source: Source{object.ClassMediationDN, "q"}}
	for name, mod := range map[string]func(*Event){
		"min time":      func(e *Event) { e.Time = MinTime },
		"max time":      func(e *Event) { e.Time = MaxTime },
		"before 1970":   func(e *Event) { e.Time = -1 },
		"max duration":  func(e *Event) { e.Duration = MaxDuration },
		"1 ms":          func(e *Event) { e.Duration = 1 },
		"empty data":    func(e *Event) { e.Data = Data{} },
		"empty values":  func(e *Event) { e.Data = Data{{"", ""}} },
		"control chars": func(e *Event) { e.Source.ID = "\x00\x01\x1f\x7f\"\\/\t\r\n\b\f" },
		"unicode":       func(e *Event) { e.Interaction = "日本\U0001F600\uFFFD\u2029" },
		"many data":     func(e *Event) { e.Data = manyPairs(100) },
	} {
		e := base
		mod(&e)
		got := mustDecode(t, mustEncode(t, e), Options{})
		got.Line = 0
		if !reflect.DeepEqual(got, e) {
			t.Errorf("%s: got %+v, want %+v", name, got, e)
		}
	}
}

// manyPairs returns n distinct pairs.
func manyPairs(n int) Data {
	d := make(Data, n)
	for i := range d {
		d[i] = Pair{Key: strings.Repeat("k", i+1), Value: "v"}
	}
	return d
}

func TestEncodeRejectsInvalid(t *testing.T) {
	ok := Event{Action: action.CallInbound, Phase: PhaseStart, Source: Source{object.ClassRegularDN, "7001"}}
	for name, mod := range map[string]func(*Event){
		"no action":           func(e *Event) { e.Action = action.None },
		"action out of range": func(e *Event) { e.Action = action.ID(60000) },
		"no class":            func(e *Event) { e.Source.Class = object.ClassNone },
		"wrong class":         func(e *Event) { e.Source.Class = object.ClassMediationDN },
		"empty id":            func(e *Event) { e.Source.ID = "" },
		"no phase":            func(e *Event) { e.Phase = PhaseNone },
		"bad phase":           func(e *Event) { e.Phase = 7 },
		"duration":            func(e *Event) { e.Duration = 5 },
		"time too early":      func(e *Event) { e.Time = MinTime - 1 },
		"time too late":       func(e *Event) { e.Time = MaxTime + 1 },
		"invalid UTF-8":       func(e *Event) { e.Agent = "\xff" },
		"invalid UTF-8 data":  func(e *Event) { e.Data = Data{{"k", "\xc3"}} },
		"repeated data key":   func(e *Event) { e.Data = Data{{"k", "1"}, {"k", "2"}} },
		"repeated long data":  func(e *Event) { e.Data = append(manyPairs(30), Pair{"kkk", "x"}) },
		"phase on momentary":  func(e *Event) { e.Action = action.CallEntered; e.Source.Class = object.ClassMediationDN },
		"negative duration": func(e *Event) {
			e.Action, e.Phase, e.Source.Class, e.Duration = action.CallAbandoned, PhaseNone, object.ClassMediationDN, -1
		},
	} {
		e := ok
		mod(&e)
		buf, err := AppendJSON([]byte("keep"), e)
		if !errors.Is(err, ErrInvalidEvent) || string(buf) != "keep" {
			t.Errorf("%s: got %q, %v; want ErrInvalidEvent and buf unchanged", name, buf, err)
		}
		if err := Encode(&bytes.Buffer{}, e); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: Encode: %v", name, err)
		}
	}
	if _, err := AppendJSON(nil, ok); err != nil {
		t.Fatalf("valid event: %v", err)
	}
}

// failWriter fails every write.
type failWriter struct{}

var errDisk = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDisk }

func TestEncoder(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	var want []string
	for _, line := range realistic {
		e := mustDecode(t, line, Options{})
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
		want = append(want, mustEncode(t, e))
	}
	if buf.String() != stream(want...) {
		t.Fatalf("Encoder output differs from AppendJSON:\n%s", buf.String())
	}
	out := decodeAll(t, buf.String(), withTopo)
	if len(out.rejected) != 0 || len(out.accepted) != len(realistic) {
		t.Fatalf("re-decoding: %d accepted, rejected %v", len(out.accepted), out.rejected)
	}
	e := mustDecode(t, realistic[0], Options{})
	if err := NewEncoder(failWriter{}).Encode(e); !errors.Is(err, errDisk) {
		t.Fatalf("write error not wrapped: %v", err)
	}
	if err := Encode(failWriter{}, e); !errors.Is(err, errDisk) {
		t.Fatalf("write error not wrapped: %v", err)
	}
}
