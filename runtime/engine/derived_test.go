package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// statOpt adjusts a test statistic.
type statOpt func(*config.Statistic)

// rel sets the RelMask.
func rel(as ...action.ID) statOpt {
	return func(s *config.Statistic) { s.StatType.RelMask = maskOf(as...) }
}

// within sets the time range [lo, hi] in seconds.
func within(lo, hi float64) statOpt {
	return func(s *config.Statistic) {
		s.TimeRange = &config.TimeRange{Name: "R", Lo: int64(lo * 1000), Hi: int64(hi * 1000)}
	}
}

// formula sets the custom-value formula.
func formula(f string) statOpt { return func(s *config.Statistic) { s.StatType.Formula = f } }

// filter sets the filter.
func filter(expr string) statOpt {
	return func(s *config.Statistic) { s.Filter = &config.Filter{Name: "F", Expr: expr} }
}

// profile sets the time profile.
func profile(p *config.TimeProfile) statOpt { return func(s *config.Statistic) { s.Profile = p } }

// notify sets the notification settings.
func notify(n config.Notification) statOpt { return func(s *config.Statistic) { s.Notification = n } }

// xstat is a statistic on object typ:id with options.
func xstat(id string, cat category.Category, subj category.Subject, typ object.Type, objID string, mask []action.ID, opts ...statOpt) *config.Statistic {
	s := statOf(id, cat, subj, typ, objID, mask...)
	for _, o := range opts {
		o(s)
	}
	return s
}

// data sets attached data pairs k1, v1, k2, v2, ….
func data(kv ...string) evOpt {
	return func(e *event.Event) {
		for i := 0; i+1 < len(kv); i += 2 {
			e.Data = append(e.Data, event.Pair{Key: kv[i], Value: kv[i+1]})
		}
	}
}

// queueScenario: calls at queue Support@SW1 (the clock starts at 09:00:00, the first
// event; the Default profile's interval began at midnight).
//
//	09:00:00  w1 starts waiting (Priority 5, Segment Gold, voice)
//	09:00:05  w2 starts waiting (Priority -2, Segment Silver, chat)
//	09:00:10  w3 enters (CallEntered, momentary)
//	09:00:15  w1 stops waiting (15 s); CallDistributed w1, 15 s, Amount 100
//	09:00:30  w2 stops waiting (25 s); CallAbandoned w2, 25 s
//	09:00:40  w3 starts waiting (Priority 1e1)
//	09:01:00  w3 stops waiting (20 s); CallDistributed w3, 20 s, Amount 2.5e1
//	09:01:10  CallAbandoned w4, 8 s
//	09:02:00  CallDistributed w5, 30 s, Amount abc (not a number: 0)
//
// Waits: CallWait [0, 15), [5, 30), [40, 60) seconds after 09:00. Distributed: 15, 20,
// 30 s; abandoned: 25, 8 s.
func queueScenario() []*event.Event {
	q := "Support@SW1"
	return []*event.Event{
		begin(at("09:00:00"), action.CallWait, q, "w1", data("Priority", "5", "Segment", "Gold"), media("voice")),
		begin(at("09:00:05"), action.CallWait, q, "w2", data("Priority", "-2", "Segment", "Silver"), media("chat")),
		once(at("09:00:10"), action.CallEntered, q, "w3", 0),
		end(at("09:00:15"), action.CallWait, q, "w1"),
		once(at("09:00:15"), action.CallDistributed, q, "w1", 15, data("Amount", "100"), media("voice")),
		end(at("09:00:30"), action.CallWait, q, "w2"),
		once(at("09:00:30"), action.CallAbandoned, q, "w2", 25),
		begin(at("09:00:40"), action.CallWait, q, "w3", data("Priority", "1e1")),
		end(at("09:01:00"), action.CallWait, q, "w3"),
		once(at("09:01:00"), action.CallDistributed, q, "w3", 20, data("Amount", "2.5e1")),
		once(at("09:01:10"), action.CallAbandoned, q, "w4", 8),
		once(at("09:02:00"), action.CallDistributed, q, "w5", 30, data("Amount", "abc")),
	}
}

var (
	distributed  = []action.ID{action.CallDistributed}
	abandoned    = []action.ID{action.CallAbandoned}
	distOrAband  = []action.ID{action.CallDistributed, action.CallAbandoned}
	waiting      = []action.ID{action.CallWait}
	amount       = formula(`data["Amount"]`)
	priority     = formula(`data["Priority"]`)
	queueObjects = []struct {
		typ object.Type
		id  string
	}{{object.TypeQueue, "Support@SW1"}, {object.TypeGroupQueues, "AllQueues"}, {object.TypeTenant, "default"}}
)

type xcase struct {
	name string
	cat  category.Category
	mask []action.ID
	opts []statOpt
	at   string
	want float64
}

// queueCases are worked out by hand from queueScenario.
var queueCases = []xcase{
	// Time ranges: distributed 15, 20, 30 s; abandoned 25, 8 s.
	{"TotalNumberInTimeRange 0-20: 15 and 20 (bounds included)", category.TotalNumberInTimeRange, distributed, []statOpt{within(0, 20)}, "09:02:00", 2},
	{"TotalNumberInTimeRange 15.001-30: 20 and 30", category.TotalNumberInTimeRange, distributed, []statOpt{within(15.001, 30)}, "09:02:00", 2},
	{"TotalNumberInTimeRange default range 0-20", category.TotalNumberInTimeRange, distributed, nil, "09:02:00", 2},
	{"TotalNumberInTimeRange ignores momentary actions", category.TotalNumberInTimeRange, []action.ID{action.CallEntered}, []statOpt{within(0, 20)}, "09:02:00", 0},
	{"TotalTimeInTimeRange 0-20: 15 + 20", category.TotalTimeInTimeRange, distributed, []statOpt{within(0, 20)}, "09:02:00", 35},
	{"TotalNumberInTimeRangePercentage over all calls: 2 / 5", category.TotalNumberInTimeRangePercentage, distributed, []statOpt{within(0, 20), rel(distOrAband...)}, "09:02:00", 40},
	{"TotalNumberInTimeRangePercentage without RelMask: 2 / 3", category.TotalNumberInTimeRangePercentage, distributed, []statOpt{within(0, 20)}, "09:02:00", 100.0 * 2 / 3},
	{"TotalNumberInTimeRangePercentage nothing yet", category.TotalNumberInTimeRangePercentage, distributed, []statOpt{within(0, 20)}, "09:00:14", 0},
	{"ServiceFactor1: 2 / (3 + 1 abandoned after 20 s)", category.ServiceFactor1, distributed, []statOpt{within(0, 20), rel(abandoned...)}, "09:02:00", 50},
	{"ServiceFactor1 at 09:00:30: 1 / (1 + 1)", category.ServiceFactor1, distributed, []statOpt{within(0, 20), rel(abandoned...)}, "09:00:30", 50},
	{"ServiceFactor1 range 0-10: 0 / (3 + 1)", category.ServiceFactor1, distributed, []statOpt{within(0, 10), rel(abandoned...)}, "09:02:00", 0},
	{"ServiceFactor1 range 0-30: 3 / 3", category.ServiceFactor1, distributed, []statOpt{within(0, 30), rel(abandoned...)}, "09:02:00", 100},
	// Ratios.
	{"RelativeNumberPercentage: 100 x 3 / 2", category.RelativeNumberPercentage, distributed, []statOpt{rel(abandoned...)}, "09:02:00", 150},
	{"RelativeNumber: 3 / 2", category.RelativeNumber, distributed, []statOpt{rel(abandoned...)}, "09:02:00", 1.5},
	{"RelativeNumber with no Rel yet: 0", category.RelativeNumber, distributed, []statOpt{rel(abandoned...)}, "09:00:20", 0},
	{"RelativeTimePercentage: 100 x (15+20+30) / (25+8)", category.RelativeTimePercentage, distributed, []statOpt{rel(abandoned...)}, "09:02:00", 100.0 * 65 / 33},
	{"ElapsedTimePercentage of waiting: 60 s of 120 s", category.ElapsedTimePercentage, waiting, nil, "09:02:00", 50},
	{"ElapsedTimePercentage counts completed waits only: 15 of 20 s", category.ElapsedTimePercentage, waiting, nil, "09:00:20", 75},
	{"TotalNumberPerSecond: 3 in 120 s", category.TotalNumberPerSecond, distributed, nil, "09:02:00", 0.025},
	{"TotalNumberPerSecond at the first instant: 0", category.TotalNumberPerSecond, waiting, nil, "09:00:00", 0},
	// Time-weighted: waits [0, 15), [5, 30), [40, 60) s.
	{"AverageOfCurrentNumber: 60 item-seconds over 120 s", category.AverageOfCurrentNumber, waiting, nil, "09:02:00", 0.5},
	{"AverageOfCurrentNumber in progress: (10 + 5) / 10", category.AverageOfCurrentNumber, waiting, nil, "09:00:10", 1.5},
	{"AverageOfCurrentTime: (15²+25²+20²)/2 s² over 120 s", category.AverageOfCurrentTime, waiting, nil, "09:02:00", 5.208},
	{"AverageOfCurrentTime in progress: (10²+5²)/2 over 10 s", category.AverageOfCurrentTime, waiting, nil, "09:00:10", 6.25},
	{"MaxNumber of waiting calls", category.MaxNumber, waiting, nil, "09:02:00", 2},
	{"MinNumber of waiting calls: none at the start", category.MinNumber, waiting, nil, "09:02:00", 0},
	// Custom values: Amount 100, 2.5e1, abc (0); Priority 5, -2 in progress at 09:00:07.
	{"TotalCustomValue: 100 + 25 + 0", category.TotalCustomValue, distributed, []statOpt{amount}, "09:02:00", 125},
	{"AverageCustomValue: 125 / 3", category.AverageCustomValue, distributed, []statOpt{amount}, "09:02:00", 125.0 / 3},
	{"MinCustomValue", category.MinCustomValue, distributed, []statOpt{amount}, "09:02:00", 0},
	{"MaxCustomValue", category.MaxCustomValue, distributed, []statOpt{amount}, "09:02:00", 100},
	{"MinCustomValue with nothing completed: 0", category.MinCustomValue, distributed, []statOpt{amount}, "09:00:10", 0},
	{"TotalCustomValue with attributes", category.TotalCustomValue, distributed, []statOpt{formula(`media == "voice" ? 2 : 1`)}, "09:02:00", 4},
	{"CurrentCustomValue: 5 + -2", category.CurrentCustomValue, waiting, []statOpt{priority}, "09:00:07", 3},
	{"CurrentAverageCustomValue", category.CurrentAverageCustomValue, waiting, []statOpt{priority}, "09:00:07", 1.5},
	{"CurrentMinCustomValue", category.CurrentMinCustomValue, waiting, []statOpt{priority}, "09:00:07", -2},
	{"CurrentMaxCustomValue", category.CurrentMaxCustomValue, waiting, []statOpt{priority}, "09:00:07", 5},
	{"CurrentMaxCustomValue: w3's 1e1", category.CurrentMaxCustomValue, waiting, []statOpt{priority}, "09:00:50", 10},
	{"CurrentAverageCustomValue with none in progress: 0", category.CurrentAverageCustomValue, waiting, []statOpt{priority}, "09:00:35", 0},
	// Current values with a time range: at 09:00:07 w1 has waited 7 s, w2 2 s.
	{"CurrentNumberInTimeRange 5-10", category.CurrentNumberInTimeRange, waiting, []statOpt{within(5, 10)}, "09:00:07", 1},
	{"CurrentNumberInTimeRange 2-7: both (bounds included)", category.CurrentNumberInTimeRange, waiting, []statOpt{within(2, 7)}, "09:00:07", 2},
	{"CurrentNumberInTimeRangePercentage 5-10: 1 of 2", category.CurrentNumberInTimeRangePercentage, waiting, []statOpt{within(5, 10)}, "09:00:07", 50},
	{"CurrentNumberInTimeRangePercentage with none waiting: 0", category.CurrentNumberInTimeRangePercentage, waiting, []statOpt{within(5, 10)}, "09:00:35", 0},
}

// TestQueueCategories checks the range, ratio, derived and custom categories on the queue,
// its group and the tenant (which all see the queue's actions).
func TestQueueCategories(t *testing.T) {
	for _, c := range queueCases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t)
			for _, o := range queueObjects {
				require.NoError(t, e.Open(xstat(o.typ.String(), c.cat, category.SubjectDNAction, o.typ, o.id, c.mask, c.opts...)))
			}
			replayTo(t, e, queueScenario(), at(c.at))
			for _, o := range queueObjects {
				assert.InDelta(t, c.want, num(t, e, o.typ.String()), 1e-9, o.typ.String())
			}
		})
	}
}

// TestMinMaxNumberOpenedLate: a statistic opened at 09:00:07, with w1 and w2 waiting,
// starts its extremes at 2.
func TestMinMaxNumberOpenedLate(t *testing.T) {
	evs := queueScenario()
	e := newEngine(t)
	replayTo(t, e, evs, at("09:00:07"))
	for _, c := range []category.Category{category.MinNumber, category.MaxNumber, category.AverageOfCurrentNumber} {
		require.NoError(t, e.Open(xstat(c.String(), c, category.SubjectDNAction, object.TypeQueue, "Support@SW1", waiting)))
	}
	replayTo(t, e, evs[2:], at("09:00:12"))
	assert.Equal(t, 2.0, num(t, e, "MinNumber"))
	assert.Equal(t, 2.0, num(t, e, "MaxNumber"))
	assert.Equal(t, 2.0, num(t, e, "AverageOfCurrentNumber"))
	replayTo(t, e, evs[3:], at("09:00:20"))
	assert.Equal(t, 1.0, num(t, e, "MinNumber"))
	assert.Equal(t, 2.0, num(t, e, "MaxNumber"))
	// 2 items for 8 s (09:00:07 → 15), 1 for 5 s, over 13 s.
	assert.InDelta(t, 21.0/13, num(t, e, "AverageOfCurrentNumber"), 1e-12)
	replayTo(t, e, evs[5:], at("09:00:35"))
	assert.Equal(t, 0.0, num(t, e, "MinNumber"))
}

// TestServiceLevel: answered and abandoned calls with waits around the 20-second
// threshold, and the service level computed by hand.
//
// Answered (CallDistributed) after 5, 19.999, 20, 20.001 and 45 s; abandoned after 3, 20,
// 20.5 and 60 s.
//
//   - ServiceFactor1 = 100 × N(answered, d ≤ 20) / (N(answered) + N(abandoned, d > 20))
//     = 100 × 3 / (5 + 2) = 42.857…
//   - TotalNumberInTimeRangePercentage (range 0-20, Rel = answered or abandoned) = 100 ×
//     answered within 20 s / all calls = 100 × 3 / 9 = 33.33…
//   - AverageTime of answered = (5 + 19.999 + 20 + 20.001 + 45) / 5 = 22
//   - TotalNumberInTimeRange of abandoned (range 0-20) = 2 (3 and 20 s)
func TestServiceLevel(t *testing.T) {
	q := "Support@SW1"
	answered := []float64{5, 19.999, 20, 20.001, 45}
	dropped := []float64{3, 20, 20.5, 60}
	var evs []*event.Event
	ts := at("10:00:00")
	for i := range max(len(answered), len(dropped)) {
		ts += 60_000
		if i < len(answered) {
			evs = append(evs, once(ts, action.CallDistributed, q, "a", answered[i]))
		}
		if i < len(dropped) {
			evs = append(evs, once(ts, action.CallAbandoned, q, "b", dropped[i]))
		}
	}
	e := newEngine(t,
		xstat("sf1", category.ServiceFactor1, category.SubjectDNAction, object.TypeQueue, q, distributed, within(0, 20), rel(abandoned...)),
		xstat("pct", category.TotalNumberInTimeRangePercentage, category.SubjectDNAction, object.TypeQueue, q, distributed, within(0, 20), rel(distOrAband...)),
		xstat("aht", category.AverageTime, category.SubjectDNAction, object.TypeQueue, q, distributed),
		xstat("ab20", category.TotalNumberInTimeRange, category.SubjectDNAction, object.TypeQueue, q, abandoned, within(0, 20)),
	)
	applyAll(t, e, evs)
	assert.InDelta(t, 100.0*3/7, num(t, e, "sf1"), 1e-12)
	assert.InDelta(t, 100.0*3/9, num(t, e, "pct"), 1e-12)
	assert.Equal(t, 22.0, num(t, e, "aht"))
	assert.Equal(t, 2.0, num(t, e, "ab20"))
}

// TestCurrentRelative: group Sales in statusScenario at 09:03, 1001 in CallInbound since
// 09:02, 1002 not ready since 09:00:10.
func TestCurrentRelative(t *testing.T) {
	nrOrCall := []action.ID{action.NotReadyForNextCall, action.CallInbound}
	e := newEngine(t,
		xstat("num", category.CurrentRelativeNumberPercentage, agentStat, groupSales, "Sales", notReady, rel(nrOrCall...)),
		xstat("time", category.CurrentRelativeTimePercentage, agentStat, groupSales, "Sales", notReady, rel(nrOrCall...)),
		xstat("grp", category.CurrentRelativeNumberPercentage, category.SubjectGroupStatus, groupSales, "Sales", notReady, rel(nrOrCall...)),
		xstat("rtp", category.RelativeTimePercentage, agentStat, groupSales, "Sales", notReady, rel(nrOrCall...)),
		xstat("none", category.CurrentRelativeNumberPercentage, agentStat, groupSales, "Sales", notReady, rel(ready...)),
	)
	e.Advance(at("08:00:00"))
	replayTo(t, e, statusScenario(), at("09:03:00"))
	assert.Equal(t, 50.0, num(t, e, "num"))
	assert.Equal(t, 50.0, num(t, e, "grp"))
	assert.InDelta(t, 100.0*170/230, num(t, e, "time"), 1e-12)
	// Historical: both in progress, so TotalTime adds their elapsed overlap too.
	assert.InDelta(t, 100.0*170/230, num(t, e, "rtp"), 1e-12)
	assert.Equal(t, 0.0, num(t, e, "none"), "no one ready: a zero denominator gives 0")
}

// TestStatusCurves: the CurrentNumber-curve categories on agent statuses, worked out from
// statusScenario at 09:06 with the clock starting at 08:00 (I is 3960 s long).
// Group Sales: 1001 ready [09:00, 09:02) and [09:04, …); 1002 not ready [09:00:10, 09:05).
func TestStatusCurves(t *testing.T) {
	cases := []struct {
		name string
		cat  category.Category
		mask []action.ID
		want float64
	}{
		{"MaxNumber ready", category.MaxNumber, ready, 1},
		{"MinNumber ready", category.MinNumber, ready, 0},
		{"MaxNumber ready|NR: both in [09:00:10, 09:02)", category.MaxNumber, readyOrNR, 2},
		{"AverageOfCurrentNumber ready: 240 s over 3960 s", category.AverageOfCurrentNumber, ready, 240.0 / 3960},
		{"ElapsedTimePercentage ready: 100 × 240 / 3960", category.ElapsedTimePercentage, ready, 100.0 * 240 / 3960},
		{"AverageOfCurrentTime ready: 2 × 120²/2 s² over 3960 s, to the ms", category.AverageOfCurrentTime, ready, 3.636},
		{"TotalNumberPerSecond ready: 1 completed in 3960 s", category.TotalNumberPerSecond, ready, 1.0 / 3960},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, statOf("s", c.cat, agentStat, groupSales, "Sales", c.mask...))
			e.Advance(at("08:00:00"))
			replayTo(t, e, statusScenario(), at("09:06:00"))
			assert.InDelta(t, c.want, num(t, e, "s"), 1e-12)
		})
	}
}
