package planner

import (
	"fmt"
	"time"

	"stack/spec"
)

// ComputeStop returns the plan that stops the running containers of the
// given services (all when empty), each after the containers that depend on
// it, so that nothing loses a dependency while it still runs.
func ComputeStop(project *spec.Project, observed *Observed, services []string, timeout *time.Duration) (*Plan, error) {
	order, err := orderOf(project, services)
	if err != nil {
		return nil, err
	}
	plan := &Plan{}
	stops := map[string][]int{}
	for i := len(order) - 1; i >= 0; i-- {
		name := order[i]
		var after []int
		for _, other := range order[i+1:] {
			if _, ok := project.Services[other].DependsOn[name]; ok {
				after = append(after, stops[other]...)
			}
		}
		for _, c := range projectContainers(observed, project.Name, name) {
			if running(c.State) {
				n := plan.add(StopContainer{Container: c, Timeout: timeout}, "stop", after...)
				stops[name] = append(stops[name], n.ID)
			}
		}
	}
	return plan, nil
}

// ComputeStart returns the plan that starts the stopped containers of the
// given services (all when empty), each after what it depends on has
// started, as `start` does: it creates nothing.
func ComputeStart(project *spec.Project, observed *Observed, services []string) (*Plan, error) {
	order, err := orderOf(project, services)
	if err != nil {
		return nil, err
	}
	plan := &Plan{}
	starts := map[string][]int{}
	for _, name := range order {
		var after []int
		for dep := range project.Services[name].DependsOn {
			after = append(after, starts[dep]...)
		}
		for _, c := range observed.ServiceContainers(project.Name, name) {
			if !running(c.State) {
				n := plan.add(StartContainer{Service: name, Name: c.Name}, c.State.String(), after...)
				starts[name] = append(starts[name], n.ID)
			}
		}
	}
	return plan, nil
}

// orderOf puts the named services (all when none) in dependency order.
func orderOf(project *spec.Project, services []string) ([]string, error) {
	if len(services) == 0 {
		services = project.ServiceNames()
	}
	selected := map[string]bool{}
	for _, name := range services {
		if project.Services[name] == nil {
			return nil, fmt.Errorf("service %q: %w", name, ErrNoSuchService)
		}
		selected[name] = true
	}
	return dependencyOrder(project, selected)
}
