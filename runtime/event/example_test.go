package event_test

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/statkit/statkit/runtime/event"
)

// Decode a stream: every line is either an Event or a Rejection with its line number, and
// a bad line never stops the stream.
func ExampleDecoder() {
	input := `{"time":"2026-11-26T09:00:03.250Z","action":"CallInbound","phase":"start","source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","data":{"Segment":"Gold"}}
{"time":"2026-11-26T09:00:04Z","action":"CallInbound","source":{"class":"regular_dn","id":"7001"}}
{"time":"2026-11-26T09:00:15Z","action":"CallAbandoned","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-43","duration":12.4}
`
	d := event.NewDecoder(strings.NewReader(input), event.Options{})
	for {
		e, rej, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("read error:", err)
			return
		}
		if rej != nil {
			fmt.Println(rej)
			continue
		}
		fmt.Println(e.Line, e.Time, e.Action, e.Phase, e.Source.ID, e.Duration, e.Data)
	}
	// Output:
	// 1 2026-11-26T09:00:03.250Z CallInbound start 7001 0 [{Segment Gold}]
	// line 2: CallInbound is durable: phase "start", "update" or "end" is required [bad_phase]
	// 3 2026-11-26T09:00:15.000Z CallAbandoned  Support@SW1 12400 []
}

// Encode an event in the canonical wire form.
func ExampleEncode() {
	e, err := event.DecodeLine([]byte(`{"time":"2026-11-26T10:00:15+01:00","action":"CallAbandoned","source":{"class":"mediation_dn","id":"Support@SW1"},"duration":12.40}`), 1, event.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := event.Encode(os.Stdout, e); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"time":"2026-11-26T09:00:15.000Z","action":"CallAbandoned","source":{"class":"mediation_dn","id":"Support@SW1"},"duration":12.4}
}
