package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLifecycleUpAttached runs up in the foreground: the logs come
// prefixed, and --exit-code-from passes the service's exit code through.
func TestLifecycleUpAttached(t *testing.T) {
	e := newLcEnv(t, `name: NAME
services:
  job:
    image: busybox
    command: ["sh", "-c", "echo working; exit 4"]
  side:
    image: busybox
    command: ["sleep", "1000"]
`)
	out, errOut, code := e.stack("up", "--no-color", "--exit-code-from", "job")
	if code != 4 {
		t.Errorf("up --exit-code-from job: exit %d, want 4\n%s", code, errOut)
	}
	work, exit := strings.Index(out, "| working"), strings.Index(out, "job-1 exited with code 4")
	if work < 0 || exit < work {
		t.Errorf("attached output:\n%s", out)
	}
	if !strings.Contains(errOut, "Aborting on container exit") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if got := e.containers()[e.project+"-side-1"]; got.State != "exited" {
		t.Errorf("side after the abort: %+v, want stopped", got)
	}
}

// TestLifecycleUpWait waits for health with --wait.
func TestLifecycleUpWait(t *testing.T) {
	e := newLcEnv(t, `name: NAME
services:
  db:
    image: busybox
    command: ["sh", "-c", "sleep 1; touch /tmp/ok; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 100ms
      start_period: 60s
`)
	e.must("up", "--wait")
	if got := e.containers()[e.project+"-db-1"]; got.Health != "healthy" {
		t.Errorf("after up --wait: %+v, want healthy", got)
	}
}

// TestLifecycleVolumeFromImage fills a new named volume with what the
// image has at the mount point, and refuses a missing external volume.
func TestLifecycleVolumeFromImage(t *testing.T) {
	e := newLcEnv(t, `name: NAME
services:
  app:
    image: busybox
    command: ["sleep", "1000"]
    volumes: [home:/home]
volumes:
  home:
`)
	e.must("up", "-d")
	if out := e.must("exec", "-T", "app", "ls", "/home"); out != "app\n" {
		t.Errorf("new volume at /home holds %q, want the image's app directory", out)
	}
	e.write(`name: NAME
services:
  app:
    image: busybox
    command: ["sleep", "1000"]
    volumes: [outside:/data]
volumes:
  outside:
    external: true
    name: NAME-missing
`)
	_, errOut, code := e.stack("up", "-d")
	if code == 0 || !strings.Contains(errOut, "declared as external, but could not be found") {
		t.Errorf("up with a missing external volume: exit %d\n%s", code, errOut)
	}
}

// TestLifecycleUpInterrupted stops an attached up with Ctrl-C: the
// containers stop gracefully and up returns.
func TestLifecycleUpInterrupted(t *testing.T) {
	e := newLcEnv(t, lcPair)
	cmd := exec.Command(e.bin, "--root", e.root, "--run-root", e.run, "up", "--no-color")
	cmd.Dir = e.dir
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &out, "Container "+e.project+"-web-1  Started")
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("up did not return after Ctrl-C:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Gracefully stopping") {
		t.Errorf("output:\n%s", out.String())
	}
	for name, c := range e.containers() {
		if c.State != "exited" {
			t.Errorf("%s after Ctrl-C: %s, want exited", name, c.State)
		}
	}
}
