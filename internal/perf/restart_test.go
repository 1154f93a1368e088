package perf

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/store"
)

// restartEvents is the number of events logged after the snapshot.
const restartEvents = 1_000_000

// BenchmarkRestartL measures a durable restart at L (issue 8): an engine with 1,000,000
// open statistics in steady state is snapshotted (snapshot-MiB, snapshot-s) into a store,
// then 1,000,000 further events are logged after it as the server logs them ('E' + NDJSON,
// BatchSize events a record). Each op is a restart: store.Open (the log's recovery scan),
// loading the snapshot and engine.Restore (restore-s), then decoding and applying the
// logged events (replay-s); restart-s is the sum. The restored engine is checked against
// the original one fed the same events, on every 997th statistic.
//
//	go test -run '^$' -bench Restart -benchtime 1x ./internal/perf/
func BenchmarkRestartL(b *testing.B) {
	w := workload(b, L)
	dir := b.TempDir()
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})) // warnings only
	st, err := store.Open(store.Options{Dir: dir, Fsync: store.FsyncNone, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}

	var snap bytes.Buffer
	t0 := time.Now()
	if err := w.Engine.Snapshot(&snap); err != nil {
		b.Fatal(err)
	}
	snapTime := time.Since(t0)
	if err := st.WriteSnapshot(0, snap.Bytes()); err != nil {
		b.Fatal(err)
	}
	snapBytes := snap.Len()
	snap = bytes.Buffer{}

	// Log the next restartEvents events of the cyclic stream, from the engine's cursor.
	cycle, k := w.cycle, w.k
	rec := []byte{'E'}
	var logBytes int64
	for i := range restartEvents {
		ev := w.Events[k]
		ev.Time = w.base[k] + event.Time(cycle)*w.Span
		if rec, err = event.AppendJSON(rec, ev); err != nil {
			b.Fatal(err)
		}
		rec = append(rec, '\n')
		if (i+1)%BatchSize == 0 || i+1 == restartEvents {
			if _, err := st.Append(rec); err != nil {
				b.Fatal(err)
			}
			logBytes += int64(len(rec))
			rec = rec[:1]
		}
		if k++; k == len(w.Events) {
			k, cycle = 0, cycle+1
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}

	// The config the statistics were opened from: restored definitions resolve to them.
	cfg := &config.Config{Topology: w.Topology, Statistics: w.Open}
	cfg.Index()
	var eng *engine.Engine
	var restoreTime, replayTime time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		st, err := store.Open(store.Options{Dir: dir, Fsync: store.FsyncNone, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		var rerr error
		after, err := st.LoadSnapshot(func(_ uint64, payload []byte) error {
			eng, rerr = engine.Restore(cfg, bytes.NewReader(payload))
			return rerr
		})
		if err != nil || rerr != nil || eng == nil {
			b.Fatalf("load snapshot: %v, %v", err, rerr)
		}
		restoreTime = time.Since(t0)
		t1 := time.Now()
		n := 0
		err = st.Replay(after, func(_ uint64, rec []byte) error {
			dec := event.NewDecoder(bytes.NewReader(rec[1:]), event.Options{Resolver: eng})
			for {
				ev, rej, err := dec.Next()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				if rej != nil {
					return errors.New(rej.Reason)
				}
				if err := eng.Apply(&ev); err != nil {
					return err
				}
				n++
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		replayTime = time.Since(t1)
		st.Close()
		if n != restartEvents {
			b.Fatalf("replayed %d events, want %d", n, restartEvents)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(w.Open)), "open-stats")
	b.ReportMetric(float64(snapBytes)/(1<<20), "snapshot-MiB")
	b.ReportMetric(snapTime.Seconds(), "snapshot-s")
	b.ReportMetric(float64(logBytes)/(1<<20), "log-MiB")
	b.ReportMetric(restoreTime.Seconds(), "restore-s")
	b.ReportMetric(replayTime.Seconds(), "replay-s")
	b.ReportMetric((restoreTime + replayTime).Seconds(), "restart-s")

	// The restored engine equals the original one fed the same events.
	if err := w.Apply(nopTimer{}, restartEvents); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(w.Open); i += 997 {
		id := w.Open[i].ID
		want, err1 := w.Engine.Value(id)
		got, err2 := eng.Value(id)
		if err1 != nil || err2 != nil {
			b.Fatalf("%s: %v, %v", id, err1, err2)
		}
		wj, _ := want.MarshalJSON()
		gj, _ := got.MarshalJSON()
		if !bytes.Equal(wj, gj) {
			b.Fatalf("%s: restored %v, uninterrupted %v", id, got, want)
		}
	}
}
