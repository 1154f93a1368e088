package server

import (
	"sync"
	"sync/atomic"
)

// subscriber is one stream client's queue. The owner goroutine offers notifications; the
// client's stream handler takes them. The queue coalesces: it holds at most one pending
// frame per statistic (a newer value replaces the older one in place), so its size is
// bounded by the number of statistics the client watches, and by limit — a subscriber
// whose pending set would grow past limit has stayed behind and is dropped. Offering never
// blocks: the owner only takes the subscriber's mutex for a map update and signals the
// 1-slot wake channel without waiting.
type subscriber struct {
	// ids is the set of statistics watched; nil means every open statistic, including
	// those opened later.
	ids   map[string]struct{}
	limit int

	mu      sync.Mutex
	pending map[string][]byte // statistic id → SSE frame of its latest value
	order   []string          // the ids in pending, in first-offered order

	wake    chan struct{} // 1 slot: "pending is not empty"
	dropped chan struct{} // closed by the owner when it drops the subscriber
	gone    atomic.Bool   // set by the stream handler when it ends
}

// newSubscriber returns a subscriber watching ids (nil: all statistics) with a pending
// bound of limit statistics.
func newSubscriber(ids map[string]struct{}, limit int) *subscriber {
	return &subscriber{
		ids:     ids,
		limit:   limit,
		pending: map[string][]byte{},
		wake:    make(chan struct{}, 1),
		dropped: make(chan struct{}),
	}
}

// wants reports whether the subscriber watches statistic id.
func (s *subscriber) wants(id string) bool {
	if s.ids == nil {
		return true
	}
	_, ok := s.ids[id]
	return ok
}

// offer queues frame as the latest notification of statistic id. It reports whether an
// older pending frame of id was replaced, and false in ok when the pending set is full
// (the caller then drops the subscriber). Called by the owner goroutine only.
func (s *subscriber) offer(id string, frame []byte) (coalesced, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.pending[id]; dup {
		s.pending[id] = frame
		return true, true
	}
	if len(s.pending) >= s.limit {
		return false, false
	}
	s.pending[id] = frame
	s.order = append(s.order, id)
	return false, true
}

// signal wakes the stream handler without blocking.
func (s *subscriber) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take appends the pending frames to dst in first-offered order and empties the queue.
func (s *subscriber) take(dst [][]byte) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.order {
		dst = append(dst, s.pending[id])
		delete(s.pending, id)
	}
	clear(s.order)
	s.order = s.order[:0]
	return dst
}

// size returns the number of pending frames.
func (s *subscriber) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// hub is the set of subscribers. It belongs to the owner goroutine: only the owner
// adds, offers to and removes subscribers, so it needs no lock.
type hub struct {
	subs []*subscriber
	m    *metrics
}

// add registers s.
func (h *hub) add(s *subscriber) { h.subs = append(h.subs, s) }

// publish offers the frame of statistic id to every subscriber that watches it.
// Subscribers that have gone are removed first; subscribers that overflow are dropped.
func (h *hub) publish(id string, frame []byte) {
	for _, s := range h.subs {
		if s.gone.Load() || !s.wants(id) {
			continue
		}
		coalesced, ok := s.offer(id, frame)
		switch {
		case !ok:
			h.drop(s)
		case coalesced:
			h.m.coalesced.Inc()
		}
	}
}

// flush wakes the subscribers with something pending and removes those that have gone
// or were dropped. Call it once after a round of publish.
func (h *hub) flush() {
	keep := h.subs[:0]
	for _, s := range h.subs {
		if s.gone.Load() {
			h.m.dropped.Add(float64(s.size()))
			continue
		}
		s.signal()
		keep = append(keep, s)
	}
	clear(h.subs[len(keep):])
	h.subs = keep
}

// drop marks s as dropped for staying behind: its handler sees the closed channel and
// ends the stream. The subscriber is removed from the hub at the next flush.
func (h *hub) drop(s *subscriber) {
	if s.gone.Swap(true) {
		return
	}
	close(s.dropped)
	h.m.subsDropped.Inc()
	h.m.dropped.Inc() // the notification that did not fit
}

// closeAll drops every subscriber's queue at shutdown (the handlers end on the server's
// closing channel).
func (h *hub) closeAll() {
	for _, s := range h.subs {
		s.gone.Store(true)
	}
	h.flush()
}
