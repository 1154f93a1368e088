package server

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
)

// postResult is the outcome of a post made in a goroutine.
type postResult struct {
	status int
	resp   eventsResponse
	err    error
}

// postAsync posts body in a goroutine.
func (ts *testServer) postAsync(body []byte) <-chan postResult {
	out := make(chan postResult, 1)
	go func() {
		var r postResult
		resp, err := client.Post(ts.url+"/v1/events", "application/x-ndjson", bytes.NewReader(body))
		if err != nil {
			r.err = err
			out <- r
			return
		}
		defer resp.Body.Close()
		r.status = resp.StatusCode
		r.err = decodeJSON(resp.Body, &r.resp)
		out <- r
	}()
	return out
}

// Shutting down while batches are being applied and queued loses none of them: both
// posts are answered as accepted, and the engine holds exactly the values of a direct
// run over every event. Streams end, and new requests are refused.
func TestShutdownLosesNoAcceptedEvent(t *testing.T) {
	sc := sim.Config{Seed: 3, Agents: 10, Queues: 2, Duration: time.Hour, LoginSpread: time.Minute}
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	events := simEvents(t, sc)
	batches := splitAtTimes(events, 3)

	var block atomic.Bool
	entered, release := make(chan struct{}, 1), make(chan struct{})
	ts := startServer(t, Options{Config: cfg, TickInterval: -1}, func(s *Server) {
		s.own.hookBatch = func() {
			if block.Load() {
				block.Store(false)
				entered <- struct{}{}
				<-release
			}
		}
	}, nil)
	stream := ts.openStream("/v1/stream")

	status, r := ts.postEvents(ndjson(t, batches[0]))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, len(batches[0]), r.Accepted)

	// Batch 1 is held inside the owner; batch 2 waits in the ingest queue behind it.
	block.Store(true)
	second := ts.postAsync(ndjson(t, batches[1]))
	select {
	case <-entered:
	case <-time.After(waitFor):
		t.Fatal("batch 1 never reached the owner")
	}
	third := ts.postAsync(ndjson(t, batches[2]))
	require.Eventually(t, func() bool { return len(ts.srv.slots) == 2 }, waitFor, time.Millisecond)

	ts.cancel()
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", ts.addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, waitFor, time.Millisecond, "the listener is still accepting after shutdown began")
	require.Eventually(t, stream.ended, waitFor, time.Millisecond, "the stream did not end at shutdown")
	close(release)
	require.NoError(t, ts.stop())

	for i, ch := range []<-chan postResult{second, third} {
		r := <-ch
		require.NoError(t, r.err)
		assert.Equal(t, http.StatusOK, r.status, "batch %d", i+1)
		assert.Equal(t, len(batches[i+1]), r.resp.Accepted, "batch %d", i+1)
	}
	_, err = client.Post(ts.url+"/v1/events", "application/x-ndjson", bytes.NewReader(ndjson(t, events[:1])))
	assert.Error(t, err, "a post after shutdown")
	_, err = ts.srv.Ingest(context.Background(), []event.Event{events[0]})
	assert.ErrorIs(t, err, ErrStopped)

	// The owner has stopped: its engine can be read.
	ref, err := engine.New(cfg)
	require.NoError(t, err)
	for i := range events {
		require.NoError(t, ref.Apply(&events[i]))
	}
	got := ts.srv.own.eng
	assert.Equal(t, ref.Now(), got.Now())
	for _, st := range ref.Statistics() {
		assert.Equal(t, valueJSONOf(t, ref, st.ID), valueJSONOf(t, got, st.ID), st.ID)
	}
	assert.Equal(t, float64(len(events)), metricValue(t, ts.srv.m.accepted))
	assert.Equal(t, float64(0), metricValue(t, ts.srv.m.subscribers))
}
