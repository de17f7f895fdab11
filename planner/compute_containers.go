package planner

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"stack/spec"
)

// ContainerName is the name of replica number of a service:
// container_name, or "<project>-<service>-<n>".
func ContainerName(project *spec.Project, service *spec.Service, number int) string {
	if service.ContainerName != "" {
		return service.ContainerName
	}
	return fmt.Sprintf("%s-%s-%d", project.Name, service.Name, number)
}

// Replicas is how many containers a service runs: --scale, scale,
// deploy.replicas, or 1.
func Replicas(service *spec.Service, scale map[string]int) int {
	if n, ok := scale[service.Name]; ok {
		return n
	}
	if service.Scale != nil {
		return *service.Scale
	}
	if service.Deploy != nil && service.Deploy.Replicas != nil {
		return *service.Deploy.Replicas
	}
	return 1
}

// desired is what one service's containers must look like.
type desired struct {
	service *spec.Service
	hash    string
	digests map[string]string
	labels  map[string]string // without the container number
	image   string
	deps    []int // nodes a new container waits for (networks, volumes, image)
	policy  Recreate
	ready   []int // nodes its starts wait for; nil until first needed
	readied bool
}

func (c *computer) planContainers() error {
	for _, name := range c.order {
		if err := c.planService(name); err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
	}
	return nil
}

func (c *computer) planService(name string) error {
	s := c.service(name)
	ref := ImageRef(c.project, s)
	imageID := c.observed.Images[ref]
	hash, digests, err := serviceHash(c.project, s, imageID, c.observed.Files)
	if err != nil {
		return err
	}
	want := Replicas(s, c.options.Scale)
	if s.ContainerName != "" && want > 1 {
		return fmt.Errorf("container_name %q is set: %w to %d replicas", s.ContainerName, ErrScale, want)
	}
	d := &desired{service: s, hash: hash, digests: digests, image: ref, policy: c.policyFor(name)}
	d.labels = c.containerLabels(s, hash, digests, imageID)
	d.deps = c.createDeps(s, ref)

	summary := ServiceSummary{Service: name}
	existing := c.observed.ServiceContainers(c.project.Name, name)
	last := 0
	for i, old := range existing {
		last = max(last, old.Number)
		if i >= want {
			c.removeContainer(old, fmt.Sprintf("scale to %d", want), true)
			summary.Remove++
			continue
		}
		c.keep(d, old, &summary)
	}
	for n := len(existing); n < want; n++ {
		last++
		c.createReplica(d, last, &summary)
	}
	c.plan.Services = append(c.plan.Services, summary)
	return nil
}

func (c *computer) policyFor(name string) Recreate {
	if c.targets[name] || len(c.options.Services) == 0 {
		return c.options.Recreate
	}
	return c.options.RecreateDeps
}

func (c *computer) containerLabels(s *spec.Service, hash string, digests map[string]string, imageID string) map[string]string {
	labels := maps.Clone(s.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, c.projectLabels())
	labels[LabelService] = s.Name
	labels[LabelOneOff] = "False"
	labels[LabelConfigHash] = hash
	labels[LabelConfigDigests] = formatDigests(digests)
	labels[LabelImage] = imageID
	labels[LabelWorkingDir] = c.project.WorkingDir
	labels[LabelConfigFiles] = strings.Join(c.project.ComposeFiles, ",")
	if len(s.DependsOn) > 0 {
		var deps []string
		for _, dep := range sortedKeys(s.DependsOn) {
			on := s.DependsOn[dep]
			deps = append(deps, fmt.Sprintf("%s:%s:%t", dep, on.Condition, on.Restart))
		}
		labels[LabelDependsOn] = strings.Join(deps, ",")
	}
	return labels
}

// createDeps are the nodes a new container of the service waits for.
func (c *computer) createDeps(s *spec.Service, ref string) []int {
	var deps []int
	for _, key := range serviceNetworkKeys(s) {
		deps = append(deps, c.networks[key])
	}
	for _, v := range s.Volumes {
		if v.Type == spec.VolumeTypeVolume && v.Source != "" {
			deps = append(deps, c.volumes[v.Source])
		}
	}
	return append(deps, c.images[ref])
}

func (c *computer) replicaLabels(d *desired, number int) map[string]string {
	labels := maps.Clone(d.labels)
	labels[LabelNumber] = strconv.Itoa(number)
	return labels
}

func (c *computer) createReplica(d *desired, number int, summary *ServiceSummary) {
	s := d.service
	name := ContainerName(c.project, s, number)
	create := c.plan.add(CreateContainer{
		Service: s.Name, Number: number, Name: name, Image: d.image,
		Config: s, Labels: c.replicaLabels(d, number), StartName: c.startName(name),
	}, "no container", d.deps...)
	create.Group = "create " + name
	summary.Create++
	r := replica{name: name, created: true, restart: create.ID}
	if !c.options.NoStart {
		start := c.start(d, name, "no container", create.ID)
		start.Group = create.Group
		r.start, r.restart = start.ID, start.ID
	}
	c.replicas[s.Name] = append(c.replicas[s.Name], r)
}

// startName is the name a new container is started under, or "" when the
// plan only creates containers.
func (c *computer) startName(name string) string {
	if c.options.NoStart {
		return ""
	}
	return name
}

// start adds a start node that waits for after and for the service's
// dependencies to be ready.
func (c *computer) start(d *desired, name, cause string, after ...int) *Node {
	deps := append(append([]int(nil), after...), c.dependenciesReady(d)...)
	return c.plan.add(StartContainer{Service: d.service.Name, Name: name}, cause, deps...)
}

// removeContainer stops (if needed) and removes a container, as one step.
func (c *computer) removeContainer(old Container, cause string, volumes bool) {
	group := "remove " + old.Name
	var deps []int
	if running(old.State) {
		stop := c.plan.add(StopContainer{Container: old, Timeout: c.options.Timeout}, cause)
		stop.Group = group
		deps = append(deps, stop.ID)
	}
	remove := c.plan.add(RemoveContainer{Container: old, Volumes: volumes}, cause, deps...)
	remove.Group = group
}

func running(s State) bool {
	return s == StateRunning || s == StatePaused || s == StateRestarting
}
