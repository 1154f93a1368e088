package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/engine"
)

// Hand-written events on testdata/small.yaml.
const (
	evEntered   = `{"time":"2026-11-26T09:00:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-1"}`
	evWaitStart = `{"time":"2026-11-26T09:00:00Z","action":"CallWait","phase":"start","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-1"}`
	evWaitEnd   = `{"time":"2026-11-26T09:00:05Z","action":"CallWait","phase":"end","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-1"}`
)

// errorBody decodes an error response.
func errorBody(t *testing.T, b []byte) errorJSON {
	t.Helper()
	var e errorJSON
	require.NoError(t, json.Unmarshal(b, &e), "body: %s", b)
	require.NotEmpty(t, e.Error, "body: %s", b)
	return e
}

// codes returns the line:code of each rejection.
func codes(r eventsResponse) []string {
	var out []string
	for _, rej := range r.Rejected {
		out = append(out, strconv.Itoa(rej.Line)+":"+rej.Code)
		if rej.Reason == "" {
			out = append(out, "no reason")
		}
	}
	return out
}

func TestEventsPerLineResults(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)

	// Valid lines are applied, bad ones listed with their line, reason and code; blank
	// lines count but are skipped. A batch is sequenced as a whole: its events are
	// applied in time order (line 8, an hour before the others, comes first).
	body := strings.Join([]string{
		evEntered,
		`{"time":"2026-11-26T09:00:00Z",`, // truncated JSON
		"",
		`{"time":"2026-11-26T09:00:00Z","action":"NoSuchAction","source":{"class":"mediation_dn","id":"Support@SW1"}}`,
		evWaitStart,
		`{"time":"2026-11-26T09:00:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Nowhere@SW1"}}`,
		evWaitStart, // a second start of the same instance: the engine refuses it
		`{"time":"2026-11-26T08:00:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-0"}`,
	}, "\n")
	status, b := ts.do("POST", "/v1/events", "text/plain", []byte(body))
	require.Equal(t, http.StatusOK, status, "%s", b)
	var r eventsResponse
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, 3, r.Accepted)
	assert.Equal(t, []string{"2:bad_json", "4:unknown_action", "6:unknown_object", "7:duplicate_start"}, codes(r))
	assert.Equal(t, 4, r.RejectedTotal)
	assert.Empty(t, r.Late)
	assert.Empty(t, r.Error)
	assert.Equal(t, "1", string(ts.peek("waiting").Value))
	assert.Equal(t, "2", string(ts.peek("entered").Value))

	// An event older than what was applied is late: applied at the engine clock, listed
	// with how late it was, never rejected.
	status, r = ts.postEvents([]byte(`{"time":"2026-11-26T08:30:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-9"}`))
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 1, r.Accepted)
	assert.Empty(t, r.Rejected)
	assert.Equal(t, 1, r.LateTotal)
	require.Len(t, r.Late, 1)
	assert.Equal(t, 1, r.Late[0].Line)
	assert.Equal(t, int64(30*60*1000), r.Late[0].By)
	assert.Equal(t, "2026-11-26T09:00:00.000Z", r.Late[0].At.String())
	assert.Equal(t, "3", string(ts.peek("entered").Value))
	assert.Equal(t, "2026-11-26T09:00:00.000Z", atOf(t, ts.peek("entered")))

	// No line accepted: 400 with the same body.
	status, r = ts.postEvents([]byte("not json\n" + evWaitStart + "\n"))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, 0, r.Accepted)
	assert.Equal(t, []string{"1:bad_json", "2:duplicate_start"}, codes(r))
	assert.NotEmpty(t, r.Error)

	// An empty body has no event: 400.
	status, r = ts.postEvents(nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Empty(t, r.Rejected)
	assert.NotNil(t, r.Rejected)

	// An end without a start is the engine's rejection.
	status, r = ts.postEvents([]byte(evWaitEnd + "\n" + evWaitEnd))
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, []string{"2:end_without_start"}, codes(r))

	assert.Equal(t, float64(5), metricValue(t, ts.srv.m.accepted))
	assert.Equal(t, float64(2), metricValue(t, ts.srv.m.rejected.WithLabelValues("bad_json")))
	assert.Equal(t, float64(2), metricValue(t, ts.srv.m.rejected.WithLabelValues("duplicate_start")))
	assert.Equal(t, float64(0), metricValue(t, ts.srv.m.rejected.WithLabelValues("late_event")))
	assert.Equal(t, float64(1), metricValue(t, ts.srv.m.late.WithLabelValues("http")))
}

func TestOversizedBody(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1, MaxBodyBytes: 1024}, nil, nil)
	// Valid events up to well past the limit: nothing of the body is applied.
	body := []byte(strings.Repeat(evEntered+"\n", 20))
	status, b := ts.do("POST", "/v1/events", "", body)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Contains(t, errorBody(t, b).Error, "1024 bytes")

	// The same without a Content-Length (chunked): the limit hits while reading.
	req, err := http.NewRequest("POST", ts.url+"/v1/events", strings.NewReader(string(body)))
	require.NoError(t, err)
	req.ContentLength = -1
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	assert.Equal(t, float64(0), metricValue(t, ts.srv.m.accepted))
	assert.Equal(t, "0", string(ts.peek("entered").Value))

	// Just under the limit is fine.
	status, r := ts.postEvents([]byte(strings.Repeat(evEntered+"\n", 7)))
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 7, r.Accepted)
}

func TestStatisticRequests(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	tests := []struct {
		name, body string
		status     int
		want       string // in the error message
		field      string // a problem's field, when the config refused it
	}{
		{"bad JSON", `{"statType": "CallsWaiting",`, 400, "bad statistic JSON", ""},
		{"not an object", `[1,2]`, 400, "bad statistic JSON", ""},
		{"empty body", ``, 400, "empty body", ""},
		{"trailing data", `{"statType":"CallsWaiting","object":{"type":"Queue","id":"Support@SW1"}} {}`, 400, "data after", ""},
		{"unknown field", `{"statType":"CallsWaiting","object":{"type":"Queue","id":"Support@SW1"},"colour":"red"}`, 400, `unknown field "colour"`, ""},
		{"id is generated", `{"id":"mine","statType":"CallsWaiting","object":{"type":"Queue","id":"Support@SW1"}}`, 400, `unknown field "id"`, ""},
		{"unknown stat type", `{"statType":"NoSuchType","object":{"type":"Queue","id":"Support@SW1"}}`, 400, `unknown stat type "NoSuchType"`, "statType"},
		{"unknown object", `{"statType":"CallsWaiting","object":{"type":"Queue","id":"Nowhere@SW1"}}`, 400, `no Queue "Nowhere@SW1"`, "object.id"},
		{"unknown object type", `{"statType":"CallsWaiting","object":{"type":"Planet","id":"Mars"}}`, 400, `unknown object type "Planet"`, "object.type"},
		{"wrong object type", `{"statType":"CallsWaiting","object":{"type":"Agent","id":"1001"}}`, 400, "not Agent", "object.type"},
		{"unknown profile", `{"statType":"CallsWaiting","object":{"type":"Queue","id":"Support@SW1"},"profile":"Weekly"}`, 400, `unknown time profile "Weekly"`, "profile"},
		{"bad notification", `{"statType":"CallsWaiting","object":{"type":"Queue","id":"Support@SW1"},"notification":{"mode":"sometimes"}}`, 400, "unknown notification mode", "notification.mode"},
		{"engine refuses", `{"statType":"CallsEntered","object":{"type":"Queue","id":"Support@SW1"},"filter":"Broken"}`, 400, "cannot open statistic: ", ""},
		{"ok", `{"statType":"CallsWaiting","object":{"type":"GroupQueues","id":"AllQueues"}}`, 201, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, b := ts.do("POST", "/v1/statistics", "application/json", []byte(tc.body))
			require.Equal(t, tc.status, status, "%s", b)
			if tc.status != 400 {
				return
			}
			e := errorBody(t, b)
			assert.Contains(t, e.Error, tc.want)
			if tc.field != "" {
				require.NotEmpty(t, e.Problems)
				assert.Equal(t, tc.field, e.Problems[0].Field)
			}
		})
	}
	// The refused statistics used no id: the one opened is s-1.
	assert.Equal(t, "s-1", ts.peek("s-1").ID)
}

func TestUnknownStatisticAndRoutes(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/statistics/nope", 404},
		{"DELETE", "/v1/statistics/nope", 404},
		{"GET", "/v1/stream?statistic=waiting&statistic=nope", 404},
		{"GET", "/v1/statistics/gold", 404}, // in the config, but the engine refuses it
		{"GET", "/v1/nothing", 404},
		{"PUT", "/v1/events", 405},
		{"PATCH", "/v1/statistics/waiting", 405},
		{"POST", "/", 405},
	} {
		status, b := ts.do(tc.method, tc.path, "", nil)
		assert.Equal(t, tc.status, status, "%s %s: %s", tc.method, tc.path, b)
		errorBody(t, b)
	}
	status, b := ts.do("GET", "/v1/stream?statistic=nope", "", nil)
	assert.Equal(t, 404, status)
	assert.Contains(t, errorBody(t, b).Error, `"nope"`)

	// Closing twice: 204 then 404.
	status, _ = ts.do("DELETE", "/v1/statistics/waiting", "", nil)
	assert.Equal(t, http.StatusNoContent, status)
	status, _ = ts.do("DELETE", "/v1/statistics/waiting", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestReferenceEndpoints(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)

	status, b := ts.do("GET", "/v1/actions", "", nil)
	require.Equal(t, http.StatusOK, status)
	var actions struct{ Actions []actionJSON }
	require.NoError(t, json.Unmarshal(b, &actions))
	require.NotEmpty(t, actions.Actions)
	var wait *actionJSON
	for i, a := range actions.Actions {
		if a.Key == "CallWait" {
			wait = &actions.Actions[i]
		}
	}
	require.NotNil(t, wait)
	assert.Equal(t, "durable", wait.Kind)
	assert.Contains(t, wait.Sources, "mediation_dn")
	assert.NotEmpty(t, wait.Summary)

	status, b = ts.do("GET", "/v1/config", "", nil)
	require.Equal(t, http.StatusOK, status)
	var doc configDoc
	require.NoError(t, json.Unmarshal(b, &doc))
	names := map[string]statTypeJSON{}
	for _, st := range doc.StatTypes {
		names[st.Name] = st
	}
	assert.Equal(t, statTypeJSON{Name: "CallsWaiting", Objects: []string{"Queue", "GroupQueues"}, Category: "CurrentNumber",
		Subject: "DNAction", Unit: "count", MainMask: []string{"CallWait"}}, names["CallsWaiting"])
	assert.Contains(t, doc.Profiles, profileJSON{Name: "Default", Type: "Growing"})
	assert.Contains(t, doc.Profiles, profileJSON{Name: "Last15", Type: "Sliding"})
	assert.Equal(t, []topoObjectJSON{{ID: "1001", Name: "Ann Lee"}, {ID: "1002", Name: "Bo Chen"}}, doc.Objects["Agent"])
	assert.Equal(t, []topoObjectJSON{{ID: "Support@SW1", DNType: "ACDQueue"}}, doc.Objects["Queue"])
	assert.Equal(t, []topoObjectJSON{{ID: "Sales", Members: []string{"1001", "1002"}}}, doc.Objects["GroupAgents"])
	assert.Equal(t, []topoObjectJSON{{ID: "default"}}, doc.Objects["Tenant"])
	assert.Len(t, doc.Objects["RegDN"], 2)
	assert.Empty(t, doc.Objects["GroupPlaces"])

	status, b = ts.do("GET", "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(b), `"status":"ok"`)

	status, b = ts.do("GET", "/metrics", "", nil)
	assert.Equal(t, http.StatusOK, status)
	for _, name := range []string{"statkit_events_accepted_total", `statkit_events_rejected_total{code="late_event"}`,
		"statkit_statistics_open 5", "statkit_notifications_sent_total", "statkit_notifications_dropped_total",
		"statkit_subscribers 0", "statkit_apply_seconds_bucket", "statkit_ingest_batch_events_bucket", "go_goroutines"} {
		assert.Contains(t, string(b), name)
	}
	for _, c := range engine.Codes() { // every engine rejection code is listed, at 0 before any
		assert.Contains(t, string(b), `statkit_events_rejected_total{code="`+string(c)+`"}`)
	}

	status, b = ts.do("GET", "/", "", nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, strings.ToLower(string(b)), "<html")
}
