package server

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
)

// splitAtTimes cuts events into about n batches, each cut where the time changes, so
// that no two batches end at the same engine time.
func splitAtTimes(events []event.Event, n int) [][]event.Event {
	var out [][]event.Event
	start := 0
	for k := 1; k < n; k++ {
		cut := max(start+1, k*len(events)/n)
		for cut < len(events) && events[cut].Time == events[cut-1].Time {
			cut++
		}
		if cut >= len(events) {
			break
		}
		out = append(out, events[start:cut])
		start = cut
	}
	return append(out, events[start:])
}

// valueJSONOf returns the JSON of statistic id's value in e.
func valueJSONOf(t *testing.T, e *engine.Engine, id string) string {
	t.Helper()
	v, err := e.Value(id)
	require.NoError(t, err)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// The server, fed a simulated day in batches over HTTP with statistics opened through
// the API midway, answers every peek and sends every stream notification with exactly
// the values an engine run directly on the same events has at the same engine time.
func TestEndToEndMatchesEngine(t *testing.T) {
	sc := sim.Config{Seed: 11, Agents: 8, Queues: 2, Duration: 40 * time.Minute, LoginSpread: time.Minute}
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	events := simEvents(t, sc)
	ref, err := engine.New(cfg)
	require.NoError(t, err)

	clock := newFakeClock(time.Unix(0, 0))
	// The fake clock is at the epoch; the events are not: no future-event check.
	ts := startServer(t, Options{Config: cfg, Clock: clock, TickInterval: time.Second, TickLag: -1, MaxSkew: -1}, nil, nil)

	// refAt holds the reference value of every open statistic at each engine time the
	// server can notify at (start, after each batch).
	refAt := map[string]map[string]string{}
	record := func() {
		at := "" // a frame's null time, before the first event or tick
		if ref.Started() {
			at = ref.Now().String()
		}
		if refAt[at] == nil {
			refAt[at] = map[string]string{}
		}
		for _, st := range ref.Statistics() {
			refAt[at][st.ID] = valueJSONOf(t, ref, st.ID)
		}
	}
	record()

	all := ts.openStream("/v1/stream")
	some := ts.openStream("/v1/stream?statistic=Q1@SW1.CallsWaiting&statistic=Group1.AgentsReady&statistic=Q1@SW1.CallsWaiting")

	opened := []struct{ body, statType, objType, objID string }{
		{`{"statType":"CallsWaiting","object":{"type":"GroupQueues","id":"AllQueues"}}`, "CallsWaiting", "GroupQueues", "AllQueues"},
		{`{"statType":"AgentState","object":{"type":"Agent","id":"1003"},"notification":{"mode":"changes","insensitivity":0}}`, "AgentState", "Agent", "1003"},
		{`{"statType":"AverageTalkTime","object":{"type":"GroupAgents","id":"Group2"},"profile":"Default"}`, "AverageTalkTime", "GroupAgents", "Group2"},
	}
	batches := splitAtTimes(events, 6)
	require.Len(t, batches, 6)
	for k, b := range batches {
		status, r := ts.postEvents(ndjson(t, b))
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, len(b), r.Accepted)
		require.Empty(t, r.Rejected)
		for i := range b {
			require.NoError(t, ref.Apply(&b[i]))
		}
		if k == 1 {
			for _, o := range opened {
				id := ts.open(o.body)
				st, err := cfg.NewStatistic(config.StatisticSpec{StatType: o.statType, Object: config.ObjectSpec{Type: o.objType, ID: o.objID}})
				require.NoError(t, err)
				st.ID = id
				require.NoError(t, ref.Open(st))
			}
		}
		record()

		status, body := ts.do("GET", "/v1/statistics", "", nil)
		require.Equal(t, http.StatusOK, status)
		var list struct{ Statistics []statisticJSON }
		require.NoError(t, json.Unmarshal(body, &list))
		require.Len(t, list.Statistics, len(ref.Statistics()))
		for i, st := range ref.Statistics() {
			require.Equal(t, st.ID, list.Statistics[i].ID)
			p := ts.peek(st.ID)
			assert.Equal(t, ref.Now().String(), atOf(t, p))
			assert.Equal(t, st.StatType.Name, p.StatType)
			assert.Equal(t, objectJSON{Type: st.Object.Type.String(), ID: st.Object.ID}, p.Object)
			assert.JSONEq(t, valueJSONOf(t, ref, st.ID), string(p.Value), "batch %d, statistic %s", k, st.ID)
		}
	}
	assert.Equal(t, []string{"s-1", "s-2", "s-3"}, idsOf(ref.Statistics()[len(cfg.Statistics):]))

	// A tick at the last event's time evaluates the clock-driven statistics there.
	clock.tick(t, ref.Now().Std())
	final := map[string]string{}
	for _, st := range ref.Statistics() {
		final[st.ID] = valueJSONOf(t, ref, st.ID)
	}
	require.Eventually(t, func() bool {
		got := all.latest(t)
		for id, want := range final {
			if f, ok := got[id]; !ok || !jsonEqual(want, string(f.Value)) {
				return false
			}
		}
		return true
	}, waitFor, 10*time.Millisecond, "the stream of all statistics ends on the final values")
	require.Eventually(t, func() bool {
		got := some.latest(t)
		return len(got) == 2 && jsonEqual(final["Q1@SW1.CallsWaiting"], string(got["Q1@SW1.CallsWaiting"].Value)) &&
			jsonEqual(final["Group1.AgentsReady"], string(got["Group1.AgentsReady"].Value))
	}, waitFor, 10*time.Millisecond, "the filtered stream ends on the final values")

	// Every notification carries the reference value at its engine time.
	for name, st := range map[string]*stream{"all": all, "some": some} {
		n := 0
		for _, e := range st.events() {
			require.Equal(t, "value", e.Name)
			var f frameData
			require.NoError(t, json.Unmarshal(e.Data, &f))
			want, ok := refAt[f.At][f.Statistic]
			require.True(t, ok, "%s: notification of %s at %s: no batch ended then", name, f.Statistic, f.At)
			require.JSONEq(t, want, string(f.Value), "%s: notification of %s at %s", name, f.Statistic, f.At)
			n++
		}
		t.Logf("%s: %d notifications checked", name, n)
	}
	for _, e := range some.events() {
		var f frameData
		require.NoError(t, json.Unmarshal(e.Data, &f))
		require.Contains(t, []string{"Q1@SW1.CallsWaiting", "Group1.AgentsReady"}, f.Statistic)
	}
	assert.Equal(t, float64(len(events)), metricValue(t, ts.srv.m.accepted))
	assert.Equal(t, float64(len(ref.Statistics())), metricValue(t, ts.srv.m.statsOpen))

	// Closing a statistic tells its subscribers; it is then unknown.
	status, _ := ts.do("DELETE", "/v1/statistics/s-2", "", nil)
	require.Equal(t, http.StatusNoContent, status)
	require.Eventually(t, func() bool {
		for _, e := range all.events() {
			var f frameData
			if e.Name == "closed" && json.Unmarshal(e.Data, &f) == nil && f.Statistic == "s-2" {
				return true
			}
		}
		return false
	}, waitFor, 10*time.Millisecond)
	status, body := ts.do("GET", "/v1/statistics/s-2", "", nil)
	assert.Equal(t, http.StatusNotFound, status, "%s", body)
}

// idsOf returns the ids of sts.
func idsOf(sts []*config.Statistic) []string {
	out := make([]string, len(sts))
	for i, st := range sts {
		out[i] = st.ID
	}
	return out
}

// jsonEqual reports whether two JSON texts encode the same value.
func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
