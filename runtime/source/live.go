package source

import (
	"context"

	"github.com/statkit/statkit/runtime/event"
)

// Frame is one raw record as a reader received it: a queue_log line (without its
// newline), an AMI event block, an ESL event body. Frames are what a live source hands
// on; the format's Decode turns one into a Record, so a log that keeps frames can map them
// again the same way.
type Frame struct {
	Data []byte
	// Line numbers the frame in its input: the line of a file, the n-th event of a
	// connection.
	Line int
	// Received is when a live reader received the frame (0 for recorded input).
	Received event.Time
}

// Batch is what a live source yields at a time: frames in input order, and the position
// right after the last one.
type Batch struct {
	Frames []Frame
	// Position is where to resume to read what follows the batch (for a queue_log: the
	// file's identity and the offset after the batch's last line). It is opaque, and nil
	// for inputs that cannot be resumed: a live AMI or ESL connection delivers only what
	// happens while it is up.
	Position []byte
}

// The bounds of a Batch for live sources whose options leave them 0: DefaultMaxBatch
// frames and DefaultMaxBytes of frame data (a batch holds at least one frame, however
// long), so that a batch fits one log record.
const (
	DefaultMaxBatch = 4096
	DefaultMaxBytes = 1 << 20
)

// Source is a live input: a followed queue_log file, an AMI or ESL connection. Next
// blocks until at least one frame is available (or ctx ends) and returns what is ready;
// connections are re-established and rotated files followed inside it. An error from
// Next other than ctx's is fatal for the source (bad credentials at the first connection,
// an unreadable file).
type Source interface {
	Next(ctx context.Context) (Batch, error)
	Close() error
}

// Decoder parses one frame of a wire format into rec (which it resets first). A frame it
// cannot parse is an *event.Rejection (the caller numbers it).
type Decoder func(frame []byte, rec *Record) error

// Reader yields the records of a recorded input, in order.
type Reader interface {
	// Next fills rec with the next record. It returns io.EOF at the end, an
	// *event.Rejection (with the record's line) for a record it could not parse — Next
	// may be called again after it — and any other error when reading failed.
	Next(rec *Record) error
}

// MapFrames decodes frames with dec and maps them with m, in order, appending their events
// to out. A frame that does not decode or map is a rejection numbered with the frame's
// Line; the others go on. This is what a process applying a logged batch of frames does:
// the same frames through a Mapper in the same state give the same events.
func MapFrames(dec Decoder, m *Mapper, frames []Frame, out []event.Event) ([]event.Event, []*event.Rejection) {
	var rejs []*event.Rejection
	var rec Record
	for _, f := range frames {
		if err := dec(f.Data, &rec); err != nil {
			rej, ok := err.(*event.Rejection)
			if !ok {
				rej = &event.Rejection{Code: CodeBadField, Reason: err.Error()}
			}
			rej.Line = f.Line
			rejs = append(rejs, rej)
			continue
		}
		rec.Line, rec.Received = f.Line, f.Received
		var rej *event.Rejection
		if out, rej = m.Map(&rec, out); rej != nil {
			rejs = append(rejs, rej)
		}
	}
	return out, rejs
}
