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
)

func init() {
	register("", "push", newPushCommand)
}

type pushOptions struct {
	global         *globalOptions
	services       []string
	quiet          bool
	ignoreFailures bool
	insecure       []string
	out, progress  io.Writer
}

func newPushCommand(g *globalOptions) *cobra.Command {
	o := &pushOptions{global: g}
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] [SERVICE...]",
		Short: "Push the images of the services that are built and named by image",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.out, o.progress = args, cmd.OutOrStdout(), os.Stderr
			return runPush(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&o.ignoreFailures, "ignore-push-failures", false, "push what can be pushed and warn about the rest")
	f.StringArrayVar(&o.insecure, "insecure-registry", nil, "registry (host[:port] or CIDR) to reach over plain HTTP (repeatable)")
	return cmd
}

// runPush pushes what the project builds: services with both build and
// image. It prints each pushed image pinned to its digest.
func runPush(ctx context.Context, o *pushOptions) error {
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
	options.BlobsumDir = blobsumDir(o.global)
	store, err := image.Open(o.global.Root)
	if err != nil {
		return err
	}
	var errs []error
	pushed := map[string]bool{}
	for _, s := range services {
		if s.Build == nil || s.Image == "" {
			continue
		}
		ref, err := image.Normalize(s.Image)
		if err != nil {
			errs = append(errs, fmt.Errorf("service %q: image: %w", s.Name, err))
			continue
		}
		if pushed[ref] {
			continue
		}
		pushed[ref] = true
		fmt.Fprintf(o.progress, "Pushing %s (%s)\n", s.Name, s.Image)
		result, err := registry.Push(ctx, store, s.Image, options)
		switch {
		case err == nil:
			repository, _ := image.Familiar(result.Ref)
			fmt.Fprintf(o.out, "%s@%s\n", repository, result.Digest)
		case o.ignoreFailures:
			fmt.Fprintf(o.progress, "warning: service %q: %v\n", s.Name, err)
		default:
			errs = append(errs, fmt.Errorf("service %q: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}
