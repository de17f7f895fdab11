package container

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"stack/runtime/cgroups"
)

// Wait waits until the container has stopped for good (no restart
// pending) and returns its exit code.
func (s *Store) Wait(ctx context.Context, ref string) (int, error) {
	c, err := s.Get(ref)
	if err != nil {
		return -1, err
	}
	for {
		cur, err := s.load(c.ID)
		if err != nil {
			return c.State.ExitCode, nil // removed (--rm): the last state we saw
		}
		c = cur
		if !c.Running() && c.State.MonitorPid == 0 {
			return c.State.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// SetTerminalSize sizes a pty whose master is f.
func SetTerminalSize(f *os.File, rows, cols uint16) error {
	return unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
}

// Processes lists the host pids of the container's processes.
func (s *Store) Processes(c *Container) []int {
	if !c.Running() {
		return nil
	}
	return cgroups.Open(cgroupName(c.ID)).Pids()
}

// Stats reads the container's resource usage.
func (s *Store) Stats(c *Container) cgroups.Stats {
	return cgroups.Open(cgroupName(c.ID)).Stats()
}
