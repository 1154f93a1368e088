package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
	"github.com/statkit/statkit/runtime/store"
)

// A data directory written before the pipeline — a version 1 snapshot, then 'E' event
// records, old 'T' ticks (a varint alone), an 'O' open naming its id and a 'C' close —
// recovers to exactly the state those records describe, and the server goes on with
// records of the new format (a restart recovers both).
func TestOldFormatDataDirectoryRecovers(t *testing.T) {
	sc := sim.Config{Seed: 21, Agents: 8, Queues: 2, Duration: time.Hour, LoginSpread: time.Minute}
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	events := simEvents(t, sc)
	batches := splitAtTimes(events, 6)

	// What the old server wrote, record by record, and the engine it describes. (The
	// store keeps every snapshot, so that the version 1 one stays for the last restart.)
	dir := t.TempDir()
	openStore := func(t *testing.T, dir string) *store.Store {
		st, err := store.Open(store.Options{Dir: dir, KeepSnapshots: 100, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		return st
	}
	st := openStore(t, dir)
	ref, err := engine.New(cfg)
	require.NoError(t, err)
	var snap bytes.Buffer
	snap.WriteString(`{"version":1,"api":[],"next":0}` + "\n")
	require.NoError(t, ref.Snapshot(&snap))
	require.NoError(t, st.WriteSnapshot(0, snap.Bytes()))
	spec := config.StatisticSpec{ID: "s-1", StatType: "CallsEntered", Object: config.ObjectSpec{Type: "Queue", ID: "Q1@SW1"}}
	for i, b := range batches[:4] {
		rec := []byte{'E'}
		for _, e := range b {
			rec, err = event.AppendJSON(rec, e)
			require.NoError(t, err)
			rec = append(rec, '\n')
			require.NoError(t, ref.Apply(&e))
		}
		_, err = st.AppendDurable(rec)
		require.NoError(t, err)
		tick := b[len(b)-1].Time + 500
		_, err = st.AppendDurable(binary.AppendVarint([]byte{'T'}, int64(tick)))
		require.NoError(t, err)
		ref.Advance(tick)
		switch i {
		case 1:
			o, _ := json.Marshal(map[string]any{"spec": spec, "notification": config.Notification{}})
			_, err = st.AppendDurable(append([]byte{'O'}, o...))
			require.NoError(t, err)
			s, err := cfg.NewStatistic(spec)
			require.NoError(t, err)
			require.NoError(t, ref.Open(s))
		case 2:
			_, err = st.AppendDurable(append([]byte{'C'}, cfg.Statistics[0].ID...))
			require.NoError(t, err)
			require.NoError(t, ref.Close(cfg.Statistics[0].ID))
		}
	}
	require.NoError(t, st.Close())

	want := map[string]string{}
	for _, s := range ref.Statistics() {
		want[s.ID] = valueJSONOf(t, ref, s.ID)
	}
	st = openStore(t, dir)
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, Store: st}, nil, nil)
	assert.Equal(t, want, ts.allValues())
	assert.Equal(t, ref.Now().String(), atOf(t, ts.peek("s-1")))
	assert.Equal(t, "s-2", ts.open(`{"statType":"CallsEntered","object":{"type":"Queue","id":"Q2@SW1"}}`), "ids go on after the old ones")

	// New records after the old ones; a restart replays both kinds.
	for _, b := range batches[4:] {
		status, _ := ts.postEvents(ndjson(t, b))
		require.Equal(t, http.StatusOK, status)
	}
	after := ts.allValues()
	require.NoError(t, ts.stop())
	require.NoError(t, st.Close())
	// Without the snapshots taken since (as after a crash before them), recovery replays
	// from the version 1 snapshot: the old records, then the new ones.
	snaps, _ := filepath.Glob(filepath.Join(dir, "*.snap"))
	require.GreaterOrEqual(t, len(snaps), 2)
	for _, p := range snaps {
		if filepath.Base(p) != fmt.Sprintf("%020d.snap", 0) {
			require.NoError(t, os.Remove(p))
		}
	}
	st = openStore(t, dir)
	defer st.Close()
	ts = startServer(t, Options{Config: cfg, TickInterval: -1, Store: st, SnapshotEvery: -1}, nil, nil)
	assert.Equal(t, after, ts.allValues())
}
