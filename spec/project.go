package spec

import "sort"

// Project is a loaded, interpolated, merged, validated and normalized stack.
// Services is a map keyed by service name; ServiceNames gives the names in
// sorted order, which is the order every consumer should iterate in.
type Project struct {
	Name       string              `yaml:"name" json:"name"`
	WorkingDir string              `yaml:"-" json:"-"`
	Services   map[string]*Service `yaml:"services" json:"services"`
	Networks   map[string]*Network `yaml:"networks,omitempty" json:"networks,omitempty"`
	Volumes    map[string]*Volume  `yaml:"volumes,omitempty" json:"volumes,omitempty"`
	Secrets    map[string]*Secret  `yaml:"secrets,omitempty" json:"secrets,omitempty"`
	Configs    map[string]*Config  `yaml:"configs,omitempty" json:"configs,omitempty"`
	Models     map[string]*Model   `yaml:"models,omitempty" json:"models,omitempty"`
	Extensions Extensions          `yaml:",inline" json:"-"`

	// DisabledServices are the services whose profiles are not enabled.
	// They are validated but not part of Services.
	DisabledServices map[string]*Service `yaml:"-" json:"-"`
	// ComposeFiles are the absolute paths of the files the project was
	// loaded from, in merge order ("-" for standard input).
	ComposeFiles []string `yaml:"-" json:"-"`
	// Environment is the interpolation environment: the process
	// environment over .env and --env-file values.
	Environment map[string]string `yaml:"-" json:"-"`
	// Profiles are the enabled profiles.
	Profiles []string `yaml:"-" json:"-"`
	// Warnings are non-fatal problems (unset variables, obsolete keys).
	Warnings []string `yaml:"-" json:"-"`
}

// Extensions holds x-* fields, keyed by their full name.
type Extensions map[string]any

// ServiceNames returns the names of the enabled services, sorted.
func (p *Project) ServiceNames() []string { return sortedKeys(p.Services) }

// NetworkNames returns the names of the declared networks, sorted.
func (p *Project) NetworkNames() []string { return sortedKeys(p.Networks) }

// VolumeNames returns the names of the declared volumes, sorted.
func (p *Project) VolumeNames() []string { return sortedKeys(p.Volumes) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Network is a top-level network definition. Name is the resource name on
// the host: "<project>_<key>" unless set explicitly or external.
type Network struct {
	Name       string            `yaml:"name,omitempty" json:"name,omitempty"`
	Driver     string            `yaml:"driver,omitempty" json:"driver,omitempty"`
	DriverOpts map[string]string `yaml:"driver_opts,omitempty" json:"driver_opts,omitempty"`
	IPAM       IPAM              `yaml:"ipam,omitempty" json:"ipam,omitzero"`
	External   bool              `yaml:"external,omitempty" json:"external,omitempty"`
	Internal   bool              `yaml:"internal,omitempty" json:"internal,omitempty"`
	Attachable bool              `yaml:"attachable,omitempty" json:"attachable,omitempty"`
	EnableIPv4 *bool             `yaml:"enable_ipv4,omitempty" json:"enable_ipv4,omitempty"`
	EnableIPv6 *bool             `yaml:"enable_ipv6,omitempty" json:"enable_ipv6,omitempty"`
	Labels     map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Extensions Extensions        `yaml:",inline" json:"-"`
}

// IPAM is a network's address management configuration.
type IPAM struct {
	Driver     string            `yaml:"driver,omitempty" json:"driver,omitempty"`
	Config     []IPAMPool        `yaml:"config,omitempty" json:"config,omitempty"`
	Options    map[string]string `yaml:"options,omitempty" json:"options,omitempty"`
	Extensions Extensions        `yaml:",inline" json:"-"`
}

// IPAMPool is one address pool of a network.
type IPAMPool struct {
	Subnet       string            `yaml:"subnet,omitempty" json:"subnet,omitempty"`
	Gateway      string            `yaml:"gateway,omitempty" json:"gateway,omitempty"`
	IPRange      string            `yaml:"ip_range,omitempty" json:"ip_range,omitempty"`
	AuxAddresses map[string]string `yaml:"aux_addresses,omitempty" json:"aux_addresses,omitempty"`
	Extensions   Extensions        `yaml:",inline" json:"-"`
}

// Volume is a top-level named volume. Name is "<project>_<key>" unless set
// explicitly or external.
type Volume struct {
	Name       string            `yaml:"name,omitempty" json:"name,omitempty"`
	Driver     string            `yaml:"driver,omitempty" json:"driver,omitempty"`
	DriverOpts map[string]string `yaml:"driver_opts,omitempty" json:"driver_opts,omitempty"`
	External   bool              `yaml:"external,omitempty" json:"external,omitempty"`
	Labels     map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Extensions Extensions        `yaml:",inline" json:"-"`
}

// Secret is a top-level secret: exactly one of File, Environment, Content
// (or External) says where its value comes from. File is absolute.
type Secret struct {
	Name           string            `yaml:"name,omitempty" json:"name,omitempty"`
	File           string            `yaml:"file,omitempty" json:"file,omitempty"`
	Environment    string            `yaml:"environment,omitempty" json:"environment,omitempty"`
	Content        string            `yaml:"content,omitempty" json:"content,omitempty"`
	External       bool              `yaml:"external,omitempty" json:"external,omitempty"`
	Labels         map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Driver         string            `yaml:"driver,omitempty" json:"driver,omitempty"`
	DriverOpts     map[string]string `yaml:"driver_opts,omitempty" json:"driver_opts,omitempty"`
	TemplateDriver string            `yaml:"template_driver,omitempty" json:"template_driver,omitempty"`
	Extensions     Extensions        `yaml:",inline" json:"-"`
	// EnvironmentValue is the value of the Environment variable, read at
	// load time from the environment of the file that declares it (an
	// included project's env_file counts); nil when it is not set. It is
	// never printed.
	EnvironmentValue *string `yaml:"-" json:"-"`
}

// Config is a top-level config; same shape as Secret.
type Config Secret

// Model is a top-level AI model definition (kept so that files using it
// load; stack does not run models).
type Model struct {
	Name         string     `yaml:"name,omitempty" json:"name,omitempty"`
	Model        string     `yaml:"model,omitempty" json:"model,omitempty"`
	ContextSize  int        `yaml:"context_size,omitempty" json:"context_size,omitempty"`
	RuntimeFlags []string   `yaml:"runtime_flags,omitempty" json:"runtime_flags,omitempty"`
	Extensions   Extensions `yaml:",inline" json:"-"`
}
