package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
)

// How `replay --format table` shows a value: a time as h:mm:ss, a current state in one
// line, an undefined value as "–"; other numbers as in JSON.

// tableValue formats v, of a statistic whose category has unit, read at instant at
// (nil: at no time).
func tableValue(v engine.Value, unit category.Unit, at *event.Time) string {
	if v.State != nil {
		return stateText(v.State, at)
	}
	text := v.String()
	switch {
	case text == "null":
		return "–"
	case unit == category.UnitSeconds:
		return hms(v.Number)
	}
	return text
}

// hms formats seconds as h:mm:ss, with the fraction of a second when there is one (to the
// millisecond): 3723 → 1:02:03, 12.4 → 0:00:12.4; hours go past 24.
func hms(seconds float64) string {
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) {
		return strconv.FormatFloat(seconds, 'f', -1, 64)
	}
	sign := ""
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	ms := int64(math.Round(seconds * 1000))
	s := ms / 1000
	text := fmt.Sprintf("%s%d:%02d:%02d", sign, s/3600, s/60%60, s%60)
	if frac := ms % 1000; frac != 0 {
		text += strings.TrimRight(fmt.Sprintf(".%03d", frac), "0")
	}
	return text
}

// stateText is a CurrentState in one line: the status, since when and for how long (at
// the instant read), the reason, and the children's statuses counted:
//
//	CallInbound since 09:00:03.25 (0:04:56.75), reason Lunch; 1 child: 1 CallInbound
func stateText(s *engine.State, at *event.Time) string {
	var b strings.Builder
	b.WriteString(statusName(s.Status))
	if s.Since != 0 {
		b.WriteString(" since " + clockText(s.Since, at))
		if at != nil && *at >= s.Since {
			b.WriteString(" (" + hms(float64(*at-s.Since)/1000) + ")")
		}
	}
	if s.Reason != "" {
		b.WriteString(", reason " + s.Reason)
	}
	if n := len(s.Children); n > 0 {
		counts := map[string]int{}
		for _, c := range s.Children {
			counts[statusName(c.Status)]++
		}
		names := make([]string, 0, len(counts))
		for name := range counts {
			names = append(names, name)
		}
		sort.Slice(names, func(i, j int) bool {
			if counts[names[i]] != counts[names[j]] {
				return counts[names[i]] > counts[names[j]]
			}
			return names[i] < names[j]
		})
		parts := make([]string, len(names))
		for i, name := range names {
			parts[i] = fmt.Sprintf("%d %s", counts[name], name)
		}
		noun := "children"
		if n == 1 {
			noun = "child"
		}
		fmt.Fprintf(&b, "; %d %s: %s", n, noun, strings.Join(parts, ", "))
	}
	return b.String()
}

// statusName is a status action's name, "none" when no status action is in progress.
func statusName(a action.ID) string {
	if n := a.Name(); n != "" {
		return n
	}
	return "none"
}

// clockText is t's time of day in UTC when it falls on the day of at, else its date and
// time; milliseconds only when there are some.
func clockText(t event.Time, at *event.Time) string {
	std := t.Std()
	layout := "15:04:05.999"
	if at == nil || at.Std().Format(time.DateOnly) != std.Format(time.DateOnly) {
		layout = "2006-01-02 15:04:05.999"
	}
	return std.Format(layout)
}
