package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"stack/cmd/internal/initbin"
)

// TestContainerInitBinary checks what a container's init runs from: a
// sealed in-memory copy that every container shares, not writable from the
// host or the container; built with the embedinit tag (make build), a copy
// of the small stack-init, which refuses to be run by hand; without it, a
// copy of stack itself.
func TestContainerInitBinary(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "initbin", "busybox", "sleep", "1000")
	e.ok("container", "run", "-d", "--network", "none", "--name", "initbin2", "busybox", "sleep", "1000")
	exe := "/proc/" + strconv.Itoa(int(e.state("initbin")["pid"].(float64))) + "/exe"
	exe2 := "/proc/" + strconv.Itoa(int(e.state("initbin2")["pid"].(float64))) + "/exe"

	if link, err := os.Readlink(exe); err != nil || !strings.HasPrefix(link, "/memfd:stack-init") {
		t.Errorf("init's executable: %q, %v; want the memfd stack-init", link, err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if got, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0); err != nil || got&seals != seals {
		t.Errorf("seals of the init's executable: %#x, %v; want %#x", got, err, seals)
	}
	if w, err := os.OpenFile(exe, os.O_WRONLY, 0); err == nil {
		w.Close()
		t.Error("the init's executable opened for writing from the host")
	}
	var st1, st2 unix.Stat_t
	if unix.Stat(exe, &st1) != nil || unix.Stat(exe2, &st2) != nil || st1.Dev != st2.Dev || st1.Ino != st2.Ino {
		t.Errorf("the two containers' inits run from different copies (inodes %d, %d)", st1.Ino, st2.Ino)
	}
	if out := e.ok("container", "exec", "initbin", "sh", "-c", "echo x 2>/dev/null >> /proc/1/exe && echo written || echo refused"); out != "refused\n" {
		t.Errorf("write to /proc/1/exe from the container: %q", out)
	}

	image, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(e.bin)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(image, whole) {
		// Built without embedinit: acceptable only where the test was too,
		// or where it built stack itself without the tag.
		if initbin.Binary != "" && os.Getenv("STACK_BIN") != "" {
			t.Errorf("the init runs from a copy of the whole %s (%d bytes): build it with make build (tag embedinit)", e.bin, len(whole))
		}
		return
	}
	if len(image) >= len(whole) {
		t.Errorf("the init's binary has %d bytes, stack %d: want the small stack-init", len(image), len(whole))
	}
	// The copy is stack-init: run by hand, it says so and exits 2.
	path := filepath.Join(t.TempDir(), "stack-init")
	if err := os.WriteFile(path, image, 0o755); err != nil {
		t.Fatal(err)
	}
	wantRefusedByHand(t, path, "stack-init: the init of stack's containers")
}

// wantRefusedByHand runs the executable at path, one of stack's embedded
// binaries, as a user would: it must exit 2 and say why (why, in its
// standard error).
func wantRefusedByHand(t *testing.T, path, why string) {
	t.Helper()
	var errOut bytes.Buffer
	cmd := exec.Command(path)
	cmd.Stderr = &errOut
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(errOut.String(), why) {
		t.Errorf("%s run by hand: exit %d (%v), stderr %q; want exit 2 and why", filepath.Base(path), code, err, errOut.String())
	}
}
