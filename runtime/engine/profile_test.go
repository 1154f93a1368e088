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

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	return loc
}

// TestGrowingBounds: reset instants of Growing profiles, worked out by hand.
func TestGrowingBounds(t *testing.T) {
	loc := paris(t)
	midnight := newGrowing(&config.TimeProfile{Type: config.ProfileGrowing, Resets: []time.Duration{0}, Location: loc})
	at0230 := newGrowing(&config.TimeProfile{Type: config.ProfileGrowing, Resets: []time.Duration{2*time.Hour + 30*time.Minute}, Location: loc})
	quarter := newGrowing(&config.TimeProfile{Type: config.ProfileGrowing, Resets: []time.Duration{8 * time.Hour}, Period: 15 * time.Minute, Location: time.UTC})
	never := newGrowing(&config.TimeProfile{Type: config.ProfileGrowing})
	cases := []struct {
		name       string
		w          *growing
		t          string
		start, end string
	}{
		// Paris is UTC+1 in November: local midnight is 23:00Z the day before.
		{"Paris midnight, winter", midnight, "2026-11-26T22:30:00Z", "2026-11-25T23:00:00Z", "2026-11-26T23:00:00Z"},
		{"Paris midnight, just after", midnight, "2026-11-26T23:00:00Z", "2026-11-26T23:00:00Z", "2026-11-27T23:00:00Z"},
		// Summer (UTC+2): midnight is 22:00Z. The spring-forward day lasts 23 h.
		{"Paris midnight over the spring change", midnight, "2026-03-29T12:00:00Z", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"},
		// The autumn day lasts 25 h.
		{"Paris midnight over the autumn change", midnight, "2026-10-25T12:00:00Z", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"},
		// 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z), so 02:30 does not exist: the
		// reset happens at the jump. The day before, 02:30 CET = 01:30Z; the day after,
		// 02:30 CEST = 00:30Z.
		{"02:30 skipped by the spring change", at0230, "2026-03-29T00:59:59Z", "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z"},
		{"02:30 skipped, after the jump", at0230, "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"},
		// 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00Z), so 02:30 happens at 00:30Z
		// (CEST) and again at 01:30Z (CET): the reset is the first one, once.
		{"02:30 twice on the autumn change: first one", at0230, "2026-10-25T00:29:59Z", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z"},
		{"02:30 twice: no second reset", at0230, "2026-10-25T01:45:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
		{"every 15 min from 08:00", quarter, "2026-11-26T10:20:00Z", "2026-11-26T10:15:00Z", "2026-11-26T10:30:00Z"},
		{"every 15 min from 08:00, before 08:00: last of the day before", quarter, "2026-11-26T07:00:00Z", "2026-11-25T23:45:00Z", "2026-11-26T08:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, e := c.w.bounds(utc(c.t))
			assert.Equal(t, utc(c.start).String(), s.String(), "start")
			assert.Equal(t, utc(c.end).String(), e.String(), "end")
		})
	}
	s, e := never.bounds(utc("2026-11-26T10:20:00Z"))
	assert.Equal(t, minTime, s)
	assert.Equal(t, maxTime, e)
}

// profStat is a statistic on DN 7001 with profile p.
func profStat(id string, cat category.Category, p *config.TimeProfile, mask ...action.ID) *config.Statistic {
	s := statOf(id, cat, category.SubjectDNAction, object.TypeRegDN, "7001", mask...)
	s.Profile = p
	return s
}

// TestGrowingResetAcrossMidnightParis: a call from 23:30 to 00:30 Paris time (22:30Z to
// 23:30Z on 2026-11-26); an answered call at 23:50 Paris (22:50Z, 60 s).
//
// Paris profile, at 23:30Z (00:30 local on the 27th): the interval began at 23:00Z, so
// only the call counts: TotalNumber 1, TotalTime 30 min (overlap), MaxTime 60 min (full).
// UTC profile: everything is on the 26th: TotalNumber 2, TotalTime 3600 + 60.
func TestGrowingResetAcrossMidnightParis(t *testing.T) {
	loc := paris(t)
	pp := &config.TimeProfile{Name: "Paris", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Location: loc}
	mask := []action.ID{action.CallInbound, action.CallAnsweredRegularDNs}
	e := newEngine(t,
		profStat("n", category.TotalNumber, pp, mask...),
		profStat("time", category.TotalTime, pp, mask...),
		profStat("max", category.MaxTime, pp, mask...),
		profStat("adj", category.TotalAdjustedTime, pp, mask...),
		profStat("nUTC", category.TotalNumber, nil, mask...),
		profStat("timeUTC", category.TotalTime, nil, mask...),
	)
	evs := []*event.Event{
		begin(utc("2026-11-26T22:30:00Z"), action.CallInbound, "7001", "c1"),
		once(utc("2026-11-26T22:50:00Z"), action.CallAnsweredRegularDNs, "7001", "c2", 60),
		end(utc("2026-11-26T23:30:00Z"), action.CallInbound, "7001", "c1"),
	}
	replayTo(t, e, evs, utc("2026-11-26T22:59:00Z"))
	assert.Equal(t, 1.0, num(t, e, "n"))
	assert.Equal(t, 60.0, num(t, e, "time"))
	assert.Equal(t, 60.0+29*60, num(t, e, "adj")) // + the call in progress since 22:30Z
	// At local midnight the counters reset; the call in progress is adjusted from 23:00Z.
	e.Advance(utc("2026-11-26T23:10:00Z"))
	assert.Equal(t, 0.0, num(t, e, "n"))
	assert.Equal(t, 600.0, num(t, e, "adj"))
	replayTo(t, e, evs[2:], utc("2026-11-26T23:30:00Z"))
	assert.Equal(t, 1.0, num(t, e, "n"))
	assert.Equal(t, 1800.0, num(t, e, "time"))
	assert.Equal(t, 3600.0, num(t, e, "max"))
	assert.Equal(t, 2.0, num(t, e, "nUTC"))
	assert.Equal(t, 3660.0, num(t, e, "timeUTC"))
	// The UTC profile resets at 00:00Z.
	e.Advance(utc("2026-11-27T00:00:00Z"))
	assert.Equal(t, 0.0, num(t, e, "nUTC"))
	assert.Equal(t, 1.0, num(t, e, "n"))
}

// TestGrowingResetAcrossDST: a profile resetting at 02:30 Paris time on both 2026 changes
// (see TestGrowingBounds for the instants). Answered calls of 10 s.
func TestGrowingResetAcrossDST(t *testing.T) {
	loc := paris(t)
	p := &config.TimeProfile{Name: "Night", Type: config.ProfileGrowing, Resets: []time.Duration{2*time.Hour + 30*time.Minute}, Location: loc}
	answered := action.CallAnsweredRegularDNs
	t.Run("spring: the skipped 02:30 resets at the jump (01:00Z)", func(t *testing.T) {
		e := newEngine(t, profStat("n", category.TotalNumber, p, answered), profStat("time", category.TotalTime, p, answered))
		evs := []*event.Event{
			once(utc("2026-03-29T00:30:00Z"), answered, "7001", "c1", 10),
			once(utc("2026-03-29T01:00:00Z"), answered, "7001", "c2", 10), // exactly at the reset
			once(utc("2026-03-29T01:20:00Z"), answered, "7001", "c3", 10),
		}
		replayTo(t, e, evs, utc("2026-03-29T00:59:59Z"))
		assert.Equal(t, 1.0, num(t, e, "n"))
		assert.Equal(t, 10.0, num(t, e, "time"))
		replayTo(t, e, evs[1:], utc("2026-03-29T01:00:00Z"))
		// c2 completes in the new interval; its 10 s lie before it: overlap 0.
		assert.Equal(t, 1.0, num(t, e, "n"))
		assert.Equal(t, 0.0, num(t, e, "time"))
		replayTo(t, e, evs[2:], utc("2026-03-29T01:20:00Z"))
		assert.Equal(t, 2.0, num(t, e, "n"))
		assert.Equal(t, 10.0, num(t, e, "time"))
	})
	t.Run("autumn: 02:30 happens twice, the reset once at the first (00:30Z)", func(t *testing.T) {
		e := newEngine(t, profStat("n", category.TotalNumber, p, answered, action.CallInbound), profStat("time", category.TotalTime, p, action.CallInbound))
		evs := []*event.Event{
			begin(utc("2026-10-25T00:00:00Z"), action.CallInbound, "7001", "c0"),
			once(utc("2026-10-25T00:20:00Z"), answered, "7001", "c1", 10),
			once(utc("2026-10-25T00:40:00Z"), answered, "7001", "c2", 10),
			end(utc("2026-10-25T01:00:00Z"), action.CallInbound, "7001", "c0"),
			once(utc("2026-10-25T01:40:00Z"), answered, "7001", "c3", 10),
		}
		replayTo(t, e, evs, utc("2026-10-25T00:25:00Z"))
		assert.Equal(t, 1.0, num(t, e, "n"))
		replayTo(t, e, evs[2:], utc("2026-10-25T01:00:00Z"))
		assert.Equal(t, 2.0, num(t, e, "n"))       // c2 and c0
		assert.Equal(t, 1800.0, num(t, e, "time")) // c0 from the 00:30Z reset
		replayTo(t, e, evs[4:], utc("2026-10-25T01:40:00Z"))
		assert.Equal(t, 3.0, num(t, e, "n")) // no reset at the second 02:30 (01:30Z)
	})
}

// TestGrowingPeriod: every hour from midnight UTC.
func TestGrowingPeriod(t *testing.T) {
	p := &config.TimeProfile{Name: "Hourly", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Period: time.Hour, Location: time.UTC}
	e := newEngine(t, profStat("n", category.TotalNumber, p, action.CallAnsweredRegularDNs))
	applyAll(t, e, []*event.Event{
		once(at("09:50:00"), action.CallAnsweredRegularDNs, "7001", "c1", 1),
		once(at("10:10:00"), action.CallAnsweredRegularDNs, "7001", "c2", 1),
		once(at("10:20:00"), action.CallAnsweredRegularDNs, "7001", "c3", 1),
	})
	assert.Equal(t, 2.0, num(t, e, "n"))
	e.Advance(at("11:00:00"))
	assert.Equal(t, 0.0, num(t, e, "n"))
}

// TestStatusAcrossReset: an in-progress status is split at the reset.
func TestStatusAcrossReset(t *testing.T) {
	s := statOf("nr", category.TotalTime, category.SubjectAgentStatus, object.TypeAgent, "1001", action.NotReadyForNextCall)
	n := statOf("nrN", category.TotalNumber, category.SubjectAgentStatus, object.TypeAgent, "1001", action.NotReadyForNextCall)
	e := newEngine(t, s, n)
	applyAll(t, e, []*event.Event{
		begin(utc("2026-11-26T23:00:00Z"), action.LoggedIn, "7001", "", agent("1001")),
		begin(utc("2026-11-26T23:30:00Z"), action.NotReadyForNextCall, "7001", ""),
	})
	e.Advance(utc("2026-11-27T00:10:00Z"))
	assert.Equal(t, 600.0, num(t, e, "nr"))
	require.NoError(t, e.Apply(end(utc("2026-11-27T00:20:00Z"), action.NotReadyForNextCall, "7001", "")))
	assert.Equal(t, 1200.0, num(t, e, "nr"))
	assert.Equal(t, 1.0, num(t, e, "nrN"))
}
