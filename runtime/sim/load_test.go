package sim_test

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/sim"
)

// The profile's factor, by hand: linear between points, wrapping across the cycle's end,
// cycles starting at the origin.
func TestLoadFactor(t *testing.T) {
	origin := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	l := sim.Load{
		Profile: []sim.LoadPoint{{10 * time.Minute, 1}, {20 * time.Minute, 2}, {40 * time.Minute, 0}},
		Period:  time.Hour,
		Origin:  origin,
	}
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{
		{10 * time.Minute, 1},
		{15 * time.Minute, 1.5},
		{20 * time.Minute, 2},
		{30 * time.Minute, 1},
		{40 * time.Minute, 0},
		// From 40 min to the first point of the next cycle (70 min): 0 → 1 over 30 min.
		{55 * time.Minute, 0.5},
		{0, 2.0 / 3},            // 20 of those 30 minutes
		{-5 * time.Minute, 0.5}, // 55 min into the cycle before
		{time.Hour + 15*time.Minute, 1.5},
		{25 * time.Hour, 2.0 / 3},
	} {
		want := c.want
		if got := l.Factor(origin.Add(c.at)); math.Abs(got-want) > 1e-9 {
			t.Errorf("factor at origin%+v = %v, want %v", c.at, got, want)
		}
	}
	if got := (sim.Load{}).Factor(origin); got != 1 {
		t.Errorf("no profile: factor %v, want 1", got)
	}
	// Without an origin, a 24h profile follows the time of day in UTC.
	day := sim.Load{Profile: []sim.LoadPoint{{0, 0}, {12 * time.Hour, 1}}}
	if got := day.Factor(time.Date(2026, 1, 2, 6, 0, 0, 0, time.UTC)); math.Abs(got-0.5) > 1e-9 {
		t.Errorf("06:00 UTC on a day profile: %v, want 0.5", got)
	}
}

// counts are what a stream tells about arrivals and staffing.
func arrivals(events []event.Event, start time.Time, period time.Duration, split time.Duration) (first, second int, perQueue map[string]int) {
	perQueue = map[string]int{}
	for _, e := range events {
		if e.Action != action.CallEntered {
			continue
		}
		perQueue[e.Source.ID]++
		off := time.Duration(e.Time-event.TimeOf(start)) * time.Millisecond % period
		if off < split {
			first++
		} else {
			second++
		}
	}
	return first, second, perQueue
}

// Arrivals follow the profile: a cycle at factor 2 for 20 minutes and 0.5 for 20 minutes
// gets four times as many calls in its first part; the queue shares split them.
func TestLoadShapesArrivals(t *testing.T) {
	start := sim.DefaultStart()
	step := time.Millisecond // factor jumps: 2 until 20 min, 0.5 from then on
	cfg := sim.Config{Seed: 3, Agents: 200, Queues: 2, Duration: 20 * time.Hour, Rate: 6, BreaksPerHour: -1,
		Load: sim.Load{
			Profile: []sim.LoadPoint{{0, 2}, {20*time.Minute - step, 2}, {20 * time.Minute, 0.5}, {40*time.Minute - step, 0.5}},
			Period:  40 * time.Minute, Origin: start,
			QueueShare: []float64{1, 6},
		}}
	events := collect(t, cfg)
	first, second, perQueue := arrivals(events, start, 40*time.Minute, 20*time.Minute)
	// Expected: 6/min × 2 × 20 min × 30 cycles = 7200 and 1800. Poisson: sd ≈ 85 and 42;
	// the bounds are 4 sd.
	if math.Abs(float64(first)-7200) > 340 || math.Abs(float64(second)-1800) > 170 {
		t.Errorf("calls at factor 2: %d (want about 7200), at factor 0.5: %d (want about 1800)", first, second)
	}
	// The even agents serve Q1 only, the odd ones both queues (agent i is in group i mod
	// 2, odd ones in the other group too): the agents give Q1 a weight of 100 + 100/2 =
	// 150 and Q2 50. Shares 1 and 6 make that 150 and 300, so the 9000 calls split as
	// 3000 and 6000 (binomial sd 45).
	if q1, q2 := perQueue["Q1@SW1"], perQueue["Q2@SW1"]; math.Abs(float64(q1)-3000) > 180 || math.Abs(float64(q2)-6000) > 180 {
		t.Errorf("calls per queue: Q1 %d (want about 3000), Q2 %d (want about 6000)", q1, q2)
	}
}

// loggedIn replays LoggedIn starts and ends and returns, at each time asked, how many
// agents were logged in.
func loggedIn(events []event.Event, at []time.Time) []int {
	out := make([]int, len(at))
	n, k := 0, 0
	for _, e := range events {
		for k < len(at) && event.TimeOf(at[k]) <= e.Time {
			out[k] = n
			k++
		}
		if e.Action == action.LoggedIn {
			if e.Phase == event.PhaseStart {
				n++
			} else {
				n--
			}
		}
	}
	for ; k < len(at); k++ {
		out[k] = n
	}
	return out
}

// Staffing follows the load late: with the factor between 0.5 and 1.5 and MinStaff 0.6,
// 60 % of the agents are logged in at the trough and all of them at the peak, each a lag
// after the factor got there (give or take the agents finishing a call or logging in
// within the half minute a login takes).
func TestLoadStaffingLags(t *testing.T) {
	start := sim.DefaultStart()
	step := time.Millisecond
	cfg := sim.Config{Seed: 5, Agents: 40, Queues: 2, Duration: 3 * time.Hour, LoginSpread: -1, BreaksPerHour: -1, LogoutFraction: -1,
		Load: sim.Load{
			Profile: []sim.LoadPoint{{0, 0.5}, {30*time.Minute - step, 0.5}, {30 * time.Minute, 1.5}, {60*time.Minute - step, 1.5}},
			Period:  time.Hour, Origin: start,
			MinStaff: 0.6, StaffLag: 10 * time.Minute,
		}}
	events := collect(t, cfg)
	var at []time.Time
	var want []int
	for cycle := range 3 {
		c := start.Add(time.Duration(cycle) * time.Hour)
		at = append(at,
			c.Add(25*time.Minute), // trough, staffed for it since 10 min: 24 agents
			c.Add(38*time.Minute), // the peak began 8 min ago; staffing has not followed yet
			c.Add(55*time.Minute), // peak, staffed for it since 40 min: all 40
			c.Add(68*time.Minute), // the next trough began 8 min ago: still all of them
		)
		want = append(want, 24, 24, 40, 40)
	}
	got := loggedIn(events, at)
	for i := range at {
		if got[i] != want[i] {
			t.Errorf("%s: %d agents logged in, want %d", at[i].Sub(start), got[i], want[i])
		}
	}
	// Agents log in and out again: every login after the first has its logout before it.
	logins := 0
	for _, e := range events {
		if e.Action == action.LoggedIn && e.Phase == event.PhaseStart {
			logins++
		}
	}
	if logins < 40+2*16 {
		t.Errorf("%d logins: the 16 flexible agents should log in again in each of the later cycles", logins)
	}
}

// The demo's load is deterministic for a seed and refused when malformed.
func TestDemoLoad(t *testing.T) {
	cfg := sim.Demo(sim.Config{Seed: 9, Agents: 30, Queues: 3, Duration: time.Hour})
	if !cfg.Load.Origin.Equal(sim.DefaultStart()) || cfg.PatienceMean != sim.DemoPatience {
		t.Fatalf("Demo: origin %v, patience %v", cfg.Load.Origin, cfg.PatienceMean)
	}
	a, b := encode(t, collect(t, cfg)), encode(t, collect(t, cfg))
	if !bytes.Equal(a, b) {
		t.Fatal("two demo runs with the same seed differ")
	}
	if one := sim.Demo(sim.Config{Queues: 1}); len(one.Load.QueueShare) != 1 {
		t.Errorf("a demo of one queue has queue shares %v", one.Load.QueueShare)
	} else if _, err := sim.New(one); err != nil {
		t.Errorf("a demo of one queue: %v", err)
	}
	own := sim.Demo(sim.Config{PatienceMean: time.Minute, Load: sim.Load{MinStaff: 0.5}})
	if own.PatienceMean != time.Minute || own.Load.MinStaff != 0.5 || len(own.Load.Profile) != 0 {
		t.Errorf("Demo overrode the config's own load or patience: %+v", own.Load)
	}
	for _, c := range []struct {
		load sim.Load
		want string
	}{
		{sim.Load{Profile: []sim.LoadPoint{{time.Hour, 1}}, Period: time.Hour}, "outside the period"},
		{sim.Load{Profile: []sim.LoadPoint{{2, 1}, {1, 1}}}, "does not follow"},
		{sim.Load{Profile: []sim.LoadPoint{{0, -1}}}, "factor must be"},
		{sim.Load{Profile: []sim.LoadPoint{{0, 0}}}, "no call would arrive"},
		{sim.Load{QueueShare: []float64{1, 1, 1}}, "3 given for 2 queues"},
		{sim.Load{MinStaff: 1.5}, "minimum staff"},
	} {
		_, err := sim.New(sim.Config{Queues: 2, Load: c.load})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("load %+v: error %v, want %q", c.load, err, c.want)
		}
	}
}
