package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/machine"
)

// FuzzRoutedEvents: POST /v1/events bodies on a replica of tenant a, with tenant b's
// replicas elsewhere. Never a 5xx; every record appended holds only lines of the tenant
// it is filed under, at the body's line numbers; the answer accepts no line that was not stored.
func FuzzRoutedEvents(f *testing.F) {
	cfg, err := config.LoadWith("two.yaml", strings.NewReader(twoTenantConfig), machine.LoadOptions)
	if err != nil {
		f.Fatal(err)
	}
	st := newSharedStream()
	s, err := New(Options{Config: cfg, Log: newFakeReplica(st, "a"), TickInterval: -1, MaxSkew: -1, ReorderWindow: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.start())
	f.Add([]byte(entered("QA", 1, "c1") + "\n" + entered("QB", 2, "c2") + "\n\n{bad\n" + entered("QB", 3, "c3")))
	f.Add([]byte(entered("QB", 1, "c1") + "\r\n" + entered("QB", 1, "c1") + "\n"))
	f.Add([]byte("\n\n" + entered("QA", 9, "x") + "\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		st.mu.Lock()
		from := len(st.recs)
		st.mu.Unlock()
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/events", bytes.NewReader(body)))
		if w.Code >= 500 {
			t.Fatalf("%d %s", w.Code, w.Body.String())
		}
		st.mu.Lock()
		recs := st.recs[from:]
		st.mu.Unlock()
		lines := 0
		for _, r := range recs {
			if r.rec[0] != machine.KindBatch {
				continue
			}
			h, b, err := machine.DecodeBatch(r.rec)
			if err != nil {
				t.Fatal(err)
			}
			evs, rejs, err := machine.DecodeEvents(b, h.Line, &cfg.Topology)
			if err != nil || len(rejs) > 0 {
				t.Fatalf("a part does not decode: %v %v", err, rejs)
			}
			for _, ev := range evs {
				if tn, _ := cfg.Topology.SourceTenant(ev.Source.Class, ev.Source.ID); tn != r.tenant {
					t.Fatalf("line %d of tenant %s in a record of %s", ev.Line, tn, r.tenant)
				}
			}
			lines += len(evs)
		}
		if w.Code != http.StatusOK {
			return
		}
		var a routedAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		// Lines the engine refuses as it applies them are not accepted; no line is
		// accepted that was not stored.
		if a.Accepted > lines || a.Accepted == 0 {
			t.Fatalf("accepted %d, %d lines stored", a.Accepted, lines)
		}
		for _, fw := range a.Forwarded {
			if fw.Tenant == "a" {
				t.Fatal("tenant a's lines forwarded by a replica of a")
			}
		}
	})
}
