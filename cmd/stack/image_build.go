package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"stack/runtime/build"
	"stack/runtime/image"
	"stack/runtime/registry"
)

func init() {
	register("image", "build", newImageBuildCommand)
}

type imageBuildOptions struct {
	global    *globalOptions
	context   string
	file      string
	tags      []string
	buildArgs []string
	target    string
	noCache   bool
	pull      bool
	labels    []string
	network   string
	quiet     bool
	progress  string
	stdin     io.Reader
	out       io.Writer // the image ID with -q
	log       *os.File  // steps and their output
}

func newImageBuildCommand(g *globalOptions) *cobra.Command {
	o := &imageBuildOptions{global: g}
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] PATH",
		Short: "Build an image from a Dockerfile",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.context, o.stdin, o.out, o.log = args[0], cmd.InOrStdin(), cmd.OutOrStdout(), os.Stderr
			return runImageBuild(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "name of the Dockerfile (default: PATH/Dockerfile; - reads stdin)")
	f.StringArrayVarP(&o.tags, "tag", "t", nil, "name and optionally a tag, name:tag (repeatable)")
	f.StringArrayVar(&o.buildArgs, "build-arg", nil, "build-time variable KEY=VALUE, or KEY to take it from the environment (repeatable)")
	f.StringVar(&o.target, "target", "", "build this stage and what it needs, not the last one")
	f.BoolVar(&o.noCache, "no-cache", false, "do not use the cache")
	f.BoolVar(&o.pull, "pull", false, "pull base images even when they are present")
	f.StringArrayVar(&o.labels, "label", nil, "set a label KEY=VALUE on the image (repeatable)")
	f.StringVar(&o.network, "network", "host", "network of RUN steps: host or none")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only the image ID")
	f.StringVar(&o.progress, "progress", "auto", "output: auto, plain or tty (tty adds each step's duration)")
	return cmd
}

func runImageBuild(ctx context.Context, o *imageBuildOptions) error {
	options, err := o.buildOptions()
	if err != nil {
		return err
	}
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	tmp := filepath.Join(o.global.Root, "build-tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	b := &build.Builder{
		Images:   pullingImages{StoreImages: build.StoreImages{Store: store}},
		Runner:   build.ContainerRunner{Store: store, Dir: tmp},
		CacheDir: filepath.Join(o.global.Root, "build-cache"),
		TempDir:  tmp,
	}
	res, err := b.Build(ctx, options)
	if err != nil {
		return err
	}
	if o.quiet {
		fmt.Fprintln(o.out, res.ID)
	}
	return nil
}

func (o *imageBuildOptions) buildOptions() (build.Options, error) {
	options := build.Options{
		ContextDir: o.context, Tags: o.tags, Target: o.target, NoCache: o.noCache,
		Pull: o.pull, Output: o.log, BuildArgs: map[string]string{},
	}
	for _, t := range o.tags {
		if _, err := image.Normalize(t); err != nil {
			return options, fmt.Errorf("--tag %q: %w", t, err)
		}
	}
	switch o.network {
	case "host", "none", "default":
		options.Network = o.network
	default:
		return options, fmt.Errorf("--network %q: expected host or none", o.network)
	}
	switch o.progress {
	case "auto":
		options.Timings = isTerminal(o.log)
	case "tty":
		options.Timings = true
	case "plain":
	default:
		return options, fmt.Errorf("--progress %q: expected auto, plain or tty", o.progress)
	}
	if o.quiet {
		options.Output = io.Discard
	}
	if o.file == "-" {
		data, err := io.ReadAll(o.stdin)
		if err != nil {
			return options, fmt.Errorf("reading the Dockerfile from stdin: %w", err)
		}
		options.DockerfileData = data
	} else {
		options.Dockerfile = o.file
	}
	for _, a := range o.buildArgs {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return options, fmt.Errorf("--build-arg %q: expected KEY=VALUE or KEY", a)
		}
		if !ok {
			if v, ok = os.LookupEnv(k); !ok {
				continue // Docker skips an argument the environment lacks
			}
		}
		options.BuildArgs[k] = v
	}
	labels, err := parseLabels("--label", o.labels)
	if err != nil {
		return options, err
	}
	options.Labels = labels
	return options, nil
}

// pullingImages lets the builder fetch base images from registries.
type pullingImages struct{ build.StoreImages }

func (p pullingImages) Pull(ctx context.Context, ref string) (v1.Image, error) {
	options, err := registryOptions(nil, false, os.Stderr)
	if err != nil {
		return nil, err
	}
	img, err := registry.Pull(ctx, p.Store, ref, options)
	if err != nil {
		return nil, err
	}
	return p.Store.V1(img.ID.String())
}
