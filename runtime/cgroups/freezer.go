package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrNoFreezer means the group cannot be frozen: the host has no freezer,
// or the group was made before it joined the freezer hierarchy.
var ErrNoFreezer = errors.New("cgroup: no freezer for this group")

// freezeWait bounds how long Freeze and Thaw wait for the kernel to reach
// the asked state; a task stuck in uninterruptible sleep can hold a v1
// group in FREEZING for a while.
const freezeWait = 10 * time.Second

// freezerDir is the directory whose files control the group's freezer.
func (c *Cgroup) freezerDir() (string, error) {
	dir := c.Paths["freezer"]
	if c.Unified {
		dir = c.Paths[""]
	}
	if dir == "" {
		return "", ErrNoFreezer
	}
	file := "freezer.state"
	if c.Unified {
		file = "cgroup.freeze"
	}
	if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
		return "", ErrNoFreezer
	}
	return dir, nil
}

// Freeze stops every task of the group and returns once the kernel
// reports them all frozen. On failure the group is thawed again, so it is
// never left half frozen.
func (c *Cgroup) Freeze() error {
	dir, err := c.freezerDir()
	if err != nil {
		return err
	}
	if c.Unified {
		err = setAndWait(filepath.Join(dir, "cgroup.freeze"), "1", func() bool { return eventsFrozen(dir) == "1" })
	} else {
		state := filepath.Join(dir, "freezer.state")
		err = setAndWait(state, "FROZEN", func() bool { return readTrim(state) == "FROZEN" })
	}
	if err != nil {
		c.Thaw()
		return fmt.Errorf("cgroup: freeze %s: %w", c.Name, err)
	}
	return nil
}

// Thaw lets the group's tasks run again and returns once none is frozen.
// A group without a freezer has nothing frozen: that is not an error.
func (c *Cgroup) Thaw() error {
	dir, err := c.freezerDir()
	if err != nil {
		return nil
	}
	if c.Unified {
		err = setAndWait(filepath.Join(dir, "cgroup.freeze"), "0", func() bool { return eventsFrozen(dir) != "1" })
	} else {
		state := filepath.Join(dir, "freezer.state")
		err = setAndWait(state, "THAWED", func() bool { return readTrim(state) == "THAWED" })
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cgroup: thaw %s: %w", c.Name, err)
	}
	return nil
}

// Frozen reports whether the group was asked to freeze and is (or is
// becoming) frozen: what `pause` left, read from the kernel so that it
// cannot go stale.
func (c *Cgroup) Frozen() bool {
	dir, err := c.freezerDir()
	if err != nil {
		return false
	}
	if c.Unified {
		return readTrim(filepath.Join(dir, "cgroup.freeze")) == "1"
	}
	state := readTrim(filepath.Join(dir, "freezer.state"))
	return state == "FROZEN" || state == "FREEZING" && readTrim(filepath.Join(dir, "freezer.self_freezing")) == "1"
}

// Frozen reports whether the group called name is frozen, reading only
// the one file that says so: listings ask it of every running container.
func Frozen(name string) bool {
	if IsUnified() {
		return readTrim(filepath.Join(Root, name, "cgroup.freeze")) == "1"
	}
	dir := filepath.Join(Root, "freezer", name)
	state := readTrim(filepath.Join(dir, "freezer.state"))
	return state == "FROZEN" || state == "FREEZING" && readTrim(filepath.Join(dir, "freezer.self_freezing")) == "1"
}

// setAndWait writes value to file and polls done. The v1 freezer can stop
// in FREEZING when a task forks meanwhile; writing again moves it on, as
// the kernel documentation advises.
func setAndWait(file, value string, done func() bool) error {
	deadline := time.Now().Add(freezeWait)
	for attempt := 0; ; attempt++ {
		if attempt%50 == 0 {
			if err := os.WriteFile(file, []byte(value), 0); err != nil {
				return err
			}
		}
		if done() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not reach %s within %s", filepath.Base(file), value, freezeWait)
		}
		time.Sleep(time.Millisecond)
	}
}

// eventsFrozen is the "frozen" value of a v2 group's cgroup.events.
func eventsFrozen(dir string) string {
	data, _ := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "frozen "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func readTrim(path string) string {
	data, _ := os.ReadFile(path)
	return strings.TrimSpace(string(data))
}
