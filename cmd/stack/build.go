package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"stack/planner"
	"stack/spec"
)

func init() {
	register("", "build", newBuildCommand)
}

// buildOptions are the flags of `stack build`, as in `docker compose build`.
type buildOptions struct {
	global    *globalOptions
	services  []string
	noCache   bool
	pull      bool
	buildArgs []string
	quiet     bool
	progress  io.Writer
}

func newBuildCommand(g *globalOptions) *cobra.Command {
	o := &buildOptions{global: g}
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] [SERVICE...]",
		Short: "Build the images of the project's services that have a build section",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.progress = args, os.Stderr
			return runBuild(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.noCache, "no-cache", false, "do not use the build cache")
	f.BoolVar(&o.pull, "pull", false, "fetch base images from their registry even when present")
	f.StringArrayVar(&o.buildArgs, "build-arg", nil, "set a build argument K=V for every service built (repeatable)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

// runBuild builds each selected service's image in name order, with the
// same builder, tags and cache as `stack up --build`.
func runBuild(ctx context.Context, o *buildOptions) error {
	args, err := parseBuildArgs(o.buildArgs)
	if err != nil {
		return err
	}
	session, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	defer session.close()
	services, err := namedServices(session.project, o.services)
	if err != nil {
		return err
	}
	progress := o.progress
	if o.quiet {
		progress = io.Discard
	}
	e := session.executor(progress)
	for _, s := range services {
		if s.Build == nil {
			if len(o.services) > 0 {
				fmt.Fprintf(os.Stderr, "warning: service %q has no build section: skipped\n", s.Name)
			}
			continue
		}
		service := withBuildOverrides(s, o.noCache, o.pull, args)
		ref := planner.ImageRef(session.project, s)
		if err := e.Execute(ctx, planner.BuildImage{Service: s.Name, Ref: ref, Config: service}); err != nil {
			return fmt.Errorf("service %q: %w", s.Name, err)
		}
	}
	return nil
}

// withBuildOverrides returns a copy of s whose build section carries the
// command line's flags; the loaded project is left as it is.
func withBuildOverrides(s *spec.Service, noCache, pull bool, args map[string]string) *spec.Service {
	copied := *s
	b := *s.Build
	b.NoCache = b.NoCache || noCache
	b.Pull = b.Pull || pull
	if len(args) > 0 {
		merged := map[string]*string{}
		for k, v := range b.Args {
			merged[k] = v
		}
		for k, v := range args {
			v := v
			merged[k] = &v
		}
		b.Args = merged
	}
	copied.Build = &b
	return &copied
}

// parseBuildArgs reads K=V pairs; a bare K takes its value from the
// environment, as docker does, and is skipped when unset.
func parseBuildArgs(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if k == "" {
			return nil, fmt.Errorf("--build-arg %q: expected KEY=VALUE", p)
		}
		if !ok {
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}
