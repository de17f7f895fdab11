package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"stack/runtime/image"
	"stack/runtime/registry"
	"stack/spec"
)

func init() {
	register("", "pull", newPullCommand)
}

type pullOptions struct {
	global          *globalOptions
	services        []string
	quiet           bool
	ignoreFailures  bool
	ignoreBuildable bool
	policy          string
	insecure        []string
	progress        io.Writer
}

func newPullCommand(g *globalOptions) *cobra.Command {
	o := &pullOptions{global: g}
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] [SERVICE...]",
		Short: "Pull the images of the project's services",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.progress = args, os.Stderr
			return runPull(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&o.ignoreFailures, "ignore-pull-failures", false, "pull what can be pulled and warn about the rest")
	f.BoolVar(&o.ignoreBuildable, "ignore-buildable", false, "skip services that have a build section")
	f.StringVar(&o.policy, "policy", "", `"missing" pulls only images not present; "always" (default) pulls them all`)
	f.StringArrayVar(&o.insecure, "insecure-registry", nil, "registry (host[:port] or CIDR) to reach over plain HTTP (repeatable)")
	return cmd
}

// runPull pulls one image after the other, so that each keeps its progress
// rows; a service that can be built only warns when its image cannot be
// pulled, as in Compose.
func runPull(ctx context.Context, o *pullOptions) error {
	if o.policy != "" && o.policy != "missing" && o.policy != "always" {
		return fmt.Errorf("--policy %q: want missing or always", o.policy)
	}
	project, err := loadProject(ctx, o.global)
	if err != nil {
		return err
	}
	services, err := namedServices(project, o.services)
	if err != nil {
		return err
	}
	options, err := registryOptions(o.insecure, o.quiet, o.progress)
	if err != nil {
		return err
	}
	store, err := image.Open(o.global.Root)
	if err != nil {
		return err
	}
	var errs []error
	pulled := map[string]bool{}
	for _, s := range services {
		if s.Image == "" || s.PullPolicy == "build" || o.ignoreBuildable && s.Build != nil {
			continue
		}
		ref, err := image.Normalize(s.Image)
		if err != nil {
			errs = append(errs, fmt.Errorf("service %q: image: %w", s.Name, err))
			continue
		}
		if pulled[ref] {
			continue
		}
		pulled[ref] = true
		if o.policy == "missing" {
			if _, err := store.Get(ref); err == nil {
				continue
			}
		}
		fmt.Fprintf(o.progress, "Pulling %s (%s)\n", s.Name, s.Image)
		_, err = registry.Pull(ctx, store, s.Image, options)
		switch {
		case err == nil:
		case s.Build != nil:
			fmt.Fprintf(o.progress, "warning: service %q: %v; it will be built\n", s.Name, err)
		case o.ignoreFailures:
			fmt.Fprintf(o.progress, "warning: service %q: %v\n", s.Name, err)
		default:
			errs = append(errs, fmt.Errorf("service %q: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

// namedServices returns the services given by name, or all of them, in
// name order.
func namedServices(project *spec.Project, names []string) ([]*spec.Service, error) {
	if len(names) == 0 {
		names = project.ServiceNames()
	}
	var services []*spec.Service
	var errs []error
	seen := map[string]bool{}
	for _, name := range names {
		s, ok := project.Services[name]
		if !ok {
			errs = append(errs, fmt.Errorf("no such service: %q", name))
			continue
		}
		if !seen[name] {
			seen[name] = true
			services = append(services, s)
		}
	}
	return services, errors.Join(errs...)
}
