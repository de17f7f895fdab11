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
// megabytes cost one collapse (~0.5 ms) instead of 100-150 faults. It does
// so only when the host's transparent huge pages are not set to "never" (a
// collapse would ignore that setting) and the kernel has a free block of two
// megabytes at hand: making one would compact memory, which can take longer
// than the faults.
func hugeHeapStart() {
	if mode, err := readFile("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil || contains(mode, "[never]") {
		return
	}
	buddies, err := readFile("/proc/buddyinfo")
	if err != nil || !freeHugeBlock(buddies) {
		return
	}
	marker = new([64]byte)
	base := uintptr(unsafe.Pointer(marker)) &^ (hugePage - 1)
	// An error means no huge page, which only costs the faults saved here.
	madvise(base, 2*hugePage, syscall.MADV_HUGEPAGE)
	madvise(base, hugePage, madvCollapse)
}

// freeHugeBlock reports whether a /proc/buddyinfo text shows a free block of
// order 9 (two megabytes of 4 KiB pages) or more in a zone a huge page can
// come from (not DMA, which only serves requests that ask for it).
func freeHugeBlock(buddyinfo []byte) bool {
	for len(buddyinfo) > 0 {
		var line []byte
		line, buddyinfo = cut(buddyinfo, '\n')
		// "Node 0, zone   Normal   9431   9587 ...": the zone's name, then
		// the number of free blocks of each order from 0.
		fields := splitFields(line)
		if len(fields) < 4+10 || string(fields[2]) != "zone" || string(fields[3]) == "DMA" {
			continue
		}
		for _, count := range fields[4+9:] {
			if string(count) != "0" {
				return true
			}
		}
	}
	return false
}

// splitFields splits b around runs of spaces.
func splitFields(b []byte) [][]byte {
	var fields [][]byte
	start := -1
	for i, c := range b {
		switch {
		case c == ' ' || c == '\t':
			if start >= 0 {
				fields = append(fields, b[start:i])
				start = -1
			}
		case start < 0:
			start = i
		}
	}
	if start >= 0 {
		fields = append(fields, b[start:])
	}
	return fields
}

// contains reports whether s holds sub.
func contains(s []byte, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if string(s[i:i+len(sub)]) == sub {
			return true
		}
	}
	return false
}
