package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// Crash test (issue 8): a real `statkit serve --data D --fsync always` process ingests a
// fixed-seed simulator stream in batches and is killed with SIGKILL at fixed-seed random
// points, some between two batches and some while a POST is in flight, then restarted
// on the same data directory. Once every batch is in, each statistic must equal, exactly,
// the value `statkit replay` gives for the applied batches.
//
// Which batches are in: a batch whose POST answered 200 is acknowledged and must
// survive. A batch whose POST failed because of the kill may or may not be in the log.
// The rule: while the server is down, the test reads the log (the store's segment
// format, read-only) and the batch was applied iff the log's last record is that batch's
// record (a batch record whose body is the batch's NDJSON, which is how the server logs
// a batch whose lines were all accepted); otherwise the last record must be the previous
// acknowledged batch. An applied batch is counted once; an unapplied one is posted
// again. The server runs without a reorder window here, so that the log holds batch
// records only (TestCrashKeyedRetry runs with one).
//
// Torn write: after one kill between batches, the newest log segment is cut in the middle
// of its last record (the last acknowledged batch; it is newer than every snapshot, and
// a newer snapshot would be removed, as if the crash had come before it was renamed into
// place). The server must start (it warns and truncates the record) with the values of
// the batches before it; the test then treats that batch as unacknowledged — the disk
// lost it as if the kill had come during its fsync — and posts it again.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	bin := buildStatkit(t)

	sc := sim.Config{Seed: 8, Agents: 20, Queues: 2, Duration: 90 * time.Minute, LoginSpread: time.Minute}
	cfgPath := filepath.Join(dir, "cc.yaml")
	var cfgText bytes.Buffer
	require.NoError(t, sim.WriteConfig(&cfgText, sc))
	require.NoError(t, os.WriteFile(cfgPath, cfgText.Bytes(), 0o644))

	// The stream, canonical NDJSON lines in batches of 200.
	s, err := sim.New(sc)
	require.NoError(t, err)
	var batches [][]byte
	var cur []byte
	n := 0
	for e, ok := s.Next(); ok; e, ok = s.Next() {
		cur, err = event.AppendJSON(cur, e)
		require.NoError(t, err)
		cur = append(cur, '\n')
		if n++; n%200 == 0 {
			batches, cur = append(batches, cur), nil
		}
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	require.GreaterOrEqual(t, len(batches), 12, "the stream is too short for the kills")

	// Kill points: 5 distinct batches, fixed seed, none at the very start or end.
	rng := rand.New(rand.NewPCG(8, 8))
	killAt := map[int]int{} // batch -> kill number
	for len(killAt) < 5 {
		b := 1 + rng.IntN(len(batches)-2)
		if _, dup := killAt[b]; !dup {
			killAt[b] = len(killAt)
		}
	}
	const tornKill = 3 // this kill (between batches) tears the log

	data := filepath.Join(dir, "data")
	srv := startCrashServer(t, bin, cfgPath, data)
	var applied [][]byte // the batches in the log, in order, each once
	inflight, between, torn := 0, 0, false
	var outcomes []string // of the kills in flight
	for i := 0; i < len(batches); {
		b := batches[i]
		k, kill := killAt[i]
		if !kill {
			require.NoError(t, srv.post(b), "batch %d; stderr:\n%s", i, srv.stderr.String())
			applied = append(applied, b)
			i++
			continue
		}
		delete(killAt, i) // a batch is killed at once; its re-post goes through
		if k%2 == 0 {
			// In flight: post, kill after 0–3 ms, then read the log to learn whether
			// the batch made it.
			inflight++
			done := make(chan error, 1)
			go func() { done <- srv.post(b) }()
			time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
			srv.kill()
			if err := <-done; err == nil {
				applied = append(applied, b) // acknowledged before the kill
				i++
				outcomes = append(outcomes, "acknowledged")
			} else {
				last := batchBody(t, lastLogRecord(t, data))
				switch {
				case bytes.Equal(last, b):
					applied = append(applied, b)
					i++
					outcomes = append(outcomes, "logged, not acknowledged")
				case len(applied) == 0 || bytes.Equal(last, applied[len(applied)-1]):
					// not in the log: post it again
					outcomes = append(outcomes, "not logged")
				default:
					t.Fatalf("batch %d: the log ends with neither it nor the previous batch: %.80q", i, last)
				}
			}
		} else {
			// Between batches: post, kill after the acknowledgement.
			between++
			require.NoError(t, srv.post(b), "batch %d", i)
			applied = append(applied, b)
			i++
			srv.kill()
			if k == tornKill {
				torn = true
				tearLastRecord(t, data, b)
				applied = applied[:len(applied)-1]
				i--
				srv = startCrashServer(t, bin, cfgPath, data)
				require.Eventually(t, func() bool { return strings.Contains(srv.stderr.String(), "torn") },
					5*time.Second, 10*time.Millisecond, "no torn-write warning; stderr:\n%s", srv.stderr.String())
				compareWithReplay(t, srv, bin, cfgPath, filepath.Join(dir, "torn.ndjson"), applied)
				continue
			}
		}
		srv = startCrashServer(t, bin, cfgPath, data)
	}
	require.GreaterOrEqual(t, inflight+between, 4)
	require.True(t, torn)
	t.Logf("%d batches, %d kills in flight (%s), %d between batches (one with a torn log)",
		len(batches), inflight, strings.Join(outcomes, ", "), between)
	compareWithReplay(t, srv, bin, cfgPath, filepath.Join(dir, "applied.ndjson"), applied)
}

// crashServer is a running `statkit serve` process.
type crashServer struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	client *http.Client
	stderr *lockedBuffer
	exited chan struct{}
}

var servingRE = regexp.MustCompile(`statkit(?: demo)?: (?:serving on|open) (http://\S+/)`)

// startCrashServer starts the binary on data and waits for its address.
func startCrashServer(t *testing.T, bin, cfgPath, data string) *crashServer {
	t.Helper()
	return startCrashServerArgs(t, bin, "serve", "--config", cfgPath, "--data", data, "--fsync", "always",
		"--snapshot-every", "7", "--tick", "0", "--reorder-window", "0", "--addr", "127.0.0.1:0", "--log-level", "warn")
}

// startCrashServerArgs starts the binary with args and waits for its address.
func startCrashServerArgs(t *testing.T, bin string, args ...string) *crashServer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	s := &crashServer{t: t, cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{}),
		client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{}}}
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(s.kill)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() { cmd.Wait(); close(s.exited) }()
	select {
	case s.url = <-urls:
	case <-s.exited:
		t.Fatalf("statkit serve exited at start; stderr:\n%s", s.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("statkit serve did not start; stderr:\n%s", s.stderr.String())
	}
	return s
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *crashServer) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Kill()
	<-s.exited
}

// post posts an NDJSON batch; nil means acknowledged (200 with no rejected line).
func (s *crashServer) post(batch []byte) error {
	resp, err := s.client.Post(s.url+"v1/events", "application/x-ndjson", bytes.NewReader(batch))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /v1/events: %s: %s", resp.Status, body)
	}
	var res struct {
		Accepted int
		Rejected []json.RawMessage
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		s.t.Fatalf("the server rejected lines of a fresh batch: %s", body)
	}
	return nil
}

// values returns every statistic's value (compacted JSON) and the instant it is at.
func (s *crashServer) values(t *testing.T) (map[string]string, map[string]string) {
	t.Helper()
	get := func(path string, v any) {
		resp, err := s.client.Get(s.url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	}
	var list struct{ Statistics []struct{ ID string } }
	get("v1/statistics", &list)
	vals, ats := map[string]string{}, map[string]string{}
	for _, st := range list.Statistics {
		var p struct {
			At    string
			Value json.RawMessage
		}
		get("v1/statistics/"+url.PathEscape(st.ID), &p)
		vals[st.ID], ats[st.ID] = compactJSON(t, p.Value), p.At
	}
	return vals, ats
}

func compactJSON(t *testing.T, raw []byte) string {
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, raw))
	return buf.String()
}

// compareWithReplay writes the applied batches to path, runs `statkit replay` on them and
// requires every statistic of the server to have exactly the replayed value.
func compareWithReplay(t *testing.T, srv *crashServer, bin, cfgPath, path string, applied [][]byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, bytes.Join(applied, nil), 0o644))
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "replay", "--config", cfgPath, "--events", path, "--format", "json", "--strict")
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
	got, gotAt := srv.values(t)
	require.NotEmpty(t, want)
	require.Equal(t, want, got, "values differ from the replay of %d batches", len(applied))
	require.Equal(t, wantAt, gotAt)
}

// logRecord is a record's place in a segment.
type logRecord struct {
	path    string
	off     int64 // of its frame
	head    int64 // size of its frame's head
	seq     uint64
	payload []byte
}

// readLog walks the segments ("%020d.log") in order and returns their complete records
// (runtime/store's format: an 8-byte header whose last byte is the version, then frames of
// length, crc, seq, [time in version 2,] payload; a length of 0xFFFFFFFF is a seal).
func readLog(t *testing.T, data string) []logRecord {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(data, "*.log"))
	require.NoError(t, err)
	slices.Sort(segs)
	var recs []logRecord
	for _, p := range segs {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(b), 8, "segment %s", p)
		require.Equal(t, "SKLOG", string(b[:5]), "segment %s", p)
		head := 16
		if b[7] == 2 {
			head = 24
		}
		for off := 8; off+head <= len(b); {
			n := int(binary.LittleEndian.Uint32(b[off:]))
			if n == 0 || n == 0xFFFFFFFF || off+head+n > len(b) {
				break
			}
			recs = append(recs, logRecord{path: p, off: int64(off), head: int64(head), seq: binary.LittleEndian.Uint64(b[off+8:]),
				payload: b[off+head : off+head+n]})
			off += head + n
		}
	}
	return recs
}

// lastLogRecord returns the payload of the log's last record (nil for none).
func lastLogRecord(t *testing.T, data string) []byte {
	recs := readLog(t, data)
	if len(recs) == 0 {
		return nil
	}
	return recs[len(recs)-1].payload
}

// batchBody returns the body of a batch record: its NDJSON lines after the header line
// (nil for another record).
func batchBody(t *testing.T, rec []byte) []byte {
	t.Helper()
	if len(rec) == 0 || rec[0] != 'B' {
		return nil
	}
	_, body, ok := bytes.Cut(rec[1:], []byte{'\n'})
	require.True(t, ok, "a batch record without a header line")
	return body
}

// tearLastRecord cuts the log in the middle of its last record, which must be batch's,
// and removes the snapshots that cover it.
func tearLastRecord(t *testing.T, data string, batch []byte) {
	t.Helper()
	recs := readLog(t, data)
	require.NotEmpty(t, recs)
	last := recs[len(recs)-1]
	require.Equal(t, batch, batchBody(t, last.payload), "the log's last record is not the last batch")
	require.NoError(t, os.Truncate(last.path, last.off+last.head+int64(len(last.payload)/2)))
	snaps, err := filepath.Glob(filepath.Join(data, "*.snap"))
	require.NoError(t, err)
	for _, p := range snaps {
		var seq uint64
		if _, err := fmt.Sscanf(filepath.Base(p), "%020d.snap", &seq); err == nil && seq >= last.seq {
			require.NoError(t, os.Remove(p))
		}
	}
}
