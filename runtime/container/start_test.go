package container

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stack/runtime/cgroups"
)

func TestPrestartedMonitorRunsItsContainer(t *testing.T) {
	s, opts := testStore(t)
	var out bytes.Buffer
	opts.Stdout = &out
	id := NewID()
	early, err := s.Prestart(id, opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "sh", "-c", "echo early; exit 3")
	cfg.ID = id
	c, err := s.Create(cfg)
	if err != nil {
		early.Cancel()
		t.Fatal(err)
	}
	opts.Early = early
	sess, err := s.Start(context.Background(), c.ID, opts)
	if err != nil {
		t.Fatal(err)
	}
	code, err := sess.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 || out.String() != "early\n" {
		t.Errorf("got code %d, output %q; want 3, %q", code, out.String(), "early\n")
	}
	// Its output goes to the container's monitor.log once it is released.
	if _, err := os.Stat(filepath.Join(s.Dir(id), "monitor.log")); err != nil {
		t.Errorf("monitor.log of the early monitor: %v", err)
	}
}

func TestPrestartedMonitorEndsWhenCancelled(t *testing.T) {
	s, opts := testStore(t)
	id := NewID()
	early, err := s.Prestart(id, opts)
	if err != nil {
		t.Fatal(err)
	}
	early.Cancel()
	early.Cancel() // a second time does nothing
	waitNoMonitor(t, id)
	if _, err := os.Stat(s.Dir(id)); !os.IsNotExist(err) {
		t.Errorf("container directory after a cancelled prestart: got %v, want it absent", err)
	}
}

func TestStartRefusesTheEarlyMonitorOfAnotherContainer(t *testing.T) {
	s, opts := testStore(t)
	id := NewID()
	early, err := s.Prestart(id, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Create(testConfig(t, "true"))
	if err != nil {
		early.Cancel()
		t.Fatal(err)
	}
	opts.Early = early
	if _, err := s.Start(context.Background(), c.ID, opts); err == nil || !strings.Contains(err.Error(), id) {
		t.Errorf("Start with the early monitor of %s: got %v, want an error naming it", id[:12], err)
	}
	waitNoMonitor(t, id)
	if got, err := s.Get(c.ID); err != nil || got.State.Status != StatusCreated {
		t.Errorf("container after the refused start: got %+v, %v; want it created", got, err)
	}
}

func TestPrestartRefusesBadIDs(t *testing.T) {
	s, opts := testStore(t)
	for _, id := range []string{"", ".", "..", "a/b", "a\x00b"} {
		if early, err := s.Prestart(id, opts); err == nil {
			early.Cancel()
			t.Errorf("Prestart(%q): got no error", id)
		}
	}
}

// waitNoMonitor waits until no process runs with id on its command line,
// as a monitor does.
func waitNoMonitor(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := processesWith(id)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("monitor of %s still running: %v", id[:12], pids)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func processesWith(arg string) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []string
	for _, path := range dirs {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for _, a := range strings.Split(string(data), "\x00") {
			if a == arg {
				pids = append(pids, filepath.Base(filepath.Dir(path)))
			}
		}
	}
	return pids
}

func TestOOMKilled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		unified bool
		file    string // "" for none
		data    string
		want    bool
	}{
		{"v1 killed", false, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", true},
		{"v1 not killed", false, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", false},
		{"v2 killed", true, "memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n", true},
		{"v2 oom without kill", true, "memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 0\n", false},
		{"no memory controller", false, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.file != "" {
				if err := writeFile(filepath.Join(dir, tc.file), tc.data); err != nil {
					t.Fatal(err)
				}
			}
			cg := &cgroups.Cgroup{Unified: tc.unified, Paths: map[string]string{"": dir, "memory": dir}}
			if got := oomKilled(cg); got != tc.want {
				t.Errorf("oomKilled: got %v, want %v", got, tc.want)
			}
		})
	}
}

// A monitor that ends records, with the final state, that it released the
// container's cgroup (and network): removing the container then skips
// that; a new start clears the mark, so that after a monitor's crash the
// removal releases them again.
func TestFinalStateReleased(t *testing.T) {
	s, opts := testStore(t)
	c := startInStore(t, s, opts, testConfig(t, "sleep", "1000"))
	cg := cgroups.Open(cgroupName(c.ID))
	if len(cg.Paths) == 0 {
		t.Fatal("no cgroup paths")
	}
	for _, p := range cg.Paths {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("cgroup of the running container: %v", err)
		}
	}
	running, err := s.Get(c.ID)
	if err != nil || running.State.Released {
		t.Fatalf("running container: released %v, %v", running.State.Released, err)
	}
	if err := s.Stop(context.Background(), c.ID, "", time.Second); err != nil {
		t.Fatal(err)
	}
	stopped, err := s.Get(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stopped.State.Released || stopped.State.MonitorPid != 0 {
		t.Errorf("after stop: released %v, monitor %d; want released, no monitor", stopped.State.Released, stopped.State.MonitorPid)
	}
	for _, p := range cg.Paths {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s outlived the container's monitor: %v", p, err)
		}
	}
	sess, err := s.Start(context.Background(), c.ID, opts)
	if err != nil {
		t.Fatal(err)
	}
	sess.Wait()
	again, err := s.Get(c.ID)
	if err != nil || again.State.Released || !again.Running() {
		t.Errorf("started again: released %v, running %v, %v; want running, not released", again.State.Released, again.Running(), err)
	}
}

// ListSummaries reads of each container what listings show and its
// state, and nothing else of its configuration.
func TestListSummaries(t *testing.T) {
	s, opts := testStore(t)
	cfg := testConfig(t, "sleep", "1000")
	cfg.Name, cfg.Image, cfg.Labels = "summary", "busybox", map[string]string{"com.example": "x"}
	cfg.Network.Ports = []PortBinding{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}
	c, err := s.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListSummaries()
	if err != nil || len(list) != 1 {
		t.Fatalf("ListSummaries: %d containers, %v", len(list), err)
	}
	got := list[0]
	if got.ID != c.ID || got.Name != "summary" || got.Image != "busybox" || got.Labels["com.example"] != "x" || got.Created.IsZero() {
		t.Errorf("identity: got %s %q %q %v %v", got.ID, got.Name, got.Image, got.Labels, got.Created)
	}
	if len(got.Process.Args) != 2 || got.Process.Args[0] != "sleep" || len(got.Network.Ports) != 1 || got.Network.Ports[0] != cfg.Network.Ports[0] {
		t.Errorf("command and ports: %q, %+v", got.Process.Args, got.Network.Ports)
	}
	if got.State.Status != StatusCreated {
		t.Errorf("state: %+v, want created", got.State)
	}
	if len(got.Process.Env) != 0 || got.Hostname != "" || len(got.Rootfs.Lower) != 0 {
		t.Errorf("ListSummaries read more than a summary: env %q, hostname %q, rootfs %v", got.Process.Env, got.Hostname, got.Rootfs)
	}
	idents, err := s.ListIdentities()
	if err != nil || len(idents) != 1 || idents[0].Name != "summary" || idents[0].Labels["com.example"] != "x" || len(idents[0].Process.Args) != 0 || len(idents[0].Network.Ports) != 0 {
		t.Errorf("ListIdentities: %+v, %v; want the identity without command and ports", idents, err)
	}
	started := startInStore(t, s, opts, testConfig(t, "sleep", "1000"))
	list, err = s.ListSummaries()
	if err != nil || len(list) != 2 {
		t.Fatalf("ListSummaries: %d containers, %v", len(list), err)
	}
	for _, l := range list {
		if l.ID == started.ID && (!l.Running() || l.State.Pid == 0) {
			t.Errorf("started container: state %+v, want running", l.State)
		}
	}
	full, err := s.List()
	if err != nil || len(full) != 2 || len(full[0].Process.Env) == 0 {
		t.Errorf("List: %v, %v; want the whole configuration", full, err)
	}
}
