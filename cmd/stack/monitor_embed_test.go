package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestContainerMonitorBinary checks what a container's monitor runs from:
// built with the embedinit tag (make build), the small stack-monitor,
// written once into the run root and shared by every monitor, which
// refuses to be run by hand; without it, stack itself.
func TestContainerMonitorBinary(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "monbin", "busybox", "sleep", "1000")
	e.ok("container", "run", "-d", "--network", "none", "--name", "monbin2", "busybox", "sleep", "1000")
	// monitorExe is the file a container's monitor runs and its content.
	monitorExe := func(name string) (string, []byte) {
		pid, ok := e.state(name)["monitorPid"].(float64)
		if !ok || pid <= 0 {
			t.Fatalf("container %s: no monitorPid in its state", name)
		}
		exe := "/proc/" + strconv.Itoa(int(pid)) + "/exe"
		link, err := os.Readlink(exe)
		if err != nil {
			t.Fatal(err)
		}
		image, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		return link, image
	}
	exe, image := monitorExe("monbin")
	exe2, image2 := monitorExe("monbin2")
	pid := int(e.state("monbin")["monitorPid"].(float64))
	if env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ"); os.Getenv("GOMAXPROCS") == "" && (err != nil || !bytes.Contains(env, []byte("\x00GOMAXPROCS=1\x00"))) {
		t.Errorf("the monitor's environment lacks GOMAXPROCS=1 (%v)", err)
	}
	whole, err := os.ReadFile(e.bin)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(image, whole) {
		// stack is its own monitor; a later monitor may run from the
		// sealed copy of it that the first one's init runs from.
		if !bytes.Equal(image2, whole) {
			t.Errorf("the second monitor runs %s, not a copy of %s", exe2, e.bin)
		}
		if monitorBinary != "" && os.Getenv("STACK_BIN") != "" {
			t.Errorf("the monitor runs the whole %s: build it with make build (tag embedinit)", e.bin)
		}
		return
	}
	if exe != exe2 {
		t.Errorf("the two monitors run different binaries: %s, %s", exe, exe2)
	}
	if dir, name := filepath.Split(exe); filepath.Clean(dir) != e.runRoot || !strings.HasPrefix(name, "stack-monitor-") {
		t.Errorf("the monitor runs %s; want a stack-monitor-* in the run root %s", exe, e.runRoot)
	}
	if len(image) >= len(whole)*3/4 {
		t.Errorf("the monitor's binary has %d bytes, stack %d: want the small stack-monitor", len(image), len(whole))
	}
	if st, err := os.Stat(exe); err != nil || st.Mode().Perm()&0o222 != 0 || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("mode of %s: %v (%v); want readable and executable by root only, not writable", exe, st.Mode(), err)
	}
	wantRefusedByHand(t, exe, "it is not run by hand")
}

// A run root mounted noexec (as /run is on some systems) cannot hold the
// monitor binary: it goes into the root instead.
func TestMonitorBinaryNoexecRunRoot(t *testing.T) {
	e := newContainerTestEnv(t)
	if err := unix.Mount("tmpfs", e.runRoot, "tmpfs", unix.MS_NOEXEC|unix.MS_NOSUID|unix.MS_NODEV, "mode=0700"); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(e.runRoot, unix.MNT_DETACH)
	e.ok("container", "run", "-d", "--network", "none", "--name", "noexec", "busybox", "sleep", "1000")
	defer e.ok("container", "rm", "-f", "noexec")
	pid, ok := e.state("noexec")["monitorPid"].(float64)
	if !ok || pid <= 0 {
		t.Fatal("no monitorPid in the container's state")
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(int(pid)) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	if monitorBinary != "" && os.Getenv("STACK_BIN") != "" && filepath.Dir(exe) != e.root {
		t.Errorf("with a noexec run root the monitor runs %s; want a stack-monitor-* in the root %s", exe, e.root)
	}
	if out := e.ok("container", "exec", "noexec", "echo", "ok"); out != "ok\n" {
		t.Errorf("exec: %q", out)
	}
}
