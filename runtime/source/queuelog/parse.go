// Package queuelog reads Asterisk's queue_log: the line format
// (epoch|callid|queue|agent|event|data1|data2|…, main/logger.c), recorded files, and a
// follower that tails a live file across rotation and truncation and resumes from a
// position (the file's identity and an offset).
package queuelog

import (
	"bytes"
	"strconv"

	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
)

// MaxLine is the longest line read; Asterisk writes at most 8 KiB.
const MaxLine = 64 << 10

// Rejection codes of Parse.
const (
	CodeBadLine     = "bad_line"
	CodeLineTooLong = "line_too_long"
)

// record field names of every line, in order (they match spec/sources/asterisk-queue-log.yaml).
var heads = [...]string{"time", "callid", "queue", "agent", "event"}

// Parse reads one line (without its newline; a trailing \r is dropped) into rec. The
// data fields are named after the event's fields in format f, by position (data1 is the
// event's first field); fields beyond those declared, or of an event f does not list, are
// named data1, data2, …. A line with fewer than five |-separated fields is rejected.
func Parse(f *gs.Format, line []byte, rec *source.Record) error {
	rec.Reset()
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > MaxLine {
		return &event.Rejection{Code: CodeLineTooLong, Reason: "line is longer than " + strconv.Itoa(MaxLine) + " bytes"}
	}
	parts := bytes.Split(line, []byte{'|'})
	if len(parts) < len(heads) {
		return &event.Rejection{Code: CodeBadLine, Reason: "not a queue_log line: want epoch|callid|queue|agent|event|data…, got " +
			strconv.Itoa(len(parts)) + " field(s)"}
	}
	for i, h := range heads {
		rec.Add(h, string(parts[i]))
	}
	ev, _ := f.Event(string(parts[len(heads)-1]))
	for d, v := range parts[len(heads):] {
		var name string
		if ev != nil && d < len(ev.Fields) {
			name = ev.Fields[d].Name
		} else {
			name = "data" + strconv.Itoa(d+1)
		}
		rec.Add(name, string(v))
	}
	return nil
}

// Decoder returns the source.Decoder of format f's lines.
func Decoder(f *gs.Format) source.Decoder {
	return func(frame []byte, rec *source.Record) error { return Parse(f, frame, rec) }
}
