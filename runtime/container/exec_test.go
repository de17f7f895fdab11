package container

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func startTestContainer(t *testing.T, args ...string) (*Store, *Container) {
	t.Helper()
	return startTestConfig(t, testConfig(t, args...))
}

// startTestConfig creates and starts a container of cfg in a new store.
func startTestConfig(t *testing.T, cfg *Config) (*Store, *Container) {
	t.Helper()
	s, opts := testStore(t)
	return s, startInStore(t, s, opts, cfg)
}

// startInStore creates and starts a container of cfg in s and waits for
// its start to be reported.
func startInStore(t *testing.T, s *Store, opts StartOptions, cfg *Config) *Container {
	t.Helper()
	c, err := s.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.Start(context.Background(), c.ID, opts)
	if err != nil {
		data, _ := os.ReadFile(s.Dir(c.ID) + "/monitor.log")
		t.Fatalf("start: %v\n%s", err, data)
	}
	sess.Wait()
	return c
}

func TestExec(t *testing.T) {
	s, c := startTestContainer(t, "sleep", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cases := []struct {
		name  string
		p     Process
		stdin string
		want  string
		code  int
	}{
		{"output", Process{Args: []string{"echo", "hi"}}, "", "hi\n", 0},
		{"exit code", Process{Args: []string{"sh", "-c", "exit 9"}}, "", "", 9},
		{"environment added", Process{Args: []string{"sh", "-c", "echo $PATH $X"}, Env: []string{"X=1"}}, "", "/bin:/sbin:/usr/bin:/usr/sbin 1\n", 0},
		{"user", Process{Args: []string{"id", "-u"}, User: "nobody"}, "", "65534\n", 0},
		{"working directory", Process{Args: []string{"pwd"}, Cwd: "/home"}, "", "/home\n", 0},
		{"stdin", Process{Args: []string{"cat"}}, "fed in\n", "fed in\n", 0},
		{"same namespaces", Process{Args: []string{"sh", "-c", "hostname; head -c 10 /proc/1/cmdline"}}, "", "testbox\nstack-init", 0},
		{"same confinement", Process{Args: []string{"grep", "CapEff", "/proc/self/status"}}, "", "CapEff:\t00000000a00425fb\n", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			opts := ExecOptions{Process: tc.p, Stdout: &out, Stderr: &out}
			if tc.stdin != "" {
				opts.Stdin = strings.NewReader(tc.stdin)
			}
			code, err := s.Exec(ctx, c.ID, opts)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want || code != tc.code {
				t.Errorf("got %q exit %d, want %q exit %d", out.String(), code, tc.want, tc.code)
			}
		})
	}
	if _, err := s.Exec(ctx, c.ID, ExecOptions{Process: Process{Args: []string{"/no/such"}}}); err == nil {
		t.Error("exec of a missing binary succeeded")
	}
}

// waitSize prints the terminal's size once it has been set: busybox's stty
// prints nothing, and an error, for a terminal of size 0x0.
const waitSize = `while :; do s=$(stty size 2>/dev/null); case "$s" in ""|"0 0") sleep 0.05;; *) break;; esac; done; echo $s`

func TestExecTerminal(t *testing.T) {
	s, c := startTestContainer(t, "sleep", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	code, err := s.Exec(ctx, c.ID, ExecOptions{
		Process: Process{Args: []string{"sh", "-c", waitSize + "; tty; echo $TERM"}, Terminal: true},
		Stdout:  &out,
		OnTerminal: func(master *os.File) {
			if err := SetTerminalSize(master, 24, 80); err != nil {
				t.Error(err)
			}
		},
	})
	if err != nil || code != 0 {
		t.Fatalf("exec: %v, exit %d", err, code)
	}
	if want := "24 80\r\n/dev/pts/0\r\nxterm\r\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestSignalForwarded(t *testing.T) {
	s, c := startTestContainer(t, "sh", "-c", "trap 'echo got USR1' USR1; echo ready; while true; do sleep 0.05; done")
	waitLog := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			data, _ := os.ReadFile(s.LogPath(c.ID))
			if strings.Contains(string(data), want) {
				return
			}
		}
		t.Fatalf("log never showed %q", want)
	}
	waitLog("ready")
	if err := s.Kill(context.Background(), c.ID, "USR1"); err != nil {
		t.Fatal(err)
	}
	waitLog("got USR1")
}

func TestRunTerminalAttached(t *testing.T) {
	s, opts := testStore(t)
	cfg := testConfig(t, "sh", "-c", "tty; echo $TERM")
	cfg.Process.Terminal = true
	c, err := s.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opts.Stdout = &out
	sess, err := s.Start(context.Background(), c.ID, opts)
	if err != nil {
		t.Fatal(err)
	}
	code, err := sess.Wait()
	if err != nil || code != 0 {
		t.Fatalf("wait: %v, exit %d", err, code)
	}
	if want := "/dev/pts/0\r\nxterm\r\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestExecNoInit runs execs in a container whose main process is PID 1,
// through the monitor's helper instead of the init.
func TestExecNoInit(t *testing.T) {
	cfg := testConfig(t, "sleep", "1000")
	cfg.NoInit = true
	cfg.Process.User = "app"
	cfg.Process.Cwd = "/tmp"
	cfg.Process.Rlimits = []Rlimit{{Name: "nofile", Soft: 321, Hard: 321}}
	s, c := startTestConfig(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cases := []struct {
		name  string
		p     Process
		stdin string
		want  string
		code  int
	}{
		{"user and groups of the container", Process{Args: []string{"id"}}, "", "uid=1000(app) gid=1000(app) groups=100(users),1000(app)\n", 0},
		{"user given", Process{Args: []string{"id", "-u"}, User: "nobody"}, "", "65534\n", 0},
		{"main process is PID 1", Process{Args: []string{"cat", "/proc/1/cmdline"}}, "", "sleep\x001000\x00", 0},
		{"only the container's processes", Process{Args: []string{"sh", "-c", "set -- /proc/[0-9]*; echo $#"}}, "", "2\n", 0}, // sleep and sh
		{"exit code", Process{Args: []string{"sh", "-c", "exit 7"}}, "", "", 7},
		{"killed by a signal", Process{Args: []string{"sh", "-c", "kill -9 $$"}}, "", "", 137},
		{"stdin", Process{Args: []string{"cat"}}, "fed in\n", "fed in\n", 0},
		{"working directory", Process{Args: []string{"pwd"}}, "", "/tmp\n", 0},
		{"environment", Process{Args: []string{"sh", "-c", "echo $PATH $X $HOSTNAME"}, Env: []string{"X=1"}}, "", "/bin:/sbin:/usr/bin:/usr/sbin 1 testbox\n", 0},
		{"hostname and mounts", Process{Args: []string{"sh", "-c", "hostname; grep -c ' / overlay ' /proc/mounts"}}, "", "testbox\n1\n", 0},
		{"network namespace", Process{Args: []string{"ls", "/sys/class/net"}}, "", "lo\n", 0},
		{"capabilities", Process{Args: []string{"grep", "-E", "CapBnd|NoNewPrivs|Seccomp:", "/proc/self/status"}, User: "root"}, "", "CapBnd:\t00000000a00425fb\nNoNewPrivs:\t0\nSeccomp:\t2\n", 0},
		{"rlimits", Process{Args: []string{"sh", "-c", "ulimit -n"}}, "", "321\n", 0},
		{"seccomp filter", Process{Args: []string{"sh", "-c", "unshare -U true 2>&1 | grep -o 'Operation not permitted'"}, User: "root"}, "", "Operation not permitted\n", 0},
		{"no host descriptors", Process{Args: []string{"ls", "/proc/self/fd"}}, "", "0\n1\n2\n3\n", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			opts := ExecOptions{Process: tc.p, Stdout: &out, Stderr: &out}
			if tc.stdin != "" {
				opts.Stdin = strings.NewReader(tc.stdin)
			}
			code, err := s.Exec(ctx, c.ID, opts)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want || code != tc.code {
				t.Errorf("got %q exit %d, want %q exit %d", out.String(), code, tc.want, tc.code)
			}
		})
	}
	if _, err := s.Exec(ctx, c.ID, ExecOptions{Process: Process{Args: []string{"/no/such"}}}); err == nil {
		t.Error("exec of a missing binary succeeded")
	}
	var out bytes.Buffer
	code, err := s.Exec(ctx, c.ID, ExecOptions{
		Process: Process{Args: []string{"sh", "-c", waitSize + "; tty"}, Terminal: true},
		Stdout:  &out,
		OnTerminal: func(master *os.File) {
			if err := SetTerminalSize(master, 30, 100); err != nil {
				t.Error(err)
			}
		},
	})
	if err != nil || code != 0 {
		t.Fatalf("exec -t: %v, exit %d", err, code)
	}
	if want := "30 100\r\n/dev/pts/0\r\n"; out.String() != want {
		t.Errorf("exec -t: got %q, want %q", out.String(), want)
	}
}

// BenchmarkExec measures `exec true` through the init and, without one,
// through the monitor's namespace-joining helper.
func BenchmarkExec(b *testing.B) {
	for _, noInit := range []bool{false, true} {
		name := map[bool]string{false: "init", true: "no-init"}[noInit]
		b.Run(name, func(b *testing.B) {
			s, opts := benchStore(b)
			cfg := testConfig(b, "sleep", "1000")
			cfg.NoInit = noInit
			c, err := s.Create(cfg)
			if err != nil {
				b.Fatal(err)
			}
			sess, err := s.Start(context.Background(), c.ID, opts)
			if err != nil {
				b.Fatal(err)
			}
			sess.Wait()
			b.ResetTimer()
			for b.Loop() {
				if code, err := s.Exec(context.Background(), c.ID, ExecOptions{Process: Process{Args: []string{"true"}}}); err != nil || code != 0 {
					b.Fatalf("exec: %v, exit %d", err, code)
				}
			}
		})
	}
}

// benchStore is testStore for a benchmark.
func benchStore(b *testing.B) (*Store, StartOptions) {
	needRoot(b)
	root, runRoot := b.TempDir(), b.TempDir()
	s, err := OpenStore(root, runRoot)
	if err != nil {
		b.Fatal(err)
	}
	b.Setenv("STACK_TEST_ROOT", root)
	b.Setenv("STACK_TEST_RUN_ROOT", runRoot)
	b.Cleanup(func() {
		all, _ := s.List()
		for _, c := range all {
			s.Stop(context.Background(), c.ID, "KILL", 0)
			s.Remove(c.ID)
		}
	})
	return s, StartOptions{MonitorArgv: []string{"/usr/bin/env", "STACK_TEST_MONITOR=1", os.Args[0]}}
}
