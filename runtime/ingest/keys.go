package ingest

import (
	"sync"

	"github.com/statkit/statkit/runtime/event"
)

// Keys is the idempotency key table: a batch's key and the first answer given for it.
// The owner of the Pipeline adds and expires keys; request goroutines may Lookup
// concurrently (it takes a read lock), to answer a retry without logging it again.
//
// Keys are kept in the order they were added; the oldest go first when the table is over
// its count or byte bound, or when they are older than the key window (in the wall time
// of the batches and ticks applied since).
type Keys struct {
	mu       sync.RWMutex
	m        map[string]*KeyEntry
	order    []*KeyEntry // by insertion; [head:] are live
	head     int
	bytes    int
	maxKeys  int
	maxBytes int
	window   event.Time // in milliseconds; 0: no age bound
}

// KeyEntry is one key and the first answer of its batch.
type KeyEntry struct {
	Key string
	// Wall is the batch's receipt wall time (0 when it had none).
	Wall event.Time
	// Sum identifies the batch's body (its length and checksum): a later batch with the
	// same key and another Sum is a misuse of the key, not a retry.
	Sum uint64
	// Seq is the log record of the batch.
	Seq    uint64
	Answer Answer
	size   int
}

// newKeys returns an empty table with opts' bounds.
func newKeys(opts Options) *Keys {
	return &Keys{m: map[string]*KeyEntry{}, maxKeys: opts.MaxKeys, maxBytes: opts.MaxKeyBytes,
		window: event.Time(opts.KeyWindow.Milliseconds())}
}

// entrySize estimates the memory an entry holds, for the byte bound.
func entrySize(e *KeyEntry) int {
	n := 200 + len(e.Key) // the entry (~130 bytes), its map slot and order slot, the key
	for _, r := range e.Answer.Rejected {
		n += 48 + len(r.Reason) + len(r.Code)
	}
	n += 24 * len(e.Answer.Late)
	return n
}

// Lookup returns the entry of key, if the table holds it. It is safe for concurrent use
// with the owner's changes; the entry must be treated as read-only.
func (k *Keys) Lookup(key string) (*KeyEntry, bool) {
	k.mu.RLock()
	e, ok := k.m[key]
	k.mu.RUnlock()
	return e, ok
}

// Len returns the number of keys held.
func (k *Keys) Len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.m)
}

// add stores e (its key must not be held) and applies the count and byte bounds.
func (k *Keys) add(e *KeyEntry) {
	e.size = entrySize(e)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[e.Key] = e
	k.order = append(k.order, e)
	k.bytes += e.size
	k.trimLocked()
}

// trim applies the count and byte bounds.
func (k *Keys) trim() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.trimLocked()
}

func (k *Keys) trimLocked() {
	for len(k.m) > 0 && ((k.maxKeys > 0 && len(k.m) > k.maxKeys) || (k.maxBytes > 0 && k.bytes > k.maxBytes)) {
		k.popLocked()
	}
	k.compactLocked()
}

// expire removes the keys whose wall time is before now less the key window.
func (k *Keys) expire(now event.Time) {
	if k.window <= 0 || now == 0 {
		return
	}
	cutoff := now - k.window
	k.mu.Lock()
	defer k.mu.Unlock()
	for k.head < len(k.order) && k.order[k.head].Wall < cutoff {
		k.popLocked()
	}
	k.compactLocked()
}

// popLocked removes the oldest entry.
func (k *Keys) popLocked() {
	e := k.order[k.head]
	k.order[k.head] = nil
	k.head++
	delete(k.m, e.Key)
	k.bytes -= e.size
}

// compactLocked moves the live entries to the front when more than half are gone.
func (k *Keys) compactLocked() {
	if k.head > 0 && k.head >= len(k.order)/2 {
		n := copy(k.order, k.order[k.head:])
		clear(k.order[n:])
		k.order = k.order[:n]
		k.head = 0
	}
}

// entries returns the live entries, oldest first (owner only).
func (k *Keys) entries() []*KeyEntry { return k.order[k.head:] }
