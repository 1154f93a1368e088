package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// runSimulate implements `statkit simulate`: it prints a simulated contact center's
// events as NDJSON, optionally paced in real time, and optionally writes the matching
// config so the output can be replayed.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cfg sim.Config
	fl.IntVar(&cfg.Agents, "agents", sim.DefaultAgents, "number of agents")
	fl.IntVar(&cfg.Queues, "queues", sim.DefaultQueues, "number of ACD queues")
	fl.IntVar(&cfg.Groups, "groups", 0, "number of agent skill groups (0: as many as queues)")
	fl.Float64Var(&cfg.Rate, "rate", 0, "calls per minute over all queues (0: what keeps agents 85% busy)")
	fl.DurationVar(&cfg.Duration, "duration", time.Hour, "simulated time span (Go duration)")
	start := fl.String("start", sim.DefaultStart().Format(time.RFC3339), "simulated start time (RFC 3339, or \"now\")")
	fl.Uint64Var(&cfg.Seed, "seed", 1, "random seed; the same flags and seed give the same events")
	fl.StringVar(&cfg.Tenant, "tenant", "", "tenant of every object (default \"default\")")
	speed := fl.Float64("speed", 0, "pace: 0 = as fast as possible, 1 = real time, 60 = a minute per second")
	topology := fl.String("topology", "", "also write the matching config (topology and statistics) to this YAML file")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit simulate [flags]\n\nPrints a simulated contact center's events as NDJSON on stdout.\n\nflags:")
		printFlags(fl)
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *start == "now" {
		cfg.Start = time.Now().UTC()
	} else {
		t, err := time.Parse(time.RFC3339, *start)
		if err != nil {
			return fmt.Errorf("%w: --start: %v", errUsage, err)
		}
		cfg.Start = t
	}
	if *speed < 0 {
		return fmt.Errorf("%w: --speed must not be negative", errUsage)
	}
	s, err := sim.New(cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *topology != "" {
		if err := writeSimConfig(*topology, cfg); err != nil {
			return err
		}
	}
	return simulateTo(ctx, s, *speed, stdout)
}

// writeSimConfig writes the simulation's config to path.
func writeSimConfig(path string, cfg sim.Config) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sim.WriteConfig(f, cfg); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// simulateTo encodes the events of s to w, paced at speed (flushing each event when
// paced). An interrupt (ctx done) ends the stream cleanly.
func simulateTo(ctx context.Context, s *sim.Sim, speed float64, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := event.NewEncoder(bw)
	write := func(e event.Event) error {
		if err := enc.Encode(e); err != nil {
			return err
		}
		if speed > 0 {
			return bw.Flush()
		}
		return nil
	}
	var err error
	if speed > 0 {
		err = sim.Pace(ctx, s, s.Config().Start, speed, nil, write)
	} else {
		err = s.Run(ctx, write)
	}
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
