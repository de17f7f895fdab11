package container

import (
	"fmt"
	"strings"
	"time"
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

// Mount is a bind or tmpfs mount inside the container.
type Mount struct {
	Type     string   `json:"type"` // "bind" or "tmpfs"
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
	Seccomp         string   `json:"seccomp,omitempty"` // "" default profile, "unconfined"
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
		if m.Type != "bind" && m.Type != "tmpfs" {
			problems = append(problems, fmt.Sprintf("mounts[%d]: type %q: expected bind or tmpfs", i, m.Type))
		}
		if !strings.HasPrefix(m.Target, "/") {
			problems = append(problems, fmt.Sprintf("mounts[%d]: target %q: expected an absolute path", i, m.Target))
		}
	}
	if s := c.Security.Seccomp; s != "" && s != "unconfined" {
		problems = append(problems, fmt.Sprintf("security: seccomp %q: expected unconfined or the default", s))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("container config: %s", strings.Join(problems, "; "))
}
