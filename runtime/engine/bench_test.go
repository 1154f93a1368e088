package engine

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// benchCenter is a synthetic contact center: agents each on their own DN and place, in
// agent groups (and place groups) of 20, queues in two queue groups, one tenant.
type benchCenter struct {
	cfg    *config.Config
	agents int
	queues int
}

func newBenchCenter(agents, queues, stats int) *benchCenter {
	c := &benchCenter{agents: agents, queues: queues, cfg: &config.Config{}}
	t := &c.cfg.Topology
	t.Tenant, t.Tenants = "default", []string{"default"}
	for i := range agents {
		id := strconv.Itoa(1000 + i)
		t.DNs = append(t.DNs, &config.DN{ID: "d" + id, Type: object.DNExtension, Place: "p" + id})
		t.Places = append(t.Places, &config.Place{ID: "p" + id})
		t.Agents = append(t.Agents, &config.Agent{ID: id})
		if i%20 == 0 {
			t.AgentGroups = append(t.AgentGroups, &config.Group{ID: fmt.Sprint("ga", i/20)})
			t.PlaceGroups = append(t.PlaceGroups, &config.Group{ID: fmt.Sprint("gp", i/20)})
		}
		t.AgentGroups[i/20].Members = append(t.AgentGroups[i/20].Members, id)
		t.PlaceGroups[i/20].Members = append(t.PlaceGroups[i/20].Members, "p"+id)
	}
	t.QueueGroups = []*config.Group{{ID: "gq0"}, {ID: "gq1"}}
	for q := range queues {
		id := fmt.Sprintf("q%d@SW1", q)
		t.DNs = append(t.DNs, &config.DN{ID: id, Type: object.DNACDQueue})
		t.QueueGroups[q%2].Members = append(t.QueueGroups[q%2].Members, id)
	}
	c.cfg.Statistics = c.statistics(stats)
	return c
}

// statistics returns n statistics: per agent, 4 on the agent, 2 on its DN and 1 on its
// place; the rest spread over agent groups, queues, queue groups and the tenant.
func (c *benchCenter) statistics(n int) []*config.Statistic {
	type kind struct {
		cat  category.Category
		subj category.Subject
		mask []action.ID
	}
	var (
		agentKinds = []kind{
			{category.TotalNumber, category.SubjectDNAction, []action.ID{action.CallInbound}},
			{category.TotalTime, category.SubjectDNAction, []action.ID{action.CallInbound, action.CallOnHold}},
			{category.TotalTime, category.SubjectAgentStatus, []action.ID{action.WaitForNextCall}},
			{category.CurrentTime, category.SubjectDNAction, []action.ID{action.CallInbound}},
		}
		dnKinds    = []kind{{category.TotalNumber, category.SubjectDNAction, []action.ID{action.CallRinging}}, {category.TotalTime, category.SubjectDNStatus, []action.ID{action.NotReadyForNextCall}}}
		placeKinds = []kind{{category.AverageTime, category.SubjectDNAction, []action.ID{action.AfterCallWork}}}
		groupKinds = []kind{
			{category.TotalNumber, category.SubjectDNAction, []action.ID{action.CallAnsweredRegularDNs}},
			{category.AverageTime, category.SubjectDNAction, []action.ID{action.CallInbound}},
			{category.MaxTime, category.SubjectDNAction, []action.ID{action.CallRinging}},
			{category.CurrentNumber, category.SubjectAgentStatus, []action.ID{action.WaitForNextCall}},
			{category.TotalTime, category.SubjectAgentStatus, []action.ID{action.NotReadyForNextCall, action.AfterCallWork}},
			{category.TotalAdjustedTime, category.SubjectDNAction, []action.ID{action.CallInbound}},
		}
		queueKinds = []kind{
			{category.TotalNumber, category.SubjectDNAction, []action.ID{action.CallDistributed}},
			{category.AverageTime, category.SubjectDNAction, []action.ID{action.CallDistributed}},
			{category.CurrentNumber, category.SubjectDNAction, []action.ID{action.CallWait}},
			{category.CurrentMaxTime, category.SubjectDNAction, []action.ID{action.CallWait}},
			{category.TotalNumber, category.SubjectDNAction, []action.ID{action.CallEntered}},
		}
	)
	var out []*config.Statistic
	add := func(k kind, typ object.Type, id string) {
		s := statOf(fmt.Sprintf("s%d", len(out)), k.cat, k.subj, typ, id, k.mask...)
		out = append(out, s)
	}
	for i := range c.agents {
		id := strconv.Itoa(1000 + i)
		for _, k := range agentKinds {
			add(k, object.TypeAgent, id)
		}
		for _, k := range dnKinds {
			add(k, object.TypeRegDN, "d"+id)
		}
		for _, k := range placeKinds {
			add(k, object.TypePlace, "p"+id)
		}
	}
	for j := 0; len(out) < n; j++ {
		switch j % 4 {
		case 0, 1:
			g := j / 2 % (c.agents / 20)
			add(groupKinds[j/2%len(groupKinds)], object.TypeGroupAgents, fmt.Sprint("ga", g))
		case 2:
			add(queueKinds[j%len(queueKinds)], object.TypeQueue, fmt.Sprintf("q%d@SW1", j/4%c.queues))
		default:
			if j%3 == 0 {
				add(queueKinds[j%len(queueKinds)], object.TypeTenant, "default")
			} else {
				add(queueKinds[j%len(queueKinds)], object.TypeGroupQueues, fmt.Sprint("gq", j%2))
			}
		}
	}
	return out[:n]
}

// login returns the events logging every agent in, ready, at t.
func (c *benchCenter) login(t event.Time) []*event.Event {
	var evs []*event.Event
	for i := range c.agents {
		id := strconv.Itoa(1000 + i)
		evs = append(evs,
			begin(t, action.LoggedIn, "d"+id, "", agent(id)),
			begin(t, action.WaitForNextCall, "d"+id, ""))
	}
	return evs
}

// calls returns, in time order from t0, calls per agent, each: queued, distributed,
// ringing, answered, talk with a hold, after-call work (sometimes not ready), ready
// again. Every agent ends ready, with nothing in progress, so the stream can repeat.
func (c *benchCenter) calls(seed uint64, t0 event.Time, perAgent int) (evs []*event.Event, span event.Time) {
	r := rand.New(rand.NewPCG(seed, 1))
	sec := func(lo, hi int) event.Time { return event.Time(1000*lo + r.IntN(1000*(hi-lo))) }
	mc := func(t event.Time, a action.ID, ph event.Phase, class object.SourceClass, s, ixn string, dur event.Time) *event.Event {
		return &event.Event{Time: t, Action: a, Phase: ph, Source: event.Source{Class: class, ID: s}, Interaction: ixn, Duration: int64(dur), Media: "voice"}
	}
	reg, med := object.ClassRegularDN, object.ClassMediationDN
	for i := range c.agents {
		id := strconv.Itoa(1000 + i)
		dn := "d" + id
		t := t0 + sec(0, 60)
		for k := range perAgent {
			ixn := fmt.Sprintf("c%d-%d", i, k)
			q := fmt.Sprintf("q%d@SW1", r.IntN(c.queues))
			wait, ring, talk, hold, acw := sec(1, 60), sec(2, 15), sec(30, 300), sec(5, 40), sec(5, 60)
			th := t + wait + ring + talk/3
			evs = append(evs,
				mc(t, action.CallWait, event.PhaseStart, med, q, ixn, 0),
				mc(t, action.CallEntered, event.PhaseNone, med, q, ixn, 0),
				mc(t+wait, action.CallWait, event.PhaseEnd, med, q, ixn, 0),
				mc(t+wait, action.CallDistributed, event.PhaseNone, med, q, ixn, wait),
				mc(t+wait, action.WaitForNextCall, event.PhaseEnd, reg, dn, "", 0),
				mc(t+wait, action.CallRinging, event.PhaseStart, reg, dn, ixn, 0),
				mc(t+wait+ring, action.CallRinging, event.PhaseEnd, reg, dn, ixn, 0),
				mc(t+wait+ring, action.CallAnsweredRegularDNs, event.PhaseNone, reg, dn, ixn, ring),
				mc(t+wait+ring, action.CallInbound, event.PhaseStart, reg, dn, ixn, 0),
				mc(th, action.CallOnHold, event.PhaseStart, reg, dn, ixn, 0),
				mc(th, action.CallHeld, event.PhaseNone, reg, dn, ixn, 0),
				mc(th+hold, action.CallOnHold, event.PhaseEnd, reg, dn, ixn, 0),
				mc(th+hold, action.CallRetrievedFromHold, event.PhaseNone, reg, dn, ixn, hold),
			)
			t = t + wait + ring + talk + hold
			evs = append(evs,
				mc(t, action.CallInbound, event.PhaseEnd, reg, dn, ixn, 0),
				mc(t, action.AfterCallWork, event.PhaseStart, reg, dn, "", 0),
				mc(t+acw, action.AfterCallWork, event.PhaseEnd, reg, dn, "", 0))
			t += acw
			if r.IntN(5) == 0 {
				nr := sec(10, 300)
				evs = append(evs,
					mc(t, action.NotReadyForNextCall, event.PhaseStart, reg, dn, "", 0),
					mc(t+nr, action.NotReadyForNextCall, event.PhaseEnd, reg, dn, "", 0))
				t += nr
			}
			evs = append(evs, mc(t, action.WaitForNextCall, event.PhaseStart, reg, dn, "", 0))
			t += sec(1, 30)
			span = max(span, t-t0)
		}
	}
	slices.SortStableFunc(evs, func(a, b *event.Event) int { return int(a.Time - b.Time) })
	return evs, span + 1000
}

// benchSetup builds the M workload: 1,000 agents, 20 queues, 10,000 open statistics,
// everyone logged in and ready, and a repeatable stream of calls.
func benchSetup(tb testing.TB) (e *Engine, evs []*event.Event, span event.Time, bytesPerStat float64) {
	c := newBenchCenter(1000, 20, 10_000)
	stats := c.cfg.Statistics
	c.cfg.Statistics = nil
	e, err := New(c.cfg)
	if err != nil {
		tb.Fatal(err)
	}
	t0 := utc("2026-11-26T08:00:00Z")
	for _, ev := range c.login(t0) {
		if err := e.Apply(ev); err != nil {
			tb.Fatal(err)
		}
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	for _, s := range stats {
		if err := e.Open(s); err != nil {
			tb.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	// The statistics' own memory: engine slot, index entries, id map (configs excluded).
	bytesPerStat = float64(m1.HeapAlloc-m0.HeapAlloc) / float64(len(stats))
	evs, span = c.calls(42, t0+60_000, 5)
	return e, evs, span, bytesPerStat
}

// BenchmarkApply applies a contact-center event stream (queue, ringing, talk with hold,
// ACW, not ready) to 1,000 agents with 10,000 open statistics. One op is one action.
func BenchmarkApply(b *testing.B) {
	e, evs, span, bps := benchSetup(b)
	base := make([]event.Time, len(evs))
	for i, ev := range evs {
		base[i] = ev.Time
	}
	// Warm up one full cycle so that slices and maps reach their steady size.
	var off event.Time
	for i, ev := range evs {
		ev.Time = base[i] + off
		if err := e.Apply(ev); err != nil {
			b.Fatal(err)
		}
	}
	off += span
	b.ReportAllocs()
	b.ResetTimer()
	k := 0
	for i := 0; i < b.N; i++ {
		ev := evs[k]
		ev.Time = base[k] + off
		if err := e.Apply(ev); err != nil {
			b.Fatal(err)
		}
		if k++; k == len(evs) {
			k, off = 0, off+span
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "actions/s")
	b.ReportMetric(bps, "B/stat")
}

// TestApplySteadyStateAllocs: applying actions allocates nothing once the engine is warm.
func TestApplySteadyStateAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the 10,000-statistic workload")
	}
	e, evs, span, _ := benchSetup(t)
	base := make([]event.Time, len(evs))
	for i, ev := range evs {
		base[i] = ev.Time
	}
	var off event.Time
	run := func() {
		for i, ev := range evs {
			ev.Time = base[i] + off
			if err := e.Apply(ev); err != nil {
				t.Fatal(err)
			}
		}
		off += span
	}
	run()
	run()
	if a := testing.AllocsPerRun(2, run); a != 0 {
		t.Errorf("%v allocations per cycle of %d actions, want 0", a, len(evs))
	}
}

// BenchmarkApplyUpdates is BenchmarkApply with attached data that changes mid-call: every
// call's segment is set to Gold halfway through its talk, under one filtered TotalTime
// and one filtered CurrentNumber statistic per agent (12,000 statistics in all). One op is
// one action, updates included; updates allocate (the merged data, the filter's hold).
func BenchmarkApplyUpdates(b *testing.B) {
	e, evs, span, _ := benchSetup(b)
	gold := &config.Filter{Name: "Gold", Expr: `data["Seg"] == "Gold"`}
	for i := range 1000 {
		for _, c := range []category.Category{category.TotalTime, category.CurrentNumber} {
			s := statOf(fmt.Sprintf("gold%v-%d", c, i), c, category.SubjectDNAction, object.TypeAgent, strconv.Itoa(1000+i), action.CallInbound)
			s.Filter = gold
			if err := e.Open(s); err != nil {
				b.Fatal(err)
			}
		}
	}
	starts := map[string]*event.Event{}
	var ups []*event.Event
	for _, ev := range evs {
		if ev.Action != action.CallInbound {
			continue
		}
		if ev.Phase == event.PhaseStart {
			starts[ev.Interaction] = ev
			continue
		}
		st := starts[ev.Interaction]
		u := *st
		u.Time, u.Phase, u.Data = st.Time+(ev.Time-st.Time)/2, event.PhaseUpdate, event.Data{{Key: "Seg", Value: "Gold"}}
		ups = append(ups, &u)
	}
	evs = append(slices.Clone(evs), ups...)
	slices.SortStableFunc(evs, func(a, b *event.Event) int { return int(a.Time - b.Time) })
	base := make([]event.Time, len(evs))
	for i, ev := range evs {
		base[i] = ev.Time
	}
	var off event.Time
	for i, ev := range evs {
		ev.Time = base[i] + off
		if err := e.Apply(ev); err != nil {
			b.Fatal(err)
		}
	}
	off += span
	b.ReportAllocs()
	b.ResetTimer()
	k := 0
	for i := 0; i < b.N; i++ {
		ev := evs[k]
		ev.Time = base[k] + off
		if err := e.Apply(ev); err != nil {
			b.Fatal(err)
		}
		if k++; k == len(evs) {
			k, off = 0, off+span
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "actions/s")
	b.ReportMetric(float64(len(ups))/float64(len(evs)), "updates/action")
}
