package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/replica"
	"github.com/statkit/statkit/runtime/server"
)

// twoTenants has a queue in each of tenants a and b.
const twoTenants = `topology:
  tenant: a
  tenants: [b, c]
  dns:
    - {id: QA, type: ACDQueue}
    - {id: QB, type: ACDQueue, tenant: b}
statTypes:
  CallsEntered: {objects: [Queue, Tenant], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
statistics:
  - {id: ea, statType: CallsEntered, object: {type: Queue, id: QA}}
  - {id: eb, statType: CallsEntered, object: {type: Queue, id: QB}}
`

// serveGroup starts a replica of the given tenants and returns its base URL.
func serveGroup(t *testing.T, urls []string, stream string, cfg *config.Config, tenants ...string) (string, *Node, *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	node, err := Start(ctx, Options{NATS: joinURLs(urls), Stream: stream, Tenants: tenants, LeaseTTL: time.Second, Logger: logger(t, tenants[0])})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Config: cfg, ConfigText: []byte(twoTenants), Log: node.Log(), HoldsClock: node.HoldsClock,
		TickInterval: -1, MaxSkew: -1, ReorderWindow: -1, Logger: logger(t, tenants[0])})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(sctx, ln) }()
	go func() { _ = node.Run(sctx, nil) }()
	t.Cleanup(func() { scancel(); <-done; node.Close() })
	return "http://" + ln.Addr().String(), node, srv
}

// Groups of tenants on one stream: a group overlapping another is refused at start; a
// batch of both tenants posted to a's replica reaches b's replica; each shows only its
// tenant's statistics; the replicas bucket finds a tenant's replica.
func TestGroups(t *testing.T) {
	cl := shared(t)
	stream := streamOf(t)
	cfg, err := config.LoadWith("two.yaml", strings.NewReader(twoTenants), machine.LoadOptions)
	if err != nil {
		t.Fatal(err)
	}
	aURL, aNode, _ := serveGroup(t, cl.URLs(), stream, cfg, "a")
	bURL, _, bSrv := serveGroup(t, cl.URLs(), stream, cfg, "b", "c")

	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	_, err = Start(ctx, Options{NATS: joinURLs(cl.URLs()), Stream: stream, Tenants: []string{"a", "c"}, LeaseTTL: time.Second, Logger: logger(t, "ac")})
	var oe *replica.OverlapError
	if !errors.As(err, &oe) || oe.Tenant != "a" {
		t.Fatalf("an overlapping group started: %v", err)
	}

	body := `{"time":"2026-11-26T09:00:01Z","action":"CallEntered","source":{"class":"mediation_dn","id":"QB"},"interaction":"c1"}
{"time":"2026-11-26T09:00:02Z","action":"CallEntered","source":{"class":"mediation_dn","id":"QA"},"interaction":"c2"}
`
	req, _ := http.NewRequest("POST", aURL+"/v1/events", strings.NewReader(body))
	req.Header.Set(server.IdempotencyHeader, "g1")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var ans struct {
		Accepted  int
		Forwarded []server.Forwarded
	}
	if err := json.Unmarshal(b, &ans); err != nil || resp.StatusCode != http.StatusOK || ans.Accepted != 2 ||
		len(ans.Forwarded) != 1 || ans.Forwarded[0].Tenant != "b" || ans.Forwarded[0].Lines != 1 {
		t.Fatalf("posted to a: %d %s", resp.StatusCode, b)
	}
	if err := bSrv.WaitApplied(ctx); err != nil {
		t.Fatal(err)
	}
	peek := func(url, id string) (int, string) {
		var pk struct{ Value json.RawMessage }
		r, err := httpClient.Get(url + "/v1/statistics/" + id)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		_ = json.NewDecoder(r.Body).Decode(&pk)
		return r.StatusCode, string(pk.Value)
	}
	eventually(t, waitLong, "b applied its line", func() bool { s, v := peek(bURL, "eb"); return s == 200 && v == "1" })
	if s, v := peek(aURL, "ea"); s != 200 || v != "1" {
		t.Fatalf("a's ea: %d %s", s, v)
	}
	if s, _ := peek(aURL, "eb"); s != http.StatusNotFound {
		t.Fatalf("a serves b's statistic: %d", s)
	}
	if s, _ := peek(bURL, "ea"); s != http.StatusNotFound {
		t.Fatalf("b serves a's statistic: %d", s)
	}
	var ms []replica.Member
	eventually(t, waitLong, "both replicas announced", func() bool {
		ms, err = aNode.Client().Members(ctx)
		return err == nil && len(replica.ReplicasOf(ms, "b")) == 1 && len(replica.ReplicasOf(ms, "a")) == 1
	})
	if m := replica.ReplicasOf(ms, "c")[0]; m.Group != "b.c" {
		t.Fatalf("tenant c's replica: %+v", m)
	}
}
