package server

import (
	"errors"
	"net/http"
	"os"
	"time"
)

// heartbeatFrame is the SSE comment written when nothing else was for a while, so that
// proxies keep the connection and clients notice a dead one.
var heartbeatFrame = []byte(": heartbeat\n\n")

// stream handles GET /v1/stream[?statistic=ID…]: Server-Sent Events with the values of
// the chosen statistics (every open one, including those opened later, when none is
// named; ids repeat the parameter or are separated by commas). It starts with each
// statistic's current value, then sends `event: value` / `data: {statistic, at, value}`
// (and reason, when the value is undefined) whenever one changes, `event: closed` /
// `data: {statistic, at}` when one is closed, and a comment line every Heartbeat. An
// unknown id is answered with 404 before streaming. Values coalesce per statistic while
// a client is behind, so a client sees the newest value, not every intermediate one (and
// may see a value repeat when the ones between were coalesced away).
//
// The handler owns its connection: it waits on the subscriber's wake channel, takes the
// pending frames and writes them with a write deadline. A write that fails or misses the
// deadline ends the stream and counts the subscriber as dropped; so does the owner
// finding the subscriber's queue over its bound. The stream also ends when the client
// goes or the server shuts down.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	ids, ok := s.statisticParam(w, r)
	if !ok {
		return
	}
	var filter map[string]struct{}
	if ids != nil {
		filter = make(map[string]struct{}, len(ids))
		for _, id := range ids {
			filter[id] = struct{}{}
		}
	}
	sub := newSubscriber(filter, s.opts.SubscriberLimit)
	var (
		frames [][]byte
		err    error
	)
	if oerr := s.do(r.Context(), func(o *owner) { frames, err = o.subscribe(sub, ids) }); oerr != nil {
		sub.gone.Store(true) // if the owner registers it anyway, it removes it at once
		s.ownerError(w, oerr)
		return
	}
	if err != nil {
		s.statisticsError(w, err) // 404 naming the unknown ids, with the nearest open ones
		return
	}
	defer sub.gone.Store(true)
	s.m.subscribers.Inc()
	defer s.m.subscribers.Dec()

	rc := http.NewResponseController(w)
	// The server's ReadTimeout would end a long stream (its background read times out and
	// cancels the request): streams read nothing more, so they lift the read deadline.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell proxies not to buffer
	w.WriteHeader(http.StatusOK)
	var out []byte // writeFrames' buffer
	if !s.writeFrames(r, w, rc, sub, frames, &out) {
		return
	}
	clear(frames)
	spare := frames[:0] // take's queue, swapped with the subscriber's at each take
	heartbeat := time.NewTicker(s.opts.Heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-sub.wake:
			got := sub.take(spare)
			if !s.writeFrames(r, w, rc, sub, got, &out) {
				return
			}
			clear(got)
			spare = got[:0]
		case <-heartbeat.C:
			if !s.writeFrames(r, w, rc, sub, [][]byte{heartbeatFrame}, &out) {
				return
			}
		case <-sub.dropped:
			s.log.Warn("stream subscriber dropped: its queue stayed full", "remote", r.RemoteAddr)
			return
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
}

// writeFrames writes frames and flushes them under one write deadline, and reports
// whether they were written; on failure the stream ends (see writeFailed). The frames
// are concatenated in *out and written together (in pieces of about maxWrite bytes when
// there are many), so that a wake-up costs one write through the response's layers.
func (s *Server) writeFrames(r *http.Request, w http.ResponseWriter, rc *http.ResponseController, sub *subscriber, frames [][]byte, out *[]byte) bool {
	if len(frames) == 0 {
		return true
	}
	if err := rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return false
	}
	n := 0
	for _, f := range frames {
		if f[0] != ':' {
			n++
		}
	}
	b := (*out)[:0]
	for i, f := range frames {
		b = append(b, f...)
		if len(b) < maxWrite && i < len(frames)-1 {
			continue
		}
		if _, err := w.Write(b); err != nil {
			return s.writeFailed(r, sub, err, n)
		}
		b = b[:0]
	}
	*out = b
	if err := rc.Flush(); err != nil {
		return s.writeFailed(r, sub, err, n)
	}
	s.m.sent.Add(float64(n))
	return true
}

// maxWrite is the size from which writeFrames writes what it has gathered.
const maxWrite = 32 << 10

// writeFailed ends a stream whose write failed. A write that missed its deadline drops
// the subscriber for staying behind (counted); any other failure means the client went
// away. A subscriber the owner dropped already is not counted again.
func (s *Server) writeFailed(r *http.Request, sub *subscriber, err error, unsent int) bool {
	s.m.dropped.Add(float64(unsent))
	if sub.gone.Swap(true) || !errors.Is(err, os.ErrDeadlineExceeded) {
		s.log.Debug("stream ended", "remote", r.RemoteAddr, "err", err)
		return false
	}
	s.m.subsDropped.Inc()
	s.log.Warn("stream subscriber dropped: a write missed its deadline", "remote", r.RemoteAddr, "err", err)
	return false
}
