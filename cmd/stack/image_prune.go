package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"stack/runtime/image"
)

func init() {
	register("image", "prune", newImagePruneCommand)
}

type imagePruneOptions struct {
	global *globalOptions
	all    bool
	out    io.Writer
}

func newImagePruneCommand(g *globalOptions) *cobra.Command {
	o := &imagePruneOptions{global: g}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images and the layers no image uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.out = cmd.OutOrStdout()
			return runImagePrune(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "remove all images no container uses, not just dangling ones")
	shadowGlobalFlags(f, "file")
	f.BoolP("force", "f", false, "do not prompt for confirmation (stack never prompts)")
	return cmd
}

func runImagePrune(ctx context.Context, o *imagePruneOptions) error {
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	inUse, err := imagesInUse(o.global)
	if err != nil {
		return err
	}
	report, err := store.Prune(ctx, image.PruneOptions{All: o.all, InUse: inUse, Grace: image.DefaultGrace})
	if len(report.Images) > 0 {
		fmt.Fprintln(o.out, "Deleted Images:")
		for _, img := range report.Images {
			for _, ref := range img.Refs {
				fmt.Fprintf(o.out, "untagged: %s\n", image.FamiliarString(ref))
			}
			fmt.Fprintf(o.out, "deleted: %s\n", img.ID)
		}
		fmt.Fprintln(o.out)
	}
	fmt.Fprintf(o.out, "Total reclaimed space: %s\n", imageSize(report.SpaceReclaimed))
	return err
}
