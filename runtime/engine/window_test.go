package engine

import (
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

var answered = []action.ID{action.CallAnsweredRegularDNs}

// last60 is a Sliding window of 60 s in steps of 10 s: at t, I = [⌊t/10s⌋·10s − 50s, t].
var last60 = &config.TimeProfile{Name: "Last60", Type: config.ProfileSliding, Window: time.Minute, Step: 10 * time.Second}

// TestSlidingBoundaries: an action completing exactly on a step boundary belongs to the
// step starting there and stays in the window for exactly W; one completing 1 ms before
// belongs to the previous step and leaves one step earlier. A durable instance's time
// leaves the window progressively, step by step.
func TestSlidingBoundaries(t *testing.T) {
	p := profile(last60)
	e := newEngine(t,
		xstat("n", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", answered, p),
		xstat("time", category.TotalTime, category.SubjectDNAction, object.TypeRegDN, "7001", inbound, p),
		xstat("inN", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", inbound, p),
		xstat("max", category.MaxTime, category.SubjectDNAction, object.TypeRegDN, "7001", answered, p),
		xstat("nr", category.TotalTime, category.SubjectDNStatus, object.TypeRegDN, "7003", notReady, p),
		xstat("peak", category.MaxNumber, category.SubjectDNAction, object.TypeRegDN, "7001", inbound, p),
	)
	evs := []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		once(at("09:00:09.999"), action.CallAnsweredRegularDNs, "7001", "a", 3),
		once(at("09:00:10"), action.CallAnsweredRegularDNs, "7001", "b", 4),
		begin(at("09:00:25"), action.CallInbound, "7001", "c1"),
		begin(at("09:00:25"), action.NotReadyForNextCall, "7003", ""),
		end(at("09:00:45"), action.CallInbound, "7001", "c1"),
	}
	cases := []struct {
		at            string
		n, time, inN  float64
		max, nr, peak float64
		why           string
	}{
		{"09:00:09.999", 1, 0, 0, 3, 0, 0, "a in step 09:00:00"},
		{"09:00:10", 2, 0, 0, 4, 0, 0, "b, exactly on the boundary, in step 09:00:10"},
		{"09:00:45", 2, 20, 1, 4, 20, 1, "c1 completed (20 s); NR in progress since 09:00:25"},
		{"09:00:59.999", 2, 20, 1, 4, 34.999, 1, "I = [09:00:00, …): everything in"},
		{"09:01:00", 1, 20, 1, 4, 35, 1, "I = [09:00:10, …): a leaves with step 09:00:00"},
		{"09:01:09.999", 1, 20, 1, 4, 44.999, 1, "b is still in"},
		{"09:01:10", 0, 20, 1, 0, 45, 1, "I = [09:00:20, …): b leaves after exactly 60 s"},
		{"09:01:20", 0, 15, 1, 0, 50, 1, "I = [09:00:30, …): c1's first 5 s left; NR counts from 09:00:30"},
		{"09:01:39.999", 0, 5, 1, 0, 59.999, 1, "I = [09:00:40, …): c1's last 5 s, and its CurrentNumber of 1, in I"},
		{"09:01:40", 0, 0, 0, 0, 50, 0, "I = [09:00:50, …), 50 s long on a step boundary: c1's step 09:00:40 left"},
	}
	for _, c := range cases {
		replayTo(t, e, evs, at(c.at))
		evs = dropApplied(evs, at(c.at))
		assert.Equal(t, c.n, num(t, e, "n"), "n at %s: %s", c.at, c.why)
		assert.Equal(t, c.time, num(t, e, "time"), "time at %s: %s", c.at, c.why)
		assert.Equal(t, c.inN, num(t, e, "inN"), "inN at %s: %s", c.at, c.why)
		assert.Equal(t, c.max, num(t, e, "max"), "max at %s: %s", c.at, c.why)
		assert.InDelta(t, c.nr, num(t, e, "nr"), 1e-9, "nr at %s: %s", c.at, c.why)
		assert.Equal(t, c.peak, num(t, e, "peak"), "peak at %s: %s", c.at, c.why)
	}
	// A long gap expires every step at once; at 10:00:05, I = [09:59:10, …) is 55 s long.
	e.Advance(at("10:00:05"))
	assert.Equal(t, 0.0, num(t, e, "time"))
	assert.Equal(t, 55.0, num(t, e, "nr"))
}

// dropApplied removes the events with time ≤ until.
func dropApplied(evs []*event.Event, until event.Time) []*event.Event {
	for len(evs) > 0 && evs[0].Time <= until {
		evs = evs[1:]
	}
	return evs
}

// TestSlidingOpenedMidWindow: a Sliding statistic opened at 09:00:35 counts from then on;
// its window start is clipped to the open.
func TestSlidingOpenedMidWindow(t *testing.T) {
	e := newEngine(t)
	evs := []*event.Event{
		once(at("09:00:30"), action.CallAnsweredRegularDNs, "7001", "a", 3),
		begin(at("09:00:31"), action.CallInbound, "7001", "c1"),
		end(at("09:00:50"), action.CallInbound, "7001", "c1"),
	}
	replayTo(t, e, evs, at("09:00:35"))
	require.NoError(t, e.Open(xstat("n", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", answered, profile(last60))))
	require.NoError(t, e.Open(xstat("time", category.TotalTime, category.SubjectDNAction, object.TypeRegDN, "7001", inbound, profile(last60))))
	require.NoError(t, e.Open(xstat("per", category.TotalNumberPerSecond, category.SubjectDNAction, object.TypeRegDN, "7001", inbound, profile(last60))))
	replayTo(t, e, evs[2:], at("09:00:55"))
	assert.Equal(t, 0.0, num(t, e, "n"))
	assert.Equal(t, 15.0, num(t, e, "time")) // 09:00:35 → 09:00:50
	assert.Equal(t, 0.05, num(t, e, "per"))  // 1 in the 20 s since the open
}

// TestSelection: the last N completed instances; fewer than N → all of them.
func TestSelection(t *testing.T) {
	last3 := profile(&config.TimeProfile{Name: "Last3", Type: config.ProfileSelection, Count: 3})
	dn := func(id string, cat category.Category, mask []action.ID, opts ...statOpt) *config.Statistic {
		return xstat(id, cat, category.SubjectDNAction, object.TypeRegDN, "7001", mask, append(opts, last3)...)
	}
	calls := []action.ID{action.CallAnsweredRegularDNs, action.CallAbandonedFromRingingRegularDNs}
	e := newEngine(t,
		dn("n", category.TotalNumber, answered),
		dn("time", category.TotalTime, answered),
		dn("avg", category.AverageTime, answered),
		dn("min", category.MinTime, answered),
		dn("max", category.MaxTime, answered),
		dn("per", category.TotalNumberPerSecond, answered),
		dn("sf1", category.ServiceFactor1, answered, within(0, 20), rel(action.CallAbandonedFromRingingRegularDNs)),
		dn("mixN", category.TotalNumber, calls),
		dn("inb", category.TotalTime, inbound),
	)
	evs := []*event.Event{
		once(at("09:00:10"), action.CallAnsweredRegularDNs, "7001", "a", 10),
		begin(at("09:00:12"), action.CallInbound, "7001", "c1"),
		once(at("09:00:20"), action.CallAnsweredRegularDNs, "7001", "b", 20),
		once(at("09:00:25"), action.CallAbandonedFromRingingRegularDNs, "7001", "x", 25),
		once(at("09:00:30"), action.CallAnsweredRegularDNs, "7001", "c", 30),
		once(at("09:00:40"), action.CallAnsweredRegularDNs, "7001", "d", 5),
	}
	// Two answered calls: fewer than 3, all count; I runs from the first event (09:00:10).
	replayTo(t, e, evs, at("09:00:20"))
	assert.Equal(t, 2.0, num(t, e, "n"))
	assert.Equal(t, 30.0, num(t, e, "time"))
	assert.Equal(t, 15.0, num(t, e, "avg"))
	assert.Equal(t, 0.2, num(t, e, "per"))   // 2 in 10 s
	assert.Equal(t, 0.0, num(t, e, "inb"))   // c1 is in progress: not an instance yet
	assert.Equal(t, 100.0, num(t, e, "sf1")) // 2 / (2 + 0)
	// Four answered: the last three are 20, 30 and 5 s; I starts at a's completion.
	replayTo(t, e, evs[3:], at("09:00:40"))
	assert.Equal(t, 3.0, num(t, e, "n"))
	assert.Equal(t, 55.0, num(t, e, "time"))
	assert.InDelta(t, 55.0/3, num(t, e, "avg"), 0.0005)
	assert.Equal(t, 5.0, num(t, e, "min"))
	assert.Equal(t, 30.0, num(t, e, "max"))
	assert.Equal(t, 0.1, num(t, e, "per")) // 3 in 30 s
	// The mixed statistic's last three are x (abandoned), c and d; SF1 over the last
	// three answered-or-abandoned: c (30 s, not ≤ 20), d (5 s), x (25 s > 20):
	// 100 × 1 / (2 + 1).
	assert.Equal(t, 3.0, num(t, e, "mixN"))
	assert.InDelta(t, 100.0/3, num(t, e, "sf1"), 1e-12)
	// c1 completes after 60 s: the whole duration counts.
	require.NoError(t, e.Apply(end(at("09:01:12"), action.CallInbound, "7001", "c1")))
	assert.Equal(t, 60.0, num(t, e, "inb"))
}

// TestSinceLogin: agent 1001's statistics cover its latest login and are 0 while it is
// logged out.
//
//	09:00:00  1001 logs in on 7001, ready
//	09:01:00  ready ends; call c1
//	09:02:00  c1 ends (60 s); ready
//	09:03:00  ready ends; 1001 logs out
//	09:04:00  an answered call (before the login, logged out); 1001 logs in; an answered
//	          call (after the login); ready
func TestSinceLogin(t *testing.T) {
	shift := profile(&config.TimeProfile{Name: "Shift", Type: config.ProfileSinceLogin})
	ag := func(id string, cat category.Category, subj category.Subject, mask []action.ID) *config.Statistic {
		return xstat(id, cat, subj, object.TypeAgent, "1001", mask, shift)
	}
	e := newEngine(t,
		ag("calls", category.TotalNumber, category.SubjectDNAction, inbound),
		ag("talk", category.TotalTime, category.SubjectDNAction, inbound),
		ag("readyN", category.TotalNumber, agentStat, ready),
		ag("readyT", category.TotalTime, agentStat, ready),
		ag("ans", category.TotalNumber, category.SubjectDNAction, []action.ID{action.CallAnsweredRegularDNs}),
		ag("readyPct", category.ElapsedTimePercentage, agentStat, ready),
		ag("readyNow", category.CurrentNumber, agentStat, ready),
	)
	evs := []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:00"), action.WaitForNextCall, "7001", ""),
		end(at("09:01:00"), action.WaitForNextCall, "7001", ""),
		begin(at("09:01:00"), action.CallInbound, "7001", "c1"),
		end(at("09:02:00"), action.CallInbound, "7001", "c1"),
		begin(at("09:02:00"), action.WaitForNextCall, "7001", ""),
		end(at("09:03:00"), action.WaitForNextCall, "7001", ""),
		end(at("09:03:00"), action.LoggedIn, "7001", ""),
		once(at("09:04:00"), action.CallAnsweredRegularDNs, "7001", "x", 1, agent("1001")),
		begin(at("09:04:00"), action.LoggedIn, "7001", "", agent("1001")),
		once(at("09:04:00"), action.CallAnsweredRegularDNs, "7001", "y", 1),
		begin(at("09:04:00"), action.WaitForNextCall, "7001", ""),
	}
	replayTo(t, e, evs, at("09:02:30"))
	assert.Equal(t, 1.0, num(t, e, "calls"))
	assert.Equal(t, 60.0, num(t, e, "talk"))
	assert.Equal(t, 1.0, num(t, e, "readyN"))
	assert.Equal(t, 90.0, num(t, e, "readyT")) // 60 s + 30 s in progress
	assert.Equal(t, 60.0, num(t, e, "readyPct"))
	replayTo(t, e, evs[6:], at("09:02:59.999"))
	assert.Equal(t, 119.999, num(t, e, "readyT"))
	// Logged out: every historical value is 0; current ones are as always.
	replayTo(t, e, evs[6:], at("09:03:00"))
	for _, id := range []string{"calls", "talk", "readyN", "readyT", "readyPct", "readyNow"} {
		assert.Equal(t, 0.0, num(t, e, id), id)
	}
	replayTo(t, e, evs[8:], at("09:04:30"))
	assert.Equal(t, 0.0, num(t, e, "calls"), "the first session is forgotten")
	assert.Equal(t, 1.0, num(t, e, "ans"), "only the call after the login")
	assert.Equal(t, 0.0, num(t, e, "readyN"))
	assert.Equal(t, 30.0, num(t, e, "readyT"))
	assert.Equal(t, 100.0, num(t, e, "readyPct"))
	assert.Equal(t, 1.0, num(t, e, "readyNow"))
	// Opened during the session: counts from the open.
	require.NoError(t, e.Open(ag("late", category.TotalTime, agentStat, ready)))
	e.Advance(at("09:04:40"))
	assert.Equal(t, 10.0, num(t, e, "late"))
}

// TestGrowingSeveralResets: resets at 06:00, 14:00 and 22:00, and resets at 08:00 and
// 12:30 each repeated every 2 hours until the end of the day.
func TestGrowingSeveralResets(t *testing.T) {
	shifts := &config.TimeProfile{Name: "Shifts", Type: config.ProfileGrowing, Resets: []time.Duration{6 * time.Hour, 14 * time.Hour, 22 * time.Hour}, Location: time.UTC}
	twoH := &config.TimeProfile{Name: "TwoHours", Type: config.ProfileGrowing, Resets: []time.Duration{8 * time.Hour, 12*time.Hour + 30*time.Minute}, Period: 2 * time.Hour, Location: time.UTC}
	cases := []struct {
		p          *config.TimeProfile
		t          string
		start, end string
	}{
		{shifts, "2026-11-26T13:59:59Z", "2026-11-26T06:00:00Z", "2026-11-26T14:00:00Z"},
		{shifts, "2026-11-26T14:00:00Z", "2026-11-26T14:00:00Z", "2026-11-26T22:00:00Z"},
		{shifts, "2026-11-26T23:00:00Z", "2026-11-26T22:00:00Z", "2026-11-27T06:00:00Z"},
		{shifts, "2026-11-26T05:00:00Z", "2026-11-25T22:00:00Z", "2026-11-26T06:00:00Z"},
		// 08:00, 10:00, …, 22:00 and 12:30, 14:30, …, 22:30.
		{twoH, "2026-11-26T12:00:00Z", "2026-11-26T12:00:00Z", "2026-11-26T12:30:00Z"},
		{twoH, "2026-11-26T12:45:00Z", "2026-11-26T12:30:00Z", "2026-11-26T14:00:00Z"},
		{twoH, "2026-11-26T23:00:00Z", "2026-11-26T22:30:00Z", "2026-11-27T08:00:00Z"},
		{twoH, "2026-11-27T07:59:59Z", "2026-11-26T22:30:00Z", "2026-11-27T08:00:00Z"},
	}
	for _, c := range cases {
		s, en := newGrowing(c.p).bounds(utc(c.t))
		assert.Equal(t, utc(c.start).String(), s.String(), "%s at %s: start", c.p.Name, c.t)
		assert.Equal(t, utc(c.end).String(), en.String(), "%s at %s: end", c.p.Name, c.t)
	}
	// In the engine: an answered call on each side of the 14:00 reset.
	e := newEngine(t, profStat("n", category.TotalNumber, shifts, action.CallAnsweredRegularDNs))
	applyAll(t, e, []*event.Event{
		once(at("13:59:59.999"), action.CallAnsweredRegularDNs, "7001", "a", 1),
		once(at("14:00:00"), action.CallAnsweredRegularDNs, "7001", "b", 1),
	})
	assert.Equal(t, 1.0, num(t, e, "n"))
}
