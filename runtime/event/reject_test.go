package event

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
)

// expectRejected puts bad as line 3 of a five-line stream whose other lines are valid and
// checks that exactly line 3 is rejected, with code, and that lines 1, 2, 4 and 5 are all
// accepted. It also checks that DecodeLine gives the same rejection.
func expectRejected(t *testing.T, opts Options, bad, code string) {
	t.Helper()
	good := realistic[8:12]
	out := decodeAll(t, stream(good[0], good[1], bad, good[2], good[3]), opts)
	if len(out.rejected) != 1 {
		t.Fatalf("want 1 rejection, got %d: %v\nline: %s", len(out.rejected), out.rejected, bad)
	}
	rej := out.rejected[0]
	if rej.Line != 3 || rej.Code != code || rej.Reason == "" {
		t.Fatalf("want line 3 [%s], got %v\nline: %s", code, rej, bad)
	}
	var lines []int
	for _, e := range out.accepted {
		lines = append(lines, e.Line)
	}
	if !slices.Equal(lines, []int{1, 2, 4, 5}) {
		t.Fatalf("accepted lines %v, want [1 2 4 5]", lines)
	}
	_, err := DecodeLine([]byte(bad), 3, opts)
	var one *Rejection
	if !errors.As(err, &one) || *one != *rej {
		t.Fatalf("DecodeLine: got %v, want %v", err, rej)
	}
	t.Logf("%s", rej)
}

// withTopo are options with the test topology.
var withTopo = Options{Resolver: testTopo()}

// ev builds a line from the given top-level members (already JSON).
func ev(members ...string) string { return "{" + strings.Join(members, ",") + "}" }

const (
	tOK      = `"time":"2026-11-26T09:00:00Z"`
	srcExt   = `"source":{"class":"regular_dn","id":"7001"}`
	srcQueue = `"source":{"class":"mediation_dn","id":"Support@SW1"}`
)

func TestRejectLineTooLong(t *testing.T) {
	long := ev(tOK, `"action":"CallEntered"`, srcQueue, `"interaction":"`+strings.Repeat("x", 400)+`"`)
	expectRejected(t, Options{MaxLineBytes: 300}, long, CodeLineTooLong)
}

func TestRejectBadJSON(t *testing.T) {
	for name, line := range map[string]string{
		"truncated":        `{"time":"2026-11-26T09:00:00Z","action":"CallEntered"`,
		"trailing data":    ev(tOK, `"action":"CallEntered"`, srcQueue) + ` {}`,
		"array":            `[1,2]`,
		"bare word":        `hello`,
		"missing colon":    `{"time" "2026-11-26T09:00:00Z"}`,
		"trailing comma":   `{"time":"2026-11-26T09:00:00Z",}`,
		"single quotes":    `{'time':'x'}`,
		"bad escape":       ev(tOK, `"action":"CallEntered"`, srcQueue, `"media":"a\qb"`),
		"short \\u":        ev(tOK, `"action":"CallEntered"`, srcQueue, `"media":"\u12"`),
		"raw control char": ev(tOK, `"action":"CallEntered"`, srcQueue, "\"media\":\"a\tb\""),
		"invalid UTF-8":    ev(tOK, `"action":"CallEntered"`, srcQueue, "\"media\":\"a\xffb\""),
		"bad number":       ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":01`),
		"bad literal":      ev(tOK, `"action":"CallEntered"`, srcQueue, `"media":nul`),
		"unterminated":     `{"time":"2026-11-26T09:00:00Z`,
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, Options{}, line, CodeBadJSON) })
	}
}

func TestRejectUnknownField(t *testing.T) {
	for name, line := range map[string]string{
		"top level":          ev(`"tme":"2026-11-26T09:00:00Z"`, `"action":"CallEntered"`, srcQueue),
		"case matters":       ev(`"Time":"2026-11-26T09:00:00Z"`, `"action":"CallEntered"`, srcQueue),
		"inside source":      ev(tOK, `"action":"CallEntered"`, `"source":{"class":"mediation_dn","id":"Support@SW1","tenant":"t"}`),
		"after valid fields": ev(tOK, `"action":"CallEntered"`, srcQueue, `"medium":"voice"`),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, Options{}, line, CodeUnknownField) })
	}
}

func TestRejectDuplicateField(t *testing.T) {
	for name, line := range map[string]string{
		"top level":            ev(tOK, tOK, `"action":"CallEntered"`, srcQueue),
		"null counts":          ev(tOK, `"action":"CallEntered"`, srcQueue, `"media":null`, `"media":"voice"`),
		"source id":            ev(tOK, `"action":"CallEntered"`, `"source":{"class":"mediation_dn","id":"a","id":"b"}`),
		"data key":             ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"a":"1","a":"2"}`),
		"data key, long data":  ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{`+manyKeys(40)+`,"k7":"again"}`),
		"escaped key is same":  ev(tOK, `"action":"CallEntered"`, srcQueue, `"\u0074ime":"2026-11-26T09:00:00Z"`),
		"escaped data key dup": ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"ab":"1","a\u0062":"2"}`),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, Options{}, line, CodeDuplicateField) })
	}
}

// manyKeys returns n distinct data members k0…k(n-1).
func manyKeys(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf(`"k%d":"%d"`, i, i))
	}
	return strings.Join(parts, ",")
}

func TestRejectBadType(t *testing.T) {
	for name, line := range map[string]string{
		"numeric id":          ev(tOK, `"action":"CallEntered"`, `"source":{"class":"mediation_dn","id":5}`),
		"numeric agent":       ev(tOK, `"action":"CallEntered"`, srcQueue, `"agent":1001`),
		"boolean interaction": ev(tOK, `"action":"CallEntered"`, srcQueue, `"interaction":true`),
		"object media":        ev(tOK, `"action":"CallEntered"`, srcQueue, `"media":{"x":1}`),
		"source as string":    ev(tOK, `"action":"CallEntered"`, `"source":"Support@SW1"`),
		"action as array":     ev(tOK, `"action":["CallEntered"]`, srcQueue),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, Options{}, line, CodeBadType) })
	}
}

func TestRejectMissingField(t *testing.T) {
	for name, line := range map[string]string{
		"time":         ev(`"action":"CallEntered"`, srcQueue),
		"null time":    ev(`"time":null`, `"action":"CallEntered"`, srcQueue),
		"action":       ev(tOK, srcQueue),
		"empty action": ev(tOK, `"action":""`, srcQueue),
		"source":       ev(tOK, `"action":"CallEntered"`),
		"source class": ev(tOK, `"action":"CallEntered"`, `"source":{"id":"Support@SW1"}`),
		"source id":    ev(tOK, `"action":"CallEntered"`, `"source":{"class":"mediation_dn"}`),
		"empty id":     ev(tOK, `"action":"CallEntered"`, `"source":{"class":"mediation_dn","id":""}`),
		"empty object": `{}`,
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, Options{}, line, CodeMissingField) })
	}
}

func TestRejectBadTime(t *testing.T) {
	for name, line := range map[string]string{
		"not RFC 3339":      ev(`"time":"26/11/2026 09:00"`, `"action":"CallEntered"`, srcQueue),
		"no zone":           ev(`"time":"2026-11-26T09:00:00"`, `"action":"CallEntered"`, srcQueue),
		"month 13":          ev(`"time":"2026-13-26T09:00:00Z"`, `"action":"CallEntered"`, srcQueue),
		"number":            ev(`"time":1764147600`, `"action":"CallEntered"`, srcQueue),
		"outside 0000-9999": ev(`"time":"0000-01-01T00:00:00+00:01"`, `"action":"CallEntered"`, srcQueue),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, Options{}, line, CodeBadTime) })
	}
}

func TestRejectBadSourceClass(t *testing.T) {
	for name, line := range map[string]string{
		"unknown":      ev(tOK, `"action":"CallEntered"`, `"source":{"class":"queue","id":"Support@SW1"}`),
		"object type":  ev(tOK, `"action":"CallEntered"`, `"source":{"class":"Queue","id":"Support@SW1"}`),
		"number":       ev(tOK, `"action":"CallEntered"`, `"source":{"class":3,"id":"Support@SW1"}`),
		"display name": ev(tOK, `"action":"CallEntered"`, `"source":{"class":"Mediation DN","id":"Support@SW1"}`),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, Options{}, line, CodeBadSourceClass) })
	}
}

func TestRejectUnknownObject(t *testing.T) {
	for name, line := range map[string]string{
		"unknown DN":   ev(tOK, `"action":"CallEntered"`, `"source":{"class":"mediation_dn","id":"Sales@SW1"}`),
		"wrong class":  ev(tOK, `"action":"CallInbound"`, `"phase":"start"`, `"source":{"class":"regular_dn","id":"Support@SW1"}`),
		"unknown area": ev(tOK, `"action":"InteractionCreated"`, `"source":{"class":"staging_area","id":"Outbound"}`, `"duration":0`),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, withTopo, line, CodeUnknownObject) })
	}
	t.Run("no resolver, no check", func(t *testing.T) {
		mustDecode(t, ev(tOK, `"action":"CallEntered"`, `"source":{"class":"mediation_dn","id":"Sales@SW1"}`), Options{})
	})
}

func TestRejectUnknownAction(t *testing.T) {
	for name, line := range map[string]string{
		"typo":          ev(tOK, `"action":"CallEnterd"`, srcQueue),
		"wrong case":    ev(tOK, `"action":"callentered"`, srcQueue),
		"text form":     ev(tOK, `"action":"CallAnswered (Mediation DNs)"`, srcQueue, `"duration":1`),
		"family prefix": ev(tOK, `"action":"CallObserv"`, srcExt),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, withTopo, line, CodeUnknownAction) })
	}
}

func TestRejectNotApplicable(t *testing.T) {
	for name, line := range map[string]string{
		"DN action on a queue":       ev(tOK, `"action":"CallInbound"`, `"phase":"start"`, srcQueue),
		"queue action on a DN":       ev(tOK, `"action":"CallEntered"`, srcExt),
		"DN action on a tenant":      ev(tOK, `"action":"LoggedIn"`, `"phase":"start"`, `"source":{"class":"tenant","id":"default"}`),
		"no row on the source class": ev(tOK, `"action":"CallReleased"`, srcExt, `"duration":1`),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, withTopo, line, CodeNotApplicable) })
	}
}

func TestRejectUnknownVariant(t *testing.T) {
	for name, line := range map[string]string{
		"variant of another class": ev(tOK, `"action":"CallAnswered"`, `"variant":"Regular DNs"`, srcQueue, `"duration":1`),
		"no such variant":          ev(tOK, `"action":"CallAnswered"`, `"variant":"Tenants"`, srcQueue, `"duration":1`),
		"typo in a class variant":  ev(tOK, `"action":"CallAbandoned"`, `"variant":"Mediatoin DNs"`, srcQueue, `"duration":1`),
		"row of another DN type":   ev(tOK, `"action":"CallAnswered"`, `"variant":"Virtual Queues"`, srcQueue, `"duration":1`),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, withTopo, line, CodeUnknownVariant) })
	}
}

// TestRejectAmbiguousAction: action.Lookup prefers a row without variant and a row that
// fits the DN type, so the generated tables currently have no (name, class, DN type) that
// is ambiguous. The test checks the mapping of action.ErrAmbiguous, and runs the stream
// check on every ambiguous case it finds, should the spec ever produce one.
func TestRejectAmbiguousAction(t *testing.T) {
	wrapped := fmt.Errorf("%w: %q on %s needs a variant", action.ErrAmbiguous, "X", object.ClassTenant)
	if got := lookupCode(wrapped); got != CodeAmbiguousAction {
		t.Fatalf("lookupCode(ErrAmbiguous) = %s", got)
	}
	for _, a := range action.AllIDs() {
		for _, c := range a.Sources().Slice() {
			if _, err := action.Lookup(a.Name(), c, "", object.DNNone); !errors.Is(err, action.ErrAmbiguous) {
				continue
			}
			line := ev(tOK, `"action":"`+a.Name()+`"`, `"source":{"class":"`+c.String()+`","id":"x"}`)
			expectRejected(t, Options{}, line, CodeAmbiguousAction)
		}
	}
}

func TestRejectBadPhase(t *testing.T) {
	for name, line := range map[string]string{
		"missing on durable":   ev(tOK, `"action":"CallInbound"`, srcExt),
		"null on durable":      ev(tOK, `"action":"CallInbound"`, `"phase":null`, srcExt),
		"on momentary":         ev(tOK, `"action":"CallEntered"`, `"phase":"start"`, srcQueue),
		"on retrospective":     ev(tOK, `"action":"CallAbandoned"`, `"phase":"end"`, srcQueue, `"duration":1`),
		"invalid value":        ev(tOK, `"action":"CallInbound"`, `"phase":"begin"`, srcExt),
		"upper case":           ev(tOK, `"action":"CallInbound"`, `"phase":"START"`, srcExt),
		"invalid on momentary": ev(tOK, `"action":"CallEntered"`, `"phase":"middle"`, srcQueue),
		"number":               ev(tOK, `"action":"CallInbound"`, `"phase":1`, srcExt),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, withTopo, line, CodeBadPhase) })
	}
}

func TestRejectBadDuration(t *testing.T) {
	for name, line := range map[string]string{
		"missing":         ev(tOK, `"action":"CallAbandoned"`, srcQueue),
		"null":            ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":null`),
		"on durable":      ev(tOK, `"action":"CallInbound"`, `"phase":"end"`, srcExt, `"duration":3`),
		"zero on durable": ev(tOK, `"action":"CallInbound"`, `"phase":"end"`, srcExt, `"duration":0`),
		"on momentary":    ev(tOK, `"action":"CallEntered"`, srcQueue, `"duration":3`),
		"negative":        ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":-0.5`),
		"too large":       ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":1e20`),
		"string":          ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":"12.4"`),
		"ISO 8601 string": ev(tOK, `"action":"CallAbandoned"`, srcQueue, `"duration":"PT12S"`),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, withTopo, line, CodeBadDuration) })
	}
}

func TestRejectBadData(t *testing.T) {
	for name, line := range map[string]string{
		"nested object": ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"a":{"b":1}}`),
		"nested array":  ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"a":[1,2]}`),
		"null value":    ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":{"a":null}`),
		"not an object": ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":"Segment=Gold"`),
		"array of data": ev(tOK, `"action":"CallEntered"`, srcQueue, `"data":[{"a":"b"}]`),
	} {
		t.Run(name, func(t *testing.T) { expectRejected(t, withTopo, line, CodeBadData) })
	}
}

// TestRejectionCodes checks the code list: unique, snake_case, and each one has a
// TestReject… above (keep this list in step when adding a code).
func TestRejectionCodes(t *testing.T) {
	tested := []string{CodeLineTooLong, CodeBadJSON, CodeUnknownField, CodeDuplicateField,
		CodeBadType, CodeMissingField, CodeBadTime, CodeBadSourceClass, CodeUnknownObject,
		CodeUnknownAction, CodeNotApplicable, CodeUnknownVariant, CodeAmbiguousAction,
		CodeBadPhase, CodeBadDuration, CodeBadData}
	codes := RejectionCodes()
	slices.Sort(codes)
	slices.Sort(tested)
	if !slices.Equal(codes, tested) {
		t.Fatalf("RejectionCodes() = %v, tested %v", codes, tested)
	}
	if len(slices.Compact(codes)) != len(tested) {
		t.Fatalf("repeated code in %v", codes)
	}
	for _, c := range codes {
		if c == "" || strings.ToLower(c) != c || strings.ContainsAny(c, " -") {
			t.Errorf("code %q is not snake_case", c)
		}
	}
}

func TestRejectionError(t *testing.T) {
	var err error = &Rejection{Line: 7, Code: CodeBadTime, Reason: `time "x": bad`}
	if got, want := err.Error(), `line 7: time "x": bad [bad_time]`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
