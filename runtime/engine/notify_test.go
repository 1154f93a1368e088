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

// stream applies evs, draining the notifications after each event, then advances to
// until (if later than the last event) and drains again. Each notification is rendered
// "HH:MM:SS.mmm id=value".
func stream(t *testing.T, e *Engine, evs []*event.Event, until event.Time) []string {
	t.Helper()
	var out []string
	var buf []Notification
	render := func() {
		for _, n := range buf {
			out = append(out, fmt.Sprintf("%s %s=%v", n.At.Std().Format("15:04:05.000"), n.Statistic, n.Value))
		}
	}
	buf = e.Notifications(buf[:0])
	render()
	for _, ev := range evs {
		require.NoError(t, e.Apply(ev))
		buf = e.Notifications(buf[:0])
		render()
	}
	if until > e.Now() {
		e.Advance(until)
		buf = e.Notifications(buf[:0])
		render()
	}
	return out
}

// answeredEvery returns answered calls on queue Support@SW1 at the given clock times.
func answeredEvery(clocks ...string) []*event.Event {
	var evs []*event.Event
	for i, c := range clocks {
		evs = append(evs, once(at(c), action.CallDistributed, "Support@SW1", fmt.Sprint("c", i), 1))
	}
	return evs
}

func queueStat(id string, cat category.Category, mask []action.ID, n config.Notification, opts ...statOpt) *config.Statistic {
	return xstat(id, cat, category.SubjectDNAction, object.TypeQueue, "Support@SW1", mask, append(opts, notify(n))...)
}

// TestNotifyInsensitivity: with 50 %, the count 1, 2, …, 7 notifies 1 (the first value),
// 2 (|2−1| > 0.5), 4 (|4−2| > 1), 7 (|7−4| > 2); with 0, every change.
func TestNotifyInsensitivity(t *testing.T) {
	e := newEngine(t,
		queueStat("half", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyChanges, Insensitivity: 50}),
		queueStat("all", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyChanges}),
		queueStat("none", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyNone}),
	)
	evs := answeredEvery("09:00:01", "09:00:02", "09:00:03", "09:00:04", "09:00:05", "09:00:06", "09:00:07")
	// An action the statistics do not count changes nothing.
	evs = append(evs[:3], append([]*event.Event{once(at("09:00:03.500"), action.CallEntered, "Support@SW1", "x", 0)}, evs[3:]...)...)
	got := stream(t, e, evs, 0)
	assert.Equal(t, []string{
		"09:00:01.000 half=1", "09:00:01.000 all=1",
		"09:00:02.000 half=2", "09:00:02.000 all=2",
		"09:00:03.000 all=3",
		"09:00:04.000 half=4", "09:00:04.000 all=4",
		"09:00:05.000 all=5",
		"09:00:06.000 all=6",
		"09:00:07.000 half=7", "09:00:07.000 all=7",
	}, got)
}

// TestNotifyPeriodical: every 10 s of event time, on multiples of 10 s since the epoch,
// with the value before the instant (an event exactly at 09:00:20 is not in the 09:00:20
// notification). Advance fires the instants it passes.
func TestNotifyPeriodical(t *testing.T) {
	e := newEngine(t, queueStat("p", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyPeriodical, Period: 10 * time.Second}))
	got := stream(t, e, answeredEvery("09:00:03", "09:00:12", "09:00:20", "09:00:35"), at("09:00:50"))
	assert.Equal(t, []string{
		"09:00:10.000 p=1",
		"09:00:20.000 p=2",
		"09:00:30.000 p=3",
		"09:00:40.000 p=4",
		"09:00:50.000 p=4",
	}, got)
}

// TestNotifyReset: an hourly Growing profile notifies at each reset the value of the hour
// that ends; an event exactly at the reset belongs to the new hour.
func TestNotifyReset(t *testing.T) {
	hourly := &config.TimeProfile{Name: "Hourly", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Period: time.Hour, Location: time.UTC}
	e := newEngine(t,
		queueStat("r", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyReset}, profile(hourly)),
		queueStat("c", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyChanges}, profile(hourly)),
		queueStat("t", category.TotalTime, waiting, config.Notification{Mode: config.NotifyReset}, profile(hourly)),
	)
	evs := append(answeredEvery("09:50:00", "10:10:00", "10:20:00", "11:00:00"),
		begin(at("11:30:00"), action.CallWait, "Support@SW1", "w"),
		end(at("11:40:00"), action.CallWait, "Support@SW1", "w"))
	got := stream(t, e, evs, at("12:05:00"))
	assert.Equal(t, []string{
		"09:50:00.000 c=1",
		"10:00:00.000 r=1", "10:00:00.000 t=0",
		// 10:10: the reset to 0 and the call between two drains: 1 again, not sent.
		"10:20:00.000 c=2",
		"11:00:00.000 r=2", "11:00:00.000 t=0",
		"11:00:00.000 c=1", // the reset and the 11:00 call between two drains
		"12:00:00.000 r=1", "12:00:00.000 t=600",
		"12:05:00.000 c=0",
	}, got)
}

// TestNotifyClockAndStructured: a current time notifies at each drain while it grows;
// CurrentState notifies when the tree changes, not when nothing in it did.
func TestNotifyClockAndStructured(t *testing.T) {
	e := newEngine(t,
		xstat("ct", category.CurrentTime, category.SubjectDNAction, object.TypeRegDN, "7001", inbound),
		xstat("state", category.CurrentState, dnStat, object.TypeRegDN, "7001", nil),
	)
	evs := []*event.Event{
		begin(at("09:00:00"), action.CallInbound, "7001", "c1"),
		once(at("09:00:05"), action.CallAnsweredRegularDNs, "7001", "a", 1),
		end(at("09:00:10"), action.CallInbound, "7001", "c1"),
		begin(at("09:00:20"), action.CallRinging, "7002", "c2"),
	}
	got := stream(t, e, evs, at("09:00:30"))
	for i := range got {
		got[i] = strings.ReplaceAll(got[i], `"type":"RegDN","id":"7001",`, "")
	}
	assert.Equal(t, []string{
		`09:00:00.000 ct=0`,
		`09:00:00.000 state={"status":"CallInbound","since":"2026-11-26T09:00:00.000Z","reason":"","children":[]}`,
		`09:00:05.000 ct=5`,
		`09:00:10.000 ct=0`,
		`09:00:10.000 state={"status":"","since":"2026-11-26T09:00:10.000Z","reason":"","children":[]}`,
	}, got)
}

// TestNotifyDeterministic: the same input gives the same stream, every mode mixed.
func TestNotifyDeterministic(t *testing.T) {
	run := func() []string {
		quarter := &config.TimeProfile{Name: "Quarter", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Period: 15 * time.Minute, Location: time.UTC}
		var stats []*config.Statistic
		for i, c := range queueCases {
			n := []config.Notification{
				{Mode: config.NotifyChanges}, {Mode: config.NotifyChanges, Insensitivity: 10},
				{Mode: config.NotifyPeriodical, Period: 7 * time.Second}, {Mode: config.NotifyReset},
			}[i%4]
			opts := append([]statOpt{notify(n)}, c.opts...)
			if n.Mode == config.NotifyReset {
				opts = append(opts, profile(quarter))
			}
			stats = append(stats, xstat(fmt.Sprint(i), c.cat, category.SubjectDNAction, object.TypeGroupQueues, "AllQueues", c.mask, opts...))
		}
		return stream(t, newEngine(t, stats...), queueScenario(), at("09:16:00"))
	}
	a, b := run(), run()
	assert.NotEmpty(t, a)
	assert.Equal(t, a, b)
}

// TestNotifyEnableAndClose: the first call after the clock started sends every
// changes-mode statistic's value; a closed statistic sends nothing more; Changed works
// alongside.
func TestNotifyEnableAndClose(t *testing.T) {
	e := newEngine(t,
		queueStat("a", category.TotalNumber, distributed, config.Notification{}),
		queueStat("p", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyPeriodical, Period: time.Second}),
	)
	applyAll(t, e, answeredEvery("09:00:00.500"))
	assert.Equal(t, []string{"a", "p"}, e.Changed(nil))
	ns := e.Notifications(nil)
	require.Len(t, ns, 1)
	assert.Equal(t, Notification{Statistic: "a", At: at("09:00:00.500"), Value: Value{Number: 1}}, ns[0])
	require.NoError(t, e.Close("p"))
	require.NoError(t, e.Close("a"))
	require.NoError(t, e.Open(queueStat("b", category.TotalNumber, distributed, config.Notification{})))
	applyAll(t, e, answeredEvery("09:00:05"))
	assert.Equal(t, []Notification{{Statistic: "b", At: at("09:00:05"), Value: Value{Number: 1}}}, e.Notifications(nil))
	assert.Equal(t, []string{"b"}, e.Changed(nil))
}

// TestTimerNotifications: TimerNotifications returns, drain for drain, exactly the
// periodical and reset notifications Notifications returns on the same input (every
// mode mixed), and nothing of the changes-mode statistics; a later Notifications call
// then looks at those.
func TestTimerNotifications(t *testing.T) {
	quarter := &config.TimeProfile{Name: "Quarter", Type: config.ProfileGrowing, Resets: []time.Duration{0}, Period: 15 * time.Minute, Location: time.UTC}
	var stats []*config.Statistic
	timed := map[string]bool{}
	for i, c := range queueCases {
		n := []config.Notification{
			{Mode: config.NotifyChanges}, {Mode: config.NotifyPeriodical, Period: 7 * time.Second}, {Mode: config.NotifyReset},
		}[i%3]
		opts := append([]statOpt{notify(n)}, c.opts...)
		if n.Mode == config.NotifyReset {
			opts = append(opts, profile(quarter))
		}
		id := fmt.Sprint(i)
		timed[id] = n.Mode != config.NotifyChanges
		stats = append(stats, xstat(id, c.cat, category.SubjectDNAction, object.TypeGroupQueues, "AllQueues", c.mask, opts...))
	}
	all, timers := newEngine(t, stats...), newEngine(t, stats...)
	render := func(ns []Notification, onlyTimed bool) []string {
		var out []string
		for _, n := range ns {
			if onlyTimed && !timed[n.Statistic] {
				continue
			}
			out = append(out, fmt.Sprintf("%d %d %s=%v", n.At, n.From, n.Statistic, n.Value))
		}
		return out
	}
	var a, b []Notification
	drains, sent := 0, 0
	evs := queueScenario()
	for _, ev := range evs {
		evB := *ev
		require.NoError(t, all.Apply(ev))
		require.NoError(t, timers.Apply(&evB))
		a, b = all.Notifications(a[:0]), timers.TimerNotifications(b[:0])
		require.Equal(t, render(a, true), render(b, false), "after the event at %v", ev.Time)
		for _, n := range b {
			require.True(t, timed[n.Statistic], "%s is a changes-mode statistic", n.Statistic)
		}
		drains++
		sent += len(b)
	}
	all.Advance(at("09:16:00"))
	timers.Advance(at("09:16:00"))
	a, b = all.Notifications(a[:0]), timers.TimerNotifications(b[:0])
	require.Equal(t, render(a, true), render(b, false))
	sent += len(b)
	require.Positive(t, sent, "the scenario sends timer notifications")
	// The changes-mode statistics were flagged all along: the full call looks at them.
	changes := 0
	require.Empty(t, timers.flagged, "nothing flagged while only timer notifications were asked")
	for _, n := range timers.Notifications(nil) {
		if !timed[n.Statistic] {
			changes++
		}
	}
	assert.Positive(t, changes, "Notifications after TimerNotifications sends the changes-mode values")
	t.Logf("%d drains, %d timer notifications, %d changes-mode values at the end", drains, sent, changes)
}

// TestTimerNotificationsSurviveASnapshot: an engine that only gave timer notifications
// restores as such (nothing flagged per update), sends the same reset values as one
// never restored, and a later Notifications call still reports the changes-mode values.
func TestTimerNotificationsSurviveASnapshot(t *testing.T) {
	cfg := loadConfig(t, queueStatTypes+`timeProfiles:
  Last10m: {type: Sliding, window: 600, step: 60}
  Q: {type: Growing, period: 900}
statistics:
  - {id: r, statType: Entered, object: {type: Queue, id: "Support@SW1"}, profile: Q, notification: {mode: reset}}
  - {id: c, statType: Entered, object: {type: Queue, id: "Support@SW1"}}
`)
	straight, err := New(cfg)
	require.NoError(t, err)
	straight.TimerNotifications(nil)
	applyAll(t, straight, []*event.Event{qEntered(at("09:00:01"), "c1"), qEntered(at("09:10:00"), "c2")})
	var buf bytes.Buffer
	require.NoError(t, straight.Snapshot(&buf))
	restored, err := Restore(cfg, &buf)
	require.NoError(t, err)
	require.True(t, restored.notifyOn)
	require.False(t, restored.watching, "a timer-only engine restores timer-only")
	var got [2][]string
	for i, e := range []*Engine{straight, restored} {
		applyAll(t, e, []*event.Event{qEntered(at("09:16:00"), "c3"), qEntered(at("09:20:00"), "c4")})
		e.Advance(at("09:31:00"))
		for _, n := range e.TimerNotifications(nil) {
			got[i] = append(got[i], fmt.Sprintf("%s %s-%s=%v", n.Statistic, n.From.Std().Format("15:04"), n.At.Std().Format("15:04"), n.Value))
		}
		assert.Empty(t, e.flagged)
	}
	// By hand: c1, c2 in [09:00, 09:15) → 2 at 09:15; c3, c4 in [09:15, 09:30) → 2 at 09:30.
	assert.Equal(t, []string{"r 09:00-09:15=2", "r 09:15-09:30=2"}, got[0])
	assert.Equal(t, got[0], got[1])
	ns := restored.Notifications(nil)
	require.Len(t, ns, 1)
	assert.Equal(t, "c", ns[0].Statistic)
	assert.Equal(t, 4.0, ns[0].Value.Number)
}
