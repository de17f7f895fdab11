// Package cgroups places containers in control groups and limits them, on
// the unified (v2) hierarchy and on v1 or hybrid hosts alike.
package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Root is where the hierarchies are mounted.
const Root = "/sys/fs/cgroup"

// v1Controllers are the v1 hierarchies a container joins; the freezer
// serves pause and unpause.
var v1Controllers = []string{"memory", "pids", "cpu", "cpuacct", "freezer"}

// Limits are the resource limits; zero means unlimited.
type Limits struct {
	MemoryBytes int64
	CPUs        float64
	Pids        int64
}

// Cgroup is one container's group, in every hierarchy it belongs to.
type Cgroup struct {
	Name    string            // relative path, e.g. "stack/<id>"
	Unified bool              // a pure v2 host
	Paths   map[string]string // controller ("" on v2) → directory
}

// IsUnified reports whether the host runs the v2 hierarchy only.
func IsUnified() bool {
	_, err := os.Stat(filepath.Join(Root, "cgroup.controllers"))
	return err == nil
}

// Open describes the group called name without touching anything.
func Open(name string) *Cgroup {
	c := &Cgroup{Name: name, Unified: IsUnified(), Paths: map[string]string{}}
	if c.Unified {
		c.Paths[""] = filepath.Join(Root, name)
		return c
	}
	for _, ctrl := range v1Controllers {
		if _, err := os.Stat(filepath.Join(Root, ctrl)); err == nil {
			c.Paths[ctrl] = filepath.Join(Root, ctrl, name)
		}
	}
	return c
}

// Create makes the group and applies limits.
func Create(name string, l Limits) (*Cgroup, error) {
	c := Open(name)
	if c.Unified {
		if err := enableControllers(filepath.Dir(c.Paths[""])); err != nil {
			return nil, err
		}
	}
	for _, dir := range c.Paths {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("cgroup: %w", err)
		}
	}
	if err := c.apply(l); err != nil {
		c.Destroy()
		return nil, err
	}
	return c, nil
}

// enableControllers delegates memory, cpu and pids down to dir.
func enableControllers(dir string) error {
	rel, err := filepath.Rel(Root, dir)
	if err != nil {
		return err
	}
	cur := Root
	for _, part := range append([]string{""}, strings.Split(rel, "/")...) {
		cur = filepath.Join(cur, part)
		if err := os.MkdirAll(cur, 0o755); err != nil {
			return fmt.Errorf("cgroup: %w", err)
		}
		for _, ctrl := range []string{"+memory", "+cpu", "+pids"} {
			// A controller the host lacks is not an error: limits on it fail later.
			os.WriteFile(filepath.Join(cur, "cgroup.subtree_control"), []byte(ctrl), 0)
		}
	}
	return nil
}

func (c *Cgroup) apply(l Limits) error {
	var writes [][3]string // controller, file, value
	if c.Unified {
		if l.MemoryBytes > 0 {
			writes = append(writes, [3]string{"", "memory.max", itoa(l.MemoryBytes)}, [3]string{"", "memory.swap.max", "0"})
		}
		if l.CPUs > 0 {
			writes = append(writes, [3]string{"", "cpu.max", fmt.Sprintf("%d 100000", int64(l.CPUs*100000))})
		}
		if l.Pids > 0 {
			writes = append(writes, [3]string{"", "pids.max", itoa(l.Pids)})
		}
	} else {
		if l.MemoryBytes > 0 {
			writes = append(writes, [3]string{"memory", "memory.limit_in_bytes", itoa(l.MemoryBytes)})
			if _, err := os.Stat(filepath.Join(c.Paths["memory"], "memory.memsw.limit_in_bytes")); err == nil {
				writes = append(writes, [3]string{"memory", "memory.memsw.limit_in_bytes", itoa(l.MemoryBytes)})
			}
		}
		if l.CPUs > 0 {
			writes = append(writes, [3]string{"cpu", "cpu.cfs_period_us", "100000"}, [3]string{"cpu", "cpu.cfs_quota_us", itoa(int64(l.CPUs * 100000))})
		}
		if l.Pids > 0 {
			writes = append(writes, [3]string{"pids", "pids.max", itoa(l.Pids)})
		}
	}
	for _, w := range writes {
		dir, ok := c.Paths[w[0]]
		if !ok {
			return fmt.Errorf("cgroup: controller %s is not available on this host", w[0])
		}
		if err := os.WriteFile(filepath.Join(dir, w[1]), []byte(w[2]), 0); err != nil {
			return fmt.Errorf("cgroup: set %s=%s: %w", w[1], w[2], err)
		}
	}
	return nil
}

// SetPidsMax changes the group's process limit.
func (c *Cgroup) SetPidsMax(n int64) error {
	dir := c.Paths[""]
	if !c.Unified {
		dir = c.Paths["pids"]
	}
	if dir == "" {
		return fmt.Errorf("cgroup: the pids controller is not available on this host")
	}
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(itoa(n)), 0); err != nil {
		return fmt.Errorf("cgroup: set pids.max=%d: %w", n, err)
	}
	return nil
}

// Dir returns the unified group's directory, for CLONE_INTO_CGROUP; "" on v1.
func (c *Cgroup) Dir() string { return c.Paths[""] }

// Add moves pid into the group in every hierarchy.
func (c *Cgroup) Add(pid int) error {
	for ctrl, dir := range c.Paths {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("cgroup %s: add %d: %w", ctrl, pid, err)
		}
	}
	return nil
}

// Pids lists the processes in the group.
func (c *Cgroup) Pids() []int {
	dir := c.Paths[""]
	if !c.Unified {
		dir = c.Paths["pids"]
		if dir == "" {
			dir = c.Paths["memory"]
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// Destroy kills what is left in the group and removes it; a group that is
// already gone is not an error. A frozen group is thawed after the first
// SIGKILL: on the v1 freezer frozen tasks do not die until they run.
func (c *Cgroup) Destroy() error {
	var errs []error
	for attempt := 0; attempt < 50; attempt++ {
		pids := c.Pids()
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			unix.Kill(pid, unix.SIGKILL)
		}
		if attempt == 0 {
			c.Thaw()
		}
		time.Sleep(2 * time.Millisecond)
	}
	for _, dir := range c.Paths {
		if err := rmdirRetry(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func rmdirRetry(dir string) error {
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("cgroup: remove %s: %w", dir, err)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
