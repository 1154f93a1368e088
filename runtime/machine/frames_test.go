package machine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/input"
	"github.com/statkit/statkit/runtime/source/queuelog"
)

const qlInput = "asterisk-queue-log:/var/log/asterisk/queue_log"

// bankQueueLog returns the example config and the lines of its queue_log.
func bankQueueLog(t testing.TB) (*config.Config, []byte, [][]byte) {
	text, err := os.ReadFile("../../examples/asterisk/config.yaml")
	require.NoError(t, err)
	cfg, err := config.LoadWith("config.yaml", bytes.NewReader(text), LoadOptions)
	require.NoError(t, err)
	ql, err := os.ReadFile("../../examples/asterisk/queue_log")
	require.NoError(t, err)
	lines := bytes.Split(bytes.TrimSuffix(ql, []byte("\n")), []byte("\n"))
	return cfg, text, lines
}

// framesRecords cuts lines into frames records of n lines, positions "p1", "p2", … and
// receipt wall times a second apart.
func framesRecords(t testing.TB, lines [][]byte, n int) [][]byte {
	var recs [][]byte
	var from []byte
	for i, k := 0, 1; i < len(lines); k++ {
		end := min(i+n, len(lines))
		var frames []source.Frame
		for j := i; j < end; j++ {
			frames = append(frames, source.Frame{Data: lines[j], Line: j + 1, Received: event.Time(1_000_000 + k*1000)})
		}
		pos := []byte(fmt.Sprintf("p%d", k))
		rec, err := AppendFrames(nil, &FramesHeader{Input: qlInput, Format: "asterisk-queue-log", Wall: int64(1_000_000 + k*1000),
			From: from, Position: pos}, frames)
		require.NoError(t, err)
		recs = append(recs, rec)
		from, i = pos, end
	}
	return recs
}

// A day of queue_log lines logged as frames records gives the statistics of the same
// file mapped and sequenced one line at a time (statkit replay --input's path), and a
// machine restored from a snapshot midway — its mapper's agent presence and calls in
// progress included — ends in the same state byte for byte.
func TestFramesDeterministic(t *testing.T) {
	cfg, text, lines := bankQueueLog(t)
	recs := framesRecords(t, lines, 97)
	opts := Options{Config: cfg, ConfigText: text, Ingest: ingest.Options{Window: 5 * time.Second}}
	a, err := New(opts)
	require.NoError(t, err)
	b, err := New(opts)
	require.NoError(t, err)
	frames, base := 0, 0
	for i, rec := range recs {
		seq := uint64(i + 1 + base)
		ra, err := a.Apply(seq, rec, nil)
		require.NoError(t, err)
		require.NoError(t, ra.Err)
		require.NotNil(t, ra.Source)
		frames += ra.Source.Frames
		assert.Empty(t, ra.Batch.Answer.Rejected, "record %d", seq)
		assert.Equal(t, qlInput, ra.Input)
		_, err = b.Apply(seq, rec, nil)
		require.NoError(t, err)
		if i == len(recs)/3 { // a reload in the middle: the mappers go on over the new config
			seq++
			for _, m := range []*Machine{a, b} {
				r, err := m.Apply(seq, AppendReload(nil, append([]byte("# reloaded\n"), text...)), nil)
				require.NoError(t, err)
				require.NoError(t, r.Err)
				require.NotNil(t, r.Reload)
			}
			base++
		}
		if i == len(recs)/2 {
			var buf bytes.Buffer
			require.NoError(t, b.Snapshot(&buf))
			require.Contains(t, buf.String(), `"sources":{"`+qlInput)
			b, err = Restore(buf.Bytes(), Options{})
			require.NoError(t, err)
			b.SetApplied(seq)
		}
	}
	assert.Equal(t, len(lines), frames)
	assert.Equal(t, []byte(fmt.Sprintf("p%d", len(recs))), a.Position(qlInput))
	a.Pipeline().Flush()
	b.Pipeline().Flush()
	var sa, sb bytes.Buffer
	require.NoError(t, a.Snapshot(&sa))
	require.NoError(t, b.Snapshot(&sb))
	require.Equal(t, sa.String(), sb.String())

	// The second computation: the file read by the recorded reader, mapped line by line,
	// one batch per event through a pipeline with the same window.
	eng, err := engine.New(cfg)
	require.NoError(t, err)
	f, err := input.Format("asterisk-queue-log")
	require.NoError(t, err)
	mp := source.NewMapper(f, source.Options{Topology: &cfg.Topology})
	evs := source.NewEvents(queuelog.NewReader(f, bytes.NewReader(append(bytes.Join(lines, []byte("\n")), '\n'))), mp, 0)
	p := ingest.New(eng, ingest.Options{Window: 5 * time.Second})
	n := 0
	for {
		ev, rej, err := evs.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej)
		p.Batch(&ingest.Batch{Events: []event.Event{ev}})
		n++
	}
	p.Flush()
	require.Greater(t, n, len(lines), "queue_log lines give more than one action each on average")
	assert.Equal(t, eng.Now(), a.Engine().Now())
	checked := 0
	for _, st := range cfg.Statistics {
		want, err := eng.Value(st.ID)
		require.NoError(t, err)
		got, err := a.Engine().Value(st.ID)
		require.NoError(t, err)
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		require.Equal(t, string(wj), string(gj), st.ID)
		checked++
	}
	require.Greater(t, checked, 10)
}

// A frames record that does not continue its input's position is not applied; one that
// does moves it. Unmapped events are counted by name, refusals by code, future events are
// refused against the receipt time, and a change of the attached-data list keeps the
// mapper's state.
func TestFramesStaleUnmappedFuture(t *testing.T) {
	cfg, text, _ := bankQueueLog(t)
	m, err := New(Options{Config: cfg, ConfigText: text})
	require.NoError(t, err)
	rec := func(from, pos string, until int64, attach []string, lines ...string) []byte {
		var frames []source.Frame
		for i, l := range lines {
			frames = append(frames, source.Frame{Data: []byte(l), Line: 10 + i, Received: 5})
		}
		h := &FramesHeader{Input: qlInput, Format: "asterisk-queue-log", Wall: 915425000_000, Until: until, Attach: attach,
			Position: []byte(pos)}
		if from != "" {
			h.From = []byte(from)
		}
		r, err := AppendFrames(nil, h, frames)
		require.NoError(t, err)
		return r
	}
	snap := func() string {
		var b bytes.Buffer
		require.NoError(t, m.Snapshot(&b))
		return b.String()
	}
	r, err := m.Apply(1, rec("", "p1", 0, nil,
		"915425934|MANAGER|NE@Bank|AVI|ADDMEMBER|",
		"915425935|NONE|NE@Bank|AVI|SOMETHINGNEW|x",
		"915425936|NONE|NE@Bank|AVI|SOMETHINGNEW|y",
		"915425937|c1|NOSUCH@Bank|NONE|ENTERQUEUE||1234|1",
		"garbage"), nil)
	require.NoError(t, err)
	require.NoError(t, r.Err)
	assert.Equal(t, 5, r.Source.Frames)
	assert.Equal(t, map[string]int64{"SOMETHINGNEW": 2}, r.Source.Unmapped)
	assert.Equal(t, 2, r.Batch.Answer.RejectedTotal)
	require.Len(t, r.Batch.Answer.Rejected, 2)
	assert.Equal(t, 13, r.Batch.Answer.Rejected[0].Line)
	assert.Equal(t, source.CodeUnknownQueue, r.Batch.Answer.Rejected[0].Code)
	assert.Equal(t, 14, r.Batch.Answer.Rejected[1].Line)
	assert.Equal(t, map[string]int{source.CodeUnknownQueue: 1, r.Batch.Answer.Rejected[1].Code: 1}, r.Source.Rejected)
	assert.Greater(t, r.Batch.Answer.Accepted, 0)
	assert.Equal(t, []byte("p1"), m.Position(qlInput))

	before := snap()
	for _, from := range []string{"", "p0", "p11"} {
		r, err = m.Apply(2, rec(from, "p2", 0, nil, "915425940|MANAGER|NE@Bank|NAAMA|ADDMEMBER|"), nil)
		require.NoError(t, err)
		assert.ErrorIs(t, r.Err, ErrStalePosition, "from %q", from)
		assert.True(t, r.Source.Stale)
		assert.Nil(t, r.Batch)
	}
	m.SetApplied(1)
	assert.Equal(t, before, snap(), "a stale record changes nothing")

	// The unmapped count is per record; the future check is against Until.
	r, err = m.Apply(2, rec("p1", "p2", 915425950_000, []string{"SEGMENT"},
		"915425945|NONE|NE@Bank|AVI|SOMETHINGNEW|z",
		"915425949|c2|NE@Bank|NONE|ENTERQUEUE||1234|1",
		"915425999|c3|NE@Bank|NONE|ENTERQUEUE||1234|1"), nil)
	require.NoError(t, err)
	require.NoError(t, r.Err)
	assert.Equal(t, map[string]int64{"SOMETHINGNEW": 1}, r.Source.Unmapped)
	assert.Equal(t, map[string]int{ingest.CodeFutureEvent: 2}, r.Source.Rejected, "c3's two actions")
	assert.Equal(t, 2, r.Batch.Answer.Accepted, "c2's CallEntered and CallWait start")
	for _, rj := range r.Batch.Answer.Rejected {
		assert.Equal(t, 12, rj.Line)
		assert.Contains(t, rj.Reason, "ahead of the server clock")
	}
	// The attach list changed: AVI's membership survived (its REMOVEMEMBER ends a login).
	r, err = m.Apply(3, rec("p2", "p3", 0, []string{"SEGMENT"}, "915425960|MANAGER|NE@Bank|AVI|REMOVEMEMBER|"), nil)
	require.NoError(t, err)
	require.NoError(t, r.Err)
	assert.Empty(t, r.Batch.Answer.Rejected)
	assert.Greater(t, r.Batch.Answer.Accepted, 0, "the end of AVI's login in NE@Bank")
}

// The frames codec round-trips any line numbers and receipt times, and refuses what is
// cut or has bytes left over.
func TestFramesCodec(t *testing.T) {
	h := &FramesHeader{Input: "freeswitch-esl:127.0.0.1:8021", Format: "freeswitch-esl", Wall: 1_700_000_000_000,
		From: []byte{1, 2}, Position: []byte{3}, Until: 1_700_000_010_000, Attach: []string{"a", "b"}}
	frames := []source.Frame{
		{Data: []byte("Event-Name: CUSTOM\n\nbody\n"), Line: 7, Received: 1_700_000_000_005},
		{Data: []byte{}, Line: 7, Received: 0},
		{Data: []byte("x"), Line: 3, Received: 1_699_999_999_000},
		{Data: bytes.Repeat([]byte("y"), 300), Line: 1 << 30, Received: event.MaxTime},
	}
	rec, err := AppendFrames(nil, h, frames)
	require.NoError(t, err)
	got, gf, err := DecodeFrames(rec)
	require.NoError(t, err)
	assert.Equal(t, *h, got)
	require.Len(t, gf, len(frames))
	for i := range frames {
		assert.Equal(t, string(frames[i].Data), string(gf[i].Data))
		assert.Equal(t, frames[i].Line, gf[i].Line)
		assert.Equal(t, frames[i].Received, gf[i].Received)
	}
	for cut := len(rec) - 1; cut > bytes.IndexByte(rec, '\n'); cut -= 37 {
		_, _, err := DecodeFrames(rec[:cut])
		assert.Error(t, err, "cut at %d", cut)
	}
	_, _, err = DecodeFrames(append(rec, 0))
	assert.Error(t, err)
	_, _, err = DecodeFrames([]byte(`F{"in":"x","fmt":"y","n":5}` + "\n"))
	assert.Error(t, err)
	// An unknown format is an error of the record (a log of a later statkit), not a skip.
	cfg, text, _ := bankQueueLog(t)
	m, err := New(Options{Config: cfg, ConfigText: text})
	require.NoError(t, err)
	bad, err := AppendFrames(nil, &FramesHeader{Input: "x", Format: "no-such-format"}, []source.Frame{{Data: []byte("a"), Line: 1}})
	require.NoError(t, err)
	_, err = m.Apply(1, bad, nil)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "no-such-format"), err.Error())
}

// FuzzDecodeFrames: any bytes decode or are refused with an error, never a panic; what
// decodes encodes back to the same record.
func FuzzDecodeFrames(f *testing.F) {
	_, _, lines := bankQueueLog(f)
	for _, r := range framesRecords(f, lines[:40], 13) {
		f.Add(r)
	}
	f.Add([]byte("F{\"n\":1}\n\x00\x00\x01a"))
	f.Add([]byte("F{\"n\":2}\n\x02\x7f\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, rec []byte) {
		h, frames, err := DecodeFrames(rec)
		if err != nil {
			return
		}
		again, err := AppendFrames(nil, &h, frames)
		if err != nil {
			t.Fatal(err)
		}
		h2, frames2, err := DecodeFrames(again)
		if err != nil {
			t.Fatal(err)
		}
		if h2.Frames != h.Frames || len(frames2) != len(frames) {
			t.Fatalf("round trip: %d frames, then %d", len(frames), len(frames2))
		}
		for i := range frames {
			if !bytes.Equal(frames[i].Data, frames2[i].Data) || frames[i].Line != frames2[i].Line || frames[i].Received != frames2[i].Received {
				t.Fatalf("frame %d differs after a round trip", i)
			}
		}
	})
}
