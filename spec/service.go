package spec

import "encoding/json"

// Service is one normalized service: short syntaxes are expanded to their
// long form, relative paths are absolute, env_file and label_file contents
// are folded into Environment and Labels. Pointer and nil fields mean "not
// set" so that the image's own defaults (user, command, healthcheck...)
// apply at run time.
type Service struct {
	Name string `yaml:"-" json:"-"`

	Annotations       map[string]string          `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	Attach            *bool                      `yaml:"attach,omitempty" json:"attach,omitempty"`
	BlkioConfig       any                        `yaml:"blkio_config,omitempty" json:"blkio_config,omitempty"`
	Build             *BuildConfig               `yaml:"build,omitempty" json:"build,omitempty"`
	CapAdd            []string                   `yaml:"cap_add,omitempty" json:"cap_add,omitempty"`
	CapDrop           []string                   `yaml:"cap_drop,omitempty" json:"cap_drop,omitempty"`
	CgroupParent      string                     `yaml:"cgroup_parent,omitempty" json:"cgroup_parent,omitempty"`
	Cgroup            string                     `yaml:"cgroup,omitempty" json:"cgroup,omitempty"`
	Command           ShellCommand               `yaml:"command,omitempty" json:"command,omitempty"`
	Configs           []ServiceFileRef           `yaml:"configs,omitempty" json:"configs,omitempty"`
	ContainerName     string                     `yaml:"container_name,omitempty" json:"container_name,omitempty"`
	CPUCount          int64                      `yaml:"cpu_count,omitempty" json:"cpu_count,omitempty"`
	CPUPercent        float64                    `yaml:"cpu_percent,omitempty" json:"cpu_percent,omitempty"`
	CPUPeriod         int64                      `yaml:"cpu_period,omitempty" json:"cpu_period,omitempty"`
	CPUQuota          int64                      `yaml:"cpu_quota,omitempty" json:"cpu_quota,omitempty"`
	CPURTPeriod       int64                      `yaml:"cpu_rt_period,omitempty" json:"cpu_rt_period,omitempty"`
	CPURTRuntime      int64                      `yaml:"cpu_rt_runtime,omitempty" json:"cpu_rt_runtime,omitempty"`
	CPUs              float64                    `yaml:"cpus,omitempty" json:"cpus,omitempty"`
	CPUSet            string                     `yaml:"cpuset,omitempty" json:"cpuset,omitempty"`
	CPUShares         int64                      `yaml:"cpu_shares,omitempty" json:"cpu_shares,omitempty"`
	CredentialSpec    any                        `yaml:"credential_spec,omitempty" json:"credential_spec,omitempty"`
	DependsOn         map[string]DependsOn       `yaml:"depends_on,omitempty" json:"depends_on,omitempty"`
	Deploy            *Deploy                    `yaml:"deploy,omitempty" json:"deploy,omitempty"`
	Develop           any                        `yaml:"develop,omitempty" json:"develop,omitempty"`
	DeviceCgroupRules []string                   `yaml:"device_cgroup_rules,omitempty" json:"device_cgroup_rules,omitempty"`
	Devices           []DeviceMapping            `yaml:"devices,omitempty" json:"devices,omitempty"`
	DNS               []string                   `yaml:"dns,omitempty" json:"dns,omitempty"`
	DNSOpt            []string                   `yaml:"dns_opt,omitempty" json:"dns_opt,omitempty"`
	DNSSearch         []string                   `yaml:"dns_search,omitempty" json:"dns_search,omitempty"`
	Domainname        string                     `yaml:"domainname,omitempty" json:"domainname,omitempty"`
	Entrypoint        ShellCommand               `yaml:"entrypoint,omitempty" json:"entrypoint,omitempty"`
	EnvFiles          []EnvFile                  `yaml:"env_file,omitempty" json:"env_file,omitempty"`
	Environment       map[string]*string         `yaml:"environment,omitempty" json:"environment,omitempty"`
	Expose            []string                   `yaml:"expose,omitempty" json:"expose,omitempty"`
	ExternalLinks     []string                   `yaml:"external_links,omitempty" json:"external_links,omitempty"`
	ExtraHosts        []string                   `yaml:"extra_hosts,omitempty" json:"extra_hosts,omitempty"`
	GPUs              any                        `yaml:"gpus,omitempty" json:"gpus,omitempty"`
	GroupAdd          []string                   `yaml:"group_add,omitempty" json:"group_add,omitempty"`
	Healthcheck       *Healthcheck               `yaml:"healthcheck,omitempty" json:"healthcheck,omitempty"`
	Hostname          string                     `yaml:"hostname,omitempty" json:"hostname,omitempty"`
	Image             string                     `yaml:"image,omitempty" json:"image,omitempty"`
	Init              *bool                      `yaml:"init,omitempty" json:"init,omitempty"`
	IPC               string                     `yaml:"ipc,omitempty" json:"ipc,omitempty"`
	Isolation         string                     `yaml:"isolation,omitempty" json:"isolation,omitempty"`
	Labels            map[string]string          `yaml:"labels,omitempty" json:"labels,omitempty"`
	LabelFiles        []string                   `yaml:"label_file,omitempty" json:"label_file,omitempty"`
	Links             []string                   `yaml:"links,omitempty" json:"links,omitempty"`
	Logging           *Logging                   `yaml:"logging,omitempty" json:"logging,omitempty"`
	MacAddress        string                     `yaml:"mac_address,omitempty" json:"mac_address,omitempty"`
	MemLimit          ByteSize                   `yaml:"mem_limit,omitempty" json:"mem_limit,omitempty"`
	MemReservation    ByteSize                   `yaml:"mem_reservation,omitempty" json:"mem_reservation,omitempty"`
	MemSwappiness     *int64                     `yaml:"mem_swappiness,omitempty" json:"mem_swappiness,omitempty"`
	MemswapLimit      ByteSize                   `yaml:"memswap_limit,omitempty" json:"memswap_limit,omitempty"`
	Models            any                        `yaml:"models,omitempty" json:"models,omitempty"`
	NetworkMode       string                     `yaml:"network_mode,omitempty" json:"network_mode,omitempty"`
	Networks          map[string]*ServiceNetwork `yaml:"networks,omitempty" json:"networks,omitempty"`
	OomKillDisable    bool                       `yaml:"oom_kill_disable,omitempty" json:"oom_kill_disable,omitempty"`
	OomScoreAdj       int64                      `yaml:"oom_score_adj,omitempty" json:"oom_score_adj,omitempty"`
	PID               string                     `yaml:"pid,omitempty" json:"pid,omitempty"`
	PidsLimit         int64                      `yaml:"pids_limit,omitempty" json:"pids_limit,omitempty"`
	Platform          string                     `yaml:"platform,omitempty" json:"platform,omitempty"`
	Ports             []ServicePort              `yaml:"ports,omitempty" json:"ports,omitempty"`
	PostStart         []ServiceHook              `yaml:"post_start,omitempty" json:"post_start,omitempty"`
	PreStart          []ServiceHook              `yaml:"pre_start,omitempty" json:"pre_start,omitempty"`
	PreStop           []ServiceHook              `yaml:"pre_stop,omitempty" json:"pre_stop,omitempty"`
	Privileged        bool                       `yaml:"privileged,omitempty" json:"privileged,omitempty"`
	Profiles          []string                   `yaml:"profiles,omitempty" json:"profiles,omitempty"`
	Provider          any                        `yaml:"provider,omitempty" json:"provider,omitempty"`
	PullPolicy        string                     `yaml:"pull_policy,omitempty" json:"pull_policy,omitempty"`
	ReadOnly          bool                       `yaml:"read_only,omitempty" json:"read_only,omitempty"`
	Restart           string                     `yaml:"restart,omitempty" json:"restart,omitempty"`
	Runtime           string                     `yaml:"runtime,omitempty" json:"runtime,omitempty"`
	Scale             *int                       `yaml:"scale,omitempty" json:"scale,omitempty"`
	Secrets           []ServiceFileRef           `yaml:"secrets,omitempty" json:"secrets,omitempty"`
	SecurityOpt       []string                   `yaml:"security_opt,omitempty" json:"security_opt,omitempty"`
	ShmSize           ByteSize                   `yaml:"shm_size,omitempty" json:"shm_size,omitempty"`
	StdinOpen         bool                       `yaml:"stdin_open,omitempty" json:"stdin_open,omitempty"`
	StopGracePeriod   *Duration                  `yaml:"stop_grace_period,omitempty" json:"stop_grace_period,omitempty"`
	StopSignal        string                     `yaml:"stop_signal,omitempty" json:"stop_signal,omitempty"`
	StorageOpt        map[string]string          `yaml:"storage_opt,omitempty" json:"storage_opt,omitempty"`
	Sysctls           map[string]string          `yaml:"sysctls,omitempty" json:"sysctls,omitempty"`
	Tmpfs             []string                   `yaml:"tmpfs,omitempty" json:"tmpfs,omitempty"`
	Tty               bool                       `yaml:"tty,omitempty" json:"tty,omitempty"`
	Ulimits           map[string]*Ulimit         `yaml:"ulimits,omitempty" json:"ulimits,omitempty"`
	UseAPISocket      bool                       `yaml:"use_api_socket,omitempty" json:"use_api_socket,omitempty"`
	User              string                     `yaml:"user,omitempty" json:"user,omitempty"`
	UsernsMode        string                     `yaml:"userns_mode,omitempty" json:"userns_mode,omitempty"`
	UTS               string                     `yaml:"uts,omitempty" json:"uts,omitempty"`
	Volumes           []ServiceVolume            `yaml:"volumes,omitempty" json:"volumes,omitempty"`
	VolumesFrom       []string                   `yaml:"volumes_from,omitempty" json:"volumes_from,omitempty"`
	WorkingDir        string                     `yaml:"working_dir,omitempty" json:"working_dir,omitempty"`
	Extensions        Extensions                 `yaml:",inline" json:"-"`
}

// ShellCommand is a command or entrypoint as an argv. A string in the file
// is split the way a POSIX shell splits words. nil means "use the image's";
// an empty, non-nil slice clears it.
type ShellCommand []string

// BuildConfig is how to build a service's image. Context is an absolute
// path (or a URL); Dockerfile is relative to Context as in Compose.
type BuildConfig struct {
	Context            string             `yaml:"context,omitempty" json:"context,omitempty"`
	Dockerfile         string             `yaml:"dockerfile,omitempty" json:"dockerfile,omitempty"`
	DockerfileInline   string             `yaml:"dockerfile_inline,omitempty" json:"dockerfile_inline,omitempty"`
	Args               map[string]*string `yaml:"args,omitempty" json:"args,omitempty"`
	SSH                []string           `yaml:"ssh,omitempty" json:"ssh,omitempty"`
	Labels             map[string]string  `yaml:"labels,omitempty" json:"labels,omitempty"`
	CacheFrom          []string           `yaml:"cache_from,omitempty" json:"cache_from,omitempty"`
	CacheTo            []string           `yaml:"cache_to,omitempty" json:"cache_to,omitempty"`
	NoCache            bool               `yaml:"no_cache,omitempty" json:"no_cache,omitempty"`
	AdditionalContexts map[string]string  `yaml:"additional_contexts,omitempty" json:"additional_contexts,omitempty"`
	Network            string             `yaml:"network,omitempty" json:"network,omitempty"`
	Pull               bool               `yaml:"pull,omitempty" json:"pull,omitempty"`
	Target             string             `yaml:"target,omitempty" json:"target,omitempty"`
	ShmSize            ByteSize           `yaml:"shm_size,omitempty" json:"shm_size,omitempty"`
	ExtraHosts         []string           `yaml:"extra_hosts,omitempty" json:"extra_hosts,omitempty"`
	Isolation          string             `yaml:"isolation,omitempty" json:"isolation,omitempty"`
	Privileged         bool               `yaml:"privileged,omitempty" json:"privileged,omitempty"`
	Secrets            []ServiceFileRef   `yaml:"secrets,omitempty" json:"secrets,omitempty"`
	Tags               []string           `yaml:"tags,omitempty" json:"tags,omitempty"`
	Ulimits            map[string]*Ulimit `yaml:"ulimits,omitempty" json:"ulimits,omitempty"`
	Platforms          []string           `yaml:"platforms,omitempty" json:"platforms,omitempty"`
	Entitlements       []string           `yaml:"entitlements,omitempty" json:"entitlements,omitempty"`
	Provenance         any                `yaml:"provenance,omitempty" json:"provenance,omitempty"`
	SBOM               any                `yaml:"sbom,omitempty" json:"sbom,omitempty"`
	Extensions         Extensions         `yaml:",inline" json:"-"`
}

// ServicePort is one published or exposed port in long syntax. Published
// is a port or a range ("8000-8010"), empty for an ephemeral host port.
type ServicePort struct {
	Name        string     `yaml:"name,omitempty" json:"name,omitempty"`
	Mode        string     `yaml:"mode,omitempty" json:"mode,omitempty"`
	HostIP      string     `yaml:"host_ip,omitempty" json:"host_ip,omitempty"`
	Target      uint32     `yaml:"target" json:"target"`
	Published   string     `yaml:"published,omitempty" json:"published,omitempty"`
	Protocol    string     `yaml:"protocol,omitempty" json:"protocol,omitempty"`
	AppProtocol string     `yaml:"app_protocol,omitempty" json:"app_protocol,omitempty"`
	Extensions  Extensions `yaml:",inline" json:"-"`
}

// Volume mount types.
const (
	VolumeTypeBind    = "bind"
	VolumeTypeVolume  = "volume"
	VolumeTypeTmpfs   = "tmpfs"
	VolumeTypeImage   = "image"
	VolumeTypeNpipe   = "npipe"
	VolumeTypeCluster = "cluster"
)

// ServiceVolume is one mount in long syntax. For binds Source is an
// absolute host path; for volumes it is the key of a top-level volume, or
// empty for an anonymous volume.
type ServiceVolume struct {
	Type        string         `yaml:"type" json:"type"`
	Source      string         `yaml:"source,omitempty" json:"source,omitempty"`
	Target      string         `yaml:"target" json:"target"`
	ReadOnly    bool           `yaml:"read_only,omitempty" json:"read_only,omitempty"`
	Consistency string         `yaml:"consistency,omitempty" json:"consistency,omitempty"`
	Bind        *BindOptions   `yaml:"bind,omitempty" json:"bind,omitempty"`
	Volume      *VolumeOptions `yaml:"volume,omitempty" json:"volume,omitempty"`
	Tmpfs       *TmpfsOptions  `yaml:"tmpfs,omitempty" json:"tmpfs,omitempty"`
	Image       *ImageOptions  `yaml:"image,omitempty" json:"image,omitempty"`
	Extensions  Extensions     `yaml:",inline" json:"-"`
}

// BindOptions are the options of a bind mount. CreateHostPath defaults to
// true as in Compose: a missing source directory is created.
type BindOptions struct {
	Propagation    string `yaml:"propagation,omitempty" json:"propagation,omitempty"`
	CreateHostPath *bool  `yaml:"create_host_path,omitempty" json:"create_host_path,omitempty"`
	SELinux        string `yaml:"selinux,omitempty" json:"selinux,omitempty"`
	Recursive      string `yaml:"recursive,omitempty" json:"recursive,omitempty"`
}

// VolumeOptions are the options of a named or anonymous volume mount.
type VolumeOptions struct {
	NoCopy  bool   `yaml:"nocopy,omitempty" json:"nocopy,omitempty"`
	Subpath string `yaml:"subpath,omitempty" json:"subpath,omitempty"`
}

// TmpfsOptions are the options of a tmpfs mount.
type TmpfsOptions struct {
	Size ByteSize `yaml:"size,omitempty" json:"size,omitempty"`
	Mode uint32   `yaml:"mode,omitempty" json:"mode,omitempty"`
}

// ImageOptions are the options of an image mount.
type ImageOptions struct {
	Subpath string `yaml:"subpath,omitempty" json:"subpath,omitempty"`
}

// ServiceNetwork is a service's attachment to one network; nil in the
// Networks map means "attached, no options".
type ServiceNetwork struct {
	Aliases       []string          `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	IPv4Address   string            `yaml:"ipv4_address,omitempty" json:"ipv4_address,omitempty"`
	IPv6Address   string            `yaml:"ipv6_address,omitempty" json:"ipv6_address,omitempty"`
	LinkLocalIPs  []string          `yaml:"link_local_ips,omitempty" json:"link_local_ips,omitempty"`
	MacAddress    string            `yaml:"mac_address,omitempty" json:"mac_address,omitempty"`
	DriverOpts    map[string]string `yaml:"driver_opts,omitempty" json:"driver_opts,omitempty"`
	Priority      int               `yaml:"priority,omitempty" json:"priority,omitempty"`
	GWPriority    int               `yaml:"gw_priority,omitempty" json:"gw_priority,omitempty"`
	InterfaceName string            `yaml:"interface_name,omitempty" json:"interface_name,omitempty"`
	Extensions    Extensions        `yaml:",inline" json:"-"`
}

// Dependency conditions.
const (
	ConditionStarted               = "service_started"
	ConditionHealthy               = "service_healthy"
	ConditionCompletedSuccessfully = "service_completed_successfully"
)

// DependsOn is one dependency in long syntax. The short (list) syntax
// gives Condition service_started and Required true.
type DependsOn struct {
	Condition  string     `yaml:"condition" json:"condition"`
	Restart    bool       `yaml:"restart,omitempty" json:"restart,omitempty"`
	Required   bool       `yaml:"required" json:"required"`
	Extensions Extensions `yaml:",inline" json:"-"`
}

// Healthcheck overrides the image's HEALTHCHECK. Test is in the long form:
// ["CMD", argv...], ["CMD-SHELL", "cmd"] or ["NONE"]; Disable is true when
// `disable: true` or test NONE was given.
type Healthcheck struct {
	Test          []string   `yaml:"test,omitempty" json:"test,omitempty"`
	Interval      *Duration  `yaml:"interval,omitempty" json:"interval,omitempty"`
	Timeout       *Duration  `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	StartPeriod   *Duration  `yaml:"start_period,omitempty" json:"start_period,omitempty"`
	StartInterval *Duration  `yaml:"start_interval,omitempty" json:"start_interval,omitempty"`
	Retries       *uint64    `yaml:"retries,omitempty" json:"retries,omitempty"`
	Disable       bool       `yaml:"disable,omitempty" json:"disable,omitempty"`
	Extensions    Extensions `yaml:",inline" json:"-"`
}

// Deploy is the deploy section. Only Replicas, Resources and RestartPolicy
// affect how stack runs a service; the rest is kept for output.
type Deploy struct {
	Mode           string            `yaml:"mode,omitempty" json:"mode,omitempty"`
	Replicas       *int              `yaml:"replicas,omitempty" json:"replicas,omitempty"`
	Labels         map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	UpdateConfig   any               `yaml:"update_config,omitempty" json:"update_config,omitempty"`
	RollbackConfig any               `yaml:"rollback_config,omitempty" json:"rollback_config,omitempty"`
	Resources      Resources         `yaml:"resources,omitempty" json:"resources,omitzero"`
	RestartPolicy  *RestartPolicy    `yaml:"restart_policy,omitempty" json:"restart_policy,omitempty"`
	Placement      any               `yaml:"placement,omitempty" json:"placement,omitempty"`
	EndpointMode   string            `yaml:"endpoint_mode,omitempty" json:"endpoint_mode,omitempty"`
	Extensions     Extensions        `yaml:",inline" json:"-"`
}

// Resources are resource limits and reservations.
type Resources struct {
	Limits       *Resource `yaml:"limits,omitempty" json:"limits,omitempty"`
	Reservations *Resource `yaml:"reservations,omitempty" json:"reservations,omitempty"`
}

// Resource is one set of resource figures. CPUs is a fraction of CPUs.
type Resource struct {
	CPUs             float64    `yaml:"cpus,omitempty" json:"cpus,omitempty"`
	Memory           ByteSize   `yaml:"memory,omitempty" json:"memory,omitempty"`
	Pids             int64      `yaml:"pids,omitempty" json:"pids,omitempty"`
	Devices          any        `yaml:"devices,omitempty" json:"devices,omitempty"`
	GenericResources any        `yaml:"generic_resources,omitempty" json:"generic_resources,omitempty"`
	Extensions       Extensions `yaml:",inline" json:"-"`
}

// RestartPolicy is deploy.restart_policy.
type RestartPolicy struct {
	Condition   string    `yaml:"condition,omitempty" json:"condition,omitempty"`
	Delay       *Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	MaxAttempts *uint64   `yaml:"max_attempts,omitempty" json:"max_attempts,omitempty"`
	Window      *Duration `yaml:"window,omitempty" json:"window,omitempty"`
}

// Ulimit is a soft/hard pair. A single number in the file sets Single and
// both limits to it.
type Ulimit struct {
	Single int64 `yaml:"-" json:"-"`
	Soft   int64 `yaml:"soft" json:"soft"`
	Hard   int64 `yaml:"hard" json:"hard"`
}

// Logging is the logging section.
type Logging struct {
	Driver  string            `yaml:"driver,omitempty" json:"driver,omitempty"`
	Options map[string]string `yaml:"options,omitempty" json:"options,omitempty"`
}

// ServiceFileRef grants a service a secret or a config. Target defaults to
// the source's name (mounted under /run/secrets for secrets, at /<source>
// for configs).
type ServiceFileRef struct {
	Source     string     `yaml:"source" json:"source"`
	Target     string     `yaml:"target,omitempty" json:"target,omitempty"`
	UID        string     `yaml:"uid,omitempty" json:"uid,omitempty"`
	GID        string     `yaml:"gid,omitempty" json:"gid,omitempty"`
	Mode       *uint32    `yaml:"mode,omitempty" json:"mode,omitempty"`
	Extensions Extensions `yaml:",inline" json:"-"`
}

// EnvFile is one env_file entry; Path is absolute. Format is "" (dotenv)
// or "raw" (one KEY=VALUE per line, nothing unquoted or interpolated).
type EnvFile struct {
	Path     string `yaml:"path" json:"path"`
	Required bool   `yaml:"required" json:"required"`
	Format   string `yaml:"format,omitempty" json:"format,omitempty"`
}

// DeviceMapping is a host device made available in the container.
type DeviceMapping struct {
	Source      string `yaml:"source" json:"source"`
	Target      string `yaml:"target,omitempty" json:"target,omitempty"`
	Permissions string `yaml:"permissions,omitempty" json:"permissions,omitempty"`
}

// ServiceHook is a lifecycle hook (post_start, pre_stop...).
type ServiceHook struct {
	Image       string             `yaml:"image,omitempty" json:"image,omitempty"`
	Command     ShellCommand       `yaml:"command,omitempty" json:"command,omitempty"`
	User        string             `yaml:"user,omitempty" json:"user,omitempty"`
	Privileged  bool               `yaml:"privileged,omitempty" json:"privileged,omitempty"`
	WorkingDir  string             `yaml:"working_dir,omitempty" json:"working_dir,omitempty"`
	Environment map[string]*string `yaml:"environment,omitempty" json:"environment,omitempty"`
	Extensions  Extensions         `yaml:",inline" json:"-"`
}

// MarshalYAML prints a single-number ulimit back as a number.
func (u Ulimit) MarshalYAML() (any, error) {
	if u.Single != 0 {
		return u.Single, nil
	}
	return struct {
		Soft int64 `yaml:"soft"`
		Hard int64 `yaml:"hard"`
	}{u.Soft, u.Hard}, nil
}

// MarshalJSON prints a single-number ulimit back as a number.
func (u Ulimit) MarshalJSON() ([]byte, error) {
	if u.Single != 0 {
		return json.Marshal(u.Single)
	}
	return json.Marshal(struct {
		Soft int64 `json:"soft"`
		Hard int64 `json:"hard"`
	}{u.Soft, u.Hard})
}
