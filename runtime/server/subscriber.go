package server

import (
	"slices"
	"sync"
	"sync/atomic"
)

// subscriber is one stream client's queue. The owner goroutine offers notifications; the
// client's stream handler takes them. The queue coalesces: it holds at most one pending
// frame per statistic (a newer value replaces the older one in place), so its size is
// bounded by the number of statistics the client watches, and by limit — a subscriber
// whose pending set would grow past limit has stayed behind and is dropped. Offering never
// blocks: the owner only takes the subscriber's mutex to put a frame in the queue and
// signals the 1-slot wake channel without waiting.
//
// The queue is a slice of frames in first-offered order. To find a statistic's pending
// frame, a subscriber that names its statistics has one slot per statistic (the hub's
// index gives it), and one that watches every statistic a map by id, emptied at each take.
type subscriber struct {
	// ids is the set of statistics watched; nil means every open statistic, including
	// those opened later.
	ids   map[string]struct{}
	limit int

	mu    sync.Mutex
	queue [][]byte // the pending frames, in first-offered order
	// pos is, per slot (subscribers that name their statistics), 1 + the index in queue
	// of the slot's pending frame, 0 when none; queued lists the slots in queue.
	pos    []int32
	queued []int32
	// index is, for a subscriber of every statistic, the index in queue of each pending
	// statistic's frame.
	index map[string]int

	wake    chan struct{} // 1 slot: "pending is not empty"
	dropped chan struct{} // closed by the owner when it drops the subscriber
	gone    atomic.Bool   // set by the stream handler when it ends

	// ready is set while the subscriber is in the hub's ready list (owner only).
	ready bool
}

// newSubscriber returns a subscriber watching ids (nil: all statistics) with a pending
// bound of limit statistics.
func newSubscriber(ids map[string]struct{}, limit int) *subscriber {
	s := &subscriber{
		ids:     ids,
		limit:   limit,
		wake:    make(chan struct{}, 1),
		dropped: make(chan struct{}),
	}
	if ids == nil {
		s.index = map[string]int{}
	} else {
		s.pos = make([]int32, len(ids))
	}
	return s
}

// offer queues frame as the latest notification of statistic id, whose slot is slot
// (-1 for a subscriber of every statistic). It reports whether an older pending frame of
// id was replaced, and false in ok when the pending set is full (the caller then drops
// the subscriber). Called by the owner goroutine only.
func (s *subscriber) offer(id string, slot int, frame []byte) (coalesced, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slot >= 0 {
		if p := s.pos[slot]; p > 0 {
			s.queue[p-1] = frame
			return true, true
		}
	} else if i, dup := s.index[id]; dup {
		s.queue[i] = frame
		return true, true
	}
	if len(s.queue) >= s.limit {
		return false, false
	}
	s.queue = append(s.queue, frame)
	if slot >= 0 {
		s.pos[slot] = int32(len(s.queue))
		s.queued = append(s.queued, int32(slot))
	} else {
		s.index[id] = len(s.queue) - 1
	}
	return false, true
}

// signal wakes the stream handler without blocking.
func (s *subscriber) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns the pending frames in first-offered order and empties the queue, which
// goes on in spare (the slice take returned last time, emptied; nil at first).
func (s *subscriber) take(spare [][]byte) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.queue
	s.queue = spare[:0]
	for _, slot := range s.queued {
		s.pos[slot] = 0
	}
	s.queued = s.queued[:0]
	clear(s.index)
	return out
}

// size returns the number of pending frames.
func (s *subscriber) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// hub is the set of subscribers. It belongs to the owner goroutine: only the owner
// adds, offers to and removes subscribers, so it needs no lock.
//
// Publishing a statistic costs one offer per subscriber that watches it, not one test
// per subscriber: the subscribers are indexed by the statistics they name (byStat), and
// those that watch every statistic are listed apart (all). Waking costs one signal per
// subscriber that was offered something since the last flush (ready).
type hub struct {
	subs   []*subscriber      // every registered subscriber, in registration order
	all    []*subscriber      // those watching every statistic
	byStat map[string][]watch // statistic id → the subscribers that named it
	ready  []*subscriber      // offered something since the last flush
	m      *metrics
}

// watch is a subscriber that named a statistic, and the statistic's slot in it.
type watch struct {
	s    *subscriber
	slot int
}

// add registers s.
func (h *hub) add(s *subscriber) {
	h.subs = append(h.subs, s)
	if s.ids == nil {
		h.all = append(h.all, s)
		return
	}
	if h.byStat == nil {
		h.byStat = map[string][]watch{}
	}
	slot := 0
	for id := range s.ids {
		h.byStat[id] = append(h.byStat[id], watch{s, slot})
		slot++
	}
}

// watched reports whether a subscriber watches statistic id (one that has gone may
// still count until the next flush).
func (h *hub) watched(id string) bool {
	return len(h.all) > 0 || len(h.byStat[id]) > 0
}

// publish offers the frame of statistic id to every subscriber that watches it.
// Subscribers that have gone are skipped (flush removes them); subscribers that
// overflow are dropped.
func (h *hub) publish(id string, frame []byte) {
	for _, s := range h.all {
		h.offer(s, id, -1, frame)
	}
	for _, w := range h.byStat[id] {
		h.offer(w.s, id, w.slot, frame)
	}
}

// offer offers frame to s, of which slot is statistic id's slot.
func (h *hub) offer(s *subscriber, id string, slot int, frame []byte) {
	if s.gone.Load() {
		return
	}
	coalesced, ok := s.offer(id, slot, frame)
	switch {
	case !ok:
		h.drop(s)
		return
	case coalesced:
		h.m.coalesced.Inc()
	}
	if !s.ready {
		s.ready = true
		h.ready = append(h.ready, s)
	}
}

// flush wakes the subscribers that were offered something and removes those that have
// gone or were dropped. Call it once after a round of publish.
func (h *hub) flush() {
	for _, s := range h.ready {
		s.ready = false
		if !s.gone.Load() {
			s.signal()
		}
	}
	clear(h.ready)
	h.ready = h.ready[:0]

	keep := h.subs[:0]
	var gone []*subscriber
	for _, s := range h.subs {
		if s.gone.Load() {
			h.m.dropped.Add(float64(s.size()))
			gone = append(gone, s)
			continue
		}
		keep = append(keep, s)
	}
	clear(h.subs[len(keep):])
	h.subs = keep
	for _, s := range gone {
		h.unindex(s)
	}
}

// unindex removes s, which has gone, from all or byStat.
func (h *hub) unindex(s *subscriber) {
	is := func(x *subscriber) bool { return x == s }
	if s.ids == nil {
		h.all = slices.DeleteFunc(h.all, is)
		return
	}
	isWatch := func(w watch) bool { return w.s == s }
	for id := range s.ids {
		if subs := slices.DeleteFunc(h.byStat[id], isWatch); len(subs) > 0 {
			h.byStat[id] = subs
		} else {
			delete(h.byStat, id)
		}
	}
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
