package container

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"stack/runtime/cgroups"
)

// Status is the lifecycle state of a container.
type Status string

const (
	StatusCreated    Status = "created"
	StatusRunning    Status = "running"
	StatusRestarting Status = "restarting"
	StatusExited     Status = "exited"
	StatusDead       Status = "dead" // its monitor died; see State.Error
)

func (s Status) String() string { return string(s) }

// State is the mutable part of a container, rewritten atomically by its
// monitor (or by the command that finds the monitor dead).
type State struct {
	Status        Status    `json:"status"`
	Pid           int       `json:"pid,omitempty"`          // the init, in the host's PID namespace
	MonitorPid    int       `json:"monitorPid,omitempty"`   // with MonitorStart, identifies the monitor
	MonitorStart  uint64    `json:"monitorStart,omitempty"` // start time in clock ticks since boot
	StartedAt     time.Time `json:"startedAt,omitzero"`
	FinishedAt    time.Time `json:"finishedAt,omitzero"`
	ExitCode      int       `json:"exitCode"`
	OOMKilled     bool      `json:"oomKilled,omitempty"`
	RestartCount  int       `json:"restartCount,omitempty"`
	StoppedByUser bool      `json:"stoppedByUser,omitempty"`
	Error         string    `json:"error,omitempty"`
	// Released is set by a monitor that ended after releasing the
	// container's cgroup and network: removing the container need not
	// release them again (as it must after a monitor's crash).
	Released bool `json:"released,omitempty"`
	// Paused is read from the container's cgroup each time the container
	// is loaded; what is written here is never trusted.
	Paused bool         `json:"paused"`
	Health *HealthState `json:"health,omitempty"`
	// Ports are the published ports as bound while the container runs,
	// random host ports and ranges resolved.
	Ports []PortBinding `json:"ports,omitempty"`
}

// HealthState is Docker's health record.
type HealthState struct {
	Status        string        `json:"status"` // starting, healthy, unhealthy
	FailingStreak int           `json:"failingStreak"`
	Log           []HealthProbe `json:"log,omitempty"` // the last five probes
}

// HealthProbe is one healthcheck run.
type HealthProbe struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	ExitCode int       `json:"exitCode"`
	Output   string    `json:"output"`
}

// Container is a container's configuration and last known state.
type Container struct {
	Config
	State State `json:"state"`
}

// PublishedPorts are the ports a running container publishes, as bound:
// random host ports and ranges resolved. A container that is not running,
// or waits to restart, publishes none, as Docker shows it.
func (c *Container) PublishedPorts() []PortBinding {
	if c.State.Status != StatusRunning {
		return nil
	}
	if c.State.Ports != nil {
		return c.State.Ports
	}
	return c.Network.Ports // recorded by a monitor that kept no bound ports
}

// ExposedPorts are the ports a running container exposes and does not
// publish, as Docker lists them; none when it is not running or has no
// network of its own.
func (c *Container) ExposedPorts() []Port {
	if c.State.Status != StatusRunning || c.Network.Mode == "host" || c.Network.Mode == "none" {
		return nil
	}
	return c.Network.Unpublished()
}

// Unpublished are the exposed ports that n does not publish.
func (n *NetworkConfig) Unpublished() []Port {
	published := map[Port]bool{}
	for _, p := range n.Ports {
		published[Port{p.ContainerPort, p.Protocol}] = true
	}
	var out []Port
	for _, e := range n.Exposed {
		if !published[e] {
			out = append(out, e)
		}
	}
	return out
}

// ShortID is the 12-digit form listings show.
func (c *Container) ShortID() string { return c.ID[:12] }

// Running reports whether the container has a live monitor that runs it.
func (c *Container) Running() bool {
	return c.State.Status == StatusRunning || c.State.Status == StatusRestarting
}

// StateName is the state listings show: the status, or "paused" for a
// running container whose processes are frozen.
func (c *Container) StateName() string {
	if c.State.Paused && c.Running() {
		return "paused"
	}
	return string(c.State.Status)
}

// writeJSON writes v to path atomically: readers see the old or the new
// file, never a torn one.
func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// processStart returns the start time of pid in clock ticks since boot, or
// 0 when there is no such process; with the pid it identifies a process
// across pid reuse.
func processStart(pid int) uint64 {
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may contain spaces and parentheses: skip past its end.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0
	}
	// Field 22 of stat is the 20th after the name; zombies still count as
	// alive until reaped, which is what a dead monitor's cleanup wants.
	if fields[0] == "Z" {
		return 0
	}
	n, _ := strconv.ParseUint(fields[19], 10, 64)
	return n
}

// monitorAlive reports whether the state's monitor still runs.
func (s *State) monitorAlive() bool {
	return s.MonitorPid > 0 && processStart(s.MonitorPid) == s.MonitorStart
}

func stateDirs(root, runRoot, id string) (dir, runDir string) {
	return filepath.Join(root, "containers", id), filepath.Join(runRoot, "containers", id)
}

// oomKilled reports whether the kernel's OOM killer killed a process of
// the group. It reads that one counter: the group's full statistics
// (memory.stat is computed on reading) would delay every exit.
func oomKilled(cg *cgroups.Cgroup) bool {
	path := filepath.Join(cg.Paths[""], "memory.events")
	if !cg.Unified {
		path = filepath.Join(cg.Paths["memory"], "memory.oom_control")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n > 0
		}
	}
	return false
}
