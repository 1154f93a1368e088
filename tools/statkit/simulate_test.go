package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// simulateOutput runs `statkit simulate args…` and returns its stdout.
func simulateOutput(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := runSimulate(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("simulate %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

func TestSimulateWritesReplayableEvents(t *testing.T) {
	for _, seed := range []string{"1", "2", "3"} {
		cfgPath := filepath.Join(t.TempDir(), "sim.yaml")
		out := simulateOutput(t, "--agents", "15", "--queues", "3", "--duration", "45m", "--seed", seed,
			"--start", "2026-03-01T09:30:00+01:00", "--topology", cfgPath)
		cfg, err := config.LoadFile(cfgPath)
		if err != nil {
			t.Fatalf("seed %s: --topology config does not load: %v", seed, err)
		}
		if len(cfg.Statistics) == 0 {
			t.Fatalf("seed %s: the config has no statistics", seed)
		}
		dec := event.NewDecoder(bytes.NewReader(out), event.Options{Resolver: &cfg.Topology})
		n := 0
		for {
			e, rej, err := dec.Next()
			if err != nil {
				break
			}
			if rej != nil {
				t.Fatalf("seed %s: line rejected: %s", seed, rej.Error())
			}
			if start := time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC); n == 0 && e.Time.Std().Before(start) {
				t.Fatalf("seed %s: first event at %s, before the start", seed, e.Time)
			}
			n++
		}
		if n < 500 {
			t.Fatalf("seed %s: only %d events", seed, n)
		}
		// The stream replays through `statkit replay --strict` with no rejection.
		evPath := filepath.Join(t.TempDir(), "events.ndjson")
		if err := os.WriteFile(evPath, out, 0o644); err != nil {
			t.Fatal(err)
		}
		var rout, rerr bytes.Buffer
		if err := runReplay(context.Background(), []string{"--config", cfgPath, "--events", evPath, "--strict"}, &rout, &rerr); err != nil {
			t.Fatalf("seed %s: replay --strict: %v\n%s", seed, err, rerr.String())
		}
		if rerr.Len() != 0 || rout.Len() == 0 {
			t.Fatalf("seed %s: replay --strict wrote %d bytes of values and stderr %q", seed, rout.Len(), rerr.String())
		}
		if again := simulateOutput(t, "--agents", "15", "--queues", "3", "--duration", "45m", "--seed", seed,
			"--start", "2026-03-01T09:30:00+01:00"); !bytes.Equal(out, again) {
			t.Fatalf("seed %s: two runs differ", seed)
		}
	}
}

func TestSimulateBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--agents", "x"},
		{"--start", "yesterday"},
		{"--agents", "2", "--groups", "3"},
		{"--speed", "-1"},
		{"extra"},
	} {
		var stdout, stderr bytes.Buffer
		err := runSimulate(context.Background(), args, &stdout, &stderr)
		if !errors.Is(err, errUsage) {
			t.Errorf("simulate %v: %v, want a usage error", args, err)
		}
		if stdout.Len() != 0 {
			t.Errorf("simulate %v wrote events", args)
		}
	}
}

func TestSimulatePacedStopsOnInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	if err := runSimulate(ctx, []string{"--speed", "1"}, &stdout, &stderr); err != nil {
		t.Fatalf("an interrupted paced run: %v", err)
	}
	if strings.Count(stdout.String(), "\n") > 0 {
		t.Fatalf("a run interrupted before it started wrote %q", stdout.String())
	}
}
