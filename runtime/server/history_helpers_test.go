package server

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/history"
)

// historyBoardConfig is a queue with a board whose Entered column has a recorded
// counterpart: calls entered every 15 minutes (notification mode reset).
const historyBoardConfig = `
topology:
  dns: [{id: "Support@SW1", type: ACDQueue}]
statTypes:
  CallsWaiting: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [CallWait]}
  CallsEntered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
timeProfiles: {Q15: {type: Growing, period: 900}}
statistics:
  - {id: waiting, statType: CallsWaiting, object: {type: Queue, id: "Support@SW1"}}
  - {id: entered, statType: CallsEntered, object: {type: Queue, id: "Support@SW1"}}
  - {id: entered.15, statType: CallsEntered, object: {type: Queue, id: "Support@SW1"}, profile: Q15, notification: {mode: reset}}
wallboards:
  floor:
    headline: [{statistic: waiting, thresholds: {warn: 2, alarm: 4}}]
    sections:
      - columns: [{statType: CallsEntered, label: Entered, thresholds: {warn: 4, alarm: 6}}]
        rows: [{type: Queue, id: "Support@SW1"}]
`

// FillHistory returns a SQLite history database (in the test's temporary directory) in
// which statistic id of cfg has one 15-minute interval per value from start (NaN: an
// undefined value), written through history's Writer as the server's recorder would.
func FillHistory(t *testing.T, cfg *config.Config, id string, start time.Time, values []float64) *history.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	st, err := history.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "history.db"), history.StoreOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	stat, ok := cfg.Statistic(id)
	require.True(t, ok, id)
	desc := history.Describe(stat)
	w, err := history.NewWriter(ctx, st, 0, history.WriterOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(rctx) }()
	for i, v := range values {
		from := start.Add(time.Duration(i) * 15 * time.Minute)
		w.Add(uint64(i+1), []history.Row{{Statistic: desc, Start: event.TimeOf(from), End: event.TimeOf(from.Add(15 * time.Minute)), Value: v}})
	}
	require.NoError(t, w.Flush(ctx))
	stop()
	<-done
	return st
}
