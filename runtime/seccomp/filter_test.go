package seccomp

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// run evaluates f on a seccomp_data record with the BPF interpreter of
// golang.org/x/net/bpf, which reads loads big-endian: the record is
// encoded that way so that the same filter words compare equal, each
// 32-bit half of an argument where the kernel's little-endian layout has it.
func run(t *testing.T, f Filter, arch uint32, nr uint32, args ...uint64) uint32 {
	t.Helper()
	insts := make([]bpf.RawInstruction, len(f))
	for i, s := range f {
		insts[i] = bpf.RawInstruction{Op: s.Code, Jt: s.Jt, Jf: s.Jf, K: s.K}
	}
	prog, ok := bpf.Disassemble(insts)
	if !ok {
		t.Fatal("filter does not disassemble")
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[offNr:], nr)
	binary.BigEndian.PutUint32(data[offArch:], arch)
	for i, a := range args {
		binary.BigEndian.PutUint32(data[offArg0+8*i:], uint32(a))
		binary.BigEndian.PutUint32(data[offArg0+8*i+4:], uint32(a>>32))
	}
	got, err := vm.Run(data)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(got)
}

func TestDefaultFilter(t *testing.T) {
	if nativeArch == 0 {
		t.Skip("no table for this architecture")
	}
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	eperm := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	enosys := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))
	nr := func(name string) uint32 {
		n, ok := syscallNumber(name)
		if !ok {
			t.Fatalf("no number for %s", name)
		}
		return n
	}
	cases := []struct {
		name string
		caps []string
		arch uint32
		nr   uint32
		arg0 uint64
		want uint32
	}{
		{"read allowed", nil, nativeArch, nr("read"), 0, allow},
		{"mount denied", nil, nativeArch, nr("mount"), 0, eperm},
		{"mount with CAP_SYS_ADMIN", []string{"CAP_SYS_ADMIN"}, nativeArch, nr("mount"), 0, allow},
		{"unshare denied", nil, nativeArch, nr("unshare"), 0, eperm},
		{"keyctl denied", nil, nativeArch, nr("keyctl"), 0, eperm},
		{"foreign architecture denied", nil, 0x40000003, nr("read"), 0, eperm},
		{"clone of a thread allowed", nil, nativeArch, nr("clone"), unix.CLONE_VM | unix.CLONE_THREAD, allow},
		{"clone of a user namespace denied", nil, nativeArch, nr("clone"), unix.CLONE_NEWUSER, eperm},
		{"clone of a namespace with CAP_SYS_ADMIN", []string{"CAP_SYS_ADMIN"}, nativeArch, nr("clone"), unix.CLONE_NEWNS, allow},
		{"clone3 says ENOSYS", nil, nativeArch, nr("clone3"), 0, enosys},
		{"personality PER_LINUX allowed", nil, nativeArch, nr("personality"), 0, allow},
		{"personality READ_IMPLIES_EXEC denied", nil, nativeArch, nr("personality"), 0x0400000, eperm},
		{"reboot needs CAP_SYS_BOOT", nil, nativeArch, nr("reboot"), 0, eperm},
		{"ptrace allowed", nil, nativeArch, nr("ptrace"), 0, allow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Default(tc.caps)
			if err != nil {
				t.Fatal(err)
			}
			if got := run(t, f, tc.arch, tc.nr, tc.arg0); got != tc.want {
				t.Errorf("got %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestEveryAllowedNameIsKnown(t *testing.T) {
	// A misspelt name would silently deny a call; the names missing here
	// must be ones this architecture lacks.
	lacking := map[string]bool{"arch_prctl": true, "epoll_ctl_old": true, "epoll_wait_old": true,
		"get_thread_area": true, "set_thread_area": true, "modify_ldt": true, "time": true,
		"access": true, "alarm": true, "chmod": true, "chown": true, "creat": true, "dup2": true,
		"epoll_create": true, "epoll_wait": true, "eventfd": true, "fork": true, "futimesat": true,
		"getdents": true, "getpgrp": true, "inotify_init": true, "lchown": true, "link": true,
		"lstat": true, "mkdir": true, "mknod": true, "open": true, "pause": true, "pipe": true,
		"poll": true, "readlink": true, "rename": true, "rmdir": true, "select": true, "signalfd": true,
		"stat": true, "symlink": true, "unlink": true, "utime": true, "utimes": true, "vfork": true,
		"uselib": true, "ustat": true, "sysfs": true}
	for _, name := range allowed {
		if _, ok := syscallNumber(name); !ok && !lacking[name] && nativeArch != 0 {
			t.Errorf("system call %q has no number on this architecture", name)
		}
	}
}
