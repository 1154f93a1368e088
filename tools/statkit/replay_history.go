package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/history"
)

// replayHistory is statkit replay --history DSN: the rows the replay's notifications
// produce (history.Recorder, the code the live server uses) written to a history
// database by a history.Writer. A replay is a backfill: no log position is recorded,
// and the writer holds back the replay rather than drop rows when the database is slow.
type replayHistory struct {
	st     *history.Store
	w      *history.Writer
	eng    *engine.Engine
	cfg    func() *config.Config // the config whose reports are saved at the end
	rec    *history.Recorder
	rows   []history.Row
	seq    uint64
	cancel context.CancelFunc
	done   chan error
}

// openReplayHistory opens the database (creating or migrating its schema) and starts
// the writer; bind then says where the rows come from.
func openReplayHistory(ctx context.Context, dsn string, stderr io.Writer) (*replayHistory, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := history.Open(ctx, dsn, history.StoreOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	w, err := history.NewWriter(ctx, st, 0, history.WriterOptions{Logger: logger})
	if err != nil {
		st.Close()
		return nil, err
	}
	h := &replayHistory{st: st, w: w, done: make(chan error, 1)}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h.cancel = cancel
	go func() { h.done <- w.Run(wctx) }()
	return h, nil
}

// bind records the notifications of eng, whose open statistics lookup finds (a config's,
// or a machine's: those opened through the API and changed by reloads too); cfg returns
// the config whose report definitions are saved at the end. It turns the engine's
// notifications on.
func (h *replayHistory) bind(eng *engine.Engine, lookup func(string) (*config.Statistic, bool), cfg func() *config.Config) {
	h.eng, h.cfg, h.rec = eng, cfg, history.NewRecorder(lookup)
	eng.Notifications(nil) // on before the first event
}

// observe hands the writer the rows of one drain of notifications.
func (h *replayHistory) observe(ns []engine.Notification) {
	h.rows = h.rec.Rows(h.rows[:0], ns)
	h.seq++
	if len(h.rows) > 0 {
		h.w.Add(h.seq, append([]history.Row(nil), h.rows...))
	}
}

// finish saves the config's report definitions and, with closeOpen, closes the
// intervals still open at the end of the input — the clock advances to the latest end
// among the recorded statistics' current intervals, so the last interval of each gets
// its row as the live server's clock would give it (an event file; a log replays only
// what its server recorded: its ticks) — then waits until every row is committed.
func (h *replayHistory) finish(ctx context.Context, closeOpen bool) error {
	cfg := h.cfg()
	if err := h.st.SaveReports(ctx, cfg.Reports); err != nil {
		return err
	}
	if closeOpen && h.eng.Started() {
		// The interval holding the last instant before the clock: a clock exactly at a
		// reset has closed it already (and opens none with nothing in it).
		now := h.eng.Now().Std()
		var end time.Time
		for _, s := range h.eng.Statistics() {
			if !history.Recorded(s) {
				continue
			}
			if e, ok := history.IntervalEnd(s.Profile, now.Add(-time.Millisecond)); ok && e.After(end) {
				end = e
			}
		}
		if end.After(now) {
			h.eng.Advance(event.TimeOf(end))
			h.observe(h.eng.Notifications(nil))
		}
	}
	if err := h.w.Flush(ctx); err != nil {
		return fmt.Errorf("history %s: %w", h.st.DSN(), err)
	}
	return nil
}

// stop ends the writer and closes the database.
func (h *replayHistory) stop() {
	h.cancel()
	<-h.done
	h.st.Close()
}
