package main

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const lcPair = `name: NAME
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: [db]
  db:
    image: busybox
    command: ["sleep", "1000"]
`

// TestLifecycleConcurrentUp runs two ups of one project at once: they
// serialize on the project's lock and the second finds nothing to do.
func TestLifecycleConcurrentUp(t *testing.T) {
	e := newLcEnv(t, lcPair)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	errs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i], codes[i] = e.stack("up", "-d")
		}()
	}
	wg.Wait()
	for i := range 2 {
		if codes[i] != 0 {
			t.Errorf("up %d: exit %d\n%s", i, codes[i], errs[i])
		}
	}
	if got := e.containers(); len(got) != 2 {
		t.Errorf("containers after two concurrent ups: %v", got)
	}
	if got := e.must("plan"); !strings.HasPrefix(got, "nothing to do") {
		t.Errorf("plan:\n%s", got)
	}
}

// TestLifecycleOtherProjectUntouched brings up two projects in one root
// and takes one down: the other keeps running.
func TestLifecycleOtherProjectUntouched(t *testing.T) {
	e := newLcEnv(t, lcPair)
	other := *e
	other.project, other.dir = e.project+"b", e.dir+"b"
	if err := os.MkdirAll(other.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	other.write(lcPair)
	e.must("up", "-d")
	other.must("up", "-d")
	t.Cleanup(func() { other.stack("down", "-t", "0") })
	e.must("down", "--remove-orphans")
	got := other.containers()
	if len(got) != 2 || got[other.project+"-web-1"].State != "running" {
		t.Errorf("the other project after down of the first: %v", got)
	}
}

// TestLifecycleKilledUp kills an up while it waits for a dependency to be
// healthy; the next up converges from what was left.
func TestLifecycleKilledUp(t *testing.T) {
	e := newLcEnv(t, `name: NAME
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    depends_on:
      db: {condition: service_healthy}
  db:
    image: busybox
    command: ["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 100ms
      start_period: 60s
`)
	cmd := exec.Command(e.bin, "--root", e.root, "--run-root", e.run, "up", "-d")
	cmd.Dir = e.dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once db runs: up is then waiting for db's health.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, ok := e.containers()[e.project+"-db-1"]; ok && c.State == "running" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if got := e.containers()[e.project+"-web-1"]; got.State == "running" {
		t.Fatalf("web runs although up was killed before db was healthy: %+v", got)
	}
	e.must("up", "-d")
	got := e.containers()
	if got[e.project+"-web-1"].State != "running" || got[e.project+"-db-1"].Health != "healthy" {
		t.Errorf("after the second up: %+v", got)
	}
	if plan := e.must("plan"); !strings.HasPrefix(plan, "nothing to do") {
		t.Errorf("plan after converging:\n%s", plan)
	}
}
