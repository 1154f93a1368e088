package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/runtime/expr"
)

// Limits on profile and range values.
const (
	maxSeconds       = 366 * 24 * 60 * 60 // longest duration anywhere: a (leap) year
	maxSlidingBucket = 10_000             // most buckets (window / step) of a Sliding profile
	maxSelection     = 100_000            // largest Selection count
	day              = 24 * time.Hour
)

// keys returns the config keys a profile of type p takes besides "type".
func (p ProfileType) keys() []string {
	switch p {
	case ProfileGrowing:
		return []string{"reset", "period", "timezone"}
	case ProfileSliding:
		return []string{"window", "step"}
	case ProfileSelection:
		return []string{"count"}
	}
	return nil
}

// parseProfileType returns the profile type named s, or ProfileNone.
func parseProfileType(s string) ProfileType {
	for p := ProfileGrowing; p <= ProfileSinceLogin; p++ {
		if p.String() == s {
			return p
		}
	}
	return ProfileNone
}

// DefaultProfile returns the built-in Default profile: Growing, reset at 00:00 UTC.
func DefaultProfile() *TimeProfile {
	return &TimeProfile{Name: DefaultProfileName, Type: ProfileGrowing, Resets: []time.Duration{0}, Location: time.UTC}
}

// timeProfiles reads the timeProfiles section and adds the built-in Default when the
// section does not define it.
func (l *loader) timeProfiles(n *yaml.Node) {
	for _, p := range pairs(n) {
		tp := l.timeProfile(p.key, p.val)
		l.cfg.TimeProfiles = append(l.cfg.TimeProfiles, tp)
		l.cfg.profiles[tp.Name] = tp
	}
	if _, ok := l.cfg.profiles[DefaultProfileName]; !ok {
		tp := DefaultProfile()
		l.cfg.TimeProfiles = append(l.cfg.TimeProfiles, tp)
		l.cfg.profiles[tp.Name] = tp
	}
}

// timeProfile reads one profile; key is its name node.
func (l *loader) timeProfile(key, n *yaml.Node) *TimeProfile {
	tp := &TimeProfile{Name: key.Value, Type: parseProfileType(text(value(n, "type")))}
	for _, p := range pairs(n) {
		if p.key.Value != "type" && !slices.Contains(tp.Type.keys(), p.key.Value) {
			l.errorf(p.key, "%s does not apply to %s profiles", p.key.Value, tp.Type)
		}
	}
	switch tp.Type {
	case ProfileGrowing:
		l.growing(tp, n)
	case ProfileSliding:
		l.sliding(tp, key, n)
	case ProfileSelection:
		count := value(n, "count")
		c, ok := l.integer(count, "count", 1, maxSelection)
		if count == nil {
			l.errorf(key, "Selection profile %q needs a count", tp.Name)
		}
		if ok {
			tp.Count = int(c)
		}
	}
	return tp
}

// growing reads a Growing profile: reset times (00:00 when neither they nor a period are
// given), an optional period and a time zone (UTC by default).
func (l *loader) growing(tp *TimeProfile, n *yaml.Node) {
	tp.Location = time.UTC
	if tz := value(n, "timezone"); tz != nil {
		tp.Location = l.location(tz)
	}
	resets := seen{}
	for _, r := range items(value(n, "reset")) {
		d, ok := parseClock(text(r))
		if !ok {
			l.errorf(r, "reset time %q is not HH:MM (00:00 to 23:59)", text(r))
			continue
		}
		if resets.first(l, "reset time", text(r), r) {
			tp.Resets = append(tp.Resets, d)
		}
	}
	slices.Sort(tp.Resets)
	if period := value(n, "period"); period != nil {
		if p, ok := l.integer(period, "period", 1, int64(day/time.Second)); ok {
			tp.Period = time.Duration(p) * time.Second
		}
	}
	if len(tp.Resets) == 0 {
		tp.Resets = []time.Duration{0}
	}
}

// location loads the IANA time zone named by n.
func (l *loader) location(n *yaml.Node) *time.Location {
	name := text(n)
	if name == "Local" {
		l.errorf(n, "timezone must be an IANA name such as Europe/Paris, not Local")
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		l.errorf(n, "unknown timezone %q (want an IANA name such as Europe/Paris)", name)
		return time.UTC
	}
	return loc
}

// sliding reads a Sliding profile: window and step in seconds, the window a multiple of
// the step and at most maxSlidingBucket steps long.
func (l *loader) sliding(tp *TimeProfile, key, n *yaml.Node) {
	wNode, sNode := value(n, "window"), value(n, "step")
	if wNode == nil || sNode == nil {
		l.errorf(key, "Sliding profile %q needs a window and a step", tp.Name)
	}
	w, wok := l.integer(wNode, "window", 1, maxSeconds)
	s, sok := l.integer(sNode, "step", 1, maxSeconds)
	if !wok || !sok {
		return
	}
	switch {
	case w%s != 0:
		l.errorf(wNode, "window %d is not a multiple of step %d", w, s)
	case w/s > maxSlidingBucket:
		l.errorf(wNode, "window %d / step %d is %d buckets; at most %d are allowed", w, s, w/s, maxSlidingBucket)
	}
	tp.Window, tp.Step = time.Duration(w)*time.Second, time.Duration(s)*time.Second
}

// integer reads a whole number in [lo, hi] from n (nil n: not ok, no error).
func (l *loader) integer(n *yaml.Node, what string, lo, hi int64) (int64, bool) {
	if n == nil {
		return 0, false
	}
	f, ok := number(n)
	switch {
	case !ok || f != math.Trunc(f):
		l.errorf(n, "%s must be a whole number", what)
	case f < float64(lo) || f > float64(hi):
		l.errorf(n, "%s must be between %d and %d, not %s", what, lo, hi, text(n))
	default:
		return int64(f), true
	}
	return 0, false
}

// parseClock parses "HH:MM" as an offset from midnight.
func parseClock(s string) (time.Duration, bool) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// timeRanges reads the timeRanges section.
func (l *loader) timeRanges(n *yaml.Node) {
	for _, p := range pairs(n) {
		tr, err := ParseTimeRange(p.key.Value, text(p.val))
		if err != nil {
			l.errorf(p.val, "time range %q: %v", p.key.Value, err)
			continue
		}
		l.cfg.TimeRanges = append(l.cfg.TimeRanges, tr)
		l.cfg.ranges[tr.Name] = tr
	}
}

// ParseTimeRange parses "lo-hi" (seconds, up to three decimals, 0 ≤ lo ≤ hi) into a
// TimeRange named name.
func ParseTimeRange(name, s string) (*TimeRange, error) {
	los, his, ok := strings.Cut(s, "-")
	if !ok {
		return nil, fmt.Errorf("%q is not lo-hi in seconds, e.g. 0-20", s)
	}
	lo, err := parseMillis(strings.TrimSpace(los))
	if err != nil {
		return nil, fmt.Errorf("lower bound: %w", err)
	}
	hi, err := parseMillis(strings.TrimSpace(his))
	if err != nil {
		return nil, fmt.Errorf("upper bound: %w", err)
	}
	if lo > hi {
		return nil, fmt.Errorf("lower bound %s is above upper bound %s", strings.TrimSpace(los), strings.TrimSpace(his))
	}
	return &TimeRange{Name: name, Lo: lo, Hi: hi}, nil
}

// parseMillis parses a non-negative decimal number of seconds with at most three decimals
// into milliseconds, exactly.
func parseMillis(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 3 || !digits(whole) || !digits(frac) || (strings.Contains(s, ".") && frac == "") {
		return 0, fmt.Errorf("%q is not a number of seconds with at most three decimals", s)
	}
	if len(whole) > 9 {
		return 0, fmt.Errorf("%s seconds is more than %d", s, maxSeconds)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "000")[:3], 10, 64)
	if w > maxSeconds || (w == maxSeconds && f > 0) {
		return 0, fmt.Errorf("%s seconds is more than %d", s, maxSeconds)
	}
	return w*1000 + f, nil
}

// digits reports whether s is only ASCII digits.
func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// filters reads the filters section, compiling each expression (unless NoCompile).
func (l *loader) filters(n *yaml.Node) {
	for _, p := range pairs(n) {
		f := &Filter{Name: p.key.Value, Expr: text(p.val)}
		if strings.TrimSpace(f.Expr) == "" {
			l.errorf(p.val, "filter %q is empty", f.Name)
		} else if !l.opts.NoCompile {
			if err := expr.CheckFilter(f.Expr); err != nil {
				l.errorf(p.val, "filter %q: %v", f.Name, err)
			}
		}
		l.cfg.Filters = append(l.cfg.Filters, f)
		l.cfg.filters[f.Name] = f
	}
}
