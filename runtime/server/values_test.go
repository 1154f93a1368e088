package server

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/runtime/config"
)

// startAPIServer serves testdata/api.yaml without a clock (event time only).
func startAPIServer(t *testing.T, reload func() (*config.Config, []byte, error)) *testServer {
	t.Helper()
	cfg, text := loadAPIConfig(t)
	return startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Reload: reload}, nil, nil)
}

// getJSON GETs path, requires status want and returns the body.
func (ts *testServer) getJSON(path string, want int) []byte {
	ts.t.Helper()
	status, b := ts.do("GET", path, "", nil)
	require.Equal(ts.t, want, status, "GET %s: %s", path, b)
	return b
}

// The values endpoint, the listing with values and the peek carry undefined values as
// null with their reason, and defined ones exactly as before (no reason member). The
// expected values are worked out by hand from apiEventsEnter and apiEventsLeave: after
// the first batch two calls wait and none was distributed (the speed of answer averages
// nothing; 0 of 2 calls abandoned); after the second, one call was distributed after 10 s
// and one abandoned (50 %).
func TestValuesCarryReasons(t *testing.T) {
	ts := startAPIServer(t, nil)
	status, r := ts.postEvents([]byte(apiEventsEnter))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 4, r.Accepted)

	const at = `"2026-11-26T09:00:00.000Z"`
	b := ts.getJSON("/v1/values?statistic=waiting&statistic=asa,abandonRate&statistic=waiting", http.StatusOK)
	require.JSONEq(t, `{"values":[
		{"statistic":"waiting","at":`+at+`,"value":2},
		{"statistic":"asa","at":`+at+`,"value":null,"reason":"no instance to average"},
		{"statistic":"abandonRate","at":`+at+`,"value":0}]}`, string(b))

	// A defined value's peek is byte for byte what it was before undefined values had a
	// reason; an undefined one adds the reason after the value.
	require.Equal(t, `{"id":"waiting","statType":"CallsWaiting","object":{"type":"Queue","id":"Support@SW1"},"profile":"Default","at":`+at+`,"value":2}`+"\n",
		string(ts.getJSON("/v1/statistics/waiting", http.StatusOK)))
	require.Equal(t, `{"id":"asa","statType":"SpeedOfAnswer","object":{"type":"Queue","id":"Support@SW1"},"profile":"Default","at":`+at+`,"value":null,"reason":"no instance to average"}`+"\n",
		string(ts.getJSON("/v1/statistics/asa", http.StatusOK)))

	// The stream's first frames: the same data as the values endpoint's items.
	st := ts.openStream("/v1/stream?statistic=asa,waiting")
	require.Eventually(t, func() bool { return len(st.events()) >= 2 }, waitFor, time.Millisecond)
	ev := st.events()
	require.Equal(t, `{"statistic":"asa","at":`+at+`,"value":null,"reason":"no instance to average"}`, string(ev[0].Data))
	require.Equal(t, `{"statistic":"waiting","at":`+at+`,"value":2}`, string(ev[1].Data))

	// The second batch defines the average: its frame has no reason any more.
	status, _ = ts.postEvents([]byte(apiEventsLeave))
	require.Equal(t, http.StatusOK, status)
	const at2 = `"2026-11-26T09:00:20.000Z"`
	require.Eventually(t, func() bool {
		for _, e := range st.events() {
			if string(e.Data) == `{"statistic":"asa","at":`+at2+`,"value":10}` {
				return true
			}
		}
		return false
	}, waitFor, time.Millisecond)

	// Every open statistic, in open order, with the listing's definitions.
	b = ts.getJSON("/v1/values", http.StatusOK)
	var vals struct {
		Values []valueItemJSON `json:"values"`
	}
	require.NoError(t, json.Unmarshal(b, &vals))
	got := map[string]string{}
	var order []string
	for _, v := range vals.Values {
		order = append(order, v.Statistic)
		require.Equal(t, at2, string(v.At))
		require.Empty(t, v.Reason, v.Statistic)
		if v.Statistic != "ann" {
			got[v.Statistic] = string(v.Value)
		}
	}
	require.Equal(t, []string{"waiting", "quiet", "entered", "abandoned", "asa", "abandonRate", "ann"}, order)
	require.Equal(t, map[string]string{"waiting": "0", "quiet": "0", "entered": "2", "abandoned": "1", "asa": "10", "abandonRate": "50"}, got)

	b = ts.getJSON("/v1/statistics?values=true&statistic=asa,ann", http.StatusOK)
	var list struct {
		Statistics []map[string]any `json:"statistics"`
	}
	require.NoError(t, json.Unmarshal(b, &list))
	require.Len(t, list.Statistics, 2)
	require.Equal(t, "asa", list.Statistics[0]["id"])
	require.Equal(t, 10.0, list.Statistics[0]["value"])
	require.Equal(t, true, list.Statistics[0]["export"])
	require.Equal(t, "ann", list.Statistics[1]["id"])
	require.IsType(t, map[string]any{}, list.Statistics[1]["value"], "a state tree")
	require.NotContains(t, list.Statistics[1], "reason")

	// Without values, the definitions only; export shows where the config marks it.
	b = ts.getJSON("/v1/statistics", http.StatusOK)
	var defs struct{ Statistics []statisticJSON }
	require.NoError(t, json.Unmarshal(b, &defs))
	exported := map[string]bool{}
	for _, d := range defs.Statistics {
		exported[d.ID] = d.Export
	}
	require.Equal(t, map[string]bool{"waiting": true, "quiet": false, "entered": false, "abandoned": false,
		"asa": true, "abandonRate": true, "ann": true}, exported)
	require.NotContains(t, string(b), `"value"`)
}

// Ids that are not open are 404, each named with the nearest open id when one is near,
// and nothing is answered for the others; bad parameter values are 400.
func TestValuesUnknownAndBadParameters(t *testing.T) {
	ts := startAPIServer(t, nil)
	for _, p := range []string{"/v1/values?statistic=waitng&statistic=asa&statistic=zzz", "/v1/statistics?statistic=waitng,asa,zzz&values=true",
		"/v1/statistics?statistic=waitng,zzz"} {
		msg := errorBody(t, ts.getJSON(p, http.StatusNotFound)).Error
		require.Equal(t, `unknown statistics "waitng" (did you mean "waiting"?), "zzz": unknown statistic`, msg, p)
	}
	require.Contains(t, errorBody(t, ts.getJSON("/v1/stream?statistic=asa&statistic=abandonrate", http.StatusNotFound)).Error,
		`"abandonrate" (did you mean "abandonRate"?)`)
	for p, want := range map[string]string{
		"/v1/values?statistic=":                   `an empty statistic id`,
		"/v1/values?statistic=a,,b":               `an empty statistic id in "a,,b"`,
		"/v1/statistics?values=maybe":             `values must be true or false, not "maybe"`,
		"/v1/statistics?values=true&values=false": `values is given 2 times`,
	} {
		require.Contains(t, errorBody(t, ts.getJSON(p, http.StatusBadRequest)).Error, want, p)
	}
	// values=1 and values=0 are accepted as true and false.
	require.Contains(t, string(ts.getJSON("/v1/statistics?values=1", http.StatusOK)), `"value"`)
	require.NotContains(t, string(ts.getJSON("/v1/statistics?values=0", http.StatusOK)), `"value"`)
}

// A query parameter an endpoint does not take is 400, naming it and the parameter meant;
// the request changes nothing.
func TestUnknownQueryParameters(t *testing.T) {
	ts := startAPIServer(t, nil)
	cases := []struct{ method, path, want string }{
		{"GET", "/v1/stream?stat=waiting", `unknown query parameter "stat" (did you mean "statistic"?): GET /v1/stream takes statistic`},
		{"GET", "/v1/values?statistics=waiting", `unknown query parameter "statistics" (did you mean "statistic"?): GET /v1/values takes statistic`},
		{"GET", "/v1/statistics?valeus=true", `unknown query parameter "valeus" (did you mean "values"?): GET /v1/statistics takes statistic, values`},
		{"GET", "/v1/config?verbose=1&x=2", `unknown query parameters "verbose", "x": GET /v1/config takes no query parameters`},
		{"GET", "/v1/statistics/waiting?values=true", `unknown query parameter "values": GET /v1/statistics/{id} takes no query parameters`},
		{"DELETE", "/v1/statistics/waiting?force=1", `unknown query parameter "force": DELETE /v1/statistics/{id} takes no query parameters`},
		{"POST", "/v1/statistics?dryRun=1", `unknown query parameter "dryRun": POST /v1/statistics takes no query parameters`},
		{"POST", "/v1/events?key=1", `unknown query parameter "key": POST /v1/events takes no query parameters`},
		{"GET", "/healthz?full", `unknown query parameter "full": GET /healthz takes no query parameters`},
		{"HEAD", "/healthz?full", ``},
		{"GET", "/metrics?name[]=x", `unknown query parameter "name[]": GET /metrics takes no query parameters`},
		{"GET", "/v1/openapi.json?format=yaml", `unknown query parameter "format": GET /v1/openapi.json takes no query parameters`},
		{"GET", "/v1/actions?origin=local", `unknown query parameter "origin": GET /v1/actions takes no query parameters`},
		{"POST", "/v1/config/reload?force", `unknown query parameter "force": POST /v1/config/reload takes no query parameters`},
		{"GET", "/v1/values?statistic=waiting&%zz", `bad query string`},
	}
	for _, c := range cases {
		body := `{"statType":"CallsWaiting","object":{"type":"Queue","id":"Sales@SW1"}}`
		if strings.HasPrefix(c.path, "/v1/events") {
			body = apiEventsEnter
		}
		status, b := ts.do(c.method, c.path, "application/json", []byte(body))
		require.Equal(t, http.StatusBadRequest, status, "%s %s: %s", c.method, c.path, b)
		if c.want != "" {
			require.Contains(t, errorBody(t, b).Error, c.want, "%s %s", c.method, c.path)
		}
	}
	// Nothing changed: no statistic closed or opened, no event applied.
	var defs struct{ Statistics []statisticJSON }
	require.NoError(t, json.Unmarshal(ts.getJSON("/v1/statistics", http.StatusOK), &defs))
	require.Len(t, defs.Statistics, 7)
	require.Equal(t, "0", string(ts.peek("entered").Value))
	// The wallboard's page reads its own query.
	status, _ := ts.do("GET", "/?board=queues", "", nil)
	require.Equal(t, http.StatusOK, status)
	// 405 and 404 come before the parameters.
	status, _ = ts.do("PUT", "/v1/values?x=1", "", nil)
	require.Equal(t, http.StatusMethodNotAllowed, status)
	status, _ = ts.do("GET", "/v1/nothing?x=1", "", nil)
	require.Equal(t, http.StatusNotFound, status)
}

// exportedSamples returns the statkit_statistic_value samples of /metrics by statistic,
// checking each sample's labels against the config.
func exportedSamples(t *testing.T, ts *testServer, labels map[string]string) map[string]string {
	t.Helper()
	sample := regexp.MustCompile(`^statkit_statistic_value\{object="([^"]*)",object_type="([^"]*)",stat_type="([^"]*)",statistic="([^"]*)"\} (\S+)$`)
	status, b := ts.do("GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, status)
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "statkit_statistic_value") {
			continue
		}
		m := sample.FindStringSubmatch(line)
		require.NotNil(t, m, "sample %q", line)
		require.Equal(t, labels[m[4]], m[1]+"/"+m[2]+"/"+m[3], "labels of %s", m[4])
		out[m[4]] = m[5]
	}
	return out
}

// The statistics the config marks for export are gauges in /metrics: a stat type's mark
// covers its statistics (API ones too), a statistic's own mark overrides it, an
// undefined value and a state tree have no sample. A reload that changes the marks
// changes what is exported at once, and reopens nothing.
func TestExportedStatisticsInMetrics(t *testing.T) {
	cfg, text := loadAPIConfig(t)
	next := text
	ts := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Reload: func() (*config.Config, []byte, error) {
		c, err := config.Load("testdata/api.yaml", strings.NewReader(string(next)))
		return c, next, err
	}}, nil, nil)
	labels := map[string]string{
		"waiting": "Support@SW1/Queue/CallsWaiting", "asa": "Support@SW1/Queue/SpeedOfAnswer",
		"abandonRate": "Support@SW1/Queue/AbandonRate", "s-1": "Sales@SW1/Queue/CallsWaiting",
		"entered": "Support@SW1/Queue/CallsEntered",
	}
	require.Equal(t, map[string]string{"waiting": "0", "asa": "0"}, exportedSamples(t, ts, labels),
		"before any event the engine has not started: counts and averages are 0, the rate 100·0/0 is undefined (no sample)")

	status, _ := ts.postEvents([]byte(apiEventsEnter))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]string{"waiting": "2", "abandonRate": "0"}, exportedSamples(t, ts, labels),
		"two calls wait; 0 of 2 abandoned; asa averages nothing: no sample")
	status, _ = ts.postEvents([]byte(apiEventsLeave))
	require.Equal(t, http.StatusOK, status)
	id := ts.open(`{"statType":"CallsWaiting","object":{"type":"Queue","id":"Sales@SW1"}}`)
	require.Equal(t, "s-1", id)
	require.Equal(t, map[string]string{"waiting": "0", "asa": "10", "abandonRate": "50", "s-1": "0"}, exportedSamples(t, ts, labels))

	// The reload drops the stat type's mark and marks entered: waiting and s-1 go,
	// entered comes, and every statistic keeps its value.
	s := strings.Replace(string(text), "mainMask: [CallWait], export: true}", "mainMask: [CallWait]}", 1)
	s = strings.Replace(s, `{id: entered, statType: CallsEntered, object: {type: Queue, id: "Support@SW1"}}`,
		`{id: entered, statType: CallsEntered, object: {type: Queue, id: "Support@SW1"}, export: true}`, 1)
	require.NotEqual(t, string(text), s)
	next = []byte(s)
	status, b := ts.do("POST", "/v1/config/reload", "", nil)
	require.Equal(t, http.StatusOK, status, "%s", b)
	var res ReloadResult
	require.NoError(t, json.Unmarshal(b, &res))
	require.Empty(t, res.Reopened, "export marks are no part of a definition")
	require.Empty(t, res.Closed)
	require.Equal(t, map[string]string{"asa": "10", "abandonRate": "50", "entered": "2"}, exportedSamples(t, ts, labels))
	var conf configDoc
	require.NoError(t, json.Unmarshal(ts.getJSON("/v1/config", http.StatusOK), &conf))
	marked := map[string]bool{}
	for _, st := range conf.StatTypes {
		marked[st.Name] = st.Export
	}
	require.Equal(t, map[string]bool{"CallsWaiting": false, "CallsEntered": false, "CallsAbandoned": false,
		"SpeedOfAnswer": false, "AbandonRate": true, "AgentState": true}, marked)
}

// A config that exports nothing costs a scrape no op on the owner: /metrics answers
// while the owner goroutine is busy.
func TestMetricsWithoutExportsDoNotWaitForTheOwner(t *testing.T) {
	cfg := loadSmall(t)
	require.False(t, cfg.Exports())
	block := make(chan struct{})
	ts := startServer(t, Options{Config: cfg, TickInterval: -1}, nil, nil)
	go ts.srv.do(t.Context(), func(*owner) { <-block }) //nolint:errcheck // the op only blocks
	defer close(block)
	status, b := ts.do("GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, string(b), "statkit_statistic_value")
}

// GET /v1/actions shows each action's origin: local exactly for the spec's actions
// marked origin: local (read from spec/actions.yaml), seed for the others.
func TestActionsOrigin(t *testing.T) {
	raw, err := os.ReadFile("../../spec/actions.yaml")
	require.NoError(t, err)
	var spec struct {
		Actions []struct {
			Name    string `yaml:"name"`
			Variant string `yaml:"variant"`
			Origin  string `yaml:"origin"`
		} `yaml:"actions"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &spec))
	want := map[string]string{}
	for _, a := range spec.Actions {
		key := a.Name
		if a.Variant != "" {
			key += " (" + a.Variant + ")"
		}
		want[key] = "seed"
		if a.Origin == "local" {
			want[key] = "local"
		}
	}
	ts := startAPIServer(t, nil)
	var doc struct {
		Actions []struct{ Key, Origin string }
	}
	require.NoError(t, json.Unmarshal(ts.getJSON("/v1/actions", http.StatusOK), &doc))
	got := map[string]string{}
	for _, a := range doc.Actions {
		got[a.Key] = a.Origin
	}
	require.Equal(t, want, got)
	counts := map[string]int{}
	for _, o := range got {
		counts[o]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k+"="+strconv.Itoa(counts[k]))
	}
	sort.Strings(keys)
	t.Logf("origins: %s", strings.Join(keys, " "))
}
