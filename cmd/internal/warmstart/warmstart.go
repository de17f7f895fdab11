// Package warmstart cuts the page faults of a short-lived command's start, as
// soon as the package is initialised.
//
// A command of ours touches several hundred kilobytes of heap and a few
// megabytes of code before it has done anything: the runtime's start, package
// initialisation, flags, the stack file. Each page costs a page fault, and
// where faults are costly (a virtual machine whose hypervisor takes part in
// each: 15-20 µs per fault on the machines the benchmarks ran on) the faults
// were a third of a short command's time. This package
//
//   - backs the start of the heap with one transparent huge page, when the
//     host allows them and the kernel has a free one at hand (heap.go),
//   - fills the page tables of the executable's code in one system call
//     (text.go),
//
// which takes `stack ps` from about 20 to 16 ms here. The faults of the
// runtime's own start, before any package is initialised, remain.
//
// Import it for its side effect from a short-lived command's main package,
// not from a container's monitor or init: they live as long as their
// container, the init's memory is charged to the container, and neither needs
// most of its code mapped. Everything here is best effort: where the kernel
// refuses, the command only takes the faults it would have taken anyway.
//
// The package imports nothing that needs initialising but the runtime and
// package syscall, so that its init runs among the first, before the large
// initialisations of other packages.
package warmstart

import "syscall"

func init() {
	if v, _ := syscall.Getenv("GODEBUG"); !disabled(v) {
		hugeHeapStart()
	}
	populateText()
}

// disabled reports whether a GODEBUG value turns huge pages on the heap off
// (disablethp=1, the Go runtime's own switch for them).
func disabled(godebug string) bool {
	for rest := []byte(godebug); len(rest) > 0; {
		var setting []byte
		setting, rest = cut(rest, ',')
		if string(setting) == "disablethp=1" {
			return true
		}
	}
	return false
}

// cut splits b around the first sep, which it drops; without one, all of b
// is before it.
func cut(b []byte, sep byte) (before, after []byte) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

func madvise(addr, length uintptr, advice int) syscall.Errno {
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, length, uintptr(advice))
	return errno
}

// readFile reads a small file with package syscall only.
func readFile(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 0, 8192)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}
