package container

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stack/runtime/cgroups"
)

// startPausable starts a container that appends a line to /tmp/f every
// 50 ms and returns the host path of that file (in the overlay's upper
// directory) once the first line is there.
func startPausable(t *testing.T) (*Store, *Container, string) {
	t.Helper()
	s, c := startTestContainer(t, "sh", "-c", "while :; do echo x >>/tmp/f; sleep 0.05; done")
	progress := filepath.Join(c.Rootfs.Upper, "tmp", "f")
	waitGrowth(t, progress, 0)
	return s, c, progress
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// waitGrowth waits until the file is larger than size.
func waitGrowth(t *testing.T, path string, size int64) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if fileSize(path) > size {
			return
		}
	}
	t.Fatalf("%s did not grow past %d bytes", path, size)
}

func TestPauseUnpause(t *testing.T) {
	s, c, progress := startPausable(t)
	if err := s.Pause(c.Name); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.State.Paused || !got.Running() || got.StateName() != "paused" {
		t.Fatalf("after Pause: paused %v, running %v, state %q; want true, true, paused", got.State.Paused, got.Running(), got.StateName())
	}
	// A frozen process cannot write: any growth here is a failure.
	size := fileSize(progress)
	time.Sleep(300 * time.Millisecond)
	if after := fileSize(progress); after != size {
		t.Fatalf("the container made progress while paused: %d → %d bytes", size, after)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = s.Exec(ctx, c.ID, ExecOptions{Process: Process{Args: []string{"true"}}})
	if err == nil || !strings.Contains(err.Error(), "is paused, unpause the container first") {
		t.Errorf("exec into a paused container: got %v, want the paused error", err)
	}
	if err := s.Pause(c.ID); !errors.Is(err, ErrPaused) || !strings.Contains(err.Error(), "is already paused") {
		t.Errorf("second Pause: got %v, want already paused", err)
	}

	if err := s.Unpause(c.Name); err != nil {
		t.Fatal(err)
	}
	waitGrowth(t, progress, size)
	if got, _ := s.Get(c.ID); got.State.Paused || got.StateName() != "running" {
		t.Errorf("after Unpause: paused %v, state %q", got.State.Paused, got.StateName())
	}
	if err := s.Unpause(c.ID); !errors.Is(err, ErrNotPaused) || !strings.Contains(err.Error(), "is not paused") {
		t.Errorf("second Unpause: got %v, want not paused", err)
	}
}

func TestPauseNotRunning(t *testing.T) {
	s, _ := testStore(t)
	c, err := s.Create(testConfig(t, "true"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(c.ID); !errors.Is(err, ErrNotRunning) || err.Error() != "container "+c.Name+" is not running" {
		t.Errorf("Pause of a created container: got %v", err)
	}
	if err := s.Unpause(c.ID); !errors.Is(err, ErrNotPaused) {
		t.Errorf("Unpause of a created container: got %v", err)
	}
}

// cgroupLeft lists the container's cgroup directories that still exist.
func cgroupLeft(id string) []string {
	var left []string
	for _, dir := range cgroups.Open(cgroupName(id)).Paths {
		if _, err := os.Stat(dir); err == nil {
			left = append(left, dir)
		}
	}
	return left
}

// TestEndPaused ends paused containers every way a user can: none may
// hang on frozen processes or leave their cgroup behind.
func TestEndPaused(t *testing.T) {
	cases := []struct {
		name string
		end  func(ctx context.Context, s *Store, c *Container) error
	}{
		{"stop", func(ctx context.Context, s *Store, c *Container) error {
			return s.Stop(ctx, c.ID, "", 5*time.Second)
		}},
		{"kill", func(ctx context.Context, s *Store, c *Container) error {
			if err := s.Kill(ctx, c.ID, ""); err != nil {
				return err
			}
			_, err := s.Wait(ctx, c.ID)
			return err
		}},
		{"force remove", func(ctx context.Context, s *Store, c *Container) error {
			if err := s.Stop(ctx, c.ID, "KILL", 0); err != nil {
				return err
			}
			return s.Remove(c.ID)
		}},
		{"monitor dies", func(ctx context.Context, s *Store, c *Container) error {
			cur, err := s.Get(c.ID)
			if err != nil {
				return err
			}
			if err := unix.Kill(cur.State.MonitorPid, unix.SIGKILL); err != nil {
				return err
			}
			for ctx.Err() == nil {
				if got, err := s.Get(c.ID); err != nil || got.State.Status == StatusDead {
					return err
				}
				time.Sleep(5 * time.Millisecond)
			}
			return ctx.Err()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c, _ := startPausable(t)
			init := c.State.Pid
			if cur, err := s.Get(c.ID); err == nil {
				init = cur.State.Pid
			}
			if err := s.Pause(c.ID); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := tc.end(ctx, s, c); err != nil {
				t.Fatal(err)
			}
			if left := cgroupLeft(c.ID); len(left) > 0 {
				t.Errorf("cgroup left behind: %v", left)
			}
			if init > 0 && processStart(init) != 0 {
				t.Errorf("the container's init %d still runs", init)
			}
			if got, err := s.Get(c.ID); err == nil && (got.Running() || got.State.Paused) {
				t.Errorf("after %s: status %s, paused %v", tc.name, got.State.Status, got.State.Paused)
			}
		})
	}
}

func TestPauseSkipsHealthchecks(t *testing.T) {
	s, opts := testStore(t)
	cfg := testConfig(t, "sleep", "1000")
	// Were a probe run while paused, it would hang until its timeout and,
	// with one retry, turn the container unhealthy.
	cfg.Health = &Healthcheck{Test: []string{"CMD-SHELL", "echo probe"}, Interval: 50 * time.Millisecond, Timeout: 100 * time.Millisecond, Retries: 1}
	c, err := s.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.Start(context.Background(), c.ID, opts)
	if err != nil {
		t.Fatal(err)
	}
	sess.Wait()
	healthy := func() *HealthState {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if cur, err := s.Get(c.ID); err == nil && cur.State.Health != nil && cur.State.Health.Status == healthHealthy {
				return cur.State.Health
			}
		}
		t.Fatal("the container never became healthy")
		return nil
	}
	healthy()
	if err := s.Pause(c.ID); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Get(c.ID)
	time.Sleep(600 * time.Millisecond) // a dozen intervals, six probe timeouts
	after, _ := s.Get(c.ID)
	if b, a := before.State.Health, after.State.Health; a.Status != b.Status || len(a.Log) != len(b.Log) || !a.Log[len(a.Log)-1].Start.Equal(b.Log[len(b.Log)-1].Start) {
		t.Fatalf("health changed while paused: %+v → %+v", b, a)
	}
	if err := s.Unpause(c.ID); err != nil {
		t.Fatal(err)
	}
	last := after.State.Health.Log[len(after.State.Health.Log)-1].Start
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		h := healthy()
		if h.Log[len(h.Log)-1].Start.After(last) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no probe after unpause")
		}
	}
}

// TestPauseDuringStop pauses a container while a stop waits out its grace
// period: the SIGKILL at the end of it must still end the container.
func TestPauseDuringStop(t *testing.T) {
	s, c := startTestContainer(t, "sh", "-c", `trap "" TERM; echo >/tmp/ready; while :; do sleep 0.05; done`)
	waitGrowth(t, filepath.Join(c.Rootfs.Upper, "tmp", "ready"), 0) // SIGTERM is ignored from now on
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(ctx, c.ID, "", 3*time.Second) }()
	time.Sleep(500 * time.Millisecond) // into the grace period
	if err := s.Pause(c.ID); errors.Is(err, ErrNotRunning) {
		t.Skip("the grace period was over before the pause: nothing to test")
	} else if err != nil {
		t.Fatalf("pause during stop: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("stop of a container paused during its grace period: %v", err)
	}
	if left := cgroupLeft(c.ID); len(left) > 0 {
		t.Errorf("cgroup left behind: %v", left)
	}
}
