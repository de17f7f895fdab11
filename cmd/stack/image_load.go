package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"stack/runtime/image"
)

func init() {
	register("image", "load", newImageLoadCommand)
}

type imageLoadOptions struct {
	global *globalOptions
	input  string
	quiet  bool
	stdin  io.Reader
	out    io.Writer
}

func newImageLoadCommand(g *globalOptions) *cobra.Command {
	o := &imageLoadOptions{global: g}
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load images from a tar archive (docker save or OCI) or STDIN",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.stdin, o.out = cmd.InOrStdin(), cmd.OutOrStdout()
			return runImageLoad(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.input, "input", "i", "", "read from a tar archive file instead of STDIN")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "suppress the load output")
	return cmd
}

func runImageLoad(ctx context.Context, o *imageLoadOptions) error {
	r := o.stdin
	if o.input != "" {
		f, err := os.Open(o.input)
		if err != nil {
			return fmt.Errorf("--input: %w", err)
		}
		defer f.Close()
		r = f
	}
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	loaded, err := store.Load(ctx, r)
	if o.quiet {
		return err
	}
	for _, l := range loaded {
		if len(l.Refs) == 0 {
			fmt.Fprintf(o.out, "Loaded image ID: %s\n", l.Image.ID)
		}
		for _, ref := range l.Refs {
			fmt.Fprintf(o.out, "Loaded image: %s\n", image.FamiliarString(ref))
		}
	}
	return err
}
