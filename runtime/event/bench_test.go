package event

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// benchLines is the number of lines of the benchmark stream: the realistic lines repeated.
const benchLines = 10_000

// BenchmarkDecode decodes and validates a stream of realistic lines with a topology
// resolver, one event per op, and reports events/s.
func BenchmarkDecode(b *testing.B) {
	data := benchStream(benchLines)
	r := bytes.NewReader(data)
	d := NewDecoder(r, withTopo)
	b.ReportAllocs()
	b.SetBytes(int64(len(data) / benchLines))
	n := 0
	for b.Loop() {
		_, rej, err := d.Next()
		if err == io.EOF {
			r.Reset(data)
			d.Reset(r)
			_, rej, err = d.Next()
		}
		if err != nil || rej != nil {
			b.Fatalf("%v %v", rej, err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeLine decodes single lines without a resolver.
func BenchmarkDecodeLine(b *testing.B) {
	lines := make([][]byte, len(realistic))
	for i, l := range realistic {
		lines[i] = []byte(l)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := DecodeLine(lines[i%len(lines)], i, Options{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
}

// wireJSON mirrors the wire format for the encoding/json baseline.
type wireJSON struct {
	Time    string `json:"time"`
	Action  string `json:"action"`
	Variant string `json:"variant"`
	Phase   string `json:"phase"`
	Source  struct {
		Class string `json:"class"`
		ID    string `json:"id"`
	} `json:"source"`
	Interaction string         `json:"interaction"`
	Media       string         `json:"media"`
	Agent       string         `json:"agent"`
	Place       string         `json:"place"`
	Duration    json.Number    `json:"duration"`
	Data        map[string]any `json:"data"`
}

// BenchmarkDecodeEncodingJSONBaseline is the yardstick for the scanner: encoding/json
// unmarshalling the same lines into a struct, with no validation at all.
func BenchmarkDecodeEncodingJSONBaseline(b *testing.B) {
	lines := make([][]byte, len(realistic))
	for i, l := range realistic {
		lines[i] = []byte(l)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var w wireJSON
		if err := json.Unmarshal(lines[i%len(lines)], &w); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEncode encodes realistic events into a reused buffer.
func BenchmarkEncode(b *testing.B) {
	events := make([]Event, len(realistic))
	for i, l := range realistic {
		events[i] = mustDecode(b, l, Options{})
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var err error
		if buf, err = AppendJSON(buf[:0], events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
}
