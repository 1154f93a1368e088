package event

import (
	"reflect"
	"strings"
	"testing"

	"github.com/statkit/statkit/generated/action"
)

// TestDecodeUpdate: phase "update" on a durable action gives PhaseUpdate with the keys it
// sets in Data and the keys it removes (null) in Unset, by both paths; {} is an update
// that changes nothing; a plain update takes the fast path.
func TestDecodeUpdate(t *testing.T) {
	upd := func(data string) string {
		return ev(tOK, `"action":"CallInbound"`, `"phase":"update"`, srcExt, `"interaction":"c-42"`, `"data":`+data)
	}
	for name, c := range map[string]struct {
		line  string
		data  Data
		unset []string
		fast  bool
	}{
		"sets":             {upd(`{"Segment":"Platinum","Priority":7}`), Data{{"Segment", "Platinum"}, {"Priority", "7"}}, nil, true},
		"removes":          {upd(`{"VIP":null}`), Data{}, []string{"VIP"}, false},
		"sets and removes": {upd(`{"a":null,"b":"x","c":null,"d":true}`), Data{{"b", "x"}, {"d", "true"}}, []string{"a", "c"}, false},
		"no change":        {upd(`{}`), Data{}, nil, true},
		"queue, agent key": {ev(tOK, `"action":"AgentLogin"`, `"phase":"update"`, srcQueue, `"agent":"1001"`, `"data":{"Skill":"5"}`),
			Data{{"Skill", "5"}}, nil, true},
	} {
		t.Run(name, func(t *testing.T) {
			for _, opts := range []Options{{}, withTopo} {
				e := mustDecode(t, c.line, opts)
				if e.Phase != PhaseUpdate || e.Phase.String() != "update" {
					t.Fatalf("phase %v", e.Phase)
				}
				if !reflect.DeepEqual(e.Data, c.data) || !reflect.DeepEqual(e.Unset, c.unset) {
					t.Fatalf("got data %#v unset %#v, want %#v %#v", e.Data, e.Unset, c.data, c.unset)
				}
				ref, rej := decodeRef([]byte(c.line), e.Line, &opts)
				if rej != nil || !reflect.DeepEqual(ref, e) {
					t.Fatalf("reference path: %+v %v", ref, rej)
				}
				var fw fastWire
				fe, ok := fastDecode([]byte(c.line), &opts, &fw)
				fe.Line = e.Line
				if ok != c.fast || ok && !reflect.DeepEqual(fe, ref) {
					t.Fatalf("fast path ok=%v (want %v): %+v", ok, c.fast, fe)
				}
				back := mustDecode(t, mustEncode(t, e), opts)
				back.Line = e.Line
				if !reflect.DeepEqual(back, e) {
					t.Fatalf("round trip: %+v, want %+v", back, e)
				}
			}
		})
	}
}

// TestRejectUpdate: an update is refused on an instantaneous action (bad_phase), without
// data (missing_field), and a null data value anywhere but on an update (bad_data).
func TestRejectUpdate(t *testing.T) {
	for name, c := range map[string]struct{ line, code, reason string }{
		"on momentary": {ev(tOK, `"action":"CallEntered"`, `"phase":"update"`, srcQueue, `"data":{"a":"b"}`),
			CodeBadPhase, "CallEntered is momentary: only a durable action in progress can be updated"},
		"on retrospective": {ev(tOK, `"action":"CallAbandoned"`, `"phase":"update"`, srcQueue, `"duration":1`, `"data":{"a":"b"}`),
			CodeBadPhase, "CallAbandoned is retrospective: only a durable action in progress can be updated"},
		"no data": {ev(tOK, `"action":"CallInbound"`, `"phase":"update"`, srcExt, `"interaction":"c-42"`),
			CodeMissingField, "CallInbound update: data is required"},
		"null data": {ev(tOK, `"action":"CallInbound"`, `"phase":"update"`, srcExt, `"interaction":"c-42"`, `"data":null`),
			CodeMissingField, "CallInbound update: data is required"},
		"null on start": {ev(tOK, `"action":"CallInbound"`, `"phase":"start"`, srcExt, `"data":{"a":"1","VIP":null}`),
			CodeBadData, `data "VIP" is null`},
		"null on end": {ev(tOK, `"action":"CallInbound"`, `"phase":"end"`, srcExt, `"data":{"VIP":null}`),
			CodeBadData, `data "VIP" is null`},
		"null on momentary": {ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"a":null}`),
			CodeBadData, `data "a" is null`},
		"key set and removed": {ev(tOK, `"action":"CallInbound"`, `"phase":"update"`, srcExt, `"data":{"a":null,"a":"1"}`),
			CodeDuplicateField, `data key "a" is given twice`},
		"misspelled": {ev(tOK, `"action":"CallInbound"`, `"phase":"updated"`, srcExt, `"data":{"a":"1"}`),
			CodeBadPhase, `want "start", "update" or "end"`},
	} {
		t.Run(name, func(t *testing.T) {
			expectRejected(t, withTopo, c.line, c.code)
			_, err := DecodeLine([]byte(c.line), 1, withTopo)
			if !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("reason %q does not say %q", err, c.reason)
			}
		})
	}
}

// TestEncodeUpdate: the canonical form of an update lists the keys it sets, then those it
// removes as null; an update without Data, and Unset on another phase or repeating a key,
// have no wire form.
func TestEncodeUpdate(t *testing.T) {
	tm, err := ParseTime("2026-11-26T09:00:03.250Z")
	if err != nil {
		t.Fatal(err)
	}
	e := Event{Time: tm, Action: action.CallInbound, Phase: PhaseUpdate,
		Source: Source{Class: 1, ID: "7001"}, Interaction: "c-42", Data: Data{{"Segment", "Platinum"}}, Unset: []string{"VIP", "Priority"}}
	e.Source.Class = mustDecode(t, ev(tOK, `"action":"CallInbound"`, `"phase":"start"`, srcExt), Options{}).Source.Class
	want := `{"time":"2026-11-26T09:00:03.250Z","action":"CallInbound","phase":"update","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","data":{"Segment":"Platinum","VIP":null,"Priority":null}}`
	if got := mustEncode(t, e); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	only := e
	only.Data = Data{}
	if got := mustEncode(t, only); !strings.HasSuffix(got, `"data":{"VIP":null,"Priority":null}}`) {
		t.Fatalf("removal only: %s", got)
	}
	for name, bad := range map[string]func(*Event){
		"nil data":       func(e *Event) { e.Data = nil },
		"unset on start": func(e *Event) { e.Phase = PhaseStart },
		"unset repeated": func(e *Event) { e.Unset = []string{"x", "x"} },
		"set and unset":  func(e *Event) { e.Unset = []string{"Segment"} },
		"phase beyond":   func(e *Event) { e.Phase = PhaseUpdate + 1 },
		"invalid UTF-8":  func(e *Event) { e.Unset = []string{"\xff"} },
	} {
		x := e
		bad(&x)
		if _, err := AppendJSON(nil, x); err == nil {
			t.Errorf("%s: encoded %+v", name, x)
		}
	}
}
