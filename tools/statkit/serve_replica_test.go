package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/sim"
)

func TestServeReplicaUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--demo", "--tenants", "a"},
		{"--demo", "--stream", "other"},
		{"--demo", "--nats-creds", "x.creds"},
		{"--demo", "--nats", "embedded:nohost"},
		{"--demo", "--nats", "embedded:127.0.0.1:0", "--tenants", "nope"},
	} {
		err := runServe(context.Background(), append(args, "--addr", "127.0.0.1:0"), io.Discard, io.Discard)
		assert.ErrorIs(t, err, errUsage, "%v", args)
	}
}

// Two `statkit serve` replicas, the first running the embedded JetStream server: an event
// posted to one is applied by the other (the clock's holder flushes the reorder window);
// both report the replica and the lease in /healthz and /metrics.
func TestServeReplicas(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cc.yaml")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, sim.WriteConfig(f, sim.Config{Agents: 3, Queues: 1}))
	require.NoError(t, f.Close())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	natsAddr := l.Addr().String()
	require.NoError(t, l.Close())

	url1 := serveURL(t, "statkit: serving on", "--config", path, "--addr", "127.0.0.1:0", "--tick", "0",
		"--nats", "embedded:"+natsAddr, "--data", filepath.Join(dir, "d1"))
	url2 := serveURL(t, "statkit: serving on", "--config", path, "--addr", "127.0.0.1:0", "--tick", "0",
		"--nats", "nats://"+natsAddr, "--data", filepath.Join(dir, "d2"))

	resp, err := http.Post(url2+"v1/events", "application/x-ndjson", strings.NewReader(
		`{"time":"2026-11-26T09:00:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Q1@SW1"},"interaction":"c-1"}`+"\n"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, url := range []string{url1, url2} {
		require.Eventually(t, func() bool {
			var p struct{ Value float64 }
			getJSON(t, url+"v1/statistics/Q1@SW1.CallsEntered", &p)
			return p.Value == 1
		}, 20*time.Second, 20*time.Millisecond, url)
	}
	type health struct {
		Replica struct {
			ID, LeaseHolder, Group string
			HoldsLease, CaughtUp   bool
		}
	}
	var h1, h2 health
	require.Eventually(t, func() bool {
		getJSON(t, url1+"healthz", &h1)
		getJSON(t, url2+"healthz", &h2)
		return h1.Replica.LeaseHolder != "" && h1.Replica.LeaseHolder == h2.Replica.LeaseHolder && h1.Replica.CaughtUp && h2.Replica.CaughtUp
	}, 20*time.Second, 50*time.Millisecond, "%+v %+v", h1, h2)
	assert.NotEqual(t, h1.Replica.HoldsLease, h2.Replica.HoldsLease, "one holds the clock")
	assert.Equal(t, "default", h1.Replica.Group)
	for _, url := range []string{url1, url2} {
		resp, err := http.Get(url + "metrics")
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(b), "statkit_replica_lease_held ")
		assert.Contains(t, string(b), "statkit_replica_behind_seconds 0")
	}
}
