package machine

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/sim"
)

// simLog returns a config (and its text) and a log of records over a simulated contact
// center: batches with idempotency keys (one sent twice), ticks and flushes, a statistic
// opened and one closed through the API, and a reload.
func simLog(t testing.TB) (*config.Config, []byte, [][]byte) {
	sc := sim.Config{Seed: 3, Agents: 10, Queues: 2, Duration: time.Hour, LoginSpread: time.Minute}
	var text bytes.Buffer
	require.NoError(t, sim.WriteConfig(&text, sc))
	cfg, err := config.LoadWith("sim.yaml", bytes.NewReader(text.Bytes()), LoadOptions)
	require.NoError(t, err)
	s, err := sim.New(sc)
	require.NoError(t, err)
	var evs []event.Event
	require.NoError(t, s.Run(context.Background(), func(e event.Event) error { evs = append(evs, e); return nil }))

	var recs [][]byte
	wall := int64(1_000_000)
	for i, k := 0, 0; i < len(evs); k++ {
		n := min(37, len(evs)-i)
		var body []byte
		for _, e := range evs[i : i+n] {
			body, err = event.AppendJSON(body, e)
			require.NoError(t, err)
			body = append(body, '\n')
		}
		h := &BatchHeader{Input: "http", Key: "k" + string(rune('a'+k%26)) + string(rune('a'+k/26)), Sum: uint64(k), Wall: wall, Line: 1}
		rec, err := AppendBatch(nil, h, body)
		require.NoError(t, err)
		recs = append(recs, rec)
		if k == 3 {
			recs = append(recs, rec) // a retry: the same key and body
		}
		wall += 700
		if k%5 == 0 {
			recs = append(recs, AppendTick(nil, ingest.Tick{Wall: event.Time(wall), Time: evs[i+n-1].Time - 1500, Advance: true}))
		}
		if k%7 == 0 {
			recs = append(recs, AppendTick(nil, ingest.Tick{Wall: event.Time(wall + 5000)}))
		}
		if k == 10 {
			st, err := cfg.NewStatistic(config.StatisticSpec{StatType: "CallsEntered", Object: config.ObjectSpec{Type: "Queue", ID: "Q1@SW1"}})
			require.NoError(t, err)
			recs = append(recs, AppendOpen(nil, st, "alice"))
		}
		if k == 20 {
			recs = append(recs, AppendClose(nil, cfg.Statistics[0].ID))
			recs = append(recs, AppendSettings(nil, ingest.Options{Window: time.Second, KeyWindow: time.Hour, MaxKeys: 100}))
		}
		if k == 25 {
			recs = append(recs, AppendReload(nil, text.Bytes()))
		}
		i += n
	}
	return cfg, text.Bytes(), recs
}

// Applying the same records gives the same state byte for byte, whether the batches
// come decoded (the appender's Decoded) or are decoded by the machine, and whether the
// machine was restored from a snapshot midway.
func TestDeterministic(t *testing.T) {
	cfg, text, recs := simLog(t)
	opts := Options{Config: cfg, ConfigText: text, Ingest: ingest.DefaultOptions()}
	a, err := New(opts)
	require.NoError(t, err)
	b, err := New(opts)
	require.NoError(t, err)
	var dups, opened int
	for i, rec := range recs {
		seq := uint64(i + 1)
		ra, err := a.Apply(seq, rec, nil)
		require.NoError(t, err)
		if ra.Batch != nil && ra.Batch.Duplicate {
			dups++
		}
		if ra.Opened != nil {
			opened++
			assert.Equal(t, "s-1", ra.Opened.ID)
		}
		var local *Decoded
		if rec[0] == KindBatch {
			h, body, err := DecodeBatch(rec)
			require.NoError(t, err)
			evs, rejs, err := DecodeEvents(body, h.Line, &cfg.Topology)
			require.NoError(t, err)
			require.Empty(t, rejs)
			local = &Decoded{Header: &h, Events: evs}
		}
		_, err = b.Apply(seq, rec, local)
		require.NoError(t, err)
		if i == len(recs)/2 { // b continues from its own snapshot
			var buf bytes.Buffer
			require.NoError(t, b.Snapshot(&buf))
			b, err = Restore(buf.Bytes(), Options{})
			require.NoError(t, err)
			b.SetApplied(seq)
		}
	}
	assert.Equal(t, 1, dups)
	assert.Equal(t, 1, opened)
	owner, ok := a.API("s-1")
	assert.True(t, ok)
	assert.Equal(t, "alice", owner)
	assert.Equal(t, time.Second, a.Settings().Window)
	var sa, sb bytes.Buffer
	require.NoError(t, a.Snapshot(&sa))
	require.NoError(t, b.Snapshot(&sb))
	require.Equal(t, sa.String(), sb.String())
}

// The record codec: a batch header and body round-trip; ticks in both forms.
func TestRecordCodec(t *testing.T) {
	h := &BatchHeader{Input: "pbx-1", Key: "k", Sum: 42, Wall: 7, Line: 3, RejectedTotal: 250,
		Rejected: []event.Rejection{{Line: 4, Code: "bad_json", Reason: "x"}}, Position: []byte{0, 1, 2}}
	rec, err := AppendBatch(nil, h, []byte("a\n\nb\n"))
	require.NoError(t, err)
	got, body, err := DecodeBatch(rec)
	require.NoError(t, err)
	assert.Equal(t, *h, got)
	assert.Equal(t, "a\n\nb\n", string(body))

	tk := ingest.Tick{Wall: 123456, Time: -5, Advance: true}
	dt, err := DecodeTick(AppendTick(nil, tk))
	require.NoError(t, err)
	assert.Equal(t, tk, dt)
	old := append([]byte{KindTick}, 0x80, 0x01) // varint 64: the format before wall times
	dt, err = DecodeTick(old)
	require.NoError(t, err)
	assert.Equal(t, ingest.Tick{Time: 64, Advance: true}, dt)
	_, err = DecodeTick([]byte{KindTick, 2, 2, 7})
	assert.Error(t, err)
}

// FuzzApply: any record given to a machine is applied or refused with an error, never a
// panic, and the machine still snapshots.
func FuzzApply(f *testing.F) {
	cfg, text, recs := simLog(f)
	for _, r := range recs[:12] {
		f.Add(r)
	}
	f.Add([]byte("B{}\n{}\n"))
	f.Add([]byte("T"))
	f.Add([]byte("O{\"spec\":{\"statType\":\"CallsEntered\",\"object\":{\"type\":\"Queue\",\"id\":\"Q1@SW1\"}}}"))
	// Every input starts from the same state: the first records applied (held events,
	// keys, an API statistic), restored from a snapshot.
	m, err := New(Options{Config: cfg, ConfigText: text, Ingest: ingest.DefaultOptions()})
	if err != nil {
		f.Fatal(err)
	}
	for i, r := range recs[:30] {
		if _, err := m.Apply(uint64(i+1), r, nil); err != nil {
			f.Fatal(err)
		}
	}
	var snap bytes.Buffer
	if err := m.Snapshot(&snap); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		m, err := Restore(snap.Bytes(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		m.Apply(31, rec, nil)
		var buf bytes.Buffer
		if err := m.Snapshot(&buf); err != nil {
			t.Fatal(err)
		}
	})
}
