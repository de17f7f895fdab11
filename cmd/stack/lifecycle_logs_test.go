package main

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLifecycleLogsFollowRecreate follows the logs while a service is
// recreated: the new container's output shows up in the same stream.
func TestLifecycleLogsFollowRecreate(t *testing.T) {
	file := `name: NAME
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo generation $$GEN; exec sleep 1000"]
    environment: {GEN: "one"}
`
	e := newLcEnv(t, file)
	e.must("up", "-d")
	cmd := exec.Command(e.bin, "--root", e.root, "--run-root", e.run, "logs", "--follow", "--no-color")
	cmd.Dir = e.dir
	var out syncBuffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	waitFor(t, &out, "web-1 | generation one")
	e.write(strings.Replace(file, `GEN: "one"`, `GEN: "two"`, 1))
	e.must("up", "-d")
	waitFor(t, &out, "web-1 | generation two")
}

func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(out.String(), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("logs --follow never printed %q; got:\n%s", want, out.String())
}
