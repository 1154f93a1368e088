package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/trend"
)

// Trends: the server keeps the recent values of the statistics a wallboard shows, in
// memory (package trend), so that a page that loads (or reloads) draws its sparklines
// from the last minutes instead of starting empty (GET /v1/trends), and it samples the
// engine's clock every second, so that the page's clock shows the engine time even when
// no value changes (GET /v1/clock).
//
// A recorder goroutine, started by Serve, subscribes like a stream client to the
// statistics trend.Tracked picks (those of the config's wallboards, else its numeric
// statistics) and feeds their frames to the trend.Recorder. It subscribes again when the
// config is reloaded.

// Trend limits of the server.
const (
	trendSample = time.Second // how often the engine clock is sampled
	trendMaxIDs = 2000        // the most statistics GET /v1/trends names
)

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
			s.trends.Record(got)
			clear(got)
			spare = got[:0]
		case <-dropped: // it stayed behind: start again from the current values
			sub = s.trendSubscribe(ctx, cfg)
		case <-tick.C:
			var now json.RawMessage
			if err := s.do(ctx, func(o *owner) { now = engineTimeJSON(o.eng) }); err == nil {
				s.trends.SetNow(now)
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
		for _, id := range trend.Tracked(cfg) {
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
	s.trends.Keep(ids)
	if serr != nil || sub == nil {
		if sub != nil {
			sub.gone.Store(true) // if the owner registered it, it removes it at its next flush
		}
		if serr != nil {
			s.log.Warn("trends: subscribing to the wallboards' statistics", "err", serr)
		}
		return nil
	}
	s.trends.Record(frames)
	return sub
}

// getTrends handles GET /v1/trends[?statistic=ID…]: the recent values of the statistics
// named (of every one kept when none is), over the last trend.Window of engine time. A
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
	s.writeJSON(w, http.StatusOK, s.trends.Doc(ids))
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
	now := s.trends.Now()
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
