package planner

import (
	"fmt"
	"maps"

	"stack/spec"
)

// NetworkName is the host name of a project network: its name key, or
// "<project>_<key>".
func NetworkName(project *spec.Project, key string) string {
	if def := project.Networks[key]; def != nil && def.Name != "" {
		return def.Name
	}
	return project.Name + "_" + key
}

// VolumeName is the host name of a project volume: its name key, or
// "<project>_<key>".
func VolumeName(project *spec.Project, key string) string {
	if def := project.Volumes[key]; def != nil && def.Name != "" {
		return def.Name
	}
	return project.Name + "_" + key
}

func (c *computer) planNetworks() error {
	used := map[string]bool{}
	for _, name := range c.order {
		for _, key := range serviceNetworkKeys(c.service(name)) {
			used[key] = true
		}
	}
	for _, key := range sortedKeys(used) {
		name := NetworkName(c.project, key)
		def := c.project.Networks[key]
		observed, exists := c.observed.Networks[name]
		if def != nil && def.External {
			if !exists {
				return fmt.Errorf("network %q: %q %w", key, name, ErrExternalMissing)
			}
			continue
		}
		if exists {
			if owner := observed.Labels[LabelProject]; owner != c.project.Name {
				c.plan.Warnings = append(c.plan.Warnings, fmt.Sprintf("network %s exists but was not created for project %q; set external: true to use it", name, c.project.Name))
			}
			continue
		}
		if def == nil && key != "default" {
			return fmt.Errorf("network %q: not declared in the top-level networks", key)
		}
		labels := c.projectLabels()
		labels[LabelNetwork] = key
		if def != nil {
			maps.Copy(labels, def.Labels)
		}
		n := c.plan.add(CreateNetwork{Key: key, Name: name, Config: def, Labels: labels}, "not found")
		c.networks[key] = n.ID
	}
	return nil
}

func (c *computer) planVolumes() error {
	used := map[string]bool{}
	for _, name := range c.order {
		for _, v := range c.service(name).Volumes {
			if v.Type == spec.VolumeTypeVolume && v.Source != "" {
				used[v.Source] = true
			}
		}
	}
	for _, key := range sortedKeys(used) {
		def := c.project.Volumes[key]
		if def == nil {
			return fmt.Errorf("volume %q: not declared in the top-level volumes", key)
		}
		name := VolumeName(c.project, key)
		_, exists := c.observed.Volumes[name]
		if def.External {
			if !exists {
				return fmt.Errorf("volume %q: %q %w", key, name, ErrExternalMissing)
			}
			continue
		}
		if exists {
			continue
		}
		labels := c.projectLabels()
		labels[LabelVolume] = key
		maps.Copy(labels, def.Labels)
		n := c.plan.add(CreateVolume{Key: key, Name: name, Config: def, Labels: labels}, "not found")
		c.volumes[key] = n.ID
	}
	return nil
}

// planImages builds or pulls what the selected services run. Two services
// on one image share one node.
func (c *computer) planImages() error {
	if c.options.SkipImages {
		return nil
	}
	for _, name := range c.order {
		s := c.service(name)
		ref := ImageRef(c.project, s)
		if _, done := c.images[ref]; done {
			continue
		}
		action, cause, err := c.imageAction(s, ref)
		if err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
		if action != nil {
			c.images[ref] = c.plan.add(action, cause).ID
		}
	}
	return nil
}

func (c *computer) imageAction(s *spec.Service, ref string) (Action, string, error) {
	_, present := c.observed.Images[ref]
	policy := s.PullPolicy
	if c.options.Pull != "" {
		policy = c.options.Pull
	}
	if s.Build != nil && !c.options.NoBuild {
		switch {
		case c.options.Build:
			return BuildImage{Service: s.Name, Ref: ref, Config: s}, "--build", nil
		case policy == "build":
			return BuildImage{Service: s.Name, Ref: ref, Config: s}, "pull_policy: build", nil
		case !present:
			return BuildImage{Service: s.Name, Ref: ref, Config: s}, "not present", nil
		}
		return nil, "", nil
	}
	switch policy {
	case "always":
		return PullImage{Service: s.Name, Ref: ref}, "pull policy always", nil
	case "never":
		if !present {
			return nil, "", fmt.Errorf("image %q: %w and pull policy is never", ref, ErrImageMissing)
		}
		return nil, "", nil
	}
	if present {
		return nil, "", nil
	}
	if s.Build != nil {
		return nil, "", fmt.Errorf("image %q: %w and --no-build given", ref, ErrImageMissing)
	}
	return PullImage{Service: s.Name, Ref: ref}, "not present", nil
}
