package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
)

// fuzzServer is a server over a small demo config whose owner goroutine runs for the
// whole fuzz run; requests go through the handler.
func fuzzServer(f *testing.F) *Server {
	cfg, err := democonfig.Build(sim.Config{Seed: 1, Agents: 4, Queues: 1, Duration: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(Options{Config: cfg, TickInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.start())
	return s
}

// fuzzPost posts body to path through the handler and checks the answer is a JSON one
// with a 2xx or 4xx status (never a panic or a 5xx).
func fuzzPost(t *testing.T, s *Server, path string, body []byte) {
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
	if w.Code >= 500 {
		t.Fatalf("POST %s: %d %s", path, w.Code, w.Body.String())
	}
}

// FuzzPostStatistic: POST /v1/statistics bodies.
func FuzzPostStatistic(f *testing.F) {
	s := fuzzServer(f)
	f.Add([]byte(`{"statType":"CallsEntered","object":{"type":"Queue","id":"Q1@SW1"}}`))
	f.Add([]byte(`{"statType":"CallsEntered","object":{"type":"Queue","id":"Q1@SW1"},"notification":{"mode":"periodical","period":5}}`))
	f.Add([]byte(`{"statType":1}`))
	f.Fuzz(func(t *testing.T, body []byte) { fuzzPost(t, s, "/v1/statistics", body) })
}

// FuzzPostEvents: POST /v1/events NDJSON bodies.
func FuzzPostEvents(f *testing.F) {
	s := fuzzServer(f)
	evs, err := sim.New(sim.Config{Seed: 1, Agents: 4, Queues: 1, Duration: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	var seed bytes.Buffer
	for i := 0; i < 20; i++ {
		e, ok := evs.Next()
		if !ok {
			break
		}
		b, _ := event.AppendJSON(nil, e)
		seed.Write(append(b, '\n'))
	}
	f.Add(seed.Bytes())
	f.Add([]byte("{}\n{\"time\":1}\n"))
	f.Fuzz(func(t *testing.T, body []byte) { fuzzPost(t, s, "/v1/events", body) })
}

// FuzzReadQuery: query strings of the read endpoints (the unknown-parameter check, the
// statistic ids, values) answer 2xx or 4xx JSON, never a panic or a 5xx.
func FuzzReadQuery(f *testing.F) {
	s := fuzzServer(f)
	var ids []string
	for _, st := range s.cfg.Load().Statistics {
		ids = append(ids, st.ID)
	}
	for _, q := range []string{"", "statistic=" + ids[0], "statistic=" + ids[0] + "," + ids[len(ids)-1] + "&values=true",
		"values=1", "stat=x", "statistic=&values=maybe", "%zz", "statistic=a,,b", "values&values"} {
		f.Add(uint8(0), q)
		f.Add(uint8(1), q)
	}
	paths := []string{"/v1/values", "/v1/statistics", "/v1/statistics/" + ids[0], "/v1/config", "/healthz", "/metrics"}
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		u := paths[int(which)%len(paths)] + "?" + query
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Skip() // not a URL a client can send
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("GET %s: %d %s", u, w.Code, w.Body.String())
		}
		if w.Code >= 400 && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("GET %s: %d, not JSON: %s", u, w.Code, w.Body.String())
		}
	})
}
