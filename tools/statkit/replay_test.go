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
// distributed after 4.5 s, and line 13 (09:01:00, a call distributed after 1 s) came
// after the engine clock had passed it: the reorder window (2 s) held line 12 (09:02:30)
// while releasing lines 9-11 (09:02:20), so line 13 is late by 80 s and is applied at
// 09:02:20. So 3 answered with an average wait of (12 + 4.5 + 1)/3 = 5.833 s; talk
// 09:00:20 → 09:02:20 = 120 s; the agent ready again since 09:02:20.
// Lines 8 (unknown action) and 10 (second end of c1) are rejected.
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
` + replayEvents + `:13: late by 1m20s: applied at the engine clock 2026-11-26T09:02:20.000Z [late]
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

// TestReplayDefaultAtAndTable: without --at, values are at the engine clock at the end
// (09:02:30, line 12, released at the end of the file; the late line 13 does not move
// the clock); table output is aligned, times read h:mm:ss and a current state reads in
// one line.
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
	// Times read h:mm:ss (5.833 s of average wait: (12 + 4.5 + 1)/3 with the late line
	// 13; 120 s of talk), a current state as its status, since when and for how long
	// (09:02:20 to 09:02:30), and its children.
	for _, want := range []string{
		"q-wait      AverageWait    Queue:Support@SW1  Default  -      -       2026-11-26T09:02:30.000Z  0:00:05.833\n",
		"q-answered  CallsAnswered  Queue:Support@SW1  Default  -      -       2026-11-26T09:02:30.000Z  3\n",
		"talk        TalkTime       Agent:1001         Default  -      -       2026-11-26T09:02:30.000Z  0:02:00\n",
		"2026-11-26T09:02:30.000Z  WaitForNextCall since 09:02:20 (0:00:10); 1 child: 1 WaitForNextCall\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
}

// TestReplayNoEvent: with no event applied and no --at, the values are at no time ("at"
// null, "-" in a table), not at the zero time, and a CurrentState holds since no known
// time either ("since" null); an explicit --at still names its instant.
func TestReplayNoEvent(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.ndjson")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := replayOut(t, "--config", replayConfig, "--events", empty)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(stdout, `"at":null`) != 5 || strings.Contains(stdout, `"at":"`) || !strings.Contains(stdout, `"since":null`) || strings.Contains(stdout, "1970") {
		t.Errorf("want every at and since null:\n%s", stdout)
	}
	stdout, _, err = replayOut(t, "--config", replayConfig, "--events", empty, "--format", "table")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	at := strings.Index(lines[0], " AT ") + 1
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[at:], "- ") {
			t.Errorf("want no time in the AT column: %q", l)
		}
	}
	stdout, _, err = replayOut(t, "--config", replayConfig, "--events", empty, "--at", "2026-11-26T09:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, `"at":"2026-11-26T09:00:00.000Z"`) {
		t.Errorf("an explicit --at names its instant:\n%s", stdout)
	}
}

func TestReplayStrict(t *testing.T) {
	_, stderr, err := replayOut(t, "--config", replayConfig, "--events", replayEvents, "--strict")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("want exit status 1, got %v", err)
	}
	if !strings.Contains(stderr, "2 line(s) rejected") {
		t.Errorf("stderr: %s", stderr)
	}
}

// TestReplayWindowZero: without a reorder window every line is applied as it comes, so
// line 13 is late against line 12 (09:02:30) and applied then: still 3 answered and
// the same average, at 09:02:30 instead of 09:02:20 (AverageWait has no time in it).
func TestReplayWindowZero(t *testing.T) {
	stdout, stderr, err := replayOut(t, "--config", replayConfig, "--events", replayEvents, "--reorder-window", "0",
		"--at", "2026-11-26T09:02:25Z", "--at", "2026-11-26T09:05:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, ":13: late by 1m30s: applied at the engine clock 2026-11-26T09:02:30.000Z [late]") {
		t.Errorf("stderr:\n%s", stderr)
	}
	// At 09:02:25 neither line 12 nor line 13 is in: 1 answered.
	for _, want := range []string{
		`"statistic":"q-answered","statType":"CallsAnswered","object":{"type":"Queue","id":"Support@SW1"},"profile":"Default","timeRange":null,"filter":null,"at":"2026-11-26T09:02:25.000Z","value":1}`,
		`"statistic":"q-answered","statType":"CallsAnswered","object":{"type":"Queue","id":"Support@SW1"},"profile":"Default","timeRange":null,"filter":null,"at":"2026-11-26T09:05:00.000Z","value":3}`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %s:\n%s", want, stdout)
		}
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

var (
	exampleConfig = filepath.Join("..", "..", "runtime", "config", "testdata", "example.yaml")
	exampleEvents = filepath.Join("testdata", "example", "events.ndjson")
)

// TestReplayExample replays the config loader's example (every profile type, a time
// range, a filter and every notification mode) and compares with values worked out by
// hand, at 09:05:00:
//
//   - q-answered: c1, c2 and c5 were distributed: 3.
//   - sl (ServiceFactor1, filter Gold = Segment Gold and voice, range 0-20, Last15): Main
//     c1 (12 s ≤ 20) and c2 (25 s); Rel c3 (30 s > 20); c4 is chat and c5 not Gold:
//     100 × 1 / (2 + 1).
//   - q-answered-quarter (Quarter, Paris): 10:00-10:15 Paris is 09:00-09:15 UTC: 3.
//   - sales-ready: both agents ready: 2.
//   - ann-talk (SinceLogin): c1 09:00:20 → 09:02:20: 120.
//   - sales-talk-last10 (Selection 10): the one completed call: 120.
//   - ann-state: ready since 09:02:20.
//   - q-abandon-rate (Formula 100 × CallsAbandoned / CallsEntered): the example has no
//     CallEntered, so 0/0: null.
//   - q-asa (Formula AnsweredWait / CallsAnswered): (12 + 25 + 5) / 3 = 14.
//   - q-ewt (EstimWaitingTime): one answered wait, c1's 12 s with nobody ahead: 12.
//   - sales-occupancy (Formula 100 × BusyTime / LoggedInTime): 1001's call 09:00:20 to
//     09:02:20 over two agents logged in since 09:00: 100 × 120 / 600 = 20.
func TestReplayExample(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "example", "want.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := replayOut(t, "--config", exampleConfig, "--events", exampleEvents, "--at", "2026-11-26T09:05:00Z", "--strict")
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr)
	}
	if stdout != string(want) {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	for _, v := range []string{`"statistic":"q-answered",`, `"statistic":"sl",`, `"statistic":"ann-talk",`} {
		if !strings.Contains(stdout, v) {
			t.Errorf("no %s line", v)
		}
	}
	for _, line := range []string{
		`"statistic":"sl","statType":"ServiceLevel","object":{"type":"Queue","id":"Support@SW1"},"profile":"Last15","timeRange":"SL20","filter":"Gold","at":"2026-11-26T09:05:00.000Z","value":33.333333333333336}`,
		`"statistic":"q-answered-quarter","statType":"CallsAnswered","object":{"type":"GroupQueues","id":"AllQueues"},"profile":"Quarter","timeRange":null,"filter":null,"at":"2026-11-26T09:05:00.000Z","value":3}`,
		`"profile":"Shift","timeRange":null,"filter":null,"at":"2026-11-26T09:05:00.000Z","value":120}`,
		`"profile":"Last10","timeRange":null,"filter":null,"at":"2026-11-26T09:05:00.000Z","value":120}`,
	} {
		if !strings.Contains(stdout, line) {
			t.Errorf("stdout lacks %s", line)
		}
	}
}

// TestReplayNotifications: --notifications prints the stream of the example's modes, the
// same bytes every run. Worked out by hand, among others:
//
//   - the first drain (after the first event, 09:00:00) sends every changes-mode value;
//     sales-ready (mode none) never appears, ann-talk (periodical 10 s) from 09:00:10 on,
//     with the value before each instant (0 at 09:02:20, when c1 ends; 120 at 09:02:30);
//   - sl (insensitivity 5 %) sends 100 at 09:00:17, 50 at 09:00:30, 33.33… at 09:00:40;
//     c4 and c5 do not pass the filter, so nothing at 09:00:45 and 09:00:50; at 09:16,
//     the 15-minute window has left every call: 0/0, null;
//   - q-answered-quarter (mode reset) sends 3 at 09:15:00, the end of its quarter;
//   - sl, with no call yet at 09:00:00 and none left in its window at 09:16, is
//     undefined (0/0): null;
//   - sales-occupancy is null at 09:00:00 (no logged-in time yet), then 0, and 100 ×
//     10 / 60 at 09:00:30 as 1001's call has lasted 10 s of the two agents' 60 s; at
//     09:16 the 120 s call over 2 × 960 s: 6.25.
func TestReplayNotifications(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "example", "want_notifications.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", exampleConfig, "--events", exampleEvents, "--at", "2026-11-26T09:16:00Z", "--notifications"}
	stdout, stderr, err := replayOut(t, args...)
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr)
	}
	if stdout != string(want) {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	for _, line := range []string{
		`{"at":"2026-11-26T09:00:00.000Z","statistic":"q-answered","value":0}`,
		`{"at":"2026-11-26T09:00:10.000Z","statistic":"ann-talk","value":0}`,
		`{"at":"2026-11-26T09:00:17.000Z","statistic":"sl","value":100}`,
		`{"at":"2026-11-26T09:00:30.000Z","statistic":"sl","value":50}`,
		`{"at":"2026-11-26T09:00:40.000Z","statistic":"sl","value":33.333333333333336}`,
		`{"at":"2026-11-26T09:00:00.000Z","statistic":"sl","value":null}`,
		`{"at":"2026-11-26T09:00:30.000Z","statistic":"sales-occupancy","value":16.666666666666668}`,
		`{"at":"2026-11-26T09:16:00.000Z","statistic":"sales-occupancy","value":6.25}`,
		`{"at":"2026-11-26T09:02:20.000Z","statistic":"ann-talk","value":0}`,
		`{"at":"2026-11-26T09:02:30.000Z","statistic":"ann-talk","value":120}`,
		`{"at":"2026-11-26T09:15:00.000Z","statistic":"q-answered-quarter","value":3}`,
		`{"at":"2026-11-26T09:16:00.000Z","statistic":"sl","value":null}`,
	} {
		if !strings.Contains(stdout, line+"\n") {
			t.Errorf("stdout lacks %s", line)
		}
	}
	for _, absent := range []string{`"sales-ready"`, `"at":"2026-11-26T09:00:45.000Z","statistic":"sl"`, `"at":"2026-11-26T09:00:50.000Z","statistic":"sl"`} {
		if strings.Contains(stdout, absent) {
			t.Errorf("stdout has %s", absent)
		}
	}
	again, _, _ := replayOut(t, args...)
	if again != stdout {
		t.Error("a second replay printed a different stream")
	}
	if _, _, err := replayOut(t, append(args, "--format", "table")...); !errors.Is(err, errUsage) {
		t.Errorf("--notifications with --format table: want a usage error, got %v", err)
	}
}

// TestReplayConfigErrors: filters and formulas are compiled at load, so a bad expression
// is a config error at its line:col, like a bad time range or an unknown profile.
func TestReplayConfigErrors(t *testing.T) {
	cfg := filepath.Join("testdata", "bad", "config.yaml")
	_, _, err := replayOut(t, "--config", cfg, "--events", exampleEvents)
	if err == nil {
		t.Fatal("want a config error")
	}
	for _, want := range []string{
		cfg + `:11:14: formula: invalid operation: * (mismatched types float64 and string) (column 16 of the expression)`,
		cfg + `:12:19: time range "Bad": lower bound 20 is above upper bound 10`,
		cfg + `:14:9: filter "Gold": unknown name medium (column 34 of the expression)`,
		cfg + `:16:98: unknown time profile "Nope"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
