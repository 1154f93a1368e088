package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// boardConfig is a small center with a board: a headline, a queue table whose agent
// column reads the queue's group, and the agents.
const boardConfig = `
topology:
  dns:
    - {id: "7001", type: Extension, place: P1}
    - {id: "Support@SW1", type: ACDQueue}
    - {id: "Sales@SW1", type: ACDQueue}
  places: [{id: P1}]
  agents: [{id: "1001", name: "Ann Lee"}]
  groups:
    agents: {Team: ["1001"]}
statTypes:
  CallsWaiting: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [CallWait]}
  ServiceLevel: {objects: [Queue], category: ServiceFactor1, subject: DNAction, mainMask: [CallDistributed], relMask: [CallAbandoned]}
  Ready: {objects: [GroupAgents], category: CurrentNumber, subject: AgentStatus, mainMask: [WaitForNextCall]}
  Staffed: {objects: [GroupAgents], category: CurrentNumber, subject: DNAction, mainMask: [LoggedIn]}
  AgentState: {objects: [Agent], category: CurrentState, subject: AgentStatus, mainMask: ["*"]}
timeRanges: {SL20: "0-20"}
statistics:
  - {id: waiting, statType: CallsWaiting, object: {type: Queue, id: "Support@SW1"}}
  - {id: sales.waiting, statType: CallsWaiting, object: {type: Queue, id: "Sales@SW1"}}
  - {id: sl, statType: ServiceLevel, object: {type: Queue, id: "Support@SW1"}, timeRange: SL20}
  - {id: ready, statType: Ready, object: {type: GroupAgents, id: Team}}
  - {id: staffed, statType: Staffed, object: {type: GroupAgents, id: Team}}
  - {id: ann, statType: AgentState, object: {type: Agent, id: "1001"}}
wallboards:
  floor:
    title: Floor
    headline:
      - {statistic: waiting, label: Calls waiting, thresholds: {warn: 2, alarm: 4}}
      - {statistic: sl, thresholds: {warn: 80, alarm: 60, direction: below}}
      - {statistic: ready, of: staffed}
    sections:
      - title: Queues
        columns:
          - {statType: CallsWaiting, label: Waiting}
          - {statType: Ready, of: Staffed, label: Agents, thresholds: {}}
        rows:
          - {type: Queue, id: "Support@SW1", with: {GroupAgents: Team}}
          - {type: Queue, id: "Sales@SW1", label: Sales}
    agents:
      states: [{status: NotReadyForNextCall, reason: Break, thresholds: {warn: 600, alarm: 900}}]
`

// TestWallboardsEndpoint checks GET /v1/wallboards against the config, field by field.
func TestWallboardsEndpoint(t *testing.T) {
	cfg, err := config.Load("board.yaml", strings.NewReader(boardConfig))
	require.NoError(t, err)
	ts := startServer(t, Options{Config: cfg, TickInterval: -1}, nil, nil)
	status, body := ts.do("GET", "/v1/wallboards", "", nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var doc struct {
		Wallboards []struct {
			Name, Title string
			Headline    []map[string]any
			Sections    []struct {
				Title   string
				Columns []map[string]any
				Rows    []struct {
					Label  string
					Object map[string]string
					With   []map[string]string
					Cells  []map[string]any
				}
			}
			Agents struct {
				Statistics []string
				Groups     []string
				States     []map[string]any
			}
		}
	}
	require.NoError(t, json.Unmarshal(body, &doc), "%s", body)
	require.Len(t, doc.Wallboards, 1)
	b := doc.Wallboards[0]
	assert.Equal(t, "floor", b.Name)
	assert.Equal(t, "Floor", b.Title)
	require.Len(t, b.Headline, 3)
	w := b.Headline[0]
	assert.Equal(t, "waiting", w["statistic"])
	assert.Equal(t, "Calls waiting", w["label"])
	assert.Equal(t, "CallsWaiting", w["statType"])
	assert.Equal(t, "count", w["unit"])
	assert.Equal(t, map[string]any{"type": "Queue", "id": "Support@SW1"}, w["object"])
	assert.Equal(t, map[string]any{"warn": 2.0, "alarm": 4.0, "direction": "above"}, w["thresholds"])
	assert.Nil(t, w["of"])
	assert.Nil(t, w["timeRange"])
	sl := b.Headline[1]
	assert.Equal(t, "percent", sl["unit"])
	assert.Equal(t, "", sl["label"], "no label: the page names it after its stat type")
	assert.Equal(t, map[string]any{"name": "SL20", "lo": 0.0, "hi": 20.0}, sl["timeRange"], "the page shows the service level's threshold")
	assert.Equal(t, "below", sl["thresholds"].(map[string]any)["direction"])
	ag := b.Headline[2]
	assert.Equal(t, "staffed", ag["of"])
	assert.Nil(t, ag["thresholds"], "none configured: the page may guess")

	require.Len(t, b.Sections, 1)
	sec := b.Sections[0]
	assert.Equal(t, "Queues", sec.Title)
	require.Len(t, sec.Columns, 2)
	assert.Equal(t, "Waiting", sec.Columns[0]["label"])
	assert.Nil(t, sec.Columns[0]["thresholds"])
	assert.Equal(t, map[string]any{"direction": "above"}, sec.Columns[1]["thresholds"], "an empty mapping: colouring off")
	require.Len(t, sec.Rows, 2)
	r := sec.Rows[0]
	assert.Equal(t, "Support@SW1", r.Label)
	assert.Equal(t, []map[string]string{{"type": "GroupAgents", "id": "Team"}}, r.With)
	require.Len(t, r.Cells, 2)
	assert.Equal(t, "waiting", r.Cells[0]["statistic"])
	assert.Equal(t, "ready", r.Cells[1]["statistic"])
	assert.Equal(t, "staffed", r.Cells[1]["of"])
	r2 := sec.Rows[1]
	assert.Equal(t, "Sales", r2.Label)
	assert.Equal(t, "sales.waiting", r2.Cells[0]["statistic"])
	assert.Nil(t, r2.Cells[1], "no agent group named: a blank cell")

	assert.Equal(t, []string{"ann"}, b.Agents.Statistics)
	assert.Equal(t, []string{"Team"}, b.Agents.Groups)
	require.Len(t, b.Agents.States, 1)
	assert.Equal(t, []any{"NotReadyForNextCall"}, b.Agents.States[0]["statuses"])
	assert.Equal(t, "Break", b.Agents.States[0]["reason"])

	// Read-only, no parameters.
	status, _ = ts.do("POST", "/v1/wallboards", "application/json", []byte("{}"))
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	status, _ = ts.do("GET", "/v1/wallboards?board=floor", "", nil)
	assert.Equal(t, http.StatusBadRequest, status)

	// A config without boards has none: the page lays out every statistic itself.
	plain := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	status, body = plain.do("GET", "/v1/wallboards", "", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"wallboards": []}`, string(body))
}

// The demo's config defines its board, and every statistic the board shows is open.
func TestDemoBoard(t *testing.T) {
	cfg, err := DemoConfig(sim.Config{Agents: 30, Queues: 3, Seed: 1})
	require.NoError(t, err)
	b, ok := cfg.Wallboard("floor")
	require.True(t, ok)
	require.Len(t, b.Headline, 6)
	assert.Equal(t, "AllQueues.CallsWaiting", b.Headline[0].Statistic.ID)
	assert.Equal(t, "default.AgentsStaffed", b.Headline[5].Of.ID)
	require.Len(t, b.Sections, 2)
	require.Len(t, b.Sections[0].Rows, 3, "a row per queue")
	for i, r := range b.Sections[0].Rows {
		// With as many groups as queues, group i serves queue i (sim.Topology).
		require.Len(t, r.With, 1)
		assert.Equal(t, fmt.Sprintf("Group%d", i+1), r.With[0].ID, "row %s", r.Label)
		for c, cell := range r.Cells {
			require.NotNil(t, cell, "row %s column %d", r.Label, c)
		}
	}
	require.Len(t, b.Sections[1].Rows, 3, "a row per agent group")
	require.Len(t, b.Agents.Statistics, 30)
	for _, id := range tracked(cfg) {
		_, ok := cfg.Statistic(id)
		assert.True(t, ok, id)
	}
}

// The ring keeps changes, one per resolution step (the newer value winning), drops
// repeats, forgets the oldest when full, and answers a window with the value it starts
// with.
func TestTrendRing(t *testing.T) {
	const S = trendResolution // one resolution step
	var r trendRing
	r.add(S, 0)
	r.add(S+S/2, 0) // no change
	r.add(2*S+S/10, 1)
	r.add(2*S+9*S/10, 2) // same step: the newer value wins
	r.add(3*S, 2)        // no change
	r.add(4*S+S/5, 1)
	r.add(4*S+3*S/10, 2) // back to the value before this step: nothing left of the step
	r.add(5*S, math.NaN())
	r.add(5*S+S/10, math.NaN())
	r.add(4*S, 7) // older than the last point: taken at its time, same step
	got := r.since(nil, 0)
	want := []trendPoint{{S, 0}, {2*S + S/10, 2}, {5 * S, 7}}
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], got[i], "point %d", i)
	}
	r.add(6*S, math.NaN())
	last := r.since(nil, 0)
	assert.True(t, math.IsNaN(last[len(last)-1].V), "an undefined value is a point of its own")
	assert.Equal(t, []trendPoint{{2*S + S/10, 2}, {5 * S, 7}}, r.since(nil, 5*S)[:2], "from 5 steps: the value before it, then the points in it")

	var full trendRing
	for i := range trendPoints + 10 {
		full.add(event.Time(i)*2*S, float64(i%2))
	}
	pts := full.since(nil, 0)
	require.Len(t, pts, trendPoints)
	assert.Equal(t, event.Time(10*2)*S, pts[0].T, "the 10 oldest points went")
	assert.Equal(t, event.Time((trendPoints+9)*2)*S, pts[len(pts)-1].T)
}

// A board's statistics are tracked; without boards, the config's numeric ones.
func TestTracked(t *testing.T) {
	cfg, err := config.Load("board.yaml", strings.NewReader(boardConfig))
	require.NoError(t, err)
	assert.Equal(t, []string{"waiting", "sl", "ready", "staffed", "sales.waiting"}, tracked(cfg))
	assert.Equal(t, []string{"waiting", "longest", "entered", "ready", "gold"}, tracked(loadSmall(t)))
}

// GET /v1/trends follows the values the board's statistics take, at their event times,
// and GET /v1/clock the engine's clock.
func TestTrendsAndClock(t *testing.T) {
	cfg, err := config.Load("board.yaml", strings.NewReader(boardConfig))
	require.NoError(t, err)
	ts := startServer(t, Options{Config: cfg, TickInterval: -1}, nil, nil)
	var clock struct{ At *string }
	status, body := ts.do("GET", "/v1/clock", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(body, &clock))
	assert.Nil(t, clock.At, "before the first event the engine has no time")

	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	call := func(sec int, id, what string) string {
		at := t0.Add(time.Duration(sec) * time.Second).Format("2006-01-02T15:04:05.000Z")
		src := `"source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"` + id + `","media":"voice"`
		switch what {
		case "arrive":
			return `{"time":"` + at + `","action":"CallEntered",` + src + "}\n" + `{"time":"` + at + `","action":"CallWait","phase":"start",` + src + "}\n"
		default:
			return `{"time":"` + at + `","action":"CallWait","phase":"end",` + src + "}\n" + `{"time":"` + at + `","action":"CallAbandoned","duration":20,` + src + "}\n"
		}
	}
	var doc struct {
		At     *string
		Window float64
		Series []struct {
			Statistic string
			Points    [][2]*float64
		}
	}
	trends := func(query string) {
		t.Helper()
		status, body := ts.do("GET", "/v1/trends"+query, "", nil)
		require.Equal(t, http.StatusOK, status, "%s", body)
		require.NoError(t, json.Unmarshal(body, &doc))
	}
	// Each value is awaited before the next is posted: the recorder, like any stream
	// client, would see only the newest of values sent while it was busy.
	post := func(body string, points int) {
		t.Helper()
		status, r := ts.postEvents([]byte(body))
		require.Equal(t, http.StatusOK, status, "%+v", r)
		require.Empty(t, r.Rejected)
		require.Eventually(t, func() bool {
			trends("?statistic=waiting")
			return len(doc.Series) == 1 && len(doc.Series[0].Points) == points
		}, waitFor, 10*time.Millisecond, "trends: %+v", doc)
	}
	// Waiting: 0 before the clock starts, 1 at 10 s, 2 at 20 s, 1 at 30 s (c-1 abandons).
	post(call(10, "c-1", "arrive"), 2)
	post(call(20, "c-2", "arrive"), 3)
	post(call(30, "c-1", "abandon"), 4)
	ms := func(sec int) float64 { return float64(t0.Add(time.Duration(sec) * time.Second).UnixMilli()) }
	require.Eventually(t, func() bool {
		trends("?statistic=waiting&statistic=nope")
		return doc.At != nil && *doc.At == "2026-11-26T09:00:30.000Z"
	}, waitFor, 20*time.Millisecond, "the engine time: %v", doc.At)
	require.Len(t, doc.Series, 2)
	assert.Equal(t, 3600.0, doc.Window)
	assert.Equal(t, "waiting", doc.Series[0].Statistic)
	for i, want := range [][2]float64{{0, 0}, {ms(10), 1}, {ms(20), 2}, {ms(30), 1}} {
		p := doc.Series[0].Points[i]
		require.NotNil(t, p[0])
		require.NotNil(t, p[1])
		assert.Equal(t, want, [2]float64{*p[0], *p[1]}, "point %d", i)
	}
	assert.Equal(t, "nope", doc.Series[1].Statistic)
	assert.Empty(t, doc.Series[1].Points, "a statistic whose values are not kept has no points")

	trends("")
	var ids []string
	for _, s := range doc.Series {
		ids = append(ids, s.Statistic)
	}
	assert.Equal(t, []string{"ready", "sales.waiting", "sl", "staffed", "waiting"}, ids, "every series kept, by id")

	require.Eventually(t, func() bool {
		_, body := ts.do("GET", "/v1/clock", "", nil)
		require.NoError(t, json.Unmarshal(body, &clock))
		return clock.At != nil && *clock.At == "2026-11-26T09:00:30.000Z"
	}, waitFor, 50*time.Millisecond, "the clock samples the engine time")

	for _, bad := range []string{"/v1/trends?stat=waiting", "/v1/clock?x=1"} {
		status, _ := ts.do("GET", bad, "", nil)
		assert.Equal(t, http.StatusBadRequest, status, bad)
	}
	status, _ = ts.do("DELETE", "/v1/trends", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, status)
}

// The recorder follows a reload: the trends of a statistic the new config does not show
// go.
func TestTrendsFollowReload(t *testing.T) {
	cfg, err := config.Load("board.yaml", strings.NewReader(boardConfig))
	require.NoError(t, err)
	smaller := strings.Replace(boardConfig, "      - {statistic: ready, of: staffed}\n", "", 1)
	smaller = strings.Replace(smaller, "          - {statType: Ready, of: Staffed, label: Agents, thresholds: {}}\n", "", 1)
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, Reload: func() (*config.Config, []byte, error) {
		c, err := config.Load("board.yaml", strings.NewReader(smaller))
		return c, []byte(smaller), err
	}}, nil, nil)
	series := func() []string {
		_, body := ts.do("GET", "/v1/trends", "", nil)
		var doc struct{ Series []struct{ Statistic string } }
		require.NoError(t, json.Unmarshal(body, &doc))
		var ids []string
		for _, s := range doc.Series {
			ids = append(ids, s.Statistic)
		}
		return ids
	}
	post := `{"time":"2026-11-26T09:00:00.000Z","action":"LoggedIn","phase":"start","source":{"class":"regular_dn","id":"7001"},"agent":"1001"}` + "\n"
	status, r := ts.postEvents([]byte(post))
	require.Equal(t, http.StatusOK, status, "%+v", r)
	require.Eventually(t, func() bool { return len(series()) == 5 }, waitFor, 20*time.Millisecond, "before the reload: %v", series())
	_, err = ts.srv.Reload(context.Background())
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ids := series()
		return len(ids) == 3 && ids[0] == "sales.waiting" && ids[1] == "sl" && ids[2] == "waiting"
	}, waitFor, 20*time.Millisecond, "after the reload: %v", series())
}

// GET /v1/history answers from the history database: a recorded statistic's intervals,
// 400 for a bad parameter, 404 for a statistic that is not recorded — and 404 when the
// server keeps no history.
func TestHistoryEndpoint(t *testing.T) {
	cfg, err := config.Load("board.yaml", strings.NewReader(historyBoardConfig))
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	st := FillHistory(t, cfg, "entered.15", t0, []float64{3, 5, math.NaN(), 7})
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, History: st, Clock: newFakeClock(t0.Add(2 * time.Hour))}, nil, nil)
	status, body := ts.do("GET", "/v1/history?statType=CallsEntered&objectType=Queue&objectId=Support@SW1&from=2026-11-26T00:00:00Z", "", nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var resp struct {
		To     string
		Series []struct {
			Statistic string
			Profile   string
			Intervals []struct {
				Start, End string
				Value      *float64
			}
		}
	}
	require.NoError(t, json.Unmarshal(body, &resp))
	assert.Equal(t, "2026-11-26T10:00:00.000Z", resp.To, "to defaults to the server's clock")
	require.Len(t, resp.Series, 1)
	s := resp.Series[0]
	assert.Equal(t, "entered.15", s.Statistic)
	assert.Equal(t, "Q15", s.Profile)
	require.Len(t, s.Intervals, 4)
	assert.Equal(t, "2026-11-26T08:00:00.000Z", s.Intervals[0].Start)
	assert.Equal(t, "2026-11-26T08:15:00.000Z", s.Intervals[0].End)
	assert.Equal(t, 3.0, *s.Intervals[0].Value)
	assert.Nil(t, s.Intervals[2].Value, "an undefined interval is null")
	assert.Equal(t, 7.0, *s.Intervals[3].Value)

	status, _ = ts.do("GET", "/v1/history?statistic=waiting", "", nil)
	assert.Equal(t, http.StatusNotFound, status, "not recorded")
	status, _ = ts.do("GET", "/v1/history?statistic=entered.15&from=yesterday", "", nil)
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = ts.do("GET", "/v1/history?stat=entered.15", "", nil)
	assert.Equal(t, http.StatusBadRequest, status, "an unknown parameter")

	plain := startServer(t, Options{Config: cfg, TickInterval: -1}, nil, nil)
	status, body = plain.do("GET", "/v1/history?statistic=entered.15", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, string(body), "keeps no history")
}

// The recorder reads the frames the notifier builds without decoding JSON, and gets what
// decoding them gives: numbers, undefined values (NaN), ids with characters JSON
// escapes, values before the clock started (time 0), and it ignores structured values
// and drops the series of a closed statistic.
func TestTrendsRecordFrames(t *testing.T) {
	at := event.Time(1_764_147_600_000)
	atJSON, err := json.Marshal(at.String())
	require.NoError(t, err)
	frame := func(id string, atJ []byte, value string) []byte {
		idJSON, err := json.Marshal(id)
		require.NoError(t, err)
		f, _ := valueFrame(idJSON, atJ, []byte(value))
		return f
	}
	closed, err := closedFrame("gone", atJSON)
	require.NoError(t, err)
	frames := [][]byte{
		frame("q.calls", atJSON, "12"),
		frame("q.sl", atJSON, "87.5"),
		frame("q.asa", atJSON, "null"),
		frame(`a<b>&"c"`, atJSON, "3"),
		frame("early", []byte("null"), "4"),
		frame("state", atJSON, `{"type":"Agent","id":"1001"}`),
		frame("gone", atJSON, "1"),
		closed,
	}
	_, _, _, ok := quickValueFrame(frames[0])
	require.True(t, ok, "the fast path reads the notifier's frames")
	tr := newTrends()
	tr.record(frames)
	got := map[string]trendPoint{}
	for id, r := range tr.series {
		require.Equal(t, 1, r.n, id)
		got[id] = *r.at(0)
	}
	require.Len(t, got, 5)
	assert.Equal(t, trendPoint{at, 12}, got["q.calls"])
	assert.Equal(t, trendPoint{at, 87.5}, got["q.sl"])
	assert.True(t, math.IsNaN(got["q.asa"].V))
	assert.Equal(t, trendPoint{at, 3}, got[`a<b>&"c"`])
	assert.Equal(t, trendPoint{0, 4}, got["early"])
}
