package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"stack/planner"
	"stack/runtime/container"
	"stack/spec"
)

func init() {
	register("", "run", newRunCommand)
}

type runOptions struct {
	global       *globalOptions
	service      string
	args         []string
	remove       bool
	noDeps       bool
	detach       bool
	env          []string
	volumes      []string
	publish      []string
	servicePorts bool
	useAliases   bool
	entrypoint   string
	noTTY        bool
	name         string
	user         string
	workdir      string
	stdin        io.Reader
	stdout       io.Writer
	stderr       io.Writer
}

func newRunCommand(g *globalOptions) *cobra.Command {
	o := &runOptions{global: g}
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] SERVICE [COMMAND] [ARG...]",
		Short: "Run a one-off command in a new container of a service",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.service, o.args = args[0], args[1:]
			o.stdin, o.stdout, o.stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runRun(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVar(&o.remove, "rm", false, "remove the container when it exits")
	f.BoolVar(&o.noDeps, "no-deps", false, "do not start the services it depends on")
	f.BoolVarP(&o.detach, "detach", "d", false, "run in the background and print the container name")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set an environment variable KEY=VALUE (repeatable)")
	f.StringArrayVarP(&o.volumes, "volume", "v", nil, "mount SOURCE:TARGET[:ro] (repeatable)")
	shadowGlobalFlags(f, "project-name") // stack -p NAME run -p PORTS
	f.StringArrayVarP(&o.publish, "publish", "p", nil, "publish [IP:]HOST:CONTAINER[/PROTO] (repeatable)")
	f.BoolVar(&o.servicePorts, "service-ports", false, "publish the service's ports")
	f.BoolVar(&o.useAliases, "use-aliases", false, "answer to the service's network aliases")
	f.StringVar(&o.entrypoint, "entrypoint", "", "override the image's entrypoint")
	f.BoolVarP(&o.noTTY, "no-TTY", "T", false, "do not allocate a pseudo-TTY")
	f.StringVar(&o.name, "name", "", "container name (default <project>-<service>-run-<id>)")
	f.StringVarP(&o.user, "user", "u", "", "run as user[:group]")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory")
	return cmd
}

func runRun(ctx context.Context, o *runOptions) error {
	s, err := openProject(ctx, o.global, true)
	if err != nil {
		return err
	}
	defer s.close()
	svc := s.project.Services[o.service]
	if svc == nil {
		return fmt.Errorf("service %q: %w", o.service, planner.ErrNoSuchService)
	}
	oneOff, err := o.oneOffService(s.project, svc)
	if err != nil {
		return err
	}
	if err := runDependencies(ctx, s, svc, o.noDeps); err != nil {
		return err
	}
	if err := runResources(ctx, s, oneOff); err != nil {
		return err
	}
	action := planner.CreateContainer{
		Service: svc.Name, Number: 1, Name: o.name, Image: planner.ImageRef(s.project, svc),
		Config: oneOff, Labels: o.labels(s.project, svc),
	}
	if action.Name == "" {
		id := make([]byte, 6)
		rand.Read(id)
		action.Name = fmt.Sprintf("%s-%s-run-%s", s.project.Name, svc.Name, hex.EncodeToString(id))
	}
	if err := s.executor(o.stderr).createContainer(ctx, action); err != nil {
		return err
	}
	s.close()
	return o.start(ctx, s, action.Name)
}

// runDependencies brings up what the service depends on.
func runDependencies(ctx context.Context, s *projectSession, svc *spec.Service, noDeps bool) error {
	services := sortedNames(svc.DependsOn)
	if noDeps || len(services) == 0 {
		return nil
	}
	var options planner.Options
	options.Services = services
	options.NoRename = !s.host.canRename()
	if err := s.host.recoverReplacements(ctx, s.project.Name, os.Stderr); err != nil {
		return err
	}
	ex := s.executor(os.Stderr)
	plan, err := planner.Up(ctx, s.project, s.observer(), ex, options,
		planner.ApplyOptions{Progress: progressPrinter(os.Stderr)})
	ex.cancelEarly()
	if plan != nil {
		printWarnings(plan)
	}
	return err
}

// runResources builds or pulls the one-off container's image and creates
// the networks and volumes it uses, -v volumes included: what up would
// create for it, without its containers.
func runResources(ctx context.Context, s *projectSession, oneOff *spec.Service) error {
	project := *s.project
	project.Services = maps.Clone(s.project.Services)
	project.Services[oneOff.Name] = oneOff
	observed, err := s.observe(ctx)
	if err != nil {
		return err
	}
	plan, err := planner.Compute(&project, observed, planner.Options{Services: []string{oneOff.Name}, NoDeps: true})
	if err != nil {
		return err
	}
	return s.apply(ctx, plan.Filter(func(n *planner.Node) bool {
		switch n.Action.Kind() {
		case planner.KindBuildImage, planner.KindPullImage, planner.KindCreateNetwork, planner.KindCreateVolume:
			return true
		}
		return false
	}))
}

// oneOffService is the service as the one-off container runs it: the
// command, entrypoint, environment, mounts and ports of the flags.
func (o *runOptions) oneOffService(project *spec.Project, svc *spec.Service) (*spec.Service, error) {
	c := *svc
	if len(o.args) > 0 {
		c.Command = o.args
	}
	if o.entrypoint != "" {
		c.Entrypoint = strings.Fields(o.entrypoint)
	}
	if o.user != "" {
		c.User = o.user
	}
	if o.workdir != "" {
		c.WorkingDir = o.workdir
	}
	c.Tty = !o.noTTY && !o.detach && isTerminal(os.Stdin)
	c.StdinOpen = !o.detach
	c.ContainerName = ""
	c.Environment = maps.Clone(svc.Environment)
	if c.Environment == nil {
		c.Environment = map[string]*string{}
	}
	for _, kv := range o.env {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("-e %q: expected KEY=VALUE", kv)
		}
		if !ok {
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		c.Environment[k] = &v
	}
	c.Volumes = append([]spec.ServiceVolume(nil), svc.Volumes...)
	for _, v := range o.volumes {
		mount, err := runVolume(project, v)
		if err != nil {
			return nil, err
		}
		c.Volumes = append(c.Volumes, mount)
	}
	if !o.servicePorts {
		c.Ports = nil
	}
	for _, p := range o.publish {
		ports, err := publishFlag(p)
		if err != nil {
			return nil, err
		}
		c.Ports = append(c.Ports, ports...)
	}
	return &c, nil
}

func (o *runOptions) labels(project *spec.Project, svc *spec.Service) map[string]string {
	labels := maps.Clone(svc.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[planner.LabelProject] = project.Name
	labels[planner.LabelService] = svc.Name
	labels[planner.LabelNumber] = "1"
	labels[planner.LabelOneOff] = "True"
	labels[planner.LabelWorkingDir] = project.WorkingDir
	labels[planner.LabelConfigFiles] = strings.Join(project.ComposeFiles, ",")
	labels[planner.LabelVersion] = planner.Version
	if o.useAliases {
		labels[labelUseAliases] = "true"
	}
	return labels
}

// publishFlag reads one --publish, in the short syntax of a ports list:
// [[IP:][HOST[-END]]:]CONTAINER[-END][/PROTO].
func publishFlag(p string) ([]spec.ServicePort, error) {
	ports, err := spec.ParsePortSpec(p)
	if err != nil {
		return nil, fmt.Errorf("-p %q: %w", p, err)
	}
	return ports, nil
}

// start runs the one-off container attached (or detached with -d) and
// passes its exit code through; with --rm it is removed afterwards.
func (o *runOptions) start(ctx context.Context, s *projectSession, name string) error {
	store := s.host.containers
	argv, err := monitorArgv(o.global)
	if err != nil {
		return err
	}
	opts := container.StartOptions{MonitorArgv: argv}
	tty := !o.noTTY && !o.detach && isTerminal(os.Stdin)
	if !o.detach {
		opts.Stdout, opts.Stderr, opts.Stdin = o.stdout, o.stderr, o.stdin
	}
	if tty {
		term, err := makeRaw(o.stdin)
		if err != nil {
			return err
		}
		defer term.restore()
	}
	sess, err := store.Start(ctx, name, opts)
	if err != nil {
		if o.remove {
			// --rm promises that nothing of the run stays, started or not.
			if c, getErr := store.Get(name); getErr == nil {
				s.executor(o.stderr).removeContainer(planner.RemoveContainer{Container: observedContainer(c), Volumes: true})
			}
		}
		return err
	}
	code, err := sess.Wait()
	if o.detach {
		fmt.Fprintln(o.stdout, name)
		return err
	}
	if err != nil {
		return err
	}
	if o.remove {
		c, err := waitStopped(ctx, store, name)
		if err == nil {
			err = s.executor(o.stderr).removeContainer(planner.RemoveContainer{Container: observedContainer(c), Volumes: true})
		}
		if err != nil {
			return err
		}
	}
	if code != 0 {
		return &exitStatus{Code: code}
	}
	return nil
}

// waitStopped waits until the container's monitor has recorded its final
// state, so that it can be removed.
func waitStopped(ctx context.Context, store *container.Store, name string) (*container.Container, error) {
	for {
		c, err := store.Get(name)
		if err != nil || !c.Running() && c.State.MonitorPid == 0 {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
