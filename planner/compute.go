package planner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"stack/spec"
)

// Recreate says when a container whose configuration is unchanged, or
// changed, is replaced.
type Recreate int

// Recreate policies.
const (
	RecreateDiverged Recreate = 0 // when the config hash differs
	RecreateForce    Recreate = 1 // always
	RecreateNever    Recreate = 2 // never; start what is stopped
)

func (r Recreate) String() string {
	switch r {
	case RecreateDiverged:
		return "diverged"
	case RecreateForce:
		return "force"
	case RecreateNever:
		return "never"
	}
	return fmt.Sprintf("Recreate(%d)", int(r))
}

// Options are the choices of `up` that change the plan.
type Options struct {
	// Services limits the plan to these services and, unless NoDeps,
	// the services they depend on. Empty means every enabled service.
	Services []string
	NoDeps   bool
	// Recreate applies to the services asked for; RecreateDeps to the
	// dependencies that came along (--always-recreate-deps sets it to
	// RecreateForce).
	Recreate      Recreate
	RecreateDeps  Recreate
	RemoveOrphans bool
	// Scale overrides a service's replica count (--scale SVC=N).
	Scale   map[string]int
	NoStart bool
	// Build rebuilds every service that has a build section; NoBuild never
	// builds.
	Build   bool
	NoBuild bool
	// Pull overrides each service's pull_policy: "always", "missing",
	// "never", or "" for the service's own.
	Pull string
	// NoRename recreates a container by removing it before its
	// replacement is created, for runtimes that cannot rename containers.
	// The default, creating first, keeps the old container running when
	// the new one cannot be created.
	NoRename bool
	// SkipImages leaves images out of the plan: they were just built or
	// pulled (see Up), and a missing one is for the executor to report.
	SkipImages bool
	// Timeout overrides stop_grace_period for the containers the plan stops.
	Timeout *time.Duration
}

// computer holds one Compute call's working state.
type computer struct {
	project  *spec.Project
	observed *Observed
	options  Options
	plan     *Plan
	targets  map[string]bool // services asked for by name
	order    []string        // selected services, dependencies first
	networks map[string]int  // network key → create node
	volumes  map[string]int  // volume key → create node
	images   map[string]int  // image ref → build or pull node
	replicas map[string][]replica
	awaits   map[string]*Node // "service condition" → await node
}

// replica is what the plan leaves of one container of a service.
type replica struct {
	name     string
	start    int  // start node, 0 if not started by the plan
	created  bool // made by this plan (new or replacement)
	restart  int  // node after which the container is usable again
	complete bool // exited 0 and kept as completed
}

// Compute returns the plan that brings the host, as observed, in line with
// the project. It does no I/O and reads no clock; equal inputs give equal
// plans.
func Compute(project *spec.Project, observed *Observed, options Options) (*Plan, error) {
	c := &computer{
		project:  project,
		observed: observed,
		options:  options,
		plan:     &Plan{},
		networks: map[string]int{},
		volumes:  map[string]int{},
		images:   map[string]int{},
		replicas: map[string][]replica{},
		awaits:   map[string]*Node{},
	}
	if err := c.selectServices(); err != nil {
		return nil, err
	}
	steps := []func() error{c.planNetworks, c.planVolumes, c.planImages, c.planContainers, c.planOrphans}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return c.plan, nil
}

// selectServices resolves Options.Services into the services to plan, in
// an order where every service comes after its dependencies, ties broken by
// name.
func (c *computer) selectServices() error {
	c.targets = map[string]bool{}
	names := c.options.Services
	if len(names) == 0 {
		names = c.project.ServiceNames()
	}
	selected := map[string]bool{}
	var visit func(name string) error
	visit = func(name string) error {
		if selected[name] {
			return nil
		}
		s := c.project.Services[name]
		if s == nil {
			return fmt.Errorf("service %q: %w", name, ErrNoSuchService)
		}
		selected[name] = true
		if c.options.NoDeps {
			return nil
		}
		for _, dep := range sortedKeys(s.DependsOn) {
			if c.project.Services[dep] == nil && !s.DependsOn[dep].Required {
				continue
			}
			if err := visit(dep); err != nil {
				return fmt.Errorf("service %q: depends_on: %w", name, err)
			}
		}
		return nil
	}
	for _, name := range names {
		c.targets[name] = true
		if err := visit(name); err != nil {
			return err
		}
	}
	order, err := dependencyOrder(c.project, selected)
	c.order = order
	return err
}

// dependencyOrder sorts the selected services so that each follows the
// services it depends on; among those ready at once, by name.
func dependencyOrder(project *spec.Project, selected map[string]bool) ([]string, error) {
	placed := map[string]bool{}
	var order []string
	for len(order) < len(selected) {
		var ready []string
		for name := range selected {
			if placed[name] {
				continue
			}
			ok := true
			for dep := range project.Services[name].DependsOn {
				if selected[dep] && !placed[dep] {
					ok = false
				}
			}
			if ok {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			var left []string
			for name := range selected {
				if !placed[name] {
					left = append(left, name)
				}
			}
			sort.Strings(left)
			return nil, fmt.Errorf("services %s: %w", strings.Join(left, ", "), ErrDependencyCycle)
		}
		sort.Strings(ready)
		for _, name := range ready {
			placed[name] = true
		}
		order = append(order, ready...)
	}
	return order, nil
}

func (c *computer) service(name string) *spec.Service { return c.project.Services[name] }

// projectLabels are the labels every project resource carries.
func (c *computer) projectLabels() map[string]string {
	return map[string]string{
		LabelProject: c.project.Name,
		LabelVersion: Version,
	}
}
