package engine

import (
	"hash/maphash"
	"math/bits"
)

// slotIndex finds a slot number — of an open statistic by its id, of an instance in
// progress by its key — through the key's hash. It is an open-addressing hash table of
// slot numbers (linear probing, load at most 1/2) that compares keys through the slots
// themselves (keyOf), so an entry costs 4 to 8 bytes where a Go map entry holds the key
// again: a million open statistics save some 30 MiB.
//
// Deletion moves the later entries of the probe run back into the hole (Knuth's
// algorithm R) instead of leaving a tombstone, so a table whose entries come and go all
// day, as the instances in progress do, never fills with tombstones: it keeps its size,
// and allocates only when it holds more entries than ever before.
type slotIndex[K comparable] struct {
	slots []int32 // slot number + 1; 0 is empty
	n     int     // entries
}

// get returns the slot of key k, whose hash is h; keyOf gives a slot's key.
func (x *slotIndex[K]) get(k K, h uint64, keyOf func(int32) K) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			return 0, false
		}
		if keyOf(v-1) == k {
			return v - 1, true
		}
	}
}

// put adds slot si, whose key hashes to h and is not in the index; hashOf gives the
// hash of a slot's key, for a resize.
func (x *slotIndex[K]) put(si int32, h uint64, hashOf func(int32) uint64) {
	if 2*(x.n+1) > len(x.slots) {
		x.resize(2*(x.n+1), hashOf)
	}
	x.insert(si, h)
	x.n++
}

// insert places slot si in the first free position from h.
func (x *slotIndex[K]) insert(si int32, h uint64) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = si + 1
}

// del removes slot si, whose key hashes to h (nothing when it is not in the index).
func (x *slotIndex[K]) del(si int32, h uint64, hashOf func(int32) uint64) {
	if x.n == 0 {
		return
	}
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i] != si+1 {
		if x.slots[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	x.n--
	// i is the hole. An entry later in the run moves into it unless its home position
	// lies cyclically in (i, j], where probing from home would no longer reach it.
	for j := (i + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		home := hashOf(x.slots[j]-1) & mask
		var stays bool
		if i < j {
			stays = i < home && home <= j
		} else {
			stays = i < home || home <= j
		}
		if !stays {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = 0
}

// grow makes room for n more entries without a resize.
func (x *slotIndex[K]) grow(n int, hashOf func(int32) uint64) {
	if 2*(x.n+n) > len(x.slots) {
		x.resize(2*(x.n+n), hashOf)
	}
}

// resize rebuilds the table with at least min positions (a power of two).
func (x *slotIndex[K]) resize(min int, hashOf func(int32) uint64) {
	n := 16
	for n < min {
		n *= 2
	}
	old := x.slots
	x.slots = make([]int32, n)
	for _, v := range old {
		if v != 0 {
			x.insert(v-1, hashOf(v-1))
		}
	}
}

// The engine's two indexes, with their keys and hashes.

// idOf is the id of the statistic in slot si.
func (e *Engine) idOf(si int32) string { return e.cfgs[si].ID }

// idHash hashes a statistic id.
func (e *Engine) idHash(id string) uint64 { return maphash.String(e.seed, id) }

// slotIDHash hashes the id of the statistic in slot si.
func (e *Engine) slotIDHash(si int32) uint64 { return e.idHash(e.idOf(si)) }

// keyOfInst is the key of the instance in slot ii.
func (e *Engine) keyOfInst(ii int32) instKey { return e.insts[ii].key }

// instHash hashes an instance key: each string once, mixed with the numbers.
func (e *Engine) instHash(k instKey) uint64 {
	h := maphash.String(e.seed, k.src) ^ bits.RotateLeft64(maphash.String(e.seed, k.ixn), 21)
	if k.agent != "" {
		h ^= bits.RotateLeft64(maphash.String(e.seed, k.agent), 42)
	}
	return h ^ (uint64(k.act)<<8|uint64(k.class))*0x9e3779b97f4a7c15
}

// slotInstHash hashes the key of the instance in slot ii.
func (e *Engine) slotInstHash(ii int32) uint64 { return e.instHash(e.insts[ii].key) }
