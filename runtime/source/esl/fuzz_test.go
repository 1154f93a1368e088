package esl_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/esl"
)

// FuzzReader: any event-socket stream frames into events, rejections or a framing error,
// never panics, and ends.
func FuzzReader(f *testing.F) {
	f.Add([]byte("Content-Type: auth/request\n\n" + message(eventBody("Event-Name", "CUSTOM", "CC-Action", "agent-offering"))))
	f.Add([]byte("Content-Length: 5\nContent-Type: text/event-plain\n\nEvent\n\nContent-Length: -1\n\n"))
	f.Add([]byte("Content-Length: 99999999999\nContent-Type: text/event-plain\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := esl.NewReader(bytes.NewReader(in))
		var rec source.Record
		for n := 0; ; n++ {
			err := r.Next(&rec)
			if errors.Is(err, io.EOF) {
				return
			}
			var rej *event.Rejection
			if err != nil && !errors.As(err, &rej) {
				return // a framing error ends the stream
			}
			if n > len(in)+1 {
				t.Fatal("the reader does not end")
			}
		}
	})
}
