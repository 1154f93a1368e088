package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/auth"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/store"
)

// The NDJSON media types POST /v1/events reads, and the wallboard's page, are plain
// text to the validator.
func init() {
	for _, ct := range []string{"application/x-ndjson", "application/ndjson", "application/jsonl",
		"application/x-jsonlines", "application/jsonlines", "text/x-ndjson", "text/html"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// apiCheck validates the requests sent to a live server and its answers against the
// OpenAPI description the server itself serves (GET /v1/openapi.json), with kin-openapi,
// and records which documented answers (method, path, status) were seen.
type apiCheck struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]bool
}

// newAPICheck loads and validates the description ts serves.
func newAPICheck(t *testing.T, ts *testServer) *apiCheck {
	t.Helper()
	status, b := ts.do("GET", "/v1/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, status)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(loader.Context), "docs/openapi.yaml is no valid OpenAPI description")
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return &apiCheck{t: t, doc: doc, router: router, seen: map[string]bool{}}
}

// call is one request of the check.
type call struct {
	method, path string
	host         string // the Host header, when not the server's address
	body         []byte
	header       []string // name, value, …
	// badRequest: the request breaks the description on purpose (an unknown parameter, a
	// media type or header it does not allow): only the answer is validated.
	badRequest bool
}

// answer is what the server answered.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends c to ts, validates the request (unless c.badRequest) and the answer, and
// records the answer's status.
func (a *apiCheck) do(ts *testServer, c call) answer {
	a.t.Helper()
	req := a.request(ts, c)
	route, params, err := a.router.FindRoute(req)
	require.NoError(a.t, err, "%s %s is not described", c.method, c.path)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if !c.badRequest {
		require.NoError(a.t, openapi3filter.ValidateRequest(context.Background(), in), "request %s %s", c.method, c.path)
	}
	resp, err := client.Do(a.request(ts, c))
	require.NoError(a.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	a.validate(in, resp, body, false)
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// request builds c's request to ts.
func (a *apiCheck) request(ts *testServer, c call) *http.Request {
	a.t.Helper()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, ts.url+c.path, body)
	require.NoError(a.t, err)
	for i := 0; i+1 < len(c.header); i += 2 {
		req.Header.Set(c.header[i], c.header[i+1])
	}
	if c.host != "" {
		req.Host = c.host
	}
	return req
}

// validate checks an answer against the operation of in (its body unless excluded) and
// records it.
func (a *apiCheck) validate(in *openapi3filter.RequestValidationInput, resp *http.Response, body []byte, noBody bool) {
	a.t.Helper()
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: noBody}}
	require.NoError(a.t, openapi3filter.ValidateResponse(context.Background(), out),
		"answer %d to %s %s: %s", resp.StatusCode, in.Request.Method, in.Request.URL, clip(body))
	if ct := resp.Header.Get("Content-Type"); len(body) > 0 || noBody {
		route := in.Route
		r := route.Operation.Responses.Status(resp.StatusCode)
		require.NotNil(a.t, r)
		if len(r.Value.Content) > 0 {
			require.NotNil(a.t, r.Value.Content.Get(ct), "answer %d to %s %s has Content-Type %q, which the description does not list", resp.StatusCode, in.Request.Method, in.Request.URL, ct)
		}
	}
	a.mu.Lock()
	a.seen[fmt.Sprintf("%s %s %d", in.Route.Method, in.Route.Path, resp.StatusCode)] = true
	a.mu.Unlock()
}

// stream opens GET path (a stream), validates the answer's status and headers, and
// returns the response; frames are read with readFrames.
func (a *apiCheck) stream(ts *testServer, path string, header ...string) *http.Response {
	a.t.Helper()
	req := a.request(ts, call{method: "GET", path: path, header: header})
	route, params, err := a.router.FindRoute(req)
	require.NoError(a.t, err)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	require.NoError(a.t, openapi3filter.ValidateRequest(context.Background(), in))
	resp, err := (&http.Client{}).Do(a.request(ts, call{method: "GET", path: path, header: header}))
	require.NoError(a.t, err)
	require.Equal(a.t, http.StatusOK, resp.StatusCode)
	a.validate(in, resp, nil, true)
	a.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// frame is one SSE event of a stream.
type frame struct {
	name string
	data map[string]any
}

// readFrames reads frames from a stream until until says stop, validating the data of
// each against the description's ValueItem (value frames) or ClosedItem (closed frames).
func (a *apiCheck) readFrames(sc *bufio.Scanner, until func(f frame) bool) []frame {
	a.t.Helper()
	var out []frame
	var name string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := []byte(strings.TrimPrefix(line, "data: "))
			schema := map[string]string{"value": "ValueItem", "closed": "ClosedItem"}[name]
			require.NotEmpty(a.t, schema, "unknown event %q", name)
			var v any
			require.NoError(a.t, json.Unmarshal(data, &v))
			require.NoError(a.t, a.doc.Components.Schemas[schema].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()),
				"%s frame %s", name, data)
			f := frame{name: name, data: v.(map[string]any)}
			out = append(out, f)
			if until(f) {
				return out
			}
		}
	}
	a.t.Fatalf("the stream ended: %v", sc.Err())
	return nil
}

// checkCoverage fails for every answer the description documents that the test did not
// see, but those of exempt ("METHOD PATH STATUS" → why).
func (a *apiCheck) checkCoverage(exempt map[string]string) {
	a.t.Helper()
	var missing []string
	for path, item := range a.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				key := method + " " + path + " " + status
				if a.seen[key] {
					continue
				}
				if _, ok := exempt[key]; ok {
					continue
				}
				if _, ok := exempt[method+" "+path+" *"]; ok {
					continue
				}
				missing = append(missing, key)
			}
		}
	}
	sort.Strings(missing)
	require.Empty(a.t, missing, "documented answers the test never provoked")
}

// apiEvents are the calls of testdata/api.yaml's queue: two calls enter and wait at
// 09:00:00; the first is distributed after 10 s, the second abandons after 20 s.
const (
	apiEventsEnter = `{"time":"2026-11-26T09:00:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-1"}
{"time":"2026-11-26T09:00:00Z","action":"CallWait","phase":"start","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-1"}
{"time":"2026-11-26T09:00:00Z","action":"CallEntered","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-2"}
{"time":"2026-11-26T09:00:00Z","action":"CallWait","phase":"start","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-2"}
`
	apiEventsLeave = `{"time":"2026-11-26T09:00:10Z","action":"CallWait","phase":"end","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-1"}
{"time":"2026-11-26T09:00:10Z","action":"CallDistributed","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-1","duration":10}
{"time":"2026-11-26T09:00:20Z","action":"CallWait","phase":"end","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-2"}
{"time":"2026-11-26T09:00:20Z","action":"CallAbandoned","source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-2","duration":20}
`
)

// loadAPIConfig loads testdata/api.yaml and its text.
func loadAPIConfig(t *testing.T) (*config.Config, []byte) {
	t.Helper()
	text, err := os.ReadFile("testdata/api.yaml")
	require.NoError(t, err)
	cfg, err := config.Load("testdata/api.yaml", bytes.NewReader(text))
	require.NoError(t, err)
	return cfg, text
}

// Every answer of a live server, to every request the test can make, matches the
// OpenAPI description it serves — every endpoint, every documented status — and every
// route the server has is described.
func TestOpenAPIConformance(t *testing.T) {
	cfg, text := loadAPIConfig(t)
	var refuse sync.Mutex
	refused := false
	reload := func() (*config.Config, []byte, error) {
		refuse.Lock()
		defer refuse.Unlock()
		if refused {
			return nil, nil, fmt.Errorf("testdata/api.yaml:3:1: a refused config (injected)")
		}
		return cfg, append(append([]byte(nil), text...), "\n# reloaded\n"...), nil
	}
	st := openStore(t, t.TempDir())
	l, err := store.NewLog(st)
	require.NoError(t, err)
	flog := &failingLog{Log: l}
	ts := startServer(t, Options{Config: cfg, ConfigText: text, TickInterval: -1, Log: flog,
		MaxBodyBytes: 64 << 10, Reload: reload, SnapshotEvery: -1, SnapshotInterval: -1}, nil, nil)
	a := newAPICheck(t, ts)

	// Every route is described, and every described path is routed.
	routed := map[string]bool{}
	for _, p := range ts.srv.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = "", p
		}
		if path == "/v1/" {
			continue // the 404/405 catch-all
		}
		routed[path] = true
		item := a.doc.Paths.Value(path)
		require.NotNil(t, item, "route %q is not in docs/openapi.yaml", p)
		if method != "" {
			require.NotNil(t, item.GetOperation(method), "route %q is not in docs/openapi.yaml", p)
		}
	}
	for path := range a.doc.Paths.Map() {
		require.True(t, routed[path], "docs/openapi.yaml describes %s, which the server does not route", path)
	}

	ndjson := []string{"Content-Type", "application/x-ndjson"}
	js := []string{"Content-Type", "application/json"}

	// Reference documents.
	for _, p := range []string{"/v1/actions", "/v1/config", "/v1/openapi.json", "/v1/openapi.yaml", "/healthz", "/metrics", "/"} {
		require.Equal(t, http.StatusOK, a.do(ts, call{method: "GET", path: p}).status, p)
	}

	// The wallboard's documents (testdata/api.yaml has a board); no history database.
	for _, p := range []string{"/v1/wallboards", "/v1/trends", "/v1/trends?statistic=asa&statistic=nope", "/v1/clock"} {
		require.Equal(t, http.StatusOK, a.do(ts, call{method: "GET", path: p}).status, p)
	}
	require.Equal(t, http.StatusNotFound, a.do(ts, call{method: "GET", path: "/v1/history?statistic=asa"}).status)

	// Values before any event: the engine has no time yet.
	a.do(ts, call{method: "GET", path: "/v1/values"})
	a.do(ts, call{method: "GET", path: "/v1/statistics/ann"})

	// A stream of the queue's statistics, opened before the events.
	resp := a.stream(ts, "/v1/stream?statistic=asa,waiting&statistic=abandonRate")
	sc := bufio.NewScanner(resp.Body)
	first := a.readFrames(sc, func(f frame) bool { return f.data["statistic"] == "abandonRate" })
	require.Len(t, first, 3)

	// Events: 200, a replay of the key, a key reused for another body (422), a body with
	// no valid line (400), a bad key (400), a bad gzip body (400), another media type
	// (415), a body over the limit (413).
	key := []string{"Content-Type", "application/x-ndjson", IdempotencyHeader, "batch-1"}
	r := a.do(ts, call{method: "POST", path: "/v1/events", body: []byte(apiEventsEnter), header: key})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = a.do(ts, call{method: "POST", path: "/v1/events", body: []byte(apiEventsEnter), header: key})
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "true", r.header.Get(ReplayedHeader))
	require.Equal(t, http.StatusUnprocessableEntity, a.do(ts, call{method: "POST", path: "/v1/events", body: []byte(apiEventsLeave), header: key}).status)
	require.Equal(t, http.StatusBadRequest, a.do(ts, call{method: "POST", path: "/v1/events", body: []byte("{\"time\":1}\n"), header: ndjson}).status)
	require.Equal(t, http.StatusBadRequest, a.do(ts, call{method: "POST", path: "/v1/events", body: []byte(apiEventsLeave),
		header: []string{"Content-Type", "application/x-ndjson", IdempotencyHeader, strings.Repeat("k", 300)}, badRequest: true}).status)
	require.Equal(t, http.StatusBadRequest, a.do(ts, call{method: "POST", path: "/v1/events", body: []byte("not gzip"),
		header: []string{"Content-Type", "application/x-ndjson", "Content-Encoding", "gzip"}}).status)
	require.Equal(t, http.StatusUnsupportedMediaType, a.do(ts, call{method: "POST", path: "/v1/events", body: []byte("a,b\n"),
		header: []string{"Content-Type", "text/csv"}, badRequest: true}).status)
	big := bytes.Repeat([]byte(apiEventsLeave), 200) // over 64 KiB
	require.Equal(t, http.StatusRequestEntityTooLarge, a.do(ts, call{method: "POST", path: "/v1/events", body: big, header: ndjson}).status)

	// The stream saw the first batch: two calls waiting, nothing averaged yet.
	got := a.readFrames(sc, func(f frame) bool { return f.data["statistic"] == "waiting" && f.data["value"] == 2.0 })
	require.NotEmpty(t, got)

	// Statistics: open (201), refused (400 with problems; bad JSON), too large (413),
	// list (with and without values, filtered), peek (a number, an undefined value, a
	// tree), close (204), unknown ids (404).
	r = a.do(ts, call{method: "POST", path: "/v1/statistics", header: js,
		body: []byte(`{"statType":"CallsWaiting","object":{"type":"Queue","id":"Sales@SW1"}}`)})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	require.Equal(t, http.StatusBadRequest, a.do(ts, call{method: "POST", path: "/v1/statistics", header: js,
		body: []byte(`{"statType":"CallsWaitng","object":{"type":"Queue","id":"Sales@SW1"}}`)}).status)
	require.Equal(t, http.StatusBadRequest, a.do(ts, call{method: "POST", path: "/v1/statistics", header: js,
		body: []byte(`{"statType":`), badRequest: true}).status)
	require.Equal(t, http.StatusRequestEntityTooLarge, a.do(ts, call{method: "POST", path: "/v1/statistics", header: js,
		body: []byte(`{"statType":"` + strings.Repeat("x", 70<<10) + `","object":{"type":"Queue","id":"Q"}}`)}).status)
	for _, p := range []string{"/v1/statistics", "/v1/statistics?values=true", "/v1/statistics?statistic=asa&values=true",
		"/v1/statistics?statistic=ann,waiting", "/v1/values?statistic=asa", "/v1/statistics/asa", "/v1/statistics/waiting",
		"/v1/statistics/ann", "/v1/statistics/abandonRate"} {
		require.Equal(t, http.StatusOK, a.do(ts, call{method: "GET", path: p}).status, p)
	}
	for _, p := range []string{"/v1/statistics?statistic=nope", "/v1/values?statistic=asa&statistic=nope",
		"/v1/statistics/nope", "/v1/stream?statistic=nope"} {
		require.Equal(t, http.StatusNotFound, a.do(ts, call{method: "GET", path: p}).status, p)
	}
	for _, p := range []string{"/v1/statistics?values=maybe", "/v1/values?statistic=", "/v1/stream?statistic=a,,b"} {
		require.Equal(t, http.StatusBadRequest, a.do(ts, call{method: "GET", path: p, badRequest: true}).status, p)
	}
	require.Equal(t, http.StatusNotFound, a.do(ts, call{method: "DELETE", path: "/v1/statistics/nope"}).status)
	require.Equal(t, http.StatusNoContent, a.do(ts, call{method: "DELETE", path: "/v1/statistics/s-1"}).status)

	// The second batch: the first call answered after 10 s, the second abandoned.
	require.Equal(t, http.StatusOK, a.do(ts, call{method: "POST", path: "/v1/events", body: []byte(apiEventsLeave), header: ndjson}).status)
	got = a.readFrames(sc, func(f frame) bool { return f.data["statistic"] == "abandonRate" && f.data["value"] == 50.0 })
	require.NotEmpty(t, got)
	require.Equal(t, http.StatusOK, a.do(ts, call{method: "GET", path: "/v1/values"}).status)
	require.Equal(t, http.StatusOK, a.do(ts, call{method: "GET", path: "/metrics"}).status)

	// A closed frame: a stream of every statistic sees an API statistic close.
	all := a.stream(ts, "/v1/stream")
	asc := bufio.NewScanner(all.Body)
	r = a.do(ts, call{method: "POST", path: "/v1/statistics", header: js,
		body: []byte(`{"statType":"CallsEntered","object":{"type":"Queue","id":"Sales@SW1"},"notification":{"mode":"changes","insensitivity":5}}`)})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var opened struct{ ID string }
	require.NoError(t, json.Unmarshal(r.body, &opened))
	a.readFrames(asc, func(f frame) bool { return f.data["statistic"] == opened.ID })
	require.Equal(t, http.StatusNoContent, a.do(ts, call{method: "DELETE", path: "/v1/statistics/" + opened.ID}).status)
	a.readFrames(asc, func(f frame) bool { return f.name == "closed" && f.data["statistic"] == opened.ID })

	// Reload: applied (200), refused (400).
	require.Equal(t, http.StatusOK, a.do(ts, call{method: "POST", path: "/v1/config/reload"}).status)
	refuse.Lock()
	refused = true
	refuse.Unlock()
	require.Equal(t, http.StatusBadRequest, a.do(ts, call{method: "POST", path: "/v1/config/reload"}).status)

	// Every endpoint refuses a query parameter it does not take, and changes nothing.
	for path, item := range a.doc.Paths.Map() {
		if path == "/" {
			continue // the page reads its own query
		}
		for method := range item.Operations() {
			p := strings.ReplaceAll(path, "{id}", "waiting") + "?bogusParameter=1"
			r := a.do(ts, call{method: method, path: p, body: []byte(apiEventsLeave), header: ndjson, badRequest: true})
			require.Equal(t, http.StatusBadRequest, r.status, "%s %s: %s", method, p, r.body)
			require.Contains(t, string(r.body), `unknown query parameter \"bogusParameter\"`, "%s %s", method, p)
		}
	}
	require.Equal(t, http.StatusOK, a.do(ts, call{method: "GET", path: "/v1/statistics/waiting"}).status, "the DELETE with a bad parameter closed nothing")

	// The log fails: every state change is 503, /healthz 503, reads go on.
	flog.fail.Store(true)
	require.Equal(t, http.StatusServiceUnavailable, a.do(ts, call{method: "POST", path: "/v1/events", body: []byte(apiEventsLeave), header: ndjson}).status)
	require.Equal(t, http.StatusServiceUnavailable, a.do(ts, call{method: "POST", path: "/v1/statistics", header: js,
		body: []byte(`{"statType":"CallsWaiting","object":{"type":"Queue","id":"Sales@SW1"}}`)}).status)
	require.Equal(t, http.StatusServiceUnavailable, a.do(ts, call{method: "DELETE", path: "/v1/statistics/waiting"}).status)
	require.Equal(t, http.StatusServiceUnavailable, a.do(ts, call{method: "POST", path: "/v1/config/reload"}).status)
	require.Equal(t, http.StatusServiceUnavailable, a.do(ts, call{method: "GET", path: "/healthz"}).status)
	require.Equal(t, http.StatusOK, a.do(ts, call{method: "GET", path: "/v1/values"}).status)

	// 429: a queue of one batch, held by a slow owner.
	release := make(chan struct{})
	var once sync.Once
	ts2 := startServer(t, Options{Config: cfg, TickInterval: -1, IngestQueue: 1}, func(s *Server) {
		s.own.hookBatch = func() { <-release }
	}, nil)
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	done := make(chan int, 1)
	go func() {
		resp, err := client.Post(ts2.url+"/v1/events", "application/x-ndjson", strings.NewReader(apiEventsEnter))
		if err == nil {
			resp.Body.Close()
			done <- resp.StatusCode
			return
		}
		done <- 0
	}()
	require.Eventually(t, func() bool { return len(ts2.srv.slots) == 1 }, waitFor, time.Millisecond)
	r = a.do(ts2, call{method: "POST", path: "/v1/events", body: []byte(apiEventsLeave), header: ndjson})
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.NotEmpty(t, r.header.Get("Retry-After"))
	once.Do(func() { close(release) })
	require.Equal(t, http.StatusOK, <-done)

	// The open ticket endpoint of a server without tokens: an empty ticket.
	r = a.do(ts, call{method: "POST", path: "/v1/stream/ticket"})
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, `{"ticket":"","expiresIn":0,"stream":"/v1/stream"}`, string(r.body))

	checkAccess(t, a)

	checkHistory(t, a)
	a.checkCoverage(map[string]string{
		"GET /v1/history 503": "needs a history database the server writes (Options.HistoryDB) that does not answer: TestHistoryConformsToOpenAPI",
	})
}

// clip shortens a body for a failure message.
func clip(b []byte) []byte {
	if len(b) > 600 {
		return append(b[:600:600], "…"...)
	}
	return b
}

// everyOperation calls fn with a request of each operation the server routes (path
// parameters filled with id, a body where one is needed).
func everyOperation(a *apiCheck, id string, fn func(c call)) {
	for path, item := range a.doc.Paths.Map() {
		for method := range item.Operations() {
			c := call{method: method, path: strings.ReplaceAll(path, "{id}", id), badRequest: true}
			switch {
			case path == "/v1/events":
				c.body, c.header = []byte(apiEventsEnter), []string{"Content-Type", "application/x-ndjson"}
			case method == "POST":
				c.body, c.header = []byte(openBody), []string{"Content-Type", "application/json"}
			}
			fn(c)
		}
	}
}

// checkAccess provokes the access answers of the description on two more servers: one
// with tokens (a bad token is 401 everywhere, a missing role 403, quotas 429, stream
// tickets), and one without tokens that answers this machine's names only (403 to
// another Host on every path).
func checkAccess(t *testing.T, a *apiCheck) {
	ts, _, _ := guardedServer(t, auth.Options{}, nil)
	everyOperation(a, "waiting", func(c call) {
		c.header = append(c.header, "Authorization", "Bearer "+tBad)
		r := a.do(ts, c)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s %s: %s", c.method, c.path, r.body)
		require.NotEmpty(t, r.header.Get("WWW-Authenticate"))
	})
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	js := append([]string{"Content-Type", "application/json"}, bearer(tRead)...)
	require.Equal(t, http.StatusUnauthorized, a.do(ts, call{method: "GET", path: "/v1/values"}).status, "no token")
	require.Equal(t, http.StatusForbidden, a.do(ts, call{method: "POST", path: "/v1/events", body: []byte(apiEventsEnter),
		header: append([]string{"Content-Type", "application/x-ndjson"}, bearer(tRead)...)}).status, "reader may not ingest")
	require.Equal(t, http.StatusForbidden, a.do(ts, call{method: "POST", path: "/v1/config/reload", header: bearer(tRead)}).status)
	require.Equal(t, http.StatusForbidden, a.do(ts, call{method: "DELETE", path: "/v1/statistics/waiting", header: bearer(tRead)}).status,
		"the config's statistics are the admin's")
	require.Equal(t, http.StatusForbidden, a.do(ts, call{method: "POST", path: "/v1/statistics", body: []byte(openBody),
		header: append(js, "Origin", "https://elsewhere.example")}).status, "a foreign origin")

	// Quotas: reader may open 2 statistics and 1 stream.
	for range 2 {
		require.Equal(t, http.StatusCreated, a.do(ts, call{method: "POST", path: "/v1/statistics", body: []byte(openBody), header: js}).status)
	}
	require.Equal(t, http.StatusTooManyRequests, a.do(ts, call{method: "POST", path: "/v1/statistics", body: []byte(openBody), header: js}).status)
	first := a.stream(ts, "/v1/stream?statistic=waiting", bearer(tRead)...)
	require.Equal(t, http.StatusTooManyRequests, a.do(ts, call{method: "GET", path: "/v1/stream", header: bearer(tRead)}).status)
	first.Body.Close()

	// Tickets: one opens one stream; a token holds at most 64 unused ones.
	r := a.do(ts, call{method: "POST", path: "/v1/stream/ticket", header: bearer(tRead2)})
	require.Equal(t, http.StatusOK, r.status)
	var tk struct{ Ticket, Stream string }
	require.NoError(t, json.Unmarshal(r.body, &tk))
	require.NotEmpty(t, tk.Ticket)
	st := a.stream(ts, tk.Stream+"&statistic=waiting")
	a.readFrames(bufio.NewScanner(st.Body), func(f frame) bool { return f.data["statistic"] == "waiting" })
	require.Equal(t, http.StatusUnauthorized, a.do(ts, call{method: "GET", path: tk.Stream}).status, "a used ticket")
	status := 0
	for range 65 { // the used ticket is not held
		if status = a.do(ts, call{method: "POST", path: "/v1/stream/ticket", header: bearer(tRead2)}).status; status != http.StatusOK {
			break
		}
	}
	require.Equal(t, http.StatusTooManyRequests, status)

	// A server without tokens answers requests for this machine only.
	g, err := auth.New(auth.Options{LocalHostOnly: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	local := startServer(t, Options{Config: loadSmall(t), Guard: g, TickInterval: -1}, nil, nil)
	everyOperation(a, "waiting", func(c call) {
		c.host = "rebound.example"
		r := a.do(local, c)
		require.Equal(t, http.StatusForbidden, r.status, "%s %s: %s", c.method, c.path, r.body)
	})
}

// checkHistory provokes GET /v1/history's answers on a server with a history database:
// a series with a defined and an undefined interval, a statistic that is not recorded
// (404), a bad parameter (400).
func checkHistory(t *testing.T, a *apiCheck) {
	cfg, err := config.Load("board.yaml", strings.NewReader(historyBoardConfig))
	require.NoError(t, err)
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	h := FillHistory(t, cfg, "entered.15", start, []float64{3, math.NaN(), 5})
	ts := startServer(t, Options{Config: cfg, TickInterval: -1, History: h}, nil, nil)
	r := a.do(ts, call{method: "GET", path: "/v1/history?statistic=entered.15&from=2026-11-26T08:00:00Z&to=2026-11-26T10:00:00Z&limit=10"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Contains(t, string(r.body), `"value":null`)
	r = a.do(ts, call{method: "GET", path: "/v1/history?statType=CallsEntered&objectType=Queue&objectId=Support@SW1&from=2026-11-26T08:00:00Z&to=2026-11-26T10:00:00Z"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, http.StatusNotFound, a.do(ts, call{method: "GET", path: "/v1/history?statistic=waiting"}).status)
	require.Equal(t, http.StatusBadRequest, a.do(ts, call{method: "GET", path: "/v1/history?statistic=entered.15&limit=0", badRequest: true}).status)
}
