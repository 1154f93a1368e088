package ami_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/ami"
)

// FuzzReader: any Manager stream frames into events and rejections until io.EOF, never
// panics, and ends; every event has an Event field.
func FuzzReader(f *testing.F) {
	f.Add([]byte("Asterisk Call Manager/9.0.0\r\nResponse: Success\r\nActionID: 1\r\n\r\nEvent: QueueCallerJoin\r\nQueue: sales\r\nChanVariable(PJSIP/x): A=b\r\n\r\n"))
	f.Add([]byte("Event: X\nno colon\n\nEvent: Y\nKey:\n\n\n\nEvent: Z\r\nQueue: sa"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := ami.NewReader(bytes.NewReader(in))
		var rec source.Record
		for n := 0; ; n++ {
			err := r.Next(&rec)
			if errors.Is(err, io.EOF) {
				return
			}
			var rej *event.Rejection
			switch {
			case errors.As(err, &rej):
			case err != nil:
				t.Fatal(err)
			default:
				if _, ok := rec.Get("Event"); !ok {
					t.Fatalf("an event without Event: %+v", rec.Fields)
				}
			}
			if n > len(in)+1 {
				t.Fatal("the reader does not end")
			}
		}
	})
}
