package container

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIsolation checks, one invariant per case, what a process sees from
// inside a default container.
func TestIsolation(t *testing.T) {
	lower := busyboxRootfs(t)
	cases := []struct {
		name   string
		script string
		want   string
	}{
		{"hostname", "hostname", "testbox"},
		{"only the container's processes", "set -- /proc/[0-9]*; echo $#", "2"}, // the init and sh
		{"init is PID 1", "head -c 10 /proc/1/cmdline", "stack-init"},
		{"own network namespace", "ls /sys/class/net", "lo"},
		{"loopback is up", "cat /sys/class/net/lo/operstate", "unknown"},
		{"host files invisible", "test -e " + filepath.Dir(lower) + " && echo visible || echo hidden", "hidden"},
		{"default capabilities without CAP_MKNOD", "grep CapEff /proc/self/status", "CapEff:\t00000000a00425fb"},
		{"bounding set matches", "grep CapBnd /proc/self/status", "CapBnd:\t00000000a00425fb"},
		{"mount denied", "mount -t tmpfs none /mnt 2>/dev/null && echo mounted || echo denied", "denied"},
		{"mknod denied", "mknod /tmp/null c 1 3 2>/dev/null && echo made || echo denied", "denied"},
		{"/proc/kcore masked where it exists", "test ! -e /proc/kcore || wc -c < /proc/kcore", ""},
		{"/proc/timer_list masked", "wc -c < /proc/timer_list", "0"},
		{"/proc/keys masked", "wc -c < /proc/keys", "0"},
		{"/proc/sysrq-trigger read-only", "echo h 2>/dev/null > /proc/sysrq-trigger && echo written || echo refused", "refused"},
		{"/proc/sys read-only", "echo 1 2>/dev/null > /proc/sys/kernel/ns_last_pid && echo written || echo refused", "refused"},
		{"/sys read-only", "touch /sys/x 2>/dev/null && echo written || echo refused", "refused"},
		{"seccomp denies user namespaces", "unshare -U true 2>&1 | grep -o 'Operation not permitted'", "Operation not permitted"},
		{"the init's descriptors unreachable", "cat /proc/1/fd/3 2>/dev/null || readlink /proc/1/fd/0 2>/dev/null || echo refused", "refused"},
		{"the init's binary unreachable", "readlink /proc/1/exe 2>/dev/null || (cat /proc/1/exe >/dev/null 2>&1 && echo readable) || echo refused", "refused"},
		{"/proc/1/exe not writable", "echo x 2>/dev/null >> /proc/1/exe && echo written || echo refused", "refused"},
		{"no inherited descriptors", "ls /proc/self/fd | tr '\\n' ' '", "0 1 2 3"},
		{"dev nodes", "ls /dev | tr '\\n' ' '", "core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero"},
		{"dev/null works", "echo x > /dev/null && head -c 3 /dev/zero | wc -c", "3"},
		{"shm is tmpfs", "grep ' /dev/shm ' /proc/mounts | cut -d' ' -f3", "tmpfs"},
		{"mqueue mounted", "grep -c ' /dev/mqueue mqueue ' /proc/mounts", "1"},
		{"devpts private instance", "grep ' /dev/pts ' /proc/mounts | grep -c ptmxmode=666", "1"},
		{"root is overlay", "grep ' / ' /proc/mounts | cut -d' ' -f3", "overlay"},
		{"environment", "echo $PATH $HOME $HOSTNAME", "/bin:/sbin:/usr/bin:/usr/sbin /root testbox"},
		{"resolv and hosts bound", "grep -c localhost /etc/hosts", "2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "sh", "-c", tc.script)
			got, code := runOutput(t, cfg)
			if got != tc.want {
				t.Errorf("%s: got %q (exit %d), want %q", tc.script, got, code, tc.want)
			}
		})
	}
}

func TestSeccompUnconfinedAllowsUserNamespaces(t *testing.T) {
	// The control for the seccomp case above: the same call succeeds when
	// the host allows unprivileged user namespaces and no filter is loaded.
	if out, err := exec.Command("unshare", "-U", "true").CombinedOutput(); err != nil {
		t.Skipf("host refuses user namespaces: %v %s", err, out)
	}
	cfg := testConfig(t, "sh", "-c", "unshare -U true && echo allowed")
	cfg.Security.Seccomp = "unconfined"
	if got, _ := runOutput(t, cfg); got != "allowed" {
		t.Errorf("got %q, want allowed", got)
	}
}

func TestProcessSettings(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		script string
		want   string
	}{
		{"user by name with groups", func(c *Config) { c.Process.User = "app" }, "id", "uid=1000(app) gid=1000(app) groups=100(users),1000(app)"},
		{"numeric user", func(c *Config) { c.Process.User = "4242:4243" }, "id -u; id -g", "4242\n4243"},
		{"non-root has no capabilities", func(c *Config) { c.Process.User = "app" }, "grep CapEff /proc/self/status", "CapEff:\t0000000000000000"},
		{"working directory", func(c *Config) { c.Process.Cwd = "/home/app" }, "pwd", "/home/app"},
		{"read-only root", func(c *Config) { c.Rootfs.ReadOnly = true }, "touch /x 2>/dev/null && echo written || echo refused", "refused"},
		{"no init: command is PID 1", func(c *Config) { c.NoInit = true }, "echo $$", "1"},
		{"rlimit", func(c *Config) { c.Process.Rlimits = []Rlimit{{Name: "nofile", Soft: 100, Hard: 200}} }, "ulimit -n", "100"},
		{"cap-drop", func(c *Config) { c.Security.CapDrop = []string{"chown", "CAP_NET_RAW"} }, "grep CapEff /proc/self/status", "CapEff:\t00000000a00405fa"},
		{"cap-add", func(c *Config) { c.Security.CapAdd = []string{"SYS_ADMIN"} }, "mount -t tmpfs none /tmp && echo mounted", "mounted"},
		{"no-new-privileges", func(c *Config) { c.Security.NoNewPrivileges = true }, "grep NoNewPrivs /proc/self/status", "NoNewPrivs:\t1"},
		{"privileged", func(c *Config) { c.Security.Privileged = true }, "grep -c Seccomp:.0 /proc/self/status", "1"},
		{"tmpfs mount", func(c *Config) { c.Mounts = []Mount{{Type: "tmpfs", Target: "/data", Options: []string{"size=1m"}}} }, "grep ' /data ' /proc/mounts | cut -d' ' -f3", "tmpfs"},
		{"domain name", func(c *Config) { c.Domainname = "example.org" }, "cat /proc/sys/kernel/domainname", "example.org"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "sh", "-c", tc.script)
			tc.change(cfg)
			got, code := runOutput(t, cfg)
			if got != tc.want {
				t.Errorf("%s: got %q (exit %d), want %q", tc.script, got, code, tc.want)
			}
		})
	}
}

func TestBindMount(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, "sh", "-c", "cat /ro/f; echo hello > /data/f; touch /ro/x 2>/dev/null || echo refused")
	if err := writeFile(filepath.Join(dir, "f"), "from host\n"); err != nil {
		t.Fatal(err)
	}
	cfg.Mounts = []Mount{{Type: "bind", Source: dir, Target: "/data"}, {Type: "bind", Source: dir, Target: "/ro", ReadOnly: true}}
	got, _ := runOutput(t, cfg)
	if want := "from host\nrefused"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if data, _ := readFile(filepath.Join(dir, "f")); strings.TrimSpace(data) != "hello" {
		t.Errorf("host file holds %q, want hello", data)
	}
}

func TestZombiesReaped(t *testing.T) {
	// The subshells exit at once and leave their sleeps to the init; no
	// zombie may remain once those end.
	script := "for i in 1 2 3; do sh -c 'sleep 0.1 &'; done; sleep 0.5; grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l"
	cfg := testConfig(t, "sh", "-c", script)
	if got, _ := runOutput(t, cfg); got != "0" {
		t.Errorf("zombies: got %q, want 0", got)
	}
}

func TestPidsLimit(t *testing.T) {
	// busybox sh gives up at the first fork that fails.
	script := "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done; echo all started"
	for _, tc := range []struct {
		limit int64
		want  string
	}{{0, "all started"}, {5, "sh: can't fork: Resource temporarily unavailable"}} {
		cfg := testConfig(t, "sh", "-c", script)
		cfg.Resources.PidsLimit = tc.limit
		if got, code := runOutput(t, cfg); got != tc.want {
			t.Errorf("pids-limit %d: got %q (exit %d), want %q", tc.limit, got, code, tc.want)
		}
	}
}
