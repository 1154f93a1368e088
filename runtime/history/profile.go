package history

import (
	"math"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// The intervals of a report and the end of the interval a replay closes at the end of
// its input are the engine's (engine.Intervals); the recorder takes an interval's start
// from its notification (Notification.From). TestIntervalsMatchEngine checks the two
// agree across daylight-saving changes.

// IntervalEnd returns the end of the interval of profile p that contains t (the next
// reset after t), and whether there is one.
func IntervalEnd(p *config.TimeProfile, t time.Time) (time.Time, bool) {
	_, end, ok := engine.NewIntervals(p).Bounds(event.TimeOf(t))
	if !ok {
		return time.Time{}, false
	}
	return end.Std(), true
}

// Intervals returns the intervals of profile p that end in (from, to], as [start, end)
// pairs in time order: the slots of an interval report.
func Intervals(p *config.TimeProfile, from, to time.Time) [][2]time.Time {
	iv := engine.NewIntervals(p)
	var out [][2]time.Time
	t := event.TimeOf(from)
	end := event.TimeOf(to)
	for {
		s, e, ok := iv.Bounds(t)
		if !ok || e > end {
			return out
		}
		if s != math.MinInt64 {
			out = append(out, [2]time.Time{s.Std(), e.Std()})
		}
		t = e
	}
}
