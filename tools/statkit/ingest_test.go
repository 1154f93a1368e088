package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/store"
)

// The statkit binary, built once for the tests that run it as a process.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

// buildStatkit builds the statkit binary (once per test run) and returns its path.
func buildStatkit(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "statkit-bin-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "statkit")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// get decodes the JSON of GET path.
func (s *crashServer) get(t *testing.T, path string, v any) int {
	t.Helper()
	resp, err := s.client.Get(s.url + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	return resp.StatusCode
}

// metric returns the sum of the samples of metric name whose labels contain every
// label given ("" when none).
func (s *crashServer) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	resp, err := s.client.Get(s.url + "metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		require.NoError(t, err)
		sum += v
	}
	return sum
}

// waitHeld waits until the server's reorder window holds nothing (a flush by wall time
// releases it within about the window).
func (s *crashServer) waitHeld(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		var h struct{ Held int }
		s.get(t, "healthz", &h)
		return h.Held == 0
	}, 20*time.Second, 20*time.Millisecond)
}

// The demo at --speed 60 on a machine that stalls (SIGSTOP for 4 s, twice: 4 simulated
// minutes each): the simulator's events that pile up meanwhile come after ticks moved the
// engine on; they are applied at the engine clock, never rejected — so no end is lost and
// no call is left waiting forever — and the state equals the replay of what was logged.
func TestDemoSurvivesStalls(t *testing.T) {
	bin := buildStatkit(t)
	data := t.TempDir()
	srv := startCrashServerArgs(t, bin, "serve", "--demo", "--speed", "60", "--agents", "30", "--queues", "3",
		"--seed", "4", "--data", data, "--addr", "127.0.0.1:0", "--log-level", "warn")
	time.Sleep(2 * time.Second)
	// Whether a stall makes events late depends on which of the clock and the feed runs
	// first after SIGCONT; stall (at least twice) until one did, so that the late path is
	// exercised, not merely allowed.
	var late float64
	for stalls := 0; stalls < 2 || (late == 0 && stalls < 6); stalls++ {
		require.NoError(t, srv.cmd.Process.Signal(syscall.SIGSTOP))
		time.Sleep(4 * time.Second)
		require.NoError(t, srv.cmd.Process.Signal(syscall.SIGCONT))
		time.Sleep(2 * time.Second)
		late = srv.metric(t, "statkit_ingest_late_events_total", `input="demo"`)
	}
	accepted := srv.metric(t, "statkit_events_accepted_total")
	rejected := srv.metric(t, "statkit_events_rejected_total")
	t.Logf("%v events accepted, %v late (applied at the engine clock), %v rejected", accepted, late, rejected)
	require.Positive(t, accepted)
	assert.Zero(t, rejected, "stderr:\n%s", srv.stderr.String())
	assert.Positive(t, late, "the stalls made events late")
	assert.NotContains(t, srv.stderr.String(), "rejected")

	// A clean stop: the state the server ended with (its last snapshot) is the replay
	// of what it logged.
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	<-srv.exited
	rd, err := store.OpenReader(data)
	require.NoError(t, err)
	snaps := rd.Snapshots()
	require.NotEmpty(t, snaps)
	payload, err := rd.Snapshot(snaps[len(snaps)-1])
	require.NoError(t, err)
	m, err := machine.Restore(payload, machine.Options{})
	require.NoError(t, err)
	want := map[string]string{}
	for _, st := range m.Statistics() {
		v, err := m.Engine().Value(st.ID)
		require.NoError(t, err)
		b, err := json.Marshal(v)
		require.NoError(t, err)
		want[st.ID] = string(b)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "replay", "--log", data)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s", stderr.String())
	got, _ := replayJSONValues(t, out)
	assert.Equal(t, want, got)
	assert.Empty(t, stderr.String(), "replayed from the log's start")
}

// post posts a batch with an Idempotency-Key; nil means 200. replayed says whether the
// answer was a repeat.
func (s *crashServer) postKeyed(batch []byte, key string) (replayed bool, body []byte, err error) {
	req, err := http.NewRequest("POST", s.url+"v1/events", bytes.NewReader(batch))
	if err != nil {
		return false, nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Idempotency-Key", key)
	resp, err := s.client.Do(req)
	if err != nil {
		return false, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return false, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, body, fmt.Errorf("POST /v1/events: %s: %s", resp.Status, body)
	}
	return resp.Header.Get("Idempotent-Replayed") == "true", body, nil
}

// A client that retries with its Idempotency-Key across a SIGKILL — the kill while the
// POST is in flight, the retry after the restart — has its batch counted once, whether
// the batch reached the log or not; at the end, every batch posted again is a repeat, and
// the values are those of the batches replayed once each.
func TestCrashKeyedRetry(t *testing.T) {
	bin := buildStatkit(t)
	dir := t.TempDir()
	sc := sim.Config{Seed: 17, Agents: 15, Queues: 2, Duration: time.Hour, LoginSpread: time.Minute}
	cfgPath := filepath.Join(dir, "cc.yaml")
	var cfgText bytes.Buffer
	require.NoError(t, sim.WriteConfig(&cfgText, sc))
	require.NoError(t, os.WriteFile(cfgPath, cfgText.Bytes(), 0o644))
	s, err := sim.New(sc)
	require.NoError(t, err)
	var batches [][]byte
	var cur []byte
	n := 0
	for e, ok := s.Next(); ok; e, ok = s.Next() {
		cur, err = event.AppendJSON(cur, e)
		require.NoError(t, err)
		cur = append(cur, '\n')
		if n++; n%150 == 0 {
			batches, cur = append(batches, cur), nil
		}
	}
	batches = append(batches, cur)
	data := filepath.Join(dir, "data")
	start := func() *crashServer {
		return startCrashServerArgs(t, bin, "serve", "--config", cfgPath, "--data", data, "--fsync", "always",
			"--snapshot-every", "5", "--tick", "0", "--addr", "127.0.0.1:0", "--log-level", "warn")
	}
	srv := start()
	rng := rand.New(rand.NewPCG(17, 1))
	kills, logged := 0, 0
	for i, b := range batches {
		key := fmt.Sprintf("batch-%d", i)
		if i%4 == 2 { // kill while the POST is in flight, then retry after a restart
			done := make(chan error, 1)
			stopped := i%8 == 2
			if stopped {
				// The request surely in flight: the server cannot take it before the kill.
				require.NoError(t, srv.cmd.Process.Signal(syscall.SIGSTOP))
				waitStopped(t, srv.cmd.Process.Pid)
			}
			go func() { _, _, err := srv.postKeyed(b, key); done <- err }()
			if stopped {
				time.Sleep(50 * time.Millisecond)
			} else {
				time.Sleep(time.Duration(rng.IntN(1500)) * time.Microsecond)
			}
			srv.kill()
			first := <-done
			kills++
			srv = start()
			replayed, body, err := srv.postKeyed(b, key)
			require.NoError(t, err, "retry of batch %d", i)
			if replayed {
				logged++
			}
			t.Logf("batch %d: first try %v; retry replayed=%v %s", i, first, replayed, bytes.TrimSpace(body))
			if first == nil {
				require.True(t, replayed, "an acknowledged batch is a repeat after the restart")
			}
			if stopped {
				require.Error(t, first)
				require.False(t, replayed, "a batch the server never took is applied by the retry")
			}
			continue
		}
		replayed, _, err := srv.postKeyed(b, key)
		require.NoError(t, err, "batch %d", i)
		require.False(t, replayed)
	}
	t.Logf("%d kills in flight; %d of the batches had reached the log", kills, logged)
	srv.waitHeld(t)
	before, beforeAt := srv.values(t)
	for i, b := range batches {
		replayed, _, err := srv.postKeyed(b, fmt.Sprintf("batch-%d", i))
		require.NoError(t, err)
		require.True(t, replayed, "batch %d posted again", i)
	}
	after, _ := srv.values(t)
	require.Equal(t, before, after, "repeats change nothing")

	// Each batch once, replayed from a file: the same values at the same instant.
	path := filepath.Join(dir, "once.ndjson")
	require.NoError(t, os.WriteFile(path, bytes.Join(batches, nil), 0o644))
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "replay", "--config", cfgPath, "--events", path, "--strict")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s", stderr.String())
	want, wantAt := replayJSONValues(t, stdout.Bytes())
	require.Equal(t, want, before)
	require.Equal(t, wantAt, beforeAt)
}

// waitStopped waits until process pid is stopped (state T in /proc): a signal is
// delivered asynchronously.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		// pid (comm) state …: the state follows the last ')'.
		i := bytes.LastIndexByte(b, ')')
		return i > 0 && i+2 < len(b) && b[i+2] == 'T'
	}, 10*time.Second, time.Millisecond)
}

// replayJSONValues reads replay's JSON lines: value and instant by statistic.
func replayJSONValues(t *testing.T, out []byte) (map[string]string, map[string]string) {
	t.Helper()
	vals, ats := map[string]string{}, map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var l struct {
			Statistic string
			At        string
			Value     json.RawMessage
		}
		require.NoError(t, dec.Decode(&l))
		vals[l.Statistic], ats[l.Statistic] = compactJSON(t, l.Value), l.At
	}
	return vals, ats
}

var statIDRE = regexp.MustCompile(`"id":"(s-\d+)"`)

// `statkit replay --log` of a live server's data directory — read while the server runs,
// with a statistic opened through the API mid-stream, a config statistic closed, and a
// reload — prints exactly the values the server shows; with --config it re-runs the same
// events under another config, as a replay of the same events under that config does.
func TestReplayLogMatchesLiveServer(t *testing.T) {
	bin := buildStatkit(t)
	dir := t.TempDir()
	sc := sim.Config{Seed: 23, Agents: 12, Queues: 2, Duration: 90 * time.Minute, LoginSpread: time.Minute}
	var cfgText bytes.Buffer
	require.NoError(t, sim.WriteConfig(&cfgText, sc))
	cfgPath := filepath.Join(dir, "cc.yaml")
	require.NoError(t, os.WriteFile(cfgPath, cfgText.Bytes(), 0o644))
	// The what-if config: one more statistic (calls entered at queue Q1 alone).
	whatIf := strings.Replace(cfgText.String(), "statistics:\n", "statistics:\n  - {id: Q1.Entered, statType: CallsEntered, object: {type: Queue, id: \"Q1@SW1\"}}\n", 1)
	require.NotEqual(t, whatIf, cfgText.String())
	whatIfPath := filepath.Join(dir, "whatif.yaml")
	require.NoError(t, os.WriteFile(whatIfPath, []byte(whatIf), 0o644))

	s, err := sim.New(sc)
	require.NoError(t, err)
	var all []byte
	var batches [][]byte
	var cur []byte
	n := 0
	for e, ok := s.Next(); ok; e, ok = s.Next() {
		cur, err = event.AppendJSON(cur, e)
		require.NoError(t, err)
		cur = append(cur, '\n')
		if n++; n%100 == 0 {
			batches, cur = append(batches, cur), nil
		}
	}
	batches = append(batches, cur)
	data := filepath.Join(dir, "data")
	srv := startCrashServerArgs(t, bin, "serve", "--config", cfgPath, "--data", data, "--tick", "0",
		"--snapshot-every", "9", "--addr", "127.0.0.1:0", "--log-level", "warn")
	var closed string
	var mid map[string]string
	var midAt string
	for i, b := range batches {
		require.NoError(t, srv.post(b), "batch %d", i)
		all = append(all, b...)
		switch i {
		case 2 * len(batches) / 3:
			var ats map[string]string
			mid, ats = srv.values(t)
			midAt = ats["s-1"]
		case len(batches) / 3:
			resp, err := srv.client.Post(srv.url+"v1/statistics", "application/json",
				strings.NewReader(`{"statType":"CallsAbandoned","object":{"type":"GroupQueues","id":"AllQueues"}}`))
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", body)
			require.Regexp(t, statIDRE, string(body))
		case len(batches) / 2:
			var list struct{ Statistics []struct{ ID string } }
			srv.get(t, "v1/statistics", &list)
			closed = list.Statistics[0].ID
			req, _ := http.NewRequest("DELETE", srv.url+"v1/statistics/"+closed, nil)
			resp, err := srv.client.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusNoContent, resp.StatusCode)
		}
	}
	srv.waitHeld(t)
	live, liveAt := srv.values(t)
	require.Contains(t, live, "s-1")
	require.NotContains(t, live, closed)

	out, err := exec.Command(bin, "replay", "--log", data).Output()
	require.NoError(t, err)
	got, gotAt := replayJSONValues(t, out)
	assert.Equal(t, live, got)
	assert.Equal(t, liveAt, gotAt)
	// And midway: at the engine time a GET showed then, the values it showed.
	out, err = exec.Command(bin, "replay", "--log", data, "--at", midAt).Output()
	require.NoError(t, err)
	got, _ = replayJSONValues(t, out)
	assert.Equal(t, mid, got)

	// What-if: the same events under the other config. Its new statistic is what a
	// replay of the events themselves under that config gives.
	cmd := exec.Command(bin, "replay", "--log", data, "--config", whatIfPath)
	var whatIfErr bytes.Buffer
	cmd.Stderr = &whatIfErr
	out, err = cmd.Output()
	require.NoError(t, err, "%s", whatIfErr.String())
	assert.Empty(t, whatIfErr.String())
	whatIfGot, _ := replayJSONValues(t, out)
	evPath := filepath.Join(dir, "all.ndjson")
	require.NoError(t, os.WriteFile(evPath, all, 0o644))
	out, err = exec.Command(bin, "replay", "--config", whatIfPath, "--events", evPath).Output()
	require.NoError(t, err)
	want, _ := replayJSONValues(t, out)
	require.Contains(t, whatIfGot, "Q1.Entered")
	assert.Equal(t, want["Q1.Entered"], whatIfGot["Q1.Entered"])
	assert.Equal(t, live["s-1"], whatIfGot["s-1"], "the API statistic opened mid-stream resolves under the other config too")
	for id, v := range live {
		if id != "s-1" {
			assert.Equal(t, v, whatIfGot[id], id)
		}
	}
}
