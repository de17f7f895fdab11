package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"stack/runtime/container"
	"stack/runtime/image"
	"stack/spec"
)

func init() {
	register("container", "create", newContainerCreateCommand)
}

// containerCreateOptions are the flags run and create share.
type containerCreateOptions struct {
	global      *globalOptions
	image       string
	args        []string
	changed     func(string) bool
	interactive bool
	id          string // chosen ahead by run, whose monitor starts meanwhile; "" for a new one

	name, hostname, workdir, user, entrypoint, restart string
	network, stopSignal, memory                        string
	env, envFiles, publish, volumes, tmpfs, labels     []string
	expose                                             []string
	capAdd, capDrop, securityOpts, ulimits, logOpts    []string
	devices                                            []string
	autoRemove, tty, readOnly, privileged, noInit      bool
	publishAll                                         bool
	useInit, noHealthcheck                             bool
	cpus                                               float64
	pidsLimit                                          int64
	stopTimeout                                        int
	healthCmd                                          string
	healthInterval, healthTimeout                      time.Duration
	healthStartPeriod, healthStartInterval             time.Duration
	healthRetries                                      int
}

func newContainerCreateCommand(g *globalOptions) *cobra.Command {
	o := &containerCreateOptions{global: g}
	var interactive bool
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.image, o.args, o.changed, o.interactive = args[0], args[1:], cmd.Flags().Changed, interactive
			_, c, err := createContainer(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&interactive, "interactive", "i", false, "keep stdin open")
	addContainerCreateFlags(f, o)
	return cmd
}

func addContainerCreateFlags(f *pflag.FlagSet, o *containerCreateOptions) {
	// -p is docker's --publish here, not the global --project-name: a
	// local flag of that name keeps the global one (and its -p) out.
	shadowGlobalFlags(f, "project-name")
	// -h is docker's --hostname; help stays reachable as --help.
	f.Bool("help", false, "help for this command")
	f.StringVar(&o.name, "name", "", "container name")
	f.BoolVar(&o.autoRemove, "rm", false, "remove the container when it exits")
	f.BoolVarP(&o.tty, "tty", "t", false, "allocate a pseudo-TTY")
	f.StringArrayVarP(&o.publish, "publish", "p", nil, "publish a port: [ip:][hostPort[-end]:]containerPort[-end][/proto]")
	f.BoolVarP(&o.publishAll, "publish-all", "P", false, "publish every exposed port on a random host port")
	f.StringArrayVar(&o.expose, "expose", nil, "expose a port or a range without publishing it")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to take it from here)")
	f.StringArrayVar(&o.envFiles, "env-file", nil, "read environment variables from a file")
	f.StringArrayVarP(&o.volumes, "volume", "v", nil, "mount: /host/path:/target[:ro], name:/target[:ro] or /target")
	f.StringArrayVar(&o.tmpfs, "tmpfs", nil, "mount a tmpfs: /target[:options]")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVarP(&o.user, "user", "u", "", "user[:group], names or ids")
	f.StringVarP(&o.hostname, "hostname", "h", "", "container host name")
	f.StringVar(&o.entrypoint, "entrypoint", "", "override the image's entrypoint")
	f.BoolVar(&o.useInit, "init", true, "run an init as PID 1 that forwards signals and reaps zombies")
	f.BoolVar(&o.noInit, "no-init", false, "run the command itself as PID 1")
	f.StringVar(&o.restart, "restart", "no", "restart policy: no, always, on-failure[:N], unless-stopped")
	f.StringVarP(&o.memory, "memory", "m", "", "memory limit (e.g. 512m)")
	f.Float64Var(&o.cpus, "cpus", 0, "number of CPUs")
	f.Int64Var(&o.pidsLimit, "pids-limit", 0, "maximum number of processes")
	f.StringArrayVar(&o.capAdd, "cap-add", nil, "add a capability")
	f.StringArrayVar(&o.capDrop, "cap-drop", nil, "drop a capability")
	f.BoolVar(&o.readOnly, "read-only", false, "mount the root file system read-only")
	f.BoolVar(&o.privileged, "privileged", false, "give every capability and no seccomp filter")
	f.StringArrayVar(&o.devices, "device", nil, "add a host device: HOST[:CONTAINER[:rw|rwm]]")
	f.StringArrayVar(&o.securityOpts, "security-opt", nil, "no-new-privileges[:true|false], seccomp=unconfined or seccomp=PROFILE.json")
	f.StringVar(&o.network, "network", "bridge", "network: bridge, none, host, container:<name> or a network name")
	f.StringVar(&o.healthCmd, "health-cmd", "", "command to check health (run with /bin/sh -c)")
	f.DurationVar(&o.healthInterval, "health-interval", 0, "time between checks (default 30s)")
	f.DurationVar(&o.healthTimeout, "health-timeout", 0, "maximum time of one check (default 30s)")
	f.IntVar(&o.healthRetries, "health-retries", 0, "failures in a row to report unhealthy (default 3)")
	f.DurationVar(&o.healthStartPeriod, "health-start-period", 0, "start period during which failures do not count")
	f.DurationVar(&o.healthStartInterval, "health-start-interval", 0, "time between checks in the start period (default 5s)")
	f.BoolVar(&o.noHealthcheck, "no-healthcheck", false, "disable the image's healthcheck")
	f.StringVar(&o.stopSignal, "stop-signal", "", "signal that stops the container (default SIGTERM or the image's)")
	f.IntVar(&o.stopTimeout, "stop-timeout", -1, "seconds to wait before killing at stop (default 10)")
	f.StringArrayVar(&o.ulimits, "ulimit", nil, "resource limit: name=soft[:hard]")
	f.StringArrayVarP(&o.labels, "label", "l", nil, "set a label KEY=VALUE")
	f.StringArrayVar(&o.logOpts, "log-opt", nil, "log option: max-size=10m, max-file=3")
}

// createContainer resolves the image and the flags into a container record.
func createContainer(ctx context.Context, o *containerCreateOptions) (*container.Store, *container.Container, error) {
	images, err := image.Open(o.global.Root)
	if err != nil {
		return nil, nil, err
	}
	img, err := images.Get(o.image)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := o.config(img)
	if err != nil {
		return nil, nil, err
	}
	store, err := containerStore(o.global)
	if err != nil {
		return nil, nil, err
	}
	cfg.ID = o.id
	if cfg.ID == "" {
		cfg.ID = container.NewID()
	}
	mount, err := images.Rootfs(ctx, img, store.Dir(cfg.ID))
	if err != nil {
		return nil, nil, err
	}
	cfg.Rootfs = container.Rootfs{Lower: mount.Lower, Upper: mount.Upper, Work: mount.Work, ReadOnly: o.readOnly}
	if err := o.mounts(cfg); err != nil {
		os.RemoveAll(store.Dir(cfg.ID))
		return nil, nil, err
	}
	if err := o.ports(ctx, cfg); err != nil {
		os.RemoveAll(store.Dir(cfg.ID))
		return nil, nil, err
	}
	c, err := store.Create(cfg)
	if err != nil {
		os.RemoveAll(store.Dir(cfg.ID))
		return nil, nil, err
	}
	return store, c, nil
}

func (o *containerCreateOptions) config(img *image.Image) (*container.Config, error) {
	ic := img.Config.Config
	cfg := &container.Config{
		Name: o.name, Image: o.image, ImageID: img.ID.String(), Hostname: o.hostname,
		AutoRemove: o.autoRemove, NoInit: o.noInit || (o.changed("init") && !o.useInit),
		StopSignal: flagOrImage(o.stopSignal, ic.StopSignal),
	}
	if o.stopTimeout >= 0 {
		cfg.StopTimeout = time.Duration(o.stopTimeout) * time.Second
	}
	entrypoint := ic.Entrypoint
	cmd := ic.Cmd
	if o.changed("entrypoint") {
		entrypoint, cmd = nil, nil
		if o.entrypoint != "" {
			entrypoint = []string{o.entrypoint}
		}
	}
	if len(o.args) > 0 {
		cmd = o.args
	}
	env, err := o.environment(ic.Env)
	if err != nil {
		return nil, err
	}
	if cfg.Network.Exposed, err = exposedPorts(ic.ExposedPorts, o.expose, "--expose"); err != nil {
		return nil, err
	}
	cfg.Process = container.Process{
		Args: append(append([]string(nil), entrypoint...), cmd...), Env: env,
		Cwd: flagOrImage(o.workdir, ic.WorkingDir), User: flagOrImage(o.user, ic.User),
		Terminal: o.tty, Stdin: o.interactive,
	}
	if len(cfg.Process.Args) == 0 {
		return nil, fmt.Errorf("image %s has no command: give one after the image", o.image)
	}
	for _, u := range o.ulimits {
		r, err := parseUlimit(u)
		if err != nil {
			return nil, err
		}
		cfg.Process.Rlimits = append(cfg.Process.Rlimits, r)
	}
	if cfg.Restart, err = container.ParseRestartPolicy(o.restart); err != nil {
		return nil, fmt.Errorf("--restart: %w", err)
	}
	if err := o.resources(cfg); err != nil {
		return nil, err
	}
	if err := o.security(cfg); err != nil {
		return nil, err
	}
	if err := o.networkMode(cfg); err != nil {
		return nil, err
	}
	o.health(cfg, img)
	if cfg.Log, err = parseLogOpts(o.logOpts); err != nil {
		return nil, err
	}
	if cfg.Labels, err = parseLabels("--label", o.labels); err != nil {
		return nil, err
	}
	return cfg, nil
}

// flagOrImage prefers the value given on the command line.
func flagOrImage(flag, fromImage string) string {
	if flag != "" {
		return flag
	}
	return fromImage
}

// environment is the image's environment overlaid with --env-file then -e.
func (o *containerCreateOptions) environment(base []string) ([]string, error) {
	env := append([]string(nil), base...)
	set := func(kv string) {
		key, _, hasValue := strings.Cut(kv, "=")
		if !hasValue {
			v, ok := os.LookupEnv(key)
			if !ok {
				return
			}
			kv = key + "=" + v
		}
		for i, old := range env {
			if k, _, _ := strings.Cut(old, "="); k == key {
				env[i] = kv
				return
			}
		}
		env = append(env, kv)
	}
	for _, file := range o.envFiles {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--env-file: %w", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line != "" && !strings.HasPrefix(line, "#") {
				set(line)
			}
		}
		f.Close()
	}
	for _, kv := range o.env {
		if kv == "" || strings.HasPrefix(kv, "=") {
			return nil, fmt.Errorf("-e %q: expected KEY=VALUE or KEY", kv)
		}
		set(kv)
	}
	return env, nil
}

func (o *containerCreateOptions) resources(cfg *container.Config) error {
	if o.memory != "" {
		n, err := spec.ParseByteSize(o.memory)
		if err != nil {
			return fmt.Errorf("--memory %q: %w", o.memory, err)
		}
		cfg.Resources.MemoryBytes = int64(n)
	}
	if o.cpus < 0 || o.pidsLimit < 0 {
		return errors.New("--cpus and --pids-limit: expected positive numbers")
	}
	cfg.Resources.CPUs, cfg.Resources.PidsLimit = o.cpus, o.pidsLimit
	return nil
}

func (o *containerCreateOptions) security(cfg *container.Config) error {
	cfg.Security = container.Security{Privileged: o.privileged, CapAdd: o.capAdd, CapDrop: o.capDrop}
	// A profile's relative path is the caller's, as with docker run.
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := container.ParseSecurityOpts(&cfg.Security, o.securityOpts, dir); err != nil {
		return fmt.Errorf("--security-opt %w", err)
	}
	for _, d := range o.devices {
		m, err := container.ParseDevice(d)
		if err != nil {
			return fmt.Errorf("--device %w", err)
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	if _, err := container.EffectiveCaps(cfg.Security); err != nil {
		return err
	}
	return nil
}

func (o *containerCreateOptions) networkMode(cfg *container.Config) error {
	n := &cfg.Network
	n.Hostname = cfg.Hostname
	switch mode := o.network; {
	case mode == "" || mode == "bridge" || mode == "default":
		n.Mode = "bridge"
	case mode == "none" || mode == "host":
		n.Mode = mode
	case strings.HasPrefix(mode, "container:"):
		store, err := containerStore(o.global)
		if err != nil {
			return err
		}
		other, err := store.Get(strings.TrimPrefix(mode, "container:"))
		if err != nil {
			return fmt.Errorf("--network %s: %w", mode, err)
		}
		n.Mode = "container:" + other.ID
	default:
		n.Mode = "bridge"
		n.Attachments = []container.Attachment{{Network: mode}}
	}
	if n.Mode == "host" && !o.changed("hostname") {
		h, _ := os.Hostname()
		cfg.Hostname, n.Hostname = h, h
	}
	return nil
}

func (o *containerCreateOptions) health(cfg *container.Config, img *image.Image) {
	var h container.Healthcheck
	if ih := img.Config.Config.Healthcheck; ih != nil {
		h = container.Healthcheck{Test: ih.Test, Interval: ih.Interval, Timeout: ih.Timeout, Retries: ih.Retries, StartPeriod: ih.StartPeriod}
	}
	if o.healthCmd != "" {
		h.Test = []string{"CMD-SHELL", o.healthCmd}
	}
	if o.changed("health-interval") {
		h.Interval = o.healthInterval
	}
	if o.changed("health-timeout") {
		h.Timeout = o.healthTimeout
	}
	if o.changed("health-retries") {
		h.Retries = o.healthRetries
	}
	if o.changed("health-start-period") {
		h.StartPeriod = o.healthStartPeriod
	}
	if o.changed("health-start-interval") {
		h.StartInterval = o.healthStartInterval
	}
	if o.noHealthcheck || len(h.Test) == 0 || h.Test[0] == "NONE" {
		return
	}
	cfg.Health = &h
}

// mounts resolves -v and --tmpfs.
func (o *containerCreateOptions) mounts(cfg *container.Config) error {
	var anonymous []string
	for _, v := range o.volumes {
		parts := strings.Split(v, ":")
		m := container.Mount{Type: "bind"}
		switch len(parts) {
		case 1:
			m.Target = parts[0]
		case 2, 3:
			m.Source, m.Target = parts[0], parts[1]
			if len(parts) == 3 {
				switch parts[2] {
				case "ro":
					m.ReadOnly = true
				case "rw", "z", "Z":
				default:
					return fmt.Errorf("-v %q: mode %q: expected ro or rw", v, parts[2])
				}
			}
		default:
			return fmt.Errorf("-v %q: expected SOURCE:TARGET[:ro]", v)
		}
		if !filepath.IsAbs(m.Target) {
			return fmt.Errorf("-v %q: target %q: expected an absolute path", v, m.Target)
		}
		if m.Source == "" || !strings.HasPrefix(m.Source, "/") && !strings.HasPrefix(m.Source, ".") {
			vol, err := o.volume(m.Source)
			if err != nil {
				return fmt.Errorf("-v %q: %w", v, err)
			}
			if m.Source == "" {
				anonymous = append(anonymous, m.Target+"="+vol.Name)
			}
			m.Source = vol.Mountpoint
		} else {
			abs, err := filepath.Abs(m.Source)
			if err != nil {
				return err
			}
			if _, err := os.Stat(abs); err != nil {
				return fmt.Errorf("-v %q: source: %w", v, err)
			}
			m.Source = abs
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	if len(anonymous) > 0 {
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		cfg.Labels[labelAnonymousVolumes] = strings.Join(anonymous, ",")
	}
	for _, t := range o.tmpfs {
		target, opts, _ := strings.Cut(t, ":")
		if !filepath.IsAbs(target) {
			return fmt.Errorf("--tmpfs %q: expected an absolute target", t)
		}
		m := container.Mount{Type: "tmpfs", Target: target}
		if opts != "" {
			m.Options = strings.Split(opts, ",")
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	return nil
}

func (o *containerCreateOptions) volume(name string) (*volume, error) {
	vols := openVolumes(o.global)
	if name == "" {
		return vols.create("", "local", map[string]string{labelAnonymous: ""}, nil)
	}
	v, err := vols.get(name)
	if errors.Is(err, errVolumeNotFound) {
		return vols.create(name, "local", nil, nil)
	}
	return v, err
}

// ports parses -p and reserves the host ports now, so that a conflict
// fails before anything runs.
func (o *containerCreateOptions) ports(ctx context.Context, cfg *container.Config) error {
	for _, p := range o.publish {
		ports, err := publishFlag(p)
		if err != nil {
			return err
		}
		bindings, err := portBindings(ports)
		if err != nil {
			return fmt.Errorf("-p %q: %w", p, err)
		}
		cfg.Network.Ports = append(cfg.Network.Ports, bindings...)
	}
	if o.publishAll {
		cfg.Network.Ports = append(cfg.Network.Ports, unpublished(cfg.Network)...)
	}
	if len(cfg.Network.Ports) == 0 {
		return nil
	}
	if cfg.Network.Mode != "bridge" {
		return fmt.Errorf("-p: publishing ports needs --network bridge or a network, not %s", cfg.Network.Mode)
	}
	hooks := newHooks(o.global)
	if hooks.Ports == nil {
		return errors.New("-p: this build of stack cannot publish ports")
	}
	reserved, err := hooks.Ports.Reserve(ctx, cfg.ID, cfg.Network.Ports)
	if err != nil {
		return err
	}
	cfg.Network.Ports = reserved
	return nil
}

// unpublished are the exposed ports that n does not publish, each on a
// random host port (-P).
func unpublished(n container.NetworkConfig) []container.PortBinding {
	var out []container.PortBinding
	for _, p := range n.Unpublished() {
		if p.Protocol != "sctp" {
			out = append(out, container.PortBinding{ContainerPort: p.Number, Protocol: p.Protocol})
		}
	}
	return out
}

func parseUlimit(s string) (container.Rlimit, error) {
	name, value, ok := strings.Cut(s, "=")
	softS, hardS, hasHard := strings.Cut(value, ":")
	if !hasHard {
		hardS = softS
	}
	soft, err1 := strconv.ParseUint(softS, 10, 64)
	hard, err2 := strconv.ParseUint(hardS, 10, 64)
	if !ok || err1 != nil || err2 != nil || soft > hard {
		return container.Rlimit{}, fmt.Errorf("--ulimit %q: expected name=soft[:hard] with soft <= hard", s)
	}
	return container.Rlimit{Name: name, Soft: soft, Hard: hard}, nil
}

func parseLogOpts(opts []string) (container.LogConfig, error) {
	var l container.LogConfig
	for _, opt := range opts {
		key, value, _ := strings.Cut(opt, "=")
		switch key {
		case "max-size":
			n, err := spec.ParseByteSize(value)
			if err != nil || n <= 0 {
				return l, fmt.Errorf("--log-opt %q: expected a size such as 10m", opt)
			}
			l.MaxSize = int64(n)
		case "max-file":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 {
				return l, fmt.Errorf("--log-opt %q: expected a positive number", opt)
			}
			l.MaxFiles = n
		default:
			return l, fmt.Errorf("--log-opt %q: expected max-size or max-file", opt)
		}
	}
	return l, nil
}
