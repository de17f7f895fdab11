package container

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestNsExecSignal drives the helper as a monitor does, from this test
// process: a signal request reaches the exec'd process, whose status
// comes back, and the helper is gone afterwards.
func TestNsExecSignal(t *testing.T) {
	cfg := testConfig(t, "sleep", "1000")
	cfg.NoInit = true
	s, c := startTestConfig(t, cfg)
	c, err := s.Get(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := &monitor{store: s, c: c}
	inst := &instance{pid: c.State.Pid}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	id, replies, err := m.startExec(inst, Process{Args: []string{"sh", "-c", "echo ready; exec sleep 1000"}}, [3]int{-1, int(w.Fd()), -1})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	started := <-replies
	if started.msg.Type != msgStarted || started.msg.Pid <= 1 {
		t.Fatalf("first reply %+v, want started with the process's pid in the container", started.msg)
	}
	buf := make([]byte, 6)
	if _, err := r.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("read %q, %v", buf, err)
	}
	m.signalExec(inst, id, unix.SIGKILL)
	select {
	case exited := <-replies:
		if exited.msg.Type != msgExited || exited.msg.Status != 128+int(unix.SIGKILL) {
			t.Errorf("got %+v, want exited with status 137", exited.msg)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGKILL")
	}
	if _, ok := <-replies; ok {
		t.Error("replies not closed after the exit")
	}
	helpers.mu.Lock()
	left := len(helpers.socks)
	helpers.mu.Unlock()
	if left != 0 {
		t.Errorf("%d helper sockets left", left)
	}
}
