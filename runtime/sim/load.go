package sim

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"time"
)

// Load makes the simulated center busy the way a real one is: the arrival rate follows a
// profile over time (peaks and troughs), each queue gets its own share of the calls, and
// staffing follows the load late, so a peak finds too few agents and a trough too many.
//
// Load is opt-in. With the zero Load the rate is constant and every agent logs in once,
// and the simulation gives exactly the events it gave before Load existed (benchmarks and
// tests with fixed configs rely on that).
type Load struct {
	// Profile is the arrival rate's factor over one cycle: points in increasing At order
	// (0 <= At < Period, factor >= 0), linear in between, and from the last point back to
	// the first across the cycle's end. Config.Rate is the rate at factor 1. Empty: the
	// factor is 1 at all times (QueueShare and staffing still apply).
	Profile []LoadPoint
	// Period is the length of a cycle (default 24h). Cycles start at Origin (default the
	// Unix epoch, so that a 24h profile follows the time of day in UTC; an origin at a
	// local midnight follows that zone's).
	Period time.Duration
	Origin time.Time
	// QueueShare weighs each queue's share of the calls: entry q for queue Q(q+1), a
	// missing entry (or 0) is 1. The shares multiply the split by agents serving each
	// queue and are then scaled so that the total rate stays Config.Rate: a queue with a
	// share of 1.5 gets half as many calls again as its agents would give it, at the
	// expense of the others, and falls behind when they are busy.
	QueueShare []float64
	// MinStaff, when positive, makes staffing follow the load: at the profile's lowest
	// factor that share of the agents is logged in, at its highest all of them, linear in
	// between, with the factor StaffLag earlier — the center reacts late, as a workforce
	// plan does. Agents log in and out in index order (the last ones are the first to go)
	// and finish their call before logging out. Checked every StaffStep (default 1m).
	MinStaff  float64
	StaffLag  time.Duration
	StaffStep time.Duration
}

// LoadPoint is a point of a load profile: at At into the cycle, the arrival rate is
// Factor times Config.Rate.
type LoadPoint struct {
	At     time.Duration
	Factor float64
}

// DefaultStaffStep is how often staffing is checked when Load.StaffStep is zero.
const DefaultStaffStep = time.Minute

// active reports whether l changes anything.
func (l *Load) active() bool {
	return len(l.Profile) > 0 || len(l.QueueShare) > 0 || l.MinStaff > 0
}

// withDefaults returns l with its zero fields set.
func (l Load) withDefaults() Load {
	if l.Period == 0 {
		l.Period = 24 * time.Hour
	}
	if l.StaffStep == 0 {
		l.StaffStep = DefaultStaffStep
	}
	return l
}

// validate reports what makes l unusable (after withDefaults).
func (l *Load) validate(queues int) error {
	var errs []error
	if l.Period <= 0 {
		errs = append(errs, fmt.Errorf("load period must be positive, not %s", l.Period))
	}
	for i, p := range l.Profile {
		switch {
		case p.At < 0 || p.At >= l.Period:
			errs = append(errs, fmt.Errorf("load profile point %d: at %s is outside the period [0, %s)", i, p.At, l.Period))
		case i > 0 && p.At <= l.Profile[i-1].At:
			errs = append(errs, fmt.Errorf("load profile point %d: at %s does not follow %s", i, p.At, l.Profile[i-1].At))
		}
		if p.Factor < 0 || math.IsNaN(p.Factor) || math.IsInf(p.Factor, 0) {
			errs = append(errs, fmt.Errorf("load profile point %d: factor must be a finite number >= 0, not %g", i, p.Factor))
		}
	}
	if len(l.Profile) > 0 && l.peak() <= 0 {
		errs = append(errs, errors.New("load profile: every factor is 0, no call would arrive"))
	}
	if len(l.QueueShare) > queues {
		errs = append(errs, fmt.Errorf("load queue shares: %d given for %d queues", len(l.QueueShare), queues))
	}
	for q, w := range l.QueueShare {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			errs = append(errs, fmt.Errorf("load queue share %d: must be a finite number >= 0, not %g", q, w))
		}
	}
	if l.MinStaff < 0 || l.MinStaff > 1 || math.IsNaN(l.MinStaff) {
		errs = append(errs, fmt.Errorf("load minimum staff must be a share between 0 and 1, not %g", l.MinStaff))
	}
	if l.StaffLag < 0 || l.StaffStep <= 0 {
		errs = append(errs, fmt.Errorf("load staff lag must not be negative (%s) and its step must be positive (%s)", l.StaffLag, l.StaffStep))
	}
	return errors.Join(errs...)
}

// share returns the weight of queue q.
func (l *Load) share(q int) float64 {
	if q < len(l.QueueShare) && l.QueueShare[q] > 0 {
		return l.QueueShare[q]
	}
	return 1
}

// peak returns the profile's highest factor (1 without a profile).
func (l *Load) peak() float64 {
	if len(l.Profile) == 0 {
		return 1
	}
	hi := 0.0
	for _, p := range l.Profile {
		hi = max(hi, p.Factor)
	}
	return hi
}

// trough returns the profile's lowest factor (1 without a profile).
func (l *Load) trough() float64 {
	if len(l.Profile) == 0 {
		return 1
	}
	lo := math.Inf(1)
	for _, p := range l.Profile {
		lo = min(lo, p.Factor)
	}
	return lo
}

// Factor returns the arrival rate's factor at t: the profile, linear between its points.
func (l Load) Factor(t time.Time) float64 {
	l = l.withDefaults()
	return l.factorAt(t.UnixMilli())
}

// factorAt is Factor at t milliseconds since the Unix epoch (withDefaults applied).
func (l *Load) factorAt(t int64) float64 {
	n := len(l.Profile)
	if n == 0 {
		return 1
	}
	period := l.Period.Milliseconds()
	off := (t - l.Origin.UnixMilli()) % period
	if off < 0 {
		off += period
	}
	// The point at or before off, and the one after it (wrapping around the cycle).
	i := n - 1
	for k, p := range l.Profile {
		if p.At.Milliseconds() > off {
			i = k - 1
			break
		}
	}
	var a, b LoadPoint
	var aAt, bAt int64
	if i < 0 { // before the first point: from the last one, a cycle earlier
		a, b = l.Profile[n-1], l.Profile[0]
		aAt, bAt = a.At.Milliseconds()-period, b.At.Milliseconds()
	} else {
		a = l.Profile[i]
		aAt = a.At.Milliseconds()
		if i+1 < n {
			b, bAt = l.Profile[i+1], l.Profile[i+1].At.Milliseconds()
		} else {
			b, bAt = l.Profile[0], l.Profile[0].At.Milliseconds()+period
		}
	}
	if bAt == aAt {
		return a.Factor
	}
	return a.Factor + (b.Factor-a.Factor)*float64(off-aAt)/float64(bAt-aAt)
}

// staffAt returns how many of agents should be logged in at t (milliseconds): MinStaff
// at the profile's trough, all at its peak, following the factor StaffLag earlier.
func (l *Load) staffAt(t int64, agents int) int {
	lo, hi := l.trough(), l.peak()
	share := 1.0
	if hi > lo {
		f := l.factorAt(t - l.StaffLag.Milliseconds())
		share = l.MinStaff + (1-l.MinStaff)*(f-lo)/(hi-lo)
	}
	return max(1, min(agents, int(math.Round(share*float64(agents)))))
}

// DemoLoad is the load of `statkit serve --demo`, so that every colour of a wallboard
// shows within minutes at real-time pace: a 20-minute cycle from start — calm for the
// first minutes (0.65 to 0.7 times the rate), a ramp to a peak of 1.35 times the rate
// from the 5th to the 11th minute, back to calm by the 14th — with staffing between
// 70 % and all of the agents, 3 minutes late; queue 2 gets 1.4 times the share its
// agents would give it, so it falls behind first. Over a cycle the service level of
// the last 15 minutes moves between about 60 and 100 %.
func DemoLoad(start time.Time) Load {
	return Load{
		Profile: []LoadPoint{
			{0, 0.65},
			{3 * time.Minute, 0.7},
			{5 * time.Minute, 1.35},
			{11 * time.Minute, 1.35},
			{14 * time.Minute, 0.65},
		},
		Period:     20 * time.Minute,
		Origin:     start,
		QueueShare: []float64{1, 1.4},
		MinStaff:   0.7,
		StaffLag:   3 * time.Minute,
	}
}

// DemoPatience is the callers' mean patience in the demo: two minutes, so that queues
// build up at a peak before callers give up.
const DemoPatience = 2 * time.Minute

// Demo returns c as `statkit serve --demo` runs it: its start defaulted, DemoLoad from
// that start and DemoPatience, unless c sets a load or a patience of its own.
func Demo(c Config) Config {
	if c.Start.IsZero() {
		c.Start = DefaultStart()
	}
	if !c.Load.active() {
		c.Load = DemoLoad(c.Start.Truncate(time.Millisecond))
		queues := cmp.Or(c.Queues, DefaultQueues)
		c.Load.QueueShare = c.Load.QueueShare[:min(len(c.Load.QueueShare), max(queues, 0))]
	}
	if c.PatienceMean == 0 {
		c.PatienceMean = DemoPatience
	}
	return c
}
