package engine

import (
	"testing"
	"unsafe"
)

// A statistic's slot is one cache line, and the slots of an engine start on a line
// boundary, so that an update reads and writes one line (docs/performance.md).
func TestSlotIsOneCacheLine(t *testing.T) {
	if n := unsafe.Sizeof(stat{}); n != 64 {
		t.Fatalf("a slot is %d bytes, want 64", n)
	}
	for _, n := range []int{1, 7, 1000, 100_000} {
		stats := make([]stat, n)
		if p := uintptr(unsafe.Pointer(&stats[0])); p%64 != 0 {
			t.Errorf("%d slots start at %#x, not on a 64-byte boundary", n, p)
		}
	}
}
