package event

import (
	"bytes"
	"strings"
	"testing"

	"github.com/statkit/statkit/generated/object"
)

// topo is a small test topology implementing Resolver.
type topo struct {
	dns    map[string]object.DNType
	others map[object.SourceClass]map[string]bool
}

func (tp *topo) DNType(id string) (object.DNType, bool) {
	t, ok := tp.dns[id]
	return t, ok
}

func (tp *topo) Known(class object.SourceClass, id string) bool {
	if t, ok := tp.dns[id]; ok {
		return t.Class() == class
	}
	return tp.others[class][id]
}

// testTopo has two extensions, an ACD queue, a virtual queue, a routing point, a media
// channel owner, a staging area and the default tenant.
func testTopo() *topo {
	return &topo{
		dns: map[string]object.DNType{
			"7001":        object.DNExtension,
			"7002":        object.DNExtension,
			"Support@SW1": object.DNACDQueue,
			"VQ1@SW1":     object.DNVirtualQueue,
			"RP1@SW1":     object.DNRoutingPoint,
		},
		others: map[object.SourceClass]map[string]bool{
			object.ClassMediaChannel: {"1001": true},
			object.ClassStagingArea:  {"Inbound": true},
			object.ClassTenant:       {"default": true},
		},
	}
}

// realistic is one call's worth of valid events, as the simulator would write them (not
// all in canonical form).
var realistic = []string{
	`{"time":"2026-11-26T09:00:00Z","action":"LoggedIn","phase":"start","source":{"class":"regular_dn","id":"7001"},"agent":"1001"}`,
	`{"time":"2026-11-26T09:00:01Z","action":"WaitForNextCall","phase":"start","source":{"class":"regular_dn","id":"7001"},"agent":"1001"}`,
	`{"time":"2026-11-26T09:00:02.125Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-42","media":"voice"}`,
	`{"time":"2026-11-26T09:00:02.125Z","action":"CallWait","phase":"start","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-42","media":"voice"}`,
	`{"time":"2026-11-26T09:00:03.250Z","action":"CallWait","phase":"end","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-42","media":"voice"}`,
	`{"time":"2026-11-26T09:00:03.250Z","action":"CallDistributed","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-42","media":"voice","agent":"1001","duration":1.125}`,
	`{"time":"2026-11-26T09:00:03.250Z","action":"CallRinging","phase":"start","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice","agent":"1001"}`,
	`{"time":"2026-11-26T09:00:05.5Z","action":"CallRinging","phase":"end","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice","agent":"1001"}`,
	`{"time":"2026-11-26T09:00:05.500Z","action":"CallInbound","phase":"start","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice","agent":"1001","data":{"Segment":"Gold","Priority":5,"VIP":true}}`,
	`{"time":"2026-11-26T10:00:20+01:00","action":"CallOnHold","phase":"start","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice","agent":"1001"}`,
	`{"time":"2026-11-26T09:00:31Z","action":"CallOnHold","phase":"end","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice","agent":"1001"}`,
	`{"time":"2026-11-26T09:02:00Z","action":"CallInbound","phase":"end","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice","agent":"1001","data":{"Segment":"Gold","Priority":5,"VIP":true}}`,
	`{"time":"2026-11-26T09:02:00Z","action":"CallAnswered","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice","agent":"1001","duration":2.375}`,
	`{"time":"2026-11-26T09:02:00Z","action":"AfterCallWork","phase":"start","source":{"class":"regular_dn","id":"7001"},"agent":"1001"}`,
	`{"time":"2026-11-26T09:02:30Z","action":"AfterCallWork","phase":"end","source":{"class":"regular_dn","id":"7001"},"agent":"1001"}`,
	`{"time":"2026-11-26T09:02:30Z","action":"NotReadyForNextCall","phase":"start","source":{"class":"regular_dn","id":"7002"},"agent":"1002","data":{"ReasonCode":"Break"}}`,
	`{"time":"2026-11-26T09:03:00Z","action":"CallAbandoned","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-43","media":"voice","duration":12.4}`,
	`{"time":"2026-11-26T09:03:01Z","action":"CallAnswered","variant":"Virtual Queues","source":{"class":"mediation_dn","id":"VQ1@SW1"},"interaction":"c-44","duration":0.8}`,
	`{"time":"2026-11-26T09:03:02Z","action":"InteractionAccepted","variant":"StagingAreas","source":{"class":"staging_area","id":"Inbound"},"interaction":"m-7","media":"email","duration":30}`,
	`{"time":"2026-11-26T09:03:03Z","action":"Delivering","phase":"start","source":{"class":"media_channel","id":"1001"},"interaction":"m-7","media":"email","agent":"1001","place":"P1"}`,
	`{"time":"2026-11-26T09:01:10Z","action":"CallInbound","phase":"update","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","data":{"Segment":"Platinum","Priority":7}}`,
}

// stream joins lines into an NDJSON stream.
func stream(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// outcome is what a Decoder made of a stream.
type outcome struct {
	accepted []Event
	rejected []*Rejection
}

// decodeAll runs a Decoder over input to the end.
func decodeAll(t testing.TB, input string, opts Options) outcome {
	t.Helper()
	var out outcome
	d := NewDecoder(strings.NewReader(input), opts)
	for {
		e, rej, err := d.Next()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("Next: unexpected error %v", err)
			}
			return out
		}
		if rej != nil {
			out.rejected = append(out.rejected, rej)
			continue
		}
		out.accepted = append(out.accepted, e)
	}
}

// mustDecode decodes a line that must be accepted.
func mustDecode(t testing.TB, line string, opts Options) Event {
	t.Helper()
	e, err := DecodeLine([]byte(line), 1, opts)
	if err != nil {
		t.Fatalf("DecodeLine(%s): %v", line, err)
	}
	return e
}

// mustEncode encodes an event that must be encodable.
func mustEncode(t testing.TB, e Event) string {
	t.Helper()
	b, err := AppendJSON(nil, e)
	if err != nil {
		t.Fatalf("AppendJSON(%+v): %v", e, err)
	}
	return string(b)
}

// benchStream repeats the realistic lines to n lines.
func benchStream(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(realistic[i%len(realistic)])
		b.WriteByte('\n')
	}
	return b.Bytes()
}
