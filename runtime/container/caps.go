package container

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// capNames are the capabilities by number, as the kernel numbers them.
var capNames = []string{"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
	"KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
	"NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE",
	"SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT",
	"SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
	"AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"}

// DefaultCaps is Docker's default capability set without CAP_MKNOD: the
// runtime has no device policy, so a container may not create device nodes.
var DefaultCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// EffectiveCaps resolves the capability set of a container: all of them when
// privileged, otherwise the defaults plus CapAdd minus CapDrop ("ALL" works
// in both). Names are accepted with or without the CAP_ prefix, any case.
func EffectiveCaps(s Security) ([]string, error) {
	all := make([]string, 0, len(capNames))
	last := lastCap()
	for i, n := range capNames {
		if i <= last {
			all = append(all, "CAP_"+n)
		}
	}
	if s.Privileged {
		return all, nil
	}
	set := slices.Clone(DefaultCaps)
	norm := func(list []string) ([]string, error) {
		var out []string
		for _, c := range list {
			c = strings.ToUpper(c)
			if c == "ALL" {
				return all, nil
			}
			if !strings.HasPrefix(c, "CAP_") {
				c = "CAP_" + c
			}
			if !slices.Contains(capNames, strings.TrimPrefix(c, "CAP_")) {
				return nil, fmt.Errorf("unknown capability %q", c)
			}
			out = append(out, c)
		}
		return out, nil
	}
	add, err := norm(s.CapAdd)
	if err != nil {
		return nil, fmt.Errorf("--cap-add: %w", err)
	}
	drop, err := norm(s.CapDrop)
	if err != nil {
		return nil, fmt.Errorf("--cap-drop: %w", err)
	}
	set = append(set, add...)
	set = slices.DeleteFunc(set, func(c string) bool { return slices.Contains(drop, c) })
	slices.Sort(set)
	return slices.Compact(set), nil
}

func lastCap() int {
	data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return len(capNames) - 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return len(capNames) - 1
	}
	return min(n, len(capNames)-1)
}

// capMask returns the kernel bit mask of names.
func capMask(names []string) uint64 {
	var mask uint64
	for _, n := range names {
		if i := slices.Index(capNames, strings.TrimPrefix(n, "CAP_")); i >= 0 {
			mask |= 1 << uint(i)
		}
	}
	return mask
}

// limitCaps confines the calling thread, and every process it starts, to
// names: the bounding set loses the rest, ambient and inheritable sets are
// emptied, permitted and effective become exactly names. Capabilities are
// per thread, which is why the init runs locked to one thread.
func limitCaps(names []string, last int) error {
	mask := capMask(names) & permittedCaps()
	for i := 0; i <= last; i++ {
		if mask&(1<<uint(i)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(i), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop CAP_%s from the bounding set: %w", capNames[i], err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(mask), Permitted: uint32(mask)},
		{Effective: uint32(mask >> 32), Permitted: uint32(mask >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// permittedCaps is the calling thread's permitted set: a privileged
// container gets everything the runtime itself holds, which may be less
// than every capability.
func permittedCaps() uint64 {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return ^uint64(0)
	}
	return uint64(data[0].Permitted) | uint64(data[1].Permitted)<<32
}
