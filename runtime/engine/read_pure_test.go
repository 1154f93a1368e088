package engine_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// quarter is the period of the Growing profile readStats adds.
const quarter = 15 * time.Minute

// readStats adds to cfg statistics whose state a careless read would move: on a Growing
// profile resetting every quarter hour (common counters, the CurrentNumber curve's
// integrals, distinct time, the time-to-complete estimate, one in reset mode), on a
// Sliding one and on a Selection one, for the first agent group and the tenant.
func readStats(t testing.TB, cfg *config.Config) {
	t.Helper()
	q15 := &config.TimeProfile{Name: "rq-Q15", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Period: quarter, Location: time.UTC}
	s5 := &config.TimeProfile{Name: "rq-S5", Type: config.ProfileSliding, Window: 5 * time.Minute, Step: time.Minute}
	sel := &config.TimeProfile{Name: "rq-Sel5", Type: config.ProfileSelection, Count: 5}
	cfg.TimeProfiles = append(cfg.TimeProfiles, q15, s5, sel)
	mask := func(as ...action.ID) config.Mask {
		var m config.Mask
		for _, a := range as {
			m.Add(a)
		}
		return m
	}
	types := []*config.StatType{
		{Name: "rq-calls", Category: category.TotalNumber, Subject: category.SubjectDNAction, MainMask: mask(action.CallInbound)},
		{Name: "rq-talk", Category: category.TotalTime, Subject: category.SubjectAgentStatus, MainMask: mask(action.CallInbound, action.CallOnHold)},
		{Name: "rq-aoct", Category: category.AverageOfCurrentTime, Subject: category.SubjectDNAction, MainMask: mask(action.CallInbound)},
		{Name: "rq-maxn", Category: category.MaxNumber, Subject: category.SubjectAgentStatus, MainMask: mask(action.WaitForNextCall)},
		{Name: "rq-dist", Category: category.TotalDistinctTime, Subject: category.SubjectDNAction, MainMask: mask(action.CallInbound)},
		{Name: "rq-ttc", Category: category.EstimTimeToComplete, Subject: category.SubjectDNAction, MainMask: mask(action.CallInbound)},
	}
	cfg.StatTypes = append(cfg.StatTypes, types...)
	objs := []config.ObjectRef{
		{Type: object.TypeGroupAgents, ID: cfg.Topology.AgentGroups[0].ID},
		{Type: object.TypeTenant, ID: cfg.Topology.Tenant},
	}
	for _, o := range objs {
		for _, p := range []*config.TimeProfile{q15, s5, sel} {
			for _, st := range types {
				s := &config.Statistic{ID: fmt.Sprintf("rq.%s.%s.%s", o.ID, p.Name, st.Name), Object: o, Def: &config.Def{StatType: st, Profile: p}}
				if p == q15 && st.Category.Kind() == category.KindHistorical && st.Category != category.EstimTimeToComplete {
					s.Notification.Mode = config.NotifyReset
				}
				cfg.Statistics = append(cfg.Statistics, s)
			}
		}
	}
	cfg.Index()
}

// Reading a value changes nothing a snapshot holds: two engines fed the same events,
// ticks and Notifications calls, of which one also reads every statistic now and then,
// write the same snapshot bytes wherever compared — in particular right after a Growing
// profile crossed its reset with no event since, the reader having read the new
// interval's values.
func TestReadsLeaveSnapshotsUnchanged(t *testing.T) {
	cfg, evs := snapFixture(t, 3)
	readStats(t, cfg)
	quiet, reader := openAll(t, cfg), openAll(t, cfg)
	var qn, rn []engine.Notification
	snap := func(e *engine.Engine) []byte {
		var b bytes.Buffer
		require.NoError(t, e.Snapshot(&b))
		return b.Bytes()
	}
	q := event.Time(quarter / time.Millisecond)
	crossed := 0
	for i := range evs {
		require.NoError(t, quiet.Apply(&evs[i]))
		require.NoError(t, reader.Apply(&evs[i]))
		if i%7 == 0 {
			values(t, reader)
		}
		if i%10 == 0 {
			qn, rn = quiet.Notifications(qn[:0]), reader.Notifications(rn[:0])
			require.Equal(t, len(qn), len(rn), "event %d: notifications", i)
		}
		if i+1 == len(evs) {
			break
		}
		// A quarter-hour reset between this event and the next: cross it without an event,
		// read, and compare.
		if r := (evs[i].Time/q + 1) * q; r < evs[i+1].Time {
			quiet.Advance(r + 1)
			reader.Advance(r + 1)
			values(t, reader)
			sameBytes(t, snap(quiet), snap(reader), "event %d: after the reset at %v", i, r)
			crossed++
		} else if i%97 == 0 {
			sameBytes(t, snap(quiet), snap(reader), "event %d", i)
		}
	}
	require.Greater(t, crossed, 3, "the day crossed too few resets between events")
	require.Equal(t, values(t, quiet), values(t, reader), "final values")
	sameBytes(t, snap(quiet), snap(reader), "final snapshot")
}

// sameBytes fails the test when a and b differ, saying where (a snapshot is too long to
// print whole).
func sameBytes(t *testing.T, a, b []byte, format string, args ...any) {
	t.Helper()
	if bytes.Equal(a, b) {
		return
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	t.Fatalf("%s: snapshots differ from byte %d (lengths %d and %d): %q vs %q", fmt.Sprintf(format, args...), i, len(a), len(b),
		a[max(0, i-24):min(len(a), i+24)], b[max(0, i-24):min(len(b), i+24)])
}
