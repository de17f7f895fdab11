package main

import (
	"context"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"stack/runtime/image"
	"stack/runtime/registry"
)

func init() {
	register("image", "pull", newImagePullCommand)
}

type imagePullOptions struct {
	global   *globalOptions
	ref      string
	platform string
	quiet    bool
	insecure []string
	out      io.Writer
	progress io.Writer
}

func newImagePullCommand(g *globalOptions) *cobra.Command {
	o := &imagePullOptions{global: g}
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref, o.out, o.progress = args[0], cmd.OutOrStdout(), os.Stderr
			return runImagePull(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.platform, "platform", "", "platform of a multi-platform image, os/arch[/variant] (default: this host's)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.StringArrayVar(&o.insecure, "insecure-registry", nil, "registry (host[:port] or CIDR) to reach over plain HTTP (repeatable)")
	return cmd
}

func runImagePull(ctx context.Context, o *imagePullOptions) error {
	options, err := registryOptions(o.insecure, o.quiet, o.progress)
	if err != nil {
		return err
	}
	if o.platform != "" {
		p, err := v1.ParsePlatform(o.platform)
		if err != nil {
			return fmt.Errorf("--platform %q: want os/arch[/variant]: %w", o.platform, err)
		}
		options.Platform = p
	}
	store, err := image.Open(o.global.Root)
	if err != nil {
		return err
	}
	if _, err := registry.Pull(ctx, store, o.ref, options); err != nil {
		return err
	}
	canonical, err := image.Normalize(o.ref)
	if err != nil {
		return err
	}
	fmt.Fprintln(o.out, canonical)
	return nil
}

// registryOptions reads the insecure-registry configuration and adds the
// registries given as flags; progress goes to w unless quiet.
func registryOptions(insecure []string, quiet bool, w io.Writer) (registry.Options, error) {
	hosts, err := registry.LoadHosts(insecure...)
	if err != nil {
		return registry.Options{}, fmt.Errorf("--insecure-registry: %w", err)
	}
	options := registry.Options{Hosts: hosts}
	if !quiet {
		options.Progress = w
	}
	return options, nil
}
