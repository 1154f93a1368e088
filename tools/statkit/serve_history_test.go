package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/history"
	"github.com/statkit/statkit/runtime/history/historytest"
)

// End-to-end history through the statkit binary: a server killed between a reset and its
// database commit, and replay --log --history against what a live server wrote, on
// SQLite and (with STATKIT_TEST_POSTGRES; always in CI) PostgreSQL.

// historyBackends runs f against SQLite and PostgreSQL; newDSN gives a fresh database.
func historyBackends(t *testing.T, f func(t *testing.T, newDSN func(*testing.T) string)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "history.db") })
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, func(t *testing.T) string { return historytest.PostgresDSN(t) })
	})
}

// historyRows reads every stored interval of dsn as "statistic start end value", sorted.
func historyRows(t *testing.T, dsn string) []string {
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
	const f = "2006-01-02T15:04:05.000Z"
	for _, iv := range ivs {
		v := "null"
		if !math.IsNaN(iv.Value) {
			v = strconv.FormatFloat(iv.Value, 'f', -1, 64)
		}
		out = append(out, iv.Statistic+" "+iv.Start.UTC().Format(f)+" "+iv.End.UTC().Format(f)+" "+v)
	}
	sort.Strings(out)
	return out
}

// historyHealth is /healthz's history object.
type historyHealth struct {
	State       string
	Committed   uint64
	Applied     uint64
	Lag         uint64
	LostRecords uint64
	Error       *string
}

// history returns the server's /healthz history object.
func (s *crashServer) history(t *testing.T) historyHealth {
	t.Helper()
	var hz struct{ History *historyHealth }
	require.Equal(t, http.StatusOK, s.get(t, "healthz", &hz))
	require.NotNil(t, hz.History, "/healthz has no history")
	return *hz.History
}

// waitHistory waits until the server's history has committed every record applied.
func (s *crashServer) waitHistory(t *testing.T) historyHealth {
	t.Helper()
	var h historyHealth
	require.Eventually(t, func() bool {
		h = s.history(t)
		return h.State == "writing" && h.Lag == 0
	}, time.Minute, 20*time.Millisecond, "history never caught up: %+v", h)
	return h
}

// ev is an NDJSON line of the small queue Q.
func ev(at, action, id string, extra string) string {
	return fmt.Sprintf(`{"time":"2026-01-05T%sZ","action":%q,"source":{"class":"mediation_dn","id":"Q"},"interaction":%q%s}`+"\n", at, action, id, extra)
}

// TestServeHistoryCrash: `statkit serve --data D --history DSN` is killed with SIGKILL right
// after a reset instant whose rows its database could not commit (the database is held
// locked: a slow database), with a snapshot after every record and one kept. After the
// restart — which restores the snapshot past the reset — the writer re-derives the rows
// from the snapshot the retention pin kept: the interval's row appears, once, with the
// value computed by hand.
func TestServeHistoryCrash(t *testing.T) {
	bin := buildStatkit(t)
	historyBackends(t, func(t *testing.T, newDSN func(*testing.T) string) {
		dsn := newDSN(t)
		data := filepath.Join(t.TempDir(), "data")
		args := []string{"serve", "--config", smallConfig, "--data", data, "--history", dsn, "--tick", "0",
			"--reorder-window", "0", "--snapshot-every", "1", "--keep-snapshots", "1", "--addr", "127.0.0.1:0",
			"--log-level", "warn"}
		srv := startCrashServerArgs(t, bin, args...)
		srv.waitHistory(t)
		require.NoError(t, srv.post([]byte(ev("09:01:00", "CallEntered", "c1", "")+ev("09:05:00", "CallEntered", "c2", "")+
			ev("09:10:00", "CallDistributed", "c1", `,"duration":12`))))
		committed := srv.waitHistory(t).Committed

		unlock := historytest.LockDatabase(t, dsn).Unlock
		// The reset of 09:15 passes: the row of 09:00–09:15 is due, and cannot be committed.
		require.NoError(t, srv.post([]byte(ev("09:15:00", "CallEntered", "c3", ""))))
		var peek struct{ Value float64 }
		require.Equal(t, http.StatusOK, srv.get(t, "v1/statistics/q.offered", &peek))
		require.Equal(t, 1.0, peek.Value, "the engine is in the next interval (c3)")
		h := srv.history(t)
		require.Equal(t, committed, h.Committed)
		require.Equal(t, uint64(1), h.Lag, "the reset's record is applied, its rows not committed")
		srv.kill()
		unlock()
		assert.Empty(t, historyRows(t, dsn), "nothing of the interval was committed before the kill")

		srv = startCrashServerArgs(t, bin, args...)
		h = srv.waitHistory(t)
		assert.Zero(t, h.LostRecords)
		assert.Equal(t, []string{
			"q.asa 2026-01-05T09:00:00.000Z 2026-01-05T09:15:00.000Z 12",
			"q.offered 2026-01-05T09:00:00.000Z 2026-01-05T09:15:00.000Z 2",
		}, historyRows(t, dsn), "the interval's rows, once")
		// The same rows through the API.
		var resp history.Response
		require.Equal(t, http.StatusOK, srv.get(t, "v1/history?statistic=q.offered&from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z", &resp))
		require.Len(t, resp.Series, 1)
		require.Len(t, resp.Series[0].Intervals, 1)
		assert.Equal(t, 2.0, *resp.Series[0].Intervals[0].Value)
		require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
		<-srv.exited
	})
}

// TestServeHistoryReplayLog: a live server is fed the bank day in batches, then stopped;
// `statkit replay --log DIR --history DSN` into a fresh database writes exactly the rows
// the live server wrote (every 15-minute interval the day's events closed, for the
// report's 42 statistics).
func TestServeHistoryReplayLog(t *testing.T) {
	bin := buildStatkit(t)
	raw, err := os.ReadFile(bankEvents)
	require.NoError(t, err)
	lines := bytes.SplitAfter(bytes.TrimSpace(raw), []byte("\n"))
	historyBackends(t, func(t *testing.T, newDSN func(*testing.T) string) {
		live, replayed := newDSN(t), newDSN(t)
		data := filepath.Join(t.TempDir(), "data")
		srv := startCrashServerArgs(t, bin, "serve", "--config", bankConfig, "--data", data, "--history", live,
			"--tick", "0", "--reorder-window", "0", "--snapshot-every", "3", "--addr", "127.0.0.1:0", "--log-level", "warn")
		const n = 10
		for i := 0; i < n; i++ {
			require.NoError(t, srv.post(bytes.Join(lines[i*len(lines)/n:(i+1)*len(lines)/n], nil)))
		}
		srv.waitHistory(t)
		require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
		<-srv.exited
		want := historyRows(t, live)
		first, last := dayBounds(t)
		// From the first event's interval to the last reset before the last event.
		require.Len(t, want, 42*int(last.Sub(first)/(15*time.Minute)))

		_, stderr, err := replayOut(t, "--log", data, "--history", replayed)
		require.NoError(t, err, stderr)
		assert.Equal(t, want, historyRows(t, replayed))
	})
}
