package container

import (
	"fmt"
	"os"
	"testing"
)

// TestPrivilegedDevices checks that --privileged brings the host's device
// nodes, and that a default container has none of them.
func TestPrivilegedDevices(t *testing.T) {
	const script = "for d in kmsg loop-control; do test -c /dev/$d && echo $d; done; ls /dev/pts | grep -c ptmx"
	want := map[bool]string{false: "1", true: "kmsg\nloop-control\n1"}
	for _, privileged := range []bool{false, true} {
		cfg := testConfig(t, "sh", "-c", script)
		cfg.Security.Privileged = privileged
		if got, code := runOutput(t, cfg); got != want[privileged] {
			t.Errorf("privileged=%v: got %q (exit %d), want %q", privileged, got, code, want[privileged])
		}
	}
}

// TestPrivilegedWorld checks the rest of Docker's --privileged: every
// capability, no seccomp filter, no masked paths, /sys writable.
func TestPrivilegedWorld(t *testing.T) {
	// Every capability the runtime itself holds.
	caps := fmt.Sprintf("CapEff:\t%016x", permittedCaps())
	cases := []struct{ name, script, want string }{
		{"no seccomp filter", "grep Seccomp: /proc/self/status", "Seccomp:\t0"},
		{"every capability", "grep CapEff /proc/self/status", caps},
		{"kernel files not masked", "wc -c < /proc/timer_list | grep -vc '^0$'", "1"},
		{"sys writable", "grep ' /sys ' /proc/mounts | grep -c ' rw,'", "1"},
		{"mount allowed", "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo mounted", "mounted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "sh", "-c", tc.script)
			cfg.Security.Privileged = true
			if got, code := runOutput(t, cfg); got != tc.want {
				t.Errorf("%s: got %q (exit %d), want %q", tc.script, got, code, tc.want)
			}
		})
	}
}

// TestDevices checks --device: the host's node appears where asked and
// can be opened, and nothing else of the host's /dev comes along.
func TestDevices(t *testing.T) {
	for _, d := range []string{"/dev/fuse", "/dev/kmsg"} {
		if _, err := os.Stat(d); err != nil {
			t.Skipf("the host has no %s", d)
		}
	}
	cfg := testConfig(t, "sh", "-c", "exec 3<>/dev/fuse && echo fuse opened; test -c /opt/kmsg && echo kmsg at /opt; test -e /dev/kmsg || echo no /dev/kmsg; test -e /dev/loop-control || echo no loop-control")
	for _, spec := range []string{"/dev/fuse", "/dev/kmsg:/opt/kmsg:rw"} {
		m, err := ParseDevice(spec)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	want := "fuse opened\nkmsg at /opt\nno /dev/kmsg\nno loop-control"
	if got, code := runOutput(t, cfg); got != want {
		t.Errorf("got %q (exit %d), want %q", got, code, want)
	}
}
