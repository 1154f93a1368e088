package engine

import (
	"bytes"
	"fmt"
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

// unset removes data keys in an update.
func unset(keys ...string) evOpt {
	return func(e *event.Event) { e.Unset = append(e.Unset, keys...) }
}

// pairs builds data from keys and values k1, v1, k2, v2, ….
func pairs(kv ...string) event.Data {
	d := event.Data{}
	for i := 0; i+1 < len(kv); i += 2 {
		d = append(d, event.Pair{Key: kv[i], Value: kv[i+1]})
	}
	return d
}

// goldFilter is the filter of the update tests.
const goldFilter = `data["Seg"] == "Gold"`

// updateScenario: calls waiting at queue Support@SW1 whose segment changes while they
// wait. The filter goldFilter holds over these periods (seconds after 09:00):
//
//	w1  00 Silver, 10 Gold, 25 Seg removed, 40 Gold, ends 60     held [10,25) [40,60): 35 s
//	w2  05 Gold, ends 20 (never updated)                          held [5,20): 15 s
//	w3  30 Silver, 35 Bronze, ends 50                             never held
//	w4  50 Gold, 65 Silver, ends 120                              held [50,65): 15 s
//	w5  70 Gold, 80 Silver, ends 100                              held [70,80): 10 s
//
// The number of calls in progress for which goldFilter holds goes 0→1 at 05, 2 at 10, 1 at 20,
// 0 at 25, 1 at 40, 2 at 50, 1 at 60, 0 at 65, 1 at 70, 0 at 80.
func updateScenario() []*event.Event {
	q, w := "Support@SW1", action.CallWait
	sec := func(s int) event.Time { return at("09:00:00") + event.Time(s*1000) }
	return []*event.Event{
		begin(sec(0), w, q, "w1", data("Seg", "Silver", "Lang", "en")),
		begin(sec(5), w, q, "w2", data("Seg", "Gold")),
		update(sec(10), w, q, "w1", data("Seg", "Gold")),
		end(sec(20), w, q, "w2"),
		update(sec(25), w, q, "w1", unset("Seg")),
		begin(sec(30), w, q, "w3", data("Seg", "Silver")),
		update(sec(35), w, q, "w3", data("Seg", "Bronze")),
		update(sec(40), w, q, "w1", data("Seg", "Gold")),
		end(sec(50), w, q, "w3"),
		begin(sec(50), w, q, "w4", data("Seg", "Gold")),
		end(sec(60), w, q, "w1"),
		update(sec(65), w, q, "w4", data("Seg", "Silver")),
		begin(sec(70), w, q, "w5", data("Seg", "Gold")),
		update(sec(80), w, q, "w5", data("Seg", "Silver")),
		end(sec(100), w, q, "w5"),
		end(sec(120), w, q, "w4"),
	}
}

// updateStats are statistics on the queue's waits with the goldFilter filter, under the default
// (Growing, midnight) profile unless the id says otherwise.
func updateStats() []*config.Statistic {
	wait := []action.ID{action.CallWait}
	sliding := &config.TimeProfile{Name: "Last30s", Type: config.ProfileSliding, Window: 30 * time.Second, Step: 10 * time.Second}
	last2 := &config.TimeProfile{Name: "Last2", Type: config.ProfileSelection, Count: 2}
	q := func(id string, c category.Category, opts ...statOpt) *config.Statistic {
		return xstat(id, c, category.SubjectDNAction, object.TypeQueue, "Support@SW1", wait, append(opts, filter(goldFilter))...)
	}
	return []*config.Statistic{
		q("n", category.TotalNumber), q("t", category.TotalTime), q("avg", category.AverageTime),
		q("max", category.MaxTime), q("min", category.MinTime),
		q("in0-20", category.TotalNumberInTimeRange, within(0, 20)),
		q("in30-40", category.TotalNumberInTimeRange, within(30, 40)),
		q("tin30-40", category.TotalTimeInTimeRange, within(30, 40)),
		q("adjn", category.TotalAdjustedNumber), q("adjt", category.TotalAdjustedTime),
		q("cur", category.CurrentNumber), q("curt", category.CurrentTime),
		q("curmax", category.CurrentMaxTime), q("curmin", category.CurrentMinTime),
		q("run", category.CurrentContinuousTime),
		q("dist", category.TotalDistinctTime),
		q("curin0-10", category.CurrentNumberInTimeRange, within(0, 10)),
		q("sl.n", category.TotalNumber, profile(sliding)), q("sl.t", category.TotalTime, profile(sliding)),
		q("sl.max", category.MaxTime, profile(sliding)),
		q("sel.n", category.TotalNumber, profile(last2)), q("sel.t", category.TotalTime, profile(last2)),
		q("sel.max", category.MaxTime, profile(last2)), q("sel.min", category.MinTime, profile(last2)),
		// Unfiltered, the same waits count whole: updates change nothing.
		xstat("all.t", category.TotalTime, category.SubjectDNAction, object.TypeQueue, "Support@SW1", wait),
		xstat("all.cur", category.CurrentNumber, category.SubjectDNAction, object.TypeQueue, "Support@SW1", wait),
	}
}

// updateWant are the values of updateStats, derived by hand from updateScenario's held
// periods, at seconds after 09:00.
var updateWant = []struct {
	sec  float64
	want map[string]float64
}{
	{15, map[string]float64{"cur": 2, "curt": 5 + 10, "curmax": 10, "curmin": 5, "run": 10, "n": 0, "adjn": 2, "adjt": 15,
		"curin0-10": 2, "all.cur": 2}},
	// w1 stopped holding at 25: out of the current values, but counted so far (adjusted).
	{30, map[string]float64{"cur": 0, "curt": 0, "run": 0, "n": 1, "t": 15, "max": 15, "adjn": 2, "adjt": 15 + 15,
		"sel.n": 1, "sel.t": 15, "sel.max": 15, "all.cur": 2}},
	// w1 holds again since 40: its time so far is 15 + 5.
	{45, map[string]float64{"cur": 1, "curt": 20, "curmax": 20, "run": 5, "n": 1, "t": 15, "curin0-10": 0}},
	// w3 ended at 50 without ever holding: not counted. w1 has held 30 s, w4 5 s.
	{55, map[string]float64{"cur": 2, "curt": 35, "curmax": 30, "curmin": 5, "run": 15, "n": 1, "curin0-10": 1}},
	// Sliding 30 s in 10 s steps at 59.999: I = [30, 59.999], w2 (step 20) out.
	{59.999, map[string]float64{"sl.n": 0, "sl.t": 0, "sl.max": 0}},
	// w1 completed at 60: counted once, 35 s (not its 60 s span); I = [40, 62] for
	// Sliding holds its [40, 60).
	{62, map[string]float64{"cur": 1, "curt": 12, "run": 22, "n": 2, "t": 50, "avg": 25, "max": 35, "min": 15,
		"in0-20": 1, "in30-40": 1, "tin30-40": 35, "sl.n": 1, "sl.t": 20, "sl.max": 35, "all.t": 15 + 60 + 20,
		"dist": 20 + 20}}, // [5, 25) ∪ [40, 60)
	// I = [50, 70]: w1's [40, 50) left the Sliding window with its step.
	{70, map[string]float64{"cur": 1, "run": 0, "sl.n": 1, "sl.t": 10, "sl.max": 35}},
	{72, map[string]float64{"cur": 1, "curt": 2, "run": 2}},
	// w4 and w5 in progress, not holding: counted so far (15 + 10 s).
	{90, map[string]float64{"cur": 0, "curt": 0, "n": 2, "t": 50, "adjn": 4, "adjt": 50 + 15 + 10,
		"sel.n": 2, "sel.t": 50, "sel.max": 35, "sel.min": 15, "all.cur": 2}},
	// w5 completed at 100 (10 s): Selection keeps w1 and w5; Sliding I = [80, 105] has w5
	// with none of its held time.
	{105, map[string]float64{"n": 3, "t": 60, "min": 10, "sel.n": 2, "sel.t": 45, "sel.max": 35, "sel.min": 10,
		"sl.n": 1, "sl.t": 0, "sl.max": 10, "dist": 20 + 20 + 10}},
	{125, map[string]float64{"n": 4, "t": 75, "avg": 18.75, "max": 35, "min": 10, "in0-20": 3, "in30-40": 1,
		"tin30-40": 35, "adjn": 4, "adjt": 75, "sel.n": 2, "sel.t": 25, "sel.max": 15, "sel.min": 10,
		"all.t": 15 + 60 + 20 + 30 + 70, "all.cur": 0,
		"dist": 20 + 25 + 10}}, // w4's [50, 65) joins [40, 60), before w5's [70, 80)
}

// TestUpdateFilters: a filter that becomes true mid-call, false again and true again
// counts the call once, with the time it held (historical), and includes it while it holds
// (current), under Growing, Sliding and Selection profiles; unfiltered statistics ignore
// updates.
func TestUpdateFilters(t *testing.T) {
	e := newEngine(t, updateStats()...)
	evs := updateScenario()
	for _, c := range updateWant {
		T := at("09:00:00") + event.Time(c.sec*1000)
		replayTo(t, e, dropApplied(evs, e.Now()), T)
		for id, want := range c.want {
			assert.InDelta(t, want, num(t, e, id), 1e-9, "%s at +%vs", id, c.sec)
		}
	}
}

// TestUpdateOpenedMidCall: a statistic opened during a call sees the held periods from its
// open: opened at 09:00:26 (w1 not holding, it holds again at 40) it counts w1 with 20 s;
// opened at 09:01:06 (w4 stopped holding at 65 for good) it does not count w4, but counts
// w5 (10 s).
func TestUpdateOpenedMidCall(t *testing.T) {
	e := newEngine(t)
	evs := updateScenario()
	wait := []action.ID{action.CallWait}
	mk := func(id string, c category.Category) *config.Statistic {
		return xstat(id, c, category.SubjectDNAction, object.TypeQueue, "Support@SW1", wait, filter(goldFilter))
	}
	replayTo(t, e, evs, at("09:00:26"))
	require.NoError(t, e.Open(mk("n26", category.TotalNumber)))
	require.NoError(t, e.Open(mk("t26", category.TotalTime)))
	require.NoError(t, e.Open(mk("c26", category.CurrentTime)))
	replayTo(t, e, dropApplied(evs, e.Now()), at("09:00:45"))
	assert.Equal(t, 5.0, num(t, e, "c26"), "w1's time since the open: [40, 45)")
	replayTo(t, e, dropApplied(evs, e.Now()), at("09:01:06"))
	assert.Equal(t, 1.0, num(t, e, "n26"))
	assert.Equal(t, 20.0, num(t, e, "t26"))
	require.NoError(t, e.Open(mk("n66", category.TotalNumber)))
	require.NoError(t, e.Open(mk("t66", category.TotalTime)))
	require.NoError(t, e.Open(mk("a66", category.TotalAdjustedNumber)))
	assert.Equal(t, 0.0, num(t, e, "a66"), "w4 does not hold at the open")
	replayTo(t, e, dropApplied(evs, e.Now()), at("09:02:05"))
	assert.Equal(t, 1.0, num(t, e, "n66"))
	assert.Equal(t, 10.0, num(t, e, "t66"))
	assert.Equal(t, 3.0, num(t, e, "n26"), "w1, w5 and w4 ([50, 65) after the open)")
	assert.Equal(t, 20.0+10+15, num(t, e, "t26"))
}

// TestUpdateStatusFilters: the reason of a not-ready status changes during it (Lunch at
// 09:00:10, Break at 20, Lunch at 50, Break at 70, end at 90); a status statistic filtered
// on Break counts the status once with the 30 + 20 s it held, for the agent, its DN, its
// place and its group, and includes it while it holds.
func TestUpdateStatusFilters(t *testing.T) {
	brk := filter(`PairExists("ReasonCode", "Break")`)
	nr := []action.ID{action.NotReadyForNextCall}
	e := newEngine(t,
		xstat("ag.t", category.TotalTime, agentStat, object.TypeAgent, "1001", nr, brk),
		xstat("ag.n", category.TotalNumber, agentStat, object.TypeAgent, "1001", nr, brk),
		xstat("ag.cur", category.CurrentNumber, agentStat, object.TypeAgent, "1001", nr, brk),
		xstat("ag.curt", category.CurrentTime, agentStat, object.TypeAgent, "1001", nr, brk),
		xstat("ag.max", category.MaxTime, agentStat, object.TypeAgent, "1001", nr, brk),
		xstat("dn.t", category.TotalTime, dnStat, object.TypeRegDN, "7001", nr, brk),
		xstat("agdn.t", category.TotalTime, dnStat, object.TypeAgent, "1001", nr, brk),
		xstat("pl.t", category.TotalTime, placeStat, object.TypePlace, "P1", nr, brk),
		xstat("grp.t", category.TotalTime, agentStat, object.TypeGroupAgents, "Sales", nr, brk),
		xstat("meeting", category.TotalNumber, agentStat, object.TypeAgent, "1001", nr, filter(`PairExists("ReasonCode", "Meeting")`)),
		xstat("nrall", category.TotalTime, agentStat, object.TypeAgent, "1001", nr),
	)
	sec := func(s int) event.Time { return at("09:00:00") + event.Time(s*1000) }
	evs := []*event.Event{
		begin(sec(0), action.LoggedIn, "7001", "", agent("1001")),
		begin(sec(10), action.NotReadyForNextCall, "7001", "", reason("Lunch")),
		update(sec(20), action.NotReadyForNextCall, "7001", "", reason("Break")),
		update(sec(50), action.NotReadyForNextCall, "7001", "", reason("Lunch")),
		update(sec(70), action.NotReadyForNextCall, "7001", "", reason("Break")),
		end(sec(90), action.NotReadyForNextCall, "7001", ""),
	}
	for _, c := range []struct {
		sec       int
		t, n, cur float64
		curt      float64
	}{
		{15, 0, 0, 0, 0},
		{30, 10, 0, 1, 10},
		{60, 30, 0, 0, 0},
		{80, 40, 0, 1, 40},
		{95, 50, 1, 0, 0},
	} {
		replayTo(t, e, dropApplied(evs, e.Now()), sec(c.sec))
		for _, id := range []string{"ag.t", "dn.t", "agdn.t", "pl.t", "grp.t"} {
			assert.Equal(t, c.t, num(t, e, id), "%s at +%ds", id, c.sec)
		}
		assert.Equal(t, c.n, num(t, e, "ag.n"), "at +%ds", c.sec)
		assert.Equal(t, c.cur, num(t, e, "ag.cur"), "at +%ds", c.sec)
		assert.Equal(t, c.curt, num(t, e, "ag.curt"), "at +%ds", c.sec)
		assert.Equal(t, 0.0, num(t, e, "meeting"))
		assert.Equal(t, float64(min(max(c.sec-10, 0), 80)), num(t, e, "nrall"), "unfiltered at +%ds", c.sec)
	}
	assert.Equal(t, 50.0, num(t, e, "ag.max"))
}

// TestUpdateFormulas: custom values read the data as of when they are evaluated: a
// current one when read, a historical one when the instance completes.
func TestUpdateFormulas(t *testing.T) {
	wait := []action.ID{action.CallWait}
	q := func(id string, c category.Category, opts ...statOpt) *config.Statistic {
		return xstat(id, c, category.SubjectDNAction, object.TypeQueue, "Support@SW1", wait, append(opts, formula(`data["Amount"]`))...)
	}
	e := newEngine(t, q("cur", category.CurrentCustomValue), q("tot", category.TotalCustomValue),
		q("gcur", category.CurrentCustomValue, filter(goldFilter)), q("gtot", category.TotalCustomValue, filter(goldFilter)))
	e.Notifications(nil)
	qn, w := "Support@SW1", action.CallWait
	applyAll(t, e, []*event.Event{begin(at("09:00:00"), w, qn, "w1", data("Amount", "10"))})
	e.Changed(nil)
	assert.Equal(t, 10.0, num(t, e, "cur"))
	assert.Equal(t, 0.0, num(t, e, "gcur"))
	applyAll(t, e, []*event.Event{update(at("09:00:10"), w, qn, "w1", data("Amount", "25"))})
	assert.Equal(t, []string{"cur"}, e.Changed(nil), "the current custom value changed")
	assert.Equal(t, 25.0, num(t, e, "cur"))
	applyAll(t, e, []*event.Event{update(at("09:00:20"), w, qn, "w1", data("Seg", "Gold", "Amount", "40"))})
	assert.Equal(t, []string{"cur", "gcur"}, e.Changed(nil))
	assert.Equal(t, 40.0, num(t, e, "gcur"))
	applyAll(t, e, []*event.Event{
		update(at("09:00:30"), w, qn, "w1", unset("Seg"), data("Amount", "7")),
		end(at("09:00:40"), w, qn, "w1"),
	})
	assert.Equal(t, 7.0, num(t, e, "tot"), "the data at the end")
	assert.Equal(t, 7.0, num(t, e, "gtot"), "counted (goldFilter held), on the data at the end")
	assert.Equal(t, 0.0, num(t, e, "cur"))
}

// TestUpdateReasons: CurrentStateReasons shows an updated reason code, and a changes-mode
// CurrentState notifies it.
func TestUpdateReasons(t *testing.T) {
	e := newEngine(t, xstat("st", category.CurrentStateReasons, agentStat, object.TypeAgent, "1001", nil))
	var got []string
	drain := func() {
		for _, n := range e.Notifications(nil) {
			got = append(got, n.Value.State.Reason)
		}
	}
	drain()
	for _, ev := range []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:10"), action.NotReadyForNextCall, "7001", "", reason("Lunch")),
		update(at("09:00:20"), action.NotReadyForNextCall, "7001", "", reason("Break")),
		update(at("09:00:30"), action.NotReadyForNextCall, "7001", "", reason("Break")), // no change
	} {
		require.NoError(t, e.Apply(ev))
		drain()
	}
	assert.Equal(t, []string{"", "Lunch", "Break"}, got)
	v, err := e.Value("st")
	require.NoError(t, err)
	assert.Equal(t, "Break", v.State.Reasons[0].Reason)
}

// TestUpdateRejected: an update with no instance in progress for its key is refused with
// the key in the reason and changes nothing; so is one on an unknown source.
func TestUpdateRejected(t *testing.T) {
	checkRejected(t, update(at("09:00:20"), action.CallInbound, "7001", "c9", data("a", "b")), CodeUpdateWithoutStart)
	checkRejected(t, update(at("09:00:20"), action.CallOnHold, "7001", "c1", data("a", "b")), CodeUpdateWithoutStart)
	checkRejected(t, update(at("09:00:20"), action.CallInbound, "7999", "c1", data("a", "b")), CodeUnknownObject)
	checkRejected(t, update(at("09:00:05"), action.CallInbound, "7001", "c1", data("a", "b")), CodeLateEvent)

	e := newEngine(t)
	login := action.AgentLoginMediationDNs
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), login, "Support@SW1", "", agent("1001")),
		begin(at("09:00:01"), action.CallInbound, "7001", "c1"),
		end(at("09:00:02"), action.CallInbound, "7001", "c1"),
	})
	err := e.Apply(update(at("09:00:03"), action.CallInbound, "7001", "c1", data("a", "b")))
	assert.Equal(t, CodeUpdateWithoutStart, CodeOf(err))
	assert.EqualError(t, err, `update_without_start: CallInbound is not in progress on regular_dn "7001" (interaction "c1"): nothing to update`)
	// On a queue, the agent is part of the key.
	err = e.Apply(update(at("09:00:03"), login, "Support@SW1", "", agent("1002"), data("a", "b")))
	assert.EqualError(t, err, `update_without_start: AgentLogin (Mediation DNs) is not in progress on mediation_dn "Support@SW1" (agent "1002"): nothing to update`)
	require.NoError(t, e.Apply(update(at("09:00:03"), login, "Support@SW1", "", agent("1001"), data("a", "b"))))
	assert.Contains(t, Codes(), CodeUpdateWithoutStart)
}

// TestMergeData: an update's keys replace theirs in place (all occurrences of a repeated
// key, the first keeping its place), new keys follow in order, removed keys go, a key set
// and removed is set; nothing changed gives back the same Data; the input is not modified.
func TestMergeData(t *testing.T) {
	d := pairs("a", "1", "b", "2", "c", "3")
	for _, c := range []struct {
		name  string
		set   event.Data
		unset []string
		want  event.Data
	}{
		{"replace", pairs("b", "9"), nil, pairs("a", "1", "b", "9", "c", "3")},
		{"append", pairs("z", "0", "y", "1"), nil, pairs("a", "1", "b", "2", "c", "3", "z", "0", "y", "1")},
		{"remove", nil, []string{"a", "c", "q"}, pairs("b", "2")},
		{"all", pairs("c", "x", "n", "y"), []string{"b", "c"}, pairs("a", "1", "c", "x", "n", "y")},
	} {
		got, changed := mergeData(d, c.set, c.unset)
		assert.True(t, changed, c.name)
		assert.Equal(t, c.want, got, c.name)
	}
	assert.Equal(t, pairs("a", "1", "b", "2", "c", "3"), d, "input unchanged")
	same, changed := mergeData(d, pairs("b", "2"), []string{"q"})
	assert.False(t, changed)
	assert.Same(t, &d[0], &same[0])
	rep := pairs("k", "1", "x", "2", "k", "3")
	got, changed := mergeData(rep, pairs("k", "1"), nil)
	assert.True(t, changed, "a repeated key collapses")
	assert.Equal(t, pairs("k", "1", "x", "2"), got)
	got, _ = mergeData(nil, pairs("k", "1"), nil)
	assert.Equal(t, pairs("k", "1"), got)
	got, changed = mergeData(d, nil, []string{"a", "b", "c"})
	assert.True(t, changed)
	assert.Empty(t, got)
}

// TestUpdateSnapshots: an engine snapshotted and restored after any event of the update
// scenarios (with instances and statuses holding, not holding, and changed) gives the
// same values and notifications as one that never stopped.
func TestUpdateSnapshots(t *testing.T) {
	brk := filter(`PairExists("ReasonCode", "Break")`)
	stats := append(updateStats(),
		xstat("nr.t", category.TotalTime, agentStat, object.TypeAgent, "1001", notReady, brk),
		xstat("nr.cur", category.CurrentTime, agentStat, object.TypeAgent, "1001", notReady, brk),
		xstat("nr.pl", category.TotalTime, placeStat, object.TypePlace, "P1", notReady, brk),
	)
	for _, s := range stats {
		s.Notification = config.Notification{Mode: config.NotifyChanges}
	}
	evs := append(updateScenario(),
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:12"), action.NotReadyForNextCall, "7001", "", reason("Lunch")),
		update(at("09:00:22"), action.NotReadyForNextCall, "7001", "", reason("Break")),
		update(at("09:00:52"), action.NotReadyForNextCall, "7001", "", reason("Lunch")),
		update(at("09:01:12"), action.NotReadyForNextCall, "7001", "", reason("Break")),
		end(at("09:01:32"), action.NotReadyForNextCall, "7001", ""),
	)
	sortEvents(evs)
	cfg := &config.Config{Topology: testTopology(), Statistics: stats}
	cfg.Index()
	run := func(cut int) (string, []Notification) {
		e, err := New(cfg)
		require.NoError(t, err)
		var ns []Notification
		var vals strings.Builder
		for i, ev := range evs {
			if i == cut {
				var buf bytes.Buffer
				require.NoError(t, e.Snapshot(&buf))
				e, err = Restore(cfg, &buf)
				require.NoError(t, err)
			}
			require.NoError(t, e.Apply(ev), "event %d", i)
			ns = e.Notifications(ns)
			for _, s := range stats {
				fmt.Fprintf(&vals, "%s=%v ", s.ID, num(t, e, s.ID))
			}
			vals.WriteString("\n")
		}
		return vals.String(), ns
	}
	wantVals, wantNotes := run(-1)
	for cut := 1; cut < len(evs); cut++ {
		vals, notes := run(cut)
		require.Equal(t, wantVals, vals, "restored before event %d", cut)
		require.Equal(t, wantNotes, notes, "restored before event %d", cut)
	}
}

// TestUpdateStatusInterrupted: a call interrupts a not-ready status whose reason became
// Break; when the call ends, the not-ready status resumes as a new status instance with
// the not-ready instance's current data (Break), and a later update reaches it. Status
// instances [10, 30) (Break from 20) and [40, 60) (Break until 50) count 10 s each.
func TestUpdateStatusInterrupted(t *testing.T) {
	brk := filter(`PairExists("ReasonCode", "Break")`)
	e := newEngine(t,
		xstat("n", category.TotalNumber, agentStat, object.TypeAgent, "1001", notReady, brk),
		xstat("t", category.TotalTime, agentStat, object.TypeAgent, "1001", notReady, brk),
		xstat("max", category.MaxTime, agentStat, object.TypeAgent, "1001", notReady, brk),
		xstat("st", category.CurrentState, agentStat, object.TypeAgent, "1001", nil),
	)
	sec := func(s int) event.Time { return at("09:00:00") + event.Time(s*1000) }
	replayTo(t, e, []*event.Event{
		begin(sec(0), action.LoggedIn, "7001", "", agent("1001")),
		begin(sec(10), action.NotReadyForNextCall, "7001", "", reason("Lunch")),
		update(sec(20), action.NotReadyForNextCall, "7001", "", reason("Break")),
		begin(sec(30), action.CallInbound, "7001", "c1"),
	}, sec(35))
	assert.Equal(t, "CallInbound", statusOf(t, e, "st"), "the call's status hides not ready")
	assert.Equal(t, 1.0, num(t, e, "n"))
	assert.Equal(t, 10.0, num(t, e, "t"))
	replayTo(t, e, []*event.Event{
		end(sec(40), action.CallInbound, "7001", "c1"),
		update(sec(50), action.NotReadyForNextCall, "7001", "", reason("Lunch")),
		end(sec(60), action.NotReadyForNextCall, "7001", ""),
	}, sec(70))
	assert.Equal(t, 2.0, num(t, e, "n"))
	assert.Equal(t, 20.0, num(t, e, "t"))
	assert.Equal(t, 10.0, num(t, e, "max"))
}
