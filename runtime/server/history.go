package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/history"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/store"
)

// Interval history (runtime/history), wired into the server.
//
// With Options.History, every record the owner applies — at recovery and live — has its
// reset-mode notifications turned into rows by a history.Recorder over the machine's
// statistics, and the rows go to a history.Writer (Add only queues: the owner never
// waits for the database). The writer commits them on its own goroutine, one transaction
// per reset instant, with the log position they bring the database to.
//
// The database is opened in the background when Serve starts, and again with backoff
// while it does not answer: a database down at start delays history, never the server.
// Until the writer is installed, the rows of the records applied meanwhile wait in memory
// (up to WriterOptions.MaxPending rows; past it they are dropped and re-derived from the
// log, below). The writer starts at the snapshot the machine restored: a database behind
// it catches up from the log; a new, empty database starts there (statkit replay --log
// DIR --history DSN fills what came before).
//
// Catch-up. Rows that never reached the database (a crash, an outage longer than the
// writer's memory) are re-derived, never stored elsewhere: the server implements
// history.Replayer by restoring a fresh machine from the newest snapshot at or before the
// database's position and applying the records after it through the same machine code,
// beside the live owner (on the writer's goroutine). It needs a Log that can read its
// snapshots and records while Follow runs (ReplayLog; store.Log does), and that keeps
// what the writer still needs: a Log implementing RetentionPinner gets the writer's
// position as its retention pin (store: the newest snapshot at or before it and every
// record after it are kept). Without a database position (not connected yet), the pin is
// 0: nothing the writer may need is removed. A memory log keeps neither, so a server
// without a data directory records no position and cannot catch up: rows it had to drop
// are counted as lost.
//
// With a replicated log, only one process should write: HistoryOptions.Writes says
// whether this one does now (the lease holder). A process that stops writing drops its
// writer; one that starts writing creates a writer at the record it has applied, which
// catches up from the position the previous writer left in the database. Rows are
// upserts keyed by (statistic, start), so two writers for a moment store the same rows.
//
// Such a database is shared, and whoever writes it next catches up from its position,
// not from what it has applied itself: a process that does not write pins the database's
// position as it last read it (every second; a position only grows, so one read late
// keeps more, never less), and a writer that stops keeps pinning the position it had
// committed until it reads a newer one. Pinning its applied record instead let the
// group's retention — the new lease holder's, once the old holder's announced pin had
// expired and before the new holder's writer was installed — delete the only snapshot at
// or before the database's position, and the rows of the records after it were lost.
//
// At shutdown, once the owner has applied the log, the writer flushes for up to
// HistoryOptions.FlushTimeout; what is left is caught up at the next start.

// HistoryOptions configure interval history (Options.History).
type HistoryOptions struct {
	// DSN names the database: sqlite:PATH or postgres://… (history.ParseDSN). Required.
	DSN string
	// Stream names this server's log in the database's positions (default "log").
	Stream string
	// Writes, when set, says whether this process writes history now (with a replicated
	// log: whether it holds the lease): the database is shared by the processes Writes
	// chooses between, and one that does not write pins the log's retention at the
	// database's position, since it may take over. It is polled every second. Nil: always.
	Writes func() bool
	// FlushTimeout bounds the wait at shutdown for rows not committed yet (default 10s).
	FlushTimeout time.Duration
	// Writer tunes the writer: MaxPending, RetryMin, RetryMax, PositionEvery (its
	// Stream, Replayer and Logger are the server's).
	Writer history.WriterOptions

	// open opens the database (tests; nil: history.Open).
	open func(ctx context.Context, dsn string) (*history.Store, error)
}

// ReplayLog is what history's catch-up needs of a Log besides Log: reading its snapshots
// and its durable records while Follow runs. store.Log implements it.
type ReplayLog interface {
	// Snapshots returns the record numbers of the snapshots the log holds, oldest first.
	Snapshots(ctx context.Context) ([]uint64, error)
	// ReadSnapshot returns the payload of the snapshot covering the log up to seq.
	ReadSnapshot(ctx context.Context, seq uint64) ([]byte, error)
	// ReadRecords calls fn for the durable records after `after` through `to`, in order.
	// It fails with an error wrapping store.ErrTrimmed when the log no longer holds
	// record after+1.
	ReadRecords(ctx context.Context, after, to uint64, fn func(seq uint64, rec []byte) error) error
}

// RetentionPinner is a Log whose retention can be pinned: it keeps a snapshot at or
// before pin() and every record after it. store.Log implements it.
type RetentionPinner interface {
	SetRetentionPin(pin func() uint64)
}

// historyFeed is the server's side of history: the recorder on the owner goroutine, the
// writer it feeds, the database, and the goroutine that connects and supervises.
type historyFeed struct {
	s      *Server
	opts   HistoryOptions
	log    *slog.Logger
	stream string // "" for a memory log: no position

	rec *history.Recorder // owner goroutine only

	mu        sync.Mutex
	st        *history.Store
	w         *history.Writer    // nil: none installed
	stopW     context.CancelFunc // ends w.Run
	wDone     chan struct{}      // closed when w.Run has returned
	buffering bool               // rows wait for a writer (false: this process does not write)
	from      uint64             // the snapshot the machine restored: where a new writer starts
	base      uint64             // the rows of the records after from up to base were not kept
	buf       []feedItem         // rows of records after base, waiting for a writer
	bufRows   int
	applied   uint64 // the last record applied
	lostPrev  uint64 // records lost by writers dropped before
	connErr   error  // the last failure to open the database or install the writer
	writing   bool   // Writes() said so at the last poll
	// dbPin is the retention pin while another process writes (see above): the
	// database's position as last read, the position a dropped writer had committed, or
	// from when the database has none yet; 0 (keep everything) until known.
	dbPin uint64

	cancel context.CancelFunc
	done   chan struct{} // closed when run has returned
}

// feedItem is one record's rows waiting for a writer.
type feedItem struct {
	seq  uint64
	rows []history.Row
}

// historyFlushTimeout is HistoryOptions.FlushTimeout's default.
const historyFlushTimeout = 10 * time.Second

// newHistoryFeed checks the options and registers the metrics; nothing is opened yet.
func newHistoryFeed(s *Server, opts HistoryOptions) (*historyFeed, error) {
	if _, err := history.ParseDSN(opts.DSN); err != nil {
		return nil, fmt.Errorf("server: history: %w", err)
	}
	if opts.Stream == "" {
		opts.Stream = "log"
	}
	if opts.FlushTimeout <= 0 {
		opts.FlushTimeout = historyFlushTimeout
	}
	if opts.Writer.MaxPending <= 0 {
		opts.Writer.MaxPending = 1 << 18
	}
	if opts.open == nil {
		opts.open = func(ctx context.Context, dsn string) (*history.Store, error) {
			return history.Open(ctx, dsn, history.StoreOptions{Logger: s.log})
		}
	}
	h := &historyFeed{s: s, opts: opts, log: s.log, buffering: true, done: make(chan struct{})}
	if s.durable {
		h.stream = opts.Stream
	}
	if p, ok := s.lg.(RetentionPinner); ok && s.durable {
		p.SetRetentionPin(h.pin)
	}
	if _, ok := s.lg.(ReplayLog); !ok && s.durable {
		s.log.Warn("history: this log cannot re-derive rows (it does not implement server.ReplayLog): rows not committed before a crash, or dropped in a long outage, are lost and counted")
	}
	h.registerMetrics(s.m.reg)
	return h, nil
}

// begin binds the feed to the machine the owner runs, restored at record after.
func (h *historyFeed) begin(m *machine.Machine) {
	h.rec = history.NewRecorder(m.Statistic)
	h.mu.Lock()
	h.from, h.base, h.applied = m.Applied(), m.Applied(), m.Applied()
	h.mu.Unlock()
}

// record takes the rows of record seq's notifications (owner goroutine; every record
// applied, with rows or not). It never waits for the database.
func (h *historyFeed) record(seq uint64, ns []engine.Notification) {
	var rows []history.Row
	if len(ns) > 0 {
		rows = h.rec.Rows(nil, ns) // a fresh slice: the writer keeps it
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.applied = seq
	switch {
	case h.w != nil:
		h.w.Add(seq, rows)
	case !h.buffering:
		h.base = seq // not this process's to write
	case h.bufRows+len(rows) > h.opts.Writer.MaxPending:
		// Past the bound: the writer will re-derive the rows up to here from the log.
		clear(h.buf)
		h.buf, h.bufRows, h.base = nil, 0, seq
	case len(rows) > 0:
		h.buf = append(h.buf, feedItem{seq, rows})
		h.bufRows += len(rows)
	}
}

// pin is the log's retention pin: the writer's committed position; 0 (keep everything)
// while the writer is to come (the database's position is unknown); while this process
// does not write, the database's position as last known (dbPin): it may take over
// writing at any moment, and its writer then catches up from there.
func (h *historyFeed) pin() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.w != nil:
		return h.w.Pin()
	case !h.buffering:
		return h.dbPin
	}
	return 0
}

// start runs the goroutine that opens the database and supervises the writer.
func (h *historyFeed) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go h.run(ctx)
}

// stop flushes the writer (up to FlushTimeout), then stops it and closes the database.
// The owner has stopped: every record is applied.
func (h *historyFeed) stop() {
	h.mu.Lock()
	w := h.w
	h.mu.Unlock()
	if w != nil {
		ctx, cancel := context.WithTimeout(context.Background(), h.opts.FlushTimeout)
		if err := w.Flush(ctx); err != nil {
			h.log.Warn("history: rows not committed at shutdown; the next start catches them up from the log", "err", err)
		}
		cancel()
	}
	if h.cancel != nil {
		h.cancel()
		<-h.done
	}
}

// run opens the database (retrying with backoff), then every second installs or drops
// the writer as Writes says and saves the config's reports when the config changed.
func (h *historyFeed) run(ctx context.Context) {
	defer close(h.done)
	defer h.closeAll()
	st := h.connect(ctx)
	if st == nil {
		return
	}
	h.mu.Lock()
	h.st = st
	h.mu.Unlock()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var saved *config.Config
	var lastLog time.Time
	for {
		writes := h.opts.Writes == nil || h.opts.Writes()
		h.mu.Lock()
		installed := h.w != nil
		h.writing = writes
		h.mu.Unlock()
		switch {
		case writes && !installed:
			if err := h.install(ctx, st); err != nil {
				if ctx.Err() != nil {
					return
				}
				h.setErr(err)
				if time.Since(lastLog) > time.Minute {
					h.log.Error("history: cannot start writing (retrying every second; rows wait in memory, then come from the log)", "err", err)
					lastLog = time.Now()
				}
			}
		case !writes:
			h.uninstall()
			h.readPin(ctx, st)
		}
		if writes {
			if cfg := h.s.cfg.Load(); cfg != saved {
				if err := st.SaveReports(ctx, cfg.Reports); err != nil {
					if ctx.Err() != nil {
						return
					}
					h.log.Warn("history: saving the config's reports (retrying)", "err", err)
				} else {
					saved = cfg
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// connect opens the database, retrying with backoff until it answers or ctx ends.
func (h *historyFeed) connect(ctx context.Context) *history.Store {
	delay := max(h.opts.Writer.RetryMin, 100*time.Millisecond)
	limit := max(h.opts.Writer.RetryMax, 30*time.Second)
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		st, err := h.opts.open(actx, h.opts.DSN)
		cancel()
		if err == nil {
			h.setErr(nil)
			if attempt > 1 {
				h.log.Info("history: connected", "attempts", attempt)
			}
			return st
		}
		if ctx.Err() != nil {
			return nil
		}
		h.setErr(err)
		if attempt == 1 || attempt%10 == 0 {
			h.log.Error("history: the database does not answer; retrying (the server serves, history waits)", "err", err, "attempt", attempt, "retry_in", delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		delay = min(2*delay, limit)
	}
}

// install creates a writer at the snapshot the machine restored (a database behind it
// catches up; a new one starts there), tells it which rows were not kept since (to
// re-derive from the log), hands it the rows waiting and makes it the one the owner
// feeds.
func (h *historyFeed) install(ctx context.Context, st *history.Store) error {
	wopts := h.opts.Writer
	wopts.Stream, wopts.Replayer, wopts.Logger = h.stream, h, h.log
	h.mu.Lock()
	h.buffering = true
	h.mu.Unlock()
	w, err := history.NewWriter(ctx, st, h.from, wopts)
	if err != nil {
		return err
	}
	h.mu.Lock()
	w.Missed(h.base) // ignored when base is from, or at or below the database's position
	for _, it := range h.buf {
		w.Add(it.seq, it.rows)
	}
	w.Add(h.applied, nil)
	clear(h.buf)
	h.buf, h.bufRows = nil, 0
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h.w, h.stopW, h.wDone, h.connErr = w, cancel, make(chan struct{}), nil
	done := h.wDone
	h.mu.Unlock()
	go func() {
		defer close(done)
		_ = w.Run(wctx)
	}()
	h.log.Info("history: writing", "stream", h.stream, "from", w.Status().Committed)
	return nil
}

// uninstall drops the writer (this process no longer writes) and stops keeping rows.
// The retention pin stays at the position the writer had committed (not past it: the
// database is there, and the next writer catches up from there) until readPin reads
// the database's.
func (h *historyFeed) uninstall() {
	h.mu.Lock()
	w, stop, done := h.w, h.stopW, h.wDone
	h.w, h.stopW, h.wDone = nil, nil, nil
	h.buffering = false
	clear(h.buf)
	h.buf, h.bufRows, h.base = nil, 0, h.applied
	if w != nil {
		ws := w.Status()
		h.lostPrev += ws.Lost
		h.dbPin = ws.Committed
	}
	h.mu.Unlock()
	if w != nil {
		stop()
		<-done
		h.log.Info("history: not writing (another process does)")
	}
}

// readPin reads the database's position for the retention pin of a process that does
// not write (see above): what a writer installed here would catch up from — the
// position, or the snapshot the machine restored when the database has none yet. A
// read that fails (the database is down, or locked by a writer committing) keeps the
// last value: the position only grows. The read is bounded so that the supervision
// loop polls Writes on time.
func (h *historyFeed) readPin(ctx context.Context, st *history.Store) {
	if h.stream == "" {
		return // a memory log: no position, nothing to pin
	}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	pos, ok, err := st.Position(rctx, h.stream)
	cancel()
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.w != nil || h.buffering {
		return // writing again meanwhile: the writer pins
	}
	if !ok {
		pos = h.from
	}
	h.dbPin = pos
}

// closeAll stops the writer and closes the database (run's end).
func (h *historyFeed) closeAll() {
	h.mu.Lock()
	stop, done, st := h.stopW, h.wDone, h.st
	h.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if st != nil {
		st.Close()
	}
}

func (h *historyFeed) setErr(err error) {
	h.mu.Lock()
	h.connErr = err
	h.mu.Unlock()
}

// Replay implements history.Replayer over the server's log (see above): a machine
// restored from the newest snapshot at or before after (or from the log's first record
// when it has none), the records after it through to applied by the same code as the
// owner's, and the rows of the records after `after` emitted.
func (h *historyFeed) Replay(ctx context.Context, after, to uint64, emit func(seq uint64, rows []history.Row) error) (uint64, error) {
	rl, ok := h.s.lg.(ReplayLog)
	if !ok {
		return to, nil // a memory log keeps nothing to re-derive rows from
	}
	snaps, err := rl.Snapshots(ctx)
	if err != nil {
		return after, err
	}
	mopts := h.s.machineOptions() // applies the log as the live machine does
	mopts.Logger, mopts.Notifications = slog.New(slog.DiscardHandler), true
	from := after
	var m *machine.Machine
	for i := len(snaps) - 1; i >= 0 && m == nil; i-- {
		if snaps[i] > after {
			continue
		}
		if m, err = h.restore(ctx, rl, snaps[i], mopts); err != nil {
			if ctx.Err() != nil {
				return after, ctx.Err()
			}
			h.log.Warn("history: a snapshot for catching up is not usable; trying an older one", "snapshot", snaps[i], "err", err)
		}
	}
	if m == nil { // none at or before after: from the log's first record
		if m, err = machine.New(mopts); err != nil {
			return after, fmt.Errorf("history catch-up: %w", err)
		}
	}
	err = h.apply(ctx, rl, m, from, to, emit)
	if errors.Is(err, store.ErrTrimmed) && m.Applied() == 0 {
		// The log's start is gone too: from the oldest snapshot after `after`; the rows of
		// the records in between are lost (the writer says so).
		for _, sn := range snaps {
			if sn <= after || sn > to {
				continue
			}
			if m, err = h.restore(ctx, rl, sn, mopts); err == nil {
				return sn, h.apply(ctx, rl, m, sn, to, emit)
			}
		}
		return to, nil
	}
	return from, err
}

// restore returns a machine restored from snapshot seq of rl.
func (h *historyFeed) restore(ctx context.Context, rl ReplayLog, seq uint64, mopts machine.Options) (*machine.Machine, error) {
	payload, err := rl.ReadSnapshot(ctx, seq)
	if err != nil {
		return nil, err
	}
	m, err := machine.Restore(payload, mopts)
	if err != nil {
		return nil, err
	}
	m.SetApplied(seq)
	return m, nil
}

// apply applies the records after m's through to, emitting the rows of those after from.
func (h *historyFeed) apply(ctx context.Context, rl ReplayLog, m *machine.Machine, from, to uint64, emit func(uint64, []history.Row) error) error {
	rec := history.NewRecorder(m.Statistic)
	return rl.ReadRecords(ctx, m.Applied(), to, func(seq uint64, b []byte) error {
		res, err := m.Apply(seq, b, nil)
		if err != nil {
			return err
		}
		if seq <= from || len(res.Notifications) == 0 {
			return nil
		}
		if rows := rec.Rows(nil, res.Notifications); len(rows) > 0 {
			return emit(seq, rows)
		}
		return nil
	})
}

// historyStatus is /healthz's "history" object.
type historyStatus struct {
	// State: connecting (the database has not answered yet), writing, catching-up,
	// standby (another process writes).
	State string `json:"state"`
	// Committed is the log record up to which every row is in the database; Applied the
	// last record the engine applied; Lag the difference (records without rows move the
	// database's position every second, so a busy server lags by a second's records).
	Committed uint64 `json:"committed"`
	Applied   uint64 `json:"applied"`
	Lag       uint64 `json:"lag"`
	// PendingRows are rows held in memory, waiting for the database.
	PendingRows int `json:"pendingRows"`
	// LostRecords counts records whose rows could not be re-derived (logged as errors).
	LostRecords uint64 `json:"lostRecords"`
	// Error is the last database error, null once a write succeeded after it.
	Error *string `json:"error"`
}

// status returns the feed's progress.
func (h *historyFeed) status() historyStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	hs := historyStatus{Applied: h.applied, LostRecords: h.lostPrev, PendingRows: h.bufRows}
	err := h.connErr
	switch {
	case h.w != nil:
		ws := h.w.Status()
		hs.State, hs.Committed, hs.PendingRows = "writing", ws.Committed, ws.Pending
		hs.LostRecords += ws.Lost
		if ws.CatchingUp {
			hs.State = "catching-up"
		}
		if ws.Err != nil {
			err = ws.Err
		}
	case h.st != nil && !h.writing:
		hs.State, hs.Committed = "standby", h.applied
	default:
		hs.State, hs.Committed = "connecting", h.base
	}
	if hs.Applied > hs.Committed {
		hs.Lag = hs.Applied - hs.Committed
	}
	if err != nil {
		e := historyErrorText(err)
		hs.Error = &e
	}
	return hs
}

// historyErrorText words a database error for /healthz (which anyone may read): the
// error without the DSN's password, and without file paths or network addresses.
func historyErrorText(err error) string {
	var ne *net.OpError
	if errors.As(err, &ne) {
		return "cannot reach the history database (" + ne.Op + ")"
	}
	msg := history.Redact(err.Error())
	if strings.ContainsAny(msg, `/\`) {
		return "history database error (see the server's log)"
	}
	return msg
}

// registerMetrics registers the history gauges in reg.
func (h *historyFeed) registerMetrics(reg *prometheus.Registry) {
	gauge := func(name, help string, f func(historyStatus) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(h.status()) })
	}
	reg.MustRegister(
		gauge("statkit_history_lag_records", "Log records applied after the history database's position (the position of records without rows is written every second).",
			func(s historyStatus) float64 { return float64(s.Lag) }),
		gauge("statkit_history_committed_record", "The log record up to which every history row is committed.",
			func(s historyStatus) float64 { return float64(s.Committed) }),
		gauge("statkit_history_pending_rows", "History rows held in memory, waiting for the database.",
			func(s historyStatus) float64 { return float64(s.PendingRows) }),
		gauge("statkit_history_catching_up", "1 while history rows are being re-derived from the log.",
			func(s historyStatus) float64 { return b2f(s.State == "catching-up") }),
		gauge("statkit_history_error", "1 when the last history database operation failed (it is retried), else 0.",
			func(s historyStatus) float64 { return b2f(s.Error != nil) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "statkit_history_lost_records_total",
			Help: "Log records whose history rows could not be re-derived (the log no longer held them)."},
			func() float64 { return float64(h.status().LostRecords) }),
	)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// HistoryReader answers GET /v1/history: the stored intervals of recorded statistics.
// runtime/history's *Store is one.
type HistoryReader interface {
	History(ctx context.Context, q history.Query) (*history.Response, error)
}

// getHistory handles GET /v1/history (parameters: history.ParseQuery; body:
// history.Response), from the database the server records to (Options.HistoryDB) or
// the one it reads (Options.History): 400 for a bad parameter, 404 for a named statistic
// that is not recorded or when the server keeps no history, 503 while the database does
// not answer. "to" defaults to the server's clock, which is the simulated time in the
// demo.
func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) {
	if !s.readMethod(w, r) {
		return
	}
	var h HistoryReader
	if s.opts.History != nil {
		h = s.opts.History
	}
	if s.hist != nil {
		s.hist.mu.Lock()
		st := s.hist.st
		s.hist.mu.Unlock()
		if st == nil {
			w.Header().Set("Retry-After", "5")
			s.writeError(w, http.StatusServiceUnavailable, "the history database is not connected yet")
			return
		}
		h = st
	}
	if h == nil {
		s.writeError(w, http.StatusNotFound, "this server keeps no history (statistics with notification mode reset are recorded when the server has a history database)")
		return
	}
	q, err := history.ParseQuery(r.URL.Query(), s.opts.Clock.Now())
	if err != nil {
		body := errorJSON{Error: err.Error()}
		var qe *history.QueryError
		if errors.As(err, &qe) {
			body.Problems = []problemJSON{{Field: qe.Param, Message: qe.Msg}}
		}
		s.writeJSON(w, http.StatusBadRequest, body)
		return
	}
	resp, err := h.History(r.Context(), q)
	var nr *history.NotRecordedError
	switch {
	case errors.As(err, &nr):
		s.writeError(w, http.StatusNotFound, nr.Error())
	case err != nil:
		if r.Context().Err() != nil {
			return
		}
		s.log.Warn("GET /v1/history: reading the history database", "err", err)
		w.Header().Set("Retry-After", "5")
		s.writeError(w, http.StatusServiceUnavailable, "reading the history database failed; retry later")
	default:
		s.writeJSON(w, http.StatusOK, resp)
	}
}
