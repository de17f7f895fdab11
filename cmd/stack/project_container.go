package main

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/planner"
	"stack/runtime/container"
	"stack/spec"
)

// containerConfig translates one replica of a service, over its image's
// configuration, into the runtime's container config. Mounts, rootfs and
// networking details that need the host are filled in by the executor.
func containerConfig(project *spec.Project, a planner.CreateContainer, imageID string, img *v1.Config) (*container.Config, error) {
	s := a.Config
	if img == nil {
		img = &v1.Config{}
	}
	cfg := &container.Config{
		Name:       a.Name,
		Image:      a.Image,
		ImageID:    imageID,
		Hostname:   s.Hostname,
		Domainname: s.Domainname,
		Labels:     maps.Clone(a.Labels),
		StopSignal: serviceOrImage(s.StopSignal, img.StopSignal),
		NoInit:     s.Init != nil && !*s.Init,
	}
	if s.StopGracePeriod != nil {
		cfg.StopTimeout = time.Duration(*s.StopGracePeriod)
	}
	var err error
	if cfg.Process, err = serviceProcess(s, img); err != nil {
		return nil, err
	}
	if cfg.Restart, err = serviceRestart(s); err != nil {
		return nil, err
	}
	cfg.Health = serviceHealth(s, img)
	cfg.Resources = serviceResources(s)
	if cfg.Security, err = serviceSecurity(project, s); err != nil {
		return nil, err
	}
	// Devices are mounts of their own kind; the executor adds the
	// service's volumes to them.
	if cfg.Mounts, err = serviceDevices(s); err != nil {
		return nil, err
	}
	cfg.Log = serviceLog(s)
	// A replacement is created under a temporary name; its DNS names are
	// those of the replica it becomes.
	final := a.Name
	if a.Inherit != nil {
		final = planner.ContainerName(project, s, a.Number)
	}
	// A one-off container answers to the service's names only when asked
	// to (run --use-aliases).
	aliases := a.Labels[planner.LabelOneOff] != "True" || a.Labels[labelUseAliases] == "true"
	if cfg.Network, err = serviceNetwork(project, s, final, aliases); err != nil {
		return nil, err
	}
	if cfg.Network.Exposed, err = exposedPorts(img.ExposedPorts, s.Expose, "expose"); err != nil {
		return nil, fmt.Errorf("service %q: %w", s.Name, err)
	}
	return cfg, nil
}

// serviceOrImage is the service's setting, or the image's when the service
// leaves it unset.
func serviceOrImage(service, image string) string {
	if service != "" {
		return service
	}
	return image
}

// serviceProcess applies Docker's rule: an entrypoint set by the service
// drops the image's command too.
func serviceProcess(s *spec.Service, img *v1.Config) (container.Process, error) {
	entrypoint, command := img.Entrypoint, img.Cmd
	if s.Entrypoint != nil {
		entrypoint, command = s.Entrypoint, nil
	}
	if s.Command != nil {
		command = s.Command
	}
	p := container.Process{
		Args:     append(append([]string{}, entrypoint...), command...),
		Env:      mergeEnv(img.Env, s.Environment),
		Cwd:      serviceOrImage(s.WorkingDir, img.WorkingDir),
		User:     serviceOrImage(s.User, img.User),
		Terminal: s.Tty,
		Stdin:    s.StdinOpen,
	}
	for _, name := range sortedNames(s.Ulimits) {
		u := s.Ulimits[name]
		soft, hard := u.Soft, u.Hard
		if u.Single != 0 {
			soft, hard = u.Single, u.Single
		}
		p.Rlimits = append(p.Rlimits, container.Rlimit{Name: name, Soft: uint64(soft), Hard: uint64(hard)})
	}
	if len(p.Args) == 0 {
		return p, fmt.Errorf("service %q: no command: neither the service nor its image sets one", s.Name)
	}
	return p, nil
}

// mergeEnv lays the service's environment over the image's; a variable
// without a value (nil) is left out, as Compose does for unset variables.
func mergeEnv(image []string, service map[string]*string) []string {
	var out []string
	for _, kv := range image {
		k, _, _ := strings.Cut(kv, "=")
		if _, over := service[k]; !over {
			out = append(out, kv)
		}
	}
	for _, k := range sortedNames(service) {
		if v := service[k]; v != nil {
			out = append(out, k+"="+*v)
		}
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func serviceRestart(s *spec.Service) (container.RestartPolicy, error) {
	if s.Restart == "" && s.Deploy != nil && s.Deploy.RestartPolicy != nil {
		rp := s.Deploy.RestartPolicy
		switch rp.Condition {
		case "none":
			return container.RestartPolicy{Name: "no"}, nil
		case "on-failure":
			p := container.RestartPolicy{Name: "on-failure"}
			if rp.MaxAttempts != nil {
				p.MaxRetries = int(*rp.MaxAttempts)
			}
			return p, nil
		default:
			return container.RestartPolicy{Name: "always"}, nil
		}
	}
	p, err := container.ParseRestartPolicy(s.Restart)
	if err != nil {
		return p, fmt.Errorf("service %q: restart: %w", s.Name, err)
	}
	return p, nil
}

// serviceHealth is the service's healthcheck over the image's: fields the
// service leaves unset come from the image.
func serviceHealth(s *spec.Service, img *v1.Config) *container.Healthcheck {
	var h container.Healthcheck
	if ih := img.Healthcheck; ih != nil {
		h = container.Healthcheck{Test: ih.Test, Interval: ih.Interval, Timeout: ih.Timeout, Retries: ih.Retries, StartPeriod: ih.StartPeriod}
	}
	if sh := s.Healthcheck; sh != nil {
		if sh.Disable {
			return nil
		}
		if len(sh.Test) > 0 {
			h.Test = sh.Test
		}
		setDuration(&h.Interval, sh.Interval)
		setDuration(&h.Timeout, sh.Timeout)
		setDuration(&h.StartPeriod, sh.StartPeriod)
		setDuration(&h.StartInterval, sh.StartInterval)
		if sh.Retries != nil {
			h.Retries = int(*sh.Retries)
		}
	}
	if len(h.Test) == 0 || h.Test[0] == "NONE" {
		return nil
	}
	return &h
}

func setDuration(dst *time.Duration, d *spec.Duration) {
	if d != nil {
		*dst = time.Duration(*d)
	}
}

func serviceResources(s *spec.Service) container.Resources {
	r := container.Resources{MemoryBytes: int64(s.MemLimit), CPUs: s.CPUs, PidsLimit: s.PidsLimit}
	if s.Deploy != nil && s.Deploy.Resources.Limits != nil {
		l := s.Deploy.Resources.Limits
		if r.MemoryBytes == 0 {
			r.MemoryBytes = int64(l.Memory)
		}
		if r.CPUs == 0 {
			r.CPUs = l.CPUs
		}
		if r.PidsLimit == 0 {
			r.PidsLimit = l.Pids
		}
	}
	return r
}

// serviceSecurity reads security_opt as docker run reads --security-opt; a
// seccomp profile's relative path is the project directory's.
func serviceSecurity(project *spec.Project, s *spec.Service) (container.Security, error) {
	sec := container.Security{Privileged: s.Privileged, CapAdd: s.CapAdd, CapDrop: s.CapDrop}
	if err := container.ParseSecurityOpts(&sec, s.SecurityOpt, project.WorkingDir); err != nil {
		return sec, fmt.Errorf("service %q: security_opt %w", s.Name, err)
	}
	return sec, nil
}

// serviceDevices reads devices: as docker run reads --device.
func serviceDevices(s *spec.Service) ([]container.Mount, error) {
	var out []container.Mount
	for i, d := range s.Devices {
		m, err := container.DeviceMount(d.Source, d.Target, d.Permissions)
		if err != nil {
			return nil, fmt.Errorf("service %q: devices[%d] %w", s.Name, i, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func serviceLog(s *spec.Service) container.LogConfig {
	var l container.LogConfig
	if s.Logging == nil {
		return l
	}
	if size, err := spec.ParseByteSize(s.Logging.Options["max-size"]); err == nil && size > 0 {
		l.MaxSize = int64(size)
	}
	fmt.Sscanf(s.Logging.Options["max-file"], "%d", &l.MaxFiles)
	return l
}
