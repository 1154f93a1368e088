// Package trend keeps, in memory, the recent values of the statistics a wallboard
// shows, so that a page that loads (or reloads) draws its sparklines from the last
// minutes instead of starting empty, and the engine time last sampled, for the page's
// clock.
//
// A Recorder is fed the Server-Sent Events frames of the server's value stream (Record):
// it reads the frames the notifier builds without decoding JSON (QuickValueFrame), and
// decodes any other frame. Each statistic's changes over the last Window of engine time
// are kept in a Ring, at most Points of them, one per Resolution (the last value of a
// resolution step wins: a sparkline of half an hour draws a step of 5 s narrower than a
// pixel). Memory is bounded by MaxSeries × Points points of 16 bytes (23 MB; a board of
// 100 values keeps at most 1.2 MB). Nothing of it is durable: history keeps the
// intervals. Which statistics are followed is Tracked's choice; runtime/server
// subscribes the recorder to them and serves its Doc at GET /v1/trends.
package trend

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// Limits of what is kept.
const (
	// Window is the span of engine time whose values are kept and served.
	Window = time.Hour
	// Points is the most points a statistic's Ring keeps.
	Points = 720
	// Resolution is a ring's step: one point per step, the newest value winning.
	Resolution = event.Time(5000)
	// MaxSeries is the most statistics Tracked returns and a Recorder keeps.
	MaxSeries = 2000
)

// Point is one value at an engine time; V is NaN for an undefined value. In JSON it is
// [t, v]: t in milliseconds since the Unix epoch, v null when undefined.
type Point struct {
	T event.Time
	V float64
}

// MarshalJSON writes [t, v], v null when undefined.
func (p Point) MarshalJSON() ([]byte, error) {
	b := append([]byte{'['}, strconv.FormatInt(int64(p.T), 10)...)
	b = append(b, ',')
	if math.IsNaN(p.V) {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendFloat(b, p.V, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

// Ring is the recent values of one statistic, oldest first; the zero Ring is empty.
type Ring struct {
	pts  [Points]Point
	head int // index of the oldest point
	n    int
}

// at returns the i-th point, oldest first.
func (r *Ring) at(i int) *Point { return &r.pts[(r.head+i)%Points] }

// Len returns how many points r holds.
func (r *Ring) Len() int { return r.n }

// Add records v at t. Within one resolution step the newer value wins (and a value back
// to the one before the step leaves no point); the oldest point goes when the ring is
// full. A time before the last point's is taken as the last point's: the series never
// goes back.
func (r *Ring) Add(t event.Time, v float64) {
	if r.n > 0 {
		last := r.at(r.n - 1)
		t = max(t, last.T)
		if t/Resolution == last.T/Resolution {
			last.V = v
			if r.n > 1 && same(r.at(r.n-2).V, v) {
				r.n--
			}
			return
		}
		if same(last.V, v) {
			return
		}
	}
	if r.n == Points {
		r.head = (r.head + 1) % Points
		r.n--
	}
	*r.at(r.n) = Point{t, v}
	r.n++
}

// same reports whether two values are the same, undefined ones included.
func same(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// Since appends the points at or after from to dst, and the last point before from
// (the value the window starts with).
func (r *Ring) Since(dst []Point, from event.Time) []Point {
	start := 0
	for i := 0; i < r.n && r.at(i).T < from; i++ {
		start = i
	}
	for i := start; i < r.n; i++ {
		dst = append(dst, *r.at(i))
	}
	return dst
}

// Recorder is the recent values of the statistics followed, by id, and the engine time
// last sampled. It is safe for concurrent use.
type Recorder struct {
	mu     sync.RWMutex
	series map[string]*Ring
	now    json.RawMessage // the engine time last sampled (null before the clock starts)
}

// NewRecorder returns an empty recorder whose clock has not started.
func NewRecorder() *Recorder {
	return &Recorder{series: map[string]*Ring{}, now: json.RawMessage("null")}
}

// SetNow records the engine time sampled: its JSON, a string, or null before the
// engine clock starts.
func (t *Recorder) SetNow(now json.RawMessage) {
	t.mu.Lock()
	t.now = now
	t.mu.Unlock()
}

// Now returns the engine time last sampled, as SetNow was given it (null before).
func (t *Recorder) Now() json.RawMessage {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.now
}

// Keep forgets the series of every statistic that is not in ids.
func (t *Recorder) Keep(ids []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	keep := make(map[string]*Ring, len(ids))
	for _, id := range ids {
		if r := t.series[id]; r != nil {
			keep[id] = r
		}
	}
	t.series = keep
}

// Tracked returns the statistics whose trends are kept for cfg: those its wallboards
// show, else its numeric statistics (at most MaxSeries).
func Tracked(cfg *config.Config) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(st *config.Statistic) {
		if st != nil && !seen[st.ID] && len(ids) < MaxSeries {
			seen[st.ID] = true
			ids = append(ids, st.ID)
		}
	}
	addTile := func(t *config.Tile) {
		if t != nil {
			add(t.Statistic)
			add(t.Of)
		}
	}
	for _, wb := range cfg.Wallboards {
		for _, t := range wb.Headline {
			addTile(t)
		}
		for _, sec := range wb.Sections {
			for _, r := range sec.Rows {
				for _, c := range r.Cells {
					addTile(c)
				}
			}
		}
	}
	if len(cfg.Wallboards) == 0 {
		for _, st := range cfg.Statistics {
			if st.StatType != nil && st.StatType.Category.Unit() != category.UnitStructured {
				add(st)
			}
		}
	}
	return ids
}

// frameJSON is the data of a stream frame: a value, or a closed statistic (no value).
type frameJSON struct {
	Statistic string          `json:"statistic"`
	At        *string         `json:"at"`
	Value     json.RawMessage `json:"value"`
}

// Record adds the values of stream frames ("event: value" with data {statistic, at,
// value}) to the series, and drops the series of statistics that were closed ("event:
// closed"). Other frames, structured values, frames it cannot read and statistics beyond
// the first MaxSeries kept are ignored.
func (t *Recorder) Record(frames [][]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var (
		lastAt []byte // the "at" text parsed last, and its time
		at     event.Time
	)
	for _, f := range frames {
		id, atText, value, ok := QuickValueFrame(f)
		if ok {
			if !bytes.Equal(atText, lastAt) {
				var err error
				if at, err = event.ParseTime(string(atText)); err != nil {
					continue
				}
				lastAt = atText
			}
			t.add(id, at, value)
			continue
		}
		t.recordSlow(f)
	}
}

// recordSlow is Record for one frame that QuickValueFrame does not read (a closed
// statistic, a value before the clock started, an id with escapes).
func (t *Recorder) recordSlow(f []byte) {
	name, data, ok := parseFrame(f)
	if !ok {
		return
	}
	var fr frameJSON
	if err := json.Unmarshal(data, &fr); err != nil {
		return
	}
	if name == "closed" {
		delete(t.series, fr.Statistic)
		return
	}
	if name != "value" {
		return
	}
	var at event.Time // before the clock started: since no known time (0)
	if fr.At != nil {
		var err error
		if at, err = event.ParseTime(*fr.At); err != nil {
			return
		}
	}
	t.add([]byte(fr.Statistic), at, fr.Value)
}

// add records value (JSON: a number, null for undefined; a structured value is not a
// trend) of statistic id at at; a statistic beyond the first MaxSeries kept is not.
func (t *Recorder) add(id []byte, at event.Time, value []byte) {
	var v float64
	if bytes.Equal(value, []byte("null")) {
		v = math.NaN()
	} else if f, err := strconv.ParseFloat(string(value), 64); err == nil {
		v = f
	} else {
		return
	}
	r := t.series[string(id)]
	if r == nil {
		if len(t.series) >= MaxSeries {
			return // the bound on memory holds whatever the frames name
		}
		r = &Ring{}
		t.series[string(id)] = r
	}
	r.Add(at, v)
}

// QuickValueFrame reads a value frame as the server's notifier builds it —
// `event: value\ndata: {"statistic":"ID","at":"AT","value":VALUE}\n\n`, an undefined
// VALUE followed by its reason (`null,"reason":"…"`) — whose id has no escape and whose
// time is a string: the id and the time without their quotes, and the value's JSON
// (null for an undefined one, without the reason), all sub-slices of f (nothing is
// allocated). ok is false for any other frame (Record then decodes it as JSON).
func QuickValueFrame(f []byte) (id, at, value []byte, ok bool) {
	const (
		head   = "event: value\ndata: {\"statistic\":\""
		mid    = "\",\"at\":\""
		val    = "\",\"value\":"
		tail   = "}\n\n"
		reason = `null,"reason":"` // an undefined value, and the start of its reason
	)
	rest, ok := bytes.CutPrefix(f, []byte(head))
	if !ok {
		return nil, nil, nil, false
	}
	id, rest, ok = bytes.Cut(rest, []byte(mid))
	if !ok || bytes.IndexByte(id, '\\') >= 0 || bytes.IndexByte(id, '"') >= 0 {
		return nil, nil, nil, false
	}
	at, rest, ok = bytes.Cut(rest, []byte(val))
	if !ok || bytes.IndexByte(at, '"') >= 0 || bytes.IndexByte(at, '\\') >= 0 {
		return nil, nil, nil, false
	}
	value, ok = bytes.CutSuffix(rest, []byte(tail))
	if bytes.HasPrefix(value, []byte(reason)) {
		value = value[:len("null")]
	}
	return id, at, value, ok
}

// parseFrame splits an SSE frame "event: NAME\ndata: DATA\n\n" into its name and data.
func parseFrame(f []byte) (name string, data []byte, ok bool) {
	head, rest, ok := bytes.Cut(f, []byte("\n"))
	if !ok || !bytes.HasPrefix(head, []byte("event: ")) || !bytes.HasPrefix(rest, []byte("data: ")) {
		return "", nil, false
	}
	data, _, _ = bytes.Cut(rest[len("data: "):], []byte("\n"))
	return string(head[len("event: "):]), data, true
}

// Doc is the body of GET /v1/trends: per statistic its points, oldest first, the first
// one the value the window starts with (t 0 for a value the statistic had before the
// engine clock started).
type Doc struct {
	At     json.RawMessage `json:"at"`     // the engine time (null before the clock starts)
	Window float64         `json:"window"` // seconds of engine time kept
	Series []Series        `json:"series"`
}

// Series is one statistic's recent values.
type Series struct {
	Statistic string  `json:"statistic"`
	Points    []Point `json:"points"`
}

// Doc returns the recent values of the statistics ids (of every one kept, by id, when
// ids is empty; an id named twice is answered once), over the last Window of engine time
// before the time last sampled. A statistic whose values are not kept has no points.
func (t *Recorder) Doc(ids []string) Doc {
	t.mu.RLock()
	defer t.mu.RUnlock()
	doc := Doc{At: t.now, Window: Window.Seconds(), Series: []Series{}}
	if len(ids) == 0 {
		for id := range t.series {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	var from event.Time
	if now, err := strconv.Unquote(string(t.now)); err == nil {
		if at, err := event.ParseTime(now); err == nil {
			from = at - event.Time(Window.Milliseconds())
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		sj := Series{Statistic: id, Points: []Point{}}
		if ring := t.series[id]; ring != nil {
			sj.Points = ring.Since(sj.Points, from)
		}
		doc.Series = append(doc.Series, sj)
	}
	return doc
}
