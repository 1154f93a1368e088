package ingest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/statkit/statkit/runtime/event"
)

// MaxListed bounds the rejections and the late lines an Answer lists; their totals count
// the rest.
const MaxListed = 100

// MaxQuoted bounds the bytes of client input a rejection's reason quotes, all quoted
// strings together.
const MaxQuoted = 64

// maxReason bounds a reason's length in bytes, whatever it holds.
const maxReason = 256

// CodeFutureEvent is the rejection code of an event too far ahead of the wall clock at
// receipt (the server's --max-skew); it is decided before the batch is logged.
const CodeFutureEvent = "future_event"

// Answer is the answer to one batch: what was accepted, which lines were rejected and
// which were late, each list bounded by MaxListed with its total.
type Answer struct {
	// Accepted counts the batch's events sequenced for the engine: applied, or held by
	// the reorder window, late ones included; less those the engine rejected while the
	// batch was applied.
	Accepted int `json:"accepted"`
	// Rejected lists the first MaxListed rejected lines, in line order; never nil in JSON.
	Rejected []event.Rejection `json:"rejected"`
	// RejectedTotal counts every rejected line.
	RejectedTotal int `json:"rejectedTotal"`
	// Late lists the first MaxListed late lines, in line order; never nil in JSON.
	Late []Late `json:"late"`
	// LateTotal counts every late line.
	LateTotal int `json:"lateTotal"`
}

// Late is an event that came after the engine clock had passed its time: it was applied
// at the clock.
type Late struct {
	// Line is the event's line in its batch.
	Line int
	// By is how far before the clock the event's time was, in milliseconds.
	By int64
	// At is the engine time it was applied at.
	At event.Time
}

// lateJSON is the wire form of a Late.
type lateJSON struct {
	Line int `json:"line"`
	// LateBy is in seconds.
	LateBy float64 `json:"lateBy"`
	// AppliedAt is the engine time the event was applied at (RFC 3339).
	AppliedAt string `json:"appliedAt"`
}

// MarshalJSON writes {line, lateBy (seconds), appliedAt}.
func (l Late) MarshalJSON() ([]byte, error) {
	return json.Marshal(lateJSON{Line: l.Line, LateBy: float64(l.By) / 1000, AppliedAt: l.At.String()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Late) UnmarshalJSON(b []byte) error {
	var j lateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	at, err := event.ParseTime(j.AppliedAt)
	if err != nil {
		return err
	}
	*l = Late{Line: j.Line, By: int64(j.LateBy*1000 + 0.5), At: at}
	return nil
}

// Status is the HTTP status of the answer: 200 when an event was accepted, else 400.
func (a *Answer) Status() int {
	if a.Accepted > 0 {
		return http.StatusOK
	}
	return http.StatusBadRequest
}

// Normalize makes the lists non-nil, so that they are [] in JSON.
func (a *Answer) Normalize() {
	if a.Rejected == nil {
		a.Rejected = []event.Rejection{}
	}
	if a.Late == nil {
		a.Late = []Late{}
	}
}

// AddRejection counts r and lists it when it is among the first MaxListed lines (the
// list stays in line order; a line after the MaxListed-th listed is only counted). Its
// reason is clipped (ClipReason).
func (a *Answer) AddRejection(r event.Rejection) {
	a.RejectedTotal++
	a.Rejected = addByLine(a.Rejected, r, func(x event.Rejection) int { return x.Line }, func(x *event.Rejection) {
		x.Reason = ClipReason(x.Reason)
	})
}

// addLate counts l and lists it like AddRejection.
func (a *Answer) addLate(l Late) {
	a.LateTotal++
	a.Late = addByLine(a.Late, l, func(x Late) int { return x.Line }, nil)
}

// addByLine inserts v in list (sorted by line, stable) when the list has room or v comes
// before its last element (which then goes); fix, when given, finishes an inserted v.
func addByLine[T any](list []T, v T, line func(T) int, fix func(*T)) []T {
	n := len(list)
	if n >= MaxListed && line(list[n-1]) <= line(v) {
		return list
	}
	i := n
	for i > 0 && line(list[i-1]) > line(v) {
		i--
	}
	if fix != nil {
		fix(&v)
	}
	if n >= MaxListed {
		list = list[:n-1]
	}
	var zero T
	list = append(list, zero)
	copy(list[i+1:], list[i:])
	list[i] = v
	return list
}

// ClipReason bounds what reason quotes of client input: its Go-quoted strings (the
// decoder's and the engine's %q) together keep at most MaxQuoted bytes of content, each
// cut on a rune boundary and marked with "…", and the whole reason at most 256 bytes.
func ClipReason(reason string) string {
	if !strings.Contains(reason, `"`) && len(reason) <= maxReason {
		return reason
	}
	var b strings.Builder
	budget := MaxQuoted
	for {
		i := strings.IndexByte(reason, '"')
		if i < 0 {
			b.WriteString(reason)
			break
		}
		b.WriteString(reason[:i])
		q, err := strconv.QuotedPrefix(reason[i:])
		if err != nil { // an unpaired quote: keep the rest as it is (bounded below)
			b.WriteString(reason[i:])
			break
		}
		s, err := strconv.Unquote(q)
		if err != nil {
			b.WriteString(q)
		} else {
			if len(s) > budget {
				s = cut(s, budget) + "…"
			}
			budget -= min(len(s), budget)
			b.WriteString(strconv.Quote(s))
		}
		reason = reason[i+len(q):]
	}
	out := b.String()
	if len(out) > maxReason {
		out = cut(out, maxReason-len("…")) + "…"
	}
	return out
}

// cut returns s's first n bytes at most, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
