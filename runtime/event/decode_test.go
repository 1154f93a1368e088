package event

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
)

func TestRealisticLinesAccepted(t *testing.T) {
	for _, opts := range []Options{{}, withTopo} {
		out := decodeAll(t, stream(realistic...), opts)
		if len(out.rejected) != 0 {
			t.Fatalf("rejected: %v", out.rejected)
		}
		if len(out.accepted) != len(realistic) {
			t.Fatalf("accepted %d of %d", len(out.accepted), len(realistic))
		}
		for i, e := range out.accepted {
			if e.Line != i+1 {
				t.Fatalf("event %d has line %d", i, e.Line)
			}
		}
	}
}

func TestDecodeFields(t *testing.T) {
	at := func(s string) Time { return TimeOf(must(time.Parse(time.RFC3339Nano, s))) }
	got := mustDecode(t, realistic[8], withTopo)
	want := Event{
		Time:        at("2026-11-26T09:00:05.500Z"),
		Action:      action.CallInbound,
		Phase:       PhaseStart,
		Source:      Source{Class: object.ClassRegularDN, ID: "7001"},
		Interaction: "c-42",
		Media:       "voice",
		Agent:       "1001",
		Data:        Data{{"Segment", "Gold"}, {"Priority", "5"}, {"VIP", "true"}},
		Line:        1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}

	got = mustDecode(t, realistic[16], withTopo)
	if got.Action != action.CallAbandoned || got.Duration != 12400 || got.Phase != PhaseNone {
		t.Fatalf("CallAbandoned: got %+v", got)
	}
	got = mustDecode(t, realistic[9], withTopo)
	if got.Time != at("2026-11-26T09:00:20Z") {
		t.Fatalf("offset +01:00: got %s", got.Time)
	}
	got = mustDecode(t, realistic[19], withTopo)
	if got.Place != "P1" || got.Source.Class != object.ClassMediaChannel {
		t.Fatalf("Delivering: got %+v", got)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestVariantResolution: the variant wins when given; otherwise the resolver's DN type
// picks rows restricted to DN types, and without a resolver the unrestricted row wins.
func TestVariantResolution(t *testing.T) {
	vq := ev(tOK, `"action":"CallAnswered"`, `"source":{"class":"mediation_dn","id":"VQ1@SW1"}`, `"duration":1`)
	vqNamed := ev(tOK, `"action":"CallAnswered"`, `"variant":"Virtual Queues"`, `"source":{"class":"mediation_dn","id":"VQ1@SW1"}`, `"duration":1`)
	ext := ev(tOK, `"action":"CallAnswered"`, srcExt, `"duration":1`)
	for _, c := range []struct {
		line string
		opts Options
		want action.ID
	}{
		{vq, withTopo, action.CallAnsweredVirtualQueues},
		{vq, Options{}, action.CallAnsweredMediationDNs},
		{vqNamed, Options{}, action.CallAnsweredVirtualQueues},
		{vqNamed, withTopo, action.CallAnsweredVirtualQueues},
		{ext, withTopo, action.CallAnsweredRegularDNs},
		{ev(tOK, `"action":"CallObservedBySupervisor"`, `"phase":"start"`, srcExt), withTopo, action.CallObserved},
	} {
		if got := mustDecode(t, c.line, c.opts).Action; got != c.want {
			t.Errorf("%s (resolver %v): got %s, want %s", c.line, c.opts.Resolver != nil, got, c.want)
		}
	}
}

func TestDecodeOptionalAndNull(t *testing.T) {
	base := []string{tOK, `"action":"CallEntered"`, srcQueue}
	for name, c := range map[string]struct {
		extra string
		data  Data
	}{
		"absent":       {"", nil},
		"null data":    {`"data":null`, nil},
		"empty data":   {`"data":{}`, Data{}},
		"null strings": {`"interaction":null,"media":null,"agent":null,"place":null,"variant":null,"phase":null,"duration":null`, nil},
		"empty string": {`"interaction":"","media":""`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			members := base
			if c.extra != "" {
				members = append(append([]string{}, base...), c.extra)
			}
			e := mustDecode(t, ev(members...), Options{})
			if e.Interaction != "" || e.Media != "" || e.Agent != "" || e.Place != "" {
				t.Fatalf("strings not empty: %+v", e)
			}
			if !reflect.DeepEqual(e.Data, c.data) || (e.Data == nil) != (c.data == nil) {
				t.Fatalf("data: got %#v, want %#v", e.Data, c.data)
			}
		})
	}
}

func TestDecodeStrings(t *testing.T) {
	for lit, want := range map[string]string{
		`"plain"`:                           "plain",
		`"caf\u00e9"`:                       "café",
		`"café"`:                            "café",
		`"a\"b\\c\/d"`:                      `a"b\c/d`,
		`"\b\f\n\r\t"`:                      "\b\f\n\r\t",
		`"\ud83d\ude00"`:                    "😀",
		`"\uD83D\uDE00"`:                    "😀",
		`"\ud800"`:                          "\uFFFD",
		`"\ud800x"`:                         "\uFFFDx",
		`"\udc00\ud83d\ude00"`:              "\uFFFD😀",
		`"\ud800\u0041"`:                    "\uFFFDA",
		`"\u0000"`:                          "\x00",
		`"日本語"`:                             "日本語",
		`"\u2028"`:                          "\u2028",
		`"x\u0022y"`:                        `x"y`,
		`"` + strings.Repeat("é", 40) + `"`: strings.Repeat("é", 40),
	} {
		e := mustDecode(t, ev(tOK, `"action":"CallEntered"`, srcQueue, `"interaction":`+lit, `"data":{`+lit+`:`+lit+`}`), Options{})
		if e.Interaction != want || len(e.Data) != 1 || e.Data[0] != (Pair{want, want}) {
			t.Errorf("%s: got %q / %q, want %q", lit, e.Interaction, e.Data, want)
		}
	}
}

func TestDecodeDataValues(t *testing.T) {
	e := mustDecode(t, ev(tOK, `"action":"CallEntered"`, srcQueue,
		`"data":{"z":"last?","a":1,"m":-0.50,"e":1E+3,"t":true,"f":false,"s":"","z2":0}`), Options{})
	want := Data{{"z", "last?"}, {"a", "1"}, {"m", "-0.50"}, {"e", "1E+3"}, {"t", "true"},
		{"f", "false"}, {"s", ""}, {"z2", "0"}}
	if !reflect.DeepEqual(e.Data, want) {
		t.Fatalf("got %q, want %q", e.Data, want)
	}
	if v, ok := e.Data.Get("m"); !ok || v != "-0.50" {
		t.Fatalf("Get(m) = %q, %v", v, ok)
	}
}

func TestDecodeWhitespace(t *testing.T) {
	line := " \t{ \"time\" : \"2026-11-26T09:00:00Z\" ,\r\n \"action\":\"CallEntered\", \"source\" : { \"class\" : \"mediation_dn\" , \"id\" : \"Support@SW1\" } , \"data\" : { } } \r\n"
	e := mustDecode(t, line, withTopo)
	if e.Action != action.CallEntered || e.Data == nil {
		t.Fatalf("got %+v", e)
	}
}

func TestDecodeFieldOrderFree(t *testing.T) {
	a := mustDecode(t, realistic[8], withTopo)
	b := mustDecode(t, `{"data":{"Segment":"Gold","Priority":5,"VIP":true},"agent":"1001","media":"voice","interaction":"c-42","source":{"id":"7001","class":"regular_dn"},"phase":"start","action":"CallInbound","time":"2026-11-26T09:00:05.5Z"}`, withTopo)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("order changed the event:\n%+v\n%+v", a, b)
	}
}

func TestDecodeLineNumberAndTooLong(t *testing.T) {
	e, err := DecodeLine([]byte(realistic[0]), 42, Options{})
	if err != nil || e.Line != 42 {
		t.Fatalf("got %+v, %v", e, err)
	}
	_, err = DecodeLine([]byte(realistic[0]), 43, Options{MaxLineBytes: 10})
	if rej, ok := err.(*Rejection); !ok || rej.Code != CodeLineTooLong || rej.Line != 43 {
		t.Fatalf("got %v", err)
	}
	_, err = DecodeLine([]byte("  \r\n"), 44, Options{})
	if rej, ok := err.(*Rejection); !ok || rej.Code != CodeBadJSON {
		t.Fatalf("blank line: got %v", err)
	}
}

// TestDecodeDoesNotAliasInput: the caller may reuse the line buffer.
func TestDecodeDoesNotAliasInput(t *testing.T) {
	line := []byte(realistic[8])
	e := mustDecode(t, string(line), Options{})
	e2, err := DecodeLine(line, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range line {
		line[i] = 'x'
	}
	if !reflect.DeepEqual(e, e2) {
		t.Fatalf("event changed with its input:\n%+v\n%+v", e, e2)
	}
}

func TestReasonsClipLongInput(t *testing.T) {
	long := strings.Repeat("é", 5000)
	for _, line := range []string{
		ev(tOK, `"action":"`+long+`"`, srcQueue),
		ev(tOK, `"`+long+`":1`),
		ev(`"time":"`+long+`"`, `"action":"CallEntered"`, srcQueue),
		ev(tOK, `"action":"CallEntered"`, `"source":{"class":"`+long+`","id":"x"}`),
		ev(tOK, `"action":"CallAnswered"`, `"variant":"`+long+`"`, srcQueue, `"duration":1`),
		ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":`+strings.Repeat("9", 5000)),
	} {
		_, err := DecodeLine([]byte(line), 1, withTopo)
		if err == nil || len(err.Error()) > 600 {
			t.Errorf("reason not clipped (%d bytes): %.200s", len(err.Error()), err)
		}
	}
}
