package perf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/store"
)

// RestartEvents is the number of events logged after the snapshot in the restart
// measurement of issue 8.
const RestartEvents = 1_000_000

// restartCheckStride is the stride of the statistics compared after a restart.
const restartCheckStride = 997

// RestartResult holds the figures of a durable restart (issue 8).
type RestartResult struct {
	Size string
	// Open is the number of statistics open in the snapshotted engine; Events the events
	// logged after the snapshot and replayed; CPUs the GOMAXPROCS of the measurement.
	Open, Events, CPUs int
	// SnapshotBytes is the size of the engine's snapshot; SnapshotTime the time of
	// Engine.Snapshot into memory, SnapshotWriteTime that of Store.WriteSnapshot.
	SnapshotBytes                   int64
	SnapshotTime, SnapshotWriteTime time.Duration
	// LogBytes is the size of the logged events ('E' + NDJSON, BatchSize events a record),
	// LogRecords their number of records.
	LogBytes   int64
	LogRecords int
	// RestoreTime is store.Open (the log's recovery scan), loading the snapshot and
	// engine.Restore; ReplayTime decoding and applying the logged events; Total the sum.
	RestoreTime, ReplayTime, Total time.Duration
	// Checked is the number of statistics (every 997th open one) compared between the
	// restored engine and the original one fed the same events; Differ is how many of them
	// differ and Mismatches describes the first ones (none: the restored engine matches).
	Checked, Differ int
	Mismatches      []string
}

// Verified reports whether every checked statistic of the restored engine matched.
func (r *RestartResult) Verified() bool { return r.Checked > 0 && r.Differ == 0 }

// Summary describes the result in one line.
func (r *RestartResult) Summary() string {
	v := fmt.Sprintf("verified on %s statistics", thousands(int64(r.Checked)))
	if !r.Verified() {
		v = fmt.Sprintf("NOT verified: %s of %s checked statistics differ", thousands(int64(r.Differ)), thousands(int64(r.Checked)))
	}
	return fmt.Sprintf("%s open statistics, %s events: snapshot %s in %s, log %s, restart %s (restore %s + replay %s), %s",
		thousands(int64(r.Open)), thousands(int64(r.Events)), mib(uint64(r.SnapshotBytes)), secs(r.SnapshotTime),
		mib(uint64(r.LogBytes)), secs(r.Total), secs(r.RestoreTime), secs(r.ReplayTime), v)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// MeasureRestart measures a durable restart of w: its engine, in steady state, is
// snapshotted into a store in a temporary directory (removed afterwards), the next
// events events of the cyclic stream are logged after the snapshot as the server logs
// them, and the store is reopened: store.Open, the snapshot loaded and engine.Restore,
// then the logged events decoded and applied to the restored engine. Finally the same
// events are applied to w's engine and every 997th open statistic of both engines is
// compared. w's engine is left events further on. At L (1,000,000 statistics,
// 1,000,000 events) it takes a couple of minutes and holds two engines in memory.
func MeasureRestart(w *Workload, events int) (*RestartResult, error) {
	if len(w.Events) == 0 {
		return nil, ErrNoEvents
	}
	if events < 1 {
		return nil, fmt.Errorf("perf: restart: %d events", events)
	}
	dir, err := os.MkdirTemp("", "statkit-restart-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})) // warnings only
	opts := store.Options{Dir: dir, Fsync: store.FsyncNone, Logger: quiet}
	res := &RestartResult{Size: w.Size.Name, Open: len(w.Open), Events: events, CPUs: runtime.GOMAXPROCS(0)}

	st, err := store.Open(opts)
	if err != nil {
		return nil, err
	}
	// The server sizes its snapshot buffer by the previous snapshot: an untimed first
	// snapshot gives that size, and the timed one reuses the buffer.
	var snap bytes.Buffer
	if err := w.Engine.Snapshot(&snap); err != nil {
		st.Close()
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	snap.Reset()
	t0 := time.Now()
	if err := w.Engine.Snapshot(&snap); err != nil {
		st.Close()
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	res.SnapshotTime = time.Since(t0)
	res.SnapshotBytes = int64(snap.Len())
	t0 = time.Now()
	if err := st.WriteSnapshot(0, snap.Bytes()); err != nil {
		st.Close()
		return nil, fmt.Errorf("write snapshot: %w", err)
	}
	res.SnapshotWriteTime = time.Since(t0)
	snap = bytes.Buffer{}

	// Log the next events of the cyclic stream, from the engine's cursor.
	cycle, k := w.cycle, w.k
	rec := []byte{'E'}
	for i := range events {
		ev := w.Events[k]
		ev.Time = w.base[k] + event.Time(cycle)*w.Span
		if rec, err = event.AppendJSON(rec, ev); err != nil {
			st.Close()
			return nil, err
		}
		rec = append(rec, '\n')
		if (i+1)%BatchSize == 0 || i+1 == events {
			if _, err := st.Append(rec); err != nil {
				st.Close()
				return nil, err
			}
			res.LogBytes += int64(len(rec))
			res.LogRecords++
			rec = rec[:1]
		}
		if k++; k == len(w.Events) {
			k, cycle = 0, cycle+1
		}
	}
	if err := st.Close(); err != nil {
		return nil, err
	}

	// The config the statistics were opened from: restored definitions resolve to them.
	cfg := &config.Config{Topology: w.Topology, Statistics: w.Open}
	cfg.Index()
	runtime.GC()

	t0 = time.Now()
	st, err = store.Open(opts)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var eng *engine.Engine
	var rerr error
	after, err := st.LoadSnapshot(func(_ uint64, payload []byte) error {
		eng, rerr = engine.Restore(cfg, bytes.NewReader(payload))
		return rerr
	})
	if err != nil || rerr != nil || eng == nil {
		return nil, fmt.Errorf("load snapshot: %v, %v", err, rerr)
	}
	res.RestoreTime = time.Since(t0)
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
		return nil, fmt.Errorf("replay: %w", err)
	}
	res.ReplayTime = time.Since(t1)
	res.Total = res.RestoreTime + res.ReplayTime
	if n != events {
		return nil, fmt.Errorf("replay: replayed %d events, want %d", n, events)
	}

	// The restored engine equals the original one fed the same events.
	if err := w.Apply(nopTimer{}, events); err != nil {
		return nil, err
	}
	for i := 0; i < len(w.Open); i += restartCheckStride {
		id := w.Open[i].ID
		res.Checked++
		want, err1 := w.Engine.Value(id)
		got, err2 := eng.Value(id)
		if err1 != nil || err2 != nil {
			res.mismatch("%s: %v, %v", id, err1, err2)
			continue
		}
		wj, _ := want.MarshalJSON()
		gj, _ := got.MarshalJSON()
		if !bytes.Equal(wj, gj) {
			res.mismatch("%s: restored %s, uninterrupted %s", id, gj, wj)
		}
	}
	return res, nil
}

// mismatch records a difference, keeping the first few.
func (r *RestartResult) mismatch(format string, args ...any) {
	r.Differ++
	if len(r.Mismatches) < 10 {
		r.Mismatches = append(r.Mismatches, fmt.Sprintf(format, args...))
	}
}
