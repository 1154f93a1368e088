package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/server"
	"github.com/statkit/statkit/runtime/sim"
)

// demoDuration is how long the demo's simulated day lasts.
const demoDuration = 24 * time.Hour

// runServe implements `statkit serve`: the HTTP server over a config, or with --demo
// over a simulated contact center fed in process at real-time pace.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfgPath := fl.String("config", "", "config file (YAML)")
	demo := fl.Bool("demo", false, "serve a simulated contact center with a built-in wallboard config")
	addr := fl.String("addr", ":8080", "listen address")
	var sc sim.Config
	fl.IntVar(&sc.Agents, "agents", sim.DefaultAgents, "demo: number of agents")
	fl.IntVar(&sc.Queues, "queues", sim.DefaultQueues, "demo: number of ACD queues")
	fl.Uint64Var(&sc.Seed, "seed", 1, "demo: random seed")
	speed := fl.Float64("speed", 1, "demo: pace, 1 = real time, 60 = a simulated minute per second")
	tick := fl.Duration("tick", server.DefaultTickInterval, "advance the engine clock to the wall clock this often (0: never)")
	tickLag := fl.Duration("tick-lag", server.DefaultTickLag, "how far behind the wall clock a tick leaves the engine; events later than this are rejected as late")
	maxBody := fl.Int64("max-body", server.DefaultMaxBodyBytes, "largest POST /v1/events body, in bytes")
	logLevel := fl.String("log-level", "info", "log level: debug (logs every request), info, warn or error")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: statkit serve (--config C | --demo [--agents N --speed X --seed S]) [--addr :8080]\n\nServes the statistics API, the live stream and the wallboard.\n\nflags:")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	case *cfgPath == "" && !*demo:
		return fmt.Errorf("%w: give --config C or --demo", errUsage)
	case *cfgPath != "" && *demo:
		return fmt.Errorf("%w: --config and --demo exclude each other (the demo has its own config)", errUsage)
	case *speed <= 0:
		return fmt.Errorf("%w: --speed must be positive", errUsage)
	case *tick < 0 || *tickLag < 0:
		return fmt.Errorf("%w: --tick and --tick-lag must not be negative", errUsage)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	opts := server.Options{Logger: log, TickInterval: *tick, TickLag: *tickLag, MaxBodyBytes: *maxBody}
	if *tick == 0 {
		opts.TickInterval = -1
	}
	if *tickLag == 0 {
		opts.TickLag = -1
	}
	var src *sim.Paced
	if *demo {
		sc.Start = time.Now().UTC()
		sc.Duration = demoDuration
		sc.LoginSpread = 30 * time.Second
		s, err := sim.New(sc)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if opts.Config, err = server.DemoConfig(sc); err != nil {
			return err
		}
		// Event time runs at speed × wall time; the ticker follows it, and its lag
		// covers a wall second of pacing jitter at any speed.
		opts.Clock = server.ScaledClock(sc.Start, *speed)
		opts.TickLag = max(opts.TickLag, time.Duration(*speed*float64(time.Second)))
		src = sim.NewPaced(s, sc.Start, *speed, nil)
	} else {
		// Filters and formulas are compiled at load, so a bad one is a positioned error.
		cfg, err := config.LoadFileWith(*cfgPath, config.Options{
			CompileFilter: engine.CompileFilter, CompileFormula: engine.CompileFormula,
		})
		if err != nil {
			return err
		}
		opts.Config = cfg
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	if src != nil {
		fmt.Fprintf(stdout, "statkit demo: open %s\n", browseURL(ln.Addr()))
		go func() {
			if err := srv.Feed(ctx, src); err != nil && !errors.Is(err, server.ErrStopped) {
				log.Error("demo feed stopped", "err", err)
			}
		}()
	} else {
		fmt.Fprintf(stdout, "statkit: serving on %s\n", browseURL(ln.Addr()))
	}
	return <-served
}

// browseURL returns the URL a browser on this machine opens for a listener at addr: an
// unspecified host (":8080", "[::]:8080") becomes localhost.
func browseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
