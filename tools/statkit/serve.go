package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/statkit/statkit/runtime/auth"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/server"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/input"
	"github.com/statkit/statkit/runtime/store"
)

// demoDuration is how long the demo's simulated day lasts.
const demoDuration = 24 * time.Hour

// runServe implements `statkit serve`: the HTTP server over a config, or with --demo
// over a simulated contact center fed in process at real-time pace.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) (retErr error) {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfgPath := fl.String("config", "", "config file (YAML)")
	demo := fl.Bool("demo", false, "serve a simulated contact center with a built-in wallboard config")
	addr := fl.String("addr", auth.DefaultAddr, "listen address (host:port); beyond this machine (e.g. :8080) it needs --tokens or --insecure")
	var sc sim.Config
	fl.IntVar(&sc.Agents, "agents", sim.DefaultAgents, "demo: number of agents")
	fl.IntVar(&sc.Queues, "queues", sim.DefaultQueues, "demo: number of ACD queues")
	fl.Uint64Var(&sc.Seed, "seed", 1, "demo: random seed")
	speed := fl.Float64("speed", 1, "demo: pace, 1 = real time, 60 = a simulated minute per second")
	tick := fl.Duration("tick", server.DefaultTickInterval, "advance the engine clock to the wall clock this often (0: never)")
	tickLag := fl.Duration("tick-lag", server.DefaultTickLag, "how far behind the wall clock a tick leaves the engine (at least --reorder-window); an event later than that is applied at the engine clock and reported late")
	window := fl.Duration("reorder-window", server.DefaultReorderWindow, "hold events up to this much event time and apply them in time order (0: apply each batch at once); never longer than that in wall time")
	maxSkew := fl.Duration("max-skew", server.DefaultMaxSkew, "refuse events more than this ahead of the wall clock (future_event; 0: no check); with --tick 0 there is no check")
	keyWindow := fl.Duration("idempotency-window", server.DefaultIdempotencyWindow, "keep the answer of each Idempotency-Key this long (retries within it are not applied again; 0: no age bound)")
	maxKeys := fl.Int("idempotency-keys", server.DefaultIdempotencyKeys, "keep at most this many Idempotency-Keys (oldest first go; 0: no bound)")
	maxBody := fl.Int64("max-body", server.DefaultMaxBodyBytes, "largest POST /v1/events body, in bytes")
	logLevel := fl.String("log-level", "info", "log level: debug (logs every request), info, warn or error")
	logFormat := fl.String("log-format", "text", "log format on stderr: text (key=value) or json (one object per line)")
	dataDir := fl.String("data", "", "data directory: log every accepted event and snapshot the engine there, and recover from it at start (durable mode)")
	fsync := fl.String("fsync", "always", "durable mode: when to fsync the log before acknowledging: always (every batch), interval (group commit every --fsync-interval) or none (the OS decides; a power failure may lose acknowledged events)")
	fsyncInterval := fl.Duration("fsync-interval", store.DefaultFsyncInterval, "durable mode: group commit period of --fsync interval")
	snapEvery := fl.Int("snapshot-every", 10000, "durable mode: snapshot the engine after this many log records (batches, ticks, opens…)")
	snapInterval := fl.Duration("snapshot-interval", 5*time.Minute, "durable mode: snapshot at least this often while records are logged")
	keepSnaps := fl.Int("keep-snapshots", store.DefaultKeepSnapshots, "durable mode: snapshots kept; log segments older than the oldest are removed")
	ingestQueue := fl.Int("ingest-queue", server.DefaultIngestQueue, "batches that may wait for the engine; when full, POST /v1/events answers 429 with Retry-After")
	var sourceSpecs []string
	fl.Func("source", "follow a live platform, `FORMAT:ADDRESS` (repeatable): asterisk-queue-log:/var/log/asterisk/queue_log (a file: tailed across rotations),\n"+
		"asterisk-ami:HOST[:5038] or freeswitch-esl:HOST[:8021] (a connection; credentials from --source-credentials or the environment)",
		func(v string) error { sourceSpecs = append(sourceSpecs, v); return nil })
	sourceCreds := fl.String("source-credentials", "", "file of the live sources' secrets, NAME=VALUE lines, mode 600: "+input.EnvAMIUsername+", "+input.EnvAMISecret+
		" (AMI), "+input.EnvESLPassword+" (ESL); without it they are read from the environment (never from a flag)")
	sourceAttach := fl.String("source-attach", "", "comma-separated channel variables the live sources keep as attached data (e.g. SEGMENT,LANG)")
	secFlags := addSecurityFlags(fl)
	repFlags := addReplicaFlags(fl)
	histFlags := addHistoryFlags(fl)
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit serve (--config C [--source FORMAT:ADDRESS]… | --demo [--agents N --speed X --seed S]) [--addr 127.0.0.1:8080] [--tokens FILE] [--tls-cert C --tls-key K] [--data DIR --fsync always|interval|none] [--history DSN|off] [--nats URL,…|embedded [--tenants a,b]]\n\nServes the statistics API, the live stream and the wallboard.\n\nflags:")
		printFlags(fl)
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case *cfgPath == "" && !*demo:
		return fmt.Errorf("%w: give --config C or --demo", errUsage)
	case *cfgPath != "" && *demo:
		return fmt.Errorf("%w: --config and --demo exclude each other (the demo has its own config)", errUsage)
	case *speed <= 0:
		return fmt.Errorf("%w: --speed must be positive", errUsage)
	case *tick < 0 || *tickLag < 0:
		return fmt.Errorf("%w: --tick and --tick-lag must not be negative", errUsage)
	case *window < 0 || *maxSkew < 0 || *keyWindow < 0 || *maxKeys < 0:
		return fmt.Errorf("%w: --reorder-window, --max-skew, --idempotency-window and --idempotency-keys must not be negative", errUsage)
	case *demo && len(sourceSpecs) > 0:
		return fmt.Errorf("%w: --source goes with --config (the demo simulates its own contact center)", errUsage)
	}
	sources, err := liveSources(sourceSpecs, *sourceCreds, *sourceAttach)
	if err != nil {
		return err
	}
	if err := repFlags.check(); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	for i := range sources {
		sources[i].logger = log
	}

	policy, err := store.ParsePolicy(*fsync)
	if err != nil {
		return fmt.Errorf("%w: --fsync: %v", errUsage, err)
	}
	opts := server.Options{Logger: log, TickInterval: *tick, TickLag: *tickLag, MaxBodyBytes: *maxBody,
		IngestQueue: *ingestQueue, SnapshotEvery: *snapEvery, SnapshotInterval: *snapInterval}
	for _, src := range sources {
		opts.Sources = append(opts.Sources, src.Source)
	}
	sec, err := secFlags.setup(*addr, log, &opts)
	if err != nil {
		return err
	}
	if *snapEvery <= 0 {
		opts.SnapshotEvery = -1
	}
	if *tick == 0 {
		opts.TickInterval = -1
	}
	if *tickLag == 0 {
		opts.TickLag = -1
	}
	// Zero means none for these flags; the Options' zero is the default.
	negIfZero := func(d time.Duration) time.Duration {
		if d == 0 {
			return -1
		}
		return d
	}
	opts.ReorderWindow, opts.MaxSkew, opts.IdempotencyWindow = negIfZero(*window), negIfZero(*maxSkew), negIfZero(*keyWindow)
	opts.IdempotencyKeys = *maxKeys
	if *maxKeys == 0 {
		opts.IdempotencyKeys = -1
	}
	var src *sim.Paced
	if *demo {
		sc.Start = time.Now().UTC()
		sc.Duration = demoDuration
		sc.LoginSpread = 30 * time.Second
		sc = sim.Demo(sc) // peaks, a queue that falls behind, staffing that lags: a board in every colour
		s, err := sim.New(sc)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if opts.Config, opts.ConfigText, err = democonfig.BuildText(sc); err != nil {
			return err
		}
		// Event time runs at speed × wall time; the ticker follows it, and its lag
		// covers a wall second of pacing jitter at any speed. The simulator's events go
		// through the same pipeline as any input (input "demo").
		opts.Clock = server.ScaledClock(sc.Start, *speed)
		opts.TickLag = max(opts.TickLag, time.Duration(*speed*float64(time.Second)))
		src = sim.NewPaced(s, sc.Start, *speed, nil)
	} else {
		// Filters and formulas are compiled at load, so a bad one is a positioned error.
		load := func() (*config.Config, []byte, error) {
			text, err := os.ReadFile(*cfgPath)
			if err != nil {
				return nil, nil, err
			}
			cfg, err := config.Load(*cfgPath, bytes.NewReader(text)) // compiles filters and formulas
			return cfg, text, err
		}
		cfg, text, err := load()
		if err != nil {
			return err
		}
		opts.Config, opts.ConfigText, opts.Reload = cfg, text, load
	}
	if opts.HistoryDB, err = histFlags.options(*dataDir, log); err != nil {
		return err
	}
	// With --nats the log is the JetStream stream, and --data the snapshot cache.
	node, err := repFlags.start(ctx, &opts, *dataDir, *addr, sec.scheme(), log)
	if err != nil {
		return err
	}
	if node != nil {
		defer node.Close()
		if err := histFlags.replica(opts.HistoryDB, node, repFlags, opts.Config, log); err != nil {
			return err
		}
	} else if *dataDir == "" {
		log.Warn("not durable: no --data directory; every statistic starts over at the next start")
	} else {
		st, err := store.Open(store.Options{Dir: *dataDir, Fsync: policy, FsyncInterval: *fsyncInterval,
			KeepSnapshots: *keepSnaps, Logger: log, RecoverLossy: secFlags.recoverLossy})
		if err != nil {
			return storeOpenError(err, *dataDir)
		}
		if rec := st.Recovery(); len(rec.Dropped) > 0 {
			log.Error("started lossily (--recover-lossy): the records listed above are not in the values served", "from", rec.End, "kept", rec.LostDir)
		}
		defer func() {
			// SIGTERM on a frozen disk: Close gives up after its timeout, and serve exits
			// non-zero.
			if err := st.Close(); err != nil {
				log.Error("closing the data directory", "err", err)
				if retErr == nil {
					retErr = err
				}
			}
		}()
		opts.Store = st
		log.Info("durable mode", "data", *dataDir, "fsync", policy.String())
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	// SIGHUP reloads the config, the tokens file and the TLS certificate.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if opts.Reload != nil {
				if _, err := srv.Reload(ctx); err != nil {
					log.Error("config reload refused; the running config stays", "err", err)
				}
			}
			sec.reload(log)
		}
	}()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return listenError(*addr, err)
	}
	ln = sec.listen(ln)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	var feed func(ctx context.Context)
	if src != nil {
		fmt.Fprintf(stdout, "statkit demo: open %s\n", browseURL(sec.scheme(), ln.Addr()))
		feed = func(ctx context.Context) {
			if err := srv.Feed(ctx, src); err != nil && !errors.Is(err, server.ErrStopped) && ctx.Err() == nil {
				log.Error("demo feed stopped", "err", err)
			}
		}
		if node == nil {
			go feed(ctx)
		}
	} else {
		fmt.Fprintf(stdout, "statkit: serving on %s\n", browseURL(sec.scheme(), ln.Addr()))
		for _, src := range sources {
			fmt.Fprintf(stdout, "statkit: following %s\n", src.Input)
		}
	}
	// A replica feeds its inputs only while it holds its group's clock.
	defer repFlags.run(ctx, node, sec.scheme(), ln.Addr(), feed, log)()
	// Serve drains requests for up to its shutdown timeout; past that and the store's
	// close timeout, a frozen disk is given up on.
	return waitServed(ctx.Done(), served, server.DefaultShutdownTimeout+store.DefaultCloseTimeout)
}

// browseURL returns the URL a browser on this machine opens for a listener at addr: an
// unspecified host (":8080", "[::]:8080") becomes localhost.
func browseURL(scheme string, addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + "://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// liveSource is a --source: the server's Source, opened with the serve logger.
type liveSource struct {
	server.Source
	logger *slog.Logger
}

// liveSources parses the --source values: each FORMAT:ADDRESS once, a queue_log's path
// made absolute (the input's name must be the same at every start: it keys the position
// the source resumes from), the credentials of connections checked now, so that a
// missing secret stops serve before it starts rather than at the first connection.
func liveSources(specs []string, creds, attach string) ([]*liveSource, error) {
	var vars []string
	for _, v := range strings.Split(attach, ",") {
		if v = strings.TrimSpace(v); v != "" {
			vars = append(vars, v)
		}
	}
	var out []*liveSource
	seen := map[string]bool{}
	for _, spec := range specs {
		sp, err := input.ParseSpec(spec)
		if err != nil {
			return nil, fmt.Errorf("%w: --source: %v", errUsage, err)
		}
		switch sp.Format.Wire {
		case "queuelog":
			if sp.Address, err = filepath.Abs(sp.Address); err != nil {
				return nil, fmt.Errorf("--source %s: %w", spec, err)
			}
		case "ami":
			if _, err := source.LoadCredentials(creds, input.EnvAMIUsername, input.EnvAMISecret); err != nil {
				return nil, fmt.Errorf("--source %s: %w", spec, err)
			}
		case "esl":
			if _, err := source.LoadCredentials(creds, input.EnvESLPassword); err != nil {
				return nil, fmt.Errorf("--source %s: %w", spec, err)
			}
		}
		name := sp.Format.Name + ":" + sp.Address
		if seen[name] {
			return nil, fmt.Errorf("%w: --source %s is given twice", errUsage, name)
		}
		seen[name] = true
		ls := &liveSource{Source: server.Source{Input: name, Format: sp.Format.Name, Attach: vars}}
		ls.Open = func(pos []byte) (source.Source, error) {
			return input.Open(sp, pos, input.LiveOptions{Credentials: creds, Attach: vars, Logger: ls.logger})
		}
		out = append(out, ls)
	}
	return out, nil
}
