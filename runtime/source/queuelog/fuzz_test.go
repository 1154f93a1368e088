package queuelog_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/queuelog"
)

// FuzzParse: any line parses or is rejected with a code, never panics; a parsed line keeps
// the text of its fields (joined with | they give the line back, without a trailing \r).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"1767225600|1700.1|sales|NONE|ENTERQUEUE||5551234|1",
		"1767225612|1700.1|sales|SIP/alice|CONNECT|12|1700.2|3\r",
		"1767225600|NONE|NONE|NONE|QUEUESTART|",
		"1|2|3|4",
		"|||||||",
		"1767225600|1.1|q|a|ATTENDEDTRANSFER|LINK|SIP/a-1|SIP/b-2|3|40|1",
	} {
		f.Add([]byte(s))
	}
	fm := gs.AsteriskQueueLog()
	f.Fuzz(func(t *testing.T, line []byte) {
		var rec source.Record
		err := queuelog.Parse(fm, line, &rec)
		if err != nil {
			var rej *event.Rejection
			if !errors.As(err, &rej) || rej.Code == "" {
				t.Fatalf("not a rejection: %v", err)
			}
			return
		}
		var b bytes.Buffer
		for i, fd := range rec.Fields {
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(fd.Value)
		}
		if want := bytes.TrimSuffix(line, []byte{'\r'}); !bytes.Equal(b.Bytes(), want) {
			t.Fatalf("fields %q do not give back %q", b.String(), want)
		}
	})
}

// FuzzReader: any input reads to io.EOF through records and rejections, each rejection
// numbered with a line of the input.
func FuzzReader(f *testing.F) {
	f.Add([]byte("1767225600|1.1|q|NONE|ENTERQUEUE||555\n\nbad\n1767225601|1.1|q|NONE|ABANDON|1|1|1"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := queuelog.NewReader(gs.AsteriskQueueLog(), bytes.NewReader(in))
		lines := bytes.Count(in, []byte{'\n'}) + 1
		var rec source.Record
		for i := 0; ; i++ {
			err := r.Next(&rec)
			if errors.Is(err, io.EOF) {
				return
			}
			var rej *event.Rejection
			switch {
			case errors.As(err, &rej):
				if rej.Line < 1 || rej.Line > lines {
					t.Fatalf("rejection at line %d of %d", rej.Line, lines)
				}
			case err != nil:
				t.Fatal(err)
			}
			if i > lines {
				t.Fatal("more records than lines")
			}
		}
	})
}
