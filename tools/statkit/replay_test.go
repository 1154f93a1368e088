package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// replayOut runs `statkit replay args…` and returns stdout, stderr and the error.
func replayOut(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runReplay(context.Background(), args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

var (
	replayConfig = filepath.Join("testdata", "replay", "config.yaml")
	replayEvents = filepath.Join("testdata", "replay", "events.ndjson")
)

// TestReplayValues replays testdata/replay and compares with values worked out by hand.
//
// At 09:01:00 (lines 1-7 applied): one call distributed after a 12 s wait; the agent on
// it since 09:00:20 (talk time still 0, not ready). At 09:05:00: a second call
// distributed after 4.5 s, so 2 answered with an average wait of (12 + 4.5)/2 = 8.25 s;
// talk 09:00:20 → 09:02:20 = 120 s; the agent ready again since 09:02:20.
// Lines 8 (unknown action), 10 (second end of c1) and 13 (older than 09:02:30) are
// rejected.
func TestReplayValues(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "replay", "want.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := replayOut(t, "--config", replayConfig, "--events", replayEvents,
		"--at", "2026-11-26T09:05:00Z", "--at", "2026-11-26T09:01:00+00:00")
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr)
	}
	if stdout != string(want) {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	wantErr := replayEvents + `:8: unknown action "NoSuchAction" [unknown_action]
` + replayEvents + `:10: CallInbound is not in progress on regular_dn "7001" (interaction "c1") [end_without_start]
` + replayEvents + `:13: event at 2026-11-26T09:01:00.000Z is before the engine clock 2026-11-26T09:02:30.000Z [late_event]
`
	if stderr != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, wantErr)
	}
	again, _, _ := replayOut(t, "--config", replayConfig, "--events", replayEvents,
		"--at", "2026-11-26T09:05:00Z", "--at", "2026-11-26T09:01:00+00:00")
	if again != stdout {
		t.Error("a second replay printed different bytes")
	}
}

// TestReplayDefaultAtAndTable: without --at, values are at the last applied event's time
// (09:02:30; the late line 13 does not move the clock); table output is aligned.
func TestReplayDefaultAtAndTable(t *testing.T) {
	stdout, _, err := replayOut(t, "--config", replayConfig, "--events", replayEvents, "--format", "table")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("want a header and 5 rows, got:\n%s", stdout)
	}
	at := strings.Index(lines[0], " AT ") + 1
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[at:], "2026-11-26T09:02:30.000Z") {
			t.Errorf("row not aligned or not at 09:02:30: %q", l)
		}
	}
	for _, want := range []string{"q-wait      AverageWait    Queue:Support@SW1  Default  -      -       2026-11-26T09:02:30.000Z  8.25", "talk "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
}

func TestReplayStrict(t *testing.T) {
	_, stderr, err := replayOut(t, "--config", replayConfig, "--events", replayEvents, "--strict")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("want exit status 1, got %v", err)
	}
	if !strings.Contains(stderr, "3 line(s) rejected") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestReplayUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--events", replayEvents},
		{"--config", replayConfig},
		{"--config", replayConfig, "--events", replayEvents, "--at", "yesterday"},
		{"--config", replayConfig, "--events", replayEvents, "--format", "xml"},
		{"--config", replayConfig, "--events", replayEvents, "extra"},
	} {
		if _, _, err := replayOut(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: want a usage error, got %v", args, err)
		}
	}
	if _, _, err := replayOut(t, "--config", replayConfig, "--events", "testdata/replay/missing.ndjson"); err == nil || errors.Is(err, errUsage) {
		t.Errorf("missing events file: got %v", err)
	}
}
