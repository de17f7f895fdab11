package planner

import (
	"fmt"
	"sort"
)

// State is a container's lifecycle state as the runtime reports it.
type State int

// States, in Docker's vocabulary so that ps prints what users expect.
const (
	StateUnknown    State = 0
	StateCreated    State = 1
	StateRunning    State = 2
	StatePaused     State = 3
	StateRestarting State = 4
	StateExited     State = 5
	StateDead       State = 6
	StateRemoving   State = 7
)

var stateNames = [...]string{"unknown", "created", "running", "paused", "restarting", "exited", "dead", "removing"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// ParseState is the inverse of State.String; unknown names give StateUnknown.
func ParseState(s string) State {
	for i, name := range stateNames {
		if name == s {
			return State(i)
		}
	}
	return StateUnknown
}

// Health is a container's healthcheck status.
type Health int

// Health values; HealthNone means the container has no healthcheck.
const (
	HealthNone      Health = 0
	HealthStarting  Health = 1
	HealthHealthy   Health = 2
	HealthUnhealthy Health = 3
)

func (h Health) String() string {
	switch h {
	case HealthStarting:
		return "starting"
	case HealthHealthy:
		return "healthy"
	case HealthUnhealthy:
		return "unhealthy"
	}
	return ""
}

// Container is one observed container, labels already parsed.
type Container struct {
	ID         string
	Name       string
	State      State
	ExitCode   int
	Health     Health
	Project    string
	Service    string
	Number     int
	OneOff     bool
	ConfigHash string
	ImageID    string
	// Digests are the per-key digests of the configuration the container
	// was created with (LabelConfigDigests).
	Digests map[string]string
	Labels  map[string]string
}

// Network is one observed network.
type Network struct {
	ID     string
	Name   string
	Labels map[string]string
}

// Volume is one observed volume.
type Volume struct {
	Name   string
	Labels map[string]string
}

// Observed is the host state Compute reconciles against. The observer fills
// it with what the project touches; Compute never asks the host anything.
type Observed struct {
	// Containers of the project, one-off ones included.
	Containers []Container
	// Networks and Volumes on the host, by name; they may belong to other
	// projects (external ones do).
	Networks map[string]Network
	Volumes  map[string]Volume
	// Images maps an image reference, as the stack file writes it, to the
	// ID of the image the store holds under it. Missing means not present.
	Images map[string]string
	// Files maps the absolute path of an env_file, config or secret file to
	// a digest of its contents, so that a change in a file recreates the
	// services that read it. Missing means unreadable.
	Files map[string]string
}

// ServiceContainers returns the non-one-off containers of a service in
// container-number order.
func (o *Observed) ServiceContainers(project, service string) []Container {
	var out []Container
	for _, c := range o.Containers {
		if c.Project == project && c.Service == service && !c.OneOff {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Number != out[j].Number {
			return out[i].Number < out[j].Number
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
