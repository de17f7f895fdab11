package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

var lifecycleCLI struct {
	once sync.Once
	path string
	err  error
}

// lifecycleBinary is $STACK_BIN or a stack binary built once for the tests.
func lifecycleBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("STACK_BIN"); bin != "" {
		return bin
	}
	lifecycleCLI.once.Do(func() {
		dir, err := os.MkdirTemp("", "stack-lifecycle-")
		if err != nil {
			lifecycleCLI.err = err
			return
		}
		lifecycleCLI.path = filepath.Join(dir, "stack")
		if out, err := exec.Command("go", "build", "-o", lifecycleCLI.path, ".").CombinedOutput(); err != nil {
			lifecycleCLI.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if lifecycleCLI.err != nil {
		t.Fatalf("build stack: %v", lifecycleCLI.err)
	}
	return lifecycleCLI.path
}

// lcEnv is one project driven through the built binary, with its own state
// directories and a busybox image, removed when the test ends.
type lcEnv struct {
	t       testing.TB
	bin     string
	root    string
	run     string
	dir     string
	project string
}

func newLcEnv(t testing.TB, stackFile string) *lcEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	base := t.TempDir()
	// The run root holds unix sockets, whose paths must stay short.
	run, err := os.MkdirTemp("", "r")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	e := &lcEnv{
		t: t, bin: lifecycleBinary(t),
		root: filepath.Join(base, "root"), run: run, dir: filepath.Join(base, "project"),
		project: projectNameFor(t.Name()),
	}
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.must("image", "import", busyboxTarball(t), "busybox")
	e.write(stackFile)
	t.Cleanup(func() {
		e.stack("down", "--volumes", "--remove-orphans", "-t", "0")
	})
	return e
}

// write replaces the stack file; NAME stands for the project's name.
func (e *lcEnv) write(stackFile string) {
	e.t.Helper()
	data := strings.ReplaceAll(stackFile, "NAME", e.project)
	if err := os.WriteFile(filepath.Join(e.dir, "stack.yaml"), []byte(data), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// stack runs the binary in the project directory.
func (e *lcEnv) stack(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	cmd := exec.Command(e.bin, append([]string{"--root", e.root, "--run-root", e.run}, args...)...)
	cmd.Dir = e.dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		e.t.Fatalf("stack %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// must runs the binary and fails the test unless it succeeds.
func (e *lcEnv) must(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.stack(args...)
	if code != 0 {
		e.t.Fatalf("stack %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// ids returns "name=id" for the project's containers, from ps -a --format json.
func (e *lcEnv) containers() map[string]psRow {
	e.t.Helper()
	out := e.must("ps", "-a", "--format", "json")
	got := map[string]psRow{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var p psRow
		if err := jsonUnmarshal(line, &p); err != nil {
			e.t.Fatalf("ps json %q: %v", line, err)
		}
		got[p.Name] = p
	}
	return got
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

var busybox struct {
	once sync.Once
	path string
	err  error
}

// busyboxTarball is the busybox root filesystem of the example script,
// made once and kept under /var/cache/stack-test: the script forks a few
// hundred times, which takes long on a busy machine.
func busyboxTarball(t testing.TB) string {
	t.Helper()
	busybox.once.Do(func() {
		dir := "/var/cache/stack-test"
		if busybox.err = os.MkdirAll(dir, 0o755); busybox.err != nil {
			return
		}
		lock, err := os.OpenFile(filepath.Join(dir, "busybox-rootfs.lock"), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			busybox.err = err
			return
		}
		defer lock.Close()
		if busybox.err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); busybox.err != nil {
			return
		}
		busybox.path = filepath.Join(dir, "busybox-rootfs.tar")
		if _, err := os.Stat(busybox.path); err == nil {
			return
		}
		if out, err := exec.Command("../../examples/base-images/busybox-rootfs.sh", busybox.path).CombinedOutput(); err != nil {
			busybox.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if busybox.err != nil {
		t.Skipf("busybox rootfs: %v", busybox.err)
	}
	return busybox.path
}

// projectNameFor makes a short project name, unique among concurrent test
// processes, from a test's name.
func projectNameFor(test string) string {
	name := strings.ToLower(test)
	for _, prefix := range []string{"testlifecycle", "benchmark"} {
		name = strings.TrimPrefix(name, prefix)
	}
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, name)
	if len(name) > 24 {
		name = name[:24]
	}
	return fmt.Sprintf("lc%d%s", os.Getpid()%10000, name)
}
