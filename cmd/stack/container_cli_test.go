package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"stack/runtime/image"
)

var containerCLI struct {
	once        sync.Once
	bin, tarErr string
	tarball     string
	err         error
}

// containerTestEnv is a stack binary with its own state directories and a
// busybox image imported as "busybox".
type containerTestEnv struct {
	t             *testing.T
	bin           string
	root, runRoot string
}

func newContainerTestEnv(t *testing.T) *containerTestEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	containerCLI.once.Do(func() {
		dir, err := os.MkdirTemp("", "stack-container-test-")
		if err != nil {
			containerCLI.err = err
			return
		}
		containerCLI.tarball = filepath.Join(dir, "busybox.tar")
		if out, err := exec.Command("../../examples/base-images/busybox-rootfs.sh", containerCLI.tarball).CombinedOutput(); err != nil {
			containerCLI.err = fmt.Errorf("busybox rootfs: %v: %s", err, out)
			return
		}
		containerCLI.bin = os.Getenv("STACK_BIN")
		if containerCLI.bin == "" {
			containerCLI.bin = filepath.Join(dir, "stack")
			if out, err := exec.Command("go", "build", "-o", containerCLI.bin, ".").CombinedOutput(); err != nil {
				containerCLI.err = fmt.Errorf("build stack: %v: %s", err, out)
			}
		}
	})
	if containerCLI.err != nil {
		t.Skip(containerCLI.err)
	}
	e := &containerTestEnv{t: t, bin: containerCLI.bin, root: t.TempDir(), runRoot: t.TempDir()}
	store, err := image.Open(e.root)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(containerCLI.tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := store.Import(context.Background(), f, image.ImportOptions{Ref: "busybox"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.cleanup)
	return e
}

// cleanup removes every container and checks that nothing is left behind.
func (e *containerTestEnv) cleanup() {
	ids, _, _ := e.stack("container", "ls", "-aq", "--no-trunc")
	for _, id := range strings.Fields(ids) {
		e.stack("container", "rm", "-f", id)
		for _, ctrl := range []string{"memory", "pids", "cpu", "unified"} {
			if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", ctrl, "stack", id)); err == nil {
				e.t.Errorf("cgroup %s/stack/%s left behind", ctrl, id)
			}
		}
	}
	// The default network outlives its containers, as docker0 does: the
	// test's root goes, so its bridge and rules go too.
	if _, errOut, code := e.stack("network", "rm", "bridge"); code != 0 && !strings.Contains(errOut, "no such network") {
		e.t.Errorf("network rm bridge: %s", errOut)
	}
}

// stack runs the binary and returns stdout, stderr and the exit code.
func (e *containerTestEnv) stack(args ...string) (string, string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, append([]string{"--root", e.root, "--run-root", e.runRoot}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		e.t.Fatalf("stack %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// ok runs the binary and fails the test unless it succeeds.
func (e *containerTestEnv) ok(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.stack(args...)
	if code != 0 {
		e.t.Fatalf("stack %v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

func (e *containerTestEnv) inspect(name string) map[string]any {
	e.t.Helper()
	var got []map[string]any
	if err := json.Unmarshal([]byte(e.ok("container", "inspect", name)), &got); err != nil || len(got) != 1 {
		e.t.Fatalf("inspect %s: %v", name, err)
	}
	return got[0]
}

func (e *containerTestEnv) state(name string) map[string]any {
	return e.inspect(name)["state"].(map[string]any)
}

// eventually polls cond for up to 20 s; it is a wait, not a timing check.
func (e *containerTestEnv) eventually(what string, cond func() bool) {
	e.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	e.t.Fatalf("timed out waiting for %s", what)
}

func TestContainerRunForeground(t *testing.T) {
	e := newContainerTestEnv(t)
	if out := e.ok("container", "run", "--rm", "--network", "none", "busybox", "echo", "hi"); out != "hi\n" {
		t.Errorf("run echo hi: got %q", out)
	}
	if _, errOut, code := e.stack("container", "run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo oops >&2; exit 3"); code != 3 || errOut != "oops\n" {
		t.Errorf("exit code: got %d, want 3; stderr %q", code, errOut)
	}
	if out := e.ok("container", "ls", "-aq"); out != "" {
		t.Errorf("--rm left containers: %q", out)
	}
	out := e.ok("container", "run", "--rm", "--network", "none", "-e", "A=1", "-w", "/tmp", "-u", "app", "-h", "box", "busybox", "sh", "-c", "echo $A $(pwd) $(id -un) $(hostname)")
	if out != "1 /tmp app box\n" {
		t.Errorf("flags: got %q", out)
	}
	if out := e.ok("container", "run", "--rm", "--network", "none", "-i", "busybox", "cat"); out != "" {
		t.Errorf("cat of an empty stdin: got %q", out)
	}
}

func TestContainerDetachedLifecycle(t *testing.T) {
	e := newContainerTestEnv(t)
	id := strings.TrimSpace(e.ok("container", "run", "-d", "--network", "none", "--name", "web", "busybox", "sh", "-c", "echo started; echo warn >&2; exec sleep 1000"))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want an ID", id)
	}
	ls := e.ok("container", "ls")
	if !strings.Contains(ls, "web") || !strings.Contains(ls, "Up ") || !strings.HasPrefix(ls, "CONTAINER ID   IMAGE") {
		t.Errorf("ls:\n%s", ls)
	}
	e.eventually("logs", func() bool {
		out, errOut, _ := e.stack("container", "logs", "web")
		return out == "started\n" && errOut == "warn\n"
	})
	if out := e.ok("container", "logs", "-t", "--tail", "2", "web"); !strings.HasPrefix(out, time.Now().UTC().Format("2006-")) || !strings.HasSuffix(out, " started\n") {
		t.Errorf("logs -t: %q", out)
	}
	if out := e.ok("container", "exec", "web", "sh", "-c", "echo $$ from $(hostname)"); !strings.HasSuffix(out, " from "+id[:12]+"\n") {
		t.Errorf("exec: %q", out)
	}
	if _, _, code := e.stack("container", "exec", "web", "sh", "-c", "exit 4"); code != 4 {
		t.Errorf("exec exit code: got %d, want 4", code)
	}
	if out := e.ok("container", "top", "web"); !strings.Contains(out, "sleep 1000") {
		t.Errorf("top:\n%s", out)
	}
	if out := e.ok("container", "stats", "--no-stream", "web"); !strings.Contains(out, "web") {
		t.Errorf("stats:\n%s", out)
	}
	if _, _, code := e.stack("container", "rm", "web"); code == 0 {
		t.Error("rm of a running container succeeded")
	}
	e.ok("container", "stop", "web")
	// sleep ignores nothing: the forwarded SIGTERM ends it.
	if st := e.state("web"); st["status"] != "exited" || st["exitCode"] != float64(143) {
		t.Errorf("after stop: %v", st)
	}
	if out := e.ok("container", "ls", "-a"); !strings.Contains(out, "Exited (143)") {
		t.Errorf("ls -a:\n%s", out)
	}
	e.ok("container", "start", "web")
	if st := e.state("web"); st["status"] != "running" {
		t.Errorf("after start: %v", st)
	}
	e.ok("container", "kill", "web")
	if out := e.ok("container", "wait", "web"); out != "137\n" {
		t.Errorf("wait after kill: %q", out)
	}
	e.ok("container", "rm", "web")
	if _, err := os.Stat(filepath.Join(e.root, "containers", id)); !os.IsNotExist(err) {
		t.Errorf("rm left %s: %v", id, err)
	}
	if _, err := os.Stat(filepath.Join(e.runRoot, "containers", id)); !os.IsNotExist(err) {
		t.Errorf("rm left the run dir: %v", err)
	}
}

func TestContainerStopIgnoringProcess(t *testing.T) {
	// A shell that traps TERM as PID 1 would need the SIGKILL timeout; with
	// the init, the signal reaches it and the trap runs.
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "trap", "busybox", "sh", "-c", "trap 'echo bye; exit 7' TERM; echo ready; while true; do sleep 0.05; done")
	e.eventually("the trap", func() bool { return e.ok("container", "logs", "trap") == "ready\n" })
	e.ok("container", "stop", "trap")
	if st := e.state("trap"); st["exitCode"] != float64(7) {
		t.Errorf("exit code after stop: %v, want 7", st["exitCode"])
	}
	e.eventually("the trap's output", func() bool { return e.ok("container", "logs", "trap") == "ready\nbye\n" })
}

func TestContainerRestartPolicy(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3")
	if out := e.ok("container", "wait", "flaky"); out != "3\n" {
		t.Errorf("wait: %q", out)
	}
	st := e.state("flaky")
	if st["restartCount"] != float64(2) {
		t.Errorf("restart count %v, want 2", st["restartCount"])
	}
	if out := e.ok("container", "logs", "flaky"); out != "run\nrun\nrun\n" {
		t.Errorf("logs of three runs: %q", out)
	}
	e.ok("container", "run", "-d", "--network", "none", "--name", "fine", "--restart", "on-failure", "busybox", "true")
	if out := e.ok("container", "wait", "fine"); out != "0\n" {
		t.Errorf("wait: %q", out)
	}
	if st := e.state("fine"); st["restartCount"] != nil {
		t.Errorf("a clean exit restarted: %v", st)
	}
}

func TestContainerHealthcheck(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "h", "--health-cmd", "test -e /tmp/ok", "--health-interval", "100ms",
		"--health-retries", "2", "busybox", "sleep", "1000")
	health := func() string {
		if h, ok := e.state("h")["health"].(map[string]any); ok {
			return h["status"].(string)
		}
		return ""
	}
	e.eventually("unhealthy", func() bool { return health() == "unhealthy" })
	e.ok("container", "exec", "h", "touch", "/tmp/ok")
	e.eventually("healthy", func() bool { return health() == "healthy" })
	if out := e.ok("container", "ls"); !strings.Contains(out, "(healthy)") {
		t.Errorf("ls:\n%s", out)
	}
}

func TestContainerOOM(t *testing.T) {
	e := newContainerTestEnv(t)
	_, _, code := e.stack("container", "run", "--network", "none", "--name", "hog", "--memory", "16m", "busybox", "sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived")
	st := e.state("hog")
	if st["oomKilled"] != true || code != 137 {
		t.Errorf("memory hog: exit %d, state %v", code, st)
	}
}

func TestContainerNamesUnique(t *testing.T) {
	e := newContainerTestEnv(t)
	var wg sync.WaitGroup
	codes := make([]int, 6)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, codes[i] = e.stack("container", "create", "--network", "none", "--name", "same", "busybox", "true")
		}()
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		if c == 0 {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d concurrent creates of one name succeeded, want 1", created)
	}
	if out := e.ok("container", "ls", "-aq"); len(strings.Fields(out)) != 1 {
		t.Errorf("containers after the race: %q", out)
	}
}

func TestContainerDeadMonitor(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "orphan", "busybox", "sleep", "1000")
	st := e.state("orphan")
	monitor, init := int(st["monitorPid"].(float64)), int(st["pid"].(float64))
	p, _ := os.FindProcess(monitor)
	p.Kill()
	e.eventually("the init to die with its monitor", func() bool {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", init))
		return os.IsNotExist(err)
	})
	e.eventually("ls to report it dead", func() bool { return strings.Contains(e.ok("container", "ls", "-a"), "Dead") })
	id := e.inspect("orphan")["id"].(string)
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/pids/stack", id)); err == nil {
		t.Error("the dead container's cgroup is still there")
	}
	e.ok("container", "rm", "orphan")
}

func TestContainerLogRotation(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "--network", "none", "--name", "chatty", "--log-opt", "max-size=2k", "--log-opt", "max-file=2", "busybox",
		"sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done")
	id := e.inspect("chatty")["id"].(string)
	log := filepath.Join(e.root, "containers", id, id+"-json.log")
	for _, f := range []string{log, log + ".1"} {
		st, err := os.Stat(f)
		if err != nil || st.Size() > 2048 {
			t.Errorf("%s: %v, size over 2k", f, err)
		}
	}
	if _, err := os.Stat(log + ".2"); err == nil {
		t.Error("max-file=2 kept a third file")
	}
	out := e.ok("container", "logs", "--tail", "1", "chatty")
	if out != "line 199\n" {
		t.Errorf("last line: %q", out)
	}
}

func TestContainerCopy(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "files", "busybox", "sh", "-c", "ln -s /etc /tmp/link; exec sleep 1000")
	e.eventually("the link", func() bool {
		_, _, code := e.stack("container", "exec", "files", "test", "-L", "/tmp/link")
		return code == 0
	})
	src := filepath.Join(t.TempDir(), "note.txt")
	os.WriteFile(src, []byte("hello\n"), 0o644)
	e.ok("container", "cp", src, "files:/root/")
	if out := e.ok("container", "exec", "files", "cat", "/root/note.txt"); out != "hello\n" {
		t.Errorf("copied in: %q", out)
	}
	// A link inside the container resolves inside it, never on the host.
	e.ok("container", "cp", src, "files:/tmp/link/planted.txt")
	if _, err := os.Stat("/etc/planted.txt"); err == nil {
		os.Remove("/etc/planted.txt")
		t.Fatal("cp followed a container link onto the host")
	}
	e.ok("container", "exec", "files", "test", "-f", "/etc/planted.txt")
	dst := t.TempDir()
	e.ok("container", "cp", "files:/etc/passwd", dst)
	if data, _ := os.ReadFile(filepath.Join(dst, "passwd")); !strings.HasPrefix(string(data), "root:x:0:0:") {
		t.Errorf("copied out: %q", data)
	}
}

func TestContainerRebootCleanup(t *testing.T) {
	// A reboot, simulated: every process of the container gone and the run
	// directory cleared. The next command cleans up and reports it dead.
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "boot", "busybox", "sleep", "1000")
	st := e.state("boot")
	id := e.inspect("boot")["id"].(string)
	for _, key := range []string{"monitorPid", "pid"} {
		p, _ := os.FindProcess(int(st[key].(float64)))
		p.Kill()
	}
	if err := os.RemoveAll(e.runRoot); err != nil {
		t.Fatal(err)
	}
	e.eventually("ls to report it dead", func() bool { return strings.Contains(e.ok("container", "ls", "-a"), "Dead") })
	for _, ctrl := range []string{"memory", "pids"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", ctrl, "stack", id)); err == nil {
			t.Errorf("cgroup %s/stack/%s survived", ctrl, id)
		}
	}
	e.ok("container", "rm", "boot")
	if _, err := os.Stat(filepath.Join(e.root, "containers", id)); !os.IsNotExist(err) {
		t.Errorf("rm left the container directory: %v", err)
	}
}

func TestContainerNetworkOfAnother(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "server", "busybox", "nc", "-l", "-p", "7000", "-e", "echo", "pong")
	e.eventually("the listener", func() bool {
		out, _, _ := e.stack("container", "exec", "server", "netstat", "-ltn")
		return strings.Contains(out, ":7000")
	})
	out := e.ok("container", "run", "--rm", "--network", "container:server", "busybox", "nc", "127.0.0.1", "7000")
	if out != "pong\n" {
		t.Errorf("through the shared loopback: %q", out)
	}
}

func TestContainerLogsFollow(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "ticker", "busybox", "sh", "-c", "echo one; while true; do sleep 0.1; echo tick; done")
	e.eventually("the first line", func() bool { return strings.HasPrefix(e.ok("container", "logs", "ticker"), "one\n") })
	// -f keeps printing what comes and ends when the container stops.
	done := make(chan string)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, _ := exec.CommandContext(ctx, e.bin, "--root", e.root, "--run-root", e.runRoot, "container", "logs", "-f", "--tail", "1", "ticker").Output()
		done <- string(out)
	}()
	time.Sleep(500 * time.Millisecond) // let lines arrive while it follows; not a timing check
	e.ok("container", "stop", "-t", "0", "ticker")
	if out := <-done; !strings.Contains(out, "tick\n") {
		t.Errorf("logs -f: %q", out)
	}
	if out := e.ok("container", "logs", "--since", "1h", "ticker"); !strings.HasPrefix(out, "one\ntick\n") {
		t.Errorf("--since 1h: %q", out)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if out := e.ok("container", "logs", "--since", future, "ticker"); out != "" {
		t.Errorf("--since the future: %q", out)
	}
	if _, errOut, code := e.stack("container", "logs", "--since", "yesterday", "ticker"); code == 0 || !strings.Contains(errOut, "--since") {
		t.Errorf("bad --since: exit %d, %q", code, errOut)
	}
}

func TestContainerRestartAlwaysStops(t *testing.T) {
	e := newContainerTestEnv(t)
	e.ok("container", "run", "-d", "--network", "none", "--name", "loop", "--restart", "always", "busybox", "sh", "-c", "exit 1")
	e.eventually("two restarts", func() bool {
		n, _ := e.state("loop")["restartCount"].(float64)
		return n >= 2
	})
	// stop ends the restarts, whether it finds the container running or
	// waiting out its backoff.
	e.ok("container", "stop", "loop")
	st := e.state("loop")
	if st["status"] != "exited" || st["monitorPid"] != nil {
		t.Errorf("after stop: %v", st)
	}
	// Exit 1 from the last run, or 143 if the stop caught a run.
	if out := e.ok("container", "ls", "-a"); !strings.Contains(out, "Exited (1)") && !strings.Contains(out, "Exited (143)") {
		t.Errorf("ls -a:\n%s", out)
	}
}
