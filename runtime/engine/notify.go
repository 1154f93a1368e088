package engine

import (
	"cmp"
	"math"
	"slices"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// Notification is one value a statistic sends to its subscribers.
type Notification struct {
	Statistic string     // the statistic's id
	At        event.Time // event time of the value
	// From is, for a reset notification, the start of the interval it closes — the
	// previous reset, or the statistic's open when it opened since — so that the
	// notification is the value of [From, At). It is 0 for the other modes.
	From  event.Time
	Value Value
}

// Notifications: see the package documentation for the modes and when they send.
//
// A statistic's notification state is a note, by statistic slot; periodical, reset and
// Growing-reset checks are timers in a heap, fired by tick before the clock moves past
// them; changes-mode statistics to look at are flagged by touch (their inputs changed),
// by their timer, or every call (clock-dependent and structured ones).

// note is a statistic's notification state.
type note struct {
	seq       uint64     // open order, for deterministic ordering
	flagged   bool       // to look at in the next Notifications call
	sent      bool       // a value was sent
	last      float64    // the last value sent
	lastState *State     // the last structured value sent
	due       event.Time // the instant of the statistic's pending timer, maxTime when none
}

// timer kinds.
const (
	timerPeriodic uint8 = iota // periodical: send the value
	timerReset                 // reset: send the closing value
	timerCheck                 // changes: a Growing reset; look at the value
)

// timer is a pending timer of a statistic (at most one each).
type timer struct {
	due  event.Time
	seq  uint64
	si   int32
	kind uint8
}

// notifier is the notification state of an Engine.
type notifier struct {
	notifyOn bool
	// watching: changes-mode statistics are flagged as their inputs change, for
	// Notifications to look at. TimerNotifications alone turns notifications on without
	// it, so that a consumer of timer notifications pays nothing per update.
	watching bool
	nextDue  event.Time // the earliest timer, maxTime when none
	notes    []note     // by statistic slot
	seq      uint64
	queued   []Notification // timer notifications not yet drained
	flagged  []int32
	clocked  []int32 // changes-mode statistics whose value moves with the clock
	states   []int32 // changes-mode structured statistics
	timers   []timer // a min-heap by (due, seq)
	// durables counts durable starts and ends; statesAt is its value at the last drain.
	durables, statesAt uint64
}

// Notifications appends to dst the notifications since the previous call and returns
// it: first those of periodical and reset statistics whose instants the clock passed, then
// those of changes-mode statistics whose value moved enough, at the clock (see the
// package documentation). The first call turns notifications on and returns the
// changes-mode statistics' first values if the clock has started.
func (e *Engine) Notifications(dst []Notification) []Notification {
	dst = e.TimerNotifications(dst)
	if !e.watching {
		// Changes were not flagged so far (only timer notifications were asked): look
		// at every changes-mode statistic once; those whose value did not move since
		// the last one sent stay quiet.
		e.watching = true
		for _, si := range e.order {
			e.flag(si)
			if e.started && e.notes[si].due == maxTime {
				e.schedule(si, e.clock) // a changes-mode Growing check (schedule says)
			}
		}
	}
	if !e.started {
		return dst
	}
	for _, si := range e.clocked {
		e.flag(si)
	}
	if e.durables != e.statesAt {
		e.statesAt = e.durables
		for _, si := range e.states {
			e.flag(si)
		}
	}
	slices.SortFunc(e.flagged, func(a, b int32) int {
		return cmp.Compare(e.notes[a].seq, e.notes[b].seq)
	})
	for _, si := range e.flagged {
		n := &e.notes[si]
		if !n.flagged {
			continue // closed, or listed twice
		}
		n.flagged = false
		cfg := e.cfgs[si]
		v := e.value(si)
		if n.sent && !moved(n, v, cfg.Notification.Insensitivity) {
			continue
		}
		n.sent, n.last, n.lastState = true, noteNumber(v), v.State
		dst = append(dst, Notification{Statistic: cfg.ID, At: e.clock, Value: v})
	}
	e.flagged = e.flagged[:0]
	return dst
}

// TimerNotifications appends to dst the notifications of periodical and reset statistics
// whose instants the clock passed since the previous call, and returns it — the first
// part of what Notifications returns, without looking at the changes-mode statistics.
// It is for consumers that record intervals (history): evaluating every changed
// statistic after each batch would cost them most of the engine's time for values they
// ignore. The first call turns notifications on; changes-mode statistics are not
// followed until a call of Notifications, which then looks at each of them once.
func (e *Engine) TimerNotifications(dst []Notification) []Notification {
	if !e.notifyOn {
		e.notifyOn = true
		for _, si := range e.order {
			e.openNote(si)
		}
	}
	dst = append(dst, e.queued...)
	clear(e.queued)
	e.queued = e.queued[:0]
	return dst
}

// noteNumber is what a note keeps of a numeric value sent: its number, NaN when it is
// undefined.
func noteNumber(v Value) float64 {
	if !v.Defined() {
		return math.NaN()
	}
	return v.Number
}

// moved reports whether v differs enough from the last value sent. A value going from
// defined to undefined or back moves; two undefined values do not differ.
func moved(n *note, v Value, insensitivity float64) bool {
	if was, is := math.IsNaN(n.last), !v.Defined(); was || is {
		return was != is
	}
	if v.State != nil || n.lastState != nil {
		return !equalState(v.State, n.lastState)
	}
	d := math.Abs(v.Number - n.last)
	if insensitivity <= 0 {
		return d != 0
	}
	return d > insensitivity/100*math.Abs(n.last)
}

// openNote starts the notification state of statistic si.
func (e *Engine) openNote(si int32) {
	if int(si) >= len(e.notes) {
		e.notes = append(e.notes, make([]note, int(si)+1-len(e.notes))...)
	}
	e.seq++
	e.notes[si] = note{seq: e.seq, due: maxTime}
	s := &e.stats[si]
	if e.cfgs[si].Notification.Mode == config.NotifyChanges {
		if e.watching {
			e.flag(si)
		}
		switch {
		case s.cat.IsStructured():
			e.states = append(e.states, si)
		case clockDependent(s):
			e.clocked = append(e.clocked, si)
		}
	}
	if e.started {
		e.schedule(si, e.clock)
	}
}

// closeNote forgets the notification state of statistic si.
func (e *Engine) closeNote(si int32) {
	e.notes[si] = note{due: maxTime}
	e.clocked = removeInt32(e.clocked, si)
	e.states = removeInt32(e.states, si)
}

// flag marks changes-mode statistic si to be looked at.
func (e *Engine) flag(si int32) {
	n := &e.notes[si]
	if !n.flagged && e.cfgs[si].Notification.Mode == config.NotifyChanges {
		n.flagged = true
		e.flagged = append(e.flagged, si)
	}
}

// clockDependent reports whether s's value can change with the clock alone.
func clockDependent(s *stat) bool {
	if d, ok := clockDependentMore(s); ok {
		return d
	}
	switch s.cat {
	case category.CurrentTime, category.CurrentMaxTime, category.CurrentMinTime, category.CurrentAverageTime,
		category.CurrentContinuousTime, category.CurrentNumberInTimeRange, category.CurrentNumberInTimeRangePercentage,
		category.CurrentRelativeTimePercentage, category.TotalAdjustedTime, category.ElapsedTimePercentage,
		category.TotalNumberPerSecond, category.AverageOfCurrentNumber, category.AverageOfCurrentTime:
		return true
	}
	if s.cat.Kind() != category.KindHistorical || s.ext != nil && s.ext.prof == profSelection {
		return false
	}
	if s.ext != nil && s.ext.prof == profSliding {
		return true
	}
	switch s.cat {
	case category.TotalTime, category.AverageTime, category.RelativeTimePercentage:
		return s.kind != subjAction // an in-progress status adds its time
	}
	return false
}

// schedule sets statistic si's next timer after now, if its mode has one.
func (e *Engine) schedule(si int32, now event.Time) {
	s, cfg := &e.stats[si], e.cfgs[si]
	var due event.Time
	var kind uint8
	switch cfg.Notification.Mode {
	case config.NotifyPeriodical:
		p := cfg.Notification.Period.Milliseconds()
		if p <= 0 {
			return
		}
		due, kind = event.Time((floorDiv(int64(now), p)+1)*p), timerPeriodic
	case config.NotifyReset:
		if !e.growing(s) {
			return
		}
		_, due = e.wins[s.win].bounds(now)
		kind = timerReset
	case config.NotifyChanges:
		if !e.watching || !e.growing(s) || s.cat.Kind() != category.KindHistorical || clockDependent(s) {
			return
		}
		_, due = e.wins[s.win].bounds(now)
		kind = timerCheck
	default:
		return
	}
	if due == maxTime {
		return
	}
	n := &e.notes[si]
	n.due = due
	e.timers = append(e.timers, timer{due: due, seq: n.seq, si: si, kind: kind})
	up(e.timers, len(e.timers)-1)
	e.nextDue = e.timers[0].due
}

// growing reports whether s has a Growing profile.
func (e *Engine) growing(s *stat) bool {
	return s.ext == nil || s.ext.prof == profGrowing
}

// fire runs the timers due by t, each with the clock at its instant.
func (e *Engine) fire(t event.Time) {
	for len(e.timers) > 0 && e.timers[0].due <= t {
		tm := e.timers[0]
		last := len(e.timers) - 1
		e.timers[0] = e.timers[last]
		e.timers = e.timers[:last]
		down(e.timers, 0)
		n := &e.notes[tm.si]
		if n.seq != tm.seq || n.due != tm.due || !e.stats[tm.si].isOpen() {
			continue // closed (or reopened) since
		}
		e.clock = max(e.clock, tm.due)
		id := e.cfgs[tm.si].ID
		switch tm.kind {
		case timerPeriodic:
			e.queued = append(e.queued, Notification{Statistic: id, At: tm.due, Value: e.value(tm.si)})
		case timerReset:
			v, from := e.valueAt(tm.si, true) // the interval ending at tm.due
			e.queued = append(e.queued, Notification{Statistic: id, At: tm.due, From: from, Value: v})
		case timerCheck:
			e.flag(tm.si)
		}
		e.schedule(tm.si, tm.due)
	}
	e.nextDue = maxTime
	if len(e.timers) > 0 {
		e.nextDue = e.timers[0].due
	}
}

// less orders timers by instant, then open order.
func less(a, b *timer) bool {
	return a.due < b.due || a.due == b.due && a.seq < b.seq
}

func up(h []timer, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !less(&h[i], &h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func down(h []timer, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && less(&h[r], &h[l]) {
			c = r
		}
		if !less(&h[c], &h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}
