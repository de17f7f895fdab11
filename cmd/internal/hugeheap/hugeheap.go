// Package hugeheap backs the start of the Go heap with one transparent huge
// page, as soon as the package is initialised.
//
// A command of ours touches several hundred kilobytes of heap before it has
// done anything: package initialisation, flags, the stack file. Each 4 KiB
// page costs a page fault, and where faults are costly (a virtual machine
// whose hypervisor takes part in each, 15-20 µs per fault on the machines the
// benchmarks ran on) those faults were a fifth of a short command's time. One
// huge page replaces them with a single collapse of the heap's first two
// megabytes (~0.5 ms), and the next two megabytes are marked for huge pages
// too. It saves 100-150 faults and 2-3 ms of each short command here; the
// faults of the runtime's own start, before any package, remain.
//
// Import it for its side effect from a short-lived command's main package
// (not from a container's monitor or init: they live as long as their
// container, and the init's memory is charged to the container). It is best
// effort: where the kernel has no transparent huge pages or refuses them, or
// GODEBUG has disablethp=1 (the Go runtime's own switch for huge pages on the
// heap), it does nothing.
package hugeheap

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

// The package imports nothing but syscall so that its init runs among the
// first, before the big initialisations of other packages.
func init() {
	if v, _ := syscall.Getenv("GODEBUG"); disabled(v) {
		return
	}
	marker = new([64]byte)
	base := uintptr(unsafe.Pointer(marker)) &^ (hugePage - 1)
	// Later faults in the heap's first megabytes get huge pages too; the
	// pages already touched are gathered into one now. An error means no
	// huge page, which only costs the faults this package saves.
	madvise(base, 2*hugePage, syscall.MADV_HUGEPAGE)
	madvise(base, hugePage, madvCollapse)
}

// disabled reports whether a GODEBUG value turns huge pages on the heap off.
func disabled(godebug string) bool {
	for godebug != "" {
		setting := godebug
		godebug = ""
		for i := 0; i < len(setting); i++ {
			if setting[i] == ',' {
				setting, godebug = setting[:i], setting[i+1:]
				break
			}
		}
		if setting == "disablethp=1" {
			return true
		}
	}
	return false
}

func madvise(addr, length uintptr, advice int) {
	syscall.Syscall(syscall.SYS_MADVISE, addr, length, uintptr(advice))
}
