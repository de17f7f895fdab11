package warmstart

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on the architectures stack
// is built for (amd64 and arm64 with 4 KiB pages).
const hugePage = 2 << 20

// madvCollapse is MADV_COLLAPSE (Linux 6.1), which package syscall lacks.
const madvCollapse = 25

// marker is allocated to find the heap: it lands near the heap's start (a
// random page of a 4 MiB chunk), above which the runtime fills the heap.
var marker *[64]byte

// hugeHeapStart gathers the heap pages touched so far into one huge page and
// marks the next two megabytes for huge pages, so that the heap's first
// megabytes cost one collapse (~0.5 ms) instead of 100-150 faults.
func hugeHeapStart() {
	marker = new([64]byte)
	base := uintptr(unsafe.Pointer(marker)) &^ (hugePage - 1)
	// An error means no huge page, which only costs the faults saved here.
	madvise(base, 2*hugePage, syscall.MADV_HUGEPAGE)
	madvise(base, hugePage, madvCollapse)
}
