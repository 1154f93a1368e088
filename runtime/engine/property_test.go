package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/generated/status"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// This file checks the engine against a deliberately naive recomputation: for random
// valid event streams on the test topology, TotalNumber, TotalTime, CurrentNumber and
// CurrentTime are recomputed at random instants from the whole event list, by pairing
// starts and ends, re-deriving every event's propagation from the events before it, and
// integrating statuses segment by segment. Growing (hourly, Paris midnight) and Sliding
// (3 and 5 steps) profiles are checked, and the extended path through an always-true
// filter.

var (
	propRegular = []string{"7001", "7002", "7003", "7004"}
	propPlaceOf = map[string]string{"7001": "P1", "7002": "P1", "7003": "P2"}
	propAgentGs = map[string][]string{"1001": {"Sales"}, "1002": {"Sales", "Solo"}}
	propDurable = []action.ID{action.CallInbound, action.CallOnHold, action.CallConsult, action.WaitForNextCall, action.NotReadyForNextCall, action.AfterCallWork, action.CallRinging}
	propMaskA   = []action.ID{action.CallInbound, action.CallAnsweredRegularDNs, action.CallHeld, action.CallWait, action.CallDistributed, action.CallConsult}
	propMaskB   = []action.ID{action.WaitForNextCall, action.NotReadyForNextCall, action.AfterCallWork, action.CallRinging, action.CallOnHold, action.LoggedIn, action.CallEntered}
	propStatusM = []action.ID{action.WaitForNextCall, action.CallOnHold, action.LoggedOut, action.CallInbound}
)

// genStream generates a valid event stream: no duplicate start, no end without start;
// durable events have strictly increasing times, instantaneous ones may share a time.
func genStream(seed uint64, n int) []*event.Event {
	r := rand.New(rand.NewPCG(seed, 7))
	t := utc("2026-11-26T22:00:00Z")
	type open struct {
		src, ixn string
		act      action.ID
	}
	var live []open
	loggedOn := map[string]string{}
	has := func(o open) bool { return slices.Contains(live, o) }
	var evs []*event.Event
	for len(evs) < n {
		t += event.Time(1 + r.IntN(20_000))
		switch op := r.IntN(10); {
		case op == 0: // login or logout
			dn := propRegular[r.IntN(len(propRegular))]
			if _, ok := loggedOn[dn]; ok {
				delete(loggedOn, dn)
				live = slices.DeleteFunc(live, func(o open) bool { return o.src == dn && o.act == action.LoggedIn })
				evs = append(evs, end(t, action.LoggedIn, dn, ""))
			} else {
				ag := []string{"1001", "1002"}[r.IntN(2)]
				loggedOn[dn] = ag
				live = append(live, open{dn, "", action.LoggedIn})
				evs = append(evs, begin(t, action.LoggedIn, dn, "", agent(ag)))
			}
		case op <= 3: // a durable start on a regular DN
			o := open{propRegular[r.IntN(len(propRegular))], []string{"", "c1", "c2"}[r.IntN(3)], propDurable[r.IntN(len(propDurable))]}
			if has(o) {
				continue
			}
			live = append(live, o)
			evs = append(evs, begin(t, o.act, o.src, o.ixn))
		case op <= 5: // a durable end
			if len(live) == 0 {
				continue
			}
			i := r.IntN(len(live))
			o := live[i]
			if o.act == action.LoggedIn {
				delete(loggedOn, o.src)
			}
			live = slices.Delete(live, i, i+1)
			evs = append(evs, end(t, o.act, o.src, o.ixn))
		case op <= 7: // an instantaneous regular-DN action, maybe at the previous time
			if r.IntN(3) == 0 {
				t = evs[len(evs)-1].Time
			}
			dn := propRegular[r.IntN(len(propRegular))]
			var opts []evOpt
			if r.IntN(5) == 0 {
				opts = append(opts, agent([]string{"1001", "1002"}[r.IntN(2)]))
			}
			if r.IntN(2) == 0 {
				evs = append(evs, once(t, action.CallAnsweredRegularDNs, dn, "c9", float64(r.IntN(90_000))/1000, opts...))
			} else {
				evs = append(evs, once(t, action.CallHeld, dn, "c9", 0, opts...))
			}
		default: // the queue
			o := open{"Support@SW1", []string{"w1", "w2"}[r.IntN(2)], action.CallWait}
			switch {
			case has(o):
				live = slices.DeleteFunc(live, func(x open) bool { return x == o })
				evs = append(evs, end(t, o.act, o.src, o.ixn))
			case r.IntN(2) == 0:
				live = append(live, o)
				evs = append(evs, begin(t, o.act, o.src, o.ixn))
			case r.IntN(2) == 0:
				evs = append(evs, once(t, action.CallDistributed, o.src, o.ixn, float64(r.IntN(60_000))/1000))
			default:
				evs = append(evs, once(t, action.CallEntered, o.src, o.ixn, 0))
			}
		}
	}
	return evs
}

// naive recomputes statistics from the whole event list.
type naive struct {
	evs     []*event.Event
	paris   *time.Location
	reached map[int][]string // memo of reach
	memo    map[memoKey]action.ID
}

type memoKey struct {
	agent bool
	id    string
	x     event.Time
}

// memoized returns f's status of id at x once per (id, x).
func (n *naive) memoized(agent bool, id string, x event.Time) action.ID {
	k := memoKey{agent, id, x}
	if s, ok := n.memo[k]; ok {
		return s
	}
	var s action.ID
	if agent {
		s = n.agentStatus(id, x)
	} else {
		s = n.dnStatus(id, x)
	}
	n.memo[k] = s
	return s
}

// startOf returns the index of the start matching the durable end at i.
func (n *naive) startOf(i int) int {
	ev := n.evs[i]
	for j := i - 1; j >= 0; j-- {
		s := n.evs[j]
		if s.Action == ev.Action && s.Source == ev.Source && s.Interaction == ev.Interaction {
			if s.Phase == event.PhaseStart {
				return j
			}
			return -1
		}
	}
	return -1
}

// endOf returns the index of the end matching the durable start at i, -1 when none.
func (n *naive) endOf(i int) int {
	ev := n.evs[i]
	for j := i + 1; j < len(n.evs); j++ {
		s := n.evs[j]
		if s.Action == ev.Action && s.Source == ev.Source && s.Interaction == ev.Interaction && s.Phase == event.PhaseEnd {
			return j
		}
	}
	return -1
}

// loggedAt returns the agent logged in on dn just before event i ("" when none).
func (n *naive) loggedAt(dn string, i int) string {
	ag := ""
	for _, ev := range n.evs[:i] {
		if ev.Action == action.LoggedIn && ev.Source.ID == dn {
			if ev.Phase == event.PhaseStart {
				ag = ev.Agent
			} else {
				ag = ""
			}
		}
	}
	return ag
}

// reach returns the objects ("Type:id") event i is delivered to.
func (n *naive) reach(i int) []string {
	if r, ok := n.reached[i]; ok {
		return r
	}
	r := n.reach0(i)
	n.reached[i] = r
	return r
}

func (n *naive) reach0(i int) []string {
	ev := n.evs[i]
	if ev.Phase == event.PhaseEnd {
		return n.reach(n.startOf(i))
	}
	var out []string
	add := func(t object.Type, id string) {
		if ev.Action.Reaches().Has(t) {
			out = append(out, t.String()+":"+id)
		}
	}
	if ev.Source.ID == "Support@SW1" {
		add(object.TypeQueue, "Support@SW1")
		add(object.TypeGroupQueues, "AllQueues")
	} else {
		add(object.TypeRegDN, ev.Source.ID)
		if p := propPlaceOf[ev.Source.ID]; p != "" {
			add(object.TypePlace, p)
			add(object.TypeGroupPlaces, "Floor1")
		}
		ag := ev.Agent
		if ag == "" {
			ag = n.loggedAt(ev.Source.ID, i)
		}
		if ag != "" {
			add(object.TypeAgent, ag)
			for _, g := range propAgentGs[ag] {
				add(object.TypeGroupAgents, g)
			}
		}
	}
	add(object.TypeTenant, "default")
	return out
}

// lastReset returns the start of the profile interval containing T.
func (n *naive) lastReset(p *config.TimeProfile, T event.Time) event.Time {
	if p.Type == config.ProfileSliding {
		w, s := event.Time(p.Window.Milliseconds()), event.Time(p.Step.Milliseconds())
		return T/s*s - w + s
	}
	if p.Period == time.Hour {
		return T / 3_600_000 * 3_600_000
	}
	y, m, d := T.Std().In(n.paris).Date()
	return event.TimeOf(time.Date(y, m, d, 0, 0, 0, 0, n.paris))
}

// action computes a DNAction statistic at T, opened at opened, just before event openIdx.
func (n *naive) action(st *config.Statistic, opened event.Time, openIdx int, T event.Time) float64 {
	from := max(n.lastReset(st.Profile, T), opened)
	self := st.Object.Type.String() + ":" + st.Object.ID
	var num, ms, cur, curMS int64
	for i, ev := range n.evs {
		if ev.Time > T || !st.StatType.MainMask.Has(ev.Action) || !slices.Contains(n.reach(i), self) {
			continue
		}
		switch {
		case ev.Phase == event.PhaseStart:
			if e := n.endOf(i); e < 0 || n.evs[e].Time > T {
				cur++
				curMS += int64(T - max(ev.Time, opened))
			}
		case ev.Time < from || i < openIdx: // completed before I, or before the open
		case ev.Phase == event.PhaseEnd:
			num++
			ms += int64(ev.Time - max(n.evs[n.startOf(i)].Time, from))
		default:
			num++
			ms += int64(max(0, ev.Time-max(ev.Time-event.Time(ev.Duration), from)))
		}
	}
	return pick(st.StatType.Category, num, ms, cur, curMS)
}

func pick(c category.Category, num, ms, cur, curMS int64) float64 {
	switch c {
	case category.TotalNumber:
		return float64(num)
	case category.TotalTime:
		return float64(ms) / 1000
	case category.CurrentNumber:
		return float64(cur)
	case category.CurrentTime:
		return float64(curMS) / 1000
	}
	panic(c)
}

// dnStatus is DN dn's status after every event with time ≤ x.
func (n *naive) dnStatus(dn string, x event.Time) action.ID {
	type in struct {
		act action.ID
		ixn string
	}
	var live []in
	for i, ev := range n.evs {
		if ev.Time <= x && ev.Phase == event.PhaseStart && ev.Source.ID == dn {
			if e := n.endOf(i); e < 0 || n.evs[e].Time > x {
				live = append(live, in{ev.Action, ev.Interaction})
			}
		}
	}
	best := action.None
	for _, a := range live {
		if a.act.HasRole(action.RoleLoggedOut) {
			continue
		}
		if a.act.HasRole(action.RoleCallType) && slices.ContainsFunc(live, func(h in) bool { return h.ixn == a.ixn && h.act.HasRole(action.RoleHold) }) {
			continue
		}
		if status.TableRegularDN.Priority(a.act) > status.TableRegularDN.Priority(best) {
			best = a.act
		}
	}
	return best
}

// agentStatus is agent ag's status after every event with time ≤ x.
func (n *naive) agentStatus(ag string, x event.Time) action.ID {
	best, in := action.None, false
	for _, dn := range propRegular {
		var i int
		for i = 0; i < len(n.evs) && n.evs[i].Time <= x; i++ {
		}
		if n.loggedAt(dn, i) == ag {
			in = true
			if s := n.dnStatus(dn, x); status.TableRegularDN.Priority(s) > status.TableRegularDN.Priority(best) {
				best = s
			}
		}
	}
	if !in {
		return action.LoggedOut
	}
	return best
}

// status computes a status statistic at T over members, each a function of time.
func (n *naive) status(st *config.Statistic, opened, T event.Time) float64 {
	var members []func(event.Time) action.ID
	switch st.Object.Type {
	case object.TypeRegDN:
		members = append(members, func(x event.Time) action.ID { return n.memoized(false, st.Object.ID, x) })
	case object.TypeAgent:
		members = append(members, func(x event.Time) action.ID { return n.memoized(true, st.Object.ID, x) })
	case object.TypeGroupAgents:
		for _, ag := range []string{"1001", "1002"} {
			members = append(members, func(x event.Time) action.ID { return n.memoized(true, ag, x) })
		}
	}
	first := n.evs[0].Time
	from := max(n.lastReset(st.Profile, T), opened, first)
	// Breakpoints: every event time in (from, T), then T.
	points := []event.Time{from}
	for _, ev := range n.evs {
		if ev.Time > from && ev.Time < T && ev.Time != points[len(points)-1] {
			points = append(points, ev.Time)
		}
	}
	points = append(points, T)
	mask := &st.StatType.MainMask
	var ms, cur, curMS int64
	for _, m := range members {
		for k := 0; k+1 < len(points); k++ {
			if mask.Has(m(points[k])) {
				ms += int64(points[k+1] - points[k])
			}
		}
		if s := m(T); mask.Has(s) {
			cur++
			since := T
			for k := len(n.evs) - 1; k >= 0; k-- {
				x := n.evs[k].Time
				if x > T {
					continue
				}
				if m(x) != s {
					break
				}
				since = x
				if k > 0 && m(n.evs[k-1].Time) != s {
					break
				}
			}
			since = max(since, first)
			curMS += int64(T - max(since, opened))
		}
	}
	return pick(st.StatType.Category, 0, ms, cur, curMS)
}

func TestPropertyNaive(t *testing.T) {
	loc := paris(t)
	hourly := &config.TimeProfile{Name: "Hourly", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Period: time.Hour, Location: time.UTC}
	midnight := &config.TimeProfile{Name: "ParisDay", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Location: loc}
	// Sliding windows of 3 and 5 steps; the stream spans about 50 minutes.
	sliding30 := &config.TimeProfile{Name: "Last30m", Type: config.ProfileSliding, Window: 30 * time.Minute, Step: 10 * time.Minute}
	sliding5 := &config.TimeProfile{Name: "Last5m", Type: config.ProfileSliding, Window: 5 * time.Minute, Step: time.Minute}
	// A filter that always holds takes the extended path with the same values.
	always := &config.Filter{Name: "Always", Expr: `true || PairExists("x")`}
	actionObjects := []struct {
		typ object.Type
		id  string
	}{
		{object.TypeRegDN, "7001"}, {object.TypePlace, "P1"}, {object.TypeAgent, "1001"}, {object.TypeAgent, "1002"},
		{object.TypeGroupAgents, "Sales"}, {object.TypeGroupPlaces, "Floor1"}, {object.TypeQueue, "Support@SW1"}, {object.TypeTenant, "default"},
	}
	statusObjects := []struct {
		typ  object.Type
		id   string
		subj category.Subject
	}{
		{object.TypeRegDN, "7001", category.SubjectDNStatus}, {object.TypeAgent, "1001", category.SubjectAgentStatus}, {object.TypeGroupAgents, "Sales", category.SubjectAgentStatus},
	}
	cats := []category.Category{category.TotalNumber, category.TotalTime, category.CurrentNumber, category.CurrentTime}
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			evs := genStream(seed, 300)
			r := rand.New(rand.NewPCG(seed, 99))
			var stats []*config.Statistic
			for pi, p := range []*config.TimeProfile{hourly, midnight, sliding30, sliding5, midnight} {
				var f *config.Filter
				if pi == 4 {
					f = always
				}
				for _, c := range cats {
					for _, o := range actionObjects {
						for mi, m := range [][]action.ID{propMaskA, propMaskB} {
							s := statOf(fmt.Sprintf("%d%s/%v/%v:%s/m%d", pi, p.Name, c, o.typ, o.id, mi), c, category.SubjectDNAction, o.typ, o.id, m...)
							s.Profile, s.Filter = p, f
							stats = append(stats, s)
						}
					}
					if c == category.TotalNumber {
						continue // status instance counts depend on event order within an instant
					}
					for _, o := range statusObjects {
						s := statOf(fmt.Sprintf("%d%s/%v/%v:%s/%v", pi, p.Name, c, o.typ, o.id, o.subj), c, o.subj, o.typ, o.id, propStatusM...)
						s.Profile, s.Filter = p, f
						stats = append(stats, s)
					}
				}
			}
			// Half the statistics are opened with the engine (not clipped), half at a random
			// instant within the stream (clipped to it).
			e, err := New(&config.Config{Topology: testTopology()})
			require.NoError(t, err)
			opened := map[string]event.Time{}
			late := map[string]int{}
			for i, s := range stats {
				if i%2 == 0 {
					require.NoError(t, e.Open(s))
					opened[s.ID] = minTime
				} else {
					late[s.ID] = 1 + r.IntN(len(evs)-1)
				}
			}
			nv := &naive{evs: evs, paris: loc, reached: map[int][]string{}, memo: map[memoKey]action.ID{}}
			instants := make([]event.Time, 25)
			for i := range instants {
				instants[i] = evs[0].Time + event.Time(r.Int64N(int64(evs[len(evs)-1].Time-evs[0].Time)+60_000))
			}
			slices.Sort(instants)
			next := 0
			for _, T := range instants {
				for ; next < len(evs) && evs[next].Time <= T; next++ {
					for _, s := range stats {
						if late[s.ID] == next && opened[s.ID] == 0 {
							require.NoError(t, e.Open(s))
							opened[s.ID] = e.Now()
						}
					}
					require.NoError(t, e.Apply(evs[next]), "event %d", next)
				}
				e.Advance(T)
				for _, s := range stats {
					op, ok := opened[s.ID]
					if !ok || op == 0 {
						continue
					}
					want := 0.0
					if s.StatType.Subject == category.SubjectDNAction {
						want = nv.action(s, op, late[s.ID], T)
					} else {
						want = nv.status(s, op, T)
					}
					require.InDelta(t, want, num(t, e, s.ID), 1e-9, "%s at %v (opened %v)", s.ID, T, op)
				}
			}
		})
	}
}
