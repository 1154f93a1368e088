package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statkit/statkit/runtime/apispec"
	"github.com/statkit/statkit/runtime/auth"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/store"
	"github.com/statkit/statkit/runtime/trend"
)

// Defaults of Options.
const (
	DefaultTickInterval      = time.Second
	DefaultTickLag           = time.Second
	DefaultMaxBodyBytes      = 8 << 20
	DefaultIngestQueue       = 64
	DefaultSubscriberLimit   = 16384
	DefaultWriteTimeout      = 10 * time.Second
	DefaultHeartbeat         = 15 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultReorderWindow     = ingest.DefaultWindow
	DefaultMaxSkew           = 10 * time.Second
	DefaultIdempotencyWindow = ingest.DefaultKeyWindow
	DefaultIdempotencyKeys   = ingest.DefaultMaxKeys
	DefaultIdempotencyBytes  = ingest.DefaultMaxKeyBytes
)

// maxStatisticBody bounds the body of POST /v1/statistics.
const maxStatisticBody = 64 << 10

// Options configure a Server. Zero fields take the defaults above; where a negative
// value means something else, the field says so.
type Options struct {
	// Config is the configuration served: topology, stat types, profiles and the
	// statistics opened at start under their config ids. Required.
	Config *config.Config
	// Logger receives the server's logs (nil: slog.Default()). Requests are logged at
	// debug level.
	Logger *slog.Logger

	// Clock is the wall clock of the ticker, of receipt times and of the future-event
	// check (nil: WallClock()).
	Clock Clock
	// TickInterval is how often the clock appends a tick record that advances the engine
	// clock to the wall clock, so current values grow between events (default 1s;
	// negative: never, the clock then moves with event times only — historical feeds,
	// replays and tests).
	TickInterval time.Duration
	// TickLag is how far behind the wall clock a tick leaves the engine (default 1s;
	// negative: none). A tick moves the engine to the wall clock less the larger of
	// TickLag and ReorderWindow, so that the window is honoured.
	TickLag time.Duration
	// HoldsClock, when set, says whether this process appends ticks now (a replica
	// appends them only while it holds the clock's lease). Nil: always.
	HoldsClock func() bool

	// ReorderWindow is the ingest pipeline's reorder window in event time (default 2s;
	// negative: none, every event is applied as soon as its batch is).
	ReorderWindow time.Duration
	// MaxSkew refuses, at receipt, events more than this ahead of the wall clock
	// (future_event; default 10s; negative: no check). Without a clock (TickInterval
	// negative) there is no check: a historical feed may jump forward.
	MaxSkew time.Duration
	// IdempotencyWindow is how long an Idempotency-Key's answer is kept, in wall time
	// (default 24h; negative: no age bound); IdempotencyKeys and IdempotencyBytes bound
	// the key table by count and bytes, oldest first (defaults 1,000,000 and 64 MiB;
	// negative: no bound).
	IdempotencyWindow time.Duration
	IdempotencyKeys   int
	IdempotencyBytes  int

	// MaxBodyBytes bounds a POST /v1/events body, after decompression (default 8 MiB); a
	// larger one is refused with 413 and nothing of it is applied.
	MaxBodyBytes int64
	// MaxLineBytes bounds one NDJSON line (0: event.DefaultMaxLineBytes).
	MaxLineBytes int
	// IngestQueue is how many batches may wait to be applied (default 64); past it,
	// POST /v1/events answers 429.
	IngestQueue int

	// SubscriberLimit is how many statistics may wait unsent in one stream subscriber's
	// queue (values coalesce per statistic) before it is dropped (default 16384).
	SubscriberLimit int
	// WriteTimeout is the deadline of each write to a client: a stream subscriber whose
	// write blocks longer is dropped (default 10s).
	WriteTimeout time.Duration
	// Heartbeat is the interval of the stream's comment lines (default 15s).
	Heartbeat time.Duration

	// ReadHeaderTimeout, ReadTimeout, IdleTimeout and MaxHeaderBytes configure the
	// http.Server (defaults 10s, 1m, 2m, 64 KiB). Streams lift the read deadline.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// ShutdownTimeout bounds the wait for in-flight requests at shutdown (default 10s).
	ShutdownTimeout time.Duration

	// Log is the record log the server runs on (see Log). Nil: a store.Log over Store
	// when Store is set (the server closes that Log, the caller the Store), else a
	// store.MemLog (nothing survives a restart).
	Log Log
	// Store, when set and Log is not, makes the server durable on a data directory: New
	// recovers the state from it and POST /v1/events answers only once its batch is
	// durable under the store's fsync policy. The caller opens it and closes it after
	// Serve returns.
	Store *store.Store
	// ConfigText is the text of Config (YAML), kept in snapshots and logged by reloads so
	// that a restart or a replay applies the log under the config it was written with.
	// Nil: the config is not recorded (a restart restores against Config, and a
	// different Config is not reconciled).
	ConfigText []byte
	// SnapshotEvery is how many log records (event batches, ticks, opens…) a snapshot
	// is taken after (default 10000; negative: never by count).
	SnapshotEvery int
	// SnapshotInterval is the longest time between snapshots while records are applied
	// (default 5m; negative: never by time).
	SnapshotInterval time.Duration
	// Reload loads the config again for POST /v1/config/reload and Server.Reload: the
	// config and its text. Nil: reload is refused.
	Reload func() (*config.Config, []byte, error)
	// Sources are the live inputs followed while this process holds the clock (see
	// Source); each input name at most once.
	Sources []Source

	// History answers GET /v1/history (the wallboard's bar charts) from a history
	// database this server does not write (with HistoryDB, that one answers); nil and no
	// HistoryDB: the server keeps no history and the route answers 404.
	History HistoryReader
	// Notifications, when set, turns the engine's notifications on and receives them
	// after every record that produced some (reset-mode interval values for history), on
	// the owner goroutine: it must not block.
	Notifications func(seq uint64, ns []engine.Notification)
	// HistoryDB, when set, records the final value of every interval of the reset-mode
	// statistics in a SQL database, and answers GET /v1/history from it (runtime/history;
	// see history.go).
	HistoryDB *HistoryOptions

	// Guard authenticates and authorizes requests (see auth.go). Nil: a guard without
	// tokens — every client may do everything, but cross-origin state changes are
	// refused.
	Guard *auth.Guard
	// MetricsPublic serves /metrics without a token (default: the read role).
	MetricsPublic bool
	// FrameAncestors are the origins allowed to embed the wallboard (CSP
	// frame-ancestors); none: no page may.
	FrameAncestors []string
	// ReloadTLS, when set, reloads the TLS certificate on POST /v1/config/reload.
	ReloadTLS func() error
}

// withDefaults returns o with its zero fields set to the defaults.
func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = WallClock()
	}
	def(&o.TickInterval, DefaultTickInterval)
	def(&o.TickLag, DefaultTickLag)
	o.TickLag = max(o.TickLag, 0)
	def(&o.ReorderWindow, DefaultReorderWindow)
	o.ReorderWindow = max(o.ReorderWindow, 0)
	def(&o.MaxSkew, DefaultMaxSkew)
	def(&o.IdempotencyWindow, DefaultIdempotencyWindow)
	o.IdempotencyWindow = max(o.IdempotencyWindow, 0)
	if o.IdempotencyKeys == 0 {
		o.IdempotencyKeys = DefaultIdempotencyKeys
	}
	o.IdempotencyKeys = max(o.IdempotencyKeys, 0)
	if o.IdempotencyBytes == 0 {
		o.IdempotencyBytes = DefaultIdempotencyBytes
	}
	o.IdempotencyBytes = max(o.IdempotencyBytes, 0)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.Heartbeat, DefaultHeartbeat)
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.ShutdownTimeout, DefaultShutdownTimeout)
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.IngestQueue <= 0 {
		o.IngestQueue = DefaultIngestQueue
	}
	if o.SubscriberLimit <= 0 {
		o.SubscriberLimit = DefaultSubscriberLimit
	}
	if o.SnapshotEvery == 0 {
		o.SnapshotEvery = 10000
	}
	def(&o.SnapshotInterval, 5*time.Minute)
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return o
}

// settings are the pipeline settings opts ask for.
func (o Options) settings() ingest.Options {
	return ingest.Options{Window: o.ReorderWindow, KeyWindow: o.IdempotencyWindow,
		MaxKeys: o.IdempotencyKeys, MaxKeyBytes: o.IdempotencyBytes}
}

// Server is statkit's HTTP server: the API of DESIGN.md §4 over one engine. Create it
// with New and run it with Serve; Ingest and IngestBatch feed it in process.
type Server struct {
	opts Options
	// cfg is the config being served and cfgText its text; a reload replaces them (the
	// topology never changes).
	cfg     atomic.Pointer[config.Config]
	cfgText atomic.Pointer[[]byte]
	log     *slog.Logger
	m       *metrics

	lg       Log
	repl     Replicated   // lg when it is shared by replicas (replica.go), else nil
	closeLog func() error // closes a Log the server made (nil: the caller's)
	durable  bool         // snapshots are written (not a memory log)

	// own is touched only by the owner goroutine while Serve runs.
	own       *owner
	entries   chan store.Entry // durable records, from the follower to the owner
	ops       chan *op
	ownerDone chan struct{} // closed when the owner goroutine has returned
	closing   chan struct{} // closed when shutdown begins: streams end
	served    atomic.Bool

	// Published by the owner: the last record applied and its waiters, the events the
	// pipeline holds, the wall time of the last tick.
	applied  appliedSeq
	held     atomic.Int64
	tickWall atomic.Int64

	src      *sources      // the live inputs
	slots    chan struct{} // a slot per batch appended and not yet applied
	keys     inflightKeys
	failure  atomic.Pointer[error] // the log failure that made the server read-only
	gate     appendGate            // appends until the server stops
	tickHook func()                // tests: called after each tick record is appended

	guard     *auth.Guard
	openLocks sync.Map     // owner name → *sync.Mutex (auth.go)
	hist      *historyFeed // nil: no history (history.go)

	api         *apispec.Doc           // the OpenAPI description (openapi.go)
	patterns    []string               // the routes' patterns, as registered (apiMux)
	actionsJSON []byte                 // GET /v1/actions, built once
	configJSON  atomic.Pointer[[]byte] // GET /v1/config, rebuilt on reload
	handler     http.Handler

	boards wallboardsCache // GET /v1/wallboards (wallboards.go)
	trends *trend.Recorder // GET /v1/trends and /v1/clock (trends.go)
}

// New builds a server for opts.Config: it recovers the state from the log (a snapshot
// and the records after it), or opens the config's statistics in a new engine
// (skipping, with a warning, those the engine does not compute yet).
func New(opts Options) (*Server, error) {
	if opts.Config == nil {
		return nil, errors.New("server: no config")
	}
	opts = opts.withDefaults()
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		entries:   make(chan store.Entry, 64),
		ops:       make(chan *op),
		ownerDone: make(chan struct{}),
		closing:   make(chan struct{}),
		trends:    trend.NewRecorder(),
		slots:     make(chan struct{}, opts.IngestQueue),
	}
	s.applied.init()
	s.keys.m = map[string]*keyWait{}
	s.m = newMetrics(func() float64 { return float64(len(s.slots)) }, func() float64 { return float64(s.held.Load()) })
	s.cfg.Store(opts.Config)
	var err error
	if s.src, err = newSources(opts.Sources, s.m.reg); err != nil {
		return nil, err
	}
	switch {
	case opts.Log != nil:
		s.lg, s.durable = opts.Log, true
	case opts.Store != nil:
		l, err := store.NewLog(opts.Store)
		if err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		s.lg, s.closeLog, s.durable = l, l.Close, true
	default:
		l := store.NewMemLog()
		s.lg, s.closeLog = l, l.Close
	}
	if r, ok := s.lg.(Replicated); ok {
		s.repl = r
		s.m.registerReplica(r.ReplicaStatus, func() float64 { return float64(s.applied.get()) })
	}
	if opts.HistoryDB != nil {
		if s.hist, err = newHistoryFeed(s, *opts.HistoryDB); err != nil {
			if s.closeLog != nil {
				s.closeLog()
			}
			return nil, err
		}
	}
	if err := s.recover(); err != nil {
		if s.closeLog != nil {
			s.closeLog()
		}
		return nil, err
	}
	cfg, text := s.own.mach.Config()
	s.cfg.Store(cfg)
	s.cfgText.Store(&text)
	if s.actionsJSON, err = actionsJSON(); err != nil {
		return nil, err
	}
	if s.api, err = apispec.Load(); err != nil {
		return nil, err
	}
	s.m.reg.MustRegister(newExportCollector(s))
	cj, err := configJSON(cfg)
	if err != nil {
		return nil, err
	}
	s.configJSON.Store(&cj)
	if s.guard = opts.Guard; s.guard == nil {
		if s.guard, err = auth.New(auth.Options{Logger: s.log}); err != nil {
			return nil, err
		}
	}
	if s.handler, err = s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the server's HTTP handler (the API, /metrics, /healthz and the
// wallboard at /). It answers API calls only while Serve runs.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve runs the engine's owner goroutine, the clock and HTTP on ln until ctx is done,
// then shuts down gracefully: it stops accepting connections, ends the streams, waits (up
// to Options.ShutdownTimeout) for in-flight requests — the events they carry are applied
// — stops the clock, applies every record still durable in the log and stops the owner.
// It returns nil after a clean shutdown. Serve may be called once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.served.CompareAndSwap(false, true) {
		return errors.New("server: Serve called twice")
	}
	open := s.own.mach.Len() // read before the owner goroutine owns it
	stop := s.start()
	trendsDone := make(chan struct{})
	go func() { defer close(trendsDone); s.recordTrends() }()
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      0, // streams are long; every response sets its own write deadline
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    s.opts.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "statistics", open)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served: // the listener failed
		served = nil
	}
	close(s.closing)
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		s.log.Warn("shutdown: closing connections still busy", "err", err)
		hs.Close()
	}
	if served != nil {
		serveErr = <-served
	}
	stop()
	<-trendsDone
	s.log.Info("stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", serveErr)
	}
	return nil
}

// start runs the owner goroutine and the clock; the function it returns stops the clock,
// then the owner (which applies what is durable first and writes a last snapshot), then
// closes a log the server made.
func (s *Server) start() func() {
	quit := make(chan struct{})
	go s.run(quit)
	if s.hist != nil {
		s.hist.start()
	}
	cctx, cancelClock := context.WithCancel(context.Background())
	clockDone := make(chan struct{})
	go func() { defer close(clockDone); s.runClock(cctx) }()
	sourcesDone := s.startSources(cctx)
	return func() {
		cancelClock()
		<-clockDone
		<-sourcesDone
		s.gate.close() // the demo feed may still be appending
		close(quit)
		<-s.ownerDone
		s.waitSnapshot()
		if s.hist != nil {
			s.hist.stop() // flushes what the owner applied
		}
		if s.closeLog != nil {
			if err := s.closeLog(); err != nil {
				s.log.Error("closing the log", "err", err)
			}
		}
	}
}

// routes builds the request multiplexer, each route behind its access rule (auth.go)
// and its query parameters' check (apiMux: a parameter docs/openapi.yaml does not
// declare for the route is 400).
func (s *Server) routes() (http.Handler, error) {
	mux := apiMux{http.NewServeMux(), s}
	mux.Handle("POST /v1/events", s.require(auth.Ingest, s.postEvents))
	mux.Handle("POST /v1/statistics", s.require(auth.Read, s.postStatistic))
	mux.Handle("GET /v1/statistics", s.require(auth.Read, s.listStatistics))
	mux.Handle("GET /v1/statistics/{id}", s.require(auth.Read, s.getStatistic))
	mux.Handle("DELETE /v1/statistics/{id}", s.require(auth.Read, s.deleteStatistic))
	mux.Handle("GET /v1/values", s.require(auth.Read, s.getValues))
	mux.Handle("GET /v1/stream", s.guard.Require(auth.Read, s.guard.LimitStreams(http.HandlerFunc(s.stream))))
	mux.Handle("POST /v1/stream/ticket", s.require(auth.Read, s.streamTicket))
	mux.Handle("GET /v1/actions", s.require(auth.Read, s.rawJSON(s.actionsJSON)))
	mux.Handle("GET /v1/config", s.require(auth.Read, func(w http.ResponseWriter, r *http.Request) { s.rawJSON(*s.configJSON.Load())(w, r) }))
	mux.Handle("POST /v1/config/reload", s.require(auth.Admin, s.postReloadGuarded))
	mux.Handle("/v1/wallboards", s.require(auth.Read, s.getWallboards))
	mux.Handle("/v1/trends", s.require(auth.Read, s.getTrends))
	mux.Handle("/v1/clock", s.require(auth.Read, s.getClock))
	mux.Handle("/v1/history", s.require(auth.Read, s.getHistory))
	mux.HandleFunc("GET /v1/openapi.json", s.serveDoc(s.api.JSON, "application/json")) // open: the API's description
	mux.HandleFunc("GET /v1/openapi.yaml", s.serveDoc(s.api.YAML, "application/yaml"))
	mux.Handle("/v1/", s.require(auth.Read, s.notFound))
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.HandleFunc("GET /healthz", s.healthz)
	wh, err := s.webHandler()
	if err != nil {
		return nil, err
	}
	mux.Handle("/", wh)
	return s.logRequests(s.guard.Wrap(mux)), nil
}

// readOnly lets GET and HEAD requests through to next and answers others with 405.
// (The wallboard is registered for every method, because "GET /" would conflict with
// the "/v1/" catch-all.)
func (s *Server) readOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			s.writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records a response's status and size for the request log, and sets the
// response's write deadline when it starts; Unwrap lets http.ResponseController reach
// the connection (flushes, deadlines).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	// deadline, when positive, is the time the response may take to write, from its
	// first byte (so that waiting for the engine does not count).
	deadline time.Duration
}

// begin starts the response with status code.
func (w *statusWriter) begin(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	if w.deadline > 0 {
		// Best effort: a writer without deadlines (httptest) just has none.
		_ = http.NewResponseController(w.ResponseWriter).SetWriteDeadline(time.Now().Add(w.deadline))
	}
}

// WriteHeader records code and starts the response.
func (w *statusWriter) WriteHeader(code int) {
	w.begin(code)
	w.ResponseWriter.WriteHeader(code)
}

// Write starts the response (200 unless WriteHeader did) and counts the bytes.
func (w *statusWriter) Write(b []byte) (int, error) {
	w.begin(http.StatusOK)
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap returns the wrapped writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests gives every response but the stream's (which sets a deadline per write) a
// write deadline, and logs each request at debug level.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		if r.URL.Path != "/v1/stream" {
			sw.deadline = s.opts.WriteTimeout
		}
		next.ServeHTTP(sw, r)
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
			slog.Duration("took", time.Since(t0)), slog.String("remote", r.RemoteAddr))
	})
}
