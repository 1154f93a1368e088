package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/sim"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--config", "x.yaml", "--demo"},
		{"--demo", "--speed", "0"},
		{"--demo", "extra"},
		{"--demo", "--log-level", "loud"},
	} {
		err := runServe(context.Background(), args, io.Discard, io.Discard)
		assert.ErrorIs(t, err, errUsage, "%v", args)
	}
}

// serveURL runs `statkit serve args…` until the test ends and returns the URL it prints.
func serveURL(t *testing.T, prefix string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, args, &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "stderr:\n%s", stderr.String())
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + ` (http://127\.0\.0\.1:\d+/)\n`)
	var url string
	require.Eventually(t, func() bool {
		m := re.FindStringSubmatch(stdout.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, 10*time.Second, 5*time.Millisecond, "stdout: %q, stderr:\n%s", stdout.String(), stderr.String())
	return url
}

// getJSON gets url and decodes its JSON body into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// The demo serves the built-in statistics and its simulator feeds them.
func TestServeDemo(t *testing.T) {
	url := serveURL(t, "statkit demo: open", "--demo", "--addr", "127.0.0.1:0", "--agents", "6", "--queues", "2",
		"--speed", "600", "--log-level", "warn")
	var list struct{ Statistics []struct{ ID string } }
	getJSON(t, url+"v1/statistics", &list)
	ids := map[string]bool{}
	for _, s := range list.Statistics {
		ids[s.ID] = true
	}
	for _, id := range []string{"Q1@SW1.CallsWaiting", "Q1@SW1.LongestWaiting", "Q1@SW1.CallsAbandoned", "Q1@SW1.ServiceLevel", "AllQueues.ServiceLevel",
		"Q1@SW1.CallsAnswered", "Group1.AgentsReady", "Group1.AverageTalkTime", "Agent1001.State", "Agent1001.TimeInState"} {
		assert.True(t, ids[id], "demo statistic %s", id)
	}
	// Agents log in within the first simulated 30 s, a twentieth of a second here.
	require.Eventually(t, func() bool {
		var p struct{ Value float64 }
		getJSON(t, url+"v1/statistics/Group1.AgentsReady", &p)
		return p.Value > 0
	}, 10*time.Second, 10*time.Millisecond)
}

func TestServeConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cc.yaml")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, sim.WriteConfig(f, sim.Config{Agents: 3, Queues: 1}))
	require.NoError(t, f.Close())
	url := serveURL(t, "statkit: serving on", "--config", path, "--addr", "127.0.0.1:0", "--tick", "0")

	resp, err := http.Post(url+"v1/events", "application/x-ndjson", strings.NewReader(
		`{"time":"2026-11-26T09:00:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q1@SW1"},"interaction":"c-1"}`+"\n"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// The reorder window holds the event up to 2 s of event time; with no later event
	// (a quiet feed), a flush by wall time applies it within about as long.
	var p struct {
		At    string
		Value float64
	}
	require.Eventually(t, func() bool {
		getJSON(t, url+"v1/statistics/Q1@SW1.CallsEntered", &p)
		return p.Value == 1
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "2026-11-26T09:00:00.000Z", p.At)
}
