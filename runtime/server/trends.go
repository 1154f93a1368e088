package server

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// Trends: the server keeps the recent values of the statistics a wallboard shows, in
// memory, so that a page that loads (or reloads) draws its sparklines from the last
// minutes instead of starting empty (GET /v1/trends), and it samples the engine's clock
// every second, so that the page's clock shows the engine time even when no value
// changes (GET /v1/clock).
//
// A recorder goroutine, started by Serve, subscribes like a stream client to the
// statistics of the config's wallboards (without wallboards: the config's numeric
// statistics, at most trendMaxSeries), and keeps each one's changes over the last
// trendWindow of engine time, at most trendPoints of them, one per trendResolution (the
// last value of a resolution step wins: a sparkline of half an hour draws a step of 5 s
// narrower than a pixel). Memory is bounded by trendMaxSeries × trendPoints points of 16
// bytes (23 MB; a board of 100 values keeps at most 1.2 MB). It subscribes again when the
// config is reloaded. Nothing of it is durable: history (issue 16) keeps the intervals.

// Trend limits.
const (
	trendWindow     = time.Hour
	trendPoints     = 720
	trendResolution = event.Time(5000)
	trendMaxSeries  = 2000
	trendSample     = time.Second
	trendMaxIDs     = 2000
)

// trendPoint is one value at an engine time; V is NaN for an undefined value.
type trendPoint struct {
	T event.Time
	V float64
}

// trendRing is the recent values of one statistic, oldest first.
type trendRing struct {
	pts  [trendPoints]trendPoint
	head int // index of the oldest point
	n    int
}

// at returns the i-th point, oldest first.
func (r *trendRing) at(i int) *trendPoint { return &r.pts[(r.head+i)%trendPoints] }

// add records v at t. Within one resolution step the newer value wins (and a value back
// to the one before the step leaves no point); the oldest point goes when the ring is
// full. A time before the last point's is taken as the last point's: the series never
// goes back.
func (r *trendRing) add(t event.Time, v float64) {
	if r.n > 0 {
		last := r.at(r.n - 1)
		t = max(t, last.T)
		if t/trendResolution == last.T/trendResolution {
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
	if r.n == trendPoints {
		r.head = (r.head + 1) % trendPoints
		r.n--
	}
	*r.at(r.n) = trendPoint{t, v}
	r.n++
}

// same reports whether two values are the same, undefined ones included.
func same(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// since appends the points at or after from to dst, and the last point before from
// (the value the window starts with).
func (r *trendRing) since(dst []trendPoint, from event.Time) []trendPoint {
	start := 0
	for i := 0; i < r.n && r.at(i).T < from; i++ {
		start = i
	}
	for i := start; i < r.n; i++ {
		dst = append(dst, *r.at(i))
	}
	return dst
}

// trends is the recorder's state, shared with the handlers.
type trends struct {
	mu     sync.RWMutex
	series map[string]*trendRing
	now    json.RawMessage // the engine time last sampled (null before the clock starts)
}

// newTrends returns an empty recorder state.
func newTrends() *trends {
	return &trends{series: map[string]*trendRing{}, now: json.RawMessage("null")}
}

// tracked returns the statistics whose trends are kept for cfg: those its wallboards
// show, else its numeric statistics (at most trendMaxSeries).
func tracked(cfg *config.Config) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(st *config.Statistic) {
		if st != nil && !seen[st.ID] && len(ids) < trendMaxSeries {
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

// recordTrends runs the recorder until the server closes: it subscribes to the tracked
// statistics, records every value it is sent, samples the engine clock every
// trendSample and subscribes again after a config reload.
func (s *Server) recordTrends() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.closing
		cancel()
	}()
	tick := time.NewTicker(trendSample)
	defer tick.Stop()
	var (
		sub   *subscriber
		cfg   *config.Config
		spare [][]byte
	)
	defer func() {
		if sub != nil {
			sub.gone.Store(true)
		}
	}()
	for {
		if c := s.cfg.Load(); c != cfg {
			if sub != nil {
				sub.gone.Store(true)
			}
			cfg = c
			sub = s.trendSubscribe(ctx, cfg)
		}
		var wake <-chan struct{}
		var dropped <-chan struct{}
		if sub != nil {
			wake, dropped = sub.wake, sub.dropped
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
			got := sub.take(spare)
			s.trends.record(got)
			clear(got)
			spare = got[:0]
		case <-dropped: // it stayed behind: start again from the current values
			sub = s.trendSubscribe(ctx, cfg)
		case <-tick.C:
			var now json.RawMessage
			if err := s.do(ctx, func(o *owner) { now = engineTimeJSON(o.eng) }); err == nil {
				s.trends.mu.Lock()
				s.trends.now = now
				s.trends.mu.Unlock()
			}
		}
	}
}

// trendSubscribe subscribes to cfg's tracked statistics that are open, forgets the
// series of the others and records the current values; nil when none is open (or the
// server stops).
func (s *Server) trendSubscribe(ctx context.Context, cfg *config.Config) *subscriber {
	var (
		ids    []string
		sub    *subscriber
		frames [][]byte
		serr   error
	)
	err := s.do(ctx, func(o *owner) {
		open := map[string]bool{}
		for _, st := range o.statistics() {
			open[st.ID] = true
		}
		for _, id := range tracked(cfg) {
			if open[id] {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return
		}
		filter := make(map[string]struct{}, len(ids))
		for _, id := range ids {
			filter[id] = struct{}{}
		}
		sub = newSubscriber(filter, max(s.opts.SubscriberLimit, len(ids)))
		frames, serr = o.subscribe(sub, ids)
	})
	if err != nil {
		// The server is stopping (ctx ended, or the owner did): fn may still run, so
		// nothing it writes is read here.
		return nil
	}
	t := s.trends
	t.mu.Lock()
	keep := make(map[string]*trendRing, len(ids))
	for _, id := range ids {
		if r := t.series[id]; r != nil {
			keep[id] = r
		}
	}
	t.series = keep
	t.mu.Unlock()
	if serr != nil || sub == nil {
		if sub != nil {
			sub.gone.Store(true) // if the owner registered it, it removes it at its next flush
		}
		if serr != nil {
			s.log.Warn("trends: subscribing to the wallboards' statistics", "err", serr)
		}
		return nil
	}
	t.record(frames)
	return sub
}

// frameJSON is the data of a stream frame: a value, or a closed statistic (no value).
type frameJSON struct {
	Statistic string          `json:"statistic"`
	At        *string         `json:"at"`
	Value     json.RawMessage `json:"value"`
}

// record adds the values of stream frames to the series, and drops the series of
// statistics that were closed.
func (t *trends) record(frames [][]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var (
		lastAt []byte // the "at" text parsed last, and its time
		at     event.Time
	)
	for _, f := range frames {
		id, atText, value, ok := quickValueFrame(f)
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

// recordSlow is record for one frame that quickValueFrame does not read (a closed
// statistic, a value before the clock started, an id with escapes).
func (t *trends) recordSlow(f []byte) {
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
// trend) of statistic id at at.
func (t *trends) add(id []byte, at event.Time, value []byte) {
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
		r = &trendRing{}
		t.series[string(id)] = r
	}
	r.add(at, v)
}

// quickValueFrame reads a value frame as valueFrame builds it —
// `event: value\ndata: {"statistic":"ID","at":"AT","value":VALUE}\n\n` — whose id has no
// escape and whose time is a string: the id and the time without their quotes, and the
// value's JSON. ok is false for any other frame (record then decodes it as JSON).
func quickValueFrame(f []byte) (id, at, value []byte, ok bool) {
	const (
		head = "event: value\ndata: {\"statistic\":\""
		mid  = "\",\"at\":\""
		val  = "\",\"value\":"
		tail = "}\n\n"
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

// trendsDoc is the body of GET /v1/trends: per statistic its points as [t, v] pairs, t
// in milliseconds since the Unix epoch (0 for a value the statistic had before the engine
// clock started) and v null when undefined, oldest first, the first one the value the
// window starts with.
type trendsDoc struct {
	At     json.RawMessage `json:"at"`     // the engine time (null before the clock starts)
	Window float64         `json:"window"` // seconds of engine time kept
	Series []seriesJSON    `json:"series"`
}

// seriesJSON is one statistic's recent values.
type seriesJSON struct {
	Statistic string      `json:"statistic"`
	Points    []pointJSON `json:"points"`
}

// pointJSON encodes a point as [t, v].
type pointJSON trendPoint

// MarshalJSON writes [t, v], v null when undefined.
func (p pointJSON) MarshalJSON() ([]byte, error) {
	b := append([]byte{'['}, strconv.FormatInt(int64(p.T), 10)...)
	b = append(b, ',')
	if math.IsNaN(p.V) {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendFloat(b, p.V, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

// getTrends handles GET /v1/trends[?statistic=ID…]: the recent values of the statistics
// named (of every one kept when none is), over the last trendWindow of engine time. A
// statistic whose values are not kept has no points. Other parameters are refused.
func (s *Server) getTrends(w http.ResponseWriter, r *http.Request) {
	if !s.readMethod(w, r) {
		return
	}
	q := r.URL.Query()
	for k := range q {
		if k != "statistic" {
			s.writeError(w, http.StatusBadRequest, "unknown query parameter "+strconv.Quote(k)+" (GET /v1/trends takes statistic=ID, repeated)")
			return
		}
	}
	ids := q["statistic"]
	if len(ids) > trendMaxIDs {
		s.writeError(w, http.StatusBadRequest, "at most "+strconv.Itoa(trendMaxIDs)+" statistics per request")
		return
	}
	t := s.trends
	t.mu.RLock()
	doc := trendsDoc{At: t.now, Window: trendWindow.Seconds(), Series: []seriesJSON{}}
	if len(ids) == 0 {
		for id := range t.series {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	var from event.Time
	if now, err := strconv.Unquote(string(t.now)); err == nil {
		if at, err := event.ParseTime(now); err == nil {
			from = at - event.Time(trendWindow.Milliseconds())
		}
	}
	var pts []trendPoint
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		sj := seriesJSON{Statistic: id, Points: []pointJSON{}}
		if ring := t.series[id]; ring != nil {
			pts = ring.since(pts[:0], from)
			for _, p := range pts {
				sj.Points = append(sj.Points, pointJSON(p))
			}
		}
		doc.Series = append(doc.Series, sj)
	}
	t.mu.RUnlock()
	s.writeJSON(w, http.StatusOK, doc)
}

// getClock handles GET /v1/clock: {"at": the engine time}, sampled every second (null
// before the engine clock starts).
func (s *Server) getClock(w http.ResponseWriter, r *http.Request) {
	if !s.readMethod(w, r) {
		return
	}
	if len(r.URL.Query()) > 0 {
		s.writeError(w, http.StatusBadRequest, "GET /v1/clock takes no query parameters")
		return
	}
	s.trends.mu.RLock()
	now := s.trends.now
	s.trends.mu.RUnlock()
	s.writeJSON(w, http.StatusOK, struct {
		At json.RawMessage `json:"at"`
	}{now})
}

// readMethod lets GET and HEAD through and answers others with 405.
func (s *Server) readMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	s.writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+" (allowed: GET, HEAD)")
	return false
}
