package planner

import (
	"fmt"
	"sort"
	"strings"

	"stack/spec"
)

// keep decides what happens to an existing replica the service still
// needs: recreate it, start it, restart it, or leave it.
func (c *computer) keep(d *desired, old Container, summary *ServiceSummary) {
	if cause := c.recreateCause(d, old); cause != "" {
		c.recreate(d, old, cause)
		summary.Recreate++
		return
	}
	r := replica{name: old.Name}
	switch {
	case c.options.NoStart:
		summary.Unchanged++
	case old.State == StateExited && old.ExitCode == 0 && c.completes(d.service.Name):
		// A one-shot dependency that already did its work stays done.
		r.complete = true
		summary.Unchanged++
	case old.State == StateCreated:
		r.start = c.start(d, old.Name, "created, not started").ID
		summary.Start++
	case old.State == StateExited || old.State == StateDead:
		r.start = c.start(d, old.Name, fmt.Sprintf("%s (%d)", old.State, old.ExitCode)).ID
		summary.Start++
	case old.State == StateRunning && c.restartedDependency(d.service) != "":
		cause := fmt.Sprintf("dependency %s restarted (restart: true)", c.restartedDependency(d.service))
		stop := c.plan.add(StopContainer{Container: old, Timeout: c.options.Timeout}, cause)
		stop.Group = "restart " + old.Name
		start := c.start(d, old.Name, cause, stop.ID)
		start.Group = stop.Group
		r.start = start.ID
		summary.Start++
	default:
		summary.Unchanged++
	}
	r.restart = r.start
	c.replicas[d.service.Name] = append(c.replicas[d.service.Name], r)
}

func (c *computer) recreateCause(d *desired, old Container) string {
	switch d.policy {
	case RecreateNever:
		return ""
	case RecreateForce:
		if c.targets[d.service.Name] || len(c.options.Services) == 0 {
			return "--force-recreate"
		}
		return "--always-recreate-deps"
	}
	if old.ConfigHash == d.hash {
		return ""
	}
	return describeChange(old.Digests, d.digests)
}

// changeNames are how a plan calls the hashed keys that are not service keys.
var changeNames = map[string]string{
	"image_id":            "image",
	"network_definitions": "network definitions",
	"volume_definitions":  "volume definitions",
	"file_contents":       "file contents",
}

// describeChange names the keys whose digests differ: "environment
// changed", "image, ports changed".
func describeChange(was, now map[string]string) string {
	keys := map[string]bool{}
	for k := range was {
		keys[k] = true
	}
	for k := range now {
		keys[k] = true
	}
	var changed []string
	for _, k := range sortedKeys(keys) {
		if was[k] != now[k] {
			if name, ok := changeNames[k]; ok {
				k = name
			}
			changed = append(changed, k)
		}
	}
	if len(was) == 0 || len(changed) == 0 {
		return "configuration changed"
	}
	sort.Strings(changed)
	return strings.Join(changed, ", ") + " changed"
}

// recreate replaces a container so that a failure to create the new one
// leaves the old one running: create under a temporary name, stop and
// remove the old, rename the new, start it.
func (c *computer) recreate(d *desired, old Container, cause string) {
	if c.options.NoRename {
		c.replace(d, old, cause)
		return
	}
	s := d.service
	name := ContainerName(c.project, s, old.Number)
	temp := shortID(old.ID) + "_" + name
	labels := c.replicaLabels(d, old.Number)
	labels[LabelReplace] = old.Name
	inherit := old
	group := "recreate " + old.Name
	create := c.plan.add(CreateContainer{
		Service: s.Name, Number: old.Number, Name: temp, Image: d.image,
		Config: s, Labels: labels, Inherit: &inherit, StartName: c.startName(name),
	}, cause, d.deps...)
	create.Group = group
	last := c.stopAndRemove(old, cause, group, create.ID)
	rename := c.plan.add(RenameContainer{From: temp, To: name}, cause, last)
	rename.Group = group
	c.startReplacement(d, name, cause, group, rename.ID)
}

// replace is recreate without a rename: stop and remove the old
// container, then create and start the new one under its name.
func (c *computer) replace(d *desired, old Container, cause string) {
	s := d.service
	name := ContainerName(c.project, s, old.Number)
	labels := c.replicaLabels(d, old.Number)
	labels[LabelReplace] = old.Name
	inherit := old
	group := "recreate " + old.Name
	last := c.stopAndRemove(old, cause, group, 0)
	create := c.plan.add(CreateContainer{
		Service: s.Name, Number: old.Number, Name: name, Image: d.image,
		Config: s, Labels: labels, Inherit: &inherit, StartName: c.startName(name),
	}, cause, append([]int{last}, d.deps...)...)
	create.Group = group
	c.startReplacement(d, name, cause, group, create.ID)
}

func (c *computer) stopAndRemove(old Container, cause, group string, after int) int {
	if running(old.State) {
		stop := c.plan.add(StopContainer{Container: old, Timeout: c.options.Timeout}, cause, after)
		stop.Group = group
		after = stop.ID
	}
	remove := c.plan.add(RemoveContainer{Container: old}, cause, after)
	remove.Group = group
	return remove.ID
}

func (c *computer) startReplacement(d *desired, name, cause, group string, after int) {
	r := replica{name: name, created: true, restart: after}
	if !c.options.NoStart {
		start := c.start(d, name, cause, after)
		start.Group = group
		r.start, r.restart = start.ID, start.ID
	}
	c.replicas[d.service.Name] = append(c.replicas[d.service.Name], r)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// completes reports whether a selected service waits for this one to
// complete successfully.
func (c *computer) completes(name string) bool {
	for _, other := range c.order {
		if on, ok := c.service(other).DependsOn[name]; ok && on.Condition == spec.ConditionCompletedSuccessfully {
			return true
		}
	}
	return false
}

// restartedDependency names the first dependency with restart: true that
// the plan recreates or starts, or "".
func (c *computer) restartedDependency(s *spec.Service) string {
	for _, dep := range sortedKeys(s.DependsOn) {
		if !s.DependsOn[dep].Restart {
			continue
		}
		for _, r := range c.replicas[dep] {
			if r.created || r.start != 0 {
				return dep
			}
		}
	}
	return ""
}

// dependenciesReady returns the nodes a service's starts wait for: the
// starts of its service_started dependencies and an await node per
// container of the others.
func (c *computer) dependenciesReady(d *desired) []int {
	if d.readied {
		return d.ready
	}
	d.readied = true
	s := d.service
	for _, dep := range sortedKeys(s.DependsOn) {
		on := s.DependsOn[dep]
		for _, r := range c.replicas[dep] {
			switch Condition(on.Condition) {
			case ConditionHealthy, ConditionCompleted:
				d.ready = append(d.ready, c.await(dep, r, Condition(on.Condition), s.Name, !on.Required).ID)
			default:
				if r.start != 0 {
					d.ready = append(d.ready, r.start)
				}
			}
		}
	}
	return d.ready
}

func (c *computer) await(service string, r replica, cond Condition, dependent string, optional bool) *Node {
	key := fmt.Sprintf("%s/%s/%t", r.name, cond, optional)
	if n, ok := c.awaits[key]; ok {
		n.Cause += ", " + dependent
		return n
	}
	n := c.plan.add(AwaitContainer{Service: service, Name: r.name, Condition: cond}, "needed by "+dependent, r.start)
	n.Optional = optional
	c.awaits[key] = n
	return n
}

// planOrphans removes, or warns about, the project's containers whose
// service is no longer in the stack file.
func (c *computer) planOrphans() error {
	var orphans []Container
	for _, ctr := range c.observed.Containers {
		if ctr.Project != c.project.Name || ctr.OneOff {
			continue
		}
		if c.project.Services[ctr.Service] != nil || c.project.DisabledServices[ctr.Service] != nil {
			continue
		}
		orphans = append(orphans, ctr)
	}
	if len(orphans) == 0 {
		return nil
	}
	sort.Slice(orphans, func(i, j int) bool { return orphans[i].Name < orphans[j].Name })
	if !c.options.RemoveOrphans {
		names := make([]string, len(orphans))
		for i, o := range orphans {
			names[i] = o.Name
		}
		c.plan.Warnings = append(c.plan.Warnings, fmt.Sprintf(
			"found orphan containers (%s) for this project; if you removed or renamed their service in the stack file, run this command with --remove-orphans to clean them up",
			strings.Join(names, ", ")))
		return nil
	}
	for _, o := range orphans {
		c.removeContainer(o, fmt.Sprintf("orphan: service %q is not in the stack file", o.Service), false)
	}
	return nil
}
