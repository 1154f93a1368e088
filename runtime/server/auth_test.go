package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/auth"
	"github.com/statkit/statkit/runtime/config"
)

const (
	tRead   = "read-token-aaaaaaaaaaaaaaaa"
	tRead2  = "read2-token-bbbbbbbbbbbbbbbb"
	tIngest = "ingest-token-cccccccccccccccc"
	tAdmin  = "admin-token-dddddddddddddddd"
	tBad    = "wrong-token-eeeeeeeeeeeeeeee"
)

const tokensFile = `tokens:
  - {name: reader, token: ` + tRead + `, roles: [read], quota: {statistics: 2, streams: 1}}
  - {name: reader2, token: ` + tRead2 + `, roles: [read]}
  - {name: feeder, token: ` + tIngest + `, roles: [ingest]}
  - {name: ops, token: ` + tAdmin + `, roles: [admin]}
`

// syncBuf is a log destination safe for the server's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// guardedServer serves testdata/small.yaml (reloadable from a copy of it) behind a guard
// with tokensFile; it returns the server, its log and the directory holding the config
// (cc.yaml) and the tokens file (tokens.yaml).
func guardedServer(t *testing.T, guard auth.Options, edit func(*Options)) (*testServer, *syncBuf, string) {
	t.Helper()
	dir := t.TempDir()
	tokPath := filepath.Join(dir, "tokens.yaml")
	require.NoError(t, os.WriteFile(tokPath, []byte(tokensFile), 0o600))
	cfgText, err := os.ReadFile("testdata/small.yaml")
	require.NoError(t, err)
	cfgPath := filepath.Join(dir, "cc.yaml")
	require.NoError(t, os.WriteFile(cfgPath, cfgText, 0o600))
	logs := &syncBuf{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	guard.TokensFile, guard.Logger = tokPath, log
	g, err := auth.New(guard)
	require.NoError(t, err)
	opts := Options{Config: loadSmall(t), Logger: log, Guard: g, TickInterval: -1,
		Reload: func() (*config.Config, []byte, error) {
			text, err := os.ReadFile(cfgPath)
			if err != nil {
				return nil, nil, err
			}
			cfg, err := config.LoadNoCompile(cfgPath, bytes.NewReader(text)) // as loadSmall
			return cfg, text, err
		}}
	if edit != nil {
		edit(&opts)
	}
	return startServer(t, opts, nil, nil), logs, dir
}

// call sends a request with token tok ("" for none) and extra headers.
func (ts *testServer) call(method, path, tok string, body []byte, hdr ...string) (*http.Response, []byte) {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
	require.NoError(ts.t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(ts.t, err)
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		return resp, nil // a stream: the status says enough
	}
	b, err := io.ReadAll(resp.Body)
	require.NoError(ts.t, err)
	return resp, b
}

const openBody = `{"statType":"CallsEntered","object":{"type":"Queue","id":"Support@SW1"}}`

// openAs opens a statistic as tok and returns its id.
func (ts *testServer) openAs(tok string) string {
	ts.t.Helper()
	resp, b := ts.call("POST", "/v1/statistics", tok, []byte(openBody))
	require.Equal(ts.t, http.StatusCreated, resp.StatusCode, "%s", b)
	var r struct{ ID string }
	require.NoError(ts.t, json.Unmarshal(b, &r))
	return r.ID
}

// Every endpoint × every caller: no token, a wrong one, and each role. A 2xx is what
// the endpoint answers when allowed.
func TestAccessTable(t *testing.T) {
	ts, logs, _ := guardedServer(t, auth.Options{}, nil)
	ev := []byte(evEntered + "\n")
	callers := []string{"none", "bad", "read", "ingest", "admin"}
	toks := map[string]string{"none": "", "bad": tBad, "read": tRead2, "ingest": tIngest, "admin": tAdmin}
	type row struct {
		method, path string
		body         func(caller string) []byte
		want         [5]int // none, bad, read, ingest, admin
	}
	static := func(b []byte) func(string) []byte { return func(string) []byte { return b } }
	rows := []row{
		{"GET", "/healthz", nil, [5]int{200, 401, 200, 200, 200}},
		{"GET", "/", nil, [5]int{200, 401, 200, 200, 200}},
		{"GET", "/metrics", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/config", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/actions", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/statistics", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/statistics/waiting", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/values?statistic=waiting", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/openapi.json", nil, [5]int{200, 401, 200, 200, 200}},
		{"GET", "/v1/openapi.yaml", nil, [5]int{200, 401, 200, 200, 200}},
		{"GET", "/v1/stream?statistic=waiting", nil, [5]int{401, 401, 200, 200, 200}},
		{"POST", "/v1/stream/ticket", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/wallboards", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/trends?statistic=waiting", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/clock", nil, [5]int{401, 401, 200, 200, 200}},
		{"GET", "/v1/history?statistic=waiting", nil, [5]int{401, 401, 404, 404, 404}}, // no history database
		{"POST", "/v1/statistics", static([]byte(openBody)), [5]int{401, 401, 201, 201, 201}},
		{"POST", "/v1/events", static(ev), [5]int{401, 401, 403, 200, 200}},
		{"POST", "/v1/config/reload", nil, [5]int{401, 401, 403, 403, 200}},
		{"GET", "/v1/nothing", nil, [5]int{401, 401, 404, 404, 404}},
		// DELETE: a config statistic needs admin.
		{"DELETE", "/v1/statistics/ready", nil, [5]int{401, 401, 403, 403, 204}},
	}
	for _, rw := range rows {
		for i, c := range callers {
			var body []byte
			if rw.body != nil {
				body = rw.body(c)
			}
			resp, b := ts.call(rw.method, rw.path, toks[c], body)
			require.Equal(t, rw.want[i], resp.StatusCode, "%s %s as %s: %s", rw.method, rw.path, c, b)
			switch resp.StatusCode {
			case 401:
				require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer", "%s %s as %s", rw.method, rw.path, c)
			case 403:
				var e struct{ Error string }
				require.NoError(t, json.Unmarshal(b, &e))
				require.NotEmpty(t, e.Error)
			}
		}
	}
	// DELETE of API statistics: the owner may, another reader may not, an admin may.
	mine := ts.openAs(tRead)
	other := ts.openAs(tRead2)
	resp, b := ts.call("DELETE", "/v1/statistics/"+other, tRead, nil)
	require.Equal(t, 403, resp.StatusCode, "%s", b)
	require.Contains(t, string(b), "opened by another token")
	resp, _ = ts.call("DELETE", "/v1/statistics/"+mine, tRead, nil)
	require.Equal(t, 204, resp.StatusCode)
	resp, _ = ts.call("DELETE", "/v1/statistics/"+other, tAdmin, nil)
	require.Equal(t, 204, resp.StatusCode)
	resp, _ = ts.call("DELETE", "/v1/statistics/"+other, tAdmin, nil)
	require.Equal(t, 404, resp.StatusCode)

	out := logs.String()
	for _, secret := range []string{tRead, tRead2, tIngest, tAdmin, tBad} {
		require.NotContains(t, out, secret)
	}
	require.Regexp(t, `admin action" token=ops action="POST /v1/config/reload" .* status=200`, out)
	require.Regexp(t, `admin action" token=ops action="closed statistic `+other+`" .* owner=reader2`, out)
	require.Regexp(t, `request refused" status=403 reason="role ingest required" token=reader2 method=POST path=/v1/events`, out)
	require.Regexp(t, `request refused" status=403 .*opened by another token.* token=reader method=DELETE`, out)
	require.Regexp(t, `request refused" status=401 reason="unknown token" token=- method=GET path=/v1/config`, out)
}

// The Origin check on state-changing requests and CORS for the listed origins.
func TestOriginCORS(t *testing.T) {
	ts, _, _ := guardedServer(t, auth.Options{CORSOrigins: []string{"https://board.example"}}, nil)
	ev := []byte(evEntered + "\n")
	resp, b := ts.call("POST", "/v1/events", tIngest, ev, "Origin", "https://evil.example")
	require.Equal(t, 403, resp.StatusCode, "%s", b)
	require.Contains(t, string(b), "not allowed")
	resp, _ = ts.call("POST", "/v1/events", tIngest, ev, "Origin", "https://board.example")
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "https://board.example", resp.Header.Get("Access-Control-Allow-Origin"))
	resp, _ = ts.call("POST", "/v1/events", tIngest, ev, "Origin", ts.url) // same origin
	require.Equal(t, 200, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	resp, _ = ts.call("GET", "/v1/config", tRead, nil, "Origin", "https://evil.example")
	require.Equal(t, 200, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "no CORS for an origin not listed")
	resp, _ = ts.call("OPTIONS", "/v1/statistics", "", nil, "Origin", "https://board.example", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "authorization,content-type")
	require.Equal(t, 204, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")
	// A plain-text form POST from a page the user opens, without tokens: refused too.
	ts2 := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	resp, _ = ts2.call("DELETE", "/v1/statistics/waiting", "", nil, "Origin", "https://evil.example")
	require.Equal(t, 403, resp.StatusCode)
	resp, _ = ts2.call("POST", "/v1/events", "", ev, "Origin", "null", "Content-Type", "text/plain")
	require.Equal(t, 403, resp.StatusCode)
	resp, _ = ts2.call("DELETE", "/v1/statistics/waiting", "", nil)
	require.Equal(t, 204, resp.StatusCode, "no tokens: a client without Origin may")
}

// The wallboard's CSP forbids framing unless origins are listed.
func TestFrameAncestors(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	resp, _ := ts.call("GET", "/", "", nil)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	ts = startServer(t, Options{Config: loadSmall(t), TickInterval: -1, FrameAncestors: []string{"https://intranet.example"}}, nil, nil)
	resp, _ = ts.call("GET", "/", "", nil)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'self' https://intranet.example")
	require.Empty(t, resp.Header.Get("X-Frame-Options"))
}

// Quotas: statistics per token (429 with the cap; closing one frees a place) and
// streams per token; ids' lengths.
func TestQuotas(t *testing.T) {
	ts, logs, _ := guardedServer(t, auth.Options{}, nil)
	a := ts.openAs(tRead)
	ts.openAs(tRead)
	resp, b := ts.call("POST", "/v1/statistics", tRead, []byte(openBody))
	require.Equal(t, 429, resp.StatusCode, "%s", b)
	var q struct {
		Error, Quota string
		Limit        int
	}
	require.NoError(t, json.Unmarshal(b, &q))
	require.Equal(t, "statistics", q.Quota)
	require.Equal(t, 2, q.Limit)
	require.Contains(t, q.Error, "at most 2 statistics")
	ts.openAs(tRead2) // another token's quota is its own (the default, 1000)
	resp, _ = ts.call("DELETE", "/v1/statistics/"+a, tRead, nil)
	require.Equal(t, 204, resp.StatusCode)
	ts.openAs(tRead)
	require.Contains(t, logs.String(), `request over quota" token=reader quota=statistics limit=2`)

	// Streams: reader may hold one.
	req, _ := http.NewRequest("GET", ts.url+"/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+tRead)
	first, err := (&http.Client{}).Do(req)
	require.NoError(t, err)
	require.Equal(t, 200, first.StatusCode)
	resp, b = ts.call("GET", "/v1/stream", tRead, nil)
	require.Equal(t, 429, resp.StatusCode)
	require.JSONEq(t, `{"error":"quota reached: at most 1 streams open at once for this token","quota":"streams","limit":1}`, string(b))
	first.Body.Close()
	require.Eventually(t, func() bool {
		resp, _ := ts.call("GET", "/v1/stream?statistic=waiting", tRead, nil)
		if resp.StatusCode == 200 {
			resp.Body.Close()
		}
		return resp.StatusCode == 200
	}, waitFor, 10*time.Millisecond, "the stream's place is given back when it ends")

	long := strings.Repeat("x", auth.MaxIDBytes+1)
	resp, b = ts.call("GET", "/v1/statistics/"+long, tRead, nil)
	require.Equal(t, 400, resp.StatusCode, "%s", b)
	resp, _ = ts.call("GET", "/v1/stream?statistic="+long, tRead2, nil)
	require.Equal(t, 400, resp.StatusCode)
	resp, b = ts.call("POST", "/v1/statistics", tRead2, []byte(`{"statType":"CallsEntered","object":{"type":"Queue","id":"`+long+`"}}`))
	require.Equal(t, 400, resp.StatusCode, "%s", b)
	require.Contains(t, string(b), "object.id: id of 257 bytes, at most 256")
}

// EventSource's way in: a ticket from POST /v1/stream/ticket opens one stream.
func TestStreamTicket(t *testing.T) {
	ts, _, _ := guardedServer(t, auth.Options{}, nil)
	resp, b := ts.call("POST", "/v1/stream/ticket", tRead2, nil)
	require.Equal(t, 200, resp.StatusCode)
	var tk struct {
		Ticket    string
		ExpiresIn int
		Stream    string
	}
	require.NoError(t, json.Unmarshal(b, &tk))
	require.Equal(t, 60, tk.ExpiresIn)
	st := ts.openStream(tk.Stream + "&statistic=waiting")
	require.Eventually(t, func() bool { return len(st.latest(t)) == 1 }, waitFor, 10*time.Millisecond)
	resp, _ = ts.call("GET", tk.Stream, "", nil)
	require.Equal(t, 401, resp.StatusCode, "a ticket opens one stream")
	resp, b = ts.call("GET", "/v1/statistics?ticket="+tk.Ticket, "", nil)
	require.Equal(t, 400, resp.StatusCode, "tickets are for the stream only: elsewhere ticket is an unknown parameter")
	require.Contains(t, string(b), `unknown query parameter \"ticket\"`)
}

// A reload answers with positioned errors that name the file by its base name and show
// nothing of its content: through a symlink to a file holding secrets, nothing leaks.
func TestReloadRedaction(t *testing.T) {
	ts, logs, dir := guardedServer(t, auth.Options{}, nil)
	cfgPath := filepath.Join(dir, "cc.yaml")
	secretDir := filepath.Join(t.TempDir(), "private-dir")
	require.NoError(t, os.Mkdir(secretDir, 0o700))
	secrets := map[string]string{
		"passwd":  "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
		"yaml":    "password: hunter2-SECRET-VALUE\naws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
		"key":     "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA75SECRETSECRET\n-----END RSA PRIVATE KEY-----\n",
		"keyed":   "root:x:0:0:root:/root:/bin/bash: 1\n",
		"flow":    "{sk_live_51H8xQ2eZvKYlo2C0secret: 1}\n",
		"topo":    "topology:\n  agents: [{id: \"AKIA-SECRET-ID-000\", name: \"hunter2 hunter2\", pin: \"12345678-SECRET\"}]\n",
		"badyaml": "key: \"unterminated SECRETVALUE\n",
	}
	for name, text := range secrets {
		target := filepath.Join(secretDir, name)
		require.NoError(t, os.WriteFile(target, []byte(text), 0o600))
		require.NoError(t, os.Remove(cfgPath))
		require.NoError(t, os.Symlink(target, cfgPath))
		resp, b := ts.call("POST", "/v1/config/reload", tAdmin, nil)
		require.Equal(t, 400, resp.StatusCode, "%s: %s", name, b)
		var ans struct {
			Error  string
			Errors []string
		}
		require.NoError(t, json.Unmarshal(b, &ans), "%s", b)
		require.NotEmpty(t, ans.Errors, name)
		t.Logf("%s: %q", name, ans.Errors)
		require.Regexp(t, `^cc\.yaml:\d+:\d+: `, ans.Errors[0], name)
		body := string(b)
		require.NotContains(t, body, secretDir, name)
		require.NotContains(t, body, filepath.Dir(cfgPath), name)
		for _, line := range strings.Split(text, "\n") {
			for _, frag := range regexp.MustCompile(`[A-Za-z0-9/+_-]{6,}`).FindAllString(line, -1) {
				if frag == "topology" || frag == "agents" || frag == "password" || frag == "aws_secret_access_key" {
					continue // names of fields: the offending token, shown
				}
				require.NotContains(t, body, frag, "%s: the answer shows file content: %s", name, body)
			}
		}
	}
	// The log keeps the details for the operator.
	require.Contains(t, logs.String(), "config reload refused")
}

// A 500's answer carries an error id, never the error; the log line has both.
func TestInternalErrorRedacted(t *testing.T) {
	logs := &syncBuf{}
	srv, err := New(Options{Config: loadSmall(t), Logger: slog.New(slog.NewTextHandler(logs, nil)), TickInterval: -1})
	require.NoError(t, err)
	w := httptest.NewRecorder()
	srv.writeError(w, 500, "store: open /var/lib/statkit/00000000000000000001.log: permission denied")
	require.Equal(t, 500, w.Code)
	require.NotContains(t, w.Body.String(), "/var/lib")
	m := regexp.MustCompile(`errorId ([0-9a-f]{12})`).FindStringSubmatch(w.Body.String())
	require.Len(t, m, 2, "%s", w.Body.String())
	require.Contains(t, logs.String(), "errorId="+m[1])
	require.Contains(t, logs.String(), "/var/lib/statkit/00000000000000000001.log")
}

// Reloading with a tokens file that does not load keeps the tokens in use and says so
// (redacted); a removed token's stream ends.
func TestReloadTokens(t *testing.T) {
	ts, _, dir := guardedServer(t, auth.Options{}, nil)
	tokPath := filepath.Join(dir, "tokens.yaml")
	st := ts.openStreamAs("/v1/stream?statistic=waiting", tRead2)
	require.NoError(t, os.WriteFile(tokPath, []byte(strings.Replace(tokensFile, tRead2, "short", 1)), 0o600))
	resp, b := ts.call("POST", "/v1/config/reload", tAdmin, nil)
	require.Equal(t, 400, resp.StatusCode, "%s", b)
	require.Contains(t, string(b), "tokens.yaml:3:")
	require.NotContains(t, string(b), "short,")
	require.False(t, st.ended(), "the tokens in use stay")
	require.NoError(t, os.WriteFile(tokPath, []byte(strings.Replace(tokensFile, "  - {name: reader2, token: "+tRead2+", roles: [read]}\n", "", 1)), 0o600))
	resp, b = ts.call("POST", "/v1/config/reload", tAdmin, nil)
	require.Equal(t, 200, resp.StatusCode, "%s", b)
	require.Eventually(t, st.ended, waitFor, 10*time.Millisecond, "the removed token's stream ends")
	resp, _ = ts.call("GET", "/v1/config", tRead2, nil)
	require.Equal(t, 401, resp.StatusCode)
}

// openStreamAs starts a stream with a bearer token.
func (ts *testServer) openStreamAs(path, tok string) *stream {
	ts.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), "GET", ts.url+path, nil)
	require.NoError(ts.t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{}).Do(req)
	require.NoError(ts.t, err)
	require.Equal(ts.t, http.StatusOK, resp.StatusCode)
	st := &stream{resp: resp, done: make(chan struct{})}
	go st.read()
	ts.t.Cleanup(func() { resp.Body.Close(); <-st.done })
	return st
}
