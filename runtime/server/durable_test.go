package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
	"github.com/statkit/statkit/runtime/store"
)

// allValues returns every open statistic's value JSON.
func (ts *testServer) allValues() map[string]string {
	ts.t.Helper()
	status, b := ts.do("GET", "/v1/statistics", "", nil)
	require.Equal(ts.t, http.StatusOK, status)
	var list struct{ Statistics []statisticJSON }
	require.NoError(ts.t, json.Unmarshal(b, &list))
	out := map[string]string{}
	for _, st := range list.Statistics {
		out[st.ID] = string(ts.peek(st.ID).Value)
	}
	return out
}

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir, Fsync: store.FsyncAlways, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return st
}

// A durable server stopped and started again (several times, with snapshots between)
// ends with the values of a server that ran uninterrupted, API statistics included.
func TestDurableRestartKeepsValues(t *testing.T) {
	sc := sim.Config{Seed: 5, Agents: 10, Queues: 2, Duration: time.Hour, LoginSpread: time.Minute}
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	batches := splitAtTimes(simEvents(t, sc), 8)
	apiStat := `{"statType":"CallsEntered","object":{"type":"Queue","id":"Q1@SW1"}}`

	ref := startServer(t, Options{Config: cfg, TickInterval: -1}, nil, nil)
	for i, b := range batches {
		status, _ := ref.postEvents(ndjson(t, b))
		require.Equal(t, http.StatusOK, status)
		if i == 2 {
			ref.open(apiStat)
		}
	}
	want := ref.allValues()

	dir := t.TempDir()
	i := 0
	for run, upto := range []int{2, 3, 6, len(batches)} {
		st := openStore(t, dir)
		ts := startServer(t, Options{Config: cfg, TickInterval: -1, Store: st, SnapshotEvery: 2 + run}, nil, nil)
		for ; i < upto; i++ {
			status, _ := ts.postEvents(ndjson(t, batches[i]))
			require.Equal(t, http.StatusOK, status)
			if i == 2 {
				require.Equal(t, "s-1", ts.open(apiStat))
			}
		}
		if i == len(batches) {
			require.Equal(t, want, ts.allValues())
		}
		require.NoError(t, ts.stop())
		require.NoError(t, st.Close())
	}
	// Once more from the data directory alone, with the newest snapshot damaged: the
	// older snapshot and the log give the same values.
	snaps, _ := filepath.Glob(filepath.Join(dir, "*.snap"))
	require.GreaterOrEqual(t, len(snaps), 2)
	b, _ := os.ReadFile(snaps[len(snaps)-1])
	b[len(b)/2] ^= 0xff
	require.NoError(t, os.WriteFile(snaps[len(snaps)-1], b, 0o644))
	st := openStore(t, dir)
	defer st.Close()
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, Store: st}, nil, nil)
	require.Equal(t, want, ts.allValues())
}

// With a slow owner and a queue of one batch, concurrent senders get 429 with
// Retry-After; every event a 200 said was accepted is in the engine.
func TestOverloadRefusesWith429(t *testing.T) {
	sc := sim.Config{Seed: 2, Agents: 10, Queues: 2, Duration: time.Hour}
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	batches := splitAtTimes(simEvents(t, sc), 24)
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, IngestQueue: 1}, func(s *Server) {
		s.own.hookBatch = func() { time.Sleep(30 * time.Millisecond) }
	}, nil)
	var (
		mu               sync.Mutex
		accepted, n429   int
		wg               sync.WaitGroup
		retryAfterHeader = true
	)
	for _, b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", ts.url+"/v1/events", bytes.NewReader(ndjson(t, b)))
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var r eventsResponse
			_ = json.NewDecoder(resp.Body).Decode(&r)
			mu.Lock()
			defer mu.Unlock()
			switch resp.StatusCode {
			case http.StatusTooManyRequests:
				n429++
				retryAfterHeader = retryAfterHeader && resp.Header.Get("Retry-After") != ""
				if r.Accepted != 0 || !strings.Contains(r.Error, "nothing of this request was applied") {
					t.Errorf("429 body: %+v", r)
				}
			default:
				accepted += r.Accepted
			}
		}()
	}
	wg.Wait()
	require.Positive(t, n429)
	require.True(t, retryAfterHeader)
	require.Equal(t, float64(accepted), metricValue(t, ts.srv.m.accepted))
	require.Equal(t, float64(n429), metricValue(t, ts.srv.m.refused))
	_, body := ts.do("GET", "/metrics", "", nil)
	require.Contains(t, string(body), "statkit_ingest_refused_total")
	require.Contains(t, string(body), "statkit_ingest_queue_depth")
}

// Reload keeps the values of unchanged statistics, opens new ones, closes removed ones;
// a bad config is refused with line:col and the running one stays.
func TestReload(t *testing.T) {
	sc := sim.Config{Seed: 4, Agents: 8, Queues: 2, Duration: time.Hour}
	var text bytes.Buffer
	require.NoError(t, sim.WriteConfig(&text, sc))
	path := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(path, text.Bytes(), 0o644))
	load := func() (*config.Config, []byte, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, err
		}
		c, err := config.LoadWith(path, bytes.NewReader(b), machine.LoadOptions)
		return c, b, err
	}
	cfg, b, err := load()
	require.NoError(t, err)
	dir := t.TempDir()
	st := openStore(t, dir)
	ts := startServer(t, Options{Config: cfg, ConfigText: b, TickInterval: -1, Reload: load, Store: st}, nil, nil)
	status, _ := ts.postEvents(ndjson(t, simEvents(t, sc)[:400]))
	require.Equal(t, http.StatusOK, status)
	before := ts.allValues()
	require.Contains(t, before, "AllQueues.CallsEntered")
	require.NotEqual(t, "0", before["AllQueues.CallsEntered"])

	// Remove one statistic, add one.
	removed := cfg.Statistics[0].ID
	var nodes map[string]any
	require.NoError(t, yamlUnmarshal(text.Bytes(), &nodes))
	stats := nodes["statistics"].([]any)
	added := map[string]any{"id": "Extra", "statType": "CallsEntered", "object": map[string]any{"type": "Queue", "id": "Q1@SW1"}}
	nodes["statistics"] = append(stats[1:], added)
	require.NoError(t, os.WriteFile(path, yamlMarshal(t, nodes), 0o644))
	status, body := ts.do("POST", "/v1/config/reload", "", nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	after := ts.allValues()
	require.NotContains(t, after, removed)
	require.Equal(t, "0", after["Extra"])
	for id, v := range before {
		if id != removed {
			require.Equal(t, v, after[id], id)
		}
	}

	// A bad config: refused with its position, the running config stays.
	require.NoError(t, os.WriteFile(path, []byte("topology:\n  dns: [\n"), 0o644))
	status, body = ts.do("POST", "/v1/config/reload", "", nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Regexp(t, `c\.yaml:\d+:\d+`, string(body))
	require.Equal(t, after, ts.allValues())

	// The reload survives a restart.
	require.NoError(t, ts.stop())
	require.NoError(t, st.Close())
	st = openStore(t, dir)
	defer st.Close()
	cfg2, b2, err := func() (*config.Config, []byte, error) {
		require.NoError(t, os.WriteFile(path, yamlMarshal(t, nodes), 0o644))
		return load()
	}()
	require.NoError(t, err)
	ts = startServer(t, Options{Config: cfg2, ConfigText: b2, TickInterval: -1, Reload: load, Store: st}, nil, nil)
	require.Equal(t, after, ts.allValues())
}

func yamlUnmarshal(b []byte, v any) error { return yaml.Unmarshal(b, v) }

func yamlMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := yaml.Marshal(v)
	require.NoError(t, err)
	return b
}
