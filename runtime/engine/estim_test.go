package engine

import (
	"math"
	"math/rand/v2"
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

// withRel sets st's RelMask.
func withRel(st *config.Statistic, as ...action.ID) *config.Statistic {
	st.StatType.RelMask = maskOf(as...)
	return st
}

// wls is a second computation of the weighted least-squares line y = a + b·x through
// points (x, y) with weights w, by the normal equations; b is clamped at 0 as
// EstimWaitingTime's slope is (then a is the weighted mean of y).
func wls(xs, ys, ws []float64) (a, b float64) {
	var sw, swx, swy, swxx, swxy float64
	for i := range xs {
		sw += ws[i]
		swx += ws[i] * xs[i]
		swy += ws[i] * ys[i]
		swxx += ws[i] * xs[i] * xs[i]
		swxy += ws[i] * xs[i] * ys[i]
	}
	det := sw*swxx - swx*swx
	if math.Abs(det) > 1e-9 {
		b = (sw*swxy - swx*swy) / det
	}
	if b < 0 {
		b = 0
	}
	return (swy - b*swx) / sw, b
}

// TestEstimWaitingTimeByHand: the samples are the answered waits with the calls ahead at
// arrival; the estimate is the weighted line at the calls waiting now.
func TestEstimWaitingTimeByHand(t *testing.T) {
	lambda := math.Pow(2, -1.0/ewtHalfLife)
	require.InDelta(t, lambda, ewtDecay, 1e-15, "ewtDecay is 2^(−1/ewtHalfLife)")
	e := newEngine(t,
		statOf("any", category.EstimWaitingTime, category.SubjectDNAction, object.TypeQueue, "Support@SW1", action.CallWait),
		withRel(statOf("answered", category.EstimWaitingTime, category.SubjectDNAction, object.TypeQueue, "Support@SW1", action.CallWait), action.CallDistributed),
	)
	q := "Support@SW1"
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.CallWait, q, "c1"), // nobody ahead
	})
	assert.Equal(t, whyNoAnswer, value(t, e, "any").Undefined)
	applyAll(t, e, []*event.Event{
		end(at("09:00:10"), action.CallWait, q, "c1"), // abandoned after 10 s: no CallDistributed
	})
	assert.Equal(t, 10.0, num(t, e, "any"), "without a RelMask every wait that ends is a sample")
	assert.Equal(t, whyNoAnswer, value(t, e, "answered").Undefined, "c1 was not answered")
	applyAll(t, e, []*event.Event{
		begin(at("09:01:00"), action.CallWait, q, "c2"), // nobody ahead
		begin(at("09:01:00"), action.CallWait, q, "c3"), // c2 ahead
		once(at("09:01:20"), action.CallDistributed, q, "c2", 20),
		end(at("09:01:20"), action.CallWait, q, "c2"), // answered before its end: a sample (0, 20 s)
		end(at("09:01:50"), action.CallWait, q, "c3"),
		once(at("09:01:50"), action.CallDistributed, q, "c3", 50), // answered at its end: a sample (1, 50 s)
	})
	// Answered: two points, so the line goes through both whatever their weights.
	assert.Equal(t, 20.0, num(t, e, "answered"), "nobody waiting: a = 20 s")
	applyAll(t, e, []*event.Event{begin(at("09:02:00"), action.CallWait, q, "c4"), begin(at("09:02:00"), action.CallWait, q, "c5")})
	assert.Equal(t, 80.0, num(t, e, "answered"), "two waiting: 20 + 2 × 30 s")
	// Any: three samples, the oldest weighing λ², the next λ.
	a, b := wls([]float64{0, 0, 1}, []float64{10000, 20000, 50000}, []float64{lambda * lambda, lambda, 1})
	assert.InDelta(t, math.Round(a+2*b)/1000, num(t, e, "any"), 1e-9)

	// A line that would fall with more calls ahead is held flat at the weighted mean.
	f := newEngine(t, statOf("flat", category.EstimWaitingTime, category.SubjectDNAction, object.TypeQueue, q, action.CallWait))
	applyAll(t, f, []*event.Event{
		begin(at("09:00:00"), action.CallWait, q, "c1"), begin(at("09:00:00"), action.CallWait, q, "c2"),
		end(at("09:01:00"), action.CallWait, q, "c1"), end(at("09:01:10"), action.CallWait, q, "c2"),
	})
	// Samples (0, 60 s) then (1, 70 s): rising. Then (0, 90 s) and (1, 10 s): the line falls.
	applyAll(t, f, []*event.Event{
		begin(at("09:02:00"), action.CallWait, q, "c3"), begin(at("09:02:00"), action.CallWait, q, "c4"),
		end(at("09:02:10"), action.CallWait, q, "c4"), end(at("09:03:30"), action.CallWait, q, "c3"),
	})
	xs, ys := []float64{0, 1, 1, 0}, []float64{60000, 70000, 10000, 90000}
	ws := []float64{lambda * lambda * lambda, lambda * lambda, lambda, 1}
	a, b = wls(xs, ys, ws)
	require.Zero(t, b, "the fitted slope is negative, clamped")
	assert.InDelta(t, math.Round(a)/1000, num(t, f, "flat"), 1e-9)
	applyAll(t, f, []*event.Event{begin(at("09:04:00"), action.CallWait, q, "c5"), begin(at("09:04:00"), action.CallWait, q, "c6")})
	assert.InDelta(t, math.Round(a)/1000, num(t, f, "flat"), 1e-9, "the same estimate whatever the queue")
}

// TestEstimTimeToCompleteByHand: completed durations 10, 20 and 60 s.
func TestEstimTimeToCompleteByHand(t *testing.T) {
	e := newEngine(t, statOf("etc", category.EstimTimeToComplete, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound))
	dn := "7001"
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.CallInbound, dn, "c1"), end(at("09:00:10"), action.CallInbound, dn, "c1"),
		begin(at("09:01:00"), action.CallInbound, dn, "c2"), end(at("09:01:20"), action.CallInbound, dn, "c2"),
	})
	assert.Equal(t, 0.0, num(t, e, "etc"), "nothing in progress")
	applyAll(t, e, []*event.Event{begin(at("09:02:00"), action.CallInbound, dn, "c3"), end(at("09:03:00"), action.CallInbound, dn, "c3")})
	applyAll(t, e, []*event.Event{begin(at("09:10:00"), action.CallInbound, dn, "c4")})
	e.Advance(at("09:10:15"))
	assert.Equal(t, 25.0, num(t, e, "etc"), "15 s in: calls longer than 15 s lasted (20 + 60)/2 = 40 s, 25 s to go")
	applyAll(t, e, []*event.Event{begin(at("09:10:20"), action.CallInbound, dn, "c5")})
	e.Advance(at("09:10:25"))
	assert.Equal(t, 35.0, num(t, e, "etc"), "c4, 25 s in, has 60 − 25 = 35 s to go; c5, 5 s in, (10 + 20 + 60)/3 − 5 = 25")
	e.Advance(at("09:10:45"))
	assert.Equal(t, 35.0, num(t, e, "etc"), "c4 45 s in: 15 s to go; c5 25 s in: 60 − 25 = 35")
	e.Advance(at("09:11:00"))
	v := value(t, e, "etc")
	assert.False(t, v.Defined(), "c4 has lasted 60 s, as long as the longest completed call")
	assert.Contains(t, v.Undefined, "lasted 60 s")

	fresh := newEngine(t, statOf("etc", category.EstimTimeToComplete, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound))
	applyAll(t, fresh, []*event.Event{begin(at("09:00:00"), action.CallInbound, dn, "c1")})
	assert.Equal(t, whyNoCompletion, value(t, fresh, "etc").Undefined)
}

// TestEstimTimeToCompleteRandom compares the estimate with a direct computation over
// random calls, under a Sliding profile (the completions of the last 10 minutes).
func TestEstimTimeToCompleteRandom(t *testing.T) {
	st := statOf("etc", category.EstimTimeToComplete, category.SubjectDNAction, object.TypeGroupPlaces, "Floor1", action.CallInbound)
	st.Profile = &config.TimeProfile{Name: "Last10m", Type: config.ProfileSliding, Window: 10 * time.Minute, Step: time.Minute}
	e := newEngine(t, st)
	r := rand.New(rand.NewPCG(7, 7))
	type call struct{ start, end event.Time }
	var done []call
	live := map[string]event.Time{}
	now := at("09:00:00")
	compared := 0
	for i := range 400 {
		now += event.Time(r.IntN(20_000))
		dn := []string{"7001", "7002", "7003"}[r.IntN(3)]
		if start, ok := live[dn]; ok && r.IntN(2) == 0 {
			applyAll(t, e, []*event.Event{end(now, action.CallInbound, dn, dn+"-call")})
			done = append(done, call{start, now})
			delete(live, dn)
		} else if !ok {
			applyAll(t, e, []*event.Event{begin(now, action.CallInbound, dn, dn+"-call")})
			live[dn] = now
		}
		e.Advance(now)
		// The direct computation: the window at now starts at ⌊now/step⌋·step − 9 steps.
		step := int64(time.Minute / time.Millisecond)
		winStart := event.Time((int64(now)/step - 9) * step)
		var ds []int64
		for _, c := range done {
			if c.end >= winStart {
				ds = append(ds, int64(c.end-c.start))
			}
		}
		want := 0.0
		defined := true
		for _, start := range live {
			el := int64(now - start)
			var sum, n int64
			for _, d := range ds {
				if d > el {
					sum += d
					n++
				}
			}
			if n == 0 {
				defined = false
				break
			}
			want = max(want, float64(sum)/float64(n)-float64(el))
		}
		v := value(t, e, "etc")
		if v.Number > 0 {
			compared++
		}
		switch {
		case len(live) == 0:
			require.Equal(t, 0.0, v.Number, "step %d", i)
			require.True(t, v.Defined())
		case len(ds) == 0 || !defined:
			require.False(t, v.Defined(), "step %d", i)
		default:
			require.True(t, v.Defined(), "step %d: %s", i, v.Undefined)
			require.InDelta(t, math.Round(want)/1000, v.Number, 1e-9, "step %d", i)
		}
	}
	assert.Greater(t, compared, 100, "estimates compared")
}

// TestEstimTimeToEndCurrentNumber: the calls waiting now, at the rate waits ended.
func TestEstimTimeToEndCurrentNumber(t *testing.T) {
	e := newEngine(t, statOf("drain", category.EstimTimeToEndCurrentNumber, category.SubjectDNAction, object.TypeQueue, "Support@SW1", action.CallWait))
	q := "Support@SW1"
	applyAll(t, e, []*event.Event{begin(at("09:00:00"), action.CallWait, q, "c1")})
	assert.Equal(t, whyNoCompletion, value(t, e, "drain").Undefined)
	applyAll(t, e, []*event.Event{
		begin(at("09:01:00"), action.CallWait, q, "c2"), end(at("09:02:00"), action.CallWait, q, "c1"),
		begin(at("09:03:00"), action.CallWait, q, "c3"), end(at("09:04:00"), action.CallWait, q, "c2"),
		begin(at("09:05:00"), action.CallWait, q, "c4"), end(at("09:06:00"), action.CallWait, q, "c3"),
	})
	e.Advance(at("09:10:00"))
	// 3 waits ended in the 10 minutes since the first event; 1 waits: 10 min / 3.
	assert.InDelta(t, 200.0, num(t, e, "drain"), 1e-9)
	applyAll(t, e, []*event.Event{end(at("09:12:00"), action.CallWait, q, "c4")})
	assert.Equal(t, 0.0, num(t, e, "drain"), "nothing waiting")
	assert.True(t, value(t, e, "drain").Defined())
}

// TestLoadBalance: calls waiting per agent ready on the queue; calls per logged-in agent.
func TestLoadBalance(t *testing.T) {
	q := "Support@SW1"
	e := newEngine(t,
		withRel(statOf("lb", category.LoadBalance, category.SubjectDNAction, object.TypeQueue, q, action.CallWait), action.AgentReady),
		statOf("lb1", category.LoadBalance1, category.SubjectDNAction, object.TypeGroupAgents, "Sales", action.CallInbound),
		statOf("lb1p", category.LoadBalance1, category.SubjectDNAction, object.TypePlace, "P1", action.CallInbound),
	)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.CallWait, q, "c1"), begin(at("09:00:00"), action.CallWait, q, "c2"),
	})
	assert.Equal(t, whyNoResource, value(t, e, "lb").Undefined)
	assert.Equal(t, whyNoAgent, value(t, e, "lb1").Undefined)
	applyAll(t, e, []*event.Event{
		begin(at("09:00:01"), action.AgentReady, q, "", agent("1001")),
		begin(at("09:00:01"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:01"), action.LoggedIn, "7003", "", agent("1002")),
		begin(at("09:00:02"), action.CallInbound, "7001", "x1"),
	})
	assert.Equal(t, 2.0, num(t, e, "lb"), "2 waiting, 1 ready")
	applyAll(t, e, []*event.Event{begin(at("09:00:03"), action.AgentReady, q, "", agent("1002"))})
	assert.Equal(t, 1.0, num(t, e, "lb"))
	assert.Equal(t, 0.5, num(t, e, "lb1"), "1 call, 2 agents logged in")
	assert.Equal(t, 1.0, num(t, e, "lb1p"), "P1 has agent 1001 logged in on 7001, on a call")
	applyAll(t, e, []*event.Event{begin(at("09:00:04"), action.LoggedIn, "7002", "", agent("1001"))})
	assert.Equal(t, 1.0, num(t, e, "lb1p"), "an agent on two DNs of the place counts once")
	assert.Equal(t, 0.5, num(t, e, "lb1"))
}

// TestTotalNumberErrors: refused events count for the objects they concern, by reason.
func TestTotalNumberErrors(t *testing.T) {
	all := []action.ID{action.CallInbound, action.CallRinging}
	reasoned := statOf("dn-late", category.TotalNumberErrors, category.SubjectDNAction, object.TypeRegDN, "7001", all...)
	reasoned.Filter = &config.Filter{Name: "Late", Expr: `reason == "late_event"`}
	e := newEngine(t,
		statOf("dn", category.TotalNumberErrors, category.SubjectDNAction, object.TypeRegDN, "7001", all...),
		reasoned,
		statOf("sales", category.TotalNumberErrors, category.SubjectDNAction, object.TypeGroupAgents, "Sales", all...),
		statOf("p2", category.TotalNumberErrors, category.SubjectDNAction, object.TypePlace, "P2", all...),
		statOf("inbound-only", category.TotalNumberErrors, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound),
		statOf("calls", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", all...),
	)
	assert.Error(t, e.Apply(end(at("08:59:00"), action.CallInbound, "7001", "c0")), "before the first event")
	applyAll(t, e, []*event.Event{
		begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001")),
		begin(at("09:00:01"), action.CallRinging, "7001", "c1"),
		end(at("09:00:05"), action.CallRinging, "7001", "c1"),
	})
	assert.Equal(t, 0.0, num(t, e, "dn"), "the refusal before the clock started is not counted")
	for _, ev := range []*event.Event{
		end(at("09:01:00"), action.CallInbound, "7001", "nope"),             // end_without_start
		begin(at("09:02:00"), action.CallRinging, "7001", "c2"),             // accepted
		begin(at("09:02:30"), action.CallRinging, "7001", "c2"),             // duplicate_start
		begin(at("09:00:30"), action.CallInbound, "7001", "c3"),             // late_event
		begin(at("09:03:00"), action.CallInbound, "7001", "c4", agent("9")), // unknown_object (agent)
		end(at("09:04:00"), action.CallInbound, "7003", "c5"),               // end_without_start on P2's DN
	} {
		_ = e.Apply(ev)
	}
	assert.Equal(t, 4.0, num(t, e, "dn"), "end without start, duplicate start, late, unknown agent")
	assert.Equal(t, 1.0, num(t, e, "dn-late"), "the filter reads the reason")
	assert.Equal(t, 3.0, num(t, e, "sales"), "through agent 1001 logged in on 7001, but for the event naming another (unknown) agent")
	assert.Equal(t, 1.0, num(t, e, "p2"))
	assert.Equal(t, 3.0, num(t, e, "inbound-only"), "the duplicate CallRinging start is not in the mask")
	assert.Equal(t, 1.0, num(t, e, "calls"), "refusals do not count as actions")
	ns := e.Changed(nil)
	assert.Contains(t, ns, "dn")
	// Growing: the next day starts from 0.
	e.Advance(utc("2026-11-27T00:00:01Z"))
	assert.Equal(t, 0.0, num(t, e, "dn"))
}

// TestAverageNumberPerRelativeHour: per hour of I, or per hour of the Rel activity.
func TestAverageNumberPerRelativeHour(t *testing.T) {
	e := newEngine(t,
		statOf("per-hour", category.AverageNumberPerRelativeHour, category.SubjectDNAction, object.TypeAgent, "1001", action.CallInbound),
		withRel(statOf("per-login-hour", category.AverageNumberPerRelativeHour, category.SubjectDNAction, object.TypeAgent, "1001", action.CallInbound), action.LoggedIn),
	)
	applyAll(t, e, []*event.Event{begin(at("09:00:00"), action.LoggedIn, "7001", "", agent("1001"))})
	assert.Equal(t, whyZeroDenominator, value(t, e, "per-hour").Undefined, "no time elapsed")
	applyAll(t, e, []*event.Event{
		begin(at("09:05:00"), action.CallInbound, "7001", "c1"), end(at("09:10:00"), action.CallInbound, "7001", "c1"),
		begin(at("09:12:00"), action.CallInbound, "7001", "c2"), end(at("09:14:00"), action.CallInbound, "7001", "c2"),
	})
	e.Advance(at("09:15:00"))
	assert.InDelta(t, 8.0, num(t, e, "per-hour"), 1e-9, "2 calls in a quarter of an hour")
	assert.Equal(t, whyZeroDenominator, value(t, e, "per-login-hour").Undefined, "the login has not completed")
	applyAll(t, e, []*event.Event{end(at("09:30:00"), action.LoggedIn, "7001", "", agent("1001"))})
	e.Advance(at("10:00:00"))
	assert.InDelta(t, 4.0, num(t, e, "per-login-hour"), 1e-9, "2 calls in half an hour logged in")
	assert.InDelta(t, 2.0, num(t, e, "per-hour"), 1e-9)
}

// TestUndefinedRatios: ratios of nothing are undefined (JSON null), and become numbers.
func TestUndefinedRatios(t *testing.T) {
	sl := withRel(statOf("sl", category.ServiceFactor1, category.SubjectDNAction, object.TypeQueue, "Support@SW1", action.CallDistributed), action.CallAbandoned)
	e := newEngine(t,
		statOf("aht", category.AverageTime, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound),
		statOf("cur-avg", category.CurrentAverageTime, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound),
		sl,
		statOf("n", category.TotalNumber, category.SubjectDNAction, object.TypeRegDN, "7001", action.CallInbound),
	)
	e.Notifications(nil)
	e.Advance(at("09:00:00"))
	for _, id := range []string{"aht", "cur-avg", "sl"} {
		v := value(t, e, id)
		assert.False(t, v.Defined(), id)
		assert.Equal(t, "null", v.String(), id)
		assert.Zero(t, v.Number, id)
	}
	assert.Equal(t, whyNothingToAverage, value(t, e, "aht").Undefined)
	assert.Equal(t, whyZeroDenominator, value(t, e, "sl").Undefined)
	assert.Equal(t, "0", value(t, e, "n").String(), "a count of nothing is 0")
	first := map[string]string{}
	for _, n := range e.Notifications(nil) {
		first[n.Statistic] = n.Value.String()
	}
	assert.Equal(t, map[string]string{"aht": "null", "cur-avg": "null", "sl": "null", "n": "0"}, first)
	applyAll(t, e, []*event.Event{begin(at("09:00:10"), action.CallInbound, "7001", "c1")})
	e.Advance(at("09:00:40"))
	got := map[string]string{}
	for _, n := range e.Notifications(nil) {
		got[n.Statistic] = n.Value.String()
	}
	assert.Equal(t, map[string]string{"cur-avg": "30"}, got, "only what moved")
	applyAll(t, e, []*event.Event{end(at("09:01:10"), action.CallInbound, "7001", "c1")})
	got = map[string]string{}
	for _, n := range e.Notifications(nil) {
		got[n.Statistic] = n.Value.String()
	}
	assert.Equal(t, map[string]string{"aht": "60", "cur-avg": "null", "n": "1"}, got, "back to undefined is a change too")
}
