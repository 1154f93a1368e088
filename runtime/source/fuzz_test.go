package source_test

import (
	"bytes"
	"testing"

	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/queuelog"
)

// FuzzMapQueueLog maps arbitrary queue_log lines: no panic; every event produced encodes
// (is a valid event); a refused line leaves the state unchanged; the state round-trips.
func FuzzMapQueueLog(f *testing.F) {
	f.Add([]byte("1767225600|MANAGER|sales|1001|ADDMEMBER|\n1767225601|1.1|sales|1001|CONNECT|5|x|1\n1767225700|NONE|NONE|NONE|QUEUESTART|\n"))
	f.Add([]byte("1767225600|NONE|NONE|1001|PAUSEALL|Lunch\n1767225600|NONE|sales|1001|UNPAUSE|\n99999999999999|1|q|a|ABANDON|1|1|-1\n"))
	fm := gs.AsteriskQueueLog()
	f.Fuzz(func(t *testing.T, in []byte) {
		m := source.NewMapper(fm, source.Options{Attach: []string{"A"}})
		var rec source.Record
		for _, line := range bytes.Split(in, []byte{'\n'}) {
			if queuelog.Parse(fm, line, &rec) != nil {
				continue
			}
			before, err := m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			evs, rej := m.Map(&rec, nil)
			if rej != nil {
				after, _ := m.MarshalBinary()
				if !bytes.Equal(before, after) {
					t.Fatalf("a refused line changed the state: %s", rej.Reason)
				}
				continue
			}
			for _, ev := range evs {
				if _, err := event.AppendJSON(nil, ev); err != nil {
					t.Fatalf("line %q gave an invalid event: %v", line, err)
				}
			}
		}
		state, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		again := source.NewMapper(fm, source.Options{})
		if err := again.UnmarshalBinary(state); err != nil {
			t.Fatal(err)
		}
		if b, _ := again.MarshalBinary(); !bytes.Equal(b, state) {
			t.Fatal("the state does not round-trip")
		}
	})
}
