package event

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/statkit/statkit/generated/object"
)

// fastSeeds are lines near the edges of the fast path.
func fastSeeds() []string {
	return append(fuzzSeeds(),
		ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{}`),
		ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"a":"é","b":-0.5e+2,"c":false,"d":true}`),
		ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"a":"1","a":"2"}`),
		ev(tOK, `"action":"CallEntered"`, srcQueue, `"media":null`),
		ev(tOK, `"action":"CallEntered"`, srcQueue, `"media":""`, `"agent":"€uro ok"`),
		ev(`"time":"2026-02-29T09:00:00Z"`, `"action":"CallEntered"`, srcQueue),
		ev(`"time":"2024-02-29T23:59:59.9999-23:59"`, `"action":"CallEntered"`, srcQueue),
		ev(`"time":"0000-01-01T00:30:00+01:00"`, `"action":"CallEntered"`, srcQueue),
		ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":1.0009`),
		ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":01`),
		ev(tOK, `"action":"CallWait"`, `"phase":"middle"`, srcQueue),
		ev(tOK, `"action":"CallWait"`, `"phase":"update"`, srcQueue),
		ev(tOK, `"action":"CallWait"`, `"phase":"update"`, srcQueue, `"data":{"a":"1"}`),
		ev(tOK, `"action":"CallWait"`, `"phase":"update"`, srcQueue, `"data":{"a":null}`),
		ev(tOK, `"action":"CallEntered"`, `"phase":"update"`, srcQueue, `"data":{"a":"1"}`),
		" \t"+ev(tOK, `"action":"CallEntered"`, srcQueue)+" \r\n",
		`{ "time" : "2026-11-26T09:00:00Z" , "action" : "CallEntered" , "source" : { "class" : "mediation_dn" , "id" : "Support@SW1" } }`,
		ev(tOK, `"action":"CallEntered"`, `"source":{"class":"mediation_dn","id":"Support@SW1","id":"x"}`),
		ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"`+strings.Repeat(`a":1,"`, 20)+`b":2}`),
	)
}

// FuzzFastPath: whatever line the fast path accepts, the reference path accepts too, with
// the same Event.
func FuzzFastPath(f *testing.F) {
	for _, s := range fastSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, opts := range []Options{{}, withTopo} {
			var fw fastWire
			e, ok := fastDecode(line, &opts, &fw)
			if !ok {
				continue
			}
			ref, rej := decodeRef(line, 0, &opts)
			if rej != nil {
				t.Fatalf("fast path accepts what the reference rejects (%v):\n%q\n%+v", rej, line, e)
			}
			if !reflect.DeepEqual(e, ref) {
				t.Fatalf("fast path differs:\n%q\nfast %+v\nref  %+v", line, e, ref)
			}
		}
	})
}

// TestFastPathTakesCommonLines: the realistic lines, and the seeds the reference accepts
// without escapes or nulls, go through the fast path.
func TestFastPathTakesCommonLines(t *testing.T) {
	for _, opts := range []Options{{}, withTopo} {
		for _, line := range fastSeeds() {
			ref, rej := decodeRef([]byte(line), 0, &opts)
			var fw fastWire
			e, ok := fastDecode([]byte(line), &opts, &fw)
			if rej != nil || strings.ContainsAny(line, `\`) || strings.Contains(line, "null") {
				if ok && !reflect.DeepEqual(e, ref) {
					t.Errorf("%q: fast %+v, ref %+v", line, e, ref)
				}
				continue
			}
			if !ok || !reflect.DeepEqual(e, ref) {
				t.Errorf("%q: fast path ok=%v\nfast %+v\nref  %+v", line, ok, e, ref)
			}
		}
	}
}

// parseTimeFast is the fast path's time parser on its own.
func parseTimeFast(s []byte) (Time, bool) {
	var c minuteCache
	return c.parse(s)
}

// TestParseTimeFast: the fast time parser agrees with ParseTime.
func TestParseTimeFast(t *testing.T) {
	for _, s := range []string{
		"2026-11-26T09:00:03.250Z", "2026-11-26T09:00:03Z", "2026-11-26T09:00:03.1Z",
		"2026-11-26T09:00:03.123456789Z", "2026-11-26T11:00:03+02:00", "2026-11-26T11:00:03-02:30",
		"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-26T24:00:00Z",
		"2026-11-26T09:60:00Z", "2026-11-26T09:00:60Z", "2026-11-26T09:00:00+24:00", "2026-11-26T09:00:00+00:60",
		"0000-01-01T00:00:00Z", "0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59-00:01",
		"2026-11-26t09:00:00Z", "2026-11-26T09:00:00z", "2026-11-26T09:00:00.Z", "2026-11-26T09:00:00", "2026-1a-26T09:00:00Z",
		"2026-11-26T09:00:00+0200", "2026-11-26T09:00:00 Z", "+026-11-26T09:00:00Z", "2026-11-26T09:00:00.1234x",
	} {
		want, err := ParseTime(s)
		got, ok := parseTimeFast([]byte(s))
		if ok != (err == nil) || got != want {
			t.Errorf("%s: fast %v %v, ParseTime %v %v", s, got, ok, want, err)
		}
	}
}

// FuzzFastPathMemo: a fast path that remembers strings and Data (as a Decoder's does)
// decodes every line of a stream, twice, as the reference path does.
func FuzzFastPathMemo(f *testing.F) {
	// Small seeds: the fuzzer minimizes interesting inputs in time quadratic in their size.
	f.Add([]byte(stream(realistic[7:9]...)))
	f.Add([]byte(stream(realistic[16], realistic[8])))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{}, withTopo} {
			fw := fastWire{memo: newMemo()}
			for pass := range 2 {
				for _, line := range bytes.Split(data, []byte{'\n'}) {
					e, ok := fastDecode(line, &opts, &fw)
					if !ok {
						continue
					}
					ref, rej := decodeRef(line, 0, &opts)
					if rej != nil || !reflect.DeepEqual(e, ref) {
						t.Fatalf("pass %d: fast path with memo differs:\n%q\nfast %+v\nref  %+v %v", pass, line, e, ref, rej)
					}
				}
			}
		}
	})
}

// TestDecoderSharesRepeatedValues: past its first lines, a Decoder hands events the strings
// and Data of earlier events with equal values.
func TestDecoderSharesRepeatedValues(t *testing.T) {
	line := realistic[8] // data {"Segment":"Gold","Priority":5,"VIP":true}
	out := decodeAll(t, stream(slices.Repeat([]string{line}, memoAfter+3)...), withTopo)
	if len(out.accepted) != memoAfter+3 {
		t.Fatalf("accepted %d", len(out.accepted))
	}
	a, b := out.accepted[memoAfter+1], out.accepted[memoAfter+2]
	if &a.Data[0] != &b.Data[0] || unsafe.StringData(a.Source.ID) != unsafe.StringData(b.Source.ID) ||
		unsafe.StringData(a.Interaction) != unsafe.StringData(b.Interaction) {
		t.Errorf("repeated values not shared:\n%+v\n%+v", a, b)
	}
	first := out.accepted[0]
	if first.Data == nil || &first.Data[0] == &a.Data[0] {
		t.Errorf("events before line %d share Data", memoAfter)
	}
}

// sourceTopo is testTopo answering with ResolveSource, and counting the calls.
type sourceTopo struct {
	*topo
	calls int
}

func (s *sourceTopo) ResolveSource(class object.SourceClass, id string) (object.DNType, bool) {
	s.calls++
	dn := object.DNNone
	if t, ok := s.dns[id]; ok && t.Class() == class {
		dn = t
	}
	return dn, s.Known(class, id)
}

// TestSourceResolver: a Resolver with ResolveSource decodes every line as one without.
func TestSourceResolver(t *testing.T) {
	st := &sourceTopo{topo: testTopo()}
	lines := append(fastSeeds(),
		ev(tOK, `"action":"CallAnswered"`, `"source":{"class":"mediation_dn","id":"VQ1@SW1"}`, `"duration":1`),
		ev(tOK, `"action":"CallEntered"`, `"source":{"class":"mediation_dn","id":"nope"}`),
		ev(tOK, `"action":"CallEntered"`, `"source":{"class":"regular_dn","id":"Support@SW1"}`))
	for i, line := range lines {
		got, gotErr := DecodeLine([]byte(line), i, Options{Resolver: st})
		want, wantErr := DecodeLine([]byte(line), i, withTopo)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("%q:\ngot  %+v %v\nwant %+v %v", line, got, gotErr, want, wantErr)
		}
	}
	if st.calls == 0 {
		t.Error("ResolveSource never called")
	}
}

// FuzzParseTimeFast: the fast path's time parser agrees with ParseTime, whatever time it
// parsed before.
func FuzzParseTimeFast(f *testing.F) {
	f.Add("2026-11-26T09:00:03.250Z", "2026-11-26T09:00:04Z")
	f.Add("2026-11-26T09:00:03.250Z", "2026-11-26T09:00:60Z")
	f.Add("2024-02-29T23:59:59+01:00", "2024-02-29T23:59:00.5-23:59")
	f.Add("0000-01-01T00:00:00Z", "0000-01-01T00:00:00+00:01")
	f.Fuzz(func(t *testing.T, before, s string) {
		var c minuteCache
		c.parse([]byte(before))
		got, ok := c.parse([]byte(s))
		want, err := ParseTime(s)
		if ok != (err == nil) || got != want {
			t.Fatalf("after %q, %q: fast %v %v, ParseTime %v %v", before, s, got, ok, want, err)
		}
	})
}
