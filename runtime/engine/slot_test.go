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

// An extension is five cache lines, and the fields of a narrow Sliding statistic's
// update but its ring's steps are in the first one.
func TestExtensionLayout(t *testing.T) {
	var x statExt
	if n := unsafe.Sizeof(x); n != 320 {
		t.Fatalf("an extension is %d bytes, want 320", n)
	}
	for name, end := range map[string]uintptr{
		"nring": unsafe.Offsetof(x.nring) + unsafe.Sizeof(x.nring), "hpos": unsafe.Offsetof(x.hpos) + 8,
		"head": unsafe.Offsetof(x.head) + 8, "step": unsafe.Offsetof(x.step) + 8, "ctBase": unsafe.Offsetof(x.ctBase) + 8,
	} {
		if end > 64 {
			t.Errorf("%s ends at byte %d, past the first line", name, end)
		}
	}
	for _, n := range []int{1, 1000} {
		xs := make([]*statExt, n)
		for i := range xs {
			xs[i] = &statExt{}
			if p := uintptr(unsafe.Pointer(xs[i])); p%64 != 0 {
				t.Fatalf("an extension at %#x, not on a 64-byte boundary", p)
			}
		}
	}
}
