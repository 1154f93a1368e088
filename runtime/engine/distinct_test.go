package engine

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// TestTotalDistinctTimeByHand: two agents' calls overlap; the group's distinct time
// counts the overlap once.
func TestTotalDistinctTimeByHand(t *testing.T) {
	status := statOf("status", category.TotalDistinctTime, category.SubjectAgentStatus, object.TypeGroupAgents, "Sales", action.CallInbound)
	e := newEngine(t,
		statOf("sales", category.TotalDistinctTime, category.SubjectDNAction, object.TypeGroupAgents, "Sales", action.CallInbound, action.CallAnsweredRegularDNs),
		statOf("total", category.TotalTime, category.SubjectDNAction, object.TypeGroupAgents, "Sales", action.CallInbound),
		status,
	)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:00"), action.LoggedIn, "7003", "", agent("1002")),
		begin(at("09:00:00"), action.CallInbound, "7001", "a"),
		begin(at("09:05:00"), action.CallInbound, "7003", "b"),
		end(at("09:10:00"), action.CallInbound, "7001", "a"),
		end(at("09:20:00"), action.CallInbound, "7003", "b"),
	})
	assert.Equal(t, 1200.0, num(t, e, "sales"), "09:00 to 09:20")
	assert.Equal(t, 1500.0, num(t, e, "total"), "10 + 15 minutes")
	assert.Equal(t, 1200.0, num(t, e, "status"))
	applyAll(t, e, []*event.Event{
		once(at("09:30:00"), action.CallAnsweredRegularDNs, "7001", "c", 20), // [09:29:40, 09:30:00]
		once(at("09:30:10"), action.CallAnsweredRegularDNs, "7003", "d", 25), // [09:29:45, 09:30:10]
		begin(at("09:40:00"), action.CallInbound, "7001", "e"),
	})
	e.Advance(at("09:45:00"))
	assert.Equal(t, 1230.0, num(t, e, "sales"), "plus 09:29:40 to 09:30:10; the call in progress adds nothing")
	assert.Equal(t, 1500.0, num(t, e, "status"), "a status in progress adds its time so far")
	applyAll(t, e, []*event.Event{once(at("09:46:00"), action.CallAnsweredRegularDNs, "7003", "f", 600)}) // [09:36, 09:46]
	assert.Equal(t, 1830.0, num(t, e, "sales"))
}

// span is a Main instance of the random scenario: [from, to] on a DN, ms.
type span struct {
	from, to event.Time
}

// coverage is the second computation: the union of spans clipped to [lo, hi], by sweeping
// their ends in order (ms).
func coverage(spans []span, lo, hi event.Time) int64 {
	var total int64
	var cur span
	started := false
	sorted := append([]span(nil), spans...)
	for i := range sorted { // insertion sort: a different path from the engine's
		for j := i; j > 0 && sorted[j].from < sorted[j-1].from; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	for _, s := range sorted {
		s.from, s.to = max(s.from, lo), min(s.to, hi)
		if s.to <= s.from {
			continue
		}
		if started && s.from <= cur.to {
			cur.to = max(cur.to, s.to)
			continue
		}
		if started {
			total += int64(cur.to - cur.from)
		}
		cur, started = s, true
	}
	if started {
		total += int64(cur.to - cur.from)
	}
	return total
}

// TestTotalDistinctTimeRandom compares the engine with coverage over random durable and
// retrospective calls on the three DNs of places P1 and P2, under Growing (resetting at
// midnight), Sliding and Selection profiles.
func TestTotalDistinctTimeRandom(t *testing.T) {
	mask := []action.ID{action.CallInbound, action.CallAnsweredRegularDNs}
	sliding := statOf("sliding", category.TotalDistinctTime, category.SubjectDNAction, object.TypeGroupPlaces, "Floor1", mask...)
	sliding.Profile = &config.TimeProfile{Name: "Last10m", Type: config.ProfileSliding, Window: 10 * time.Minute, Step: time.Minute}
	selection := statOf("selection", category.TotalDistinctTime, category.SubjectDNAction, object.TypeGroupPlaces, "Floor1", mask...)
	selection.Profile = &config.TimeProfile{Name: "Last5", Type: config.ProfileSelection, Count: 5}
	e := newEngine(t, statOf("growing", category.TotalDistinctTime, category.SubjectDNAction, object.TypeGroupPlaces, "Floor1", mask...), sliding, selection)
	r := rand.New(rand.NewPCG(3, 5))
	var done []span // completed, in completion order
	live := map[string]event.Time{}
	now := utc("2026-11-26T23:30:00Z")
	midnight := utc("2026-11-27T00:00:00Z")
	step := int64(time.Minute / time.Millisecond)
	for i := range 600 {
		now += event.Time(r.IntN(15_000))
		dn := []string{"7001", "7002", "7003"}[r.IntN(3)]
		switch start, ok := live[dn]; {
		case ok && r.IntN(2) == 0:
			applyAll(t, e, []*event.Event{end(now, action.CallInbound, dn, "x")})
			done = append(done, span{start, now})
			delete(live, dn)
		case !ok && r.IntN(3) > 0:
			applyAll(t, e, []*event.Event{begin(now, action.CallInbound, dn, "x")})
			live[dn] = now
		default:
			d := r.IntN(120_000)
			ev := once(now, action.CallAnsweredRegularDNs, dn, "y", 0)
			ev.Duration = int64(d)
			applyAll(t, e, []*event.Event{ev})
			done = append(done, span{now - event.Time(d), now})
		}
		e.Advance(now)
		// Growing: the completions since midnight (or all before it), clipped to I.
		iStart := event.Time(0)
		if now >= midnight {
			iStart = midnight
		}
		var inI []span
		for _, s := range done {
			if s.to >= iStart {
				inI = append(inI, s)
			}
		}
		require.Equal(t, float64(coverage(inI, iStart, now))/1000, num(t, e, "growing"), "step %d", i)
		winStart := event.Time((int64(now)/step - 9) * step)
		var inW []span
		for _, s := range done {
			if s.to >= winStart {
				inW = append(inW, s)
			}
		}
		require.Equal(t, float64(coverage(inW, winStart, now))/1000, num(t, e, "sliding"), "step %d", i)
		last := done[max(0, len(done)-5):]
		require.Equal(t, float64(coverage(last, 0, now))/1000, num(t, e, "selection"), "step %d", i)
	}
	require.Greater(t, now, midnight, "the scenario crosses a reset")
}

// TestCurrentTargetState: the routing view of a group, and the JSON of its nodes; the
// CurrentState of the same group keeps its shape.
func TestCurrentTargetState(t *testing.T) {
	e := newEngine(t,
		statOf("target", category.CurrentTargetState, category.SubjectGroupStatus, object.TypeGroupAgents, "Sales"),
		statOf("state", category.CurrentState, category.SubjectGroupStatus, object.TypeGroupAgents, "Sales"),
	)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:00"), action.WaitForNextCall, "7001", ""),
	})
	v := value(t, e, "target")
	require.NotNil(t, v.State)
	assert.True(t, v.State.Available)
	assert.Equal(t, "1 of 2 available", v.State.Why)
	require.Len(t, v.State.Children, 2)
	assert.Equal(t, "ready", v.State.Children[0].Why)
	assert.Equal(t, "logged out", v.State.Children[1].Why)
	js := v.String()
	assert.True(t, strings.HasPrefix(js, `{"type":"GroupAgents","id":"Sales","status":"","since":"2026-11-26T09:00:00.000Z","reason":"","available":true,"why":"1 of 2 available","children":[`), js)
	assert.Contains(t, js, `"id":"1002","status":"LoggedOut","since":"2026-11-26T09:00:00.000Z","reason":"","available":false,"why":"logged out","children":[]`)
	assert.NotContains(t, value(t, e, "state").String(), "available", "CurrentState's JSON is unchanged")

	applyAll(t, e, []*event.Event{
		end(at("09:01:00"), action.WaitForNextCall, "7001", ""),
		begin(at("09:01:00"), action.NotReadyForNextCall, "7001", "", reason("Break")),
		begin(at("09:01:00"), action.LoggedIn, "7003", "", agent("1002")),
		begin(at("09:01:00"), action.CallInbound, "7003", "c1"),
	})
	v = value(t, e, "target")
	assert.False(t, v.State.Available)
	assert.Equal(t, "0 of 2 available", v.State.Why)
	a1, a2 := v.State.Children[0], v.State.Children[1]
	assert.Equal(t, []string{"not ready", "Break"}, []string{a1.Why, a1.Reason})
	assert.Equal(t, "busy", a2.Why)
	require.NotEmpty(t, a1.Children, "the agent's place")
	assert.Equal(t, "not ready", a1.Children[0].Why, "every node says")
	e.Notifications(nil)
	applyAll(t, e, []*event.Event{end(at("09:02:00"), action.CallInbound, "7003", "c1")})
	changed := map[string]bool{}
	for _, n := range e.Notifications(nil) {
		changed[n.Statistic] = true
	}
	assert.True(t, changed["target"], "a change of availability notifies")
	assert.Equal(t, "logged in, not ready", value(t, e, "target").State.Children[1].Why, "logged in, nothing else in progress")
}
