package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/machine"
)

// sharedStream is a shared log in memory, as JetStream holds one: records numbered in
// one sequence, each under a tenant, deduplicated by message id (scoped by tenant).
type sharedStream struct {
	mu    sync.Mutex
	recs  []sharedRec
	ids   map[string]uint64
	grown chan struct{} // closed and replaced when a record is appended
	n     int           // for unique ids
}

type sharedRec struct {
	tenant string
	rec    []byte
	id     string
}

func newSharedStream() *sharedStream {
	return &sharedStream{ids: map[string]uint64{}, grown: make(chan struct{})}
}

// kinds returns the kinds of the records stored under tenant, in order.
func (st *sharedStream) kinds(tenant string) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var b []byte
	for _, r := range st.recs {
		if r.tenant == tenant {
			b = append(b, r.rec[0])
		}
	}
	return string(b)
}

// fakeReplica is one process's view of a sharedStream: a Replicated log serving some
// tenants (the first is its home).
type fakeReplica struct {
	st      *sharedStream
	tenants []string

	mu          sync.Mutex
	locals      map[string]any
	refuseTicks bool
	refused     int
}

func newFakeReplica(st *sharedStream, tenants ...string) *fakeReplica {
	return &fakeReplica{st: st, tenants: tenants, locals: map[string]any{}}
}

func (f *fakeReplica) Append(ctx context.Context, rec []byte, id string, local any) (uint64, bool, error) {
	if rec[0] == machine.KindTick {
		f.mu.Lock()
		refuse := f.refuseTicks
		if refuse {
			f.refused++
		}
		f.mu.Unlock()
		if refuse {
			return 0, false, ErrNotClockHolder
		}
	}
	return f.AppendTenant(ctx, f.tenants[0], rec, id, local)
}

func (f *fakeReplica) AppendTenant(_ context.Context, tenant string, rec []byte, id string, local any) (uint64, bool, error) {
	st := f.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if id == "" {
		st.n++
		id = "n:" + strconv.Itoa(st.n)
	} else {
		id = tenant + ":" + id
		if seq, ok := st.ids[id]; ok {
			return seq, true, nil
		}
	}
	if local != nil {
		f.mu.Lock()
		f.locals[id] = local
		f.mu.Unlock()
	}
	st.recs = append(st.recs, sharedRec{tenant: tenant, rec: rec, id: id})
	seq := uint64(len(st.recs))
	st.ids[id] = seq
	close(st.grown)
	st.grown = make(chan struct{})
	return seq, false, nil
}

func (f *fakeReplica) Follow(ctx context.Context, after uint64, apply func(seq uint64, rec []byte, local any) error) error {
	for {
		f.st.mu.Lock()
		recs, grown := f.st.recs, f.st.grown
		f.st.mu.Unlock()
		for i := int(after); i < len(recs); i++ {
			r := recs[i]
			after = uint64(i + 1)
			if !f.Serves(r.tenant) {
				continue
			}
			f.mu.Lock()
			local := f.locals[r.id]
			delete(f.locals, r.id)
			f.mu.Unlock()
			if err := apply(uint64(i+1), r.rec, local); err != nil {
				return err
			}
		}
		select {
		case <-grown:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *fakeReplica) Last(context.Context) (uint64, error) {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	for i := len(f.st.recs) - 1; i >= 0; i-- {
		if f.Serves(f.st.recs[i].tenant) {
			return uint64(i + 1), nil
		}
	}
	return 0, nil
}

func (f *fakeReplica) LoadSnapshot(func(uint64, []byte) error) (uint64, error) { return 0, nil }
func (f *fakeReplica) WriteSnapshot(uint64, []byte) error                      { return nil }
func (f *fakeReplica) Err() error                                              { return nil }
func (f *fakeReplica) Serves(t string) bool                                    { return slices.Contains(f.tenants, t) }
func (f *fakeReplica) ReplicaStatus() ReplicaStatus {
	return ReplicaStatus{ID: "fake-" + f.tenants[0], Group: strings.Join(f.tenants, "."), Tenants: f.tenants,
		Connected: true, CaughtUp: true, LeaseHolder: "fake-" + f.tenants[0], HoldsLease: true}
}

var _ Replicated = (*fakeReplica)(nil)

// twoTenantConfig has a queue in each of tenants a and b, and statistics on both.
const twoTenantConfig = `topology:
  tenant: a
  tenants: [b]
  dns:
    - {id: QA, type: ACDQueue}
    - {id: QB, type: ACDQueue, tenant: b}
statTypes:
  CallsEntered: {objects: [Queue, Tenant], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
statistics:
  - {id: ea, statType: CallsEntered, object: {type: Queue, id: QA}}
  - {id: eb, statType: CallsEntered, object: {type: Queue, id: QB}}
  - {id: ta, statType: CallsEntered, object: {type: Tenant, id: a}}
  - {id: tb, statType: CallsEntered, object: {type: Tenant, id: b}}
`

// entered is a CallEntered line on queue q at second sec of 09:00.
func entered(q string, sec int, call string) string {
	return `{"time":"2026-11-26T09:00:` + strconv.Itoa(100 + sec)[1:] + `Z","action":"CallEntered","source":{"class":"mediation_dn","id":"` + q + `"},"interaction":"` + call + `"}`
}

// routedAnswer is a replica's answer to POST /v1/events.
type routedAnswer struct {
	eventsResponse
	Forwarded []Forwarded `json:"forwarded"`
}

func (ts *testServer) postKeyed(body, key string) (int, routedAnswer, http.Header) {
	ts.t.Helper()
	req, err := http.NewRequest("POST", ts.url+"/v1/events", strings.NewReader(body))
	require.NoError(ts.t, err)
	req.Header.Set("Content-Type", "application/x-ndjson")
	if key != "" {
		req.Header.Set(IdempotencyHeader, key)
	}
	resp, err := client.Do(req)
	require.NoError(ts.t, err)
	defer resp.Body.Close()
	var r routedAnswer
	if resp.StatusCode < 300 || resp.StatusCode == 400 {
		require.NoError(ts.t, json.NewDecoder(resp.Body).Decode(&r))
	}
	return resp.StatusCode, r, resp.Header
}

func (ts *testServer) value(id string) string {
	ts.t.Helper()
	require.NoError(ts.t, ts.srv.WaitApplied(context.Background()))
	return string(ts.peek(id).Value)
}

func (ts *testServer) statIDs() []string {
	ts.t.Helper()
	status, b := ts.do("GET", "/v1/statistics", "", nil)
	require.Equal(ts.t, http.StatusOK, status)
	var r struct{ Statistics []statisticJSON }
	require.NoError(ts.t, json.Unmarshal(b, &r))
	var ids []string
	for _, st := range r.Statistics {
		ids = append(ids, st.ID)
	}
	return ids
}

// Replicas of two groups (tenant a: two replicas, tenant b: one) on one shared log: a
// batch with both tenants' lines is split per tenant before it is appended; each replica
// applies and answers its tenant's lines (line numbers those of the body) and reports the
// others as forwarded; a retry on a replica of the other group is counted once; a key
// reused for another body is refused; statistics open only on their tenant's replicas.
func TestReplicasRouteByTenant(t *testing.T) {
	cfg, err := config.LoadWith("two.yaml", strings.NewReader(twoTenantConfig), machine.LoadOptions)
	require.NoError(t, err)
	st := newSharedStream()
	opts := func(l Log) Options {
		return Options{Config: cfg, ConfigText: []byte(twoTenantConfig), Log: l, TickInterval: -1, MaxSkew: -1}
	}
	a := startServer(t, opts(newFakeReplica(st, "a")), nil, nil)
	a2 := startServer(t, opts(newFakeReplica(st, "a")), nil, nil)
	b := startServer(t, opts(newFakeReplica(st, "b")), nil, nil)
	assert.Equal(t, []string{"ea", "ta"}, a.statIDs())
	assert.Equal(t, []string{"ea", "ta"}, a2.statIDs())
	assert.Equal(t, []string{"eb", "tb"}, b.statIDs())

	body := strings.Join([]string{entered("QA", 1, "c1"), entered("QB", 2, "c2"), `{"bad json`, entered("QA", 3, "c3"), "", entered("QB", 4, "c4")}, "\n") + "\n"
	status, r, h := a.postKeyed(body, "K1")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 4, r.Accepted, "two applied here, two forwarded")
	require.Len(t, r.Rejected, 1)
	assert.Equal(t, 3, r.Rejected[0].Line)
	assert.Equal(t, 1, r.RejectedTotal)
	require.Len(t, r.Forwarded, 1)
	assert.Equal(t, "b", r.Forwarded[0].Tenant)
	assert.Equal(t, 2, r.Forwarded[0].Lines)
	assert.Empty(t, h.Get(ReplayedHeader))
	assert.Equal(t, "SRB", st.kinds("b"), "b's group started its log (settings, config), then b's part")
	assert.Equal(t, "2", a.value("ea"))
	assert.Equal(t, "2", a.value("ta"))
	assert.Equal(t, "2", a2.value("ea"))
	assert.Equal(t, "2", b.value("eb"))
	assert.Equal(t, "2", b.value("tb"))

	// The client did not get its answer and retries on b: the same answer, seen from b,
	// and nothing counted twice.
	status, r, h = b.postKeyed(body, "K1")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "true", h.Get(ReplayedHeader))
	assert.Equal(t, 4, r.Accepted)
	require.Len(t, r.Rejected, 1)
	assert.Equal(t, 3, r.Rejected[0].Line)
	require.Len(t, r.Forwarded, 1)
	assert.Equal(t, "a", r.Forwarded[0].Tenant)
	assert.Equal(t, "2", b.value("eb"))
	assert.Equal(t, "2", a.value("ea"))
	assert.Equal(t, "2", a2.value("ea"))

	// The same key with another body: refused by a replica that applied its part.
	status, _, _ = a2.postKeyed(strings.Replace(body, "c1", "c9", 1), "K1")
	assert.Equal(t, http.StatusUnprocessableEntity, status)

	// Line numbers are the body's in every part: a late line of b, posted to b.
	late := entered("QA", 5, "c5") + "\n" + entered("QB", 1, "c6") + "\n"
	status, r, _ = b.postKeyed(late, "")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, r.Late, 1)
	assert.Equal(t, 2, r.Late[0].Line)
	assert.Equal(t, "3", b.value("eb"))
	assert.Equal(t, "3", a.value("ea"))

	// A batch of tenant b only, posted to a replica of a: one record, forwarded.
	status, r, _ = a.postKeyed(entered("QB", 30, "c7")+"\n", "K2")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 1, r.Accepted)
	require.Len(t, r.Forwarded, 1)
	assert.Equal(t, "4", b.value("eb"))
	status, r, h = a2.postKeyed(entered("QB", 30, "c7")+"\n", "K2")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "true", h.Get(ReplayedHeader))
	assert.Equal(t, "4", b.value("eb"))

	// A statistic on tenant b's queue is b's: a replica of a refuses it.
	status, msg := a.do("POST", "/v1/statistics", "application/json", []byte(`{"statType":"CallsEntered","object":{"type":"Queue","id":"QB"}}`))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(msg), `belongs to tenant \"b\"`)
	assert.NotEmpty(t, b.open(`{"statType":"CallsEntered","object":{"type":"Queue","id":"QB"}}`))

	// /healthz and /metrics report the replica.
	_, hb := a.do("GET", "/healthz", "", nil)
	var health struct{ Replica ReplicaStatus }
	require.NoError(t, json.Unmarshal(hb, &health))
	assert.Equal(t, "fake-a", health.Replica.LeaseHolder)
	assert.True(t, health.Replica.CaughtUp)
	_, mb := a.do("GET", "/metrics", "", nil)
	assert.Contains(t, string(mb), "statkit_replica_lease_held 1")
	assert.Contains(t, string(mb), "statkit_replica_applied_sequence ")
}

// A replica that does not hold the clock appends no tick and stays healthy.
func TestReplicaWithoutClock(t *testing.T) {
	cfg, err := config.LoadWith("two.yaml", strings.NewReader(twoTenantConfig), machine.LoadOptions)
	require.NoError(t, err)
	st := newSharedStream()
	f := newFakeReplica(st, "a")
	f.refuseTicks = true
	ts := startServer(t, Options{Config: cfg, Log: f, TickInterval: 5 * time.Millisecond}, nil, nil)
	before := st.kinds("a")
	require.Eventually(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.refused >= 10 }, waitFor, 5*time.Millisecond)
	assert.Equal(t, before, st.kinds("a"), "no tick appended")
	status, _ := ts.do("GET", "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, status)
	f.mu.Lock()
	f.refuseTicks = false
	f.mu.Unlock()
	require.Eventually(t, func() bool { return strings.Contains(st.kinds("a"), "T") }, waitFor, 5*time.Millisecond)
}

// A replica's answers — an events batch with forwarded lines, /healthz with the replica —
// are those the OpenAPI description documents.
func TestReplicaAnswersConformToOpenAPI(t *testing.T) {
	cfg, err := config.LoadWith("two.yaml", strings.NewReader(twoTenantConfig), machine.LoadOptions)
	require.NoError(t, err)
	st := newSharedStream()
	a := startServer(t, Options{Config: cfg, ConfigText: []byte(twoTenantConfig), Log: newFakeReplica(st, "a"), TickInterval: -1, MaxSkew: -1}, nil, nil)
	check := newAPICheck(t, a)
	body := entered("QA", 1, "c1") + "\n" + entered("QB", 2, "c2") + "\n{bad\n"
	ans := check.do(a, call{method: "POST", path: "/v1/events", body: []byte(body), header: []string{"Content-Type", "application/x-ndjson", IdempotencyHeader, "oa1"}})
	require.Equal(t, http.StatusOK, ans.status)
	require.Contains(t, string(ans.body), `"forwarded":[{"tenant":"b","lines":1,`)
	ans = check.do(a, call{method: "POST", path: "/v1/events", body: []byte(body), header: []string{"Content-Type", "application/x-ndjson", IdempotencyHeader, "oa1"}})
	require.Equal(t, "true", ans.header.Get(ReplayedHeader))
	ans = check.do(a, call{method: "GET", path: "/healthz"})
	require.Equal(t, http.StatusOK, ans.status)
	require.Contains(t, string(ans.body), `"replica":{`)
}
