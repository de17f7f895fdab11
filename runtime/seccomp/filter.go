package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// ErrUnsupportedArch means the default profile has no system call table for
// this architecture; such containers need seccomp=unconfined.
var ErrUnsupportedArch = errors.New("seccomp: no default profile for " + runtime.GOARCH)

// Offsets into struct seccomp_data.
const (
	offNr   = 0
	offArch = 4
	offArg0 = 16 // low 32 bits on little-endian machines
)

var (
	retAllow  = bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW}
	retEPERM  = bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)}
	retENOSYS = bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)}
)

// Filter is a compiled filter ready to install.
type Filter []unix.SockFilter

// Default compiles the default profile for a container holding caps (names
// such as "CAP_SYS_ADMIN"). Denied calls fail with EPERM, except clone3,
// which fails with ENOSYS so that C libraries fall back to clone, whose
// namespace flags the filter can inspect.
func Default(caps []string) (Filter, error) {
	if nativeArch == 0 {
		return nil, ErrUnsupportedArch
	}
	names := slices.Clone(allowed)
	hasAdmin := slices.Contains(caps, "CAP_SYS_ADMIN")
	for _, c := range caps {
		names = append(names, byCapability[c]...)
	}
	slices.Sort(names)
	names = slices.Compact(names)

	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offArch, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: nativeArch, SkipTrue: 1},
		retEPERM,
		bpf.LoadAbsolute{Off: offNr, Size: 4},
	}
	if syscallBitMask != 0 {
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpBitsNotSet, Val: syscallBitMask, SkipTrue: 1}, retEPERM)
	}
	for _, name := range names {
		nr, ok := syscallNumber(name)
		if !ok {
			continue
		}
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: nr, SkipTrue: 1}, retAllow)
	}
	prog = append(prog, personalityRule()...)
	prog = append(prog, cloneRule(hasAdmin)...)
	prog = append(prog, retEPERM)
	return assemble(prog)
}

// personalityRule allows personality(2) with the harmless arguments only.
func personalityRule() []bpf.Instruction {
	nr, ok := syscallNumber("personality")
	if !ok {
		return nil
	}
	body := []bpf.Instruction{bpf.LoadAbsolute{Off: offArg0, Size: 4}}
	for _, p := range personalities {
		body = append(body, bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: p, SkipTrue: 1}, retAllow)
	}
	body = append(body, retEPERM)
	return guard(nr, body)
}

// cloneRule allows clone(2) without namespace flags (any flags with
// CAP_SYS_ADMIN) and makes clone3 report ENOSYS when it is not allowed.
func cloneRule(hasAdmin bool) []bpf.Instruction {
	var out []bpf.Instruction
	if nr, ok := syscallNumber("clone"); ok {
		body := []bpf.Instruction{retAllow}
		if !hasAdmin {
			body = []bpf.Instruction{
				bpf.LoadAbsolute{Off: offArg0, Size: 4},
				bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: namespaceFlags, SkipTrue: 1},
				retAllow,
				retEPERM,
			}
		}
		out = append(out, guard(nr, body)...)
	}
	if nr, ok := syscallNumber("clone3"); ok && !hasAdmin {
		out = append(out, guard(nr, []bpf.Instruction{retENOSYS})...)
	}
	return out
}

// guard runs body when the system call number (in the accumulator) is nr;
// body must end in a return so that the accumulator needs no reload after it.
func guard(nr uint32, body []bpf.Instruction) []bpf.Instruction {
	out := []bpf.Instruction{bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipFalse: uint8(len(body))}}
	out = append(out, body...)
	// The body clobbered the accumulator; only the path that skipped it
	// continues, but reload anyway so that the rules compose in any order.
	return append(out, bpf.LoadAbsolute{Off: offNr, Size: 4})
}

func assemble(prog []bpf.Instruction) (Filter, error) {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("seccomp: assemble: %w", err)
	}
	out := make(Filter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out, nil
}

// Install loads f into the calling process for every thread (TSYNC). The
// caller needs CAP_SYS_ADMIN or no_new_privs.
func Install(f Filter) error { return install(f, unix.SECCOMP_FILTER_FLAG_TSYNC) }

// InstallThread loads f into the calling thread only, for a runtime that
// confines one locked thread and starts the container's process from it
// while its other threads stay free.
func InstallThread(f Filter) error { return install(f, 0) }

func install(f Filter, flags uintptr) error {
	if len(f) == 0 {
		return errors.New("seccomp: empty filter")
	}
	prog := unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		flags, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(f)
	if errno != 0 {
		return fmt.Errorf("seccomp: install filter: %w", errno)
	}
	return nil
}
