package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestContainerSeccompProfileErrors checks that a bad profile is refused
// at create with the file and the JSON path of the problem.
func TestContainerSeccompProfileErrors(t *testing.T) {
	e := newContainerTestEnv(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}, {"names": ["rmdir"], "action": "SCMP_ACT_EROR"}]}`), 0o644)
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, bad)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ opt, want string }{
		{"seccomp=" + rel, `--security-opt "seccomp=` + rel + `": seccomp profile ` + bad + `: syscalls[1].action: unknown action "SCMP_ACT_EROR"`},
		{"seccomp=" + filepath.Join(dir, "none.json"), "no such file or directory"},
		{"seccomp", "expected seccomp=unconfined or seccomp=PROFILE.json"},
	}
	for _, tc := range cases {
		_, errOut, code := e.stack("container", "run", "--rm", "--network", "none", "--security-opt", tc.opt, "busybox", "true")
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("--security-opt %s: exit %d, stderr %q, want one containing %q", tc.opt, code, errOut, tc.want)
		}
	}
	if out, _, _ := e.stack("container", "ls", "-aq"); out != "" {
		t.Errorf("containers left by refused runs: %q", out)
	}
}

// TestContainerPrivilegedDevices checks that only --privileged brings the
// host's devices.
func TestContainerPrivilegedDevices(t *testing.T) {
	e := newContainerTestEnv(t)
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		t.Skip("the host has no /dev/kmsg")
	}
	if _, _, code := e.stack("container", "run", "--rm", "--network", "none", "busybox", "test", "-c", "/dev/kmsg"); code != 1 {
		t.Errorf("default container: test -c /dev/kmsg exit %d, want 1", code)
	}
	e.ok("container", "run", "--rm", "--network", "none", "--privileged", "busybox", "test", "-c", "/dev/kmsg")
}

// TestContainerExecNoInit execs into a container whose main process is
// PID 1.
func TestContainerExecNoInit(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--no-init", "--name", "solo", "busybox", "sleep", "1000")
	out, errOut, code := e.stack("container", "exec", "solo", "cat", "/proc/1/cmdline")
	if code != 0 || out != "sleep\x001000\x00" {
		t.Errorf("exec cat /proc/1/cmdline: exit %d, %q %q", code, out, errOut)
	}
	if out := e.ok("container", "exec", "-u", "nobody", "solo", "id", "-u"); out != "65534\n" {
		t.Errorf("exec -u nobody id -u: %q", out)
	}
	if _, _, code := e.stack("container", "exec", "solo", "sh", "-c", "exit 5"); code != 5 {
		t.Errorf("exec exit 5: exit %d", code)
	}
}

// TestStackSeccompProfilePath checks that security_opt's profile path is
// the project directory's, not the caller's.
func TestStackSeccompProfilePath(t *testing.T) {
	e := newLcEnv(t, "")
	sub := filepath.Join(e.dir, "sub")
	os.MkdirAll(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "stack.yaml"), []byte(`name: `+e.project+`
services:
  job:
    image: busybox
    command: ["true"]
    security_opt: ["seccomp=./profile.json"]
`), 0o644)
	// The project lives in sub/: its containers and their monitors must be
	// gone before the test's directories are (the default cleanup's down
	// reads the empty stack.yaml at the top and fails).
	t.Cleanup(func() { e.stack("-f", "sub/stack.yaml", "down", "-t", "0") })
	os.WriteFile(filepath.Join(sub, "profile.json"), []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`), 0o644)
	_, errOut, code := e.stack("-f", "sub/stack.yaml", "up", "-d")
	want := `service "job": security_opt "seccomp=./profile.json": seccomp profile ` + filepath.Join(sub, "profile.json") + `: syscalls[0].args[0].index: 9: a system call has arguments 0 to 5`
	if code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("up with a bad profile: exit %d, stderr %q, want one containing %q", code, errOut, want)
	}
	os.WriteFile(filepath.Join(sub, "profile.json"), []byte(`{"defaultAction": "SCMP_ACT_ALLOW"}`), 0o644)
	e.must("-f", "sub/stack.yaml", "up", "-d")
}

// TestContainerDevice checks --device: the host's node is there and
// usable, and a bad request is refused with the flag named.
func TestContainerDevice(t *testing.T) {
	e := newContainerTestEnv(t)
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("the host has no /dev/fuse")
	}
	out := e.ok("container", "run", "--rm", "--network", "none", "--device", "/dev/fuse", "--device", "/dev/fuse:/dev/f2:rw",
		"busybox", "sh", "-c", "exec 3<>/dev/fuse && exec 4<>/dev/f2 && echo opened")
	if out != "opened\n" {
		t.Errorf("got %q", out)
	}
	_, errOut, code := e.stack("container", "run", "--rm", "--network", "none", "--device", "/dev/fuse:/dev/fuse:r", "busybox", "true")
	if want := `--device "/dev/fuse": permissions "r": only rw and rwm are supported`; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("--device with r: exit %d, stderr %q, want one containing %q", code, errOut, want)
	}
}

// TestStackDeviceErrors checks that devices: is read, and a bad entry
// refused with its service and index.
func TestStackDeviceErrors(t *testing.T) {
	e := newLcEnv(t, `name: NAME
services:
  job:
    image: busybox
    command: ["true"]
    devices: ["/dev/null", "/etc/hostname"]
`)
	_, errOut, code := e.stack("up", "-d")
	if want := `service "job": devices[1] "/etc/hostname": not a character or block device`; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("up: exit %d, stderr %q, want one containing %q", code, errOut, want)
	}
}

// TestContainerExecNoInitTerminal runs exec -it into a container without
// an init from a terminal: the process gets its own pty of the
// container's devpts, sized like the caller's.
func TestContainerExecNoInitTerminal(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--no-init", "--name", "solo", "busybox", "sleep", "1000")
	master, slave := openTestPty(t)
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 33, Col: 99}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(e.bin, "--root", e.root, "--run-root", e.runRoot, "container", "exec", "-it", "solo", "sh", "-c",
		// The size comes once the process runs: wait for it.
		`while :; do s=$(stty size 2>/dev/null); case "$s" in ""|"0 0") sleep 0.05;; *) break;; esac; done; tty; echo $s; exit 3`)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	out := make(chan string)
	go func() {
		data, _ := io.ReadAll(master) // ends with EIO once the last slave is closed
		out <- string(data)
	}()
	err := cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Errorf("exec -it: %v, want exit 3", err)
	}
	if got, want := <-out, "/dev/pts/0\r\n33 99\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// openTestPty opens a pseudo-terminal pair of the host.
func openTestPty(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// TestStackDevice checks devices: in a stack file, next to a volume.
func TestStackDevice(t *testing.T) {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("the host has no /dev/fuse")
	}
	e := newLcEnv(t, `name: NAME
services:
  job:
    image: busybox
    command: ["sh", "-c", "exec 3<>/dev/fuse && test -c /dev/f2 && test -d /data && echo ok"]
    devices: ["/dev/fuse", "/dev/fuse:/dev/f2:rw"]
    volumes: ["data:/data"]
volumes:
  data:
`)
	out := e.must("up", "--no-color", "--exit-code-from", "job")
	if !strings.Contains(out, "| ok") {
		t.Errorf("output:\n%s", out)
	}
}
