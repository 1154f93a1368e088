package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/machine"
)

// SIGKILL while following a queue_log (issue 15): a real `statkit serve --data D --fsync
// always --source asterisk-queue-log:PATH` follows a file that the test writes a day of
// Asterisk lines to, in chunks, some torn in the middle of a line, and is killed with
// SIGKILL at fixed-seed random points — while it reads and logs, between chunks — and
// started again on the same data directory. The file is rotated twice (renamed, a new
// one created under its name): once while the server follows it, once while it is down.
// At the end:
//   - the log holds every line of the three files exactly once, in order (its frames
//     records, decoded: nothing lost, nothing repeated);
//   - every statistic equals, exactly, what `statkit replay --input asterisk-queue-log`
//     gives for the whole day (the three files concatenated).
func TestSourceQueueLogCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds statkit and kills it several times")
	}
	dir := t.TempDir()
	bin := buildStatkit(t)
	cfgPath, err := filepath.Abs("../../examples/asterisk/config.yaml")
	require.NoError(t, err)
	day, err := os.ReadFile("../../examples/asterisk/queue_log")
	require.NoError(t, err)
	// The day up to 20:00 UTC, two hours before the statistics' midnight reset
	// (Asia/Jerusalem): at the end, the day's counts are all there to compare.
	var lines []string
	for _, l := range strings.SplitAfter(string(day), "\n") {
		if l != "" && l < "915480000|" {
			lines = append(lines, l)
		}
	}
	day = []byte(strings.Join(lines, ""))

	// Chunks of 100–900 lines.
	rng := rand.New(rand.NewPCG(15, 15))
	var chunks []string
	for i := 0; i < len(lines); {
		n := min(100+rng.IntN(800), len(lines)-i)
		chunks = append(chunks, strings.Join(lines[i:i+n], ""))
		i += n
	}
	require.GreaterOrEqual(t, len(chunks), 9)
	rotateLive, rotateDown := 3, 6 // before writing chunk 3 (server up), after the kill following chunk 6 (down)
	kills := map[int]bool{rotateDown: true}
	for len(kills) < 8 {
		kills[1+rng.IntN(len(chunks)-2)] = true
	}

	qlog := filepath.Join(dir, "queue_log")
	data := filepath.Join(dir, "data")
	start := func() *crashServer {
		return startCrashServerArgs(t, bin, "serve", "--config", cfgPath, "--source", "asterisk-queue-log:"+qlog,
			"--data", data, "--fsync", "always", "--snapshot-every", "5", "--keep-snapshots", "1000", "--tick", "0",
			"--addr", "127.0.0.1:0", "--log-level", "warn")
	}
	appendTo := func(s string) {
		f, err := os.OpenFile(qlog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		require.NoError(t, err)
		defer f.Close()
		_, err = f.WriteString(s)
		require.NoError(t, err)
	}
	rotate := func() { // logrotate's default: queue_log.1 → .2, queue_log → .1
		if _, err := os.Stat(qlog + ".1"); err == nil {
			require.NoError(t, os.Rename(qlog+".1", qlog+".2"))
		}
		require.NoError(t, os.Rename(qlog, qlog+".1"))
	}

	srv := start()
	killed := 0
	for i, c := range chunks {
		if i == rotateLive {
			time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
			rotate()
		}
		// Torn: part of the chunk, ending inside a line, then the rest.
		cut := rng.IntN(len(c))
		appendTo(c[:cut])
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		appendTo(c[cut:])
		if kills[i] {
			// Anywhere in the follower's poll (200 ms): before it read the chunk, while
			// it logs it, after.
			time.Sleep(time.Duration(rng.IntN(250)) * time.Millisecond)
			srv.kill()
			killed++
			if i == rotateDown {
				rotate()
			}
			srv = start()
		}
	}
	require.Equal(t, 8, killed)
	require.FileExists(t, qlog+".2")

	// The replay of the whole day.
	all := filepath.Join(dir, "day.queue_log")
	require.NoError(t, os.WriteFile(all, day, 0o644))
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "replay", "--config", cfgPath, "--events", all, "--input", "asterisk-queue-log", "--format", "json", "--strict")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "replay stderr:\n%s", stderr.String())
	want, wantAt := map[string]string{}, map[string]string{}
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var l struct {
			Statistic string
			At        string
			Value     json.RawMessage
		}
		require.NoError(t, dec.Decode(&l))
		want[l.Statistic], wantAt[l.Statistic] = compactJSON(t, l.Value), l.At
	}
	require.Greater(t, len(want), 100)
	busy := 0
	for _, v := range want {
		if v != "0" && v != "null" {
			busy++
		}
	}
	require.Greater(t, busy, 80, "statistics with a value to compare")

	// The server reaches the replay's values (its reorder window flushes by wall time).
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, gotAt := srv.values(t)
		if fmt.Sprint(got) == fmt.Sprint(want) && fmt.Sprint(gotAt) == fmt.Sprint(wantAt) {
			break
		}
		if time.Now().After(deadline) {
			require.Equal(t, want, got, "stderr:\n%s", srv.stderr.String())
			require.Equal(t, wantAt, gotAt)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // nothing more comes
	got, _ := srv.values(t)
	require.Equal(t, want, got)
	srv.kill()

	// The log: every line once, in order.
	var logged []string
	records := 0
	for _, r := range readLog(t, data) {
		if len(r.payload) == 0 || r.payload[0] != machine.KindFrames {
			continue
		}
		h, frames, err := machine.DecodeFrames(r.payload)
		require.NoError(t, err)
		require.Equal(t, "asterisk-queue-log:"+qlog, h.Input)
		for _, f := range frames {
			logged = append(logged, string(f.Data)+"\n")
		}
		records++
	}
	require.Equal(t, len(lines), len(logged), "lines logged")
	for i := range lines {
		require.Equal(t, lines[i], logged[i], "line %d", i+1)
	}
	t.Logf("%d lines in %d chunks, %d frames records, %d kills, 2 rotations", len(lines), len(chunks), records, killed)
}
