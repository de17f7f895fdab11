package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const lcPausable = `name: NAME
services:
  web:
    image: busybox
    command: ["sh", "-c", "while :; do echo x >>/tmp/f; sleep 0.05; done"]
  db:
    image: busybox
    command: ["sleep", "1000"]
`

// TestLifecyclePause pauses and unpauses a service the way Compose does and
// checks what ps, container ls, inspect, exec and events make of it.
func TestLifecyclePause(t *testing.T) {
	e := newLcEnv(t, lcPausable)
	web, db := e.project+"-web-1", e.project+"-db-1"
	events := e.follow("events", "--json", "web")
	e.must("up", "-d")
	// A start seen says that events watches; if it took its first look
	// after up, a restart makes one.
	for attempt := 0; !events.saw(`"action":"start"`, 3*time.Second); attempt++ {
		if attempt == 10 {
			t.Fatal("events never reported a start")
		}
		e.must("restart", "-t", "0", "web")
	}

	_, stderr, code := e.stack("pause", "web")
	if code != 0 || !strings.Contains(stderr, "Container "+web+"  Paused") {
		t.Fatalf("pause web: exit %d, stderr %q", code, stderr)
	}
	got := e.containers()
	if got[web].State != "paused" || !strings.HasSuffix(got[web].Status, "(Paused)") || !strings.HasPrefix(got[web].Status, "Up ") {
		t.Errorf("ps after pause: web %q %q, want paused, \"Up … (Paused)\"", got[web].State, got[web].Status)
	}
	if got[db].State != "running" {
		t.Errorf("pause web touched db: %q", got[db].State)
	}
	if out := e.must("ps", "--status", "paused", "--services"); out != "web\n" {
		t.Errorf("ps --status paused: %q, want web", out)
	}
	if out := e.must("ps", "--filter", "status=running", "--services"); out != "db\n" {
		t.Errorf("ps --filter status=running: %q, want db", out)
	}
	if out := e.must("ps"); !strings.Contains(out, "(Paused)") {
		t.Errorf("ps table lacks (Paused):\n%s", out)
	}
	if out := e.must("container", "ls"); !strings.Contains(out, "(Paused)") {
		t.Errorf("container ls lacks (Paused):\n%s", out)
	}
	if out := e.must("ls", "--filter", "name="+e.project); !strings.Contains(out, "paused(1), running(1)") {
		t.Errorf("ls lacks the paused container:\n%s", out)
	}
	if out := e.must("plan"); strings.Contains(out, "web-1") {
		t.Errorf("plan on a paused, unchanged service is not empty:\n%s", out)
	}
	var inspect []struct {
		Rootfs struct{ Upper string }
		State  struct {
			Status string
			Paused bool
		}
	}
	if err := json.Unmarshal([]byte(e.must("container", "inspect", web)), &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	if !inspect[0].State.Paused || inspect[0].State.Status != "running" {
		t.Errorf("inspect: state %+v, want running and paused", inspect[0].State)
	}
	progress := filepath.Join(inspect[0].Rootfs.Upper, "tmp", "f")
	size := sizeOf(progress)
	time.Sleep(200 * time.Millisecond)
	if after := sizeOf(progress); after != size {
		t.Errorf("web made progress while paused: %d → %d bytes", size, after)
	}
	if _, stderr, code := e.stack("exec", "-T", "web", "true"); code == 0 || !strings.Contains(stderr, web+" is paused, unpause the container first") {
		t.Errorf("exec into paused web: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := e.stack("pause"); code != 0 || !strings.Contains(stderr, db+"  Paused") || strings.Contains(stderr, web) {
		t.Errorf("pause of a half-paused project: exit %d, stderr %q", code, stderr)
	}

	e.must("unpause")
	got = e.containers()
	if got[web].State != "running" || got[db].State != "running" || strings.Contains(got[web].Status, "Paused") {
		t.Errorf("after unpause: web %q %q, db %q", got[web].State, got[web].Status, got[db].State)
	}
	waitBigger(t, progress, size)
	if _, stderr, code := e.stack("container", "unpause", web); code == 0 || !strings.Contains(stderr, "container "+web+" is not paused") {
		t.Errorf("container unpause of a running container: exit %d, stderr %q", code, stderr)
	}
	events.expect(t, `"action":"pause"`, `"action":"unpause"`)

	// A paused project stops and goes down without waiting on frozen tasks.
	if out := e.must("container", "pause", web, db); out != web+"\n"+db+"\n" {
		t.Errorf("container pause output %q", out)
	}
	e.must("stop", "-t", "30")
	if got := e.containers(); got[web].State != "exited" || got[db].State != "exited" {
		t.Errorf("after stop of the paused project: %+v", got)
	}
	if _, stderr, code := e.stack("container", "pause", web); code == 0 || !strings.Contains(stderr, "container "+web+" is not running") {
		t.Errorf("container pause of a stopped container: exit %d, stderr %q", code, stderr)
	}
}

func sizeOf(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func waitBigger(t *testing.T, path string, size int64) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if sizeOf(path) > size {
			return
		}
	}
	t.Errorf("%s did not grow past %d bytes after unpause", path, size)
}

// followed is a long-running command whose stdout lines are collected.
type followed struct{ lines chan string }

// follow starts a command that runs until the test ends.
func (e *lcEnv) follow(args ...string) *followed {
	e.t.Helper()
	cmd := exec.Command(e.bin, append([]string{"--root", e.root, "--run-root", e.run}, args...)...)
	cmd.Dir = e.dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	f := &followed{lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f.lines <- sc.Text()
		}
		close(f.lines)
	}()
	return f
}

// saw reports whether a line containing want comes within d.
func (f *followed) saw(want string, d time.Duration) bool {
	timeout := time.After(d)
	for {
		select {
		case line, ok := <-f.lines:
			if !ok {
				return false
			}
			if strings.Contains(line, want) {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

// expect waits for lines containing each of wants, in order.
func (f *followed) expect(t *testing.T, wants ...string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for _, want := range wants {
		for found := false; !found; {
			select {
			case line, ok := <-f.lines:
				if !ok {
					t.Errorf("output ended before %s", want)
					return
				}
				found = strings.Contains(line, want)
			case <-timeout:
				t.Errorf("no line with %s", want)
				return
			}
		}
	}
}
