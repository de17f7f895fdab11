package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"stack/runtime/seccomp"
)

// Config is everything needed to create a container. It is stored as
// config.json in the container's directory and read by its monitor.
type Config struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Image   string    `json:"image"`   // reference as the user wrote it, for listings
	ImageID string    `json:"imageId"` // content digest of the image, if any
	Created time.Time `json:"created"`

	Rootfs      Rootfs            `json:"rootfs"`
	Process     Process           `json:"process"`
	Hostname    string            `json:"hostname"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []Mount           `json:"mounts,omitempty"`
	Network     NetworkConfig     `json:"network"`
	Resources   Resources         `json:"resources"`
	Security    Security          `json:"security"`
	NoInit      bool              `json:"noInit,omitempty"` // the user process is PID 1
	Restart     RestartPolicy     `json:"restart"`
	Health      *Healthcheck      `json:"health,omitempty"`
	Log         LogConfig         `json:"log"`
	StopSignal  string            `json:"stopSignal,omitempty"`  // default SIGTERM
	StopTimeout time.Duration     `json:"stopTimeout,omitempty"` // default 10s
	AutoRemove  bool              `json:"autoRemove,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// Rootfs is the container's root filesystem as overlay directories. The
// runtime mounts it inside the container's mount namespace only, so nothing
// is left mounted on the host when the container is gone. Upper and Work may
// be empty for a read-only root; a container created through a Store gets
// them in its own directory when they are empty.
type Rootfs struct {
	Lower    []string `json:"lower"` // topmost first, as overlayfs wants
	Upper    string   `json:"upper,omitempty"`
	Work     string   `json:"work,omitempty"`
	ReadOnly bool     `json:"readOnly,omitempty"`
}

// Process is the main process or an exec'd one.
type Process struct {
	Args     []string `json:"args"`
	Env      []string `json:"env,omitempty"`
	Cwd      string   `json:"cwd,omitempty"`  // default "/"
	User     string   `json:"user,omitempty"` // user[:group], names or ids; default root
	Terminal bool     `json:"terminal,omitempty"`
	Stdin    bool     `json:"stdin,omitempty"` // keep stdin open (-i)
	Rlimits  []Rlimit `json:"rlimits,omitempty"`
}

// Rlimit is one resource limit, by its ulimit name ("nofile", "nproc", ...).
type Rlimit struct {
	Name string `json:"name"`
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// Mount is a bind or tmpfs mount inside the container, or a host device
// made available at Target (see DeviceMount).
type Mount struct {
	Type     string   `json:"type"` // "bind", "tmpfs" or "device"
	Source   string   `json:"source,omitempty"`
	Target   string   `json:"target"`
	ReadOnly bool     `json:"readOnly,omitempty"`
	Options  []string `json:"options,omitempty"` // tmpfs data such as "size=64m"
}

// Resources are cgroup limits; zero means unlimited.
type Resources struct {
	MemoryBytes int64   `json:"memoryBytes,omitempty"`
	CPUs        float64 `json:"cpus,omitempty"`
	PidsLimit   int64   `json:"pidsLimit,omitempty"`
}

// Security holds the privilege settings.
type Security struct {
	Privileged      bool     `json:"privileged,omitempty"`
	CapAdd          []string `json:"capAdd,omitempty"`
	CapDrop         []string `json:"capDrop,omitempty"`
	NoNewPrivileges bool     `json:"noNewPrivileges,omitempty"`
	Seccomp         string   `json:"seccomp,omitempty"` // "" default profile, "unconfined", or the profile file's path
	// SeccompProfile is the content of the profile file, read when the
	// container is created: like Docker, a container keeps the profile it
	// was created with, whatever becomes of the file.
	SeccompProfile json.RawMessage `json:"seccompProfile,omitempty"`
}

// RestartPolicy is Docker's: "no", "always", "on-failure" (with an optional
// maximum of retries) or "unless-stopped".
type RestartPolicy struct {
	Name       string `json:"name,omitempty"`
	MaxRetries int    `json:"maxRetries,omitempty"`
}

// Healthcheck is a probe run inside the container. Test is Docker's form:
// ["CMD", args...], ["CMD-SHELL", command] or ["NONE"].
type Healthcheck struct {
	Test          []string      `json:"test"`
	Interval      time.Duration `json:"interval,omitempty"`      // default 30s
	Timeout       time.Duration `json:"timeout,omitempty"`       // default 30s
	Retries       int           `json:"retries,omitempty"`       // default 3
	StartPeriod   time.Duration `json:"startPeriod,omitempty"`   // default 0
	StartInterval time.Duration `json:"startInterval,omitempty"` // default 5s
}

// LogConfig bounds the JSON-lines log file.
type LogConfig struct {
	MaxSize  int64 `json:"maxSize,omitempty"`  // bytes before rotation; default 10 MiB
	MaxFiles int   `json:"maxFiles,omitempty"` // files kept, the live one included; default 3
}

// ParseRestartPolicy reads Docker's --restart syntax.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	switch name {
	case "", "no", "always", "unless-stopped":
		if hasCount {
			return RestartPolicy{}, fmt.Errorf("restart policy %q: only on-failure takes a retry count", s)
		}
		if name == "" {
			name = "no"
		}
		return RestartPolicy{Name: name}, nil
	case "on-failure":
		p := RestartPolicy{Name: name}
		if hasCount {
			if _, err := fmt.Sscanf(count, "%d", &p.MaxRetries); err != nil || p.MaxRetries < 0 {
				return RestartPolicy{}, fmt.Errorf("restart policy %q: retry count must be a non-negative integer", s)
			}
		}
		return p, nil
	}
	return RestartPolicy{}, fmt.Errorf("restart policy %q: expected no, always, on-failure[:N] or unless-stopped", s)
}

func (c *Config) stopTimeout() time.Duration {
	if c.StopTimeout > 0 {
		return c.StopTimeout
	}
	return 10 * time.Second
}

// validate reports every problem of c at once.
func (c *Config) validate() error {
	var problems []string
	if len(c.Rootfs.Lower) == 0 {
		problems = append(problems, "rootfs: at least one lower directory is required")
	}
	if (c.Rootfs.Upper == "") != (c.Rootfs.Work == "") {
		problems = append(problems, "rootfs: upper and work directories go together")
	}
	if c.Rootfs.Upper == "" && !c.Rootfs.ReadOnly {
		problems = append(problems, "rootfs: a writable root needs upper and work directories")
	}
	if len(c.Process.Args) == 0 {
		problems = append(problems, "process: no command given and the image has none")
	}
	for i, m := range c.Mounts {
		if m.Type != "bind" && m.Type != "tmpfs" && m.Type != "device" {
			problems = append(problems, fmt.Sprintf("mounts[%d]: type %q: expected bind, tmpfs or device", i, m.Type))
		}
		if !strings.HasPrefix(m.Target, "/") {
			problems = append(problems, fmt.Sprintf("mounts[%d]: target %q: expected an absolute path", i, m.Target))
		}
	}
	if err := c.Security.validateSeccomp(); err != nil {
		problems = append(problems, "security: "+err.Error())
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("container config: %s", strings.Join(problems, "; "))
}

// ParseSecurityOpts applies Docker's --security-opt values (security_opt in
// a stack file) to s: no-new-privileges[:true|false], seccomp=unconfined
// and seccomp=PROFILE.json, whose relative path is resolved against dir.
// The profile is read and checked now. AppArmor and SELinux have nothing
// to disable here, so apparmor=unconfined and label=disable are accepted.
func ParseSecurityOpts(s *Security, opts []string, dir string) error {
	var errs []error
	for _, opt := range opts {
		if err := s.applyOpt(opt, dir); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", opt, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Security) applyOpt(opt, dir string) error {
	// Docker takes both key=value and the older key:value.
	key, value, hasValue := strings.Cut(opt, "=")
	if k, v, ok := strings.Cut(opt, ":"); ok && (!hasValue || len(k) < len(key)) {
		key, value, hasValue = k, v, true
	}
	switch key {
	case "no-new-privileges":
		switch value {
		case "", "true":
			s.NoNewPrivileges = true
		case "false":
			s.NoNewPrivileges = false
		default:
			return errors.New("expected no-new-privileges[:true|false]")
		}
	case "seccomp":
		switch {
		case !hasValue || value == "":
			return errors.New("expected seccomp=unconfined or seccomp=PROFILE.json")
		case value == "unconfined":
			s.Seccomp, s.SeccompProfile = "unconfined", nil
		default:
			return s.loadSeccompProfile(value, dir)
		}
	case "apparmor", "label":
		if value != "unconfined" && value != "disable" {
			return fmt.Errorf("%s is not supported: only %s=unconfined and label=disable are accepted", key, key)
		}
	default:
		return errors.New("expected no-new-privileges[:true|false], seccomp=unconfined or seccomp=PROFILE.json")
	}
	return nil
}

func (s *Security) loadSeccompProfile(path, dir string) error {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("seccomp profile: %w", err)
	}
	p, err := seccomp.ParseProfile(data)
	if err == nil {
		_, err = p.Compile(nil) // an unfit architecture fails now, not at start
	}
	if err != nil {
		return fmt.Errorf("seccomp profile %s: %w", path, err)
	}
	s.Seccomp, s.SeccompProfile = path, json.RawMessage(data)
	return nil
}

func (s Security) validateSeccomp() error {
	switch {
	case s.Seccomp == "unconfined" && s.SeccompProfile != nil:
		return errors.New("seccomp: unconfined with a profile")
	case s.Seccomp == "unconfined" || s.Seccomp == "" && s.SeccompProfile == nil:
		return nil
	case s.SeccompProfile == nil:
		return fmt.Errorf("seccomp %q: expected unconfined, the default or a loaded profile", s.Seccomp)
	}
	if _, err := seccomp.ParseProfile(s.SeccompProfile); err != nil {
		return fmt.Errorf("seccomp profile %s: %w", s.Seccomp, err)
	}
	return nil
}

// seccompFilter compiles the filter of a container holding caps: profile,
// when set, is a profile in Docker's JSON format, otherwise the default.
func seccompFilter(profile json.RawMessage, caps []string) (seccomp.Filter, error) {
	if profile == nil {
		return seccomp.Default(caps)
	}
	p, err := seccomp.ParseProfile(profile)
	if err != nil {
		return nil, fmt.Errorf("seccomp profile: %w", err)
	}
	return p.Compile(caps)
}

// DeviceMount reads docker's --device HOST[:CONTAINER[:PERMISSIONS]] (the
// fields of devices: in a stack file) into the mount that makes the host's
// device node HOST, a character or block device, appear at CONTAINER. The
// runtime sets no device cgroup rules, so it cannot restrict a device to
// reading: the permissions must allow read and write ("rw" or "rwm").
func DeviceMount(host, target, permissions string) (Mount, error) {
	if target == "" {
		target = host
	}
	if permissions == "" {
		permissions = "rwm"
	}
	switch {
	case !filepath.IsAbs(host):
		return Mount{}, fmt.Errorf("%q: expected an absolute host path", host)
	case !filepath.IsAbs(target):
		return Mount{}, fmt.Errorf("%q: container path %q: expected an absolute path", host, target)
	case strings.Trim(permissions, "rwm") != "":
		return Mount{}, fmt.Errorf("%q: permissions %q: expected letters of rwm", host, permissions)
	case !strings.Contains(permissions, "r") || !strings.Contains(permissions, "w"):
		return Mount{}, fmt.Errorf("%q: permissions %q: only rw and rwm are supported, without a device cgroup a device cannot be made read- or write-only", host, permissions)
	}
	var st unix.Stat_t
	if err := unix.Stat(host, &st); err != nil {
		return Mount{}, fmt.Errorf("%q: %w", host, err)
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFCHR && t != unix.S_IFBLK {
		return Mount{}, fmt.Errorf("%q: not a character or block device", host)
	}
	return Mount{Type: "device", Source: host, Target: filepath.Clean(target), Options: []string{permissions}}, nil
}

// ParseDevice reads --device HOST[:CONTAINER[:PERMISSIONS]].
func ParseDevice(spec string) (Mount, error) {
	parts := strings.Split(spec, ":")
	if len(parts) > 3 {
		return Mount{}, fmt.Errorf("%q: expected HOST[:CONTAINER[:PERMISSIONS]]", spec)
	}
	parts = append(parts, "", "")
	// HOST:PERMISSIONS is docker's short form.
	if parts[2] == "" && parts[1] != "" && !strings.HasPrefix(parts[1], "/") {
		parts[1], parts[2] = "", parts[1]
	}
	return DeviceMount(parts[0], parts[1], parts[2])
}
