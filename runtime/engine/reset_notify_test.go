package engine

import (
	"cmp"
	"fmt"
	"slices"
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

// resetStream applies evs, draining the notifications after each event, then advances to
// until minute by minute and drains after each step. Each reset notification is rendered
// "FROM-AT id=value" (HH:MM), the others "AT id=value".
func resetStream(t *testing.T, e *Engine, evs []*event.Event, until event.Time, open map[event.Time][]*config.Statistic) []string {
	t.Helper()
	var out []string
	var buf []Notification
	drain := func() {
		buf = e.Notifications(buf[:0])
		for _, n := range buf {
			at := n.At.Std().Format("15:04")
			if n.From != 0 {
				at = n.From.Std().Format("15:04") + "-" + at
			}
			out = append(out, fmt.Sprintf("%s %s=%v", at, n.Statistic, n.Value))
		}
	}
	drain()
	k := 0
	for now := evs[0].Time; now <= until; now += 60_000 {
		for ; k < len(evs) && evs[k].Time <= now; k++ {
			require.NoError(t, e.Apply(evs[k]))
			drain()
		}
		e.Advance(now)
		drain()
		for _, st := range open[now] {
			require.NoError(t, e.Open(st))
		}
	}
	return out
}

// TestNotifyResetQuietIntervals: a reset notification carries the value of the interval
// that just ended, even when nothing happened in it (issue 13 §6: a half-hour profile with
// calls at 06:10 and 06:20 notified 2 at 06:30, then 2 again at 07:00 and 07:30), and the
// start of that interval.
//
// Half-hour resets. CallWait w1 06:05–06:15 (10 min), w2 06:25–07:40; CallDistributed at
// 06:10 and 06:20. The clock starts at 06:05. By hand:
//
//	interval           n  nf  tt   mx   cn  aoc                              sl
//	[06:00, 06:30)     2  2   600  600  1   (10 + 5 min)/25 min = 0.6        1
//	[06:30, 07:00)     0  0   0    0    1   30/30 = 1                        0
//	[07:00, 07:30)     0  0   0    0    1   1                                0
//
// (aoc measures I from the first event, 06:05; sl, a TotalNumber opened at 06:40, closes
// [06:40, 07:00) and [07:00, 07:30) with 0, and counts nothing before its open.) On an
// hourly profile reset at half past, h and ht close [05:30, 06:30) with 2 and 600 s, and
// the quiet [06:30, 07:30) with 0 and 0 (w2 is still in progress).
// A changes-mode TotalNumber on the same profile notifies its drop to 0 at 06:30 and
// nothing more; an `--at`-style read (Value) agrees with every reset notification.
func TestNotifyResetQuietIntervals(t *testing.T) {
	half := &config.TimeProfile{Name: "Half", Type: config.ProfileGrowing, Resets: []time.Duration{0},
		Period: 30 * time.Minute, Location: time.UTC}
	hourly := &config.TimeProfile{Name: "Hourly", Type: config.ProfileGrowing, Resets: []time.Duration{30 * time.Minute},
		Period: time.Hour, Location: time.UTC}
	reset := notify(config.Notification{Mode: config.NotifyReset})
	q := "Support@SW1"
	wait := []action.ID{action.CallWait}
	e := newEngine(t,
		queueStat("n", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyReset}, profile(half)),
		queueStat("nf", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyReset}, profile(half),
			filter(`action == "CallDistributed"`)),
		queueStat("tt", category.TotalTime, wait, config.Notification{Mode: config.NotifyReset}, profile(half)),
		queueStat("mx", category.MaxTime, wait, config.Notification{Mode: config.NotifyReset}, profile(half)),
		queueStat("cn", category.CurrentNumber, wait, config.Notification{Mode: config.NotifyReset}, profile(half)),
		queueStat("aoc", category.AverageOfCurrentNumber, wait, config.Notification{Mode: config.NotifyReset}, profile(half)),
		queueStat("ch", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyChanges}, profile(half)),
		queueStat("h", category.TotalNumber, distributed, config.Notification{Mode: config.NotifyReset}, profile(hourly)),
		queueStat("ht", category.TotalTime, wait, config.Notification{Mode: config.NotifyReset}, profile(hourly)),
	)
	evs := []*event.Event{
		begin(at("06:05:00"), action.CallWait, q, "w1"),
		once(at("06:10:00"), action.CallDistributed, q, "d1", 1),
		end(at("06:15:00"), action.CallWait, q, "w1"),
		once(at("06:20:00"), action.CallDistributed, q, "d2", 1),
		begin(at("06:25:00"), action.CallWait, q, "w2"),
		end(at("07:40:00"), action.CallWait, q, "w2"),
	}
	late := xstat("sl", category.TotalNumber, category.SubjectDNAction, object.TypeQueue, q, distributed, reset, profile(half))
	got := resetStream(t, e, evs, at("07:45:00"), map[event.Time][]*config.Statistic{at("06:40:00"): {late}})
	assert.Equal(t, []string{
		"06:05 ch=0", "06:10 ch=1", "06:20 ch=2",
		"06:00-06:30 n=2", "06:00-06:30 nf=2", "06:00-06:30 tt=600", "06:00-06:30 mx=600",
		"06:00-06:30 cn=1", "06:00-06:30 aoc=0.6", "05:30-06:30 h=2", "05:30-06:30 ht=600",
		"06:30 ch=0",
		"06:30-07:00 n=0", "06:30-07:00 nf=0", "06:30-07:00 tt=0", "06:30-07:00 mx=0",
		"06:30-07:00 cn=1", "06:30-07:00 aoc=1", "06:40-07:00 sl=0",
		"07:00-07:30 n=0", "07:00-07:30 nf=0", "07:00-07:30 tt=0", "07:00-07:30 mx=0",
		"07:00-07:30 cn=1", "07:00-07:30 aoc=1", "06:30-07:30 h=0", "06:30-07:30 ht=0", "07:00-07:30 sl=0",
	}, got)
}

// TestNotifyResetMatchesValue: over a day of random traffic with quiet stretches, every
// reset notification equals the value read (as `--at` does) on a second engine advanced to
// 1 ms before the reset and given the interval's last events, for common and extended
// statistics alike.
func TestNotifyResetMatchesValue(t *testing.T) {
	quarter := &config.TimeProfile{Name: "Quarter", Type: config.ProfileGrowing, Resets: []time.Duration{0},
		Period: 15 * time.Minute, Location: time.UTC}
	q := "Support@SW1"
	wait := []action.ID{action.CallWait}
	mkStats := func(mode config.NotifyMode) []*config.Statistic {
		n := config.Notification{Mode: mode}
		return []*config.Statistic{
			queueStat("n", category.TotalNumber, distributed, n, profile(quarter)),
			queueStat("tt", category.TotalTime, wait, n, profile(quarter)),
			queueStat("avg", category.AverageTime, wait, n, profile(quarter)),
			queueStat("mn", category.MinTime, wait, n, profile(quarter)),
			queueStat("in", category.TotalNumberInTimeRange, wait, n, profile(quarter), within(0, 60)),
			queueStat("fl", category.TotalTime, wait, n, profile(quarter), filter(`interaction != "w3"`)),
			queueStat("cn", category.CurrentNumber, wait, n, profile(quarter)),
			queueStat("mxn", category.MaxNumber, wait, n, profile(quarter)),
		}
	}
	// Waits of 10 s to 20 min, with gaps of up to 50 min.
	var evs []*event.Event
	t0 := at("06:00:00")
	now := t0
	for i := range 40 {
		now += event.Time(((i*7919)%3000 + 1) * 1000)
		d := event.Time(((i*104729)%1200 + 10) * 1000)
		ixn := fmt.Sprint("w", i)
		evs = append(evs, begin(now, action.CallWait, q, ixn))
		evs = append(evs, once(now+d/2, action.CallDistributed, q, ixn, 1))
		evs = append(evs, end(now+d, action.CallWait, q, ixn))
		now += d
	}
	sortEvents(evs)
	until := now + event.Time(time.Hour/time.Millisecond)
	live := newEngine(t, mkStats(config.NotifyReset)...)
	var ns []Notification
	for _, ev := range evs {
		require.NoError(t, live.Apply(ev))
		ns = live.Notifications(ns)
	}
	live.Advance(until)
	ns = live.Notifications(ns)
	require.NotEmpty(t, ns)
	quiet := 0
	for _, n := range ns {
		ref := newEngine(t, mkStats(config.NotifyNone)...)
		replayTo(t, ref, before(evs, n.At), n.At-1)
		v, err := ref.Value(n.Statistic)
		require.NoError(t, err)
		assert.Equal(t, v, n.Value, "%s at %v", n.Statistic, n.At)
		assert.Equal(t, n.At-15*60_000, n.From, "%s at %v", n.Statistic, n.At)
		if n.Statistic == "n" && n.Value.Number == 0 {
			quiet++
		}
	}
	assert.Positive(t, quiet, "no quiet interval in the scenario")
}

// before returns the events of evs strictly before t.
func before(evs []*event.Event, t event.Time) []*event.Event {
	for i, ev := range evs {
		if ev.Time >= t {
			return evs[:i]
		}
	}
	return evs
}

// sortEvents sorts evs by time, stably.
func sortEvents(evs []*event.Event) {
	slices.SortStableFunc(evs, func(a, b *event.Event) int { return cmp.Compare(a.Time, b.Time) })
}
