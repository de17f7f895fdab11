package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"stack/runtime/image"
	"stack/runtime/registry"
)

func init() {
	register("image", "push", newImagePushCommand)
}

type imagePushOptions struct {
	global   *globalOptions
	ref      string
	quiet    bool
	insecure []string
	out      io.Writer
	progress io.Writer
}

func newImagePushCommand(g *globalOptions) *cobra.Command {
	o := &imagePushOptions{global: g}
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref, o.out, o.progress = args[0], cmd.OutOrStdout(), os.Stderr
			return runImagePush(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.StringArrayVar(&o.insecure, "insecure-registry", nil, "registry (host[:port] or CIDR) to reach over plain HTTP (repeatable)")
	return cmd
}

// runImagePush prints the pushed image's reference pinned to its digest,
// the form a stack file can name to get exactly this image back.
func runImagePush(ctx context.Context, o *imagePushOptions) error {
	options, err := registryOptions(o.insecure, o.quiet, o.progress)
	if err != nil {
		return err
	}
	options.BlobsumDir = blobsumDir(o.global)
	store, err := image.Open(o.global.Root)
	if err != nil {
		return err
	}
	pushed, err := registry.Push(ctx, store, o.ref, options)
	if err != nil {
		return err
	}
	repository, _ := image.Familiar(pushed.Ref)
	fmt.Fprintf(o.out, "%s@%s\n", repository, pushed.Digest)
	return nil
}

// blobsumDir is where pushes remember the compressed digests of plain
// layers, beside the image store.
func blobsumDir(g *globalOptions) string {
	return filepath.Join(g.Root, "registry", "blobsums")
}
