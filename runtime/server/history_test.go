package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/history"
	"github.com/statkit/statkit/runtime/history/historytest"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/store"
)

// forEachHistoryBackend runs f against SQLite and PostgreSQL (skipped with a message
// without STATKIT_TEST_POSTGRES, except in CI); newDSN gives a fresh, empty database.
func forEachHistoryBackend(t *testing.T, f func(t *testing.T, newDSN func(*testing.T) string)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "history.db") })
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, func(t *testing.T) string { return historytest.PostgresDSN(t) })
	})
}

// historyOptions are the tests' history options: quick retries and position writes, a
// short flush at shutdown.
func historyOptions(dsn string) *HistoryOptions {
	return &HistoryOptions{DSN: dsn, FlushTimeout: 300 * time.Millisecond,
		Writer: history.WriterOptions{RetryMin: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond, PositionEvery: 20 * time.Millisecond}}
}

// flushHistory waits until the server writes history, then until every row of the
// records applied so far is committed.
func flushHistory(t *testing.T, srv *Server) {
	t.Helper()
	h := srv.hist
	var w *history.Writer
	require.Eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		w = h.w
		return w != nil
	}, waitFor, 5*time.Millisecond, "the history writer was never installed")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, w.Flush(ctx))
}

// storedRows reads every stored interval as "statistic start end value", sorted.
func storedRows(t *testing.T, dsn string) []string {
	t.Helper()
	st, err := history.Open(context.Background(), dsn, history.StoreOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	infos, err := st.Statistics(context.Background(), history.StatisticFilter{})
	require.NoError(t, err)
	var ids []string
	for _, si := range infos {
		ids = append(ids, si.ID)
	}
	ivs, err := st.Intervals(context.Background(), ids, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	require.NoError(t, err)
	out := []string{}
	for _, iv := range ivs {
		out = append(out, formatRow(iv.Statistic, iv.Start, iv.End, iv.Value))
	}
	sort.Strings(out)
	return out
}

// position reads the database's log position ("log"), and whether it has one.
func position(t *testing.T, dsn string) (uint64, bool) {
	t.Helper()
	st, err := history.Open(context.Background(), dsn, history.StoreOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	p, ok, err := st.Position(context.Background(), "log")
	require.NoError(t, err)
	return p, ok
}

func formatRow(id string, start, end time.Time, v float64) string {
	val := "null"
	if !math.IsNaN(v) {
		val = strconv.FormatFloat(v, 'f', -1, 64)
	}
	const f = "2006-01-02T15:04:05.000Z"
	return id + " " + start.UTC().Format(f) + " " + end.UTC().Format(f) + " " + val
}

// referenceRows is what history must hold after bodies: the events applied in order to a
// plain engine, a row for each reset-mode notification (the second computation the
// server's live, buffered and caught-up rows are checked against).
func referenceRows(t *testing.T, cfg *config.Config, bodies [][]byte) []string {
	t.Helper()
	eng, err := engine.New(cfg)
	require.NoError(t, err)
	eng.Notifications(nil)
	rec := history.NewRecorder(cfg.Statistic)
	out := []string{}
	for _, b := range bodies {
		dec := event.NewDecoder(bytes.NewReader(b), event.Options{Resolver: eng})
		for {
			ev, rej, err := dec.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			if rej != nil {
				continue
			}
			_ = eng.Apply(&ev) // a refusal changes nothing, as in the server
			for _, r := range rec.Rows(nil, eng.Notifications(nil)) {
				out = append(out, formatRow(r.Statistic.ID, r.Start.Std(), r.End.Std(), r.Value))
			}
		}
	}
	sort.Strings(out)
	return out
}

// smallHistory is one queue with two recorded statistics over 15-minute intervals and
// one that is not recorded (changes mode), and a report.
const smallHistory = `topology:
  dns: [{id: Q, type: ACDQueue}]
statTypes:
  Offered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  SpeedOfAnswer: {objects: [Queue], category: AverageTime, subject: DNAction, mainMask: [CallDistributed]}
timeProfiles:
  Q15: {type: Growing, period: 900}
statistics:
  - {id: q.offered, statType: Offered, object: {type: Queue, id: Q}, profile: Q15, notification: {mode: reset}}
  - {id: q.asa, statType: SpeedOfAnswer, object: {type: Queue, id: Q}, profile: Q15, notification: {mode: reset}}
  - {id: q.live, statType: Offered, object: {type: Queue, id: Q}}
reports:
  R:
    title: Small
    rows: [{label: Q, offered: q.offered, averageSpeedOfAnswer: q.asa}]
`

// smallEvents are three 15-minute intervals of the small queue, the last closed by an
// event at 09:45.
const smallEvents = `{"time":"2026-01-05T09:01:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q"},"interaction":"c1"}
{"time":"2026-01-05T09:05:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q"},"interaction":"c2"}
{"time":"2026-01-05T09:10:00Z","action":"CallDistributed","source":{"class":"mediation_dn","id":"Q"},"interaction":"c1","duration":12}
{"time":"2026-01-05T09:14:59.999Z","action":"CallDistributed","source":{"class":"mediation_dn","id":"Q"},"interaction":"c2","duration":3}
{"time":"2026-01-05T09:15:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q"},"interaction":"c3"}
{"time":"2026-01-05T09:20:00Z","action":"CallDistributed","source":{"class":"mediation_dn","id":"Q"},"interaction":"c3","duration":30.5}
{"time":"2026-01-05T09:30:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q"},"interaction":"c4"}
{"time":"2026-01-05T09:40:00Z","action":"CallDistributed","source":{"class":"mediation_dn","id":"Q"},"interaction":"c4","duration":20}
{"time":"2026-01-05T09:45:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q"},"interaction":"c5"}
`

// smallRows are the rows of smallEvents, by hand: calls entered per interval (c3 at
// exactly 09:15 counts in the second, c4 at 09:30 in the third), and the average of the
// answered calls' durations ((12+3)/2, 30.5, 20).
var smallRows = []string{
	"q.asa 2026-01-05T09:00:00.000Z 2026-01-05T09:15:00.000Z 7.5",
	"q.asa 2026-01-05T09:15:00.000Z 2026-01-05T09:30:00.000Z 30.5",
	"q.asa 2026-01-05T09:30:00.000Z 2026-01-05T09:45:00.000Z 20",
	"q.offered 2026-01-05T09:00:00.000Z 2026-01-05T09:15:00.000Z 2",
	"q.offered 2026-01-05T09:15:00.000Z 2026-01-05T09:30:00.000Z 1",
	"q.offered 2026-01-05T09:30:00.000Z 2026-01-05T09:45:00.000Z 1",
}

func loadText(t *testing.T, name, text string) *config.Config {
	t.Helper()
	cfg, err := config.LoadWith(name, strings.NewReader(text), machine.LoadOptions)
	require.NoError(t, err)
	return cfg
}

// TestHistoryLive: a durable server records each interval's final value as it closes —
// the rows computed by hand — answers GET /v1/history with them, reports its progress in
// /healthz and /metrics, records its log position, and saves the config's reports at
// start and on reload.
func TestHistoryLive(t *testing.T) {
	forEachHistoryBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		dsn := newDSN(t)
		cfg := loadText(t, "small.yaml", smallHistory)
		reloaded := smallHistory + "  R2:\n    title: Again\n    rows: [{label: Q, offered: q.offered}]\n"
		var reload atomic.Bool
		load := func() (*config.Config, []byte, error) {
			text := smallHistory
			if reload.Load() {
				text = reloaded
			}
			c, err := config.LoadWith("small.yaml", strings.NewReader(text), machine.LoadOptions)
			return c, []byte(text), err
		}
		st := openStore(t, t.TempDir())
		defer st.Close()
		ts := startServer(t, Options{Config: cfg, ConfigText: []byte(smallHistory), TickInterval: -1, Store: st,
			Reload: load, HistoryDB: historyOptions(dsn)}, nil, nil)
		status, _ := ts.postEvents([]byte(smallEvents))
		require.Equal(t, http.StatusOK, status)
		flushHistory(t, ts.srv)
		assert.Equal(t, smallRows, storedRows(t, dsn))
		applied := ts.srv.applied.get()
		pos, ok := position(t, dsn)
		assert.True(t, ok)
		assert.Equal(t, applied, pos, "the database is at the last record applied")

		// GET /v1/history
		status, body := ts.do("GET", "/v1/history?statistic=q.offered&statistic=q.asa&from=2026-01-05T09:00:00Z&to=2026-01-05T10:00:00Z", "", nil)
		require.Equal(t, http.StatusOK, status, "%s", body)
		var resp history.Response
		require.NoError(t, json.Unmarshal(body, &resp))
		require.Len(t, resp.Series, 2)
		values := func(s history.Series) []float64 {
			var out []float64
			for _, iv := range s.Intervals {
				out = append(out, *iv.Value)
			}
			return out
		}
		assert.Equal(t, "q.offered", resp.Series[0].Statistic)
		assert.Equal(t, []float64{2, 1, 1}, values(resp.Series[0]))
		assert.Equal(t, []float64{7.5, 30.5, 20}, values(resp.Series[1]))
		assert.False(t, resp.Truncated)
		// Intervals ending in (from, to]: 09:15 is out, 09:30 and 09:45 in.
		status, body = ts.do("GET", "/v1/history?statType=Offered&objectType=Queue&objectId=Q&from=2026-01-05T09:15:00Z&to=2026-01-05T09:45:00Z", "", nil)
		require.Equal(t, http.StatusOK, status, "%s", body)
		require.NoError(t, json.Unmarshal(body, &resp))
		require.Len(t, resp.Series, 1, "q.live is of that stat type, but not recorded")
		assert.Equal(t, []float64{1, 1}, values(resp.Series[0]))
		status, body = ts.do("GET", "/v1/history?statistic=q.offered&from=yesterday", "", nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"error":"from: \"yesterday\" is not an RFC 3339 time (e.g. 2026-11-26T00:00:00Z)",
			"problems":[{"field":"from","message":"\"yesterday\" is not an RFC 3339 time (e.g. 2026-11-26T00:00:00Z)"}]}`, string(body))
		status, body = ts.do("GET", "/v1/history?statistic=q.live", "", nil)
		assert.Equal(t, http.StatusNotFound, status)
		assert.Contains(t, string(body), `"error":"statistic \"q.live\" is not recorded`)

		// /healthz and /metrics
		var hz struct{ History historyStatus }
		status, body = ts.do("GET", "/healthz", "", nil)
		require.Equal(t, http.StatusOK, status)
		require.NoError(t, json.Unmarshal(body, &hz))
		assert.Equal(t, historyStatus{State: "writing", Committed: applied, Applied: applied}, hz.History)
		_, body = ts.do("GET", "/metrics", "", nil)
		assert.Contains(t, string(body), "\nstatkit_history_lag_records 0\n")
		assert.Contains(t, string(body), "\nstatkit_history_committed_record "+strconv.FormatUint(applied, 10)+"\n")
		assert.Contains(t, string(body), "\nstatkit_history_lost_records_total 0\n")

		// The reports, saved at start and again on reload.
		reports := func() []string {
			hs, err := history.Open(context.Background(), dsn, history.StoreOptions{Logger: slog.New(slog.DiscardHandler)})
			require.NoError(t, err)
			defer hs.Close()
			rs, _, err := hs.Reports(context.Background())
			require.NoError(t, err)
			var names []string
			for _, r := range rs {
				names = append(names, r.Name)
			}
			return names
		}
		require.Eventually(t, func() bool { return slices.Equal(reports(), []string{"R"}) }, waitFor, 20*time.Millisecond)
		reload.Store(true)
		status, body = ts.do("POST", "/v1/config/reload", "", nil)
		require.Equal(t, http.StatusOK, status, "%s", body)
		require.Eventually(t, func() bool { return slices.Equal(reports(), []string{"R", "R2"}) }, waitFor, 20*time.Millisecond)
	})
}

// TestHistoryWithoutDataDirectory: a server on a memory log records rows too, but no
// log position (nothing to catch up from after a restart).
func TestHistoryWithoutDataDirectory(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	ts := startServer(t, Options{Config: loadText(t, "small.yaml", smallHistory), TickInterval: -1, HistoryDB: historyOptions(dsn)}, nil, nil)
	status, _ := ts.postEvents([]byte(smallEvents))
	require.Equal(t, http.StatusOK, status)
	flushHistory(t, ts.srv)
	assert.Equal(t, smallRows, storedRows(t, dsn))
	_, ok := position(t, dsn)
	assert.False(t, ok, "a memory log's sequence numbers mean nothing after a restart")
}

// TestHistoryDisabled: without history, GET /v1/history is a JSON 404 and /healthz has no
// history object.
func TestHistoryDisabled(t *testing.T) {
	ts := startServer(t, Options{Config: loadText(t, "small.yaml", smallHistory), TickInterval: -1}, nil, nil)
	status, body := ts.do("GET", "/v1/history?statistic=q.offered", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"error":"this server keeps no history (statistics with notification mode reset are recorded when the server has a history database)"}`, string(body))
	_, body = ts.do("GET", "/healthz", "", nil)
	assert.NotContains(t, string(body), "history")
	_, err := New(Options{Config: loadText(t, "small.yaml", smallHistory), HistoryDB: &HistoryOptions{DSN: "mysql://x/y"}})
	assert.ErrorContains(t, err, "want sqlite:PATH or postgres://")
}

// bankLines is how much of the bank day the tests post: 5,000 events, from 05:00 to
// about 13:00 local (the whole day costs twice as much under the race detector, and adds
// nothing the first part does not have).
const bankLines = 5000

// bank is the real bank day: its config, and its first bankLines events in n batches of
// whole lines.
func bank(t *testing.T, n int) (*config.Config, []byte, [][]byte) {
	t.Helper()
	text, err := os.ReadFile("../../examples/bank/config.yaml")
	require.NoError(t, err)
	cfg, err := config.LoadWith("bank.yaml", bytes.NewReader(text), machine.LoadOptions)
	require.NoError(t, err)
	raw, err := os.ReadFile("../../examples/bank/events.ndjson")
	require.NoError(t, err)
	lines := bytes.SplitAfter(bytes.TrimSpace(raw), []byte("\n"))[:bankLines]
	var out [][]byte
	for i := 0; i < n; i++ {
		out = append(out, bytes.Join(lines[i*len(lines)/n:(i+1)*len(lines)/n], nil))
	}
	return cfg, text, out
}

// post posts every batch; each must be answered 200. It returns the median and the
// longest time a POST took (for the log: speed is measured in benchmarks).
func (ts *testServer) postAll(batches [][]byte) (median, longest time.Duration) {
	ts.t.Helper()
	var took []time.Duration
	for i, b := range batches {
		t0 := time.Now()
		status, r := ts.postEvents(b)
		took = append(took, time.Since(t0))
		require.Equal(ts.t, http.StatusOK, status, "batch %d: %+v", i, r)
	}
	slices.Sort(took)
	return took[len(took)/2], took[len(took)-1]
}

// historyState returns /healthz's history object.
func (ts *testServer) historyState() historyStatus {
	ts.t.Helper()
	var hz struct{ History historyStatus }
	status, body := ts.do("GET", "/healthz", "", nil)
	require.Equal(ts.t, http.StatusOK, status, "%s", body)
	require.NoError(ts.t, json.Unmarshal(body, &hz))
	return hz.History
}

// TestHistoryOutage: the history database refuses writes while two thirds of the bank
// day are posted. The engine is unaffected — every POST is answered while the database
// stays locked, and the values are those of a server without history — history lags
// (past MaxPending the writer drops what it holds, to re-derive it from the log, whose
// retention the writer pins: one snapshot kept, one every 2 records), and once the
// database answers it catches up: every row of the day, once, and nothing lost.
func TestHistoryOutage(t *testing.T) {
	cfg, text, batches := bank(t, 24)
	want := referenceRows(t, cfg, batches)
	require.Greater(t, len(want), 1000)
	ref := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1}, nil, nil)
	ref.postAll(batches)
	wantValues := ref.allValues()
	require.NoError(t, ref.stop())

	forEachHistoryBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		dsn := newDSN(t)
		st, err := store.Open(store.Options{Dir: t.TempDir(), KeepSnapshots: 1, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		defer st.Close()
		ho := historyOptions(dsn)
		ho.Writer.MaxPending = 300
		ts := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Store: st, SnapshotEvery: 2,
			HistoryDB: ho, Logger: testLogger()}, nil, nil)
		before, _ := ts.postAll(batches[:8])
		flushHistory(t, ts.srv)
		committed := ts.historyState().Committed

		unlock := historytest.LockDatabase(t, dsn).Unlock
		during, longest := ts.postAll(batches[8:])
		hs := ts.historyState()
		assert.Equal(t, committed, hs.Committed, "nothing is committed while the database is locked")
		assert.Greater(t, hs.Lag, uint64(10))
		assert.Equal(t, "catching-up", hs.State, "past MaxPending the rows are to come from the log")
		assert.LessOrEqual(t, hs.PendingRows, 300)
		var snaps []uint64
		require.Eventually(t, func() bool { // (a snapshot being written is retained after it is in place)
			snaps, err = st.Snapshots()
			return err == nil && len(snaps) == 2
		}, waitFor, 10*time.Millisecond, "the newest snapshot, and the one the pin keeps: %v", snaps)
		assert.LessOrEqual(t, snaps[0], committed, "a snapshot at or before the database's position")
		assert.Equal(t, wantValues, ts.allValues(), "the engine is unaffected")
		t.Logf("POST median %v before the outage, %v (longest %v) during it", before, during, longest)

		unlock()
		flushHistory(t, ts.srv)
		assert.Equal(t, want, storedRows(t, dsn), "every row once")
		hs = ts.historyState()
		assert.Equal(t, historyStatus{State: "writing", Committed: hs.Applied, Applied: hs.Applied}, hs)
	})
}

// TestHistoryRestartCatchesUp: a server stops while its history database is locked
// (rows applied, not committed; the flush at shutdown gives up) with a snapshot after
// every record and one kept. The next start restores the newest snapshot, far past the
// database's position: the writer re-derives the missing rows from the snapshot the
// retention pin kept and the log after it, while the server serves the rest of the day.
// Every row of the day ends in the database once.
func TestHistoryRestartCatchesUp(t *testing.T) {
	cfg, text, batches := bank(t, 12)
	want := referenceRows(t, cfg, batches)
	forEachHistoryBackend(t, func(t *testing.T, newDSN func(*testing.T) string) {
		dsn := newDSN(t)
		dir := t.TempDir()
		open := func() *store.Store {
			st, err := store.Open(store.Options{Dir: dir, KeepSnapshots: 1, Logger: slog.New(slog.DiscardHandler)})
			require.NoError(t, err)
			return st
		}
		st := open()
		ts := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Store: st, SnapshotEvery: 1,
			HistoryDB: historyOptions(dsn)}, nil, nil)
		ts.postAll(batches[:4])
		flushHistory(t, ts.srv)
		unlock := historytest.LockDatabase(t, dsn).Unlock
		ts.postAll(batches[4:8])
		require.NoError(t, ts.stop())
		require.NoError(t, st.Close())
		unlock()
		pos, ok := position(t, dsn)
		require.True(t, ok)
		snaps, err := store.OpenReader(dir)
		require.NoError(t, err)
		require.Len(t, snaps.Snapshots(), 2)
		require.LessOrEqual(t, snaps.Snapshots()[0], pos, "the pinned snapshot")
		require.Equal(t, ts.srv.applied.get(), snaps.Snapshots()[1], "the snapshot of the shutdown")
		require.Greater(t, snaps.Snapshots()[1], pos, "restored at the next start, past the database")

		st = open()
		defer st.Close()
		ts = startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Store: st, SnapshotEvery: 1,
			HistoryDB: historyOptions(dsn)}, nil, nil)
		ts.postAll(batches[8:])
		flushHistory(t, ts.srv)
		assert.Equal(t, want, storedRows(t, dsn))
		assert.Zero(t, ts.historyState().LostRecords)
	})
}

// TestHistoryConnectsLate: a database that does not answer at start delays history, not
// the server: GET /v1/history answers 503, /healthz says connecting, the rows of the
// records applied meanwhile wait (past MaxPending they are dropped, and re-derived from
// the log once the database answers). Every row ends there once: in a new database from
// the server's start, in one that was behind from its position.
func TestHistoryConnectsLate(t *testing.T) {
	cfg, text, batches := bank(t, 12)
	want := referenceRows(t, cfg, batches)
	for _, c := range []struct {
		name   string
		before int // batches posted before, with the database up
	}{{"new database", 0}, {"database behind", 3}} {
		t.Run(c.name, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
			dir := t.TempDir()
			if c.before > 0 {
				st, err := store.Open(store.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
				require.NoError(t, err)
				ts := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Store: st, HistoryDB: historyOptions(dsn)}, nil, nil)
				ts.postAll(batches[:c.before])
				flushHistory(t, ts.srv)
				require.NoError(t, ts.stop())
				require.NoError(t, st.Close())
			}
			st, err := store.Open(store.Options{Dir: dir, KeepSnapshots: 1, SegmentBytes: 64 << 10, Logger: slog.New(slog.DiscardHandler)})
			require.NoError(t, err)
			defer st.Close()
			release := make(chan struct{})
			var attempts atomic.Int32
			ho := historyOptions(dsn)
			ho.Writer.MaxPending = 100
			ho.open = func(ctx context.Context, dsn string) (*history.Store, error) {
				attempts.Add(1)
				select {
				case <-release:
					return history.Open(ctx, dsn, history.StoreOptions{Logger: slog.New(slog.DiscardHandler)})
				default:
					return nil, fmt.Errorf("connection refused (test)")
				}
			}
			ts := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Store: st, SnapshotEvery: 2, HistoryDB: ho}, nil, nil)
			ts.postAll(batches[c.before:])
			status, body := ts.do("GET", "/v1/history?statistic=IN@Bank.Offered.15m", "", nil)
			assert.Equal(t, http.StatusServiceUnavailable, status)
			assert.JSONEq(t, `{"error":"the history database is not connected yet"}`, string(body))
			hs := ts.historyState()
			assert.Equal(t, "connecting", hs.State)
			require.NotNil(t, hs.Error)
			assert.Equal(t, "connection refused (test)", *hs.Error)
			assert.Positive(t, attempts.Load())
			segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
			assert.Greater(t, len(segs), 3)
			assert.Equal(t, uint64(1), st.FirstSeq(), "the pin keeps the whole log while the database's position is unknown")
			close(release)
			flushHistory(t, ts.srv)
			assert.Equal(t, want, storedRows(t, dsn))
			assert.Zero(t, ts.historyState().LostRecords)
		})
	}
}

// TestHistoryWritesSeam: with a replicated log only the lease holder writes. A process
// whose Writes turns false drops its writer (standby: the database does not move) but
// keeps pinning the database's position, not the record it applied — it may take over
// writing at any moment — so retention (one snapshot kept, one every 2 records) keeps a
// snapshot at or before it; when Writes turns true again the new writer catches up from
// the position in the database, nothing lost.
func TestHistoryWritesSeam(t *testing.T) {
	cfg, text, batches := bank(t, 9)
	want := referenceRows(t, cfg, batches)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	st, err := store.Open(store.Options{Dir: t.TempDir(), KeepSnapshots: 1, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	var writes atomic.Bool
	writes.Store(true)
	ho := historyOptions(dsn)
	ho.Writes = writes.Load
	ts := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Store: st, SnapshotEvery: 2, HistoryDB: ho}, nil, nil)
	ts.postAll(batches[:3])
	flushHistory(t, ts.srv)
	pos, _ := position(t, dsn)

	writes.Store(false)
	require.Eventually(t, func() bool { return ts.historyState().State == "standby" }, waitFor, 20*time.Millisecond)
	ts.postAll(batches[3:6])
	time.Sleep(100 * time.Millisecond) // a writer left behind would commit within PositionEvery
	p, _ := position(t, dsn)
	assert.Equal(t, pos, p, "a process that does not hold the lease writes nothing")
	require.Greater(t, ts.srv.applied.get(), pos+2, "records applied on standby, snapshots past the database's position")
	assert.Equal(t, pos, ts.srv.hist.pin(), "on standby the retention pin is the database's position")
	snaps, err := st.Snapshots()
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(snaps, func(s uint64) bool { return s <= pos }),
		"snapshots %v: want one at or before the database's position %d", snaps, pos)

	writes.Store(true)
	ts.postAll(batches[6:])
	flushHistory(t, ts.srv)
	assert.Equal(t, want, storedRows(t, dsn))
	assert.Zero(t, ts.historyState().LostRecords)
}

// TestHistoryReplayer: the server's Replayer re-derives the rows of a range of records
// exactly as the live server produced them — from the newest snapshot at or before the
// range; when the log no longer holds one (nor its first record), from the oldest
// snapshot after it, saying where the rows start; over a memory log, nothing.
func TestHistoryReplayer(t *testing.T) {
	cfg, text, batches := bank(t, 12)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	dir := t.TempDir()
	st, err := store.Open(store.Options{Dir: dir, KeepSnapshots: 100, SegmentBytes: 64 << 10, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	live := map[uint64][]string{} // the rows the live server produced, by record
	ts := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Store: st, SnapshotEvery: 4,
		HistoryDB: historyOptions(dsn)}, nil, nil)
	ts.postAll(batches)
	flushHistory(t, ts.srv)
	last := ts.srv.applied.get()
	h := ts.srv.hist
	collect := func(after, to uint64) (uint64, map[uint64][]string) {
		got := map[uint64][]string{}
		from, err := h.Replay(context.Background(), after, to, func(seq uint64, rows []history.Row) error {
			require.Greater(t, seq, after)
			require.LessOrEqual(t, seq, to)
			for _, r := range rows {
				got[seq] = append(got[seq], formatRow(r.Statistic.ID, r.Start.Std(), r.End.Std(), r.Value))
			}
			return nil
		})
		require.NoError(t, err)
		return from, got
	}
	_, all := collect(0, last)
	for seq, rows := range all {
		live[seq] = rows
	}
	var flat []string
	for _, rows := range live {
		flat = append(flat, rows...)
	}
	sort.Strings(flat)
	assert.Equal(t, referenceRows(t, cfg, batches), flat, "from the log's start: every row")
	assert.Equal(t, storedRows(t, dsn), flat, "the rows the live server wrote")

	snaps, err := st.Snapshots()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(snaps), 3)
	after := snaps[1] + 1 // not a snapshot: the newest before it is snaps[1]
	from, got := collect(after, last-1)
	assert.Equal(t, after, from)
	for seq := after + 1; seq <= last-1; seq++ {
		assert.Equal(t, live[seq], got[seq], "record %d", seq)
	}
	assert.Len(t, got, countRecords(live, after, last-1))

	// Retention removed the log's start and the snapshots before snaps[2] (the server
	// stopped; the feed's Replay reads the directory reopened).
	require.NoError(t, ts.stop())
	require.NoError(t, st.Close())
	for _, sn := range snaps[:2] {
		require.NoError(t, os.Remove(filepath.Join(dir, fmt.Sprintf("%020d.snap", sn))))
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	require.Greater(t, len(segs), 2)
	require.NoError(t, os.Remove(segs[0]))
	var reopened *store.Store
	h.s.lg, reopened = reopenLog(t, dir)
	require.Greater(t, reopened.FirstSeq(), uint64(2), "the log's start is gone")
	require.LessOrEqual(t, reopened.FirstSeq(), snaps[2]+1)
	from, got = collect(1, last)
	assert.Equal(t, snaps[2], from, "the rows start after the oldest snapshot left")
	for seq := snaps[2] + 1; seq <= last; seq++ {
		assert.Equal(t, live[seq], got[seq], "record %d", seq)
	}
	assert.Len(t, got, countRecords(live, snaps[2], last))

	// A memory log: nothing to re-derive from.
	h.s.lg = store.NewMemLog()
	from, got = collect(5, 9)
	assert.Equal(t, uint64(9), from)
	assert.Empty(t, got)
}

// reopenLog opens data directory dir as a Log, closed at the test's end.
func reopenLog(t *testing.T, dir string) (*store.Log, *store.Store) {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	l, err := store.NewLog(st)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close(); st.Close() })
	return l, st
}

// testLogger logs to stderr with STATKIT_TEST_LOG set, else nowhere.
func testLogger() *slog.Logger {
	if os.Getenv("STATKIT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// countRecords counts the records in (after, to] with rows.
func countRecords(rows map[uint64][]string, after, to uint64) int {
	n := 0
	for seq := range rows {
		if seq > after && seq <= to {
			n++
		}
	}
	return n
}

// TestHistoryConformsToOpenAPI: the answers history adds — GET /v1/history while the
// database does not answer (503) and once it does, /healthz's history object while
// connecting and while writing — match the OpenAPI description the server serves.
func TestHistoryConformsToOpenAPI(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	release := make(chan struct{})
	ho := historyOptions(dsn)
	ho.open = func(ctx context.Context, dsn string) (*history.Store, error) {
		select {
		case <-release:
			return history.Open(ctx, dsn, history.StoreOptions{Logger: slog.New(slog.DiscardHandler)})
		default:
			return nil, fmt.Errorf("connection refused (test)")
		}
	}
	st := openStore(t, t.TempDir())
	defer st.Close()
	ts := startServer(t, Options{Config: loadText(t, "small.yaml", smallHistory), ConfigText: []byte(smallHistory),
		TickInterval: -1, Store: st, HistoryDB: ho}, nil, nil)
	a := newAPICheck(t, ts)
	status, _ := ts.postEvents([]byte(smallEvents))
	require.Equal(t, http.StatusOK, status)
	const q = "/v1/history?statistic=q.offered&from=2026-01-05T09:00:00Z&to=2026-01-05T10:00:00Z"
	r := a.do(ts, call{method: "GET", path: q})
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "5", r.header.Get("Retry-After"))
	r = a.do(ts, call{method: "GET", path: "/healthz"})
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, string(r.body), `"state":"connecting"`)
	close(release)
	flushHistory(t, ts.srv)
	r = a.do(ts, call{method: "GET", path: "/healthz"})
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, string(r.body), `"state":"writing"`)
	r = a.do(ts, call{method: "GET", path: q})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), `"value":2`)
}
