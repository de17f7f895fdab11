package planner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"stack/spec"
)

// DownOptions are the choices of `down`.
type DownOptions struct {
	RemoveOrphans bool
	// Volumes removes the project's named volumes and the containers'
	// anonymous volumes (-v).
	Volumes bool
	// Images is "", "local" (images built for services without an image
	// key) or "all" (--rmi).
	Images  string
	Timeout *time.Duration
}

// ComputeDown returns the plan that removes a project: its containers
// (dependents stopped before their dependencies), then its networks, and on
// request its volumes and images. External resources are never touched,
// nor anything of another project.
func ComputeDown(project *spec.Project, observed *Observed, options DownOptions) (*Plan, error) {
	plan := &Plan{}
	all := map[string]bool{}
	for _, name := range project.ServiceNames() {
		all[name] = true
	}
	order, err := dependencyOrder(project, all)
	if err != nil {
		return nil, err
	}
	stops := map[string][]int{} // service → its stop nodes
	var removed []int
	for i := len(order) - 1; i >= 0; i-- {
		name := order[i]
		var after []int
		for _, other := range order[i+1:] {
			if _, ok := project.Services[other].DependsOn[name]; ok {
				after = append(after, stops[other]...)
			}
		}
		for _, c := range projectContainers(observed, project.Name, name) {
			stop, remove := downContainer(plan, c, "down", options, after)
			if stop != nil {
				stops[name] = append(stops[name], stop.ID)
			}
			removed = append(removed, remove.ID)
		}
	}
	orphans, kept := downOrphans(plan, project, observed, options)
	removed = append(removed, orphans...)
	if !kept {
		// A network with containers left on it cannot go.
		downNetworks(plan, project, observed, removed)
	}
	if options.Volumes {
		downVolumes(plan, project, observed, removed)
	}
	if err := downImages(plan, project, observed, options.Images, removed); err != nil {
		return nil, err
	}
	return plan, nil
}

// projectContainers are the containers of a service, one-off ones included,
// by name.
func projectContainers(observed *Observed, project, service string) []Container {
	var out []Container
	for _, c := range observed.Containers {
		if c.Project == project && c.Service == service {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func downContainer(plan *Plan, c Container, cause string, options DownOptions, after []int) (stop, remove *Node) {
	deps := after
	if running(c.State) {
		stop = plan.add(StopContainer{Container: c, Timeout: options.Timeout}, cause, after...)
		stop.Group = "remove " + c.Name
		deps = []int{stop.ID}
	}
	remove = plan.add(RemoveContainer{Container: c, Volumes: options.Volumes}, cause, deps...)
	remove.Group = "remove " + c.Name
	return stop, remove
}

// downOrphans removes the orphans, or warns about them and reports that
// they are kept.
func downOrphans(plan *Plan, project *spec.Project, observed *Observed, options DownOptions) (removed []int, kept bool) {
	var orphans []Container
	for _, c := range observed.Containers {
		if c.Project == project.Name && project.Services[c.Service] == nil && project.DisabledServices[c.Service] == nil {
			orphans = append(orphans, c)
		}
	}
	sort.Slice(orphans, func(i, j int) bool { return orphans[i].Name < orphans[j].Name })
	if len(orphans) > 0 && !options.RemoveOrphans {
		var names []string
		for _, o := range orphans {
			names = append(names, o.Name)
		}
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("found orphan containers (%s) for this project; run down with --remove-orphans to remove them and the project's networks", strings.Join(names, ", ")))
		return nil, true
	}
	for _, o := range orphans {
		_, remove := downContainer(plan, o, fmt.Sprintf("orphan: service %q is not in the stack file", o.Service), options, nil)
		removed = append(removed, remove.ID)
	}
	return removed, false
}

// downNetworks removes the project's networks that exist and belong to it:
// every declared one, and the default network.
func downNetworks(plan *Plan, project *spec.Project, observed *Observed, after []int) {
	keys := map[string]bool{"default": true}
	for key := range project.Networks {
		keys[key] = true
	}
	for _, key := range sortedKeys(keys) {
		if def := project.Networks[key]; def != nil && def.External {
			continue
		}
		name := NetworkName(project, key)
		n, ok := observed.Networks[name]
		if !ok || n.Labels[LabelProject] != project.Name {
			continue
		}
		plan.add(RemoveNetwork{Name: name}, "down", after...)
	}
}

func downVolumes(plan *Plan, project *spec.Project, observed *Observed, after []int) {
	for _, key := range project.VolumeNames() {
		if project.Volumes[key].External {
			continue
		}
		name := VolumeName(project, key)
		v, ok := observed.Volumes[name]
		if !ok || v.Labels[LabelProject] != project.Name {
			continue
		}
		plan.add(RemoveVolume{Name: name}, "down -v", after...)
	}
}

func downImages(plan *Plan, project *spec.Project, observed *Observed, which string, after []int) error {
	switch which {
	case "":
		return nil
	case "local", "all":
	default:
		return fmt.Errorf("--rmi %q: expected local or all", which)
	}
	refs := map[string]bool{}
	for _, name := range project.ServiceNames() {
		s := project.Services[name]
		if which == "local" && s.Image != "" {
			continue
		}
		ref := ImageRef(project, s)
		if _, ok := observed.Images[ref]; ok {
			refs[ref] = true
		}
	}
	for _, ref := range sortedKeys(refs) {
		plan.add(RemoveImage{Ref: ref}, "down --rmi "+which, after...)
	}
	return nil
}
