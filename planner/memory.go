package planner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"sync"
)

// Memory is a host kept in memory: an Executor that applies each action to
// an Observed model, and the observer of that model. It gives the pure
// layer a real executor to run plans against (the planner's property tests
// do), and shows what a plan would leave behind. Its containers do their
// work at once: one whose service has a healthcheck is healthy as soon as
// it runs, and one awaited for completion exits 0 when awaited.
type Memory struct {
	mu     sync.Mutex
	state  Observed
	made   map[string]int  // IDs made per seed, so IDs do not depend on the order parallel actions run in
	checks map[string]bool // IDs of containers with a healthcheck
	// Fail makes the action with this "kind subject" (as Plan.String
	// prints them) fail with the error instead of being applied.
	Fail map[string]error
	// Done lists the executed actions in the order they ran.
	Done []string
}

// NewMemory returns a Memory host that starts in the given state.
func NewMemory(initial *Observed) *Memory {
	m := &Memory{Fail: map[string]error{}, checks: map[string]bool{}, made: map[string]int{}}
	if initial != nil {
		m.state = *cloneObserved(initial)
	}
	return m
}

// Observe returns a copy of the current state.
func (m *Memory) Observe(context.Context) (*Observed, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return cloneObserved(&m.state), nil
}

// Execute applies one action to the model.
func (m *Memory) Execute(_ context.Context, a Action) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	line := fmt.Sprintf("%s %s", a.Kind(), a.Subject())
	if err := m.Fail[line]; err != nil {
		return err
	}
	if err := m.apply(a); err != nil {
		return err
	}
	m.Done = append(m.Done, line)
	return nil
}

func (m *Memory) apply(a Action) error {
	s := &m.state
	switch a := a.(type) {
	case CreateNetwork:
		if _, ok := s.Networks[a.Name]; ok {
			return fmt.Errorf("network %s already exists", a.Name)
		}
		s.Networks = setKey(s.Networks, a.Name, Network{ID: m.id(a.Name), Name: a.Name, Labels: a.Labels})
	case RemoveNetwork:
		delete(s.Networks, a.Name)
	case CreateVolume:
		if _, ok := s.Volumes[a.Name]; ok {
			return fmt.Errorf("volume %s already exists", a.Name)
		}
		s.Volumes = setKey(s.Volumes, a.Name, Volume{Name: a.Name, Labels: a.Labels})
	case RemoveVolume:
		delete(s.Volumes, a.Name)
	case PullImage:
		s.Images = setKey(s.Images, a.Ref, "sha256:"+m.id("pull "+a.Ref))
	case BuildImage:
		s.Images = setKey(s.Images, a.Ref, "sha256:"+m.id("build "+a.Ref))
	case RemoveImage:
		delete(s.Images, a.Ref)
	case CreateContainer:
		if m.find(a.Name) >= 0 {
			return fmt.Errorf("container name %s is already in use", a.Name)
		}
		c := ContainerFromLabels(m.id(a.Name), a.Name, StateCreated, a.Labels)
		if hc := a.Config.Healthcheck; hc != nil && !hc.Disable {
			m.checks[c.ID] = true
		}
		s.Containers = append(s.Containers, c)
	default:
		return m.applyContainer(a)
	}
	return nil
}

func (m *Memory) applyContainer(a Action) error {
	i := m.find(containerOf(a))
	if i < 0 {
		return fmt.Errorf("no such container: %s", containerOf(a))
	}
	c := &m.state.Containers[i]
	switch a := a.(type) {
	case StartContainer:
		c.State, c.ExitCode = StateRunning, 0
		if m.checks[c.ID] {
			c.Health = HealthHealthy
		}
	case StopContainer:
		if running(c.State) {
			c.State, c.ExitCode, c.Health = StateExited, 0, HealthNone
		}
	case RemoveContainer:
		if running(c.State) {
			return fmt.Errorf("container %s is %s: stop it first", c.Name, c.State)
		}
		m.state.Containers = append(m.state.Containers[:i], m.state.Containers[i+1:]...)
	case RenameContainer:
		if m.find(a.To) >= 0 {
			return fmt.Errorf("container name %s is already in use", a.To)
		}
		c.Name = a.To
	case AwaitContainer:
		return awaitMemory(c, a.Condition)
	}
	return nil
}

func awaitMemory(c *Container, cond Condition) error {
	switch cond {
	case ConditionHealthy:
		if c.State != StateRunning || c.Health != HealthHealthy {
			return fmt.Errorf("container %s is not healthy (%s)", c.Name, c.State)
		}
	case ConditionCompleted:
		if c.State == StateRunning {
			// The model's one-shot containers finish as soon as awaited.
			c.State, c.ExitCode = StateExited, 0
		}
		if c.State != StateExited || c.ExitCode != 0 {
			return fmt.Errorf("container %s did not complete successfully (%s, %d)", c.Name, c.State, c.ExitCode)
		}
	default:
		if c.State != StateRunning {
			return fmt.Errorf("container %s is %s", c.Name, c.State)
		}
	}
	return nil
}

func containerOf(a Action) string {
	switch a := a.(type) {
	case StopContainer:
		return a.Container.Name
	case RemoveContainer:
		return a.Container.Name
	case RenameContainer:
		return a.From
	case StartContainer:
		return a.Name
	case AwaitContainer:
		return a.Name
	}
	return ""
}

func (m *Memory) find(name string) int {
	for i, c := range m.state.Containers {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// id returns a fresh, deterministic 64-hex identifier.
func (m *Memory) id(seed string) string {
	m.made[seed]++
	sum := sha256.Sum256(fmt.Appendf(nil, "%s#%d", seed, m.made[seed]))
	return hex.EncodeToString(sum[:])
}

func setKey[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

func cloneObserved(o *Observed) *Observed {
	out := &Observed{
		Containers: make([]Container, len(o.Containers)),
		Networks:   maps.Clone(o.Networks),
		Volumes:    maps.Clone(o.Volumes),
		Images:     maps.Clone(o.Images),
		Files:      maps.Clone(o.Files),
	}
	copy(out.Containers, o.Containers)
	return out
}
