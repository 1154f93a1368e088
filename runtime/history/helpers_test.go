package history

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/history/historytest"
)

// backend is a database the suite runs against: newDSN returns a DSN of a fresh, empty
// database (a temp file; a schema of its own on the PostgreSQL server).
type backend struct {
	name   string
	newDSN func(t *testing.T) string
}

// backends returns SQLite and, when STATKIT_TEST_POSTGRES is set, PostgreSQL. Without
// it the PostgreSQL runs skip with a message, except in CI (CI=true), where they fail.
func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "history.db") }},
		{"postgres", func(t *testing.T) string { return historytest.PostgresDSN(t) }},
	}
}

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, newDSN func(t *testing.T) string)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { f(t, b.newDSN) })
	}
}

// openStore opens dsn for a test and closes it at its end.
func openStore(t *testing.T, dsn string) *Store {
	t.Helper()
	st, err := Open(context.Background(), dsn, StoreOptions{Logger: quietLog()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// quietLog discards logs (set HISTORY_TEST_LOG=1 to see them).
func quietLog() *slog.Logger {
	if os.Getenv("HISTORY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testLog is a durable log of records for the writer's tests, with the machine the
// server will have reduced to its essentials: a record is one event (or a tick), applied
// through the real engine, and the rows it produced come from a Recorder over the
// notifications drained after it. Snapshots are real engine snapshots taken after
// every `every` records. Replay implements Replayer.
type testLog struct {
	t      *testing.T
	cfg    *config.Config
	recs   []testRec
	every  uint64
	mu     sync.Mutex        // snaps: written by the live run, read by Replay
	snaps  map[uint64][]byte // engine snapshot after record seq (0: none taken yet)
	oldest uint64            // Replay refuses snapshots before it (a log's retention)
}

type testRec struct {
	ev   *event.Event
	tick event.Time
}

// newTestLog reads config and events files into a log of one record per event, then a
// tick to end (0: none).
func newTestLog(t *testing.T, cfgPath, evPath string, end event.Time) *testLog {
	t.Helper()
	cfg, err := config.LoadFile(cfgPath)
	require.NoError(t, err)
	raw, err := os.ReadFile(evPath)
	require.NoError(t, err)
	l := &testLog{t: t, cfg: cfg, every: 500, snaps: map[uint64][]byte{}}
	eng, err := engine.New(cfg)
	require.NoError(t, err)
	dec := event.NewDecoder(bytes.NewReader(raw), event.Options{Resolver: eng})
	for {
		ev, rej, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej)
		l.recs = append(l.recs, testRec{ev: &ev})
	}
	if end != 0 {
		l.recs = append(l.recs, testRec{tick: end})
	}
	return l
}

// bankLog is the real bank day with its 15-minute report statistics.
func bankLog(t *testing.T) *testLog {
	t.Helper()
	return newTestLog(t, "../../examples/bank/config.yaml", "../../examples/bank/events.ndjson", 0)
}

// lookup returns the config's statistics by id.
func (l *testLog) lookup() func(string) (*config.Statistic, bool) { return l.cfg.Statistic }

// run applies records (from, to] on an engine restored from the snapshot after `from`
// (a fresh engine for 0) and calls emit with every record's rows; when live, it takes
// the snapshots.
func (l *testLog) run(from, to uint64, live bool, emit func(seq uint64, rows []Row) error) error {
	var eng *engine.Engine
	var err error
	if from == 0 {
		eng, err = engine.New(l.cfg)
		if err != nil {
			return err
		}
		eng.Notifications(nil)
	} else {
		l.mu.Lock()
		snap, ok := l.snaps[from]
		l.mu.Unlock()
		if !ok {
			return errors.New("testLog: no snapshot at the position asked")
		}
		if eng, err = engine.Restore(l.cfg, bytes.NewReader(snap)); err != nil {
			return err
		}
	}
	rec := NewRecorder(l.lookup())
	var ns []engine.Notification
	var rows []Row
	for seq := from + 1; seq <= to; seq++ {
		r := l.recs[seq-1]
		if r.ev != nil {
			if err := eng.Apply(r.ev); err != nil {
				return err
			}
		} else {
			eng.Advance(r.tick)
		}
		ns = eng.Notifications(ns[:0])
		rows = rec.Rows(nil, ns)
		if err := emit(seq, rows); err != nil {
			return err
		}
		if live && seq%l.every == 0 {
			var b bytes.Buffer
			if err := eng.Snapshot(&b); err != nil {
				return err
			}
			l.mu.Lock()
			l.snaps[seq] = b.Bytes()
			l.mu.Unlock()
		}
	}
	return nil
}

// Replay implements Replayer: from the newest snapshot at or before after (not older
// than l.oldest), through to.
func (l *testLog) Replay(ctx context.Context, after, to uint64, emit func(uint64, []Row) error) (uint64, error) {
	start := uint64(0)
	l.mu.Lock()
	for s := range l.snaps {
		if s <= after && s > start {
			start = s
		}
	}
	l.mu.Unlock()
	from := after
	if start < l.oldest { // retention removed what was needed: start at the oldest kept
		start, from = l.oldest, l.oldest
	}
	err := l.run(start, to, false, func(seq uint64, rows []Row) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if seq <= from {
			return nil
		}
		return emit(seq, rows)
	})
	return from, err
}

// size is the number of records.
func (l *testLog) size() uint64 { return uint64(len(l.recs)) }

// storedRows reads every stored interval as "statistic start end value" lines, sorted.
func storedRows(t *testing.T, st *Store) []string {
	t.Helper()
	rows, err := st.db.Query(`SELECT statistic, start_at, end_at, value FROM intervals ORDER BY statistic, start_at`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		var s, e timeCol
		var v sql.NullFloat64
		require.NoError(t, rows.Scan(&id, &s, &e, &v))
		val := "null"
		if v.Valid {
			val = strconv.FormatFloat(v.Float64, 'f', -1, 64)
		}
		out = append(out, id+" "+s.t.Format(timeFormat)+" "+e.t.Format(timeFormat)+" "+val)
	}
	require.NoError(t, rows.Err())
	return out
}

// formatRows formats rows as storedRows does, sorted.
func formatRows(rows []Row) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		val := "null"
		if r.Defined() {
			val = strconv.FormatFloat(r.Value, 'f', -1, 64)
		}
		out = append(out, r.Statistic.ID+" "+toTime(r.Start).Format(timeFormat)+" "+toTime(r.End).Format(timeFormat)+" "+val)
	}
	sort.Strings(out)
	return out
}

// reference is every row the log produces, straight from the recorder: what any writer
// must leave in the database, once each.
func (l *testLog) reference(t *testing.T) []string {
	t.Helper()
	var all []Row
	require.NoError(t, l.run(0, l.size(), false, func(_ uint64, rows []Row) error {
		all = append(all, rows...)
		return nil
	}))
	return formatRows(all)
}

func sortStrings(s []string) { sort.Strings(s) }

// snapshotAll takes every snapshot a live run takes (the log's snapshots exist before a
// restarted machine or a catch-up needs them).
func (l *testLog) snapshotAll(t *testing.T) {
	t.Helper()
	require.NoError(t, l.run(0, l.size(), true, func(uint64, []Row) error { return nil }))
}
