package container

import (
	"errors"
	"fmt"

	"stack/runtime/cgroups"
)

var (
	// ErrPaused means the operation needs a container that is not paused.
	ErrPaused = errors.New("container is paused")
	// ErrNotPaused means the operation needs a paused container.
	ErrNotPaused = errors.New("container is not paused")
)

// stateError says, in Docker's words, why a container is in the wrong
// state for an operation; it unwraps to the package's sentinel.
type stateError struct {
	name, reason string
	err          error
}

func (e *stateError) Error() string { return "container " + e.name + " " + e.reason }
func (e *stateError) Unwrap() error { return e.err }

// Pause freezes every process of a running container: they keep their
// memory and descriptors but get no CPU until Unpause. Paused-ness lives
// in the container's cgroup only, so no record of it can go stale.
func (s *Store) Pause(ref string) error {
	c, err := s.Get(ref)
	if err != nil {
		return err
	}
	unlock, err := s.lock(c.ID)
	if err != nil {
		return err
	}
	defer unlock()
	if c, err = s.load(c.ID); err != nil {
		return err
	}
	switch {
	case c.State.Status == StatusRestarting:
		return &stateError{c.Name, "is restarting, wait until the container is running", ErrNotRunning}
	case !c.Running():
		return &stateError{c.Name, "is not running", ErrNotRunning}
	case c.State.Paused:
		return &stateError{c.Name, "is already paused", ErrPaused}
	}
	if err := cgroups.Open(cgroupName(c.ID)).Freeze(); err != nil {
		if errors.Is(err, cgroups.ErrNoFreezer) {
			return fmt.Errorf("container %s cannot be paused: its cgroup has no freezer (restart it, or the host lacks one)", c.Name)
		}
		return fmt.Errorf("container %s: %w", c.Name, err)
	}
	return nil
}

// Unpause lets a paused container's processes run again.
func (s *Store) Unpause(ref string) error {
	c, err := s.Get(ref)
	if err != nil {
		return err
	}
	unlock, err := s.lock(c.ID)
	if err != nil {
		return err
	}
	defer unlock()
	if c, err = s.load(c.ID); err != nil {
		return err
	}
	if !c.State.Paused {
		return &stateError{c.Name, "is not paused", ErrNotPaused}
	}
	if err := cgroups.Open(cgroupName(c.ID)).Thaw(); err != nil {
		return fmt.Errorf("container %s: %w", c.Name, err)
	}
	return nil
}

// frozen reports whether the container's processes are paused.
func frozen(id string) bool { return cgroups.Frozen(cgroupName(id)) }

// thaw resumes a paused container so that a signal meant to end it takes
// effect: frozen tasks do not act on signals, not even SIGKILL on the v1
// freezer. A container that is not paused is left as it is.
func thaw(id string) {
	if frozen(id) {
		cgroups.Open(cgroupName(id)).Thaw()
	}
}
