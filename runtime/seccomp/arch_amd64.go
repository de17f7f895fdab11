package seccomp

import "golang.org/x/sys/unix"

const nativeArch = unix.AUDIT_ARCH_X86_64

// syscallBitMask marks the x32 ABI's system call numbers, which share the
// x86_64 audit architecture and must be refused separately.
const syscallBitMask = 0x40000000
