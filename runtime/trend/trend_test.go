package trend

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/event"
)

// The ring keeps changes, one per resolution step (the newer value winning), drops
// repeats, forgets the oldest when full, and answers a window with the value it starts
// with.
func TestTrendRing(t *testing.T) {
	const S = Resolution // one resolution step
	var r Ring
	r.Add(S, 0)
	r.Add(S+S/2, 0) // no change
	r.Add(2*S+S/10, 1)
	r.Add(2*S+9*S/10, 2) // same step: the newer value wins
	r.Add(3*S, 2)        // no change
	r.Add(4*S+S/5, 1)
	r.Add(4*S+3*S/10, 2) // back to the value before this step: nothing left of the step
	r.Add(5*S, math.NaN())
	r.Add(5*S+S/10, math.NaN())
	r.Add(4*S, 7) // older than the last point: taken at its time, same step
	got := r.Since(nil, 0)
	want := []Point{{S, 0}, {2*S + S/10, 2}, {5 * S, 7}}
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], got[i], "point %d", i)
	}
	r.Add(6*S, math.NaN())
	last := r.Since(nil, 0)
	assert.True(t, math.IsNaN(last[len(last)-1].V), "an undefined value is a point of its own")
	assert.Equal(t, []Point{{2*S + S/10, 2}, {5 * S, 7}}, r.Since(nil, 5*S)[:2], "from 5 steps: the value before it, then the points in it")

	var full Ring
	for i := range Points + 10 {
		full.Add(event.Time(i)*2*S, float64(i%2))
	}
	pts := full.Since(nil, 0)
	require.Len(t, pts, Points)
	assert.Equal(t, event.Time(10*2)*S, pts[0].T, "the 10 oldest points went")
	assert.Equal(t, event.Time((Points+9)*2)*S, pts[len(pts)-1].T)
}

// valueFrame builds a value frame as the server's notifier does.
func valueFrame(id, at, value string) []byte {
	return fmt.Appendf(nil, "event: value\ndata: {\"statistic\":%s,\"at\":%s,\"value\":%s}\n\n", quote(id), at, value)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The fast path reads a plain frame to sub-slices of it; anything else is left to the
// JSON decoder.
func TestQuickValueFrame(t *testing.T) {
	id, at, value, ok := QuickValueFrame(valueFrame("q.calls", `"2026-11-26T09:00:00Z"`, "12"))
	require.True(t, ok)
	assert.Equal(t, "q.calls", string(id))
	assert.Equal(t, "2026-11-26T09:00:00Z", string(at))
	assert.Equal(t, "12", string(value))
	_, _, value, ok = QuickValueFrame(valueFrame("q.aht", `"2026-11-26T09:00:00Z"`, `null,"reason":"the denominator is 0"`))
	require.True(t, ok)
	assert.Equal(t, "null", string(value), "an undefined value, without its reason")
	for _, f := range [][]byte{
		valueFrame(`a"b`, `"2026-11-26T09:00:00Z"`, "1"), // an escaped id
		valueFrame("x", "null", "1"),                     // no time yet
		[]byte("event: closed\ndata: {\"statistic\":\"x\",\"at\":\"2026-11-26T09:00:00Z\"}\n\n"),
		[]byte("event: value\ndata: {\"statistic\":\"x\",\"at\":\"t\",\"value\":1}\n"), // truncated
	} {
		_, _, _, ok := QuickValueFrame(f)
		assert.False(t, ok, "%q", f)
	}
}

// Record keeps numbers and undefined values, by either path, ignores structured values
// and frames it cannot read, and forgets a closed statistic.
func TestRecord(t *testing.T) {
	at := `"2026-11-26T09:00:00Z"`
	ms, err := event.ParseTime("2026-11-26T09:00:00Z")
	require.NoError(t, err)
	r := NewRecorder()
	r.Record([][]byte{
		valueFrame("n", at, "12.5"),
		valueFrame("u", at, "null"),
		valueFrame("r", at, `null,"reason":"the denominator is 0"`),
		valueFrame(`e"sc`, at, "3"),
		valueFrame("early", "null", "4"),
		valueFrame("s", at, `{"type":"Agent"}`),
		valueFrame("bad", `"yesterday"`, "1"),
		[]byte("garbage"),
		valueFrame("gone", at, "1"),
		[]byte("event: closed\ndata: {\"statistic\":\"gone\",\"at\":" + at + "}\n\n"),
	})
	doc := r.Doc(nil)
	var ids []string
	for _, s := range doc.Series {
		ids = append(ids, s.Statistic)
	}
	assert.Equal(t, []string{`e"sc`, "early", "n", "r", "u"}, ids, "sorted by id")
	assert.Equal(t, []Point{{ms, 3}}, doc.Series[0].Points)
	assert.Equal(t, []Point{{0, 4}}, doc.Series[1].Points)
	assert.Equal(t, []Point{{ms, 12.5}}, doc.Series[2].Points)
	for _, s := range doc.Series[3:] {
		require.Len(t, s.Points, 1, s.Statistic)
		assert.True(t, math.IsNaN(s.Points[0].V), s.Statistic)
	}
}

// Doc answers the window before the time last sampled, each id once, an id not kept
// with no points; Keep forgets the others.
func TestDocAndKeep(t *testing.T) {
	r := NewRecorder()
	assert.Equal(t, "null", string(r.Now()))
	t0, err := event.ParseTime("2026-11-26T08:00:00Z")
	require.NoError(t, err)
	hour := event.Time(Window.Milliseconds())
	for i, at := range []event.Time{t0, t0 + hour/2, t0 + hour + 1} {
		r.Record([][]byte{valueFrame("a", quote(at.String()), fmt.Sprint(i+1)), valueFrame("b", quote(at.String()), "7")})
	}
	r.SetNow(json.RawMessage(quote((t0 + hour + 1000).String())))
	doc := r.Doc([]string{"a", "nope", "a"})
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	// From t0+1 s: the value at t0 is the one the window starts with.
	assert.JSONEq(t, fmt.Sprintf(`{"at":%q,"window":3600,"series":[
		{"statistic":"a","points":[[%d,1],[%d,2],[%d,3]]},
		{"statistic":"nope","points":[]}]}`, (t0+hour+1000).String(), t0, t0+hour/2, t0+hour+1), string(b))
	r.SetNow(json.RawMessage(quote((t0 + hour + hour/2 + 1).String())))
	assert.Equal(t, []Point{{t0 + hour/2, 2}, {t0 + hour + 1, 3}}, r.Doc([]string{"a"}).Series[0].Points, "the oldest point left the window")

	r.Keep([]string{"b", "c"})
	doc = r.Doc(nil)
	require.Len(t, doc.Series, 1)
	assert.Equal(t, "b", doc.Series[0].Statistic)
}

// The fast path reads what decoding the frame as JSON reads, for every frame the
// notifier can build (an id, a time, a number or an undefined value with its reason),
// and Record takes any bytes without failing.
func FuzzRecord(f *testing.F) {
	f.Add("q.calls", int64(1_764_147_600_000), 12.5, false, "", []byte("event: value\ndata: {}\n\n"))
	f.Add(`a<b>&"c"`, int64(0), 3.0, false, "", []byte("event: closed\ndata: {\"statistic\":\"x\"}\n\n"))
	f.Add("q.aht", int64(1_764_147_600_000), 0.0, true, "the denominator is 0", []byte("garbage"))
	f.Add("é", int64(-1), -0.0, true, `quote " and } brace`, []byte(nil))
	f.Fuzz(func(t *testing.T, id string, ms int64, v float64, undefined bool, reason string, raw []byte) {
		NewRecorder().Record([][]byte{raw})
		value := strconv.FormatFloat(v, 'g', -1, 64)
		if undefined || math.IsNaN(v) || math.IsInf(v, 0) {
			value = `null,"reason":` + quote(reason)
		}
		frame := valueFrame(id, quote(event.Time(ms).String()), value)
		_, data, ok := parseFrame(frame)
		require.True(t, ok)
		require.True(t, json.Valid(data), "%s", data)
		fast, slow := NewRecorder(), NewRecorder()
		fast.Record([][]byte{frame})
		slow.recordSlow(frame)
		a, err := json.Marshal(fast.Doc(nil))
		require.NoError(t, err)
		b, err := json.Marshal(slow.Doc(nil))
		require.NoError(t, err)
		require.Equal(t, string(b), string(a), "%q", frame)
	})
}

// A recorder keeps at most MaxSeries statistics, whatever its frames name; a closed one
// makes room.
func TestMaxSeries(t *testing.T) {
	r := NewRecorder()
	at := `"2026-11-26T09:00:00Z"`
	var frames [][]byte
	for i := range MaxSeries + 5 {
		frames = append(frames, valueFrame(fmt.Sprintf("s%05d", i), at, "1"))
	}
	r.Record(frames)
	doc := r.Doc(nil)
	require.Len(t, doc.Series, MaxSeries)
	assert.Equal(t, fmt.Sprintf("s%05d", MaxSeries-1), doc.Series[MaxSeries-1].Statistic, "the first ones are kept")
	r.Record([][]byte{
		[]byte("event: closed\ndata: {\"statistic\":\"s00000\",\"at\":" + at + "}\n\n"),
		valueFrame("late", at, "2"),
	})
	doc = r.Doc([]string{"late", "s00000"})
	assert.Len(t, doc.Series[0].Points, 1)
	assert.Empty(t, doc.Series[1].Points)
}

func TestPointJSON(t *testing.T) {
	b, err := json.Marshal([]Point{{1, 2.5}, {3, math.NaN()}, {4, 1e21}})
	require.NoError(t, err)
	assert.Equal(t, `[[1,2.5],[3,null],[4,1000000000000000000000]]`, string(b))
}

// Recording the frames of 100 statistics, all at one time, changing every second: the
// fast path allocates nothing but the time's parse per batch.
func BenchmarkTrendRecord(b *testing.B) {
	const stats, batches = 100, 64
	frames := make([][][]byte, batches)
	base := event.Time(1_764_147_600_000)
	for i := range frames {
		at := (base + event.Time(i)*1000).String()
		for s := range stats {
			frames[i] = append(frames[i], fmt.Appendf(nil, "event: value\ndata: {\"statistic\":\"q%d.calls\",\"at\":%q,\"value\":%d}\n\n", s, at, (i+s)%7))
		}
	}
	tr := NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		tr.Record(frames[i%batches])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*stats), "ns/frame")
}
